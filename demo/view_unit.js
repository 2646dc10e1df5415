// View "One unit": a clicked unit's h_t, tanh(c_t) and gates over the 28 rows as a line
// chart (SVG), y from -1 to 1, the cursor row marked.
// Data: reading.hidden, .memory, .gates; state.unit = {layer, direction, unit}.
const SERIES_COLOURS = {h: "#111", "tanh(c)": "#b2182b", input: "#1b7837", forget: "#2166ac", candidate: "#e08214",
                        output: "#762a83", reset: "#1b7837", update: "#2166ac"};

function unitChart(r, pick) {
  const W = 300, H = 150, x = (t) => 28 + t * (W - 36) / (ROWS - 1), y = (v) => 10 + (1 - v) / 2 * (H - 30);
  const hidden = r.hidden, U = hidden.shape[3], series = [["h", slice(hidden, pick.layer, pick.direction)]];
  const memory = r.memory;  // memory and gates are sent for every layer
  if (memory) series.push(["tanh(c)", slice(memory, pick.layer, pick.direction)]);
  for (const [name, a] of Object.entries(r.gates)) series.push([name, slice(a, pick.layer, pick.direction)]);
  const shown = (name) => (name in GATE_WORDS ? say(GATE_WORDS[name]) : name);  // h and tanh(c) as a textbook writes them
  const lines = series.map(([name, v]) => `<polyline fill="none" stroke="${SERIES_COLOURS[name]}" stroke-width="2"
    points="${[...Array(ROWS).keys()].map((t) => `${x(t).toFixed(1)},${y(v[t * U + pick.unit]).toFixed(1)}`).join(" ")}"><title>${shown(name)}</title></polyline>`);
  const grid = [-1, 0, 1].map((v) => `<line x1="28" x2="${W - 8}" y1="${y(v)}" y2="${y(v)}" stroke="#ccc"/><text x="2" y="${y(v) + 4}">${v}</text>`);
  const h = series[0][1];
  const words = say(hidden.shape[1] > 1 ? "views.unit_title_way" : "views.unit_title",
    {unit: pick.unit + 1, layer: pick.layer + 1, way: say(pick.direction ? "views.backward" : "views.forward"),
     first: fmt(h[pick.unit]), last: fmt(h[(ROWS - 1) * U + pick.unit])});
  return `<p class="unit-title">${words}</p>
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${words}">${grid.join("")}
    <line class="unit-cursor" x1="${x(state.cursor - 1)}" x2="${x(state.cursor - 1)}" y1="6" y2="${H - 18}" stroke="#888" stroke-dasharray="3"/>
    ${lines.join("")}<text x="${W / 2 - 14}" y="${H - 2}">${say("views.unit_rows")}</text></svg>
    <p class="legend">${series.map(([n]) => `<span style="color:${SERIES_COLOURS[n]}">\u25a0 ${shown(n)}</span>`).join(" ")}</p>`;
}
