// demo/engine/reading.js on its own (no Python): `node --test tests/js/`.
// tests/test_engine.py checks its sentences and readings against demo/reading.py's.
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const {reading, decisionRow, aDigit, status, roundLikePython, percent, fill} =
  require(path.join(__dirname, "../../demo/engine/reading.js"));
const phrases = (language) => require(path.join(__dirname, `../../demo/strings/${language}.json`));
const EN = phrases("en"), ZH = phrases("zh-CN");

const always = (p) => new Array(28).fill(p);

test("decisionRow: the row from which the answer stays above one half, or null when it ends at or below", () => {
  assert.equal(decisionRow([...always(0.9).slice(1), 0.4]), null);
  assert.equal(decisionRow([...always(0.9).slice(1), 0.5]), null);  // one half is not above it
  assert.equal(decisionRow(always(0.51)), 1);
  const dips = always(0.9);
  dips[5] = 0.4;  // row index 5 is row 6: above from row 7 on
  assert.equal(decisionRow(dips), 7);
  assert.equal(decisionRow([...always(0.1).slice(1), 0.6]), 28);
});

test("aDigit: an 8, a 1; in Chinese the digit alone", () => {
  assert.equal(aDigit(8, EN), "an 8");
  assert.equal(aDigit(1, EN), "a 1");
  assert.equal(aDigit(1, EN, true), "a **1**");
  assert.equal(aDigit(8, ZH), "8");
});

test("fill: every {name} place, as Python's str.format", () => {
  assert.equal(fill("P({answer}) from row {row} on, row {row}", {answer: 7, row: 3}), "P(7) from row 3 on, row 3");
});

// A reading's fields that status reads: `top` {digit: probability}, the others small and different.
function fields(top, {unsure = false, row = null, directions = 1} = {}) {
  const probs = Array.from({length: 10}, (_, digit) => (digit + 1) / 1000);
  for (const [digit, p] of Object.entries(top)) probs[digit] = p;
  return {probs, unsure, decision_row: row, model: {directions}};
}

test("status: the sure answer, with its decision row or without, and the bidirectional model's", () => {
  assert.equal(status(fields({7: 0.97}, {row: 12}), EN),
               "It reads a **7** (97% sure); P(7) stays above one half from row 12 on.");
  assert.equal(status(fields({8: 0.91}), EN), "It reads an **8** (91% sure).");
  assert.equal(status(fields({3: 0.88}, {row: 20, directions: 2}), EN),
               "It reads a **3** (88% sure); P(3) stays above one half from row 20 on " +
               "(by then its backward half has read rows 28 to 20).");
});

test("status: not sure names the two most probable digits", () => {
  assert.equal(status(fields({3: 0.41, 5: 0.3}, {unsure: true, row: 4}), EN),
               "**Not sure**: maybe a 3 (41%) or a 5 (30%). Try drawing it larger or more clearly.");
  // np.argsort(probs)[::-1]: among equal probabilities the later digit comes first.
  assert.equal(status({probs: always(0.1).slice(0, 10), unsure: true, decision_row: null, model: {directions: 1}}, EN),
               "**Not sure**: maybe a 9 (10%) or an 8 (10%). Try drawing it larger or more clearly.");
});

test("status in Chinese: the same facts in Chinese word order", () => {
  assert.equal(status(fields({7: 0.97}, {row: 12}), ZH), "识别为 **7**（把握 97%）；从第 12 行起，P(7) 一直高于一半。");
  assert.equal(status(fields({3: 0.41, 5: 0.3}, {unsure: true}), ZH),
               "**没有把握**：可能是 3（41%），也可能是 5（30%）。试着写得大一些、清楚一些。");
});

