"""The Gradio app: a canvas next to the row-LSTM, and what happens inside it row by row.

`predict(value)` is the whole pipeline behind the page and the `predict` API: the drawing
becomes MNIST's 28x28 (demo.preprocess), the model is traced row by row (model.trace),
and every view is drawn (demo.views). The app only wires these together.
"""
import io
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gradio.data_classes import ImageData
from gradio.processing_utils import hash_bytes
from PIL import Image

from model import RowClassifier, atomic_write, trace

from . import views
from .preprocess import MAX_SIDE, DrawingError, to_mnist

# Pillow refuses to decode images over twice this many pixels: uploads stay within memory.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE

UNSURE_BELOW = 0.6  # top probability under which the page says the model is unsure
EMPTY_STATUS = "**Draw a digit** (0-9) in the box: the views update while you draw."

EXPLANATION = """
### How to read the views
- **Prediction**: the probability of each digit after the LSTM has read all 28 rows.
- **What the model reads**: your drawing made into MNIST's format (28x28, centred by mass,
  strokes redrawn at MNIST's width). This, not your canvas, is what the network sees.
- **Hidden state**: the LSTM reads the image one row per timestep, top to bottom. Each line
  of the heatmap is the hidden state h_t right after reading the row beside it; each column
  is one hidden unit; brightness is |h_t|. The red bars show how much h changed at each row:
  long bars mark the rows that told the model something new. Blank rows change little.
- **Belief by row**: what the model would answer if it stopped after row t (its output
  layer applied to h_t). Watch the row where one digit takes over: there it makes up its mind.
- **Cell state and gates** (top layer): the LSTM's memory c_t, shown as tanh(c_t) the way it
  enters h_t, and its gates for each row: the *input* gate decides how much of the
  *candidate* to write, the *forget* gate how much memory to keep, the *output* gate how much
  of the memory to show as h_t. Gates run from 0 (closed) to 1 (open).
"""


class Predictor:
    """The model plus the functions the page and the API call."""

    def __init__(self, model: RowClassifier):
        self.model = model.eval()

    def views(self, image: np.ndarray):
        """Label value, status and every figure for one 28x28 image."""
        with torch.inference_mode():
            row_trace = trace(self.model, torch.from_numpy(image)[None])
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

    def predict(self, value):
        """A drawing in any form `to_mnist` accepts -> (label, model input, hidden-state
        heatmap, belief by row, gates, status). An empty drawing gives no prediction."""
        try:
            image = to_mnist(value)
        except DrawingError as exc:
            raise gr.Error(f"Could not read the drawing: {exc}", print_exception=False) from None
        except Exception as exc:  # anything else the input provoked: a message, never a traceback
            raise gr.Error(f"Could not read the drawing ({type(exc).__name__}); send a PNG or an image array.",
                           print_exception=False) from None
        if image is None:
            return None, None, None, None, None, EMPTY_STATUS
        return self.views(image)

    def predict_canvas(self, data_url):
        """The page's canvas sends image data URLs, and only those are read: a string that is
        a path would make to_mnist open a file on this server."""
        if data_url and not (isinstance(data_url, str) and data_url.startswith("data:image/")):
            raise gr.Error("Could not read the drawing: the canvas sends image data URLs only.", print_exception=False)
        return self.predict(data_url)


class Sketchpad(gr.Sketchpad):
    """gr.Sketchpad whose unreadable or oversized uploads get a clear message, not a server error."""

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except Exception as exc:
            why = "it is too large" if isinstance(exc, Image.DecompressionBombError) else "it is not a readable image"
            raise gr.Error(f"Could not read the drawing: {why}. Send a PNG or JPEG of at most "
                           f"{MAX_SIDE}x{MAX_SIDE} px.", print_exception=False) from None


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
        if not path.exists():
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


def build_app(model: RowClassifier) -> gr.Blocks:
    predictor = Predictor(model)
    with gr.Blocks(title="Inside an LSTM reading a digit") as app:
        gr.Markdown("# Inside an LSTM reading a digit, one row at a time\n"
                    f"A {model.config.num_layers}-layer {model.config.cell.upper()} with "
                    f"{model.config.hidden_size} units per layer reads your drawing as 28 rows of "
                    "28 pixels, top to bottom, and answers after the last row.")
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
                with gr.Tab("Hidden state per row"):
                    hidden_heatmap = figure("hidden-heatmap")
                with gr.Tab("Belief by row"):
                    belief = figure("belief")
                with gr.Tab("Cell state and gates"):
                    gates = figure("gates")
                gr.Markdown(EXPLANATION)
        outputs = [label, model_input, hidden_heatmap, belief, gates, status]

        # The page: the canvas sends a PNG data URL while drawing; only the latest waiting
        # drawing is kept (always_last), so a slow server never falls behind the pen.
        canvas.change(predictor.predict_canvas, canvas, outputs, api_name="draw", api_visibility="private", trigger_mode="always_last",
                      show_progress="hidden", queue=True)
        # The API: one input, a Sketchpad value ({background, layers, composite}).
        sketchpad = Sketchpad(visible=False, type="numpy", label="drawing")
        api_button = gr.Button(visible=False)
        api_button.click(predictor.predict, sketchpad, outputs, api_name="predict")
    return app
