// The network in the browser: the recurrent cell stepped row by row, every value it computes kept.
//
// This file mirrors model/trace.py step by step; read the two side by side. Python -> JavaScript:
//   GATE_NAMES -> GATE_NAMES, _lstm_step -> lstmStep, _gru_step -> gruStep, _rnn_step -> rnnStep,
//   _run_direction -> runDirection, trace -> trace; model/model.py's RowClassifier.rows -> pixelRows,
//   its .logits with the softmax -> probsPerRow; readWeights reads model/export.py's "row-weights-v1".
// It runs the same weights (torch's, as the weights file holds them) through the same equations in
// the same order; tests/test_engine.py checks that every served model's trace equals Python's.
//
// The LSTM (PyTorch's gate order i, f, g, o in the stacked weights):
//     i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate: how much to write
//     f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate: how much to keep
//     g_t =    tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     candidate: what to write
//     o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate: how much to show
//     c_t = f_t * c_{t-1} + i_t * g_t                          cell state: the memory
//     h_t = o_t * tanh(c_t)                                    hidden state: what is passed on
// The GRU:
//     r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)     reset gate
//     z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)     update gate: how much to keep
//     n_t =    tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   candidate
//     h_t = (1 - z_t) * n_t + z_t * h_{t-1}
// The plain RNN:
//     h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)       (relu instead of tanh where the config
//                                                              says nonlinearity "relu", as torch's
//                                                              nn.RNN(nonlinearity="relu"); ModelConfig
//                                                              has no such field, so every preset is tanh)
// A bidirectional layer runs a second cell from the last row up to the first; its state at row t
// has read rows t..27. Layer k > 0 reads the outputs of layer k-1 (both directions side by side).
//
// What if (trace.py's WhatIf, the same fields): {erased_rows: [1..28], from_row: 1..28 or null,
// memory: "wipe" | "forget" | "keep" | null, silenced: [layer, direction, unit] or null}: input rows
// erased (x_t = 0), and from from_row on, in each direction's reading order, the memory wiped once
// (c = 0 going into that row; a GRU's or RNN's memory is h), forgetting everything (f_t = 0; GRU
// z_t = 0) or keeping everything (f_t = 1; z_t = 1), or one unit silenced (its h_t = 0).
//
// Input: readWeights(arrayBuffer) -> model; trace(model, image, whatIf = null), image a
// Float32Array(784), the row-major 28x28 in [0, 1] that preprocess.js gives. Output: {hidden, cell, gates, probsPerRow},
// each array {shape, values: Float32Array}, row-major: hidden [layer, direction, row, unit], cell the
// same (LSTM only, else null), gates {name: the same} (names as GATE_NAMES), probsPerRow [row, class].
// Python's trace has an image axis after the direction; this one reads one image, so it has none.
//
// Speed: the input part of every gate is computed for all rows at once (x_proj, as trace.py does),
// the state lives in a few arrays made once per direction, and each step writes straight into the
// output arrays. Sums run in JavaScript's float64 and are stored as float32, as torch stores them.

const FORMAT = "row-weights-v1";  // model/export.py's FORMAT
const ROWS = 28, PIXELS_PER_ROW = 28, NUM_CLASSES = 10;  // model/model.py
const MNIST_MEAN = 0.1307, MNIST_STD = 0.3081;  // model/model.py: of the MNIST training pixels
const GATE_NAMES = {
  lstm: ["input", "forget", "candidate", "output"],
  gru: ["reset", "update", "candidate"],
  rnn: [],
};
const STACKED = {lstm: 4, gru: 3, rnn: 1};  // blocks stacked in each weight matrix (torch: i f g o; r z n)
const WEIGHT_NAMES = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];

// The model from an exported file: uint32 LE header length | JSON header | float32 LE tensors.
// The tensors are views on the buffer, not copies (every platform a browser runs on is little-endian).
function readWeights(arrayBuffer) {
  const refuse = (why) => { throw new Error(`not a usable ${FORMAT} weights file: ${why}`); };
  if (arrayBuffer.byteLength < 4) refuse(`it is ${arrayBuffer.byteLength} bytes long`);
  const headerLength = new DataView(arrayBuffer).getUint32(0, true);
  if (4 + headerLength > arrayBuffer.byteLength) refuse("its header runs past the end of the file (truncated?)");
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(arrayBuffer, 4, headerLength)));
  } catch {
    refuse("its header is not JSON");
  }
  if (!header || header.format !== FORMAT) refuse(`its format is ${JSON.stringify(header && header.format)}`);
  if (!Array.isArray(header.tensors)) refuse("its header lists no tensors");
  const start = 4 + headerLength;
  if (start % 4) refuse("its tensors do not start on a 4-byte boundary");
  const floats = Math.floor((arrayBuffer.byteLength - start) / 4);
  const tensors = {};
  for (const {name, shape, offset} of header.tensors) {
    const size = shape.reduce((product, side) => product * side, 1);
    if (offset + size > floats) refuse(`tensor ${name} runs past the end of the file (truncated?)`);
    tensors[name] = {shape, values: new Float32Array(arrayBuffer, start + 4 * offset, size)};
  }
  const config = header.config;
  if (!(config && config.cell in STACKED)) refuse(`its config names no known cell (${JSON.stringify(config)})`);
  for (const [name, shape] of Object.entries(expectedShapes(config))) {
    const found = tensors[name] ? tensors[name].shape : null;
    if (String(found) !== String(shape)) {
      refuse(`tensor ${name} is shaped [${found}], its config ${JSON.stringify(config)} needs [${shape}]`);
    }
  }
  return {header, config, temperature: header.temperature, unsureBelow: header.unsure_below,
          facts: header.facts, tensors};
}

