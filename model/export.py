"""A model exported for the page: the network runs in the browser from one small binary file.

`export_model(model, name, **facts)` -> bytes in the format "row-weights-v1":

    uint32 little-endian N | N bytes of UTF-8 JSON (the header, padded with spaces so the tensors start at a multiple of 4) |
    float32 little-endian tensors, one after another, each row-major

Header: {"format", "name", "config" (ModelConfig's fields), "temperature", "unsure_below",
"facts" (model_facts plus what the caller adds), "tensors_sha256", "tensors": [{"name",
"shape", "offset"}]} where offset counts float32 values from the start of the tensors. The
tensors are the model's state_dict as its weights file holds them (the temperature tensor
included where the file has one; the header's `temperature` always), as torch names them, so the header's
`tensors_sha256` is computed exactly as the weights file's and its model card's: the export
refuses to write tensors that do not hash to the checksum the weights file was loaded with,
and the page can never run other weights than the API.
"""
import json
import struct

import numpy as np
import torch

from .calibration import unsure_below
from .model import RowClassifier
from .weights import tensors_sha256

FORMAT = "row-weights-v1"


def model_facts(model: RowClassifier, name: str) -> dict:
    """What the page and the API say about a model."""
    config = model.config
    return {"name": name, "cell": config.cell, "layers": config.num_layers, "directions": config.directions,
            "units": config.hidden_size, "about": config.describe(), "parameters": model.num_params(),
            "unsure_below": unsure_below(model)}


def export_model(model: RowClassifier, name: str, **facts) -> bytes:
    """The model as one row-weights-v1 file (see the module docstring)."""
    state = {key: value.detach().cpu().float().contiguous() for key, value in model.state_dict().items()}
    checksum = tensors_sha256(state)
    if model.tensors_sha256 is not None and checksum != model.tensors_sha256 and float(model.temperature) == 1.0:
        # Files saved before calibration have no temperature tensor (it is 1): export what they hold.
        state.pop("temperature")
        checksum = tensors_sha256(state)
    if model.tensors_sha256 is not None and checksum != model.tensors_sha256:
        raise ValueError(f"the tensors of {name!r} do not hash to the checksum of its weights file")
    tensors, offset = [], 0
    for key, value in state.items():
        tensors.append({"name": key, "shape": list(value.shape), "offset": offset})
        offset += value.numel()
    header = {"format": FORMAT, "name": name, "config": model.config.to_dict(),
              "temperature": float(model.temperature), "unsure_below": unsure_below(model),
              "facts": {**model_facts(model, name), **facts}, "tensors_sha256": checksum, "tensors": tensors}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(4 + len(text)) % 4)  # the tensors start on a 4-byte boundary (Float32Array views)
    data = b"".join(value.numpy().astype("<f4").tobytes() for value in state.values())
    return struct.pack("<I", len(text)) + text + data


def read_export(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and the tensors (name -> float32 array) of an exported file."""
    (length,) = struct.unpack_from("<I", blob)
    header = json.loads(blob[4:4 + length])
    data = np.frombuffer(blob, "<f4", offset=4 + length)
    tensors = {t["name"]: data[t["offset"]:t["offset"] + int(np.prod(t["shape"]))].reshape(t["shape"])
               for t in header["tensors"]}
    return header, tensors


def exported_checksum(blob: bytes) -> str:
    """The checksum of the tensors as they are in the file (to compare with the weights' card)."""
    _, tensors = read_export(blob)
    return tensors_sha256({name: torch.from_numpy(array.copy()) for name, array in tensors.items()})
