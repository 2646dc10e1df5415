"""train.py on small slices of the real MNIST: it trains, writes loadable weights and a card,
resumes after being killed, evaluates, and says clearly what is wrong."""
import json
import math
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
from PIL import Image

import train
from model import ModelConfig, RowClassifier, load_model, read_weights_file, save_model
from tests.helpers import ROOT, SMALL_TRAIN, run_train
from tests.helpers import SMALL_TRAINING as SMALL

pytestmark = pytest.mark.training  # see pyproject.toml's markers


def test_smoke_run_writes_loadable_weights_card_curves_and_checkpoint(tmp_path, mnist_dir):
    out = tmp_path / "w.pt"
    proc = run_train("--data-dir", str(mnist_dir), "--epochs", "1", "--device", "cpu", "--out", str(out), *SMALL)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    model = load_model(out)
    assert result["params"] == model.num_params()
    card = json.loads(out.with_suffix(".json").read_text())
    for key in ("config", "params", "test_accuracy", "command", "seconds", "device", "date", "torch"):
        assert key in card
    assert card["test_accuracy"] == result["test_accuracy"] and card["n_train"] == SMALL_TRAIN and card["device"] == "cpu"
    # Real pen digits and scrawls joined the SMALL_TRAIN MNIST digits; a temperature was fitted on other writers,
    # stored in the weights with the not-sure threshold, and the pen figures are in the card.
    assert card["n_train_pen"] > 0 and card["n_train_not_digits"] > 0
    assert model.temperature.item() == pytest.approx(card["calibration"]["temperature"], abs=1e-4)
    assert model.metadata["unsure_below"] == card["calibration"]["unsure_below"]
    assert {"uji", "pendigits", "ece_before", "ece_after", "not_sure_letters", "mnist_redrawn"} <= set(card["pen_digits"])
    assert card["command"].startswith("python train.py") and "--epochs 1" in card["command"]
    assert Image.open(out.with_suffix(".curves.png")).size[0] > 100
    assert out.with_suffix(".ckpt").exists()
    assert "epoch 1/1" in proc.stderr  # the progress line


def test_eval_only_prints_one_json_line(tmp_path, mnist_dir):
    out = tmp_path / "w.pt"
    run_train("--data-dir", str(mnist_dir), "--epochs", "1", "--out", str(out), *SMALL)
    proc = run_train("--data-dir", str(mnist_dir), "--eval-only", "--weights", str(out), "--test-limit", "300")
    result = json.loads(proc.stdout)
    assert result["n"] == 300 and result["params"] == load_model(out).num_params()
    assert 0 <= result["test_accuracy"] <= 1


@pytest.mark.parametrize("weights", sorted(p.name for p in (ROOT / "weights").glob("*.pt")))
def test_committed_weights_match_their_card(mnist_dir, weights):
    """The card's accuracy is what the committed weights score on all 10,000 test images."""
    path = ROOT / "weights" / weights
    card = json.loads(path.with_suffix(".json").read_text())
    proc = run_train("--data-dir", str(mnist_dir), "--eval-only", "--weights", str(path))
    result = json.loads(proc.stdout)
    assert result["n"] == card["n_test"] == 10_000
    assert result["params"] == card["params"] <= 300_000
    assert math.isclose(result["test_accuracy"], card["test_accuracy"], abs_tol=1e-4)


def test_missing_mnist_is_a_clear_error(tmp_path):
    proc = run_train("--data-dir", str(tmp_path), "--no-download", "--epochs", "1", "--out", str(tmp_path / "w.pt"),
                     check=False)
    assert proc.returncode != 0
    assert "MNIST not found" in proc.stderr and "--data-dir" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_cuda_without_a_gpu_is_a_clear_error(tmp_path):
    proc = run_train("--device", "cuda", "--out", str(tmp_path / "w.pt"), check=False)
    assert proc.returncode != 0 and "no CUDA device" in proc.stderr


