#!/usr/bin/python3
"""PyTorch CPU yardstick for `npm run bench:mlp`: the hypersweep MLP recipe.

Recipe (same as native/core/mlp.h): 784 -> 400 -> 700 -> 10, sigmoid hidden
units, softmax + cross-entropy (mean over the minibatch), Glorot-uniform
weights and zero biases, plain minibatch SGD with alpha_t = alpha0 / (1 + delta*t)
and the L2 term added to the weight gradients as 2*lambda*W (biases excluded),
rows reshuffled every epoch. Only training is timed (no evaluation).

The data is random float32 in [0, 1) with random labels in [0, 10): timing does
not depend on the values, so MNIST itself is not needed.

PyTorch must be measured at its best or the ratios lie: on a 2-core machine
`torch.set_num_threads(2)` lets its OpenMP threads spin while OpenBLAS (which
torch calls for sgemm here) runs its own two threads. So the driver tries a few
configurations, each in a fresh process because OMP_WAIT_POLICY and
OPENBLAS_NUM_THREADS are only read when the libraries load, and reports the best.

Usage (Debian's python, the one with python3-torch):
  /usr/bin/python3 bench/mlp_torch.py [--batches 32,64] [--rows 50000] [--epochs 1]
        [--configs t1,t1_blas1,t2_passive,t2] [--quick]
  /usr/bin/python3 bench/mlp_torch.py --run-config t1 ...   (one config, in this process)

Output: one JSON object per line: {"kind":"torch_env",...} once, then
{"kind":"torch_epoch",...} per (config, batch), and {"kind":"torch_best",...} per
batch. bench/mlp.ts parses these lines.
"""
import argparse
import json
import os
import sys
import time

from torch_env import run_child  # bench/ is the script's folder, so on sys.path

INPUTS, H1, H2, OUTPUTS = 784, 400, 700, 10
# Floating-point work of one sample in one training step (8 GEMMs): 3 forward, 3 weight-gradient
# and 2 input-gradient GEMMs (2*M*N*K each); elementwise work is ignored.
FLOP_PER_SAMPLE = 2 * (2 * (INPUTS * H1 + H1 * H2 + H2 * OUTPUTS) + (H1 * H2 + H2 * OUTPUTS))

# name -> (torch.set_num_threads value, extra environment, slow). OPENBLAS_CORETYPE
# and OPENBLAS_L2_SIZE are removed for every config (see torch_env.py). A slow config
# is timed on a tenth of the rows and its epoch time scaled up, to keep the run short.
CONFIGS = {
    # torch's own ops on one thread; OpenBLAS (sgemm) on its default two threads
    "t1": (1, {}, False),
    # everything on one thread
    "t1_blas1": (1, {"OPENBLAS_NUM_THREADS": "1"}, False),
    # two torch threads, OpenBLAS single-threaded (the CNN yardstick's best config)
    "t2_blas1": (2, {"OPENBLAS_NUM_THREADS": "1"}, False),
    # two OpenMP threads that sleep instead of spinning when idle
    "t2_passive": (2, {"OMP_WAIT_POLICY": "passive"}, False),
    # the default on this machine: shown for reference, expected to be 3-4x slower
    "t2": (2, {}, True),
}
DEFAULT_CONFIGS = ["t1", "t1_blas1", "t2_blas1", "t2_passive", "t2"]


def openblas_info():
    """Kernel and thread count of the OpenBLAS that torch loaded (same soname, same handle)."""
    import ctypes

    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        return {
            "corename": lib.openblas_get_corename().decode(),
            "openblas_threads": lib.openblas_get_num_threads(),
            "openblas_config": lib.openblas_get_config().decode(),
        }
    except OSError as err:
        return {"corename": None, "error": str(err)}


