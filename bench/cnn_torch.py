#!/usr/bin/python3
"""PyTorch CPU yardstick for `npm run bench:cnn`: one epoch of the light CNN.

Model (the same as src/trials/cnn/models.ts 'cnn-light', 25,258 parameters):
conv 3x3 'same' 32 relu -> maxpool 2 -> conv 3x3 'same' 32 relu -> maxpool 2
-> flatten (1,568) -> dense 10, softmax + categorical cross-entropy (mean over
the minibatch; F.cross_entropy on the logits, PyTorch's fastest form of it),
Glorot-uniform kernels (fan-in/out as Keras counts them for convolutions:
channels x kernel area; torch's xavier_uniform_ counts the same way), zero
biases, plain SGD at lr 0.01, rows reshuffled every epoch. Training only.
Tensors are NCHW, PyTorch's native layout (oneDNN convolutions).

The data is random float32 in [0, 1) with random labels in [0, 10): timing does
not depend on the values, so MNIST itself is not needed.

PyTorch must be measured at its best or the ratios lie: the driver tries
torch.set_num_threads 1 and 2, each with OPENBLAS_NUM_THREADS unset and =1 (and
2 threads with OMP_WAIT_POLICY=passive), each in a fresh process because these
variables are only read when the libraries load, and reports the best. Under
load the 2-thread configs can be 5-10x slower (their OpenMP threads spin while
the other core is busy), so a config still running after --budget times the
best time so far stops early and its epoch time is scaled from the images it
did ("images_measured" in its line).

Usage (Debian's python, the one with python3-torch):
  /usr/bin/python3 bench/cnn_torch.py [--images 50000] [--batch 64] [--epochs 1]
        [--configs t1_blas1,t2_blas1,t1,t2_passive,t2] [--budget 1.5]
  /usr/bin/python3 bench/cnn_torch.py --run-config t1 ...   (one config, in this process)

Output: one JSON object per line: {"kind":"torch_env",...} and
{"kind":"torch_epoch",...} per config, then one {"kind":"torch_best",...}.
bench/cnn.ts parses these lines.
"""
import argparse
import json
import os
import sys
import time

from torch_env import run_child  # bench/ is the script's folder, so on sys.path

EPOCH_IMAGES = 50000
PARAMS = 25258

# name -> (torch.set_num_threads value, extra environment). OPENBLAS_CORETYPE
# and OPENBLAS_L2_SIZE are removed for every config (see torch_env.py).
# The order matters a little: a config is cut short at --budget times the best
# time so far, so the usually fast ones come first.
CONFIGS = {
    "t1_blas1": (1, {"OPENBLAS_NUM_THREADS": "1"}),
    "t2_blas1": (2, {"OPENBLAS_NUM_THREADS": "1"}),
    "t1": (1, {}),
    "t2_passive": (2, {"OMP_WAIT_POLICY": "passive"}),
    "t2": (2, {}),
}
DEFAULT_CONFIGS = list(CONFIGS)


def build_model(torch, gen):
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )
    with torch.no_grad():
        for m in model:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w = m.weight
                fan_in = w.shape[1] * w[0, 0].numel()
                fan_out = w.shape[0] * w[0, 0].numel()
                limit = (6.0 / (fan_in + fan_out)) ** 0.5  # Glorot uniform
                w.copy_((torch.rand(w.shape, generator=gen) * 2 - 1) * limit)
                m.bias.zero_()
    count = sum(p.numel() for p in model.parameters())
    if count != PARAMS:
        raise SystemExit(f"cnn_torch.py: model has {count} parameters, expected {PARAMS}")
    return model


def train_epoch(torch, model, opt, x, y, batch, gen, deadline=None):
    """One epoch over x (N x 1 x 28 x 28), cut short once time.perf_counter()
    passes `deadline`; returns (images trained on, their mean loss)."""
    F = torch.nn.functional
    perm = torch.randperm(x.shape[0], generator=gen)
    total = 0.0
    done = 0
    for start in range(0, x.shape[0], batch):
        idx = perm[start:start + batch]
        xb = x.index_select(0, idx)
        yb = y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * idx.numel()  # Keras-style running loss: one sync per step, as ours
        done += idx.numel()
        if deadline is not None and time.perf_counter() > deadline:
            break
    return done, total / done


def run_config(name, images, batch, epochs, seed, budget_s):
    """Measure one configuration in this process and print its JSON lines."""
    import torch

    threads, extra = CONFIGS[name]
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(images, 1, 28, 28, generator=gen, dtype=torch.float32)
    y = torch.randint(0, 10, (images,), generator=gen)
    env_keys = ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE")
    print(json.dumps({
        "kind": "torch_env", "config": name, "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
        "env": {k: os.environ.get(k) for k in env_keys},
    }), flush=True)

    model = build_model(torch, gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    # Warm-up on a slice: thread pools, oneDNN primitive caches, allocator, first-touch pages.
    warm = min(images, 20 * batch)
    train_epoch(torch, model, opt, x[:warm], y[:warm], batch, gen)
    rates = []  # seconds per image of each timed epoch
    seconds = []
    measured = images
    loss = float("nan")
    for _ in range(epochs):
        start = time.perf_counter()
        deadline = start + budget_s if budget_s else None
        done, loss = train_epoch(torch, model, opt, x, y, batch, gen, deadline)
        seconds.append(time.perf_counter() - start)
        rates.append(seconds[-1] / done)
        measured = min(measured, done)
        if done < images:
            break  # cut short: this config is far slower than the best so far
    best = min(rates)
    finite = all(bool(torch.isfinite(p).all()) for p in model.parameters()) and loss == loss
    print(json.dumps({
        "kind": "torch_epoch", "config": name, "torch_threads": threads, "env": extra,
        "batch": batch, "images": images, "images_measured": measured, "epochs": len(seconds),
        "seconds": [round(s, 4) for s in seconds], "samples_per_s": round(1 / best, 1),
        "s_per_epoch": round(best * EPOCH_IMAGES, 4), "finite": finite,
    }), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=EPOCH_IMAGES, help="images timed (epoch time is scaled to 50,000)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1, help="timed epochs per config; the best is kept")
    ap.add_argument("--configs", default=",".join(DEFAULT_CONFIGS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=1.5,
                    help="a config is cut short after this many times the best config's time so far "
                         "(its epoch time is then scaled from the images it did); 0: never")
    ap.add_argument("--budget-s", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--run-config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.images < 1 or args.batch < 1 or args.epochs < 1:
        sys.exit("--images, --batch and --epochs must be positive integers")

    if args.run_config:
        run_config(args.run_config, args.images, args.batch, args.epochs, args.seed, args.budget_s)
        return

    names = [c for c in args.configs.split(",") if c]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        sys.exit(f"unknown config(s) {unknown}; known: {list(CONFIGS)}")
    results = []
    for name in names:
        cmd = [sys.executable, os.path.abspath(__file__), "--run-config", name,
               "--images", str(args.images), "--batch", str(args.batch),
               "--epochs", str(args.epochs), "--seed", str(args.seed)]
        finished = [r for r in results if r["finite"]]
        if args.budget > 0 and finished:
            best_s = min(r["s_per_epoch"] for r in finished) * args.images / EPOCH_IMAGES
            cmd += ["--budget-s", str(max(args.budget * best_s, 2.0))]
        results += run_child(cmd, name, CONFIGS[name][1])
    mine = [r for r in results if r["finite"]]
    if mine:
        best = min(mine, key=lambda r: r["s_per_epoch"])
        print(json.dumps({**best, "kind": "torch_best"}), flush=True)


if __name__ == "__main__":
    main()
