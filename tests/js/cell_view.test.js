// demo/view_cell.js's numbers on their own (no browser): `node --test tests/js/`. Readings made
// here by stepping the cells' equations over random gates, forward and backward; the browser
// test (tests/test_cell_view.py) checks the page's numbers against model/trace.py's.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

// The view's script runs inside the page's one function (demo/components.py); here, the shared
// helpers and the view alone, with say() giving the key and its values.
const DEMO = path.join(__dirname, "../../demo");
const source = ["views_common.js", "view_cell.js"].map((name) => fs.readFileSync(path.join(DEMO, name), "utf8")).join("\n");
const view = new Function("say", "element", `${source}\nreturn {cellNumbers, cellEquations, printed, printedFactor, pickedUnit, state};`)(
  (key, values = {}) => `${key} ${JSON.stringify(values)}`, null);
const {cellNumbers, cellEquations, printed, printedFactor, pickedUnit, state} = view;

const ROWS = 28;
const array = (shape, values) => ({shape, lo: -1, hi: 1, values: Float32Array.from(values)});

// A reading of `cell` with `layers` x `directions` x `units`: random gates, the states they give
// (rows in each direction's reading order), c_t kept aside to check the view's rebuilt one.
function madeUp(cell, {layers = 2, directions = 2, units = 3, seed = 1} = {}) {
  let s = seed;
  const random = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const size = layers * directions * ROWS * units, at = (l, d, t, u) => ((l * directions + d) * ROWS + t) * units + u;
  const names = {lstm: ["input", "forget", "candidate", "output"], gru: ["reset", "update", "candidate"], rnn: []}[cell];
  const gates = Object.fromEntries(names.map((name) => [name, Array.from({length: size},
    () => (name === "candidate" ? 2 * random() - 1 : random()))]));
  const hidden = new Array(size), cells = new Array(size);
  for (let l = 0; l < layers; l++) for (let d = 0; d < directions; d++) for (let u = 0; u < units; u++) {
    let h = 0, c = 0;
    for (let n = 0; n < ROWS; n++) {
      const t = d ? ROWS - 1 - n : n, i = at(l, d, t, u), g = (name) => Math.fround(gates[name][i]);
      if (cell === "lstm") { c = g("forget") * c + g("input") * g("candidate"); h = g("output") * Math.tanh(c); }
      else if (cell === "gru") h = (1 - g("update")) * g("candidate") + g("update") * Math.fround(h);
      else h = Math.tanh(2 * random() - 1 + 0.5 * h);
      hidden[i] = h; cells[i] = c;
    }
  }
  const shape = [layers, directions, ROWS, units];
  return {
    reading: {model: {name: "made-up", cell, layers, directions, units}, input: array([ROWS, 28], Array.from({length: 784}, random)),
              hidden: array(shape, hidden), memory: cell === "lstm" ? array(shape, cells.map(Math.tanh)) : null,
              gates: Object.fromEntries(Object.entries(gates).map(([name, v]) => [name, array(shape, v)]))},
    cells, at, hidden,
  };
}

test("cellNumbers rebuilds an LSTM's c_t from its gates, forward and backward, and names the state before", () => {
  const {reading, cells, at} = madeUp("lstm");
  for (const [layer, direction, row, unit] of [[0, 0, 0, 0], [0, 0, 13, 2], [1, 1, 27, 1], [1, 1, 5, 0], [1, 0, 27, 2]]) {
    const n = cellNumbers(reading, {layer, direction, unit}, row);
    const step = direction ? 1 : -1, first = row === (direction ? ROWS - 1 : 0);
    assert.equal(n.first, first);
    assert.ok(Math.abs(n.c - cells[at(layer, direction, row, unit)]) < 1e-6, `c at ${[layer, direction, row, unit]}`);
    assert.ok(Math.abs(Math.tanh(n.c) - n.tanhC) < 1e-6, "rebuilt c_t agrees with the reading's tanh(c_t)");
    if (first) assert.equal(n.cPrev, 0);
    else assert.ok(Math.abs(n.cPrev - cells[at(layer, direction, row + step, unit)]) < 1e-6);
    assert.ok(Math.abs(n.fc + n.ig - n.c) < 1e-6, "c_t = f_t·c_(t−1) + i_t·g_t");
    assert.ok(Math.abs(n.output * n.tanhC - n.h) < 1e-6, "h_t = o_t·tanh(c_t)");
    assert.equal(n.hPrev, first ? 0 : reading.hidden.values[at(layer, direction, row + step, unit)]);
  }
});

