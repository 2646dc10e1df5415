"""The Gradio app: a canvas next to the row-LSTM, and what happens inside it row by row.

The page reads drawings itself: its engine (demo/engine/, plain JavaScript in a Web Worker)
mirrors the Python pipeline step by step and runs each served model from weights exported
once at startup (model.export, served by demo.served), so no drawing is sent to the server
and a class costs the server its page loads. The Python pipeline is the reference and serves
the `predict` API: the drawing becomes MNIST's 28x28 (model.preprocess), the chosen model is
traced row by row (model.trace), and the trace is packed as data (demo.reading). The app
only wires these together.
"""
from dataclasses import dataclass, fields
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gradio.components.image_editor import EditorData
from PIL import Image
from pydantic import ValidationError

from model import PRESETS, RowClassifier, RowTrace, load_model, trace
from model.export import export_model
from model.preprocess import MAX_SIDE, DrawingError, to_mnist

from .components import DrawingCanvas, PageHeader, TraceViews
from .guard import MAX_UPLOAD_BYTES
from .reading import reading
from .served import ServedFiles, engine_script
from .strings import LANGUAGES, language_or_default, say

# Pillow refuses to decode images over twice this many pixels: uploads stay within memory.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE

EMPTY_STATUS = say("status.empty")  # what the API says of an empty drawing (in English unless asked)


def network(config, language: str) -> str:
    """The network in words, e.g. "2-layer LSTM, 128 units"."""
    key = "model.network_both_ways" if config.bidirectional else "model.network"
    return say(key, language, layers=config.num_layers, cell=say(f"model.cell_{config.cell}", language),
               units=config.hidden_size)


def describe(name: str, model: RowClassifier, language: str = "en") -> str:
    """One line about a model for the page: what it is, its size, its MNIST accuracy."""
    metadata = model.metadata  # what train.py recorded with the weights
    facts = {"name": name, "network": network(model.config, language), "parameters": f"{model.num_params():,}"}
    if "test_accuracy" not in metadata:
        return say("model.about", language, **facts)
    recipe = "published" if metadata.get("recipe") == "published" else "default"
    facts.update(accuracy=f"{metadata['test_accuracy']:.2%}", recipe=say(f"model.recipe_{recipe}", language))
    preset = PRESETS.get(metadata.get("preset") or name)
    if preset and recipe == "published" and preset.published_accuracy:
        return say("model.about_published", language, published=preset.published_accuracy, **facts)
    return say("model.about_trained", language, **facts)


def load_models(weights=None, presets=True) -> dict[str, RowClassifier]:
    """The served models by name: the given weights (default: the committed model) first, then
    every preset as published (NAME) and with this project's recipe (NAME.default-recipe)
    where its file exists. A name already taken by `weights` keeps that file."""
    models = {Path(weights).stem if weights else "default": load_model(weights)}
    if presets:
        for name, preset in PRESETS.items():
            for recipe in ("published", "default"):
                path = preset.weights_path(recipe)
                served = name if recipe == "published" else path.stem
                if served not in models and (recipe == "published" or path.exists()):
                    models[served] = load_model(path, expected_config=preset.config)
    return models


@dataclass
class Answer:
    """What the `predict` API returns, in this order (its fields name the outputs)."""
    label: dict | None  # {digit: probability}, for gr.Label
    trace: dict | None  # demo.reading's JSON: every per-row value the page draws
    status: str  # one line in words


