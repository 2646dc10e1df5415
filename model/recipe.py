"""A training recipe: every setting of how train.py trains, apart from the network (ModelConfig)
and the plumbing of one run (data folder, device, output file).

train.py makes one command-line flag per field (`--batch-size` for `batch_size`, help text
and choices from the field's metadata), so a setting is declared once, here. A preset
(model/presets.py) is a network and the recipe it was published with.
"""
from dataclasses import asdict, dataclass, field, replace


def setting(default, help, **extra):
    """A recipe or config field with its flag's help text (and `choices`, `flags` if any)."""
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class Recipe:
    epochs: int = setting(50, "passes over the training set")
    batch_size: int = setting(256, "global batch: split evenly across torchrun processes")
    optimizer: str = setting("adamw", "the optimiser", choices=("adamw", "adam"))
    lr: float = setting(3e-3, "learning rate (the peak of the one-cycle schedule)")
    schedule: str = setting("onecycle", "learning-rate schedule", choices=("onecycle", "constant"))
    weight_decay: float = setting(1e-2, "decoupled weight decay (AdamW)")
    clip: float = setting(1.0, "gradient norm clipping (0 disables)")
    label_smoothing: float = setting(0.05, "label smoothing of the cross-entropy")
    ema: float = setting(0.999, "EMA decay of the saved weights (0 disables)")
    augment: bool = setting(True, "batched augmentation: affine, stroke width, elastic wobble")
    clean_fraction: float = setting(0.25, "share of each batch left un-augmented")
    pen_fraction: float = setting(0.5, "share of training images shown as the app shows drawings (through to_mnist)")
    pen_copies: int = setting(6, "real pen digits of the training writers (model/pen_digits.py), each drawn this many "
                                 "times on the page's canvas (random size, place, pen width, hand, sometimes another "
                                 "writer's convention: pen_digits.with_conventions) and added to "
                                 "the training set (0: MNIST only)")
    uji_repeat: int = setting(4, "UJI's training digits are drawn this many times as often as pendigits' (a UJI writer "
                                 "gave 20 digits, a pendigits writer 250: so its 30 writers are not drowned out)")
    not_digits: int = setting(6000, "scrawls (scribbles, zigzags; model/pen_digits.py) drawn on the page's canvas and "
                                    "trained towards equal odds for every digit (outlier exposure), so that the "
                                    "model is unsure of what is no digit")
    not_digit_weight: float = setting(0.5, "weight of the not-digits' loss against a digit's")
    seed: int = setting(0, "random seed: initial weights, shuffling, augmentation")

    def to_dict(self) -> dict:
        return asdict(self)


# What "as published" means for every tutorial: plain Adam at a constant learning rate on the
# raw MNIST images; none of the default recipe's extras (schedule, weight decay, clipping,
# label smoothing, EMA, augmentation, digits redrawn as the app draws them, real pen digits, not-digits).
PLAIN = replace(Recipe(), optimizer="adam", schedule="constant", weight_decay=0.0, clip=0.0, label_smoothing=0.0,
                ema=0.0, augment=False, pen_fraction=0.0, pen_copies=0, not_digits=0)
