// View "The cell at work": one unit's recurrent cell at the cursor row, drawn as a diagram (SVG)
// with the number on every wire, and its equations written out with those numbers. The unit is
// the one last clicked in any heatmap (state.unit, see pickedUnit), else unit 1 of the top layer;
// beside the diagram, the heatmap of that unit's layer and direction, to pick another unit and row.
// LSTM, GRU and plain RNN each have their own diagram (CELL_DIAGRAMS). A new reading, pick or
// language draws the diagram; the row cursor (slider, arrow keys, Play) only rewrites its numbers,
// bars and strip (stepCell), so that stepping stays cheap.
// Data: reading.input (row, pixel), .hidden (layer, direction, row, unit), .gates[name] and .memory
// (tanh(c_t), LSTM) the same. Raw c_t is not in a reading: cellNumbers rebuilds it from the gates as
// the cell computes it (demo/engine/cells.js), c_t = f_t·c_(t−1) + i_t·g_t from c = 0 before the
// first step. A backward direction reads row 28 first: its step before row t is row t+1.

// The cell's input x_t at `row` (0-based): the image's 28 pixels for layer 1, else the h_t of the
// layer below, its directions side by side (as the layer reads them).
function cellInput(r, layer, row) {
  if (layer === 0) return r.input.values.subarray(row * 28, row * 28 + 28);
  const [, D, , U] = r.hidden.shape, x = new Float32Array(D * U);
  for (let d = 0; d < D; d++) x.set(slice(r.hidden, layer - 1, d).subarray(row * U, (row + 1) * U), d * U);
  return x;
}

// Every number of one step of the picked unit's cell at `row` (0-based): its input x, the state
// before (hPrev, cPrev) and after (h, c), each gate by name (reading.gates' names), and the terms
// the diagram shows (LSTM: fc = f_t·c_(t−1), ig = i_t·g_t, tanhC; GRU: oneMinusZ, zh = z_t·h_(t−1),
// zn = (1 − z_t)·n_t; RNN: a = atanh(h_t), the sum inside tanh). first: no step before this one.
function cellNumbers(r, pick, row) {
  const {layer, direction, unit} = pick, U = r.hidden.shape[3];
  const of = (array) => slice(array, layer, direction), step = direction ? -1 : 1, start = direction ? ROWS - 1 : 0;
  const hidden = of(r.hidden), first = row === start;
  const n = {x: cellInput(r, layer, row), first, h: hidden[row * U + unit], hPrev: first ? 0 : hidden[(row - step) * U + unit]};
  for (const [name, array] of Object.entries(r.gates)) n[name] = of(array)[row * U + unit];
  if (r.model.cell === "lstm") {
    const [input, forget, candidate] = [r.gates.input, r.gates.forget, r.gates.candidate].map(of);
    let c = 0, cPrev = 0;
    for (let t = start; t !== row + step; t += step) {
      cPrev = c;
      c = forget[t * U + unit] * c + input[t * U + unit] * candidate[t * U + unit];
    }
    Object.assign(n, {c, cPrev, fc: n.forget * cPrev, ig: n.input * n.candidate, tanhC: of(r.memory)[row * U + unit]});
  } else if (r.model.cell === "gru") {
    Object.assign(n, {oneMinusZ: 1 - n.update, zh: n.update * n.hPrev, zn: (1 - n.update) * n.candidate});
  } else {
    n.a = Math.atanh(n.h);
  }
  return n;
}

// A number as the equations print it: two decimals and a minus sign. The RNN's sum inside tanh is
// infinite where h_t is ±1: float32 rounds tanh(a) to 1 beyond |a| ≈ 9, so only that is known.
function printed(v) {
  if (!Number.isFinite(v)) return v > 0 ? "\u2265 9" : "\u2264 \u22129";
  return fmt(v).replace("-", "\u2212");
}
// A factor in a product: in brackets when negative, 0.12×(−0.80).
const printedFactor = (v) => (printed(v).startsWith("\u2212") ? `(${printed(v)})` : printed(v));

// The diagrams, drawn on a 720 x 350 grid: the state line at the top (c for an LSTM, h for a GRU,
// h_t out for an RNN), the gates in a row below it, the bus that brings x_t and h_(t−1) to them at
// the bottom, and x_t's strip under the bus. Every label's number is a data-value (a key of
// cellNumbers), every gate's bar a data-level.
const CELL_STRIP = {x: 218, y: 322, width: 224, height: 14};  // x_t, one rectangle per value
const CELL_SIGNED_BARS = new Set(["candidate", "h"]);  // bars from the middle: -1..1; the others 0..1

