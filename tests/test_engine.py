"""demo/engine/cells.js and reading.js (the network and its reading in the page's worker) give
what Python gives: model.trace's every value within 1e-4 for every served model, and
demo/reading.py's label, "not sure", decision row and status sentence for real pen digits.

Python writes the models (model.export) and fixed 28x28 inputs (float32), node runs the engine on
them (tests/js/run_engine.js), and Python compares. Both sides read the same 28x28 images: the
preprocessing's own agreement is tests/test_engine_preprocess.py's."""
import dataclasses
import json
import shutil
import subprocess
from functools import cache

import numpy as np
import pytest
import torch

import train
from demo.reading import reading, status
from demo.strings import LANGUAGES
from model import GATE_NAMES, RowTrace, WhatIf, load_model, trace
from model.attribution import patch_importance, row_importance
from model.calibration import spread
from model.export import export_model, exported_checksum
from model.pen_digits import replay
from tests.helpers import ROOT, pen_digits_or_missing

RUNNER = ROOT / "tests" / "js" / "run_engine.js"
SERVED = sorted((ROOT / "weights").glob("*.pt"))  # the app serves every weights file beside the default
TOLERANCE = 1e-4
AGREEMENT = 0.999  # of the pen drawings whose label and status sentence must equal Python's
BATCH = 500  # images traced at once in Python (a trace keeps every gate of every row)


@pytest.fixture(scope="module")
def node():
    """CI runs these tests: a missing node fails them, never skips them."""
    if shutil.which("node") is None:
        pytest.fail("node not found (`make node` installs Debian's nodejs)")


