"""The network and its per-row trace: shapes for every config, and the written-out
equations agree with torch's own modules."""
import itertools

import pytest
import torch

from model import GATE_NAMES, ModelConfig, RowClassifier, trace

CONFIGS = [ModelConfig(cell=cell, hidden_size=hidden, num_layers=layers, bidirectional=bi)
           for cell, (hidden, layers), bi in itertools.product(["lstm", "gru", "rnn"], [(16, 1), (12, 2)], [False, True])]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_logits_shape_for_every_config_and_input_layout(config):
    model = RowClassifier(config).eval()
    images = torch.rand(5, 28, 28)
    assert model(images).shape == (5, 10)
    # (N, 1, 28, 28) is the same images with a channel axis: same logits.
    torch.testing.assert_close(model(images[:, None]), model(images))


def test_wrong_input_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        RowClassifier()(torch.rand(2, 28, 27))


def test_normalisation_happens_inside_the_model():
    model = RowClassifier().eval()
    rows = model.rows(torch.zeros(1, 28, 28))
    assert torch.allclose(rows, torch.full_like(rows, -0.1307 / 0.3081))


def test_a_model_can_read_raw_pixels_and_its_trace_still_matches():
    torch.manual_seed(0)
    model = RowClassifier(ModelConfig(hidden_size=16, num_layers=1, standardise=False)).eval()
    images = torch.rand(3, 28, 28)
    assert torch.equal(model.rows(images), images)
    torch.testing.assert_close(trace(model, images).probs, torch.softmax(model(images), -1), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trace_hidden_states_match_torch_module(config):
    torch.manual_seed(0)
    model = RowClassifier(config).eval()
    images = torch.rand(3, 28, 28)
    row_trace = trace(model, images)
    layers, directions, h = config.num_layers, config.directions, config.hidden_size
    assert row_trace.hidden.shape == (layers, directions, 3, 28, h)
    # nn.LSTM/GRU/RNN output: the top layer's h_t for every row, directions side by side.
    outputs, final = model.rnn(model.rows(images))
    top = torch.cat(list(row_trace.hidden[-1]), dim=-1)
    torch.testing.assert_close(top, outputs, atol=1e-5, rtol=0)
    h_n = final[0] if config.cell == "lstm" else final
    # h_n holds each layer's and direction's final state: row 27 forwards, row 0 backwards.
    for layer, direction in itertools.product(range(layers), range(directions)):
        last_row = 0 if direction else 27
        torch.testing.assert_close(row_trace.hidden[layer, direction, :, last_row], h_n[layer * directions + direction],
                                   atol=1e-5, rtol=0)
    if config.cell == "lstm":
        c_n = final[1]
        for layer, direction in itertools.product(range(layers), range(directions)):
            torch.testing.assert_close(row_trace.cell[layer, direction, :, 0 if direction else 27],
                                       c_n[layer * directions + direction], atol=1e-5, rtol=0)
    else:
        assert row_trace.cell is None
    assert set(row_trace.gates) == set(GATE_NAMES[config.cell])
    # The trace's prediction is the model's.
    torch.testing.assert_close(row_trace.probs, torch.softmax(model(images), -1), atol=1e-6, rtol=0)
    assert torch.allclose(row_trace.probs_per_row.sum(-1), torch.ones(3, 28))


def test_lstm_gates_obey_the_cell_equations():
    """c_t = f*c_{t-1} + i*g and h_t = o*tanh(c_t), row by row, with gates in their ranges."""
    torch.manual_seed(1)
    model = RowClassifier(ModelConfig(hidden_size=8, num_layers=1)).eval()
    t = trace(model, torch.rand(2, 28, 28))
    i, f, g, o = (t.gates[name][0, 0] for name in ("input", "forget", "candidate", "output"))
    c, h = t.cell[0, 0], t.hidden[0, 0]
    previous_c = torch.cat([torch.zeros_like(c[:, :1]), c[:, :-1]], dim=1)
    torch.testing.assert_close(c, f * previous_c + i * g)
    torch.testing.assert_close(h, o * torch.tanh(c))
    for gate in (i, f, o):
        assert gate.min() >= 0 and gate.max() <= 1
    assert g.min() >= -1 and g.max() <= 1


def test_each_lstm_step_matches_lstm_cell():
    """The trace's c_t at every row equals torch's LSTMCell stepped by hand with the same weights."""
    torch.manual_seed(2)
    model = RowClassifier(ModelConfig(hidden_size=6, num_layers=1)).eval()
    cell = torch.nn.LSTMCell(28, 6)
    cell.load_state_dict({k.replace("_l0", ""): v for k, v in model.rnn.state_dict().items()})
    images = torch.rand(2, 28, 28)
    t = trace(model, images)
    h = c = torch.zeros(2, 6)
    with torch.no_grad():
        for row, x in enumerate(model.rows(images).unbind(1)):
            h, c = cell(x, (h, c))
            torch.testing.assert_close(t.cell[0, 0, :, row], c, atol=1e-6, rtol=0)


def test_default_model_is_within_the_parameter_budget():
    assert RowClassifier().num_params() <= 300_000
