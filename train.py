"""Train the row-by-row digit classifier on MNIST and write the weights the app loads.

    python train.py --data-dir ../shared/data/mnist            # the default recipe
    python train.py --eval-only --weights weights/default.pt    # test accuracy as JSON
    python train.py --preset lstm64                             # a tutorial's model, as published
    python train.py --preset lstm64 --recipe default            # the same network, this recipe

    torchrun --nproc_per_node=N train.py ...                    # N processes (DDP)

The default recipe: AdamW with a one-cycle learning-rate schedule, gradient clipping, light label
smoothing, half of the training digits shown as the app shows drawings (through its own
preprocessing, strokes redrawn at MNIST's width), batched augmentation on the device
(random affine, thicker/thinner strokes, elastic wobble, part of each batch left clean),
and an exponential moving average (EMA) of the weights, which is what gets evaluated and
saved. Every epoch ends with a test-set evaluation, a checkpoint (for --resume) and a PNG
of the curves; every file is written atomically, so killing the run at any moment leaves
the previous files loadable.
"""
import argparse
import json
import math
import multiprocessing
import os
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DistributedSampler

from model.preprocess import to_mnist
from model import (DEFAULT_WEIGHTS, PRESETS, ModelConfig, RowClassifier, WeightsError, atomic_torch_save,
                   atomic_write, load_model, read_weights_file, save_model)

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="a classic configuration (model/presets.py): its network, and its published recipe")
    p.add_argument("--recipe", choices=["published", "default"],
                   help="with --preset: train as published (its default), or with this project's default recipe")
    p.add_argument("--data-dir", default="data", help="torchvision MNIST root (holds MNIST/raw/)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST when missing")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--out", default=str(DEFAULT_WEIGHTS), help="weights file to write (card, curves, checkpoint beside it)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--optimizer", default="adamw", choices=["adamw", "adam"])
    p.add_argument("--lr", type=float, default=3e-3, help="learning rate (the peak of the one-cycle schedule)")
    p.add_argument("--schedule", default="onecycle", choices=["onecycle", "constant"])
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (0 disables)")
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay of the saved weights (0 disables)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True, help="training augmentation")
    p.add_argument("--clean-fraction", type=float, default=0.25, help="share of each batch left un-augmented")
    p.add_argument("--pen-fraction", type=float, default=0.5,
                   help="share of training images shown as the app shows drawings (through to_mnist)")
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    p.add_argument("--hidden-size", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--standardise", action=argparse.BooleanOptionalAction, default=True,
                   help="the model standardises its input pixels (--no-standardise: raw [0, 1] pixels)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint beside --out")
    p.add_argument("--eval-only", action="store_true", help="print the test accuracy of --weights as JSON and exit")
    p.add_argument("--weights", default=None, help="weights to evaluate with --eval-only (default: --out)")
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N training images (smoke tests)")
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on only the first N test images")
    # A preset only changes defaults: any flag given on the command line still wins.
    chosen = p.parse_known_args(argv)[0]
    if chosen.recipe and not chosen.preset:
        p.error("--recipe goes with --preset (without one, the default recipe is used)")
    if chosen.preset:
        recipe = chosen.recipe or "published"
        preset = PRESETS[chosen.preset]
        p.set_defaults(**preset.settings(recipe), out=str(preset.weights_path(recipe)), recipe=recipe)
    else:
        p.set_defaults(recipe="default")  # what the card and weights record
    return p.parse_args(argv)


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda but no CUDA device is available; use --device cpu or auto")
    return torch.device("cuda" if name == "cuda" or (name == "auto" and torch.cuda.is_available()) else "cpu")


