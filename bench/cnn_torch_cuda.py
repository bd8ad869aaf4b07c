#!/usr/bin/python3
"""PyTorch yardstick of `bench/cnn-cuda.ts`: one epoch of each homework CNN on a GPU.

The three nets of src/trials/cnn/models.ts (parameter counts checked: cnn-light 25,258,
cnn 624,202, catsdogs 1,496,001), SGD, batch 64, fp32 (TF32 off), eager, the data already on
the device. Pixels are random: an epoch's time does not depend on them (dense fp32 arithmetic),
so MNIST-shaped (28x28x1, 50,000 images, 10 classes) and cats-vs-dogs-shaped (64x64x3, 8,000
images, 2 classes) tensors are made on the device from a fixed seed. One warm-up epoch, then
one timed epoch between torch.cuda.synchronize() calls. Prints one JSON line per model:
{"kind": "torch_epoch", "model", "device", "gpu", "images", "batch", "seconds", "images_per_s"}.

    python3 bench/cnn_torch_cuda.py [--device cuda|cpu] [--models cnn-light,cnn,catsdogs] [--images N]

--device cpu only smoke-tests the script on a machine without a GPU (use a small --images).
"""
import argparse
import json
import time

PARAMS = {"cnn-light": 25258, "cnn": 624202, "catsdogs": 1496001}
SHAPES = {"cnn-light": (1, 28, 10, 50000), "cnn": (1, 28, 10, 50000), "catsdogs": (3, 64, 2, 8000)}


def build(torch, name):
    nn = torch.nn
    def conv(cin, cout, k=3, stride=1, padding=1):
        return [nn.Conv2d(cin, cout, k, stride=stride, padding=padding), nn.ReLU()]
    pool = nn.MaxPool2d(2)
    if name == "cnn-light":
        layers = conv(1, 32) + [pool] + conv(32, 32) + [nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10)]
    elif name == "cnn":
        layers = conv(1, 64) + [pool] + conv(64, 128) + conv(128, 128) + [nn.MaxPool2d(2), nn.Flatten(),
                  nn.Linear(128 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10)]
    else:
        layers = conv(3, 64, 8, 2, 0) + [pool] + conv(64, 128) + conv(128, 256) + conv(256, 128) + [
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
            nn.Linear(128, 1)]
    model = nn.Sequential(*layers)
    count = sum(p.numel() for p in model.parameters())
    if count != PARAMS[name]:
        raise SystemExit(f"cnn_torch_cuda.py: {name} has {count} parameters, expected {PARAMS[name]}")
    return model


def epoch(torch, model, opt, x, y, batch, binary):
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    order = torch.randperm(n, device=x.device)
    total = 0.0
    for start in range(0, n, batch):
        idx = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        out = model(x[idx])
        loss = loss_fn(out.squeeze(1), y[idx].float()) if binary else loss_fn(out, y[idx])
        loss.backward()
        opt.step()
        total += loss.item() * idx.numel()  # a running loss read each step, as tfjs's fit does
    return total / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--models", default="cnn-light,cnn,catsdogs")
    ap.add_argument("--images", type=int, default=0, help="images per epoch (default: 50,000 MNIST-shaped, 8,000 cats/dogs)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("cnn_torch_cuda.py: no CUDA device visible to PyTorch")
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    for name in args.models.split(","):
        channels, size, classes, default_images = SHAPES[name]
        images = args.images or default_images
        gen = torch.Generator(device=device).manual_seed(args.seed)
        torch.manual_seed(args.seed)
        x = torch.rand((images, channels, size, size), generator=gen, device=device)
        y = torch.randint(0, classes, (images,), generator=gen, device=device)
        model = build(torch, name).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=args.lr)
        binary = classes == 2
        epoch(torch, model, opt, x, y, args.batch, binary)  # warm-up: kernels chosen, memory pooled
        sync()
        t0 = time.perf_counter()
        loss = epoch(torch, model, opt, x, y, args.batch, binary)
        sync()
        seconds = time.perf_counter() - t0
        print(json.dumps({"kind": "torch_epoch", "model": name, "device": device.type, "gpu": gpu, "images": images,
                          "batch": args.batch, "seconds": seconds, "images_per_s": images / seconds,
                          "loss": loss, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
