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
real pen-drawn digits of the training writers of two pen datasets drawn on the page's canvas
(model/pen_digits.py), and an exponential moving average (EMA) of the weights, which is what gets
evaluated and saved. After training, a temperature is fitted on other writers' pen digits
(model/calibration.py), and the card reports the test writers' figures. Every epoch ends with
a test-set evaluation, a checkpoint (for --resume) and a PNG
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
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from model import (
    DEFAULT_WEIGHTS,
    PRESETS,
    ModelConfig,
    RowClassifier,
    WeightsError,
    atomic_torch_save,
    atomic_write,
    load_model,
    read_weights_file,
    save_model,
)
from model.calibration import calibrate, pen_digit_report, spread
from model.pen_digits import load_pen_digits, not_digit_images, replay
from model.preprocess import to_mnist
from model.presets import RECIPES
from model.recipe import Recipe

NOT_A_DIGIT = -1  # the label of training scrawls (--not-digits)
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def add_flags(parser, cls, defaults) -> None:
    """One flag per field of a settings dataclass (ModelConfig or Recipe): the field's name,
    type and default; help text, choices and other spellings from its metadata."""
    for f in fields(cls):
        default = getattr(defaults, f.name)
        names = ["--" + f.name.replace("_", "-"), *f.metadata.get("flags", ())]
        if isinstance(default, bool):
            parser.add_argument(*names, dest=f.name, default=default, help=f.metadata["help"],
                                action=argparse.BooleanOptionalAction)
        else:
            parser.add_argument(*names, dest=f.name, default=default, type=type(default), help=f.metadata["help"],
                                choices=f.metadata.get("choices"))


def settings_of(cls, args):
    """The ModelConfig or Recipe that the parsed flags describe."""
    return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})


def parse_args(argv=None):
    """The run's plumbing, the network (ModelConfig) and the recipe (Recipe). --preset only changes
    defaults (its network, and its published recipe or --recipe default): flags given still win."""
    first = argparse.ArgumentParser(add_help=False)  # which preset and recipe set the defaults below
    first.add_argument("--preset")
    first.add_argument("--recipe")
    chosen = first.parse_known_args(argv)[0]
    preset = PRESETS.get(chosen.preset)
    recipe_name = chosen.recipe or ("published" if preset else "default")

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="a classic configuration (model/presets.py): its network, and its published recipe")
    p.add_argument("--recipe", choices=RECIPES,
                   help="with --preset: train as published (its default), or with this project's default recipe")
    p.add_argument("--data-dir", default="data", help="torchvision MNIST root (holds MNIST/raw/)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST when missing")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--out", default=str(preset.weights_path(recipe_name) if preset else DEFAULT_WEIGHTS),
                   help="weights file to write (card, curves, checkpoint beside it)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint beside --out")
    p.add_argument("--eval-only", action="store_true", help="print the test accuracy of --weights as JSON and exit")
    p.add_argument("--weights", default=None, help="weights to evaluate with --eval-only (default: --out)")
    p.add_argument("--train-limit", type=int, default=None,
                   help="smoke tests: the first N MNIST training images, about N pen drawings and at most N scrawls")
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on only the first N test images")
    add_flags(p.add_argument_group("network (model.ModelConfig)"), ModelConfig,
              preset.config if preset else ModelConfig())
    add_flags(p.add_argument_group("recipe (model.Recipe)"), Recipe, preset.recipe(recipe_name) if preset else Recipe())
    args = p.parse_args(argv)
    if args.recipe and not args.preset:
        p.error("--recipe goes with --preset (without one, the default recipe is used)")
    args.recipe = recipe_name  # what the card and weights record
    return args


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


