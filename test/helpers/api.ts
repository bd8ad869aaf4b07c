// The library API as a user gets it: `import('hypersweep')` resolves, through
// the package's own devDependency (file:) and its `exports`, to dist/index.js,
// which is compiled from src/ first when older. Typed from the source entry
// (the same declarations tsc emits into dist/index.d.ts).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type * as Api from '../../src/index.js';
import { readJournal } from '../../src/study/journal-reader.js';
import type { JournalLine } from '../../src/study/events.js';
import { ensureBuilt, ROOT } from './cli.js';

export type { Api };

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(file) : entry.name.endsWith('.ts') ? fs.statSync(file).mtimeMs : 0);
  }
  return newest;
}

/**
 * Compiles src/ to dist/ when dist/index.js is older, without blocking the
 * test worker's event loop (a synchronous tsc of a minute on a busy machine
 * makes vitest's worker miss its heartbeats); then ensureBuilt() finds it done.
 */
async function buildIfStale(): Promise<void> {
  const entry = path.join(ROOT, 'dist', 'index.js');
  if (fs.existsSync(entry) && fs.statSync(entry).mtimeMs >= newestSource(path.join(ROOT, 'src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // Type errors (of work in progress elsewhere) still emit JavaScript.
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT }).catch(() => undefined);
}

export async function loadApi(): Promise<typeof Api> {
  await buildIfStale();
  ensureBuilt();
  const specifier = 'hypersweep';
  return (await import(specifier)) as typeof Api;
}

export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hs-${prefix}-`));
}

export function journalEvents(results: string, study: string): JournalLine[] {
  return readJournal(path.join(results, study, 'journal.jsonl')).events;
}
