"""Weights files: round trip, the committed default, clear errors, atomic writes."""
import os
import pickle
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from model import DEFAULT_WEIGHTS, ModelConfig, RowClassifier, WeightsError, load_model, save_model
from tests.helpers import DAMAGE, ROOT, damaged_weights


def small_model(seed=0, **config):
    torch.manual_seed(seed)
    return RowClassifier(ModelConfig(hidden_size=8, num_layers=1, **config)).eval()


def test_round_trip_keeps_config_and_outputs(tmp_path):
    model = small_model(cell="gru", bidirectional=True)
    save_model(model, tmp_path / "w.pt", metadata={"note": "test"})
    loaded = load_model(tmp_path / "w.pt")
    images = torch.rand(4, 28, 28)
    assert loaded.config == model.config
    assert not loaded.training and next(loaded.parameters()).device.type == "cpu"
    torch.testing.assert_close(loaded(images), model(images))


def test_default_weights_load_from_the_repo():
    model = load_model()
    assert DEFAULT_WEIGHTS == ROOT / "weights" / "default.pt"
    assert model.config.cell == "lstm" and not model.training
    assert model.num_params() <= 300_000


def test_missing_file_says_how_to_train_one(tmp_path):
    with pytest.raises(WeightsError, match="not found.*make train"):
        load_model(tmp_path / "nope.pt")


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_file_is_a_clear_error(tmp_path, damage):
    path, message = damaged_weights(tmp_path / "w.pt", damage)
    with pytest.raises(WeightsError, match=message):
        load_model(path)


def test_file_from_another_config_is_refused(tmp_path):
    path = tmp_path / "w.pt"
    save_model(small_model(), path)
    with pytest.raises(WeightsError, match="another config"):
        load_model(path, expected_config=ModelConfig())


def test_other_files_are_not_mistaken_for_weights(tmp_path):
    path = tmp_path / "state.pt"
    torch.save(small_model().state_dict(), path)  # a bare state dict, no config
    with pytest.raises(WeightsError, match="not a weights file"):
        load_model(path)


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_loading_never_unpickles_code(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "row-rnn-v1", "payload": Payload()}, f, protocol=2)
    with pytest.raises(WeightsError, match="refused unread"):
        load_model(path)


WRITER = """
import sys, torch
from model import ModelConfig, RowClassifier, save_model
path = sys.argv[1]
for i in range(10_000):
    torch.manual_seed(i)
    save_model(RowClassifier(ModelConfig(hidden_size=256, num_layers=2)), path)
    print(i, flush=True)
"""


def test_a_writer_killed_mid_write_leaves_loadable_weights(tmp_path):
    path = tmp_path / "w.pt"
    save_model(small_model(), path)
    rng = random.Random(0)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # it has written at least once; now kill it somewhere in a later write
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        model = load_model(path)  # never a half-written file
        assert model.config.hidden_size == 256
