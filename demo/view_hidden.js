// View "Hidden state": h_t of every layer and direction per row (|h_t| 0..1, or signed
// -1..1 with diverging colours), then how much the top layer's forward h changed per row.
// Data: reading.hidden (layer, direction, row, unit). Options: state.signed, state.order.
function hiddenPanels(r, title = (layer, d) => `layer ${layer + 1}${d}`) {
  const hidden = r.hidden, [L, D, , U] = hidden.shape, panels = [];
  for (let layer = 0; layer < L; layer++) for (let d = 0; d < D; d++) {
    const values = slice(hidden, layer, d);
    const shown = state.signed ? values : values.map(Math.abs);
    panels.push({title: title(layer, D > 1 ? (d ? " backward (reads 28 \u2192 1)" : " forward") : "") + (state.signed ? " h_t" : " |h_t|"),
      caption: `unit 1..${U}${state.order === "peak" ? ", by peak row" : ""}`, values: shown, columns: U,
      lo: state.signed ? -1 : 0, hi: 1, colours: state.signed ? "diverging" : "sequential", name: state.signed ? "h" : "|h|",
      label: (u) => `unit ${u + 1}`, unit: {layer, direction: d}, order: unitOrder(hidden, layer, d)});
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
  return {title: "change of h", caption: "|h_t \u2212 h_t\u22121|, top layer, forward", values: change, columns: 40,
          lo: 0, hi: Math.max(...change), colours: "bars", name: "|h_t \u2212 h_t\u22121|", label: () => ""};
}

const hiddenView = {title: "Hidden state", panels: (data) => [...hiddenPanels(data.main), changePanel(data.main)]};