def run_engine(*args) -> str:
    done = subprocess.run(["node", str(RUNNER), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@cache
def exported(path) -> tuple:
    """The model in a weights file and its row-weights-v1 export, as the app serves it."""
    model = load_model(path)
    return model, export_model(model, path.stem)


@pytest.fixture(scope="module")
def fixed_inputs(mnist_dir) -> np.ndarray:
    """(N, 28, 28) float32: MNIST test digits, the test writers' pen digits as the page reads
    them, an empty image, an all-ink one and uniform noise."""
    mnist, _ = train.load_mnist(str(mnist_dir), train=False, download=False)
    mnist = mnist.numpy()[::2000].astype(np.float32) / 255
    pen, _ = replay(spread(pen_digits_or_missing("test"), 4), seed=0)
    noise = np.random.default_rng(0).uniform(0, 1, (1, 28, 28)).astype(np.float32)
    return np.concatenate([mnist, pen, np.zeros((1, 28, 28), np.float32), np.ones((1, 28, 28), np.float32), noise])


def engine_traces(blob: bytes, images: np.ndarray, folder, what_if: WhatIf | None = None) -> dict[str, np.ndarray]:
    """The engine's trace of each image as {"hidden", "cell" (LSTM), each gate, "probs_per_row"},
    each (image, layer, direction, row, unit) (probs: (image, row, class)); with `what_if`'s
    interventions when given."""
    (folder / "model.weights").write_bytes(blob)
    images.astype("<f4").tofile(folder / "images.bin")
    what_if_file = []
    if what_if is not None:
        (folder / "what_if.json").write_text(json.dumps(dataclasses.asdict(what_if)))
        what_if_file = [folder / "what_if.json"]
    run_engine("trace", folder / "model.weights", folder / "images.bin", folder / "out.bin", *what_if_file)
    header = json.loads(blob[4:4 + int.from_bytes(blob[:4], "little")])
    config = header["config"]
    state = (config["num_layers"], 2 if config["bidirectional"] else 1, 28, config["hidden_size"])
    names = ["hidden", *(["cell"] if config["cell"] == "lstm" else []), *GATE_NAMES[config["cell"]]]
    shapes = {**{name: state for name in names}, "probs_per_row": (28, 10)}  # run_engine.js's order
    out = np.fromfile(folder / "out.bin", "<f4").reshape(len(images), -1)
    arrays, at = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        arrays[name] = out[:, at:at + size].reshape(len(images), *shape)
        at += size
    assert at == out.shape[1]
    return arrays


def python_traces(model, images: np.ndarray, what_if: WhatIf | None = None) -> dict[str, np.ndarray]:
    """model.trace's arrays with the image axis first, named as engine_traces names them."""
    row_trace = trace(model, torch.from_numpy(images), what_if)
    per_image = lambda t: np.moveaxis(t.numpy(), 2, 0)  # noqa: E731  (layer, direction, image, ...) -> (image, ...)
    arrays = {"hidden": per_image(row_trace.hidden), **{name: per_image(g) for name, g in row_trace.gates.items()},
              "probs_per_row": row_trace.probs_per_row.numpy()}
    if row_trace.cell is not None:
        arrays["cell"] = per_image(row_trace.cell)
    return arrays


@pytest.mark.parametrize("path", SERVED, ids=lambda path: path.stem)
def test_every_served_models_export_hashes_to_its_cards_checksum(path):
    _, blob = exported(path)
    assert exported_checksum(blob) == json.loads(path.with_suffix(".json").read_text())["tensors_sha256"]


@pytest.mark.parametrize("path", SERVED, ids=lambda path: path.stem)
def test_the_engines_trace_equals_model_trace(path, fixed_inputs, node, tmp_path):
    model, blob = exported(path)
    engine = engine_traces(blob, fixed_inputs, tmp_path)
    expected = python_traces(model, fixed_inputs)
    assert engine.keys() == expected.keys()
    differences = {name: float(np.abs(engine[name] - expected[name]).max()) for name in expected}
    print(f"{path.stem}: largest difference {max(differences.values()):.2g} "
          f"({', '.join(f'{name} {d:.1g}' for name, d in differences.items())})")
    assert max(differences.values()) <= TOLERANCE, differences


WHAT_IFS = [WhatIf(erased_rows=(1, 2, 3, 20)), WhatIf(from_row=14, memory="wipe"), WhatIf(from_row=9, memory="forget"),
            WhatIf(from_row=1, memory="keep"), WhatIf(from_row=28, memory="wipe"),
            WhatIf(erased_rows=(5,), from_row=12, memory="keep", silenced=(0, 0, 3)), WhatIf(from_row=17, silenced=(-1, -1, 0))]


@pytest.mark.parametrize("path", [ROOT / "weights" / f"{name}.pt" for name in ("default", "bilstm64", "gru128", "rnn64")],
                         ids=lambda path: path.stem)
def test_whatif_the_engines_interventions_equal_pythons(path, fixed_inputs, node, tmp_path):
    """Each what-if (erased rows; from a row on: memory wiped, forgotten or kept, a unit
    silenced, in the last layer and direction too) gives the same trace in the engine and in
    model.trace, on MNIST and pen digits; and each changes something."""
    model, blob = exported(path)
    config = model.config
    images = fixed_inputs[::3]
    plain = python_traces(model, images)
    for what_if in WHAT_IFS:
        if what_if.silenced:  # -1: the last layer or direction of this model
            layer, direction, unit = what_if.silenced
            what_if = dataclasses.replace(what_if, silenced=(layer % config.num_layers, direction % config.directions, unit))
        if config.cell == "rnn" and what_if.memory in ("forget", "keep"):
            with pytest.raises(ValueError, match="no gate"):
                python_traces(model, images, what_if)
            continue
        engine, expected = engine_traces(blob, images, tmp_path, what_if), python_traces(model, images, what_if)
        largest = max(float(np.abs(engine[name] - expected[name]).max()) for name in expected)
        assert largest <= TOLERANCE, (what_if, largest)
        assert np.abs(expected["probs_per_row"] - plain["probs_per_row"]).max() > 1e-4, what_if


@pytest.mark.parametrize("path", [ROOT / "weights" / f"{name}.pt" for name in ("default", "gru128")], ids=lambda path: path.stem)
def test_attribution_the_engines_drops_equal_pythons(path, fixed_inputs, node, tmp_path):
    """Which rows and pixels mattered: the worker's drops of P(answer) (attribution.js) are
    model.attribution's, for MNIST and pen digits, the empty image and noise."""
    model, blob = exported(path)
    images = fixed_inputs[::4]
    (tmp_path / "model.weights").write_bytes(blob)
    images.astype("<f4").tofile(tmp_path / "images.bin")
    engine = json.loads(run_engine("attribution", tmp_path / "model.weights", tmp_path / "images.bin"))
    for image, drops in zip(images, engine):
        assert np.abs(np.array(drops["rows"]) - row_importance(model, image)).max() <= TOLERANCE
        assert np.abs(np.array(drops["patches"]).reshape(28, 28) - patch_importance(model, image)).max() <= TOLERANCE


def one_image(batch: RowTrace, i: int) -> RowTrace:
    """The i-th image of a batch's trace, as a batch of one (what demo/reading.py reads)."""
    one = lambda t: t[:, :, i:i + 1]  # noqa: E731
    return RowTrace(hidden=one(batch.hidden), cell=None if batch.cell is None else one(batch.cell),
                    gates={gate: one(g) for gate, g in batch.gates.items()}, probs_per_row=batch.probs_per_row[i:i + 1])


def python_readings(model, images: np.ndarray, name: str) -> list[dict]:
    """demo/reading.py's reading of each image, the images traced BATCH at a time."""
    readings = []
    for start in range(0, len(images), BATCH):
        part = images[start:start + BATCH]
        batch = trace(model, torch.from_numpy(part))
        readings += [reading(image, one_image(batch, i), model, name) for i, image in enumerate(part)]
    return readings


@pytest.mark.slow  # about 45 s on a 2-core CPU: drawing 3898 digits (16 s), the engine reading them (25 s)
def test_the_engines_reading_of_real_pen_digits_equals_pythons(node, tmp_path):
    """Every test writer's digit (model.pen_digits' test split: UJI 40-59, pendigits' test
    writers, 3898 digits) drawn once on the page's canvas (replay, seed 0) and read by the
    default model: the engine's label, "not sure", decision row and status sentence are
    Python's for >= 99.9% of the drawings."""
    images, _ = replay(pen_digits_or_missing("test"), seed=0, processes=2)
    model, blob = exported(ROOT / "weights" / "default.pt")
    (tmp_path / "model.weights").write_bytes(blob)
    images.astype("<f4").tofile(tmp_path / "images.bin")
    engine = json.loads(run_engine("reading", tmp_path / "model.weights", tmp_path / "images.bin", "default"))
    python = python_readings(model, images, "default")
    assert len(engine) == len(python) == len(images)
    same = {field: sum(js[field] == py[field] for js, py in zip(engine, python))
            for field in ("label", "unsure", "decision_row", "status")}
    assert all(js["format"] == py["format"] and js["model"] == py["model"] for js, py in zip(engine, python))
    print(f"{len(images)} pen drawings, the same on both sides: " + ", ".join(f"{f} {n}" for f, n in same.items()))
    assert min(same.values()) >= AGREEMENT * len(images), same


EDGES = [0.0, 1.0, 0.5, 0.125, 0.135, 0.845, 0.005, 0.015, 0.025, 0.995, 0.9949999, 0.0049999, 1 / 64, 3 / 64,
         5 / 64, 0.785, 0.7854, 0.3333333, 2 / 3, 0.285, 0.565, 0.575, 0.605, 0.615]


def status_cases() -> tuple[list[dict], list[float]]:
    """Readings' fields for status() (the two most probable digits at edge values, on every digit
    in turn; sure or not; with a decision row or none; one direction or two) and numbers to
    round, every edge of round(x, 5) and f"{x:.0%}" we could think of. No two probabilities of a
    reading are equal: see topTwo in reading.js for numpy's order among equals."""
    numbers = EDGES + [k / 1000 for k in range(1001)] + [k / 200 for k in range(201)] + [k / 64 for k in range(65)]
    numbers += [float(x) for x in np.random.default_rng(3).uniform(0, 1, 300).astype(np.float32)]  # float32's values
    readings = []
    for n, (one, other) in enumerate(zip(EDGES, EDGES[::-1])):
        first, second = n % 10, (n + 1 + n // 10) % 10
        probs = [(k + 1) * 1e-5 for k in range(10)]  # the eight others: small and all different
        probs[first], probs[second] = max(one, other), min(one, other)
        for unsure in (True, False):
            for row in (None, 1, 7, 28):
                for directions in (1, 2):
                    readings.append({"probs": probs, "unsure": unsure, "decision_row": row,
                                     "model": {"directions": directions}})
    return readings, numbers


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_sentences_and_rounding_equal_pythons_to_the_character(language, node, tmp_path):
    readings, numbers = status_cases()
    (tmp_path / "cases.json").write_text(json.dumps({"readings": readings, "numbers": numbers}))
    engine = json.loads(run_engine("status", tmp_path / "cases.json", language))
    assert engine["status"] == [status(r, language) for r in readings]
    assert engine["rounded"] == [round(x, 5) for x in numbers]
    assert engine["percent"] == [f"{x:.0%}" for x in numbers]