// What each tensor's shape must be for `config`, named as torch's state_dict names them.
function expectedShapes(config) {
  const units = config.hidden_size, directions = config.bidirectional ? 2 : 1;
  const stacked = STACKED[config.cell] * units;
  const shapes = {};
  for (let layer = 0; layer < config.num_layers; layer++) {
    const features = layer === 0 ? PIXELS_PER_ROW : units * directions;
    for (let direction = 0; direction < directions; direction++) {
      const suffix = `_l${layer}` + (direction ? "_reverse" : "");
      shapes[`rnn.weight_ih${suffix}`] = [stacked, features];
      shapes[`rnn.weight_hh${suffix}`] = [stacked, units];
      shapes[`rnn.bias_ih${suffix}`] = [stacked];
      shapes[`rnn.bias_hh${suffix}`] = [stacked];
    }
  }
  return {...shapes, "head.weight": [NUM_CLASSES, units * directions], "head.bias": [NUM_CLASSES]};
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const relu = (x) => (x > 0 ? x : 0);

// out[j] = bias[j] + sum_k w[j, k] * v[vAt + k], for a row-major `rows` x `cols` matrix w.
// Eight rows at a time: each v[k] read serves eight running sums, which need not wait for each
// other (reads and additions are what this loop spends its time on).
function matVec(out, w, rows, cols, v, vAt, bias) {
  let j = 0;
  for (; j + 8 <= rows; j += 8) {
    const w0 = j * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
    const w4 = w3 + cols, w5 = w4 + cols, w6 = w5 + cols, w7 = w6 + cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let k = 0; k < cols; k++) {
      const x = v[vAt + k];
      s0 += w[w0 + k] * x; s1 += w[w1 + k] * x; s2 += w[w2 + k] * x; s3 += w[w3 + k] * x;
      s4 += w[w4 + k] * x; s5 += w[w5 + k] * x; s6 += w[w6 + k] * x; s7 += w[w7 + k] * x;
    }
    out[j] = bias[j] + s0; out[j + 1] = bias[j + 1] + s1;
    out[j + 2] = bias[j + 2] + s2; out[j + 3] = bias[j + 3] + s3;
    out[j + 4] = bias[j + 4] + s4; out[j + 5] = bias[j + 5] + s5;
    out[j + 6] = bias[j + 6] + s6; out[j + 7] = bias[j + 7] + s7;
  }
  for (; j < rows; j++) {  // the last rows when there are not eight left
    let sum = 0;
    for (let k = 0; k < cols; k++) sum += w[j * cols + k] * v[vAt + k];
    out[j] = bias[j] + sum;
  }
}

// x_proj = W_ih x_t + b_ih for all 28 rows at once (28 x the stacked gates' width), trace.py's
// `inputs @ w_ih.T + b_ih`: four weight rows by two input rows at a time, so that each weight read
// serves two sums and each input read four.
function inputProjection(inputs, features, w, bias) {
  const stacked = bias.length, xProj = new Float32Array(ROWS * stacked);
  let j = 0;
  for (; j + 4 <= stacked; j += 4) {
    const w0 = j * features, w1 = w0 + features, w2 = w1 + features, w3 = w2 + features;
    for (let t = 0; t < ROWS; t += 2) {  // ROWS is even
      const x0 = t * features, x1 = x0 + features;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let k = 0; k < features; k++) {
        const u = inputs[x0 + k], v = inputs[x1 + k];
        const p = w[w0 + k], q = w[w1 + k], r = w[w2 + k], s = w[w3 + k];
        a0 += p * u; a1 += q * u; a2 += r * u; a3 += s * u;
        b0 += p * v; b1 += q * v; b2 += r * v; b3 += s * v;
      }
      const at0 = t * stacked + j, at1 = at0 + stacked;
      xProj[at0] = bias[j] + a0; xProj[at0 + 1] = bias[j + 1] + a1;
      xProj[at0 + 2] = bias[j + 2] + a2; xProj[at0 + 3] = bias[j + 3] + a3;
      xProj[at1] = bias[j] + b0; xProj[at1 + 1] = bias[j + 1] + b1;
      xProj[at1 + 2] = bias[j + 2] + b2; xProj[at1 + 3] = bias[j + 3] + b3;
    }
  }
  for (; j < stacked; j++) {  // the last weight rows when there are not four left
    for (let t = 0; t < ROWS; t++) {
      let sum = 0;
      for (let k = 0; k < features; k++) sum += w[j * features + k] * inputs[t * features + k];
      xProj[t * stacked + j] = bias[j] + sum;
    }
  }
  return xProj;
}

