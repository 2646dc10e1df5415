"""The Gradio app: a canvas next to the row-LSTM, and what happens inside it row by row.

`predict(value, model_name)` is the whole pipeline behind the page and the `predict` API:
the drawing becomes MNIST's 28x28 (model.preprocess), the chosen model (the default one or
a preset) is traced row by row (model.trace), and every view is drawn (demo.views). The
app only wires these together.
"""
import io
import os
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gradio.components.image_editor import EditorData
from gradio.data_classes import ImageData
from gradio.processing_utils import hash_bytes
from PIL import Image
from pydantic import ValidationError

from model import PRESETS, RowClassifier, RowTrace, atomic_write, trace

from . import views
from model.preprocess import MAX_SIDE, DrawingError, to_mnist

# Pillow refuses to decode images over twice this many pixels: uploads stay within memory.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE

MAX_UPLOAD_BYTES = 10 * 2**20  # launch's max_file_size ("10mb")
UNSURE_BELOW = 0.6  # top probability under which the page says the model is unsure
EMPTY_STATUS = "**Draw a digit** (0-9) in the box: the views update while you draw."
NO_VIEWS = (None, None, None, None, None, EMPTY_STATUS)  # what an empty canvas shows

EXPLANATION = """
### How to read the views
- **Prediction**: the probability of each digit after the network has read all 28 rows.
- **What the model reads**: your drawing made into MNIST's format (28x28, centred by mass,
  strokes redrawn at MNIST's width). This, not your canvas, is what the network sees.
- **Hidden state**: the network reads the image one row per timestep, top to bottom. Each line
  of the heatmap is the hidden state h_t right after reading the row beside it; each column
  is one hidden unit; brightness is |h_t|. The red bars show how much h changed at each row:
  long bars mark the rows that told the model something new. Blank rows change little.
  A **bidirectional** model has a second, backward cell that reads the rows from 28 up to 1:
  its heatmap is drawn on the same rows, so its line at row t has read rows t..28.
- **Belief by row**: what the model would answer if it stopped after row t (its output
  layer applied to the output at row t). Watch the row where one digit takes over: there it
  makes up its mind. (For a bidirectional model the backward half has then read rows t..28.)
- **Gates and memory** (top layer): an **LSTM** keeps a memory c_t, shown as tanh(c_t) the
  way it enters h_t, and has four gates: the *input* gate decides how much of the *candidate*
  to write, the *forget* gate how much memory to keep, the *output* gate how much of the
  memory to show as h_t. A **GRU** has no separate memory: its *update* gate mixes the old
  h with a *candidate* that its *reset* gate lets see the old h. A **plain RNN** has neither
  gates nor memory: h_t = tanh(W x_t + U h_(t-1) + b), shown signed. Gates run from 0
  (closed) to 1 (open).
- **Model**: switch between the project's model and the classic tutorial models; the same
  drawing is read again by the one you pick.
"""


def describe(name: str, model: RowClassifier) -> str:
    """One line about a model for the page: what it is, its size, its MNIST accuracy."""
    parts = [f"**{name}**: {model.config.describe()}", f"{model.num_params():,} parameters"]
    metadata = getattr(model, "metadata", {})  # what train.py recorded (load_model)
    if "test_accuracy" in metadata:
        accuracy = f"{metadata['test_accuracy']:.2%} on the MNIST test set"
        published = PRESETS[name].published_accuracy if name in PRESETS else None
        parts.append(accuracy + (f" (its tutorial reports {published})" if published else ""))
        parts.append("trained with a plain tutorial recipe (Adam, constant learning rate, no augmentation)"
                     if metadata.get("recipe") == "published" else "trained with this project's recipe")
    return ", ".join(parts) + "."


