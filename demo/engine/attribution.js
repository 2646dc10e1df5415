// Which rows and pixels mattered: how much the probability of the answer drops when a row of the
// input, or a patch of pixels, is blanked (no ink) and the model reads it again. Positive: the
// ink there supports the answer; negative: the answer is surer without it.
//
// This file mirrors model/attribution.py; read the two side by side. Python -> JavaScript:
//   PATCH -> PATCH, _answer_probabilities -> answerProbability (one image at a time),
//   row_importance and patch_importance -> importance, which makes the same readings one at a
//   time as a generator, so that the worker can stop between two readings when a newer drawing
//   arrives (the pen never waits for an attribution). It yields null after each reading, then
//   {rows, patches: null, patch} once the 28 rows are done, then {rows, patches, patch} at the end.
// Data: rows, Float32Array(28), row t's drop; patches, Float32Array(784), row-major 28x28, each
// pixel holding its PATCH x PATCH patch's drop. It needs cells.js's trace (self.cells in the worker).

const ATTRIBUTION_PATCH = 4;  // model/attribution.py's PATCH: 7 x 7 patches, 49 readings
const SIDE = 28;
const {trace} = typeof module === "object" && module.exports ? require("./cells.js") : self.cells;

function answerProbability(model, image, answer) {
  return trace(model, image).probsPerRow.values[(SIDE - 1) * 10 + answer];
}

// The image with the pixels of rows top..top+height-1, columns left..left+width-1 blanked (a copy).
function blanked(image, top, height, left, width) {
  const copy = image.slice();
  for (let row = top; row < top + height; row++) copy.fill(0, row * SIDE + left, row * SIDE + left + width);
  return copy;
}

function* importance(model, image, answer) {
  const base = answerProbability(model, image, answer);
  const rows = new Float32Array(SIDE);
  for (let row = 0; row < SIDE; row++) {
    rows[row] = base - answerProbability(model, blanked(image, row, 1, 0, SIDE), answer);
    yield null;
  }
  yield {rows, patches: null, patch: ATTRIBUTION_PATCH};
  const patches = new Float32Array(SIDE * SIDE);
  for (let top = 0; top < SIDE; top += ATTRIBUTION_PATCH) {
    for (let left = 0; left < SIDE; left += ATTRIBUTION_PATCH) {
      const drop = base - answerProbability(model, blanked(image, top, ATTRIBUTION_PATCH, left, ATTRIBUTION_PATCH), answer);
      for (let row = top; row < top + ATTRIBUTION_PATCH; row++) patches.fill(drop, row * SIDE + left, row * SIDE + left + ATTRIBUTION_PATCH);
      yield null;
    }
  }
  yield {rows, patches, patch: ATTRIBUTION_PATCH};
}

if (typeof module === "object" && module.exports) module.exports = {importance, ATTRIBUTION_PATCH}; else self.attribution = {importance};
