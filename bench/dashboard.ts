// node --import tsx bench/dashboard.ts [--trials 50000] [--rate 200] [--seconds 10] [--loads 3]
//
// The dashboard on a big study (issue 14): a synthetic journal of 50,000
// MLP-like trials (3 epochs each; 10% pruned, 5% failed), served by
// `node dist/cli/main.js dashboard` (a process of its own, so that its memory
// is its own) and opened in Debian's chromium (playwright-core).
//   first meaningful paint  from the navigation to the study's page until its
//                           first frame with the history chart and the table
//                           drawn (the page records Date.now() in the frame
//                           after it drew; same clock as this process), median
//                           of --loads fresh pages; target ≤ 1.5 s. Its phases
//                           from the page's performance marks (after navigation)
//   yardstick               the same journal read and folded in this process
//                           (readJournal + foldJournal, what `hypersweep status`
//                           does), best of 3: the floor of any reader of it
//   server memory           VmRSS / VmHWM of the server process (/proc)
//   append → pixels         while this process journals --rate trials a second
//                           (each: started, 3 intermediate, finished), batches
//                           every 50 ms: for each batch, the time from its
//                           write to the first frame showing its last trial
// Not a test: it prints figures. The machine may be shared: compare the ratios.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readJournal } from '../src/study/journal-reader.js';
import { foldJournal } from '../src/study/state.js';
import { writeSyntheticJournal } from '../test/helpers/synthetic-journal.js';
import { median, nowS } from './lib/timing.js';
import { renderTable, verdict } from './lib/table.js';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const trials = Number(argValue('--trials') ?? 50_000);
const rate = Number(argValue('--rate') ?? 200);
const seconds = Number(argValue('--seconds') ?? 10);
const loads = Number(argValue('--loads') ?? 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist', 'cli', 'main.js');
const CHROMIUM = '/usr/bin/chromium';

function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

const percentile = (values: readonly number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

if (!fs.existsSync(path.join(root, 'dist', 'dashboard', 'client', 'main.js'))) {
  console.error('bench:dashboard: build first (npx tsc -p tsconfig.json): dist/dashboard is missing');
  process.exit(1);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`bench:dashboard: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(1);
}

const results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-bench-dash-'));
const { file } = writeSyntheticJournal(results, 'big', { trials, epochs: 3, pruned: 0.1, failed: 0.05, seed: 3 });
const journalMiB = fs.statSync(file).size / 2 ** 20;

// The yardstick: reading and folding the journal once, here.
const reads: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = nowS();
  foldJournal(readJournal(file).events);
  reads.push(nowS() - t0);
}
const readS = Math.min(...reads);

// The server.
const t0 = nowS();
const server = spawn(process.execPath, [bin, 'dashboard', '--results', results, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (code) => reject(new Error(`the dashboard exited (${code}): ${out}`)));
});
const serverReadyS = nowS() - t0;
process.on('exit', () => server.kill('SIGTERM'));
const memAfterStart = memoryOf(server.pid!);

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
type Paint = { trials: number; lastTrial: number; at: number };
try {
  // First meaningful paint, on fresh pages.
  const paints: number[] = [];
  const phases: Array<{ received: number; snapshot: number; folded: number; rendered: number }> = [];
  let snapshotMiB = 0;
  for (let i = 0; i < loads; i++) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('response', (r) => {
      if (r.url().endsWith('/api/study/big')) snapshotMiB = Number(r.headers()['content-length'] ?? NaN) / 2 ** 20;
    });
    const start = Date.now();
    await page.goto(`${url}#/study/big`);
    await page.waitForFunction(() => (window.__hsPaints?.length ?? 0) > 0, undefined, { timeout: 60_000 });
    const first = (await page.evaluate(() => window.__hsPaints![0]!)) as Paint;
    paints.push((first.at - start) / 1000);
    // Where the time went (the page's own marks, ms after its navigation started): snapshot in hand, decoded, drawn.
    phases.push(
      // (No named functions inside: tsx would wrap them in a helper the page does not have.)
      await page.evaluate(() => {
        const marks = Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]));
        const snapshotEnd = performance.getEntriesByType('resource').find((r) => /\/api\/study\/[^/]+$/.test(r.name)) as PerformanceResourceTiming | undefined;
        return { received: snapshotEnd?.responseEnd ?? NaN, snapshot: marks['hs-snapshot'] ?? NaN, folded: marks['hs-folded'] ?? NaN, rendered: marks['hs-rendered'] ?? NaN };
      }),
    );
    if (i < loads - 1) await page.close();
  }
  const fmpS = median(paints);
  const memAfterLoad = memoryOf(server.pid!);

  // Append → pixels at `rate` trials a second, on the last page opened.
  const page = browser.contexts()[0]!.pages().at(-1)!;
  await page.waitForTimeout(2500); // past the first heavy pass
  const batches: Array<{ lastTrial: number; at: number }> = [];
  let next = trials;
  const liveStart = Date.now();
  const end = liveStart + seconds * 1000;
  let t = Date.parse('2026-02-01T00:00:00.000Z');
  while (Date.now() < end) {
    const lines: string[] = [];
    // As many trials as are due at `rate` since the start (timers drift on a loaded machine).
    const due = trials + Math.floor(((Date.now() - liveStart) / 1000) * rate);
    for (; next < due; next++) {
      const time = () => new Date((t += 7)).toISOString();
      const params = { alpha0: 10 ** (-2 + 3 * Math.random()), lambda: 1e-4, batch_size: 64, init: 'glorot' };
      lines.push(JSON.stringify({ time: time(), event: 'trial_started', trial: next, params, seed: next, worker: 'w0' }));
      for (let e = 1; e <= 3; e++) lines.push(JSON.stringify({ time: time(), event: 'intermediate', trial: next, step: e, value: 0.8 + 0.03 * e + 0.01 * Math.random() }));
      lines.push(JSON.stringify({ time: time(), event: 'trial_finished', trial: next, state: 'complete', value: 0.88 + 0.02 * Math.random(), duration_s: 0.1 }));
    }
    if (lines.length) {
      fs.appendFileSync(file, `${lines.join('\n')}\n`);
      batches.push({ lastTrial: next - 1, at: Date.now() });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.waitForFunction((n) => (window.__hsPaints ?? []).some((p) => p.lastTrial >= n), next - 1, { timeout: 30_000 });
  const painted = (await page.evaluate(() => window.__hsPaints!)) as Paint[];
  const latencies = batches.map((b) => {
    const p = painted.find((x) => x.lastTrial >= b.lastTrial && x.at >= b.at);
    return p ? (p.at - b.at) / 1000 : NaN;
  });
  const memAfterLive = memoryOf(server.pid!);
  const appendedRate = (next - trials) / seconds;

  console.log(`bench:dashboard — ${trials} trials (journal ${journalMiB.toFixed(1)} MiB, snapshot ${snapshotMiB.toFixed(1)} MiB of JSON); ${os.cpus().length} cores, possibly shared\n`);
  console.log(
    renderTable(
      ['measure', 'value', 'unit', 'vs yardstick', 'target'],
      [
        ['yardstick: read + fold the journal in-process (best of 3)', readS, 's', 1, '—'],
        ['dashboard process start → URL printed (journal loaded)', serverReadyS, 's', serverReadyS / readS, '—'],
        [`first meaningful paint (median of ${loads}: ${paints.map((p) => p.toFixed(2)).join(', ')})`, fmpS, 's', fmpS / readS, `≤ 1.5 s ${verdict(fmpS <= 1.5)}`],
        ...(['received', 'snapshot', 'folded', 'rendered'] as const).map((k): [string, number, string, null, string] => [
          `  first paint phase: ${{ received: 'snapshot received', snapshot: 'snapshot parsed, page code run', folded: 'snapshot decoded (fold)', rendered: 'first view drawn (before its frame)' }[k]}, median`,
          median(phases.map((p) => p[k] / 1000)),
          's',
          null,
          '—',
        ]),
        ['server RSS after start', memAfterStart.rssMiB, 'MiB', null, '—'],
        ['server RSS after the page loads', memAfterLoad.rssMiB, 'MiB', null, '—'],
        [`server RSS after ${seconds} s of appends (peak ${memAfterLive.hwmMiB.toFixed(0)} MiB)`, memAfterLive.rssMiB, 'MiB', null, '—'],
        ['trials journalled per second during the live phase', appendedRate, '/s', null, `${rate}/s`],
        [`append → pixels, median of ${latencies.length} batches`, median(latencies), 's', median(latencies) / readS, '—'],
        ['append → pixels, p95', percentile(latencies, 0.95), 's', null, '—'],
        ['append → pixels, max', Math.max(...latencies), 's', null, '—'],
      ],
      3,
    ),
  );
} finally {
  await browser.close();
  server.kill('SIGTERM');
  fs.rmSync(results, { recursive: true, force: true });
}
