// Shared by every view (runs first): colours, and a heatmap panel with hover/tap read-out, a
// highlighted row (linked across views), rows past the cursor dimmed and the decision row marked.
// Data: the engine's readings (demo/engine/reading.js, the fields of demo/reading.py's JSON); an
// array is {shape, lo, hi, values: Float32Array}, row-major.
const ROWS = 28;
const state = {data: null, cursor: ROWS, hoverRow: null, order: "index", signed: false, tab: "hidden",
               unit: null, panels: [], model: null, other: "", pixels: null, image: null,  // image: a link's 28x28
               whatIf: null, stopAt: null, erasing: false, undo: [],  // the what-if's (views_whatif.js)
               quiz: null, quizScore: null};  // views_quiz.js

// (layer, direction, row, unit) -> the rows x units slice of one layer and direction.
function slice(array, layer, direction) {
  const [, D, R, U] = array.shape;
  const start = (layer * D + direction) * R * U;
  return array.values.subarray(start, start + R * U);
}

function ramp(anchors) {
  return (t) => {
    const x = Math.min(1, Math.max(0, t)) * (anchors.length - 1), i = Math.min(anchors.length - 2, Math.floor(x));
    return anchors[i].map((a, k) => Math.round(a + (anchors[i + 1][k] - a) * (x - i)));
  };
}
const COLOURS = {
  sequential: ramp([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]]),
  diverging: ramp([[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]]),
  greys: ramp([[0, 0, 0], [255, 255, 255]]),
};
// Each gate's name in words (the phrase's key), in the views and the unit chart.
const GATE_WORDS = {input: "views.gate_input", forget: "views.gate_forget", candidate: "views.gate_candidate",
                    output: "views.gate_output", reset: "views.gate_reset", update: "views.gate_update"};
const fmt = (v) => (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);

// Unit order of one layer and direction: by index, or by the row where |h| peaks.
function unitOrder(hidden, layer, direction) {
  const units = hidden.shape[3], values = slice(hidden, layer, direction);
  const order = [...Array(units).keys()];
  if (state.order !== "peak") return order;
  const peak = order.map((u) => { let best = 0; for (let r = 1; r < ROWS; r++)
    if (Math.abs(values[r * units + u]) > Math.abs(values[best * units + u])) best = r; return best; });
  return order.sort((a, b) => peak[a] - peak[b] || a - b);
}

// A panel: {title, caption, values (rows x columns), columns, lo, hi, colours, label(column),
// name (what a value is), unit: {layer, direction} when its columns are units, order; a bars
// panel may have `overlay`, one value per row marked over the bars}.
function panelHTML(p, i) {
  const cbar = p.colours === "bars" ? `<span>0</span><i class="bar-scale"></i><span>${fmt(p.hi)}</span>`
    : `<span>${+p.lo.toFixed(2)}</span><i style="background: linear-gradient(to right, ${
        [0, 0.25, 0.5, 0.75, 1].map((t) => `rgb(${COLOURS[p.colours](t)})`).join(",")})"></i><span>${+p.hi.toFixed(2)}</span>`;
  return `<figure class="panel" data-panel="${i}"><figcaption>${p.title}</figcaption>
    <div class="plot"><canvas width="${p.columns}" height="${ROWS}" role="img"></canvas>
    <div class="dim"></div><div class="hl"></div><div class="mark"></div></div>
    <div class="cbar" aria-hidden="true">${cbar}</div><p class="cap">${p.caption}</p></figure>`;
}

function paint(canvas, p) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(p.columns, ROWS);
  const order = p.order || [...Array(p.columns).keys()];
  let best = 0;
  for (let r = 0; r < ROWS; r++) for (let c = 0; c < p.columns; c++) {
    const at = p.colours === "bars" ? r : r * p.columns + order[c], v = p.values[at], o = (r * p.columns + c) * 4;
    if (Math.abs(v) > Math.abs(p.values[best])) best = at;
    let rgb;
    if (p.colours === "bars") rgb = c / p.columns < Math.abs(v) / (p.hi || 1) ? [214, 96, 77] : [255, 255, 255];
    else rgb = COLOURS[p.colours]((v - p.lo) / (p.hi - p.lo));
    if (p.overlay && c === Math.min(p.columns - 1, Math.round(p.overlay[r] / (p.hi || 1) * p.columns))) rgb = [17, 17, 17];
    image.data.set([...rgb, 255], o);
  }
  ctx.putImageData(image, 0, 0);
  const bars = p.colours === "bars", row = (bars ? best : Math.floor(best / p.columns)) + 1, column = best % p.columns;
  canvas.setAttribute("aria-label", say(bars ? "views.panel_label_bars" : "views.panel_label",
    {panel: p.title, columns: p.columns, name: p.name, value: fmt(p.values[best]), row, column: bars ? "" : p.label(column)}));
}

// The value under a point of panel i: {row (0-based), column (display position), text (the read-out)}.
function cellAt(i, event) {
  const p = state.panels[i], box = event.currentTarget.getBoundingClientRect();
  const row = Math.min(ROWS - 1, Math.max(0, Math.floor((event.clientY - box.top) / box.height * ROWS)));
  const column = p.colours === "bars" ? 0 : Math.min(p.columns - 1, Math.max(0, Math.floor((event.clientX - box.left) / box.width * p.columns)));
  return {row, column, text: readout(p, row, column)};
}

function readout(p, row, column) {
  const index = (p.order || [...Array(p.columns).keys()])[column];
  const value = p.colours === "bars" ? p.values[row] : p.values[row * p.columns + index];
  return say(p.colours === "bars" ? "views.readout" : "views.readout_column",
             {panel: p.title, row: row + 1, column: p.colours === "bars" ? "" : p.label(index), name: p.name, value: fmt(value)});
}

// The main model's reading as drawn: the original when a what-if changed it (views_whatif.js), or null.
function asDrawn(data) {
  return data ? data.original || data.main : null;
}

// The unit picked by a click (state.unit) and the reading it belongs to (the compared model's
// when it was picked there), or null when none is picked or the pick does not fit that model
// (another model was chosen since).
function pickedUnit(data) {
  if (!state.unit || !data || !data.main) return null;
  const other = state.unit.model && data.other && state.unit.model === data.other.model.name;
  if (state.unit.model && !other && state.unit.model !== data.main.model.name) return null;  // its model is gone
  const r = other ? data.other : data.main, {layer, direction, unit} = state.unit;
  const fits = layer < r.model.layers && direction < r.model.directions && unit < r.model.units;
  return fits ? {r, pick: state.unit} : null;
}
