// Preload (`node --import ./module-trace.mjs ...`) that lists every module a
// process loads in the file named by HS_TRACE_FILE, one URL or path a line:
// ES modules as the loader's load hook sees them (in its own thread), and at
// exit every CommonJS module and native addon in require's cache (CommonJS
// requires nested in CommonJS do not pass the ES hooks). Used by
// test/startup-cli.test.ts to check what a light command loads.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.HS_TRACE_FILE;
if (file) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    export async function load(url, context, next) {
      appendFileSync(${JSON.stringify(file)}, url + '\\n');
      return next(url, context);
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(file, Object.keys(require.cache).map((p) => `${p}\n`).join(''));
  });
}
