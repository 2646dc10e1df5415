// demo/engine/cells.js on its own (no Python): `node --test tests/js/`. Tiny models with weights
// chosen by hand, whose states follow from the equations in a line or two.
// tests/test_engine.py checks that every served model's trace equals model/trace.py's.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const ENGINE = path.join(__dirname, "../../demo/engine");
const {readWeights, trace, GATE_NAMES} = require(path.join(ENGINE, "cells.js"));
const BLOCKS = {lstm: 4, gru: 3, rnn: 1};  // gates stacked in torch's weight matrices

// A row-weights-v1 file as model/export.py writes it, for a model of `units` per direction whose
// tensors are all zero except those in `set` ({name: values}, torch's state_dict names).
function exported({cell = "lstm", units = 1, layers = 1, bidirectional = false, standardise = false, nonlinearity,
                   temperature = 1, set = {}, format = "row-weights-v1"} = {}) {
  const config = {cell, hidden_size: units, num_layers: layers, bidirectional, dropout: 0, standardise};
  if (nonlinearity) config.nonlinearity = nonlinearity;
  const directions = bidirectional ? 2 : 1, stacked = BLOCKS[cell] * units;
  const shapes = {};
  for (let layer = 0; layer < layers; layer++) {
    for (let direction = 0; direction < directions; direction++) {
      const suffix = `_l${layer}` + (direction ? "_reverse" : "");
      shapes[`rnn.weight_ih${suffix}`] = [stacked, layer ? units * directions : 28];
      shapes[`rnn.weight_hh${suffix}`] = [stacked, units];
      shapes[`rnn.bias_ih${suffix}`] = [stacked];
      shapes[`rnn.bias_hh${suffix}`] = [stacked];
    }
  }
  Object.assign(shapes, {"head.weight": [10, units * directions], "head.bias": [10], temperature: []});
  const tensors = [], values = [];
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({name, shape, offset: values.length});
    values.push(...(set[name] || (name === "temperature" ? [temperature] : new Array(size).fill(0))));
  }
  const header = {format, name: "tiny", config, temperature, unsure_below: 0.6,
                  facts: {name: "tiny", cell, layers, directions, units, unsure_below: 0.6}, tensors};
  let text = JSON.stringify(header);
  text += " ".repeat((4 - ((4 + text.length) % 4)) % 4);  // the tensors start on a 4-byte boundary
  const buffer = new ArrayBuffer(4 + text.length + 4 * values.length);
  new DataView(buffer).setUint32(0, text.length, true);
  new Uint8Array(buffer, 4, text.length).set(Buffer.from(text));
  new Float32Array(buffer, 4 + text.length).set(values);
  return buffer;
}

// A 28x28 image holding `value` at pixel (row, 0) for each [row, value], else 0.
function image(pixels) {
  const values = new Float32Array(784);
  for (const [row, value] of pixels) values[row * 28] = value;
  return values;
}

// weight_ih of a 1-unit cell that reads pixel 0 of each row with these weights, one per gate.
const readingPixel0 = (...weights) => weights.flatMap((w) => [w, ...new Array(27).fill(0)]);

// One direction's values at every row: trace arrays are [layer, direction, row, unit].
function rows(array, layer = 0, direction = 0, unit = 0) {
  const [, directions, rowCount, units] = array.shape;
  const at = (row) => ((layer * directions + direction) * rowCount + row) * units + unit;
  return Array.from({length: rowCount}, (_, row) => array.values[at(row)]);
}

function assertClose(actual, expected, tolerance = 1e-6) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `at ${i}: ${a}, expected ${expected[i]}`));
}

test("an LSTM whose forget gate is one half halves its memory every row", () => {
  // Row 0's pixel opens the input gate and writes 1 (i = sigmoid(100) = 1, g = tanh(100) = 1); no
  // weight reads h, so afterwards every gate sees 0: i = f = o = 1/2, g = 0, and c_t = c_{t-1} / 2.
  const model = readWeights(exported({set: {"rnn.weight_ih_l0": readingPixel0(100, 0, 100, 0)}}));
  const {hidden, cell, gates} = trace(model, image([[0, 1]]));
  const memory = Array.from({length: 28}, (_, t) => 0.5 ** t);
  assertClose(rows(cell), memory);
  assertClose(rows(hidden), memory.map((c) => 0.5 * Math.tanh(c)));
  assertClose(rows(gates.input).slice(0, 2), [1, 0.5]);
  assertClose(rows(gates.forget).slice(0, 2), [0.5, 0.5]);
  assertClose(rows(gates.candidate).slice(0, 2), [1, 0]);
  assertClose(rows(gates.output).slice(0, 2), [0.5, 0.5]);
});