test("percentages and rounding are Python's: the exact binary value, halves to even", () => {
  assert.deepEqual([0.125, 0.135, 0.845, 0.995, 0.005, 0.015, 0.285].map(percent),
                   ["12%", "14%", "84%", "100%", "0%", "2%", "28%"]);
  assert.equal(roundLikePython(1 / 64, 5), 0.01562);  // exactly half-way: to the even neighbour
  assert.equal(roundLikePython(3 / 64, 5), 0.04688);
  assert.equal(roundLikePython(0.123456, 5), 0.12346);
  assert.equal(roundLikePython(2.675, 2), 2.67);  // 2.675 is a little below 2.675 in binary
});

// A one-layer, one-direction, 2-unit LSTM's trace whose last row answers `probs`.
function handTrace(probs) {
  const state = (value) => ({shape: [1, 1, 28, 2], values: new Float32Array(56).fill(value)});
  const probsPerRow = new Float32Array(280).fill(0.1);
  probsPerRow.set(probs, 270);
  return {hidden: state(1.5), cell: state(2),
          gates: {input: state(-0.2), forget: state(0.5), candidate: state(-3), output: state(1.2)},
          probsPerRow: {shape: [28, 10], values: probsPerRow}};
}

const MODEL = {facts: {name: "default", cell: "lstm", layers: 1, directions: 1, units: 2, unsure_below: 0.60000003}};

test("reading: Python's fields, the arrays decoded over packed's ranges and clipped to them", () => {
  const image = new Float32Array(784).fill(0.5);
  image[0] = 1.25;  // out of range: clipped, as packed clips
  const probs = [0.01, 0.02, 0.03, 0.04, 0.05, 0.7654321, 0.0345679, 0.02, 0.01, 0.01];
  const read = reading(image, handTrace(probs), MODEL, "lstm64", EN);
  assert.equal(read.format, "row-trace-v1");
  assert.deepEqual(read.model, {...MODEL.facts, name: "lstm64"});
  assert.equal(read.label, 5);
  assert.equal(read.confidence, 0.76543);
  assert.deepEqual(read.probs.slice(5, 7), [0.76543, 0.03457]);
  assert.equal(read.unsure, false);
  assert.equal(read.decision_row, 28);  // 0.1 on every row before the last
  assert.equal(read.status, status(read, EN));
  assert.equal(read.status, "It reads a **5** (77% sure); P(5) stays above one half from row 28 on.");
  assert.deepEqual([read.input.shape, read.input.lo, read.input.hi, read.input.values[0], read.input.values[1]],
                   [[28, 28], 0, 1, 1, 0.5]);
  assert.deepEqual([read.belief.shape, read.belief.lo, read.belief.hi], [[28, 10], 0, 1]);
  assert.deepEqual([read.hidden.shape, read.hidden.lo, read.hidden.values[0]], [[1, 1, 28, 2], -1, 1]);
  assert.deepEqual([read.memory.lo, read.memory.values[0]], [-1, Math.fround(Math.tanh(2))]);
  assert.deepEqual(Object.fromEntries(Object.entries(read.gates).map(([gate, a]) => [gate, [a.lo, a.hi, a.values[0]]])),
                   {input: [0, 1, 0], forget: [0, 1, 0.5], candidate: [-1, 1, -1], output: [0, 1, 1]});
});

test("reading: not sure below the model's threshold, compared in float32 as numpy compares", () => {
  const probs = [0.1, 0.1, 0, 0, 0, 0, 0, 0, Math.fround(0.6), 0.2];
  const rowTrace = {...handTrace(probs), cell: null};
  // 0.6 in float32 is 0.60000002..., below the threshold 0.60000003 as doubles but not in float32.
  const read = reading(new Float32Array(784), rowTrace, MODEL, "default", EN);
  assert.equal(read.unsure, false);
  assert.equal(read.memory, null);
  const lower = reading(new Float32Array(784), rowTrace, {facts: {...MODEL.facts, unsure_below: 0.7}}, "default", EN);
  assert.equal(lower.unsure, true);
  assert.equal(lower.status, "**Not sure**: maybe an 8 (60%) or a 9 (20%). Try drawing it larger or more clearly.");
});
