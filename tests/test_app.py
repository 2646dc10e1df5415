"""The app for real: `python -m demo` on 127.0.0.1 at a free port, called through
gradio_client like any API user; plus the predict function and start-up errors."""
import json
import shutil
import subprocess
import sys
import time
import urllib.request

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demo.app import EMPTY_STATUS, Predictor, describe, load_models, page_engine
from demo.reading import decision_row, status, unpacked
from demo.served import ENGINE_FILES, ServedFiles
from model import PRESETS, load_model
from model import trace as model_trace
from model.export import exported_checksum, read_export
from model.preprocess import to_mnist
from tests.helpers import ROOT, draw_digit, running_app, save_png

pytestmark = pytest.mark.server  # see pyproject.toml's markers


def upload(tmp_path, array, name="drawing.png"):
    return handle_file(save_png(tmp_path, array, name))


def check_answer(result, model=None, drawing=None):
    """(label, trace, status) of the API: the label's confidences are the trace's probabilities,
    and the trace is the model's own trace of the drawing's 28x28 (to the byte's precision)."""
    label, trace, status = result
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert sorted(confidences) == [str(d) for d in range(10)]
    assert abs(sum(confidences.values()) - 1) < 1e-3
    assert label["label"] == max(confidences, key=confidences.get) == str(trace["label"])
    assert [confidences[str(d)] for d in range(10)] == pytest.approx(trace["probs"], abs=1e-5)
    assert status == trace["status"]
    if model is not None:
        image = to_mnist(drawing)  # what the server read from the same PNG
        assert np.abs(unpacked(trace["input"]) - image).max() <= 1 / 510 + 1e-6
        with torch.inference_mode():
            expected = model_trace(model, torch.from_numpy(image)[None])
        assert np.abs(unpacked(trace["hidden"]) - expected.hidden[:, :, 0].numpy()).max() <= 1 / 255 + 1e-6
        assert np.abs(unpacked(trace["belief"]) - expected.probs_per_row[0].numpy()).max() <= 1 / 510 + 1e-3
        for gate, values in expected.gates.items():
            assert np.abs(unpacked(trace["gates"][gate]) - values[:, :, 0].numpy()).max() <= 1 / 255 + 1e-6
        if expected.cell is not None:
            tanh_c = np.tanh(expected.cell[:, :, 0].numpy())
            assert np.abs(unpacked(trace["memory"]) - tanh_c).max() <= 1 / 255 + 1e-6
    return label, trace, status