test("a plain RNN carries h to the next row through W_hh; relu where the config says so", () => {
  const set = {"rnn.weight_ih_l0": readingPixel0(1), "rnn.weight_hh_l0": [0.5], "rnn.bias_ih_l0": [0.1]};
  const drawn = image(Array.from({length: 28}, (_, t) => [t, t / 27]));
  const expected = [];
  for (let t = 0, h = 0; t < 28; t++) expected.push(h = Math.tanh(t / 27 + 0.1 + 0.5 * h));
  assertClose(rows(trace(readWeights(exported({cell: "rnn", set})), drawn).hidden), expected);

  const negative = {...set, "rnn.weight_ih_l0": readingPixel0(-1)};
  const firstRow = (model) => rows(trace(readWeights(model), image([[0, 1]])).hidden)[0];
  assert.equal(firstRow(exported({cell: "rnn", set: negative})), Math.fround(Math.tanh(-0.9)));
  assert.equal(firstRow(exported({cell: "rnn", nonlinearity: "relu", set: negative})), 0);
});

test("a GRU's update gate: shut, h is the candidate; open, h keeps its start", () => {
  // z = sigmoid(-100) = 0: h_t = n_t = tanh(W_in x_t + r_t * W_hn h_{t-1}), r = 1/2 (nothing reads into it).
  const shut = {"rnn.weight_ih_l0": readingPixel0(0, 0, 1), "rnn.bias_ih_l0": [0, -100, 0],
                "rnn.weight_hh_l0": [0, 0, 2]};
  const {hidden, gates} = trace(readWeights(exported({cell: "gru", set: shut})), image([[0, 1]]));
  assertClose(rows(hidden).slice(0, 2), [Math.tanh(1), Math.tanh(0.5 * 2 * Math.tanh(1))]);
  assertClose(rows(gates.update).slice(0, 2), [0, 0]);
  assertClose(rows(gates.reset).slice(0, 2), [0.5, 0.5]);
  const open = {...shut, "rnn.bias_ih_l0": [0, 100, 0]};
  assert.ok(rows(trace(readWeights(exported({cell: "gru", set: open})), image([[0, 1]])).hidden).every((h) => h === 0));
});

test("bidirectional: the backward cell at row 27 has read row 27 only, and reads the rows bottom up", () => {
  const set = {};  // the same weights both ways
  for (const suffix of ["_l0", "_l0_reverse"]) {
    Object.assign(set, {[`rnn.weight_ih${suffix}`]: readingPixel0(1), [`rnn.weight_hh${suffix}`]: [0.5],
                        [`rnn.bias_ih${suffix}`]: [0.1]});
  }
  const model = readWeights(exported({cell: "rnn", bidirectional: true, set}));
  const drawn = image(Array.from({length: 28}, (_, t) => [t, ((t * 7) % 11) / 10]));
  const {hidden} = trace(model, drawn);
  assert.deepEqual(hidden.shape, [1, 2, 28, 1]);
  assertClose([rows(hidden, 0, 1)[27]], [Math.tanh(drawn[27 * 28] + 0.1)]);
  const otherAbove = drawn.map((v, i) => (i < 27 * 28 ? 1 - v : v));
  const changed = trace(model, otherAbove).hidden;
  assert.equal(rows(changed, 0, 1)[27], rows(hidden, 0, 1)[27]);
  assert.notEqual(rows(changed, 0, 0)[27], rows(hidden, 0, 0)[27]);
  const flipped = new Float32Array(784);
  for (let t = 0; t < 28; t++) flipped.set(drawn.subarray(t * 28, t * 28 + 28), (27 - t) * 28);
  assert.deepEqual(rows(trace(model, flipped).hidden, 0, 0), rows(hidden, 0, 1).reverse());
});

test("a stacked layer reads the layer below, forward and backward side by side", () => {
  // Layer 1's forward cell reads only the second half of its input: layer 0's backward output.
  const set = {"rnn.weight_ih_l0": readingPixel0(1), "rnn.weight_ih_l0_reverse": readingPixel0(-2),
               "rnn.weight_ih_l1": [0, 1], "rnn.weight_ih_l1_reverse": [1, 0]};
  const model = readWeights(exported({cell: "rnn", layers: 2, bidirectional: true, set}));
  const {hidden} = trace(model, image([[0, 0.5], [3, 1]]));
  assert.deepEqual(hidden.shape, [2, 2, 28, 1]);
  assertClose(rows(hidden, 1, 0), rows(hidden, 0, 1).map(Math.tanh));
  assertClose(rows(hidden, 1, 1), rows(hidden, 0, 0).map(Math.tanh));
  assert.ok(rows(hidden, 0, 1)[0] < 0 && rows(hidden, 0, 0)[0] > 0);  // the two halves differ
});