def real_pen_digits(recipe: Recipe, processes: int, limit=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The training writers' real pen digits, each drawn `recipe.pen_copies` times (UJI's
    `recipe.uji_repeat` times as often) on the page's canvas with a varied hand and read by
    to_mnist: (float images (N, 28, 28), labels). With `limit` (smoke runs), about that many
    drawings (more where UJI's digits repeat), of digits spread over all of them."""
    try:
        digits = load_pen_digits("train")
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}; or pass --pen-copies 0 to train on MNIST alone")
    if limit:  # drawing was a third of a smoke run's time: about as many drawings as MNIST digits, not six times as many
        digits = spread(digits, max(1, limit // recipe.pen_copies))
    digits = [d for d in digits for _ in range(recipe.uji_repeat if d.dataset == "uji" else 1)]
    images, labels = replay(digits, seed=recipe.seed, copies=recipe.pen_copies, jitter=1.0, processes=processes)
    return torch.from_numpy(images), torch.from_numpy(labels)


@torch.no_grad()
def count_correct(model, images, labels, batch_size=1000) -> int:
    model.eval()
    return sum((model(images[i:i + batch_size]).argmax(1) == labels[i:i + batch_size]).sum().item()
               for i in range(0, len(images), batch_size))


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


CHECKPOINT_FORMAT = "row-rnn-checkpoint-v2"  # v2: network and recipe stored as ModelConfig and Recipe fields


@dataclass
class Learner:
    """The network and everything that updates it: optimiser, schedule, and the EMA of its weights."""
    model: RowClassifier
    trained: torch.nn.Module  # the model, wrapped for DDP when several processes train it
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    ema: AveragedModel | None

    @property
    def final(self) -> RowClassifier:
        """What is evaluated and saved: the EMA of the weights when there is one."""
        return self.ema.module if self.ema is not None else self.model


def build(config: ModelConfig, recipe: Recipe, steps_per_epoch: int, device, world: int) -> Learner:
    torch.manual_seed(recipe.seed)  # the same initial weights in every process
    model = RowClassifier(config).to(device)
    trained = DistributedDataParallel(model) if world > 1 else model  # averages gradients across processes
    optimizer = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}[recipe.optimizer](
        model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    if recipe.schedule == "onecycle":
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, epochs=recipe.epochs,
                                                       steps_per_epoch=steps_per_epoch, pct_start=0.2)
    else:
        schedule = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.ema)) if recipe.ema > 0 else None
    return Learner(model, trained, optimizer, schedule, ema)


def save_checkpoint(path, learner: Learner, config, recipe, epoch, history, seconds) -> None:
    atomic_torch_save({"format": CHECKPOINT_FORMAT, "epoch": epoch, "config": config.to_dict(),
                       "recipe": recipe.to_dict(), "model": learner.model.state_dict(),
                       "optimizer": learner.optimizer.state_dict(), "schedule": learner.schedule.state_dict(),
                       "ema": learner.ema.state_dict() if learner.ema is not None else {}, "history": history,
                       "seconds": seconds}, path)


def load_checkpoint(path, learner: Learner, config, recipe) -> tuple[int, list, float]:
    """Restore `learner` from the checkpoint at `path`; returns (epoch done, history, seconds).
    Exits with a clear message for a missing, foreign or mismatched checkpoint."""
    try:
        checkpoint = read_weights_file(path)
    except WeightsError as exc:
        sys.exit(f"error: cannot resume: {exc}")
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        found = checkpoint.get("format") if isinstance(checkpoint, dict) else None
        sys.exit(f"error: cannot resume: {path} is not a checkpoint of this train.py (format {found!r}, "
                 f"expected {CHECKPOINT_FORMAT!r}); start the run again without --resume")
    if checkpoint["config"] != config.to_dict() or checkpoint["recipe"] != recipe.to_dict():
        sys.exit(f"error: cannot resume: {path} is from a run with other settings (config {checkpoint['config']}, "
                 f"recipe {checkpoint['recipe']}); resume with the same ones")
    learner.model.load_state_dict(checkpoint["model"])
    learner.optimizer.load_state_dict(checkpoint["optimizer"])
    learner.schedule.load_state_dict(checkpoint["schedule"])
    if learner.ema is not None:
        learner.ema.load_state_dict(checkpoint["ema"])
    return checkpoint["epoch"], checkpoint["history"], checkpoint["seconds"]


def training_loss(logits: torch.Tensor, labels: torch.Tensor, recipe: Recipe) -> torch.Tensor:
    """Cross-entropy (label-smoothed) for digits; for not-digits (NOT_A_DIGIT), the cross-entropy
    towards equal odds for all ten digits, weighted by recipe.not_digit_weight."""
    is_digit = labels != NOT_A_DIGIT
    digit_loss = F.cross_entropy(logits, labels.clamp(min=0), label_smoothing=recipe.label_smoothing, reduction="none")
    equal_odds_loss = -F.log_softmax(logits, dim=1).mean(1)
    return torch.where(is_digit, digit_loss, recipe.not_digit_weight * equal_odds_loss).mean()


