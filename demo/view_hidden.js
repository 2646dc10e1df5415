// View "Hidden state": h_t of every layer and direction per row (|h_t| 0..1, or signed
// -1..1 with diverging colours), then how much the top layer's forward h changed per row.
// Data: reading.hidden (layer, direction, row, unit). Options: state.signed, state.order.
// `model`: a model's name to put before each title (the comparison), or none.
function hiddenPanels(r, model = null) {
  const hidden = r.hidden, [L, D, , U] = hidden.shape, panels = [];
  for (let layer = 0; layer < L; layer++) for (let d = 0; d < D; d++) {
    const values = slice(hidden, layer, d);
    const shown = state.signed ? values : values.map(Math.abs);
    const what = say((model ? "views.model_layer" : "views.layer") + (D > 1 ? "_way" : ""),
                     {model, layer: layer + 1, way: say(d ? "views.backward" : "views.forward")});
    panels.push({title: say(state.signed ? "views.signed_h" : "views.abs_h", {what}),
      caption: say(state.order === "peak" ? "views.units_caption_peak" : "views.units_caption", {units: U}), values: shown,
      columns: U, lo: state.signed ? -1 : 0, hi: 1, colours: state.signed ? "diverging" : "sequential", name: state.signed ? "h" : "|h|",
      label: (u) => say("views.unit", {unit: u + 1}), unit: {layer, direction: d}, order: unitOrder(hidden, layer, d)});
  }
  return panels;
}

function changePanel(r) {
  const hidden = r.hidden, top = slice(hidden, hidden.shape[0] - 1, 0), U = hidden.shape[3];
  const change = new Float32Array(ROWS);
  for (let t = 0; t < ROWS; t++) {
    let sum = 0;
    for (let u = 0; u < U; u++) { const dv = top[t * U + u] - (t ? top[(t - 1) * U + u] : 0); sum += dv * dv; }
    change[t] = Math.sqrt(sum);
  }
  return {title: say("views.change_title"), caption: say("views.change_caption"), values: change, columns: 40,
          lo: 0, hi: Math.max(...change), colours: "bars", name: "|h_t \u2212 h_t\u22121|", label: () => ""};
}

const hiddenView = {title: "Hidden state", panels: (data) => [...hiddenPanels(data.main), changePanel(data.main)]};