class Predictor:
    """The models plus the functions the page and the API call."""

    def __init__(self, models: dict[str, RowClassifier] | RowClassifier):
        models = models if isinstance(models, dict) else {"default": models}
        self.models = {name: model.eval() for name, model in models.items()}
        self.default = next(iter(self.models))

    def model(self, name=None) -> RowClassifier:
        if name in (None, ""):
            return self.models[self.default]
        if name not in self.models:
            raise gr.Error(f"Unknown model {name!r}: choose one of {', '.join(self.models)}.", print_exception=False)
        return self.models[name]

    def traced(self, image: np.ndarray, model_name=None) -> RowTrace:
        """Everything the model does, row by row, on one 28x28 image."""
        with torch.inference_mode():
            return trace(self.model(model_name), torch.from_numpy(image)[None])

    def views(self, image: np.ndarray, row_trace: RowTrace):
        """Label value, every figure and the status for one 28x28 image and its trace."""
        probs = row_trace.probs[0].numpy()
        label = {str(digit): float(p) for digit, p in enumerate(probs)}
        first, second = np.argsort(probs)[::-1][:2]
        if probs[first] >= UNSURE_BELOW:
            # The row from which the answer no longer changes: where it "makes up its mind".
            answers = row_trace.probs_per_row[0].argmax(-1).numpy()
            settled = next(t for t in range(len(answers)) if (answers[t:] == first).all()) + 1
            status = f"It reads a **{first}** ({probs[first]:.0%} sure), its answer from row {settled} on."
        else:
            status = (f"**Not sure**: maybe a {first} ({probs[first]:.0%}) or a {second} ({probs[second]:.0%}). "
                      f"Try drawing it larger or more clearly.")
        return (label, views.enlarged(image), views.hidden_state_figure(image, row_trace),
                views.belief_figure(image, row_trace), views.gates_figure(image, row_trace), status)

    def read(self, value) -> np.ndarray | None:
        """The drawing as the model's 28x28 input (None when empty), or a clear gr.Error."""
        try:
            return to_mnist(value)
        except DrawingError as exc:
            raise gr.Error(f"Could not read the drawing: {exc}", print_exception=False) from None
        except Exception as exc:  # anything else the input provoked: a message, never a traceback
            raise gr.Error(f"Could not read the drawing ({type(exc).__name__}); send a PNG or an image array.",
                           print_exception=False) from None

    def predict(self, value, model_name=None):
        """A drawing in any form `to_mnist` accepts (and a model name, default: the first)
        -> (label, model input, hidden-state heatmap, belief by row, gates, status).
        An empty drawing gives no prediction."""
        self.model(model_name)  # an unknown name is an error even for an empty drawing
        image = self.read(value)
        if image is None:
            return NO_VIEWS
        return self.views(image, self.traced(image, model_name))

    def predict_canvas(self, data_url, model_name=None, other_name=None):
        """What the page shows: every view, and beside them the comparison with a second
        model when one is picked (else None)."""
        self.model(model_name)
        image = self.read(canvas_value(data_url))
        if image is None:
            return *NO_VIEWS, None
        row_trace = self.traced(image, model_name)
        compared = None
        if other_name and other_name != (model_name or self.default):
            traces = {model_name or self.default: row_trace, other_name: self.traced(image, other_name)}
            compared = views.comparison_figure(image, traces)
        return *self.views(image, row_trace), compared


def canvas_value(data_url):
    """The page's canvas sends image data URLs, and only those are read: a string that is a
    path would make to_mnist open a file on this server."""
    if data_url and not (isinstance(data_url, str) and data_url.startswith("data:image/")):
        raise gr.Error("Could not read the drawing: the canvas sends image data URLs only.", print_exception=False)
    return data_url


class Sketchpad(gr.Sketchpad):
    """The API's drawing input (hidden on the page), checked before any pixel is decoded.

    The composite, when sent, is the only image read (it already holds the background and
    the layers); without one, at most MAX_LAYERS layers are read. Each image must be a file
    within the upload limit whose header says at most MAX_SIDE px a side. What passes goes
    on as file paths that to_mnist decodes, shrinking large images as it reads them. Blob
    ids (accept_blobs, closed by demo.guard) are refused: the images travel in the value."""

    MAX_LAYERS = 4

    class data_model(EditorData):  # noqa: N801 -- Gradio reads the attribute by this name
        """Gradio's value model, with a message for a value of the wrong shape (a path as the
        composite, a number as a layer) instead of a bare server error."""

        @classmethod
        def model_validate(cls, value, **kwargs):
            try:
                return super().model_validate(value, **kwargs)
            except ValidationError:
                raise Sketchpad.refusal("expected {background, layers, composite}, each an uploaded image "
                                        "file (handle_file) or null") from None

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


class Picture(gr.Image):
    """gr.Image that writes its PNG itself: with fast settings (most of a response's time is
    PNG encoding), and atomically. Identical pictures (two users drawing the same thing, an
    API client resending an image) land on the same content-addressed cache path, and
    gr.Image's plain write lets one request's download read another's half-written file."""

    is_template = True  # the page draws it with gr.Image's own front end

    def postprocess(self, value):
        if value is None:
            return None
        image = value if isinstance(value, Image.Image) else Image.fromarray(value)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        data = buffer.getvalue()
        path = Path(self.GRADIO_CACHE) / hash_bytes(data) / "view.png"
        try:
            os.utime(path)  # made before: it is new again, so the cache sweeper (demo.cache) keeps it
        except FileNotFoundError:
            atomic_write(path, lambda f: f.write(data))
        return ImageData(path=str(path), orig_name=path.name)


