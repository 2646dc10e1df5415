"""The page's engine and weights as the running app serves them (demo/served.py): named after
their content, cached for good, compressed where it pays, the guard's headers kept, and each
model's file holding exactly the tensors of its weights file."""
import json

import httpx
import pytest

from demo.served import ENGINE_FILES
from model.export import exported_checksum, read_export
from tests.helpers import ROOT

pytestmark = pytest.mark.server  # see pyproject.toml's markers

FOREVER = "public, max-age=31536000, immutable"


def page_engine(app) -> dict:
    """The engine's manifest the page gets (the views component's `engine` prop, in /config)."""
    config = httpx.get(app.url + "config", timeout=10).json()
    views = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "views")
    return views["props"]["props"]["engine"]  # gr.HTML keeps its own props under "props"


def test_every_served_model_reaches_the_page_with_its_weights_files_tensors(app):
    engine = page_engine(app)
    assert engine["default"] == "default" and {"default", "lstm64", "bilstm64", "gru128", "rnn64"} <= set(engine["models"])
    for name, model in engine["models"].items():
        response = httpx.get(app.url + model["url"].lstrip("/"), headers={"Accept-Encoding": "gzip, br"}, timeout=10)
        assert response.status_code == 200 and response.headers["cache-control"] == FOREVER
        assert "content-encoding" not in response.headers  # float32 does not compress (demo.app.page_engine)
        header, _ = read_export(response.content)
        card = json.loads((ROOT / "weights" / f"{name}.json").read_text())  # served: weights/NAME.pt
        assert header["name"] == name and exported_checksum(response.content) == card["tensors_sha256"]


def test_the_engine_script_is_cached_for_good_compressed_and_guarded(app):
    path = app.url + page_engine(app)["script"].lstrip("/")
    first = httpx.get(path, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert first.headers["cache-control"] == FOREVER and first.headers["content-type"].startswith("text/javascript")
    assert "default-src 'self'" in first.headers["content-security-policy"]  # inside the guard
    assert all(f"// ---- demo/engine/{name}" in first.text for name in ENGINE_FILES)
    held = httpx.get(path, headers={"If-None-Match": first.headers["etag"]}, timeout=10)
    assert held.status_code == 304 and held.content == b""
    # Another name under /engine/ is Gradio's to answer: not found.
    assert httpx.get(app.url + "engine/engine.000000000000.js", timeout=10).status_code == 404
    assert httpx.head(path, timeout=10).status_code == 200
