// CNN parameters: defaults per model, checked values, and the search spaces
// that ship for them.
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { HypersweepError } from '../src/errors.js';
import { loadSpaceFile } from '../src/space/load.js';
import { validateStudySpec } from '../src/space/validate.js';
import { CNN_DEFAULTS, resolveCnnParams } from '../src/trials/cnn/params.js';
import { ROOT } from './helpers/cli.js';

describe('CNN parameters', () => {
  it('defaults follow the homework: SGD at 0.01 for MNIST, 3e-4 on unscaled pixels with a plateau schedule for catsdogs', () => {
    expect(resolveCnnParams('cnn')).toMatchObject({ lr: 0.01, optimizer: 'sgd', factor: 1, rescale: 'unit', augment_copies: 0 });
    expect(resolveCnnParams('catsdogs')).toMatchObject({ lr: 3e-4, rescale: 'none', augment_copies: 1 });
    expect(CNN_DEFAULTS['catsdogs'].factor).toBeLessThan(1);
  });

  it('refuses unknown names and bad values, naming the key and what is expected', () => {
    const bad = (o: Record<string, unknown>) => () => resolveCnnParams('cnn', o, 'here');
    expect(bad({ alpha0: 1 })).toThrow(/alpha0.*here/);
    expect(bad({ optimizer: 'adagrad' })).toThrow(/sgd, momentum, rmsprop, adam/);
    expect(bad({ dropout: 1 })).toThrow(/\[0, 1\)/);
    expect(bad({ factor: 0 })).toThrow(/\(0, 1\]/);
    expect(bad({ lr: -1 })).toThrow(HypersweepError);
  });

  it.each(['cnn-light.yaml', 'cnn-mnist.yaml'])('search-spaces/%s loads', (file) => {
    const spec = loadSpaceFile(join(ROOT, 'search-spaces', file));
    expect(spec.objective.kind).toBe('model');
    expect(Object.keys(spec.params)).toContain('lr');
  });

  it('catsdogs.yaml names a missing folder clearly, and loads with --dataset pointing at a real one', () => {
    const file = join(ROOT, 'search-spaces', 'catsdogs.yaml');
    expect(() => loadSpaceFile(file)).toThrow(/dataset\.folder.*not a folder/);
    const spec = loadSpaceFile(file, {}, { dataset: join(ROOT, 'test', 'fixtures') });
    expect(spec.dataset).toMatchObject({ folder: join(ROOT, 'test', 'fixtures'), valFraction: 0.2, splitSeed: 0 });
  });

  it('a CNN space refuses MLP parameters, and the MLP refuses folders', () => {
    const base = { name: 's', objective: { model: 'cnn' }, dataset: 'mnist', metric: 'val_accuracy', direction: 'maximize', budget: { trials: 1 } };
    expect(() => validateStudySpec({ ...base, params: { alpha0: 0.1 } }, 'x.yaml', ROOT)).toThrow(/params\.alpha0.*unknown parameter for model cnn/);
    expect(() =>
      validateStudySpec({ ...base, objective: { model: 'mlp' }, dataset: { folder: 'test' }, params: { alpha0: 0.1 } }, 'x.yaml', ROOT),
    ).toThrow(/takes a dataset name/);
    expect(() => validateStudySpec({ ...base, objective: { model: 'catsdogs' }, params: { lr: 0.1 } }, 'x.yaml', ROOT)).toThrow(
      /dataset.*a folder of images/,
    );
  });
});