def train_one_epoch(learner: Learner, data: dict, recipe: Recipe, epoch: int, order: torch.Tensor,
                    rank_batch: int, generator: torch.Generator, show: bool) -> tuple[float, int, int, int]:
    """One pass over this process's share (`order`) of the training set; returns the summed
    loss, the number seen, and the number of digits answered correctly and seen (not counting scrawls)."""
    learner.trained.train()
    loss_sum, seen, correct, digits = 0.0, 0, 0, 0
    steps = math.ceil(len(order) / rank_batch)
    bar = tqdm(range(steps), desc=f"epoch {epoch}/{recipe.epochs}", disable=not show, file=sys.stderr,
               mininterval=1 if sys.stderr.isatty() else 30, leave=False)
    for step in bar:
        batch = order[step * rank_batch: (step + 1) * rank_batch]
        images, labels = data["train_x"][batch], data["train_y"][batch]
        if data["pen_x"] is not None:
            as_drawn = torch.rand(len(batch), generator=generator, device=images.device) < recipe.pen_fraction
            images = torch.where(as_drawn[:, None, None], data["pen_x"][batch], images)
        if recipe.augment:
            images = augment(images, generator, recipe.clean_fraction)
        logits = learner.trained(images)
        loss = training_loss(logits, labels, recipe)
        learner.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if recipe.clip > 0:
            torch.nn.utils.clip_grad_norm_(learner.model.parameters(), recipe.clip)
        learner.optimizer.step()
        learner.schedule.step()
        if learner.ema is not None:
            learner.ema.update_parameters(learner.model)
        loss_sum += loss.item() * len(batch)
        seen += len(batch)
        correct += (logits.argmax(1) == labels).sum().item()  # a scrawl (NOT_A_DIGIT) is never counted
        digits += (labels != NOT_A_DIGIT).sum().item()
        bar.set_postfix(loss=f"{loss_sum / seen:.4f}", train_acc=f"{correct / max(1, digits):.2%}", refresh=False)
    return loss_sum, seen, correct, digits


def model_card(out: Path, model: RowClassifier, config, recipe, args, history, seconds, world, device, n_train,
               n_test, command) -> dict:
    """The model card written beside the weights (NAME.json): what was trained, how, how long, how well.
    The tests read it back (committed weights == card)."""
    return {
        "weights": out.name, "config": config.to_dict(), "params": model.num_params(),
        "test_accuracy": history[-1]["test_accuracy"], "n_test": n_test, "n_train": n_train,
        "command": command, "seconds": round(seconds, 1), "processes": world,
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(), "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "torch": torch.__version__,
        "recipe": {**recipe.to_dict(), "preset": args.preset, "recipe": args.recipe},
        "history": history,
    }


def evaluate_only(args) -> None:
    """--eval-only: the test accuracy of --weights (default --out), as one JSON line."""
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


