"""Saving and loading weights: one file holds the config and the tensors.

Files are plain `torch.save` dicts of tensors, strings and numbers, read back with
`weights_only=True`, so loading never runs pickled code. Every write goes to a temporary
file in the same folder and is then renamed over the target: a process killed at any
moment leaves either the old file or the new one, never half of one. Each file stores a
SHA-256 of its tensors (`tensors_sha256`, also in the model card train.py writes beside it),
checked at load: torch reads a flipped byte in a tensor without complaint.
"""
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

import torch

from .model import ModelConfig, RowClassifier

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "default.pt"
FORMAT = "row-rnn-v1"  # bump when the file layout changes


class WeightsError(RuntimeError):
    """A weights file that cannot be used; the message says why and what to do."""


def atomic_write(path, write) -> None:
    """Call write(binary_file) on a temp file beside `path`, then rename it over `path`,
    so readers (and a run killed mid-write) never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; weights are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_torch_save(obj, path) -> None:
    atomic_write(path, lambda f: torch.save(obj, f))


def tensors_sha256(state_dict: dict) -> str:
    """SHA-256 of every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def save_model(model: RowClassifier, path, metadata: dict | None = None) -> str:
    """Write config + weights (+ optional JSON-able metadata of plain values) and the
    tensors' checksum atomically; returns the checksum (for the model card)."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    checksum = tensors_sha256(state)
    atomic_torch_save({"format": FORMAT, "config": model.config.to_dict(), "state_dict": state,
                       "metadata": metadata or {}, "tensors_sha256": checksum}, path)
    return checksum


def read_weights_file(path) -> dict:
    """The raw dict in a weights (or checkpoint) file, with clear errors for bad files."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(
            f"weights file {path} not found: train one with `make train` "
            f"(or `python train.py --out {path}`), or restore the committed one with "
            f"`git checkout -- weights/`")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged zip or pickle
        if isinstance(exc, pickle.UnpicklingError) and "GLOBAL" in str(exc):  # names a Python object to call
            raise WeightsError(f"{path} holds pickled objects other than tensors and plain values; it was "
                               f"refused unread (loading never runs code). Use a file written by train.py") from None
        raise _corrupted(path, f"truncated or corrupted ({type(exc).__name__}: {_first_line(exc, 120)})") from None


def _first_line(exc: Exception, limit: int) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:limit]


def _corrupted(path, how: str) -> WeightsError:
    return WeightsError(f"weights file {path} is {how}; "
                        f"retrain it with `make train` or restore it with `git checkout -- {path}`")


def check_tensors(path: Path, blob: dict) -> None:
    """The tensors must match the checksum stored with them and the one in the model card
    beside the file (NAME.json), where either is present; files saved before checksums
    existed have neither and load as before."""
    stored = blob.get("tensors_sha256")
    card = path.with_suffix(".json")
    try:
        carded = json.loads(card.read_text()).get("tensors_sha256") if card.exists() else None
    except (OSError, ValueError, AttributeError):
        carded = None  # an unreadable card is the card's problem, not the weights'
    if stored is None and carded is None:
        return
    state = blob.get("state_dict")
    actual = tensors_sha256(state) if isinstance(state, dict) and all(
        isinstance(v, torch.Tensor) for v in state.values()) else None
    for where, expected in (("stored in it", stored), (f"in its card {card.name}", carded)):
        if expected is not None and expected != actual:
            raise _corrupted(path, f"corrupted: its tensors do not match the checksum {where}")


def load_model(path=None, expected_config: ModelConfig | None = None) -> RowClassifier:
    """The model from `path` (default: the committed weights), in eval mode on the CPU.

    `expected_config`, when given, must match the config stored in the file. What train.py
    recorded with the weights (test accuracy, date) is in `model.metadata`.
    """
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    blob = read_weights_file(path)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise WeightsError(
            f"{path} is not a weights file of this project (expected format {FORMAT!r}); "
            f"it may be a training checkpoint or another program's file; pass the file "
            f"written by train.py --out")
    try:
        config = ModelConfig(**blob["config"])
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{path} stores an invalid config ({exc}); retrain it with train.py") from None
    if expected_config is not None and config != expected_config:
        raise WeightsError(
            f"{path} was saved for another config: file has {config}, expected {expected_config}; "
            f"pass the matching weights or retrain with that config")
    check_tensors(path, blob)
    model = RowClassifier(config)
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as exc:
        raise WeightsError(
            f"{path}: its tensors do not fit its config {config} (saved from another "
            f"config?): {_first_line(exc, 160)}; retrain it with train.py") from None
    model.metadata = dict(blob.get("metadata") or {})
    model.tensors_sha256 = blob.get("tensors_sha256")
    return model.eval()