const CELL_DIAGRAMS = (() => {  // its drawing helpers stay inside: every view's script shares one scope
  const STATE_Y = 70, GATE_Y = 250, BUS_Y = 296;
  const wire = (points, arrow = true) =>
    `<polyline class="wire" points="${points.map((p) => p.join(",")).join(" ")}"${arrow ? ' marker-end="url(#cell-arrow)"' : ""}/>`;
  const operation = (x, y, symbol) =>
    `<circle class="op" cx="${x}" cy="${y}" r="12"/><text class="op-text" x="${x}" y="${y + 4}">${symbol}</text>`;
  const number = (x, y, symbol, key, anchor = "start") =>
    `<text x="${x}" y="${y}" text-anchor="${anchor}">${symbol} = <tspan class="value" data-value="${key}"></tspan></text>`;
  const word = (x, y, key) => `<text class="word" x="${x}" y="${y}" text-anchor="end">${say(key)}</text>`;
  // A box that computes (a gate, or the RNN's tanh): its name, its function and a bar of its value.
  const gateBox = (x, name, fn, key = name) => `<rect class="gate" x="${x - 42}" y="${GATE_Y - 18}" width="84" height="36" rx="4"/>
    <rect class="track" x="${x - 38}" y="${GATE_Y + 11}" width="76" height="4"/>
    <rect class="level" data-level="${key}" data-centre="${x}" x="${x}" y="${GATE_Y + 11}" width="0" height="4"/>
    <text class="op-text" x="${x}" y="${GATE_Y - 4}">${name ? say(GATE_WORDS[name]) : ""}</text>
    <text class="op-text" x="${x}" y="${name ? GATE_Y + 8 : GATE_Y + 2}">${fn}</text>`;
  // x_t and h_(t−1) along the bottom to every box at `xs`, from `from` (where h_(t−1) comes in).
  const bus = (xs, from) => wire([[from, BUS_Y], [Math.max(...xs), BUS_Y]], false) +
    xs.map((x) => wire([[x, BUS_Y], [x, GATE_Y + 20]])).join("") + wire([[330, CELL_STRIP.y], [330, BUS_Y]], false);

  return {
    lstm: () => [
      wire([[20, STATE_Y], [186, STATE_Y]]), wire([[212, STATE_Y], [336, STATE_Y]]), wire([[362, STATE_Y], [700, STATE_Y]]),
      wire([[520, STATE_Y], [520, 111]]), wire([[520, 137], [520, 171]]), wire([[532, 185], [700, 185]]),
      wire([[200, GATE_Y - 18], [200, 84]]), wire([[300, GATE_Y - 18], [300, 160], [336, 160]]),
      wire([[400, GATE_Y - 18], [400, 160], [364, 160]]), wire([[350, 148], [350, 84]]), wire([[520, GATE_Y - 18], [520, 199]]),
      bus([200, 300, 400, 520], 20),
      operation(200, STATE_Y, "\u00d7"), operation(350, STATE_Y, "+"), operation(350, 160, "\u00d7"), operation(520, 185, "\u00d7"),
      `<ellipse class="op" cx="520" cy="125" rx="24" ry="12"/><text class="op-text" x="520" y="129">tanh</text>`,
      gateBox(200, "forget", "\u03c3"), gateBox(300, "input", "\u03c3"), gateBox(400, "candidate", "tanh"), gateBox(520, "output", "\u03c3"),
      word(700, 42, "views.cell_memory"), number(20, 60, "c_(t\u22121)", "cPrev"), number(700, 60, "c_t", "c", "end"),
      number(275, 60, "f_t\u00b7c_(t\u22121)", "fc", "middle"), number(206, 215, "f_t", "forget"),
      number(306, 205, "i_t", "input"), number(406, 205, "g_t", "candidate"), number(356, 118, "i_t\u00b7g_t", "ig"),
      number(550, 129, "tanh(c_t)", "tanhC"), number(526, 222, "o_t", "output"),
      word(700, 177, "views.cell_hidden"), number(700, 205, "h_t", "h", "end"), number(20, 288, "h_(t\u22121)", "hPrev"),
    ],
    gru: () => [
      wire([[20, STATE_Y], [186, STATE_Y]]), wire([[212, STATE_Y], [406, STATE_Y]]), wire([[432, STATE_Y], [700, STATE_Y]]),
      wire([[140, STATE_Y], [140, BUS_Y]], false), bus([200, 300, 420], 140),
      wire([[200, GATE_Y - 18], [200, 84]]), wire([[200, 150], [286, 150]]), wire([[312, 150], [406, 150]]),
      wire([[420, GATE_Y - 18], [420, 164]]), wire([[420, 138], [420, 84]]), wire([[342, GATE_Y], [376, GATE_Y]]),
      operation(200, STATE_Y, "\u00d7"), operation(420, STATE_Y, "+"), operation(300, 150, "1\u2212"), operation(420, 150, "\u00d7"),
      gateBox(200, "update", "\u03c3"), gateBox(300, "reset", "\u03c3"), gateBox(420, "candidate", "tanh"),
      word(700, 42, "views.cell_hidden"), number(20, 60, "h_(t\u22121)", "hPrev"), number(700, 60, "h_t", "h", "end"),
      number(310, 60, "z_t\u00b7h_(t\u22121)", "zh", "middle"), number(206, 215, "z_t", "update"),
      number(318, 142, "1 \u2212 z_t", "oneMinusZ"), number(300, 226, "r_t", "reset", "middle"),
      number(426, 205, "n_t", "candidate"), number(426, 118, "(1 \u2212 z_t)\u00b7n_t", "zn"),
    ],
    rnn: () => [
      bus([360], 20), wire([[360, GATE_Y - 18], [360, STATE_Y], [700, STATE_Y]]), gateBox(360, "", "tanh", "h"),
      word(700, 42, "views.cell_hidden"), number(700, 60, "h_t", "h", "end"), number(20, 288, "h_(t\u22121)", "hPrev"),
      number(372, 286, "W x_t + U h_(t\u22121) + b", "a"),
    ],
  };
})();

