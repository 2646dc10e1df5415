"""How much a preset's published recipe varies from seed to seed: trains it with several
seeds (into a temporary folder; the committed weights are untouched) and prints each test
accuracy, their mean and spread, beside the accuracy the tutorial published.

    .venv/bin/python -m benchmarks.seeds --preset lstm64 [--seeds 0 1 2 3 4] [--recipe published] [train.py flags]

Other flags go to train.py as they are, e.g. --no-standardise (raw pixels into the network).
"""
import argparse
import json
import statistics
import tempfile
from pathlib import Path

from model import PRESETS
from tests.helpers import MNIST_DIR, run_train


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", required=True, choices=sorted(PRESETS))
    p.add_argument("--recipe", default="published", choices=["published", "default"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--data-dir", default=str(MNIST_DIR))
    args, train_flags = p.parse_known_args()
    accuracies, seconds = [], []
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            out = Path(folder) / f"seed{seed}.pt"
            proc = run_train("--preset", args.preset, "--recipe", args.recipe, "--data-dir", args.data_dir,
                             "--seed", str(seed), "--out", str(out), *train_flags, timeout=None)
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            accuracies.append(result["test_accuracy"])
            seconds.append(result["seconds"])
            print(json.dumps({"seed": seed, "test_accuracy": result["test_accuracy"], "seconds": result["seconds"]}),
                  flush=True)
    print(json.dumps({"preset": args.preset, "recipe": args.recipe, "train_flags": train_flags, "seeds": args.seeds,
                      "mean": round(statistics.mean(accuracies), 4), "min": min(accuracies), "max": max(accuracies),
                      "stdev": round(statistics.stdev(accuracies), 4) if len(accuracies) > 1 else 0.0,
                      "mean_seconds": round(statistics.mean(seconds), 1),
                      "published": PRESETS[args.preset].published_accuracy or "none published"}))


if __name__ == "__main__":
    main()
