"""The app for real: `python -m demo` on 127.0.0.1 at a free port, called through
gradio_client like any API user; plus the predict function and start-up errors."""
import subprocess
import sys
import time
import urllib.error
import urllib.request

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demo.app import EMPTY_STATUS, Predictor, describe
from model import PRESETS, load_model
from tests.helpers import ROOT, draw_digit, running_app, save_png


def upload(tmp_path, array, name="drawing.png"):
    return handle_file(save_png(tmp_path, array, name))


def check_views(result):
    label, model_input, hidden, belief, gates, status = result
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert sorted(confidences) == [str(d) for d in range(10)]
    assert abs(sum(confidences.values()) - 1) < 1e-3
    assert label["label"] == max(confidences, key=confidences.get)
    sizes = {}
    for name, path in [("input", model_input), ("hidden", hidden), ("belief", belief), ("gates", gates)]:
        with Image.open(path) as img:
            assert img.format == "PNG"
            sizes[name] = img.size
    assert sizes["input"] == (224, 224)
    # The heatmaps have 28 rows of 10 px plus margins, all the same height so rows line up.
    assert sizes["hidden"][1] == sizes["belief"][1] == sizes["gates"][1] > 280
    return label, status


def test_api_has_one_predict_endpoint_a_drawing_and_an_optional_model(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/predict"]
    drawing, model = api["named_endpoints"]["/predict"]["parameters"]
    assert not drawing["parameter_has_default"] or drawing["parameter_default"] is None
    assert model["parameter_has_default"] and model["parameter_default"] == "default"
    assert set(model["python_type"]["type"].split("'")[1::2]) == {"default", *PRESETS}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_reads_the_drawing_through_the_api(client, tmp_path, name):
    seven = {"background": None, "layers": [], "composite": upload(tmp_path, draw_digit("7"))}
    label, status = check_views(client.predict(seven, name, api_name="/predict"))
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    default, _ = check_views(client.predict(seven, api_name="/predict"))
    # Another network gives other probabilities for the same drawing.
    assert confidences != {c["label"]: c["confidence"] for c in default["confidences"]}
    if name != "rnn64":  # the plain RNN, trained as published, is barely better than chance
        assert label["label"] == "7"


def test_unknown_model_is_a_clear_error(client, tmp_path):
    with pytest.raises(AppError, match="gpt is not in the list of choices: \\['default', 'lstm64'"):
        client.predict({"composite": upload(tmp_path, draw_digit("7"))}, "gpt", api_name="/predict")


def test_drawn_digit_returns_label_and_every_view(client, tmp_path):
    seven = upload(tmp_path, draw_digit("7"))
    label, status = check_views(client.predict({"background": None, "layers": [], "composite": seven},
                                               api_name="/predict"))
    assert label["label"] == "7"
    assert "7" in status


def test_full_sketchpad_value_with_layers(client, tmp_path):
    ink = 255 - draw_digit("4")[..., 0]
    layer = np.zeros(ink.shape + (4,), np.uint8)
    layer[..., 3] = ink
    background = np.full(ink.shape + (4,), 255, np.uint8)
    composite = draw_digit("4")
    value = {"background": upload(tmp_path, background, "bg.png"), "layers": [upload(tmp_path, layer, "layer.png")],
             "composite": upload(tmp_path, composite, "composite.png")}
    label, _ = check_views(client.predict(value, api_name="/predict"))
    assert label["label"] == "4"


def test_empty_canvas_gives_no_prediction(client, tmp_path):
    blank = upload(tmp_path, np.full((300, 300, 3), 255, np.uint8))
    label, model_input, hidden, belief, gates, status = client.predict(
        {"background": None, "layers": [], "composite": blank}, api_name="/predict")
    assert not label or not label.get("confidences")
    assert model_input is hidden is belief is gates is None
    assert status == EMPTY_STATUS


@pytest.mark.parametrize("name, content", [
    ("notes.txt", b"this is not an image"),
    ("huge.png", None),  # 6000x6000: over the size limit
    ("truncated.png", b"\x89PNG\r\n\x1a\n\x00\x00"),
])
def test_bad_input_is_a_clear_error_and_the_server_keeps_answering(client, tmp_path, name, content):
    path = tmp_path / name
    if content is None:
        Image.new("L", (6000, 6000), 255).save(path)
    else:
        path.write_bytes(content)
    with pytest.raises(AppError, match="Could not read the drawing"):
        client.predict({"background": None, "layers": [], "composite": handle_file(str(path))}, api_name="/predict")
    label, _ = check_views(client.predict({"composite": upload(tmp_path, draw_digit("0"))}, api_name="/predict"))
    assert label["label"] == "0"


def test_readme_client_example_runs(app, tmp_path):
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert "gradio_client" in example
    proc = subprocess.run([sys.executable, "-c", example.replace("http://127.0.0.1:7860/", app.url)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("7 It reads a **7**")


def test_predictor_says_when_it_is_unsure():
    model = load_model()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()  # every digit equally likely
    label, *_, status = Predictor(model).predict(draw_digit("2"))
    assert max(label.values()) == pytest.approx(0.1)
    assert status.startswith("**Not sure**")


def test_predictor_switches_models_and_describes_each():
    models = {name: load_model(PRESETS[name].weights_path()) for name in ("lstm64", "bilstm64")}
    predictor = Predictor(models)
    assert predictor.default == "lstm64"
    drawing = draw_digit("2")
    first, second = predictor.predict(drawing)[0], predictor.predict(drawing, "bilstm64")[0]
    assert first == predictor.predict(drawing, "lstm64")[0] and first != second
    about = describe("bilstm64", models["bilstm64"])
    assert "bidirectional LSTM, 64 units each way" in about and f"{models['bilstm64'].num_params():,}" in about
    assert "plain tutorial recipe" in about and "(its tutorial reports 98.15%)" in about
    with pytest.raises(gr.Error, match="Unknown model 'gpt'"):
        predictor.predict(drawing, "gpt")


def test_app_without_presets_offers_one_model():
    with running_app("--no-presets") as app:
        from gradio_client import Client
        api = Client(app.url, verbose=False).view_api(print_info=False, return_format="dict")
        model = api["named_endpoints"]["/predict"]["parameters"][1]
        assert model["parameter_default"] == "default" and "lstm64" not in model["python_type"]["type"]


def test_uploads_and_pictures_are_deleted_after_keep_files_seconds(tmp_path, monkeypatch):
    from gradio_client import Client
    cache = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))  # the app's cache of uploads and pictures
    with running_app("--no-presets", "--keep-files", "2") as app:
        client = Client(app.url, verbose=False, download_files=False)
        _, model_input, *_ = client.predict({"composite": upload(tmp_path, draw_digit("7"))}, api_name="/predict")
        picture = urllib.request.urlopen(model_input["url"], timeout=5)
        assert picture.status == 200 and picture.read(8) == b"\x89PNG\r\n\x1a\n"
        assert len(list(cache.rglob("*.png"))) >= 5  # the upload and four pictures
        deadline = time.time() + 20
        while list(cache.rglob("*.png")):  # gone within a few rounds of the 2-second sweep
            assert time.time() < deadline, f"never deleted: {list(cache.rglob('*.png'))}"
            time.sleep(0.5)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(model_input["url"], timeout=5)


def test_share_without_network_says_so_and_serves_locally():
    with running_app("--share") as app:
        deadline = time.time() + 60
        while "--share could not create a public link" not in app.output():
            assert time.time() < deadline, app.output()
            time.sleep(0.5)
        assert urllib.request.urlopen(app.url, timeout=5).status == 200