def train_epoch(torch, params, x, y, batch, t, alpha0, delta, lam, gen):
    """One epoch of the recipe; returns the global step counter after it."""
    W1, b1, W2, b2, W3, b3 = params
    weights = (W1, W2, W3)
    F = torch.nn.functional
    perm = torch.randperm(x.shape[0], generator=gen)
    for start in range(0, x.shape[0], batch):
        idx = perm[start:start + batch]
        xb = x.index_select(0, idx)
        yb = y.index_select(0, idx)
        a1 = torch.sigmoid(torch.addmm(b1, xb, W1))
        a2 = torch.sigmoid(torch.addmm(b2, a1, W2))
        z3 = torch.addmm(b3, a2, W3)
        loss = F.cross_entropy(z3, yb)
        grads = torch.autograd.grad(loss, params)
        alpha = alpha0 / (1.0 + delta * t)
        with torch.no_grad():
            for p, g in zip(params, grads):
                if any(p is w for w in weights):
                    g.add_(p, alpha=2.0 * lam)  # L2: d/dW (lambda*||W||^2) = 2*lambda*W
                p.add_(g, alpha=-alpha)
        t += 1
    return t


def run_config(name, batches, rows, epochs, seed):
    """Measure one configuration in this process and print its JSON lines."""
    import torch

    threads, _, slow = CONFIGS[name]
    measured_rows = max(rows // 10, 1) if slow else rows
    if slow:
        epochs = 1
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(measured_rows, INPUTS, generator=gen, dtype=torch.float32)
    y = torch.randint(0, OUTPUTS, (measured_rows,), generator=gen)
    env_keys = ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE")
    print(json.dumps({
        "kind": "torch_env", "config": name, "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "env": {k: os.environ.get(k) for k in env_keys},
        **openblas_info(),
    }), flush=True)

    for batch in batches:
        params = []
        for fan_in, fan_out in ((INPUTS, H1), (H1, H2), (H2, OUTPUTS)):
            limit = (6.0 / (fan_in + fan_out)) ** 0.5  # Glorot uniform
            w = (torch.rand(fan_in, fan_out, generator=gen) * 2 - 1) * limit
            params += [w.requires_grad_(), torch.zeros(fan_out, requires_grad=True)]
        # Warm-up on a slice: thread pools, allocator, first-touch page faults.
        t = train_epoch(torch, params, x[: 20 * batch], y[: 20 * batch], batch, 0, 0.1, 1e-4, 1e-5, gen)
        times = []
        for _ in range(epochs):
            start = time.perf_counter()
            t = train_epoch(torch, params, x, y, batch, t, 0.1, 1e-4, 1e-5, gen)
            times.append(time.perf_counter() - start)
        # seconds for `rows` rows (scaled when a slow config ran on fewer)
        best = min(times) * rows / measured_rows
        finite = all(bool(torch.isfinite(p).all()) for p in params)
        print(json.dumps({
            "kind": "torch_epoch", "config": name, "torch_threads": threads,
            "env": CONFIGS[name][1], "batch": batch, "rows": rows, "rows_measured": measured_rows,
            "epochs": epochs, "seconds": [round(s, 4) for s in times],
            "s_per_epoch": round(best, 4), "samples_per_s": round(rows / best, 1),
            "gflops": round(FLOP_PER_SAMPLE * rows / best * 1e-9, 2), "finite": finite,
        }), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", default="32,64")
    ap.add_argument("--rows", type=int, default=None, help="rows per epoch (default 50000, quick 10000)")
    ap.add_argument("--epochs", type=int, default=1, help="timed epochs per (config, batch); best is kept")
    ap.add_argument("--configs", default=",".join(DEFAULT_CONFIGS))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--run-config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    rows = args.rows or (10000 if args.quick else 50000)
    batches = [int(b) for b in args.batches.split(",")]

    if args.run_config:
        run_config(args.run_config, batches, rows, args.epochs, args.seed)
        return

    names = [c for c in args.configs.split(",") if c]
    if args.quick and args.configs == ap.get_default("configs"):
        names = [c for c in names if not CONFIGS[c][2]]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        sys.exit(f"unknown config(s) {unknown}; known: {list(CONFIGS)}")
    results = []
    for name in names:
        cmd = [sys.executable, os.path.abspath(__file__), "--run-config", name,
               "--batches", args.batches, "--rows", str(rows), "--epochs", str(args.epochs),
               "--seed", str(args.seed)]
        results += run_child(cmd, name, CONFIGS[name][1])
    for batch in batches:
        mine = [r for r in results if r["batch"] == batch and r["finite"]]
        if mine:
            best = min(mine, key=lambda r: r["s_per_epoch"])
            print(json.dumps({**best, "kind": "torch_best"}), flush=True)


if __name__ == "__main__":
    main()
