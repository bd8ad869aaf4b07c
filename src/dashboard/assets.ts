// What the page loads, all from this server: the shell (page.ts), its CSS, the
// browser code (src/dashboard/client, shared/, and the report's chart code,
// served as the ES modules tsc compiled them: one chart code for the report
// and the page), and uPlot from node_modules. Only files on these lists are
// served; a request names a file, it never builds a path.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled tree the browser code comes from: dist/ (or src/'s sibling dist/ when running from source). */
function codeRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url)); // …/dist/dashboard or …/src/dashboard
  const root = path.dirname(here);
  if (fs.existsSync(path.join(root, 'dashboard', 'client', 'main.js'))) return root;
  return path.join(path.dirname(root), 'dist');
}

/** Browser modules, relative to the code root: these folders' .js files and the report's pure chart code. */
const MODULE = /^(dashboard\/(client|shared)\/[a-z0-9-]+\.js|report\/(svg-chart|svg-plot|scales|importance|contour)\.js)$/;

export interface Asset {
  body: Buffer;
  type: string;
}

export class Assets {
  private readonly root = codeRoot();
  private readonly vendor: Map<string, string>;
  private readonly cache = new Map<string, Asset>();

  constructor() {
    const require = createRequire(import.meta.url);
    const uplot = path.dirname(require.resolve('uplot/dist/uPlot.esm.js'));
    this.vendor = new Map([
      ['uPlot.esm.js', path.join(uplot, 'uPlot.esm.js')],
      ['uPlot.min.css', path.join(uplot, 'uPlot.min.css')],
    ]);
    if (!fs.existsSync(path.join(this.root, 'dashboard', 'client', 'main.js'))) {
      throw new Error(`the dashboard's browser code is not built (${path.join(this.root, 'dashboard', 'client', 'main.js')}): run npx tsc -p tsconfig.json`);
    }
  }

  /** A browser module by its path under /assets/js/, or null when it is not one we serve. */
  module(rel: string): Asset | null {
    if (!MODULE.test(rel)) return null;
    return this.file(`js:${rel}`, path.join(this.root, ...rel.split('/')), 'text/javascript; charset=utf-8', true);
  }

  vendorFile(name: string): Asset | null {
    const file = this.vendor.get(name);
    if (!file) return null;
    return this.file(`vendor:${name}`, file, name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', false);
  }

  private file(key: string, file: string, type: string, stripMap: boolean): Asset | null {
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (!fs.existsSync(file)) return null;
    let text = fs.readFileSync(file, 'utf8');
    // The source maps point into src/, which is not served: drop the reference rather than 404 on it.
    if (stripMap) text = text.replace(/\n\/\/# sourceMappingURL=.*$/, '\n');
    const asset = { body: Buffer.from(text), type };
    this.cache.set(key, asset);
    return asset;
  }
}