class Predictor:
    """The models plus the functions the page and the API call."""

    def __init__(self, models: dict[str, RowClassifier] | RowClassifier):
        models = models if isinstance(models, dict) else {"default": models}
        self.models = {name: model.eval() for name, model in models.items()}
        self.default = next(iter(self.models))

    def model(self, name=None) -> RowClassifier:
        if name in (None, ""):
            return self.models[self.default]
        if not isinstance(name, str) or name not in self.models:
            shown = repr(name)
            shown = shown if len(shown) <= 60 else shown[:60] + "..."  # a stranger's 1 MB name stays out
            raise gr.Error(f"Unknown model {shown}: choose one of {', '.join(self.models)}.", print_exception=False)
        return self.models[name]

    def traced(self, image: np.ndarray, model_name=None) -> RowTrace:
        """Everything the model does, row by row, on one 28x28 image."""
        with torch.inference_mode():
            return trace(self.model(model_name), torch.from_numpy(image)[None])

    def reading(self, image: np.ndarray, model_name=None, language="en") -> dict:
        name = model_name or self.default
        return reading(image, self.traced(image, name), self.model(name), name, language)

    def read(self, value) -> np.ndarray | None:
        """The drawing as the model's 28x28 input (None when empty), or a clear gr.Error."""
        try:
            return to_mnist(value)
        except DrawingError as exc:
            raise gr.Error(f"Could not read the drawing: {exc}", print_exception=False) from None
        except Exception as exc:  # anything else the input provoked: a message, never a traceback
            raise gr.Error(f"Could not read the drawing ({type(exc).__name__}); send a PNG or an image array.",
                           print_exception=False) from None

    def answer(self, value, model_name=None, language="en") -> Answer:
        """A drawing in any form `to_mnist` accepts (and a model name, default: the first; the
        status's language, default English) -> its Answer. An empty drawing gives no prediction."""
        self.model(model_name)  # an unknown name is an error even for an empty drawing
        try:
            language = language_or_default(language)
        except ValueError as exc:
            raise gr.Error(f"{exc}.", print_exception=False) from None
        image = self.read(value)
        if image is None:
            return Answer(None, None, say("status.empty", language))
        result = self.reading(image, model_name, language)
        return Answer({str(d): p for d, p in enumerate(result["probs"])}, result, result["status"])

    def predict(self, value, model_name=None, language="en") -> tuple:
        """The `predict` API: (label, trace, status), see Answer."""
        answer = self.answer(value, model_name, language)
        return tuple(getattr(answer, field.name) for field in fields(answer))  # astuple would deep-copy the trace


class Sketchpad(gr.Sketchpad):
    """The API's drawing input (hidden on the page), checked before any pixel is decoded.

    The composite, when sent, is the only image read (it already holds the background and
    the layers); without one, at most MAX_LAYERS layers are read. Each image must be a file
    within the upload limit whose header says at most MAX_SIDE px a side. What passes goes
    on as file paths that to_mnist decodes, shrinking large images as it reads them. Blob
    ids (accept_blobs, closed by demo.guard) are refused: the images travel in the value."""

    MAX_LAYERS = 4

    class data_model(EditorData):  # noqa: N801 -- Gradio reads the attribute by this name
        # Gradio's value model, with a message for a value of the wrong shape (a path as the
        # composite, a number as a layer) instead of a bare server error. A plain uploaded image
        # (`handle_file("seven.png")` as the drawing) is read as the composite. (A comment, not a
        # docstring: Gradio shows the model's docstring on the "Use via API" page.)

        @classmethod
        def model_validate(cls, value, **kwargs):
            if isinstance(value, dict) and "path" in value and not {"background", "layers", "composite"} & set(value):
                value = {"background": None, "layers": [], "composite": value}
            try:
                return super().model_validate(value, **kwargs)
            except ValidationError:
                raise Sketchpad.refusal("expected {background, layers, composite}, each an uploaded image "
                                        "file (handle_file) or null") from None

    # The "Use via API" page's example: a local drawing, as the README's example sends it (not
    # Gradio's default, a photo of a bus fetched from the internet).
    EXAMPLE = {"background": None, "layers": [], "composite": {"path": "seven.png", "meta": {"_type": "gradio.FileData"}}}

    def example_payload(self):
        return self.EXAMPLE

    def example_value(self):
        return {"background": None, "layers": [], "composite": "seven.png"}

    def preprocess(self, payload):
        if payload is None:
            return None
        if payload.id is not None:
            raise self.refusal("send the images in the value (background, layers, composite), not a blob id")
        if payload.composite is None and len(payload.layers) > self.MAX_LAYERS:
            raise self.refusal(f"it has {len(payload.layers)} layers; at most {self.MAX_LAYERS} are read "
                               f"(or send just the composite)")
        if payload.composite is not None:
            return {"background": None, "layers": [], "composite": self.checked(payload.composite)}
        return {"background": self.checked(payload.background), "composite": None,
                "layers": [self.checked(layer) for layer in payload.layers if layer is not None]}

    def checked(self, file) -> str | None:
        """The path of an uploaded image, after checking its size and its header (lazily:
        Pillow reads the header only)."""
        if file is None:
            return None
        try:
            if Path(file.path).stat().st_size > MAX_UPLOAD_BYTES:
                raise self.refusal("it is too large")
            with Image.open(file.path) as image:
                if max(image.size) > MAX_SIDE:
                    raise self.refusal("it is too large")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise self.refusal("it is not a readable image") from None
        return file.path

    @staticmethod
    def refusal(why: str) -> gr.Error:
        return gr.Error(f"Could not read the drawing: {why}. Send a PNG or JPEG of at most "
                        f"{MAX_SIDE}x{MAX_SIDE} px.", print_exception=False)



