// `auto` is the sampler of a new space that names none (a space file, or the
// library API's createStudy), with the budget it picks by; a study created
// before that default, whose journal records TPE, resumes with TPE.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createSampler } from '../src/samplers/sampler.js';
import type { StudySpec } from '../src/space/spec.js';
import { validateStudySpec } from '../src/space/validate.js';
import { readJournal } from '../src/study/journal-reader.js';
import { foldJournal } from '../src/study/state.js';
import { journalEvents, loadApi } from './helpers/api.js';
import { ROOT, runCli } from './helpers/cli.js';
import { withoutTrialSamplers } from './helpers/old-journal.js';

let results: string;
beforeEach(() => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-default-'));
});
afterEach(() => fs.rmSync(results, { recursive: true, force: true }));

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const raw = () => ({
  name: 'd',
  objective: { module: './slow-objective.mjs' },
  metric: 'value',
  direction: 'minimize',
  params: { x: { type: 'float', low: 0, high: 1 } },
  budget: { trials: 40 },
});

describe('the default sampler', () => {
  it('a space file that names no sampler gets auto, with its budget', () => {
    expect(validateStudySpec(raw(), 'd.yaml', FIXTURES).sampler).toEqual({ type: 'auto', seed: null, budget: 40 });
    // Named: kept as named.
    expect(validateStudySpec({ ...raw(), sampler: { type: 'tpe' } }, 'd.yaml', FIXTURES).sampler.type).toBe('tpe');
  });

  it('createStudy with no sampler: auto, its choice journalled; a space of define-by-run parameters only gets TPE', async () => {
    const { createStudy } = await loadApi();
    const study = await createStudy({ name: 'api', results, seed: 1, space: { x: { type: 'float', low: 0, high: 1 } } });
    await study.close();
    const created = journalEvents(results, 'api')[0]!;
    expect(created).toMatchObject({ event: 'study_created', sampler: 'auto', sampler_choice: { sampler: 'gp' } });

    const byRun = await createStudy({ name: 'dbr', results, seed: 1 });
    const t = await byRun.ask();
    const x = t.suggestFloat('x', 0, 1);
    await byRun.tell(t, x);
    await byRun.close();
    expect(journalEvents(results, 'dbr')[0]).toMatchObject({ sampler: 'auto', sampler_choice: { sampler: 'tpe', reason: expect.stringMatching(/define-by-run/) } });
  });

  it('a study created before the default (TPE in its journal, no per-trial sampler) resumes with TPE', () => {
    // The space file as such a study had it: no sampler named (TPE was the default then).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-default-space-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'slow-objective.mjs'), path.join(dir, 'slow-objective.mjs'));
      const space = path.join(dir, 'old.yaml');
      fs.writeFileSync(space, fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'slow.yaml'), 'utf8').replace(/^sampler:.*\n/m, ''));
      // What the old default recorded: tpe with its defaults.
      expect(runCli(['sweep', space, '--results', results, '--study', 'old', '--sampler', 'tpe', '--seed', '5', '--trials', '12']).code).toBe(0);
      const file = path.join(results, 'old', 'journal.jsonl');
      fs.writeFileSync(file, withoutTrialSamplers(fs.readFileSync(file, 'utf8')));
      const before = foldJournal(readJournal(file).events);
      expect(before.trials.map((t) => t.sampler)).toEqual(Array.from({ length: 12 }, () => null));
      expect(before.created.sampler).toBe('tpe');
      expect(before.created.sampler_choice).toBeUndefined();

      const r = runCli(['resume', 'old', '--results', results, '--trials', '14']);
      expect(r.code, r.stderr).toBe(0);
      const after = foldJournal(readJournal(file).events);
      expect(after.trials.slice(12).map((t) => t.sampler)).toEqual(['tpe', 'tpe']);
      // The same params as TPE rebuilt from the recorded spec and told the first 12 trials.
      const spec = before.created.spec as StudySpec;
      const tpe = createSampler(spec.sampler, spec.params, spec.direction, 5);
      for (const t of before.trials) if (t.state !== 'running') tpe.tell({ ...t, state: t.state });
      expect(after.trials[12]!.params).toEqual(tpe.ask(12, []));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