CANVAS_HTML = """
<div class="pad">
  <canvas width="280" height="280" aria-label="drawing canvas"></canvas>
  <div class="tools">
    <button class="clear" type="button">Clear</button>
    <label>pen <input class="brush" type="range" min="6" max="40" value="18"></label>
  </div>
</div>
"""
CANVAS_CSS = """
canvas { width: 100%; max-width: 360px; aspect-ratio: 1; border: 2px solid #888; border-radius: 6px;
         touch-action: none; cursor: crosshair; background: white; display: block; }
.tools { display: flex; gap: 12px; align-items: center; margin-top: 6px; }
.clear { padding: 4px 14px; border: 1px solid #888; border-radius: 4px; background: #f3f3f3; cursor: pointer; }
"""


def build_app(models: dict[str, RowClassifier] | RowClassifier, keep_files_s: int = 600) -> gr.Blocks:
    """The page for one model or several ({name: model}, the first shown first). Uploads and
    pictures older than `keep_files_s` seconds are deleted (checked as often), so a public
    app's disk use stays bounded; a page loads its pictures as soon as they are made."""
    predictor = Predictor(models)
    with gr.Blocks(title="Inside an LSTM reading a digit", analytics_enabled=False,  # no telemetry
                   delete_cache=(keep_files_s, keep_files_s)) as app:
        gr.Markdown("# Inside an LSTM reading a digit, one row at a time\n"
                    "A recurrent network reads your drawing as 28 rows of 28 pixels, top to bottom, "
                    "and answers after the last row. Draw, and watch what happens inside it at every row.")
        figure = lambda elem_id: Picture(show_label=False, interactive=False, format="png",  # noqa: E731
                                         buttons=["download", "fullscreen"], elem_id=elem_id)
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                canvas = gr.HTML(value="", html_template=CANVAS_HTML, css_template=CANVAS_CSS,
                                 js_on_load=(Path(__file__).parent / "canvas.js").read_text(), elem_id="canvas")
                status = gr.Markdown(EMPTY_STATUS, elem_id="status")
                with gr.Row():
                    label = gr.Label(num_top_classes=10, label="Prediction", elem_id="prediction", min_width=150)
                    model_input = Picture(label="What the model reads (28x28)", interactive=False, format="png",
                                           buttons=["download"], elem_id="model-input", min_width=150)
            with gr.Column(scale=2):
                choice = gr.Dropdown(list(predictor.models), value=predictor.default, label="Model",
                                     elem_id="model", visible=len(predictor.models) > 1)
                about = gr.Markdown(describe(predictor.default, predictor.model()), elem_id="about")
                with gr.Tab("Hidden state per row"):
                    hidden_heatmap = figure("hidden-heatmap")
                with gr.Tab("Belief by row"):
                    belief = figure("belief")
                with gr.Tab("Gates and memory"):
                    gates = figure("gates")
                with gr.Tab("Compare two models", visible=len(predictor.models) > 1):
                    other = gr.Dropdown(list(predictor.models), value=None, label="Compare with",
                                        info="a second model reads the same drawing; rows stay aligned",
                                        elem_id="compare-with")
                    compared = figure("compared")
                gr.Markdown(EXPLANATION)
        outputs = [label, model_input, hidden_heatmap, belief, gates, status]
        page_inputs = [canvas, choice, other]

        # The page: the canvas sends a PNG data URL while drawing, and picking a model (or one
        # to compare with) reads the same drawing again. One listener for all three, so a
        # session's requests run in order and only the latest waiting one is kept
        # (always_last): a slow server never falls behind the pen, nor shows a stale answer.
        gr.on([canvas.change, choice.change, other.change], predictor.predict_canvas, page_inputs,
              outputs + [compared], api_name="draw", api_visibility="private", trigger_mode="always_last",
              show_progress="hidden")
        choice.change(lambda name: describe(name, predictor.model(name)), choice, about, queue=False,
                      api_visibility="private")
        # The API: a Sketchpad value ({background, layers, composite}), and optionally a model name.
        sketchpad = Sketchpad(visible=False, type="numpy", label="drawing")
        api_button = gr.Button(visible=False)
        api_button.click(predictor.predict, [sketchpad, choice], outputs, api_name="predict")
    return app
