"""The classic configurations: train.py reproduces each with one flag, and the committed
weights of every preset are what their cards say, traced honestly by the app's trace."""
import json

import pytest
import torch

import train
from model import PRESETS, ModelConfig, load_model, trace
from tests.helpers import ROOT
from tests.test_train import SMALL, run_train

RECIPE_KEYS = ("optimizer", "lr", "schedule", "batch_size", "epochs", "weight_decay", "clip", "label_smoothing", "ema",
               "augment", "pen_fraction")


def recipe_of(args) -> dict:
    return {key: getattr(args, key) for key in RECIPE_KEYS}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_sets_its_network_and_published_recipe(name):
    preset, args = PRESETS[name], train.parse_args(["--preset", name])
    assert (args.cell, args.hidden_size, args.layers, args.bidirectional) == (
        preset.config.cell, preset.config.hidden_size, preset.config.num_layers, preset.config.bidirectional)
    assert recipe_of(args) == {**recipe_of(args), **preset.published_recipe}
    assert args.optimizer == "adam" and args.schedule == "constant" and not args.augment and args.ema == 0
    assert args.out == str(ROOT / "weights" / f"{name}.pt")


def test_default_recipe_keeps_the_network_and_takes_the_project_recipe():
    default, args = train.parse_args([]), train.parse_args(["--preset", "bilstm64", "--recipe", "default"])
    assert recipe_of(args) == recipe_of(default)
    assert (args.cell, args.hidden_size, args.layers, args.bidirectional) == ("lstm", 64, 1, True)
    assert args.out == str(ROOT / "weights" / "bilstm64.default-recipe.pt")


def test_recipe_without_a_preset_is_refused_and_plain_runs_record_the_default_recipe():
    assert train.parse_args([]).recipe == "default"
    with pytest.raises(SystemExit):
        train.parse_args(["--recipe", "published"])


def test_flags_given_with_a_preset_still_win():
    args = train.parse_args(["--preset", "lstm64", "--epochs", "3", "--lr", "0.002", "--out", "x.pt"])
    assert (args.epochs, args.lr, args.out, args.batch_size) == (3, 0.002, "x.pt", 64)


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
    assert model.metadata == {"test_accuracy": card["test_accuracy"], "date": card["date"], "preset": name,
                              "recipe": recipe}  # what the page says about the model
    expected = preset.published_recipe if recipe == "published" else recipe_of(train.parse_args([]))
    assert {key: card["recipe"][key] for key in expected} == expected
    images = torch.rand(4, 28, 28)
    torch.testing.assert_close(trace(model, images).probs, torch.softmax(model(images), -1), atol=1e-5, rtol=1e-4)
