#!/usr/bin/env python3
"""PyTorch-on-CUDA yardstick for the CUDA MLP benchmark (native/tests/bench_cuda_mlp.cpp).

Same recipe: 784-400-700-10 sigmoid MLP, softmax cross-entropy, float32 (TF32
off), manual minibatch SGD  W <- W - alpha_t (mean grad + 2 lambda W),
b <- b - alpha_t mean grad, alpha_t = alpha0 / (1 + delta t), the data
reshuffled on the GPU every epoch, 50,000 random rows resident on the GPU.
PyTorch runs cuBLAS for the products, so this is a strong yardstick for the
GEMMs; in eager mode it pays Python and dispatcher overhead per operation.

Prints seconds per epoch (median of --epochs after one warm-up epoch) and
samples/s for each batch size.
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", default="32,64,128", help="comma-separated batch sizes")
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs per batch size")
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()

    dev = torch.device(args.device)
    # Plain float32 arithmetic, as our kernels do.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)

    inputs, h1, h2, outputs = 784, 400, 700, 10
    alpha0, delta, lam = 0.1, 1e-4, 1e-4
    x = torch.rand(args.rows, inputs, device=dev)
    y = torch.randint(0, outputs, (args.rows,), device=dev)

    def glorot(fan_in: int, fan_out: int) -> torch.Tensor:
        d = (6.0 / (fan_in + fan_out)) ** 0.5
        return ((torch.rand(fan_in, fan_out, device=dev) * 2 - 1) * d).requires_grad_()

    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"PyTorch {torch.__version__} on {name}: 784-400-700-10 sigmoid, {args.rows} rows, fp32 (TF32 off), "
          f"manual SGD with decay; median of {args.epochs} epochs after a warm-up epoch")
    print(f"{'batch':>6} {'s/epoch':>12} {'best s':>12} {'samples/s':>12}")

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize()

    for batch in [int(b) for b in args.batch.split(",")]:
        W = [glorot(inputs, h1), glorot(h1, h2), glorot(h2, outputs)]
        b = [torch.zeros(n, device=dev, requires_grad=True) for n in (h1, h2, outputs)]
        params = W + b
        t = 0

        def epoch(t: int) -> int:
            perm = torch.randperm(args.rows, device=dev)
            for first in range(0, args.rows, batch):
                idx = perm[first:first + batch]
                xb, yb = x[idx], y[idx]
                a1 = torch.sigmoid(torch.addmm(b[0], xb, W[0]))
                a2 = torch.sigmoid(torch.addmm(b[1], a1, W[1]))
                z = torch.addmm(b[2], a2, W[2])
                loss = F.cross_entropy(z, yb)  # mean over the minibatch
                grads = torch.autograd.grad(loss, params)
                alpha = alpha0 / (1.0 + delta * t)
                with torch.no_grad():
                    for w, g in zip(W, grads[:3]):
                        w.mul_(1.0 - 2.0 * alpha * lam).add_(g, alpha=-alpha)
                    for bb, g in zip(b, grads[3:]):
                        bb.add_(g, alpha=-alpha)
                t += 1
            return t

        t = epoch(t)  # warm-up
        sync()
        secs = []
        for _ in range(args.epochs):
            sync()
            t0 = time.perf_counter()
            t = epoch(t)
            sync()
            secs.append(time.perf_counter() - t0)
        med = statistics.median(secs)
        print(f"{batch:>6} {med:>12.4f} {min(secs):>12.4f} {args.rows / med:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