// Each step: x_proj = W_ih x_t + b_ih precomputed for all rows (row t's part starts at xAt);
// `state` holds h and c before the step and after it, `hh`, room for W_hh h + b_hh, and `keep`, the
// value a what-if sets the gate that keeps memory to (f, or a GRU's z; null: none); the step
// writes row t's h, c and gates into `out` from index `at` (row t of one direction).

// One LSTM step.
function lstmStep(xProj, xAt, state, wHh, bHh, out, at) {
  const {h, c, hh} = state, units = h.length;
  matVec(hh, wHh, 4 * units, units, h, 0, bHh);
  const {input, forget, candidate, output} = out.gates;
  for (let j = 0; j < units; j++) {
    const i = sigmoid(xProj[xAt + j] + hh[j]);
    const f = state.keep === null ? sigmoid(xProj[xAt + units + j] + hh[units + j]) : state.keep;
    const g = Math.tanh(xProj[xAt + 2 * units + j] + hh[2 * units + j]);
    const o = sigmoid(xProj[xAt + 3 * units + j] + hh[3 * units + j]);
    c[j] = f * c[j] + i * g;
    h[j] = o * Math.tanh(c[j]);
    input[at + j] = i; forget[at + j] = f; candidate[at + j] = g; output[at + j] = o;
    out.cell[at + j] = c[j];
    out.hidden[at + j] = h[j];
  }
}

// One GRU step.
function gruStep(xProj, xAt, state, wHh, bHh, out, at) {
  const {h, hh} = state, units = h.length;
  matVec(hh, wHh, 3 * units, units, h, 0, bHh);
  const {reset, update, candidate} = out.gates;
  for (let j = 0; j < units; j++) {
    const r = sigmoid(xProj[xAt + j] + hh[j]);
    const z = state.keep === null ? sigmoid(xProj[xAt + units + j] + hh[units + j]) : state.keep;
    const n = Math.tanh(xProj[xAt + 2 * units + j] + r * hh[2 * units + j]);
    h[j] = (1 - z) * n + z * h[j];
    reset[at + j] = r; update[at + j] = z; candidate[at + j] = n;
    out.hidden[at + j] = h[j];
  }
}

// One plain RNN step: tanh, or the nonlinearity given.
function rnnStep(xProj, xAt, state, wHh, bHh, out, at, nonlinearity = Math.tanh) {
  const {h, hh} = state, units = h.length;
  matVec(hh, wHh, units, units, h, 0, bHh);
  for (let j = 0; j < units; j++) {
    h[j] = nonlinearity(xProj[xAt + j] + hh[j]);
    out.hidden[at + j] = h[j];
  }
}

// Run one cell over the 28 rows of `inputs` (row-major 28 x `features`), from the last row up when
// `reverse`; writes every row's h, c and gates into `out` (each array 28 x units). `whatIf` changes
// the state from its row on; `silencedUnit`: this cell's unit to silence (or null).
function runDirection(step, inputs, features, weights, units, reverse, out, whatIf = null, silencedUnit = null) {
  const [wIh, wHh, bIh, bHh] = weights;
  const stacked = bIh.length;  // the width of all gates side by side
  const xProj = inputProjection(inputs, features, wIh, bIh);  // the input part of every gate, all rows
  const state = {h: new Float32Array(units), c: new Float32Array(units), hh: new Float64Array(stacked), keep: null};
  const keep = whatIf ? {forget: 0, keep: 1}[whatIf.memory] ?? null : null;
  const start = whatIf && whatIf.from_row ? whatIf.from_row - 1 : null;
  for (let n = 0; n < ROWS; n++) {
    const t = reverse ? ROWS - 1 - n : n;
    const changed = start !== null && (reverse ? t <= start : t >= start);
    if (changed && whatIf.memory === "wipe" && t === start) (step === lstmStep ? state.c : state.h).fill(0);  // once
    state.keep = changed ? keep : null;
    step(xProj, t * stacked, state, wHh, bHh, out, t * units);
    if (changed && silencedUnit !== null) state.h[silencedUnit] = out.hidden[t * units + silencedUnit] = 0;
  }
}