def start_processes(device_name: str):
    """(rank, world size, device). Under torchrun (WORLD_SIZE > 1) this process joins the
    group: NCCL between GPUs, one GPU per process; gloo between CPU processes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = pick_device(device_name)
    if world == 1:
        return 0, 1, device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world, device


def summed(world: int, *values: float, device="cpu") -> list[float]:
    """Sum numbers over all processes (metrics of a distributed run); unchanged in a single one."""
    if world == 1:
        return list(values)
    total = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.tolist()


def load_mnist(data_dir: str, train: bool, download: bool, limit=None):
    """MNIST as (uint8 images (N, 28, 28), int64 labels), straight from the IDX files."""
    from torchvision.datasets import MNIST
    raw = Path(data_dir) / "MNIST" / "raw"
    missing = [name for name in MNIST_FILES if not (raw / name).exists()]
    if missing and not download:
        sys.exit(f"error: MNIST not found: {raw} lacks {', '.join(missing)}. Pass --data-dir pointing at the "
                 f"folder that holds MNIST/raw/ (here: ../shared/data/mnist), or drop --no-download to fetch it.")
    try:
        dataset = MNIST(data_dir, train=train, download=download)
    except Exception as exc:  # offline download failures come in many types
        sys.exit(f"error: MNIST is not in {raw} and downloading it failed ({type(exc).__name__}: {exc}). "
                 f"Pass --data-dir pointing at the folder that holds MNIST/raw/.")
    images, labels = dataset.data, dataset.targets
    return (images[:limit], labels[:limit]) if limit else (images, labels)


def augment(images: torch.Tensor, generator: torch.Generator, clean_fraction: float) -> torch.Tensor:
    """Batched augmentation of (N, 28, 28) floats in [0, 1]: draws like people draw.

    Random affine (rotation, scale, shear, shift), strokes made thicker or thinner, and a
    smooth elastic wobble; the first `clean_fraction` of the batch is left as it is.
    """
    n, device = images.shape[0], images.device
    rand = lambda *shape: torch.rand(*shape, generator=generator, device=device)  # noqa: E731
    x = images[:, None]
    # Stroke width: dilate (max-pool) a third of the batch, half-erode a sixth.
    width = rand(n, 1, 1, 1)
    thicker = F.max_pool2d(x, 3, stride=1, padding=1)
    thinner = 0.5 * (x - F.max_pool2d(-x, 3, stride=1, padding=1))  # halfway to the min-pool (erosion)
    x = torch.where(width < 1 / 3, thicker, torch.where(width > 5 / 6, thinner, x))
    # Affine: rotation +-15 deg, scale 0.8-1.15, shear +-0.25, shift +-2.5 px (of 28).
    angle = (rand(n) * 2 - 1) * math.radians(15)
    scale = 0.8 + rand(n) * 0.35
    shear = (rand(n) * 2 - 1) * 0.25
    shift = (rand(n, 2) * 2 - 1) * (2.5 / 14)  # grid units: 14 px per unit
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear * cos, shift[:, 0]], 1),
                         torch.stack([sin, cos + shear * sin, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    # Elastic: a random 4x4 displacement field, smoothly upsampled, up to ~1.5 px.
    wobble = (rand(n, 2, 4, 4) * 2 - 1) * (1.5 / 14)
    grid = grid + F.interpolate(wobble, size=(28, 28), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, 0]
    keep = torch.arange(n, device=device) < int(clean_fraction * n)
    return torch.where(keep[:, None, None], images, x.clamp(0, 1))


def as_the_app_sees_them(images: torch.Tensor, processes: int) -> torch.Tensor:
    """MNIST images passed through the app's own preprocessing (model.preprocess.to_mnist:
    strokes redrawn at MNIST's typical width, re-centred), so that training also sees
    digits exactly as drawings reach the model. Computed once per run, in parallel."""
    with multiprocessing.Pool(processes) as pool:
        redrawn = pool.map(to_mnist, images.numpy(), chunksize=256)
    return torch.stack([torch.from_numpy(r) if r is not None else img.float() / 255 for r, img in zip(redrawn, images)])


@torch.no_grad()
def count_correct(model, images, labels, batch_size=1000) -> int:
    model.eval()
    return sum((model(images[i:i + batch_size]).argmax(1) == labels[i:i + batch_size]).sum().item()
               for i in range(0, len(images), batch_size))


class Progress:
    """A one-line progress bar per epoch (redrawn on a terminal, every quarter in logs)."""

    def __init__(self, epoch, epochs, steps, show=True):
        self.epoch, self.epochs, self.steps, self.start = epoch, epochs, steps, time.time()
        self.tty, self.show = sys.stderr.isatty(), show

    def update(self, step, loss, acc):
        if not self.show or not (self.tty or step in {self.steps // 4, self.steps // 2, 3 * self.steps // 4}):
            return
        done = int(30 * step / self.steps)
        print(f"\repoch {self.epoch}/{self.epochs} [{'#' * done}{'.' * (30 - done)}] {step}/{self.steps} "
              f"loss {loss:.4f} train-acc {acc:.2%} {time.time() - self.start:.0f}s",
              end="" if self.tty else "\n", file=sys.stderr, flush=True)


def plot_curves(history, path):
    """Training loss and test error per epoch as a small PNG, drawn with Pillow."""
    from PIL import Image, ImageDraw
    w, h, pad = 640, 300, 40
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    # Test error on a log scale: the last tenths of a percent are the interesting part.
    panels = [("train loss", [e["train_loss"] for e in history], (31, 119, 180), None),
              ("test error % (log scale)", [100 * (1 - e["test_accuracy"]) for e in history], (214, 39, 40), math.log10)]
    for i, (title, shown, colour, scale) in enumerate(panels):
        values = [scale(max(v, 1e-3)) for v in shown] if scale else shown
        x0, x1, y0, y1 = pad + i * w // 2, (i + 1) * w // 2 - 10, pad, h - pad
        draw.rectangle([x0, y0, x1, y1], outline="black")
        lo, hi = min(values), max(values)
        lo, hi = (lo - 0.5, hi + 0.5) if hi - lo < 1e-9 else (lo, hi)
        draw.text((x0, 10), f"{title}: last {shown[-1]:.4g}, min {min(shown):.4g}, max {max(shown):.4g}", fill="black")
        draw.text((x0, y1 + 8), f"epoch 1 .. {len(values)}", fill="black")
        pts = [(x0 + (x1 - x0) * (j / max(1, len(values) - 1)), y1 - (y1 - y0) * (v - lo) / (hi - lo))
               for j, v in enumerate(values)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        else:
            draw.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=colour)
    atomic_write(path, lambda f: img.save(f, format="PNG"))


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    checkpoint_path = out.with_suffix(".ckpt")

    if args.eval_only:
        device = pick_device(args.device)
        weights = args.weights or args.out
        try:
            model = load_model(weights).to(device)
        except WeightsError as exc:
            sys.exit(f"error: {exc}")
        test_x, test_y = load_mnist(args.data_dir, train=False, download=not args.no_download, limit=args.test_limit)
        correct = count_correct(model, test_x.to(device).float() / 255, test_y.to(device))
        print(json.dumps({"test_accuracy": correct / len(test_y), "n": len(test_y), "params": model.num_params(),
                          "weights": str(weights), "config": model.config.to_dict()}))
        return

    # One process, or one of several under torchrun. Rank 0 alone prints and writes files.
    rank, world, device = start_processes(args.device)
    main_process = rank == 0
    log = (lambda *a, **k: print(*a, **k, file=sys.stderr, flush=True)) if main_process else (lambda *a, **k: None)
    if args.batch_size % world:
        sys.exit(f"error: --batch-size {args.batch_size} must divide among {world} processes")
    rank_batch = args.batch_size // world  # the global batch stays --batch-size, so the recipe (lr) stays too

    # Data: the whole of MNIST fits in memory (and on any GPU), so batches are plain slices.
    train_x, train_y = load_mnist(args.data_dir, train=True, download=not args.no_download, limit=args.train_limit)
    test_x, test_y = load_mnist(args.data_dir, train=False, download=not args.no_download, limit=args.test_limit)
    processes = max(1, (os.cpu_count() or 1) // world)
    pen_x = as_the_app_sees_them(train_x, processes).to(device) if args.pen_fraction > 0 else None
    train_x, train_y = train_x.to(device).float() / 255, train_y.to(device)
    test_x, test_y = test_x.to(device).float() / 255, test_y.to(device)
    # Each process takes its share of a shuffled order, new every epoch (set_epoch).
    sampler = DistributedSampler(range(len(train_x)), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)

    # Model, optimiser, schedule, EMA of the weights.
    torch.manual_seed(args.seed)  # the same initial weights in every process
    config = ModelConfig(cell=args.cell, hidden_size=args.hidden_size, num_layers=args.layers,
                         bidirectional=args.bidirectional, dropout=args.dropout, standardise=args.standardise)
    model = RowClassifier(config).to(device)
    trained = DistributedDataParallel(model) if world > 1 else model  # averages gradients across processes
    optimizer = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}[args.optimizer](
        model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(sampler) / rank_batch)
    if args.schedule == "onecycle":
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                       steps_per_epoch=steps_per_epoch, pct_start=0.2)
    else:
        schedule = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema)) if args.ema > 0 else None
    history, start_epoch, seconds = [], 1, 0.0

    if args.resume:
        try:
            checkpoint = read_weights_file(checkpoint_path)
        except WeightsError as exc:
            sys.exit(f"error: cannot resume: {exc}")
        if checkpoint["args"]["epochs"] != args.epochs or ModelConfig(**checkpoint["config"]) != config:
            sys.exit(f"error: {checkpoint_path} is from a run with other settings (epochs "
                     f"{checkpoint['args']['epochs']}, config {checkpoint['config']}); resume with the same ones")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        schedule.load_state_dict(checkpoint["schedule"])
        if ema is not None:
            ema.load_state_dict(checkpoint["ema"])
        history, seconds = checkpoint["history"], checkpoint["seconds"]
        start_epoch = checkpoint["epoch"] + 1
        log(f"resumed from {checkpoint_path} after epoch {checkpoint['epoch']}")

    log(f"training {config} ({model.num_params():,} parameters) on {device} x {world} process(es), "
        f"{len(train_x)} images, batch {args.batch_size}, epochs {start_epoch}..{args.epochs}")
    for epoch in range(start_epoch, args.epochs + 1):
        started = time.time()
        trained.train()
        # Seeded per epoch (and process), so a resumed run sees the same batches as an uninterrupted one.
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler), device=device)
        generator = torch.Generator(device).manual_seed(args.seed * 10_000 + epoch * 100 + rank)
        progress = Progress(epoch, args.epochs, steps_per_epoch, show=main_process)
        loss_sum, correct, seen = 0.0, 0, 0
        for step in range(1, steps_per_epoch + 1):
            batch = order[(step - 1) * rank_batch: step * rank_batch]
            images, labels = train_x[batch], train_y[batch]
            if pen_x is not None:
                as_drawn = torch.rand(len(batch), generator=generator, device=device) < args.pen_fraction
                images = torch.where(as_drawn[:, None, None], pen_x[batch], images)
            if args.augment:
                images = augment(images, generator, args.clean_fraction)
            logits = trained(images)
            loss = F.cross_entropy(logits, labels, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            schedule.step()
            if ema is not None:
                ema.update_parameters(model)
            loss_sum += loss.item() * len(batch)
            correct += (logits.argmax(1) == labels).sum().item()
            seen += len(batch)
            progress.update(step, loss_sum / seen, correct / seen)
        if progress.tty and main_process:
            print(file=sys.stderr)

        # Metrics over all processes: each evaluates its share of the test set.
        evaluated = ema.module if ema is not None else model
        test_correct = count_correct(evaluated, test_x[rank::world], test_y[rank::world])
        loss_sum, correct, seen, test_correct = summed(world, loss_sum, correct, seen, test_correct, device=device)
        test_accuracy = test_correct / len(test_y)
        seconds += time.time() - started
        history.append({"epoch": epoch, "train_loss": loss_sum / seen, "train_accuracy": correct / seen,
                        "test_accuracy": test_accuracy, "seconds": round(seconds, 1)})
        log(f"epoch {epoch}/{args.epochs}: train loss {loss_sum / seen:.4f}, test accuracy "
            f"{test_accuracy:.2%} ({len(test_y)} images), {seconds:.0f}s so far")
        if main_process:
            atomic_torch_save({"format": "row-rnn-checkpoint-v1", "epoch": epoch, "args": vars(args),
                               "config": config.to_dict(), "model": model.state_dict(),
                               "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                               "ema": ema.state_dict() if ema is not None else {}, "history": history,
                               "seconds": seconds}, checkpoint_path)
            plot_curves(history, out.with_suffix(".curves.png"))

    # The weights the app loads, and the model card beside them.
    final = (ema.module if ema is not None else model).eval()
    differs = 0.0
    if world > 1:  # every process must hold the same weights: compare with rank 0's
        mine = torch.cat([p.detach().flatten() for p in final.parameters()])
        reference = mine.clone()
        dist.broadcast(reference, src=0)
        differs = summed(world, (mine - reference).abs().max().item(), device=device)[0]
    if main_process:
        launcher = f"torchrun --nproc_per_node={world} " if world > 1 else "python "
        card = {
            "weights": out.name, "config": config.to_dict(), "params": final.num_params(),
            "test_accuracy": history[-1]["test_accuracy"], "n_test": len(test_y), "n_train": len(train_x),
            "command": launcher + shlex.join(sys.argv if argv is None else ["train.py", *argv]),
            "seconds": round(seconds, 1), "processes": world,
            "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
            "threads": torch.get_num_threads(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "torch": torch.__version__,
            "recipe": {k: v for k, v in vars(args).items() if k not in {"out", "weights", "resume", "eval_only"}},
            "history": history,
        }
        metadata = {"test_accuracy": card["test_accuracy"], "date": card["date"],
                    "preset": args.preset or "", "recipe": args.recipe}
        card["tensors_sha256"] = save_model(final.cpu(), out, metadata=metadata)  # load_model checks both
        atomic_write(out.with_suffix(".json"), lambda f: f.write((json.dumps(card, indent=2) + "\n").encode()))
        print(json.dumps({"test_accuracy": card["test_accuracy"], "n": len(test_y), "params": card["params"],
                          "seconds": card["seconds"], "processes": world,
                          "max_weight_difference_between_processes": differs, "weights": str(out)}))
    if world > 1:
        dist.barrier()  # no process leaves before the files are written
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
