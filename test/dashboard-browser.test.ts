// The dashboard in a real browser (Debian's chromium, headless, driven by
// playwright-core) on a sweep that is running: trials appear without a
// reload, brushing the parallel coordinates filters the table, a trial stopped
// from the page is journalled pruned, an enqueued trial runs, the study stops
// from the page; no console error, no request leaves the server, and the
// screenshots are not blank. With DASHBOARD_SCREENSHOT=docs/dashboard.png the
// README's screenshot is written too.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDashboard, type Dashboard } from '../src/dashboard/server.js';
import type { JournalLine } from '../src/study/events.js';
import { readJournal } from '../src/study/journal-reader.js';
import { chromiumSkipReason, inkOf, launchChromium } from './helpers/chromium.js';
import { BIN, ensureBuilt, ROOT } from './helpers/cli.js';

const skipReason = chromiumSkipReason();
if (skipReason) console.warn(`dashboard-browser.test.ts: skipped: ${skipReason}`);

type Browser = import('playwright-core').Browser;

async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skipReason !== null)(`dashboard in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let results: string;
  let browser: Browser;
  let dash: Dashboard;
  let sweep: ChildProcess;
  let sweepOut = '';
  const journal = (): JournalLine[] => {
    const file = path.join(results, 'dash', 'journal.jsonl');
    return fs.existsSync(file) ? readJournal(file).events : [];
  };

  beforeAll(async () => {
    ensureBuilt();
    results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-dash-browser-'));
    // Trials of ~2 s (40 steps of 50 ms), two at a time: long enough to act on one from the page.
    sweep = spawn(process.execPath, [BIN, 'sweep', path.join(ROOT, 'test', 'fixtures', 'dashboard.yaml'), '--results', results, '--workers', '2', '--trials', '60'], {
      cwd: ROOT,
      env: { ...process.env, DASH_STEPS: '40', DASH_MS: '50' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    sweep.stdout!.on('data', (d: Buffer) => (sweepOut += d.toString()));
    sweep.stderr!.on('data', (d: Buffer) => (sweepOut += d.toString()));
    await waitFor('the sweep to start', () => journal().some((e) => e.event === 'trial_started'));
    dash = await startDashboard({ results, port: 0, pollMs: 100 });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    if (sweep && sweep.exitCode === null) sweep.kill('SIGKILL');
    fs.rmSync(results, { recursive: true, force: true });
  });

  it('follows a running sweep live, filters by brushing, stops a trial, runs an enqueued one, stops the study', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => void d.accept());
    const origin = dash.url.replace(/\/$/, '');
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith(`${origin}/`) ? route.continue() : route.abort();
    });

    // The studies page, then the study's page: trials appear without a reload.
    await page.goto(dash.url);
    await page.waitForSelector('tr[data-study="dash"]');
    await page.click('tr[data-study="dash"] a');
    await page.waitForSelector('.trials-table .spacer .trow');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const first = Number(await page.evaluate(() => document.body.dataset.trials));
    await page.waitForFunction((n) => Number(document.body.dataset.trials) >= n + 3, first, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // same document: no reload
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);

    // Brushing the parallel coordinates filters the table.
    await waitFor('six complete trials', () => journal().filter((e) => e.event === 'trial_finished' && e.state === 'complete').length >= 6);
    await page.waitForFunction(() => document.querySelectorAll('[data-chart="parallel"] polyline.mark').length >= 6, undefined, { timeout: 15_000 });
    // The two-param view draws contour lines (lr and x are numeric), and the table says which sampler made each trial.
    await page.waitForFunction(() => document.querySelectorAll('[data-chart="contour"] path.iso').length > 0, undefined, { timeout: 15_000 });
    const samplers = await page.evaluate(() => {
      const keys = [...document.querySelectorAll('.trials-table .thead .th')].map((e) => (e as HTMLElement).dataset.key);
      const col = keys.indexOf('sampler');
      return [...document.querySelectorAll('.trials-table .spacer .trow')].map((r) => r.children[col]?.textContent ?? '');
    });
    expect(samplers.length).toBeGreaterThan(0);
    for (const s of samplers) expect(s).toMatch(/^(tpe|tpe \(startup: random\)|user)$/);
    const countText = () => page.evaluate(() => document.querySelector('.table-count')!.textContent!);
    // The chart is redrawn every 2 s (never during a drag): take its axis between two redraws.
    const axis = await waitFor('the x axis of parallel coordinates', () => page.locator('.pc-axis-hit[data-axis="x"]').boundingBox({ timeout: 5000 }).catch(() => null));
    await page.mouse.move(axis!.x + axis!.width / 2, axis!.y + axis!.height * 0.05);
    await page.mouse.down();
    await page.mouse.move(axis!.x + axis!.width / 2, axis!.y + axis!.height * 0.3, { steps: 5 });
    await page.mouse.move(axis!.x + axis!.width / 2, axis!.y + axis!.height * 0.55, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => /brushed/.test(document.querySelector('.brush-info')!.textContent!));
    const [shown, total] = (await countText()).match(/\d+/g)!.map(Number) as [number, number];
    expect(shown).toBeLessThan(total);
    expect(shown).toBeGreaterThan(0);
    // Every row the table keeps lies in the brushed band of x (the top half of the axis: large x).
    const xs = await page.evaluate(() => {
      const header = [...document.querySelectorAll('.trials-table .thead .th')].map((e) => (e as HTMLElement).dataset.key);
      const col = header.indexOf('x');
      return [...document.querySelectorAll('.trials-table .spacer .trow')].map((r) => Number(r.children[col]!.textContent));
    });
    expect(xs.length).toBeGreaterThan(0);
    // The band is the upper half of the axis, whose lowest point is at or under the smallest x: that trial is out.
    const allX = journal().flatMap((e) => (e.event === 'trial_started' ? [e.params.x as number] : []));
    expect(Math.min(...xs)).toBeGreaterThan(Math.min(...allX));
    const brushedShot = await page.screenshot({ fullPage: false });
    await page.click('.clear-brush');
    await page.waitForFunction(() => !/brushed/.test(document.querySelector('.brush-info')!.textContent!));

    // Stop a running trial from the page: journalled as a dashboard action, the trial recorded pruned.
    let stopped: number | null = null;
    for (let attempt = 0; attempt < 5 && stopped === null; attempt++) {
      await page.selectOption('.state-filter', 'running');
      const button = page.locator('.stop-trial').first();
      await button.waitFor({ timeout: 10_000 });
      const n = Number(await button.getAttribute('data-trial'));
      await button.click();
      const action = await waitFor('the stop to be journalled', () => journal().find((e) => e.event === 'control_action' && e.action === 'stop_trial' && e.trial === n)).catch(async (err: Error) => {
        throw new Error(`${err.message}; the page says: ${await page.evaluate(() => [...document.querySelectorAll('.msg')].map((m) => m.textContent).join(' | '))}`);
      });
      if (action.event === 'control_action' && !action.refused) stopped = n; // else: it had just finished; try another
    }
    expect(stopped).not.toBeNull();
    const fin = await waitFor('the stopped trial to finish', () => journal().find((e) => e.event === 'trial_finished' && e.trial === stopped));
    expect(fin).toMatchObject({ state: 'pruned', reason: 'stopped from the dashboard' });
    await page.selectOption('.state-filter', '');
    await page.waitForFunction((n) => [...document.querySelectorAll('.actions-log li')].some((li) => li.textContent!.includes(`stop_trial trial ${n}`)), stopped);

    // Enqueue a trial with given params: it runs next, recorded user-given.
    await page.fill('input[data-param="x"]', '0.123');
    await page.fill('input[data-param="lr"]', '0.001');
    await page.selectOption('select[data-param="kind"]', 'c');
    await page.click('.enqueue');
    const given = await waitFor('the enqueued trial to start', () => journal().find((e) => e.event === 'trial_started' && e.user_given === true));
    expect(given).toMatchObject({ params: { x: 0.123, lr: 0.001, kind: 'c' } });
    const n = given.event === 'trial_started' ? given.trial : -1;
    const done = await waitFor('the enqueued trial to finish', () => journal().find((e) => e.event === 'trial_finished' && e.trial === n));
    expect(done).toMatchObject({ state: 'complete' });
    await page.fill('.jump', String(n));
    await page.press('.jump', 'Enter');
    await page.waitForFunction((k) => document.querySelector(`.trials-table .trow[data-trial="${k}"]`)?.textContent?.includes('complete ★'), n, { timeout: 10_000 });

    // The page of one trial.
    await page.click(`.trials-table .trow[data-trial="${n}"] a`);
    await page.waitForSelector('[data-chart="trial-metrics"] canvas');
    expect(await page.textContent('main')).toMatch(/yes \(enqueued\)/);
    await page.goBack();
    await page.waitForSelector('.trials-table .spacer .trow');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(2500); // the heavy charts' next pass

    // The screenshot: not blank; the README's copy when asked.
    const shot = await page.screenshot({ fullPage: false });
    for (const png of [shot, brushedShot]) {
      const ink = await inkOf(page, png);
      expect(ink.inked).toBeGreaterThan(0.02);
      expect(ink.colors).toBeGreaterThan(40);
    }
    const out = process.env.DASHBOARD_SCREENSHOT;
    if (out) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(300);
      fs.writeFileSync(path.resolve(ROOT, out), await page.screenshot({ fullPage: false }));
    }

    // Stop the study from the page: no new trial, the running ones finish, the sweep exits as after Ctrl-C.
    await page.click('.stop-study');
    const code = await new Promise((resolve) => (sweep.exitCode !== null ? resolve(sweep.exitCode) : sweep.on('exit', resolve)));
    expect(code, sweepOut).toBe(130);
    expect(journal().some((e) => e.event === 'control_action' && e.action === 'stop_study' && !e.refused)).toBe(true);
    expect(journal().filter((e) => e.event === 'trial_finished' && e.state === 'failed')).toEqual([]);
    await page.waitForFunction(() => /interrupted/.test(document.querySelector('h1')!.textContent!), undefined, { timeout: 10_000 });

    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
    await page.close();
  }, 180_000);
});
