"""model.calibration and the model's temperature: stored in and read from the weights file, applied
to the logits and to the trace, fitted on held-out data; the ECE and the not-sure threshold."""
import json

import numpy as np
import pytest
import torch

from model import ModelConfig, RowClassifier, load_model, save_model, trace
from model.calibration import expected_calibration_error, fit_temperature, unsure_threshold
from tests.helpers import ROOT

SMALL = ModelConfig(hidden_size=16, num_layers=1)


def test_temperature_is_stored_in_and_read_from_the_weights_file(tmp_path):
    torch.manual_seed(0)
    model = RowClassifier(SMALL).eval()
    images = torch.rand(5, 28, 28)
    before = model(images)
    model.temperature.fill_(0.7)
    save_model(model, tmp_path / "w.pt", metadata={"unsure_below": 0.81})
    loaded = load_model(tmp_path / "w.pt")
    assert loaded.temperature.item() == pytest.approx(0.7)
    assert loaded.metadata["unsure_below"] == 0.81
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), before / 0.7)  # the answer's logits are calibrated
        # ...and so are the probabilities the page shows (the trace), at the last row and at every row.
        traced = trace(loaded, images)
        torch.testing.assert_close(traced.probs, torch.softmax(before / 0.7, 1))
    assert loaded.num_params() == model.num_params()  # a buffer, not a parameter


def test_weights_saved_without_a_temperature_load_with_temperature_one(tmp_path):
    model = RowClassifier(SMALL).eval()
    save_model(model, tmp_path / "old.pt")
    blob = torch.load(tmp_path / "old.pt", weights_only=True)
    del blob["state_dict"]["temperature"], blob["tensors_sha256"]  # as files written before calibration (and checksums)
    torch.save(blob, tmp_path / "old.pt")
    loaded = load_model(tmp_path / "old.pt")
    assert loaded.temperature.item() == 1.0
    images = torch.rand(3, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), model(images))


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20_000, 10, generator=generator) * 3
    labels = torch.multinomial(torch.softmax(logits / 2.0, 1), 1, generator=generator)[:, 0]
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.05)
    overconfident = torch.multinomial(torch.softmax(logits / 0.5, 1), 1, generator=generator)[:, 0]
    assert fit_temperature(logits, overconfident) == pytest.approx(0.5, rel=0.05)


def test_expected_calibration_error():
    probs = np.full((10, 10), 0.2 / 9)
    probs[:, 0] = 0.8  # every answer "0", 80% sure
    assert expected_calibration_error(probs, [0] * 8 + [1, 2]) == pytest.approx(0.0)  # right 8 times in 10
    assert expected_calibration_error(probs, [0] * 10) == pytest.approx(0.2)  # right always: 20% underconfident
    assert expected_calibration_error(probs, [1] * 10) == pytest.approx(0.8)


def test_unsure_threshold_lets_few_real_digits_be_unsure_and_is_at_least_a_half():
    confidence = np.linspace(0.3, 1.0, 1001)
    assert unsure_threshold(confidence) == pytest.approx(0.5)  # 1% quantile is 0.307: floored at 0.5
    confident = np.linspace(0.9, 1.0, 1001)
    threshold = unsure_threshold(confident)
    assert (confident < threshold).mean() <= 0.011 and threshold > 0.9


def test_committed_default_weights_carry_their_calibration_and_card():
    model = load_model()
    card = json.loads((ROOT / "weights" / "default.json").read_text())
    assert model.temperature.item() == pytest.approx(card["calibration"]["temperature"], abs=1e-4)
    assert model.metadata["unsure_below"] == card["calibration"]["unsure_below"] == card["pen_digits"]["unsure_below"]
    assert 0.5 <= model.metadata["unsure_below"] < 1


def test_pen_digit_report_with_fewer_mnist_digits_than_pen_digits(mnist_dir):
    """The report's sets differ in size (a full run has 3,898 pen digits and 2,000 MNIST ones)."""
    import train
    from model.calibration import pen_digit_report
    images, labels = train.load_mnist(str(mnist_dir), train=False, download=False, limit=10)
    report = pen_digit_report(RowClassifier(SMALL).eval(), 0.6, limit=24, mnist_test=(images.numpy(), labels.numpy()))
    assert report["mnist_redrawn"]["n"] == 10 and report["uji"]["n"] + report["pendigits"]["n"] == 24
