// The CLI's bad-input errors: one line on stderr, no stack trace, exit code 2
// for usage errors and 1 for a missing dataset. None of these needs the native
// addon: input is checked before anything heavy loads.
import { describe, expect, it } from 'vitest';

import { runCli } from './helpers/cli.js';

function expectOneLineError(r: { code: number | null; stdout: string; stderr: string }, code: number, text: RegExp) {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^hypersweep: error: /);
  expect(lines[0]).toMatch(text);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('hypersweep CLI bad input', () => {
  it('a misspelt HS_GEMM_SIMD (the kernel cap) is an error, not silently ignored', () => {
    const r = runCli(['trial', 'mlp', '--subset', '200', '--epochs', '1'], { HS_GEMM_SIMD: 'avx-512' });
    expectOneLineError(r, 2, /HS_GEMM_SIMD="avx-512" is not a GEMM kernel level.*avx512, avx2, generic/);
  });

  it('unknown parameter: lists the valid names', () => {
    const r = runCli(['trial', 'mlp', '--set', 'alpah0=0.1']);
    expectOneLineError(r, 2, /unknown parameter "alpah0".*valid names: alpha0, delta, lambda, batch_size, init, h1, h2, activation, epochs, seed/);
  });

  it.each([
    [['trial', 'mlp', '--set', 'alpha0=-1'], /invalid value -1 for parameter "alpha0".*expected a finite number > 0/],
    [['trial', 'mlp', '--set', 'batch_size=ten'], /invalid value "ten" for parameter "batch_size".*expected an integer/],
    [['trial', 'mlp', '--set', 'activation=softmax'], /"activation".*expected one of sigmoid, relu, tanh/],
    [['trial', 'mlp', '--epochs', '0'], /"epochs" in --epochs: expected an integer in \[1, 100000\]/],
    [['trial', 'mlp', '--seed', '1.5'], /"seed" in --seed: expected an integer in \[0, 4294967295\]/],
    [['trial', 'mlp', '--set', 'h1'], /cannot read "h1" in --set \(write key=value/],
    [['trial', 'mlp', '--dataset', 'cifar10'], /unknown dataset "cifar10".*mnist, fashion-mnist/],
    [['trial', 'mlp', '--device', 'tpu'], /unknown device "tpu".*auto, cpu, cuda/],
    [['trial', 'mlp', '--threads', 'many'], /invalid value "many" for --threads/],
    [['trial', 'mlp', '--subset', '100', '--set', 'batch_size=200'], /"batch_size" is 200 but the training set has only 100 rows/],
    [['trial', 'resnet'], /unknown workload "resnet".*valid workloads: mlp, cnn-light, cnn, catsdogs/],
    [['trial', 'mlp', '--frobnicate'], /unknown option '--frobnicate'/],
    [['trial'], /missing required argument 'workload'/],
    [['gradcheck', '--dtype', 'float16'], /invalid value "float16" for --dtype: expected one of float32, float64/],
    [['gradcheck', '--from-trained-epochs', '-1'], /--from-trained-epochs: expected an integer in \[0,/],
    [['gradcheck', '--set', 'lambda=-0.1'], /"lambda".*expected a finite number >= 0/],
  ])('%j → exit 2, one line', (args, text) => {
    expectOneLineError(runCli(args), 2, text);
  });

  it('missing dataset: says how to install it (exit 1)', () => {
    const r = runCli(['trial', 'mlp', '--dataset', 'fashion-mnist'], {
      HYPERSWEEP_FASHION_MNIST_DIR: '/nonexistent/fashion',
    });
    expectOneLineError(r, 1, /dataset fashion-mnist not found at \/nonexistent\/fashion.*apt-get install dataset-fashion-mnist/);
  });

  it('--help and --version exit 0', () => {
    expect(runCli(['--version']).code).toBe(0);
    const help = runCli(['trial', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--set <key=value>');
  });
});
