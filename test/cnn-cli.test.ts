// CNN trials through the command line, as a user runs them: one trial, a
// sweep, the saved best weights, feature maps, the misclassified images,
// and a bit-identical re-run.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';

import { lastJsonLine, ROOT, runCli } from './helpers/cli.js';
import { fashionMnistSamples, hasFashionMnist, tempDir, writeImage } from './helpers/image-folders.js';

const results = mkdtempSync(join(tmpdir(), 'hs-cnn-cli-'));

describe('hypersweep trial cnn-light', () => {
  it('trains, names the engine, and prints the record as JSON', () => {
    const r = runCli(['trial', 'cnn-light', '--subset', '500', '--epochs', '1', '--set', 'lr=0.05', '--engine', 'native', '--threads', '1', '--results', results, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/engine native \(backend cpu, our kernels for \d+ ops, 1 threads\)/);
    const rec = lastJsonLine(r.stdout);
    expect(rec).toMatchObject({ workload: 'cnn-light', state: 'complete', engine: 'native', train_rows: 500 });
    expect((rec['params'] as Record<string, unknown>)['lr']).toBe(0.05);
  });

  it('refuses bad input with one line and exit 2', () => {
    for (const args of [
      ['trial', 'cnn-light', '--set', 'alpha0=1'],
      ['trial', 'cnn-light', '--engine', 'gpu'],
      ['trial', 'catsdogs'],
      ['trial', 'catsdogs', '--dataset', 'mnist'],
    ]) {
      const r = runCli([...args, '--results', results]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('a CNN sweep and looking inside its best trial', () => {
  let best: number;
  beforeAll(() => {
    const r = runCli(['sweep', join(ROOT, 'test/fixtures/cnn-tiny.yaml'), '--results', results, '--engine', 'native', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/CNN trials train on the native engine/);
    const summary = lastJsonLine(r.stdout);
    best = (summary['best'] as { trial: number }).trial;
  }, 300_000);

  it('keeps the best trial’s weights as a tfjs checkpoint and nothing for the other', () => {
    const trials = readdirSync(join(results, 'cnn-tiny', 'trials'));
    expect(trials).toEqual([String(best)]);
    expect(readdirSync(join(results, 'cnn-tiny', 'trials', String(best))).sort()).toEqual(['cnn-model.json', 'cnn-weights.bin']);
  });

  it('featuremaps writes a PNG grid of the 32 first-layer maps', async () => {
    const digit = join(results, 'digit.png');
    const px = new Uint8Array(28 * 28);
    for (let y = 6; y < 22; y++) px[y * 28 + 14] = 255; // a "1"
    await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(digit);
    const r = runCli(['featuremaps', 'cnn-tiny', String(best), '--image', digit, '--results', results, '--engine', 'native', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJsonLine(r.stdout) as { file: string; maps: number; height: number };
    expect(out).toMatchObject({ maps: 32, height: 28 });
    const meta = await sharp(out.file).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(6 * 28);
  });

  it('misclassified lists the worst validation images with scores and writes a contact sheet', async () => {
    const r = runCli(['misclassified', 'cnn-tiny', String(best), '--top', '5', '--results', results, '--engine', 'native', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = lastJsonLine(r.stdout) as { val_count: number; wrong_count: number; most_wrong: Array<{ score: number; label: string; predicted: string }>; least_sure: unknown[]; contact_sheet: string };
    expect(rep.val_count).toBe(10_000);
    expect(rep.most_wrong).toHaveLength(5);
    expect(rep.least_sure).toHaveLength(5);
    for (const s of rep.most_wrong) expect(s.label).not.toBe(s.predicted);
    const scores = rep.most_wrong.map((s) => s.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(existsSync(rep.contact_sheet)).toBe(true);
    expect(r.stderr).toMatch(/most wrong/);
  });

  it('repro re-trains the trial and finds every number bit-identical', () => {
    const r = runCli(['repro', 'cnn-tiny', String(best), '--results', results, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const rep = lastJsonLine(r.stdout);
    expect(rep).toMatchObject({ objective: 'cnn', check: 'bit-identical', bit_identical: true, match: true });
  });

  it('repro on another thread count states the tolerance it checks', () => {
    const r = runCli(['repro', 'cnn-tiny', String(best), '--results', results, '--threads', '2', '--json']);
    const rep = lastJsonLine(r.stdout) as { check: string; why: string; match: boolean };
    expect(rep.check).toBe('tolerance');
    expect(rep.why).toMatch(/thread/);
    expect(r.code).toBe(rep.match ? 0 : 1);
  });
});

describe.skipIf(!hasFashionMnist())('a catsdogs sweep on an image folder', () => {
  it('runs with --dataset <folder>, and misclassified lists the images nearest 0.5 by file name', async () => {
    const dir = await tempDir('catsdogs-cli');
    let n = 0;
    for (const s of await fashionMnistSamples([0, 1], 24)) {
      await writeImage(join(dir, `${s.label === 0 ? 'cat' : 'dog'}.${n++}.png`), s.pixels, 28, 28, 1, 'png');
    }
    const r = runCli([
      'sweep', join(ROOT, 'search-spaces/catsdogs.yaml'), '--dataset', dir, '--results', results,
      '--set', 'epochs=1', '--set', 'batch_size=16', '--trials', '1', '--engine', 'native', '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const m = runCli(['misclassified', 'catsdogs', '0', '--top', '3', '--results', results, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const rep = lastJsonLine(m.stdout) as { least_sure: Array<{ file: string; probability: number }>; least_sure_rule: string };
    expect(rep.least_sure_rule).toMatch(/0\.5/);
    expect(rep.least_sure[0]!.file).toMatch(/^(cat|dog)\.\d+\.png$/);
  });
});
