"""The figures: rows line up with the input, values land where they belong."""
import numpy as np
import torch
from PIL import Image

from demo import views
from model import ModelConfig, RowClassifier, RowTrace, trace


def fake_trace(active_row: int, units=8, layers=2) -> RowTrace:
    """A trace where only `active_row` has a strong hidden state."""
    hidden = torch.zeros(layers, 1, 1, 28, units)
    hidden[:, :, :, active_row] = 1.0
    gates = {name: torch.zeros(layers, 1, 1, 28, units) for name in ("input", "forget", "candidate", "output")}
    probs = torch.full((1, 28, 10), 0.1)
    return RowTrace(hidden=hidden, cell=torch.zeros(layers, 1, 1, 28, units), gates=gates, probs_per_row=probs)


def rgb(figure: Image.Image) -> np.ndarray:
    return np.asarray(figure.convert("RGB")).astype(int)


def test_hidden_state_rows_sit_beside_the_input_rows():
    image = np.zeros((28, 28), np.float32)
    image[9] = 1.0  # one white input row
    figure = rgb(views.hidden_state_figure(image, fake_trace(active_row=9)))
    panel = views.input_panel(image)
    x_input = views.LEFT + 5
    x_heat = views.LEFT + panel.frame.width + views.GAP + 5  # inside the first heatmap
    rows = lambda x: [figure[views.TOP + r * views.ROW_PX + 5, x].sum() for r in range(28)]  # noqa: E731
    input_rows, heat_rows = rows(x_input), rows(x_heat)
    assert int(np.argmax(input_rows)) == 9 and int(np.argmax(heat_rows)) == 9
    # Bright (yellow) only at row 9, dark elsewhere.
    assert heat_rows[9] > 400 and max(heat_rows[:9] + heat_rows[10:]) < 250


def test_bidirectional_model_gets_two_aligned_heatmaps_forward_then_backward():
    image = np.zeros((28, 28), np.float32)
    hidden = torch.zeros(1, 2, 1, 28, 8)  # (layer, direction, image, row, unit)
    hidden[0, 0, 0, 3] = 1.0  # forward state strong after row 3
    hidden[0, 1, 0, 20] = 1.0  # backward state strong at row 20 (having read rows 20..28)
    bidirectional = RowTrace(hidden=hidden, cell=None, gates={}, probs_per_row=torch.full((1, 28, 10), 0.1))
    figure = rgb(views.hidden_state_figure(image, bidirectional))
    heat_width = views.heat_panel(np.zeros((28, 8)), "", "").frame.width
    x_forward = views.LEFT + views.input_panel(image).frame.width + views.GAP + 5
    x_backward = x_forward + heat_width + views.GAP  # no colour bar between the two
    for x, row in ((x_forward, 3), (x_backward, 20)):
        column = [figure[views.TOP + r * views.ROW_PX + 5, x].sum() for r in range(28)]
        assert int(np.argmax(column)) == row and column[row] > 400


def test_plain_rnn_shows_its_signed_hidden_state_where_gates_would_be():
    image = np.zeros((28, 28), np.float32)
    hidden = torch.zeros(1, 1, 1, 28, 8)
    hidden[0, 0, 0, 5], hidden[0, 0, 0, 6] = 1.0, -1.0  # red row, then blue row
    rnn = RowTrace(hidden=hidden, cell=None, gates={}, probs_per_row=torch.full((1, 28, 10), 0.1))
    figure = rgb(views.gates_figure(image, rnn))
    x = views.LEFT + views.input_panel(image).frame.width + views.GAP + 5
    red_row, blue_row, zero_row = (figure[views.TOP + r * views.ROW_PX + 5, x] for r in (5, 6, 0))
    assert red_row[0] > 150 > red_row[2] and blue_row[2] > 150 > blue_row[0] and zero_row.min() > 230


def test_figures_share_a_height_so_every_view_lines_up():
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    model = RowClassifier(ModelConfig(hidden_size=16, num_layers=2)).eval()
    t = trace(model, torch.from_numpy(image)[None])
    figures = [views.hidden_state_figure(image, t), views.belief_figure(image, t), views.gates_figure(image, t)]
    assert len({f.size[1] for f in figures}) == 1
    assert all(f.mode == "P" for f in figures)  # palette images: fast to encode


def test_every_cell_type_and_a_bidirectional_model_can_be_drawn():
    image = np.random.default_rng(1).random((28, 28)).astype(np.float32)
    for config in [ModelConfig(cell="gru", hidden_size=8, bidirectional=True), ModelConfig(cell="rnn", hidden_size=8)]:
        t = trace(RowClassifier(config).eval(), torch.from_numpy(image)[None])
        for draw in (views.hidden_state_figure, views.belief_figure, views.gates_figure):
            assert draw(image, t).size[0] > 300


def test_enlarged_input_keeps_pixels_square():
    image = np.zeros((28, 28), np.float32)
    image[3, 4] = 1.0
    big = views.enlarged(image)
    assert big.shape == (224, 224) and big[24:32, 32:40].min() == 255 and big.sum() == 255 * 64
