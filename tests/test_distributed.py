"""train.py unchanged under PyTorch's own launcher: torchrun with 2 CPU processes (gloo)."""
import json
import os
import subprocess
import sys

import pytest
import torch

from model import load_model
from tests.helpers import ROOT, SMALL_TEST, SMALL_TRAINING

pytestmark = pytest.mark.training  # see pyproject.toml's markers


def test_torchrun_two_processes_write_one_loadable_model_equal_across_ranks(tmp_path, mnist_dir):
    out = tmp_path / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "train.py",
               "--data-dir", str(mnist_dir), "--device", "cpu", "--epochs", "2", *SMALL_TRAINING, "--out", str(out)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["processes"] == 2
    assert result["max_weight_difference_between_processes"] == 0.0  # DDP kept every rank identical
    model = load_model(out)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["command"].startswith("torchrun --nproc_per_node=2 train.py")
    assert [e["epoch"] for e in card["history"]] == [1, 2]
    # Metrics were reduced over both ranks: the test accuracy counts all SMALL_TEST test images.
    assert card["n_test"] == SMALL_TEST and round(card["test_accuracy"] * SMALL_TEST) == card["test_accuracy"] * SMALL_TEST
    assert model.num_params() == result["params"]
    # Only rank 0 wrote: one weights file, one card, one checkpoint, no temp files left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp.ckpt", "ddp.curves.png", "ddp.json", "ddp.pt"]
    assert torch.load(out.with_suffix(".ckpt"), weights_only=True)["epoch"] == 2
