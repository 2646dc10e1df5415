"""The classic configurations: train.py reproduces each with one flag, and the committed
weights of every preset are what their cards say, traced honestly by the app's trace."""
import json
import subprocess
import sys

import pytest
import torch

import train
from model import PRESETS, ModelConfig, load_model, trace
from model.presets import trainings
from model.recipe import Recipe
from tests.helpers import ROOT, run_train
from tests.helpers import SMALL_TRAINING as SMALL


def network_and_recipe(argv):
    args = train.parse_args(argv)
    return train.settings_of(ModelConfig, args), train.settings_of(Recipe, args), args


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_sets_its_network_and_published_recipe(name):
    preset = PRESETS[name]
    config, recipe, args = network_and_recipe(["--preset", name])
    assert config == preset.config and recipe == preset.published
    assert recipe.optimizer == "adam" and recipe.schedule == "constant" and not recipe.augment and recipe.ema == 0
    assert args.out == str(ROOT / "weights" / f"{name}.pt")


def test_default_recipe_keeps_the_network_and_takes_the_project_recipe():
    config, recipe, args = network_and_recipe(["--preset", "bilstm64", "--recipe", "default"])
    assert recipe == Recipe() and recipe != PRESETS["bilstm64"].published
    assert config == ModelConfig("lstm", 64, 1, bidirectional=True)
    assert args.out == str(ROOT / "weights" / "bilstm64.default-recipe.pt")
    assert network_and_recipe(["--preset", "lstm128x2", "--recipe", "default"])[1] == Recipe() == network_and_recipe([])[1]


def test_flags_are_made_from_the_dataclasses():
    """Every ModelConfig and Recipe field is a flag, with the field's default; the cell's choices are the registry's."""
    config, recipe, _ = network_and_recipe(["--cell", "gru", "--num-layers", "3", "--no-augment", "--lr", "0.5"])
    assert config == ModelConfig(cell="gru", num_layers=3) and recipe == Recipe(augment=False, lr=0.5)
    assert network_and_recipe(["--layers", "1"])[0].num_layers == 1  # the older spelling still works
    with pytest.raises(SystemExit):
        train.parse_args(["--cell", "transformer"])


def test_make_presets_trains_what_the_preset_list_says():
    """The Makefile reads the list (python -m model.presets): every preset both ways, except the default model."""
    listed = subprocess.run([sys.executable, "-m", "model.presets"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split("\n")
    assert [tuple(line.split()) for line in listed if line] == trainings()
    assert ("lstm128x2", "default") not in trainings() and len(trainings()) == 2 * len(PRESETS) - 1


def test_recipe_without_a_preset_is_refused_and_plain_runs_record_the_default_recipe():
    assert train.parse_args([]).recipe == "default"
    with pytest.raises(SystemExit):
        train.parse_args(["--recipe", "published"])


def test_flags_given_with_a_preset_still_win():
    args = train.parse_args(["--preset", "lstm64", "--epochs", "3", "--lr", "0.002", "--out", "x.pt"])
    assert (args.epochs, args.lr, args.out, args.batch_size) == (3, 0.002, "x.pt", 64)
    assert args.recipe == "published"


@pytest.mark.training
def test_preset_run_trains_that_network_and_records_the_recipe(tmp_path, mnist_dir):
    out = tmp_path / "rnn.pt"
    run_train("--preset", "rnn64", "--data-dir", str(mnist_dir), "--out", str(out), *SMALL)
    model = load_model(out, expected_config=PRESETS["rnn64"].config)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["recipe"]["preset"] == "rnn64" and card["recipe"]["optimizer"] == "adam"
    assert model.metadata["recipe"] == "published" and model.metadata["preset"] == "rnn64"


COMMITTED = [(name, recipe) for name in sorted(PRESETS) for recipe in ("published", "default")
             if PRESETS[name].weights_path(recipe).exists()]


def test_every_preset_has_committed_weights_for_its_published_recipe():
    assert {name for name, recipe in COMMITTED if recipe == "published"} == set(PRESETS)


@pytest.mark.parametrize("name,recipe", COMMITTED)
def test_committed_preset_weights_were_made_by_their_recipe_and_trace_like_the_module(name, recipe):
    preset = PRESETS[name]
    path = preset.weights_path(recipe)
    model = load_model(path, expected_config=preset.config)
    card = json.loads(path.with_suffix(".json").read_text())
    assert ModelConfig(**card["config"]) == preset.config and card["params"] == model.num_params()
    assert f"--preset {name}" in card["command"] and card["recipe"]["recipe"] == recipe
    # What the page says about the model; weights trained since calibration existed carry theirs.
    calibrated = {"unsure_below": card["calibration"]["unsure_below"]} if "calibration" in card else {}
    assert model.metadata == {"test_accuracy": card["test_accuracy"], "date": card["date"], "preset": name,
                              "recipe": recipe, **calibrated}
    assert model.temperature.item() == pytest.approx(card.get("calibration", {}).get("temperature", 1.0), abs=1e-4)
    expected = preset.recipe(recipe).to_dict()
    assert {key: card["recipe"][key] for key in expected} == expected
    images = torch.rand(4, 28, 28)
    torch.testing.assert_close(trace(model, images).probs, torch.softmax(model(images), -1), atol=1e-5, rtol=1e-4)