def test_killed_runs_keep_old_weights_and_resume_matches_an_uninterrupted_run(tmp_path, mnist_dir):
    args = ["--data-dir", str(mnist_dir), "--epochs", "6", "--device", "cpu", *SMALL]
    # An uninterrupted reference run, timed: the killed runs below die well before their end.
    started = time.time()
    run_train(*args, "--out", str(tmp_path / "reference.pt"))
    duration = time.time() - started
    # Earlier weights at the target path (a smaller network, so no run of these settings could write
    # them, not even its first weights), then runs killed with SIGKILL at random moments.
    out, checkpoint = tmp_path / "w.pt", tmp_path / "w.ckpt"
    save_model(RowClassifier(ModelConfig(hidden_size=16)), out)
    before = load_model(out).state_dict()
    rng = random.Random(0)
    for attempt in range(4):
        if attempt == 3:  # the checkpoint to resume from is this run's (an earlier run may have ended on its own)
            checkpoint.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "train.py", *args, "--out", str(out)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt < 3:  # anywhere in the first 60%: start-up, data, training, writing a checkpoint
            time.sleep(rng.uniform(0.05, 0.6) * duration)
        else:  # and once surely after a checkpoint, to resume from
            deadline = time.time() + 120
            while not checkpoint.exists():
                assert proc.poll() is None and time.time() < deadline, "the run ended before its first checkpoint"
                time.sleep(0.01)
        if proc.poll() is not None:  # it ended before its moment (the reference ran on a busier machine):
            before = load_model(out).state_dict()  # its new weights are what the next kills must keep
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The old weights are still there and whole; any checkpoint left behind is whole too.
        for name, tensor in load_model(out).state_dict().items():
            assert torch.equal(tensor, before[name])
        if checkpoint.exists():
            read_weights_file(checkpoint)
    killed_after = torch.load(checkpoint, weights_only=True)["epoch"]
    assert killed_after < 6, "the run finished before it was killed"
    # --resume finishes the run, and ends where the uninterrupted run ended.
    resumed = run_train(*args, "--out", str(out), "--resume")
    assert f"after epoch {killed_after}" in resumed.stderr
    card = json.loads(out.with_suffix(".json").read_text())
    assert [e["epoch"] for e in card["history"]] == list(range(1, 7))
    reference = load_model(tmp_path / "reference.pt").state_dict()
    for name, tensor in load_model(out).state_dict().items():
        torch.testing.assert_close(tensor, reference[name], atol=1e-6, rtol=0)


def test_resume_from_another_version_or_recipe_is_a_clear_error(tmp_path, mnist_dir):
    out = tmp_path / "w.pt"
    run_train("--data-dir", str(mnist_dir), "--epochs", "2", "--out", str(out), *SMALL)
    proc = run_train("--data-dir", str(mnist_dir), "--epochs", "2", "--lr", "0.1", "--out", str(out), "--resume", *SMALL,
                     check=False)
    assert proc.returncode != 0 and "other settings" in proc.stderr and "Traceback" not in proc.stderr
    checkpoint = torch.load(out.with_suffix(".ckpt"), weights_only=True)
    torch.save({**checkpoint, "format": "row-rnn-checkpoint-v1"}, out.with_suffix(".ckpt"))
    proc = run_train("--data-dir", str(mnist_dir), "--epochs", "2", "--out", str(out), "--resume", *SMALL, check=False)
    assert proc.returncode != 0 and "not a checkpoint of this train.py" in proc.stderr and "Traceback" not in proc.stderr


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, mnist_dir):
    proc = run_train("--data-dir", str(mnist_dir), "--out", str(tmp_path / "w.pt"), "--resume", *SMALL, check=False)
    assert proc.returncode != 0 and "cannot resume" in proc.stderr and "not found" in proc.stderr


def test_augmentation_varies_position_size_and_stroke_width_and_keeps_a_clean_share(mnist_dir):
    images, _ = train.load_mnist(str(mnist_dir), train=False, download=False, limit=400)
    images = images.float() / 255
    out = train.augment(images, torch.Generator().manual_seed(0), clean_fraction=0.25)
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    clean = int(0.25 * len(images))
    assert torch.equal(out[:clean], images[:clean])
    changed = (out[clean:] - images[clean:]).abs().flatten(1).max(1).values
    assert (changed > 0.1).float().mean() > 0.95
    # Stroke width: ink mass both grows (thicker) and shrinks (thinner) across the batch.
    ratio = out[clean:].flatten(1).sum(1) / images[clean:].flatten(1).sum(1)
    assert ratio.min() < 0.8 and ratio.max() > 1.4
    # Position: centres of mass move by pixels, not by nothing.
    rows = torch.arange(28.0)
    centre = lambda x: (x.sum(2) * rows).sum(1) / x.sum((1, 2))  # noqa: E731
    assert (centre(out[clean:]) - centre(images[clean:])).abs().max() > 1.5
    # Same generator seed, same batch.
    again = train.augment(images, torch.Generator().manual_seed(0), clean_fraction=0.25)
    assert torch.equal(out, again)


def test_training_sees_digits_as_the_app_shows_them(mnist_dir):
    """--pen-fraction: training images passed through the app's own to_mnist."""
    from model.preprocess import to_mnist
    images, _ = train.load_mnist(str(mnist_dir), train=False, download=False, limit=40)
    redrawn = train.as_the_app_sees_them(images, processes=2)
    assert redrawn.shape == (40, 28, 28) and redrawn.dtype == torch.float32
    for image, out in zip(images[:5], redrawn[:5]):
        assert torch.equal(out, torch.from_numpy(to_mnist(image.numpy())))