// The equations, one line each, with the numbers of `n` (cellNumbers) filled in.
function cellEquations(kind, n) {
  const gate = (name, symbol, fn) => say("views.cell_eq_gate", {gate: say(GATE_WORDS[name]), symbol, fn, value: printed(n[name])});
  if (kind === "lstm") {
    return [gate("forget", "f_t", "sigmoid"), gate("input", "i_t", "sigmoid"), gate("candidate", "g_t", "tanh"),
      say("views.cell_eq_memory", {f: printedFactor(n.forget), c_prev: printedFactor(n.cPrev),
        i: printedFactor(n.input), g: printedFactor(n.candidate), c: printed(n.c)}),
      gate("output", "o_t", "sigmoid"),
      say("views.cell_eq_hidden_lstm", {o: printedFactor(n.output), c: printed(n.c),
        tanh_c: printedFactor(n.tanhC), h: printed(n.h)})];
  }
  if (kind === "gru") {
    return [gate("reset", "r_t", "sigmoid"), gate("update", "z_t", "sigmoid"),
      say("views.cell_eq_gru_candidate", {gate: say(GATE_WORDS.candidate), reset: printed(n.reset), value: printed(n.candidate)}),
      say("views.cell_eq_hidden_gru", {one_minus_z: printedFactor(n.oneMinusZ),
        n: printedFactor(n.candidate), z: printedFactor(n.update), h_prev: printedFactor(n.hPrev), h: printed(n.h)})];
  }
  return [say("views.cell_eq_hidden_rnn", {a: printed(n.a), h: printed(n.h)})];
}

// The unit shown: the picked one, else unit 1 of the shown model's top layer (forward).
function cellPick(data) {
  return pickedUnit(data) || {r: data.main, pick: {layer: data.main.model.layers - 1, direction: 0, unit: 0}};
}
const cellKey = (r, pick) => `${r.model.name} ${pick.layer} ${pick.direction}`;  // what needs a new diagram

// The heatmap beside the diagram: h_t of the shown unit's layer and direction (click: pick a unit and row).
function cellPanels(data) {
  const {r, pick} = cellPick(data), name = r === data.main ? undefined : r.model.name;
  return hiddenPanels(r, name).filter((p) => p.unit.layer === pick.layer && p.unit.direction === pick.direction)
    .map((p) => ({...p, model: name}));
}