def main(argv=None):
    args = parse_args(argv)
    if args.eval_only:
        return evaluate_only(args)
    config, recipe = settings_of(ModelConfig, args), settings_of(Recipe, args)
    out = Path(args.out)
    checkpoint_path = out.with_suffix(".ckpt")

    # One process, or one of several under torchrun. Rank 0 alone prints and writes files.
    rank, world, device = start_processes(args.device)
    main_process = rank == 0
    log = (lambda *a, **k: print(*a, **k, file=sys.stderr, flush=True)) if main_process else (lambda *a, **k: None)
    if recipe.batch_size % world:
        sys.exit(f"error: --batch-size {recipe.batch_size} must divide among {world} processes")
    rank_batch = recipe.batch_size // world  # the global batch stays --batch-size, so the recipe (lr) stays too

    # Data: the whole of MNIST fits in memory (and on any GPU), so batches are plain slices.
    train_x, train_y = load_mnist(args.data_dir, train=True, download=not args.no_download, limit=args.train_limit)
    test_x, test_y = load_mnist(args.data_dir, train=False, download=not args.no_download, limit=args.test_limit)
    processes = max(1, (os.cpu_count() or 1) // world)
    pen_x = as_the_app_sees_them(train_x, processes) if recipe.pen_fraction > 0 else None
    train_x, n_mnist = train_x.float() / 255, len(train_x)
    if recipe.pen_copies > 0:  # real pen digits join the training set; they are already as the app sees them
        real_x, real_y = real_pen_digits(recipe, processes, limit=args.train_limit)
        train_x, train_y = torch.cat([train_x, real_x]), torch.cat([train_y, real_y])
        pen_x = torch.cat([pen_x, real_x]) if pen_x is not None else None
    if recipe.not_digits > 0:  # scrawls, labelled NOT_A_DIGIT: trained towards equal odds (outlier exposure)
        count = min(recipe.not_digits, args.train_limit or recipe.not_digits)  # smoke runs: as few as --train-limit
        scrawls = torch.from_numpy(not_digit_images("training scrawls", count, recipe.seed, processes))
        train_x, train_y = torch.cat([train_x, scrawls]), torch.cat([train_y, torch.full((len(scrawls),), NOT_A_DIGIT)])
        pen_x = torch.cat([pen_x, scrawls]) if pen_x is not None else None
    data = {"pen_x": pen_x.to(device) if pen_x is not None else None,
            "train_x": train_x.to(device), "train_y": train_y.to(device),
            "test_x": test_x.to(device).float() / 255, "test_y": test_y.to(device)}
    # Each process takes its share of a shuffled order, new every epoch (set_epoch).
    sampler = DistributedSampler(range(len(train_x)), num_replicas=world, rank=rank, shuffle=True, seed=recipe.seed)

    learner = build(config, recipe, math.ceil(len(sampler) / rank_batch), device, world)
    history, start_epoch, seconds = [], 1, 0.0
    if args.resume:
        done, history, seconds = load_checkpoint(checkpoint_path, learner, config, recipe)
        start_epoch = done + 1
        log(f"resumed from {checkpoint_path} after epoch {done}")

    log(f"training {config} ({learner.model.num_params():,} parameters) on {device} x {world} process(es), "
        f"{len(train_x)} images, batch {recipe.batch_size}, epochs {start_epoch}..{recipe.epochs}")
    for epoch in range(start_epoch, recipe.epochs + 1):
        started = time.time()
        # Seeded per epoch (and process), so a resumed run sees the same batches as an uninterrupted one.
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler), device=device)
        generator = torch.Generator(device).manual_seed(recipe.seed * 10_000 + epoch * 100 + rank)
        loss_sum, seen, correct, digits = train_one_epoch(learner, data, recipe, epoch, order, rank_batch, generator,
                                                          show=main_process)
        # Metrics over all processes: each evaluates its share of the test set.
        test_correct = count_correct(learner.final, data["test_x"][rank::world], data["test_y"][rank::world])
        loss_sum, seen, correct, digits, test_correct = summed(world, loss_sum, seen, correct, digits, test_correct,
                                                               device=device)
        test_accuracy = test_correct / len(test_y)
        seconds += time.time() - started
        history.append({"epoch": epoch, "train_loss": loss_sum / seen, "train_accuracy": correct / digits,
                        "test_accuracy": test_accuracy, "seconds": round(seconds, 1)})
        log(f"epoch {epoch}/{recipe.epochs}: train loss {loss_sum / seen:.4f}, test accuracy "
            f"{test_accuracy:.2%} ({len(test_y)} images), {seconds:.0f}s so far")
        if main_process:
            save_checkpoint(checkpoint_path, learner, config, recipe, epoch, history, seconds)
            plot_curves(history, out.with_suffix(".curves.png"))

    # The weights the app loads, and the model card beside them.
    final = learner.final.eval()
    differs = 0.0
    if world > 1:  # every process must hold the same weights: compare with rank 0's
        mine = torch.cat([p.detach().flatten() for p in final.parameters()])
        reference = mine.clone()
        dist.broadcast(reference, src=0)
        differs = summed(world, (mine - reference).abs().max().item(), device=device)[0]
    if main_process:
        # Honest confidence: a temperature fitted on held-out writers, then the test writers' figures.
        final = final.cpu()
        calibration = calibrate(final, seed=recipe.seed, limit=args.test_limit, processes=processes)
        pen_digits = pen_digit_report(final, calibration["unsure_below"], seed=recipe.seed, limit=args.test_limit,
                                      processes=processes, mnist_test=(test_x.numpy(), test_y.numpy()))
        log(f"calibrated: temperature {calibration['temperature']}, ECE on test writers {pen_digits['ece_before']:.2%}"
            f" -> {pen_digits['ece_after']:.2%}; pen test writers: UJI {pen_digits['uji']['accuracy']:.2%}, "
            f"pendigits {pen_digits['pendigits']['accuracy']:.2%}")
        launcher = f"torchrun --nproc_per_node={world} " if world > 1 else "python "
        command = launcher + shlex.join(sys.argv if argv is None else ["train.py", *argv])
        card = model_card(out, final, config, recipe, args, history, seconds, world, device, n_mnist,
                          len(test_y), command)
        card["n_train_pen"] = int((train_y[n_mnist:] != NOT_A_DIGIT).sum())  # real pen digits drawn (--pen-copies)
        card["n_train_not_digits"] = int((train_y == NOT_A_DIGIT).sum())  # scrawls (--not-digits)
        card["calibration"], card["pen_digits"] = calibration, pen_digits
        metadata = {"test_accuracy": card["test_accuracy"], "date": card["date"], "preset": args.preset or "",
                    "recipe": args.recipe, "unsure_below": calibration["unsure_below"]}
        card["tensors_sha256"] = save_model(final, out, metadata=metadata)  # load_model checks both
        atomic_write(out.with_suffix(".json"), lambda f: f.write((json.dumps(card, indent=2) + "\n").encode()))
        print(json.dumps({"test_accuracy": card["test_accuracy"], "n": len(test_y), "params": card["params"],
                          "seconds": card["seconds"], "processes": world,
                          "max_weight_difference_between_processes": differs, "weights": str(out)}))
    if world > 1:
        dist.barrier()  # no process leaves before the files are written
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
