"""The row-by-row recurrent digit classifier, its weights files and its per-row trace."""
from .model import ModelConfig, RowClassifier
from .presets import PRESETS, Preset
from .trace import GATE_NAMES, RowTrace, WhatIf, trace
from .weights import (
    DEFAULT_WEIGHTS,
    WeightsError,
    atomic_torch_save,
    atomic_write,
    load_model,
    read_weights_file,
    save_model,
)

__all__ = ["ModelConfig", "RowClassifier", "RowTrace", "WhatIf", "trace", "GATE_NAMES", "load_model", "save_model",
           "read_weights_file", "atomic_torch_save", "atomic_write", "WeightsError", "DEFAULT_WEIGHTS", "PRESETS", "Preset"]