let cellShown = null;  // the diagram on the page: its key and the elements each step rewrites

function renderCell(box, data) {
  const {r, pick} = cellPick(data), kind = r.model.cell, inputs = cellInput(r, pick.layer, 0).length;
  const strip = [...Array(inputs).keys()].map((k) => `<rect x="${(CELL_STRIP.x + k * CELL_STRIP.width / inputs).toFixed(2)}" y="${CELL_STRIP.y}"
    width="${(CELL_STRIP.width / inputs + 0.3).toFixed(2)}" height="${CELL_STRIP.height}"/>`).join("");
  const figure = document.createElement("figure");
  figure.className = "cell-figure";
  figure.innerHTML = `<figcaption class="cell-title"></figcaption>
    <svg viewBox="0 0 720 350" role="img" aria-label="${say("views.cell_label", {cell: kind.toUpperCase()})}">
      <defs><marker id="cell-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
        <path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>
      <rect class="cell-box" x="130" y="28" width="470" height="282" rx="14"/>
      ${CELL_DIAGRAMS[kind]().join("")}
      <text x="${CELL_STRIP.x - 8}" y="${CELL_STRIP.y + 11}" text-anchor="end">x_t</text><g class="strip">${strip}</g>
      <rect class="strip-frame" x="${CELL_STRIP.x}" y="${CELL_STRIP.y}" width="${CELL_STRIP.width}" height="${CELL_STRIP.height}"/>
    </svg>
    <p class="cell-input"></p>
    <div class="cell-equations">${cellEquations(kind, cellNumbers(r, pick, 0)).map(() => "<p></p>").join("")}</div>
    <p class="cap">${say("views.cell_hint")}</p>`;
  box.append(figure);
  const all = (selector) => [...figure.querySelectorAll(selector)];
  cellShown = {key: cellKey(r, pick), figure, values: all("[data-value]"), levels: all("[data-level]"),
               strip: all(".strip rect"), equations: all(".cell-equations p"), title: figure.querySelector(".cell-title"),
               input: figure.querySelector(".cell-input")};
  stepCell();
}

// The numbers of the cursor row: text, bars and the input strip only.
function stepCell() {
  const data = state.data;
  if (!cellShown || !cellShown.figure.isConnected || !data || !data.main) return;
  const {r, pick} = cellPick(data);
  if (cellKey(r, pick) !== cellShown.key) { renderView(); return; }  // another model, layer or direction
  const row = state.cursor - 1, n = cellNumbers(r, pick, row), D = r.hidden.shape[1];
  for (const node of cellShown.values) node.textContent = printed(n[node.dataset.value]);
  for (const bar of cellShown.levels) {
    const v = n[bar.dataset.level], centre = Number(bar.dataset.centre);
    const [from, width] = CELL_SIGNED_BARS.has(bar.dataset.level) ? [centre + Math.min(0, v) * 38, Math.abs(v) * 38] : [centre - 38, v * 76];
    bar.setAttribute("x", from.toFixed(1));
    bar.setAttribute("width", width.toFixed(1));
  }
  const colour = pick.layer === 0 ? (v) => COLOURS.greys(v) : (v) => COLOURS.diverging((v + 1) / 2);
  cellShown.strip.forEach((rect, k) => rect.setAttribute("fill", `rgb(${colour(n.x[k])})`));
  cellEquations(r.model.cell, n).forEach((line, k) => { cellShown.equations[k].textContent = line; });
  const way = D > 1 ? say("views.cell_way", {way: say(pick.direction ? "views.backward" : "views.forward")}) : "";
  const cell = r === data.main ? r.model.cell.toUpperCase() : `${r.model.name} \u00b7 ${r.model.cell.toUpperCase()}`;
  const before = n.first ? say("views.cell_first_step") : say("views.cell_previous_step", {row: row + (pick.direction ? 2 : 0)});
  cellShown.title.textContent =
    say("views.cell_title", {cell, unit: pick.unit + 1, layer: pick.layer + 1, way, row: row + 1, before});
  cellShown.input.textContent = pick.layer === 0 ? say("views.cell_input_pixels", {row: row + 1})
    : say("views.cell_input_below", {layer: pick.layer, row: row + 1, values: n.x.length});
}

const cellView = {title: "The cell at work", panels: cellPanels, after: renderCell, step: stepCell};
