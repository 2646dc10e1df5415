// View "Gates and memory", top layer, each direction: an LSTM's memory tanh(c_t) (-1..1) and
// its gates (input, forget, output 0..1 = closed..open; candidate -1..1); a GRU's reset,
// update (0..1) and candidate (-1..1); a plain RNN has no gates: its signed h_t.
// Data: reading.memory, reading.gates[name], reading.hidden (layer, direction, row, unit).
function gatesPanels(r) {
  const hidden = r.hidden, [L, D, , U] = hidden.shape, layer = L - 1, panels = [];
  const memory = r.memory, gates = Object.entries(r.gates).map(([name, a]) => [name, a]);
  for (let d = 0; d < D; d++) {
    const way = say(d ? "views.backward" : "views.forward"), order = unitOrder(hidden, layer, d);
    const unitPanel = (title, values, lo, name) => ({title: D > 1 ? say("views.gate_way", {gate: title, way}) : title,
      caption: say(lo < 0 ? "views.signed_caption" : "views.gate_caption"), values, columns: U, lo, hi: 1,
      colours: lo < 0 ? "diverging" : "sequential", name, label: (u) => say("views.unit", {unit: u + 1}), unit: {layer, direction: d}, order});
    if (memory) panels.push(unitPanel(say("views.memory_title"), slice(memory, layer, d), -1, "tanh(c)"));
    for (const [name, a] of gates) panels.push(unitPanel(say(GATE_WORDS[name]), slice(a, layer, d), a.lo, say(GATE_WORDS[name])));
    if (!gates.length) panels.push(unitPanel(say("views.no_gates_title", {layer: layer + 1}), slice(hidden, layer, d), -1, "h"));
  }
  return panels;
}

const gatesView = {title: "Gates and memory", panels: (data) => gatesPanels(data.main)};
