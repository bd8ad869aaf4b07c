// The report in a real browser: Debian's chromium, headless, driven by
// playwright-core. Every chart must have rendered (an <svg> with a size, and
// as many drawn marks as it says it drew, each with a size), the page must log
// no error and fetch nothing, and a full-page screenshot must not be blank.
// The screenshot goes to a temp folder and is deleted: it is a check, not an artifact.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chromiumSkipReason, inkOf, launchChromium } from './helpers/chromium.js';
import { runCli } from './helpers/cli.js';
import { writeSyntheticJournal } from './helpers/synthetic-journal.js';

const skipReason = chromiumSkipReason();
if (skipReason) console.warn(`report-browser.test.ts: skipped: ${skipReason}`);

type Browser = import('playwright-core').Browser;

describe.skipIf(skipReason !== null)(`report in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let results: string;
  let browser: Browser;
  beforeAll(async () => {
    results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-browser-'));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(results, { recursive: true, force: true });
  });

  it('renders every chart, logs no error, fetches nothing, and does not look blank', async () => {
    writeSyntheticJournal(results, 'browser', { trials: 80, epochs: 6, pruned: 0.15, failed: 0.05, running: 0.03, seed: 9, sampler: 'tpe' });
    const out = path.join(results, 'report.html');
    const r = runCli(['report', 'browser', '--results', results, '--out', out]);
    expect(r.code, r.stderr).toBe(0);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // Self-contained: the page's own file is the only thing it may load.
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      return url === pathToFileURL(out).href ? route.continue() : route.abort();
    });
    await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });

    const rendered = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart')].map((fig) => ({
        chart: fig.getAttribute('data-chart'),
        svgs: [...fig.querySelectorAll('svg')].map((svg) => {
          const box = svg.getBoundingClientRect();
          const marks = [...svg.querySelectorAll('.mark')] as SVGGraphicsElement[];
          return {
            width: box.width,
            height: box.height,
            declared: Number(svg.getAttribute('data-marks')),
            marks: marks.length,
            // Each mark really occupies space (a point, a line or a bar of non-zero extent).
            sized: marks.filter((m) => {
              const b = m.getBBox();
              return b.width > 0 || b.height > 0;
            }).length,
          };
        }),
      })),
    );
    const names = rendered.map((c) => c.chart).sort();
    expect(names).toEqual(
      ['curves-train-loss', 'curves-validation', 'history', 'importance', 'init-comparison', 'parallel', 'slice-alpha0', 'slice-batch_size', 'slice-init', 'slice-lambda'].sort(),
    );
    for (const c of rendered) {
      expect(c.svgs.length, c.chart!).toBeGreaterThan(0);
      for (const s of c.svgs) {
        expect(s.width, c.chart!).toBeGreaterThan(100);
        expect(s.height, c.chart!).toBeGreaterThan(100);
        expect(s.marks, c.chart!).toBeGreaterThan(0);
        expect(s.marks, c.chart!).toBe(s.declared);
        expect(s.sized, c.chart!).toBe(s.marks);
      }
    }
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(out).href]);

    // One screenshot, checked for blankness by its size and its pixels.
    const shot = path.join(results, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const bytes = fs.readFileSync(shot);
    expect(bytes.length).toBeGreaterThan(50_000);
    const pixels = await inkOf(page, bytes);
    expect(pixels.width).toBe(1440);
    expect(pixels.height).toBeGreaterThan(2000); // every section, one under the other
    expect(pixels.inked).toBeGreaterThan(0.03);
    expect(pixels.colors).toBeGreaterThan(50);
    console.log(`report screenshot: ${pixels.width}x${pixels.height}, ${bytes.length} bytes, ${(100 * pixels.inked).toFixed(1)}% inked, ${pixels.colors} colours (sampled)`);
    fs.rmSync(shot);
    await page.close();
  }, 120_000);
});