// The 28 rows the cell reads: the image's pixels, standardised when the model was trained so.
function pixelRows(image, standardise) {
  return standardise ? image.map((pixel) => (pixel - MNIST_MEAN) / MNIST_STD) : image;
}

// The (calibrated) head on every row's output (row-major 28 x `features`), softmax per row: 28 x 10.
function probsPerRow(model, outputs, features) {
  const {values: weight} = model.tensors["head.weight"], {values: bias} = model.tensors["head.bias"];
  const probs = new Float32Array(ROWS * NUM_CLASSES), logits = new Float64Array(NUM_CLASSES);
  for (let t = 0; t < ROWS; t++) {
    matVec(logits, weight, NUM_CLASSES, features, outputs, t * features, bias);
    let largest = -Infinity, total = 0;
    for (let k = 0; k < NUM_CLASSES; k++) {
      logits[k] /= model.temperature;
      largest = Math.max(largest, logits[k]);
    }
    for (let k = 0; k < NUM_CLASSES; k++) total += (logits[k] = Math.exp(logits[k] - largest));
    for (let k = 0; k < NUM_CLASSES; k++) probs[t * NUM_CLASSES + k] = logits[k] / total;
  }
  return {shape: [ROWS, NUM_CLASSES], values: probs};
}

// The image with the given rows (1..28) erased (no ink), a copy; the image itself when there are none.
function erasedRows(image, rows) {
  if (!rows.length) return image;
  const erased = image.slice();
  for (const row of rows) erased.fill(0, (row - 1) * PIXELS_PER_ROW, row * PIXELS_PER_ROW);
  return erased;
}

// Step through `model` on `image` (Float32Array(784) in [0, 1]) and record every row, with the
// interventions of `whatIf` when given.
function trace(model, image, whatIf = null) {
  const config = model.config, units = config.hidden_size;
  if (whatIf && ["forget", "keep"].includes(whatIf.memory) && config.cell === "rnn") {
    throw new Error("a plain RNN has no gate that keeps its memory: only wipe it");
  }
  if (whatIf) image = erasedRows(image, whatIf.erased_rows || []);
  const layers = config.num_layers, directions = config.bidirectional ? 2 : 1;
  let step = {lstm: lstmStep, gru: gruStep, rnn: rnnStep}[config.cell];
  if (config.cell === "rnn" && config.nonlinearity === "relu") {
    step = (...args) => rnnStep(...args, relu);
  }
  const perDirection = ROWS * units;
  const array = () => ({shape: [layers, directions, ROWS, units],
                        values: new Float32Array(layers * directions * perDirection)});
  const hidden = array(), cell = config.cell === "lstm" ? array() : null;
  const gates = Object.fromEntries(GATE_NAMES[config.cell].map((name) => [name, array()]));
  let layerInput = pixelRows(image, config.standardise), features = PIXELS_PER_ROW;
  for (let layer = 0; layer < layers; layer++) {
    for (let direction = 0; direction < directions; direction++) {
      const suffix = `_l${layer}` + (direction ? "_reverse" : "");
      const weights = WEIGHT_NAMES.map((name) => model.tensors[`rnn.${name}${suffix}`].values);
      const at = (layer * directions + direction) * perDirection;
      const part = ({values}) => values.subarray(at, at + perDirection);  // this layer and direction's rows
      const out = {hidden: part(hidden), cell: cell && part(cell),
                   gates: Object.fromEntries(Object.entries(gates).map(([name, a]) => [name, part(a)]))};
      const silenced = whatIf && whatIf.silenced, mine = silenced && silenced[0] === layer && silenced[1] === direction;
      runDirection(step, layerInput, features, weights, units, direction === 1, out, whatIf, mine ? silenced[2] : null);
    }
    // The next layer reads both directions side by side, as nn.LSTM does.
    features = units * directions;
    layerInput = new Float32Array(ROWS * features);
    for (let direction = 0; direction < directions; direction++) {
      const at = (layer * directions + direction) * perDirection;
      for (let t = 0; t < ROWS; t++) {
        layerInput.set(hidden.values.subarray(at + t * units, at + (t + 1) * units), t * features + direction * units);
      }
    }
  }
  return {hidden, cell, gates, probsPerRow: probsPerRow(model, layerInput, features)};
}

if (typeof module === "object" && module.exports) module.exports = {readWeights, trace, erasedRows, GATE_NAMES}; else self.cells = {readWeights, trace, erasedRows};