test("cellNumbers: x_t is the row's 28 pixels for layer 1, the layer below's h_t (both directions) above it", () => {
  const {reading, at} = madeUp("lstm");
  assert.deepEqual(Array.from(cellNumbers(reading, {layer: 0, direction: 1, unit: 0}, 4).x), Array.from(reading.input.values.slice(112, 140)));
  const x = cellNumbers(reading, {layer: 1, direction: 0, unit: 0}, 4).x;
  assert.equal(x.length, 6);
  assert.deepEqual(Array.from(x), [0, 1].flatMap((d) => [0, 1, 2].map((u) => reading.hidden.values[at(0, d, 4, u)])));
});

test("cellNumbers: a GRU's h_t = (1 − z_t)·n_t + z_t·h_(t−1), a plain RNN's sum inside tanh", () => {
  const gru = madeUp("gru", {seed: 7});
  for (const [direction, row] of [[0, 0], [0, 11], [1, 27], [1, 3]]) {
    const n = cellNumbers(gru.reading, {layer: 1, direction, unit: 2}, row);
    assert.ok(Math.abs(n.zn + n.zh - n.h) < 1e-6);
    assert.ok(Math.abs(n.oneMinusZ + n.update - 1) < 1e-7);
  }
  const rnn = madeUp("rnn", {layers: 1, directions: 1});
  const n = cellNumbers(rnn.reading, {layer: 0, direction: 0, unit: 1}, 9);
  assert.ok(Math.abs(Math.tanh(n.a) - n.h) < 1e-6);
  assert.equal(printed(Math.atanh(1)), "\u2265 9");  // saturated: only a bound is known
});

test("the equations: one line per gate and state, negative factors in brackets", () => {
  assert.equal(printedFactor(-0.8), "(\u22120.80)");
  assert.equal(printedFactor(0.004), "0.00");
  assert.equal(printed(-0.004), "0.00");
  const {reading} = madeUp("lstm");
  const lines = cellEquations("lstm", cellNumbers(reading, {layer: 0, direction: 0, unit: 0}, 3));
  assert.equal(lines.length, 6);
  assert.ok(lines[3].startsWith("views.cell_eq_memory "));
  assert.equal(cellEquations("gru", cellNumbers(madeUp("gru").reading, {layer: 0, direction: 0, unit: 0}, 3)).length, 4);
});

test("pickedUnit: the clicked unit of the model it was clicked in, none when it no longer fits", () => {
  const main = madeUp("lstm").reading, other = {...madeUp("gru", {layers: 1, directions: 1}).reading, model: {name: "g",
    cell: "gru", layers: 1, directions: 1, units: 3}};
  state.unit = {layer: 1, direction: 1, unit: 2};
  assert.equal(pickedUnit({main, other}).r, main);
  state.unit = {layer: 0, direction: 0, unit: 2, model: "g"};
  assert.equal(pickedUnit({main, other}).r, other);
  state.unit = {layer: 1, direction: 0, unit: 0, model: "g"};
  assert.equal(pickedUnit({main, other}), null);
  state.unit = null;
  assert.equal(pickedUnit({main, other}), null);
});

test("the page's view scripts, run as one function (demo/components.py), declare each name once", () => {
  const scripts = ["language.js", ...fs.readdirSync(DEMO).filter((name) => /^views?_.*\.js$/.test(name))];
  const together = scripts.map((name) => fs.readFileSync(path.join(DEMO, name), "utf8")).join("\n");
  assert.doesNotThrow(() => new Function("element", "props", together));  // a SyntaxError names the twice-declared one
});
