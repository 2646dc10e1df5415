"""Named models: the classic MNIST-row RNNs of the tutorials this project grew from.

Each preset is a network (a ModelConfig) and the recipe it was published with (a Recipe), so
`python train.py --preset NAME` reproduces it as published and `python train.py --preset NAME
--recipe default` trains the same network with this project's own recipe. The trained weights
live in weights/NAME.pt (published recipe) and weights/NAME.default-recipe.pt (default recipe);
weights/default.pt is the project's model, which is lstm128x2's network with the default recipe.
"""
from dataclasses import dataclass, replace
from pathlib import Path

from .model import ModelConfig
from .recipe import PLAIN, Recipe
from .weights import DEFAULT_WEIGHTS

WEIGHTS_DIR = DEFAULT_WEIGHTS.parent
RECIPES = ("published", "default")


@dataclass(frozen=True)
class Preset:
    name: str
    config: ModelConfig
    published: Recipe  # the recipe of the published training
    published_accuracy: str | None  # as the tutorial reports it; None when none was published

    def recipe(self, which: str = "published") -> Recipe:
        """The published recipe, or this project's default one ("default")."""
        return self.published if which == "published" else Recipe()

    def weights_path(self, recipe: str = "published") -> Path:
        return WEIGHTS_DIR / (f"{self.name}.pt" if recipe == "published" else f"{self.name}.{recipe}-recipe.pt")

    def is_default_model(self, recipe: str) -> bool:
        """True where this network and recipe are the project's own model (weights/default.pt)."""
        return recipe == "default" and self.config == ModelConfig()


PRESETS = {preset.name: preset for preset in [
    Preset("lstm64", ModelConfig("lstm", 64, 1), replace(PLAIN, lr=0.01, batch_size=64, epochs=1), "about 96-97%"),
    Preset("bilstm64", ModelConfig("lstm", 64, 1, bidirectional=True), replace(PLAIN, lr=1e-3, batch_size=32, epochs=30),
           "98.15%"),
    Preset("lstm128x2", ModelConfig("lstm", 128, 2), replace(PLAIN, lr=1e-3, batch_size=100, epochs=5), "98.17%"),
    Preset("rnn64", ModelConfig("rnn", 64, 1), replace(PLAIN, lr=0.01, batch_size=64, epochs=1), None),
    # No tutorial to follow: the plain recipe of lstm128x2 (Adam 1e-3, batch 100, 5 epochs).
    Preset("gru128", ModelConfig("gru", 128, 1), replace(PLAIN, lr=1e-3, batch_size=100, epochs=5), None),
]}


def trainings() -> list[tuple[str, str]]:
    """(preset, recipe) for every committed training `make presets` runs: each preset as
    published and with the default recipe, except the one that is the default model."""
    return [(name, recipe) for recipe in RECIPES for name, preset in PRESETS.items()
            if not preset.is_default_model(recipe)]


if __name__ == "__main__":  # for the Makefile: `python -m model.presets` lists the trainings
    print("\n".join(f"{name} {recipe}" for name, recipe in trainings()))