test("a standardising model reads (pixel - 0.1307) / 0.3081", () => {
  const set = {"rnn.weight_ih_l0": readingPixel0(1)};
  const standardising = readWeights(exported({cell: "rnn", standardise: true, set}));
  const plain = readWeights(exported({cell: "rnn", set}));
  assertClose(trace(standardising, new Float32Array(784).fill(0.1307)).hidden.values,
              trace(plain, new Float32Array(784)).hidden.values);
  assertClose([rows(trace(standardising, image([[0, 1]])).hidden)[0]], [Math.tanh((1 - 0.1307) / 0.3081)]);
});

test("every row's output goes through the head, divided by the temperature, softmax per row", () => {
  const head = Array.from({length: 10}, (_, k) => k);  // logit k = k * h
  const set = {"rnn.weight_ih_l0": readingPixel0(1), "head.weight": head, "head.bias": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]};
  const model = readWeights(exported({cell: "rnn", temperature: 2, set}));
  const {hidden, probsPerRow} = trace(model, image([[0, 1], [1, 0.3]]));
  assert.deepEqual(probsPerRow.shape, [28, 10]);
  for (const t of [0, 1, 27]) {
    const h = rows(hidden)[t];
    const exps = head.map((k) => Math.exp((k * h + (k === 9 ? 1 : 0)) / 2));
    const total = exps.reduce((a, b) => a + b);
    assertClose(probsPerRow.values.slice(t * 10, t * 10 + 10), exps.map((e) => e / total));
  }
});

test("shapes and gate names for every cell; the cell state for the LSTM only", () => {
  for (const cell of ["lstm", "gru", "rnn"]) {
    const model = readWeights(exported({cell, units: 3, layers: 2, bidirectional: true}));
    const rowTrace = trace(model, new Float32Array(784));
    assert.deepEqual(rowTrace.hidden.shape, [2, 2, 28, 3]);
    assert.ok(rowTrace.hidden.values instanceof Float32Array && rowTrace.hidden.values.length === 2 * 2 * 28 * 3);
    assert.deepEqual(Object.keys(rowTrace.gates), GATE_NAMES[cell]);
    for (const gate of Object.values(rowTrace.gates)) assert.deepEqual(gate.shape, [2, 2, 28, 3]);
    assert.equal(rowTrace.cell === null, cell !== "lstm");
  }
  assert.deepEqual(GATE_NAMES, {lstm: ["input", "forget", "candidate", "output"],
                                gru: ["reset", "update", "candidate"], rnn: []});
});

test("readWeights refuses another format, a truncated file and tensors that do not fit the config", () => {
  const good = exported();
  assert.throws(() => readWeights(exported({format: "row-weights-v0"})), /format is "row-weights-v0"/);
  assert.throws(() => readWeights(good.slice(0, good.byteLength - 4)), /runs past the end of the file/);
  assert.throws(() => readWeights(good.slice(0, 40)), /header runs past the end of the file/);
  assert.throws(() => readWeights(good.slice(0, 3)), /3 bytes long/);
  const twoUnits = exported({units: 2}), header = new DataView(twoUnits).getUint32(0, true);
  const text = Buffer.from(twoUnits.slice(4, 4 + header)).toString().replace('"hidden_size":2', '"hidden_size":1');
  const relabelled = twoUnits.slice(0);
  new Uint8Array(relabelled, 4, header).set(Buffer.from(text));
  assert.throws(() => readWeights(relabelled),
                /tensor rnn\.weight_ih_l0 is shaped \[8,28\], its config .* needs \[4,28\]/);
  const model = readWeights(good);
  assert.equal(model.config.cell, "lstm");
  assert.equal(model.unsureBelow, 0.6);
  assert.equal(model.temperature, 1);
  assert.deepEqual(model.tensors["rnn.weight_hh_l0"].shape, [4, 1]);
});

test("as parts of one worker script, each file in its own scope, they define self.cells, self.reading, ...", () => {
  const self = {};
  const script = ["preprocess.js", "cells.js", "reading.js", "attribution.js"]
    .map((name) => `(function () {\n${fs.readFileSync(path.join(ENGINE, name), "utf8")}\n})();\n`).join("");
  vm.runInNewContext(script, {self, TextDecoder});
  assert.deepEqual(Object.keys(self), ["preprocess", "cells", "reading", "attribution"]);
  const model = self.cells.readWeights(exported());
  const words = require(path.join(__dirname, "../../demo/strings/en.json"));
  const read = self.reading.reading(image([[0, 1]]), self.cells.trace(model, image([[0, 1]])), model, "tiny", words);
  assert.equal(read.format, "row-trace-v1");
  assert.match(read.status, /^\*\*Not sure\*\*: maybe a 9/);  // a tiny untrained model: all 10%
});