def page_engine(predictor: Predictor, files: ServedFiles) -> dict:
    """What the page's engine loads, as demo.served serves it: the worker script and each
    served model's exported weights (checked against its weights file), with a line about it."""
    models = {}
    for name, model in predictor.models.items():
        about = {language: describe(name, model, language) for language in LANGUAGES}
        # Not compressed: float32 weights shrink by 7-8% (gzip, brotli), under pack's 10% bar, and
        # trying took 5.7 s of every start with the presets.
        models[name] = {"url": files.add(name, ".weights", export_model(model, name, about=about[LANGUAGES[0]]),
                                         "application/octet-stream", compress=False), "about": about}
    return {"script": files.add("engine", ".js", engine_script(), "text/javascript; charset=utf-8"),
            "models": models, "default": predictor.default}


def build_app(models: dict[str, RowClassifier] | RowClassifier, keep_files_s: int = 600) -> gr.Blocks:
    """The page for one model or several ({name: model}, the first shown first). Uploads
    older than `keep_files_s` seconds are deleted (checked as often). The engine's files are in
    `app.served_files`, for demo.served's middleware."""
    predictor = Predictor(models)
    files = ServedFiles()
    engine = page_engine(predictor, files)
    with gr.Blocks(title=say("page.title"), analytics_enabled=False,  # no telemetry
                   delete_cache=(keep_files_s, keep_files_s)) as app:
        PageHeader(elem_id="header")  # the title, what this is, and the language switch
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                DrawingCanvas(elem_id="canvas")
            with gr.Column(scale=2, min_width=320):
                # The views, the model selectors, the comparison and how to read them: all in the page (demo/engine).
                TraceViews(elem_id="views", engine=engine)

        # The API: a Sketchpad value ({background, layers, composite}), and optionally a model
        # name and the status's language.
        sketchpad = Sketchpad(visible=False, type="numpy", label="drawing")
        choice = gr.Dropdown(list(predictor.models), value=predictor.default, label="Model", visible=False)
        language = gr.Dropdown(list(LANGUAGES), value=LANGUAGES[0], label="language", visible=False)
        api_outputs = {"label": gr.Label(visible=False, label="label"), "trace": gr.JSON(visible=False, label="trace"),
                       "status": gr.Textbox(visible=False, label="status")}
        api_button = gr.Button(visible=False)
        api_button.click(predictor.predict, [sketchpad, choice, language], [api_outputs[f.name] for f in fields(Answer)],
                         api_name="predict")
    app.served_files = files
    return app