def test_api_has_one_predict_endpoint_a_drawing_an_optional_model_and_language(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/predict"]
    endpoint = api["named_endpoints"]["/predict"]
    drawing, model, language = endpoint["parameters"]
    assert not drawing["parameter_has_default"] or drawing["parameter_default"] is None
    assert model["parameter_has_default"] and model["parameter_default"] == "default"
    assert language["parameter_has_default"] and language["parameter_default"] == "en"
    assert set(language["python_type"]["type"].split("'")[1::2]) == {"en", "zh-CN"}
    assert set(model["python_type"]["type"].split("'")[1::2]) == {"default", *PRESETS, *(
        f"{name}.default-recipe" for name in PRESETS if PRESETS[name].weights_path("default").exists())}
    assert [r["label"] for r in endpoint["returns"]] == ["label", "trace", "status"]  # not value_13, ...


def test_the_trace_json_is_the_models_trace_of_the_drawing(client, tmp_path):
    seven = {"background": None, "layers": [], "composite": upload(tmp_path, draw_digit("7"))}
    label, trace, status = check_answer(client.predict(seven, api_name="/predict"), load_model(), draw_digit("7"))
    assert label["label"] == "7" and "It reads a **7**" in status
    assert trace["model"]["layers"] == 2 and unpacked(trace["hidden"]).shape == (2, 1, 28, 128)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_reads_the_drawing_through_the_api(client, tmp_path, name):
    seven = {"background": None, "layers": [], "composite": upload(tmp_path, draw_digit("7"))}
    label, trace, _ = check_answer(client.predict(seven, name, api_name="/predict"),
                                   load_model(PRESETS[name].weights_path()), draw_digit("7"))
    default, *_ = check_answer(client.predict(seven, api_name="/predict"))
    assert trace["model"]["name"] == name
    # Another network gives other probabilities for the same drawing.
    assert label["confidences"] != default["confidences"]
    if name != "rnn64":  # the plain RNN, trained as published, is barely better than chance
        assert label["label"] == "7"


def test_unknown_model_is_a_clear_error(client, tmp_path):
    with pytest.raises(AppError, match="gpt is not in the list of choices: \\['default', 'lstm64'"):
        client.predict({"composite": upload(tmp_path, draw_digit("7"))}, "gpt", api_name="/predict")


def test_a_plain_image_file_as_the_drawing_is_read_as_the_composite(client, tmp_path):
    label, trace, status = client.predict(upload(tmp_path, draw_digit("7")), api_name="/predict")
    assert label["label"] == "7" and trace is not None and "7" in status


def test_full_sketchpad_value_with_layers(client, tmp_path):
    ink = 255 - draw_digit("4")[..., 0]
    layer = np.zeros(ink.shape + (4,), np.uint8)
    layer[..., 3] = ink
    background = np.full(ink.shape + (4,), 255, np.uint8)
    composite = draw_digit("4")
    value = {"background": upload(tmp_path, background, "bg.png"), "layers": [upload(tmp_path, layer, "layer.png")],
             "composite": upload(tmp_path, composite, "composite.png")}
    label, _, _ = check_answer(client.predict(value, api_name="/predict"))
    assert label["label"] == "4"


def test_empty_canvas_gives_no_prediction(client, tmp_path):
    blank = upload(tmp_path, np.full((300, 300, 3), 255, np.uint8))
    label, trace, status = client.predict({"background": None, "layers": [], "composite": blank}, api_name="/predict")
    assert not label or not label.get("confidences")
    assert trace is None and status == EMPTY_STATUS


def test_the_status_speaks_the_language_asked_for_and_english_by_default(client, tmp_path):
    seven = upload(tmp_path, draw_digit("7"))
    english = client.predict({"composite": seven}, "default", api_name="/predict")
    chinese = client.predict({"composite": seven}, "default", "zh-CN", api_name="/predict")
    assert english[2].startswith("It reads a **7**") and chinese[2].startswith("识别为 **7**（把握 ")
    assert english[1]["probs"] == chinese[1]["probs"] and chinese[1]["status"] == chinese[2]
    blank = upload(tmp_path, np.full((300, 300, 3), 255, np.uint8))
    assert client.predict({"composite": blank}, language="zh-CN", api_name="/predict")[2].startswith("在框里**写一个数字**")
    with pytest.raises(AppError, match="zh-TW"):
        client.predict({"composite": seven}, "default", "zh-TW", api_name="/predict")


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
    label, _, _ = check_answer(client.predict({"composite": upload(tmp_path, draw_digit("0"))}, api_name="/predict"))
    assert label["label"] == "0"


def test_readme_client_example_runs(app, tmp_path):
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert "gradio_client" in example
    proc = subprocess.run([sys.executable, "-c", example.replace("http://127.0.0.1:7860/", app.url)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("7 (2, 1, 28, 128) It reads a **7**")


def test_predictor_says_when_it_is_unsure():
    model = load_model()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()  # every digit equally likely
    label, trace, status = Predictor(model).predict(draw_digit("2"))
    assert max(label.values()) == pytest.approx(0.1)
    assert status.startswith("**Not sure**") and trace["unsure"] and trace["decision_row"] is None


def test_the_unsure_threshold_is_the_models_own():
    model = load_model()
    label, *_ = Predictor(model).predict(draw_digit("7"))
    model.metadata = {**model.metadata, "unsure_below": max(label.values()) + 0.01}  # just above its answer
    assert Predictor(model).predict(draw_digit("7"))[2].startswith("**Not sure**")


def test_decision_row_is_where_the_answer_stays_above_one_half():
    assert decision_row(np.array([0.1] * 5 + [0.6] * 3 + [0.4] + [0.9] * 19)) == 10  # after the dip at row 9
    assert decision_row(np.full(28, 0.9)) == 1
    assert decision_row(np.array([0.9] * 27 + [0.5])) is None  # not above one half at the end


def test_status_says_an_8_and_what_the_backward_half_saw():
    facts = {"directions": 2}
    r = {"probs": [0.01] * 8 + [0.91, 0.0], "unsure": False, "decision_row": 12, "model": facts}
    assert status(r).startswith("It reads an **8** (91% sure); P(8) stays above one half from row 12 on")
    assert "backward half has read rows 28 to 12" in status(r)
    unsure = {**r, "probs": [0.0] * 3 + [0.3] + [0.0] * 4 + [0.45, 0.25], "unsure": True}
    assert status(unsure).startswith("**Not sure**: maybe an 8 (45%) or a 3 (30%)")


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
    about = describe("bilstm64", models["bilstm64"], "zh-CN")
    assert "1 层双向 LSTM，每个方向 64 个单元" in about and "（原教程报告为 98.15%）" in about
    with pytest.raises(gr.Error, match="Unknown model 'gpt'"):
        predictor.predict(drawing, "gpt")
    for odd in ("x" * 2**20, ["lstm64"], 7):  # a huge name is cut in the message; a non-string is a name too
        with pytest.raises(gr.Error, match="Unknown model .*choose one of lstm64, bilstm64") as refused:
            predictor.predict(drawing, odd)
        assert len(str(refused.value)) < 200


def test_the_page_gets_every_served_models_weights_as_the_api_runs_them():
    """The page's engine and weights (demo.app.page_engine): content-named files holding exactly
    the tensors of each served model's weights file, and a line about each model."""
    predictor = Predictor({name: load_model(PRESETS[name].weights_path()) for name in ("lstm64", "bilstm64")})
    files = ServedFiles()
    engine = page_engine(predictor, files)
    assert engine["default"] == "lstm64" and list(engine["models"]) == ["lstm64", "bilstm64"]
    for name, served in engine["models"].items():
        blob = files.files[served["url"]].raw
        card = json.loads(PRESETS[name].weights_path().with_suffix(".json").read_text())
        assert exported_checksum(blob) == card["tensors_sha256"]
        assert read_export(blob)[0]["facts"]["name"] == name
        assert served["about"] == {language: describe(name, predictor.model(name), language) for language in ("en", "zh-CN")}
    script = files.files[engine["script"]].raw.decode()
    assert all(f"// ---- demo/engine/{name}" in script for name in ENGINE_FILES)
    model = predictor.model("lstm64")
    model.rnn.weight_hh_l0.data[0, 0] += 1  # other weights than its file's: the page must never get them
    with pytest.raises(ValueError, match="do not hash to the checksum"):
        page_engine(predictor, ServedFiles())


def test_weights_given_on_the_command_line_are_served_even_with_a_presets_name(tmp_path):
    """`python -m demo --weights my/lstm64.pt` serves that file, not the committed preset."""
    mine = tmp_path / "lstm64.pt"
    shutil.copy(PRESETS["lstm64"].weights_path("default"), mine)  # another lstm64 than the preset's
    models = load_models(mine)
    assert next(iter(models)) == "lstm64"
    served, preset = models["lstm64"], load_model(PRESETS["lstm64"].weights_path())
    assert torch.equal(served.head.weight, load_model(mine).head.weight)
    assert not torch.equal(served.head.weight, preset.head.weight)
    assert "lstm64.default-recipe" in models and "bilstm64" in models


def test_app_without_presets_offers_one_model(app_without_presets):
    from gradio_client import Client
    api = Client(app_without_presets.url, verbose=False).view_api(print_info=False, return_format="dict")
    model = api["named_endpoints"]["/predict"]["parameters"][1]
    assert model["parameter_default"] == "default" and "lstm64" not in model["python_type"]["type"]


def test_uploads_are_deleted_after_keep_files_seconds(tmp_path, monkeypatch):
    from gradio_client import Client
    cache = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))  # the app's cache of uploads and pictures
    with running_app("--no-presets", "--keep-files", "2") as app:
        client = Client(app.url, verbose=False, download_files=False)
        client.predict({"composite": upload(tmp_path, draw_digit("7"))}, api_name="/predict")
        assert len(list(cache.rglob("*.png"))) >= 1  # the upload
        deadline = time.time() + 20
        while list(cache.rglob("*.png")):  # gone within a few rounds of the 2-second sweep
            assert time.time() < deadline, f"never deleted: {list(cache.rglob('*.png'))}"
            time.sleep(0.5)


def test_share_without_network_says_so_and_serves_locally():
    with running_app("--share") as app:
        deadline = time.time() + 60
        while "--share could not create a public link" not in app.output():
            assert time.time() < deadline, app.output()
            time.sleep(0.5)
        assert urllib.request.urlopen(app.url, timeout=5).status == 200


def test_use_via_api_example_sends_a_local_drawing(app):
    """The "Use via API" page's example: no photo fetched from the internet."""
    info = json.loads(urllib.request.urlopen(app.url + "gradio_api/info", timeout=10).read())
    example = json.dumps(info["named_endpoints"]["/predict"]["parameters"][0]["example_input"])
    assert "http" not in example and "seven.png" in example
