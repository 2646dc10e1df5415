// One drawing read by one model, as data: what the page's views draw.
//
// This file mirrors demo/reading.py; read the two side by side. Python -> JavaScript:
//   reading -> reading, decision_row -> decisionRow, a_digit -> aDigit, status -> status,
//   packed -> decoded, str.format -> fill. It takes the trace cells.js's `trace` gives (it needs
//   nothing of cells.js). Where Python takes a language code, this takes `words`, the phrases
//   of that language (a demo/strings/LANG.json table: the worker has no files to read).
//
// A reading has the fields of Python's: format ("row-trace-v1"), model (the weights file's facts),
// probs (10 numbers rounded to 5 decimals), label, confidence, unsure, decision_row (1..28 or null),
// input, belief, hidden, memory (tanh of the cell state, LSTM only, else null), gates and status,
// the same sentence as Python's, character for character. One difference: Python sends its arrays
// quantised to bytes (packed); here each is decoded, {shape, lo, hi, values: Float32Array}, over
// packed's range and clipped to it as packed clips, but not quantised.
//
// Python's numbers are copied exactly where a sentence or a field shows them: round(x, 5) and
// f"{p:.0%}" round the exact binary value, halves to even (rounding below); numpy compares a
// float32 with a Python float in float32 (the "not sure" threshold below); np.argsort's order
// among equal probabilities (topTwo below).

const FORMAT = "row-trace-v1";  // demo/reading.py's FORMAT
const ROWS = 28, NUM_CLASSES = 10;

// Python's round(x, digits): the exact binary value rounded, halves to the even neighbour.
// toFixed rounds the exact value too, but its halves go up. A double lies exactly half-way
// between two `digits`-decimal numbers only when it is an odd multiple of 2^-(digits + 1).
function roundLikePython(x, digits) {
  const halves = x * 2 ** (digits + 1);  // exact: a power of two
  if (Number.isInteger(halves) && halves % 2 !== 0) {
    const below = (halves * 5 ** digits - 1) / 2;  // x * 10^digits is below + 1/2
    return (below % 2 === 0 ? below : below + 1) / 10 ** digits;
  }
  return Number(x.toFixed(digits));
}

// Python's f"{p:.0%}": p * 100 (a float multiplication, rounded as Python rounds it), then no decimals.
function percent(p) {
  return `${roundLikePython(p * 100, 0)}%`;
}

// An array over [lo, hi], clipped to it as packed clips before it quantises.
function decoded(values, shape, lo, hi) {
  const clipped = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) clipped[i] = Math.min(hi, Math.max(lo, values[i]));
  return {shape, lo, hi, values: clipped};
}

// The row (1..28) from which the answer's probability stays above one half to the end, or null
// when it ends at or below one half.
function decisionRow(answerPerRow) {
  if (!(answerPerRow[answerPerRow.length - 1] > 0.5)) return null;
  let lastBelow = -1;
  answerPerRow.forEach((p, row) => { if (!(p > 0.5)) lastBelow = row; });
  return lastBelow >= 0 ? lastBelow + 2 : 1;
}

// Python's str.format for the phrases of demo/strings (only {name} places, no format specs).
function fill(phrase, values) {
  return phrase.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

// A digit as a sentence names it ("a 7", "an 8"; "7" in Chinese), the digit itself in bold or not.
function aDigit(digit, words, bold = false) {
  return fill(words[digit === 8 ? "status.digit_8" : "status.digit"], {digit: bold ? `**${digit}**` : digit});
}

// np.argsort(probs)[::-1][:2]: the two most probable digits. numpy sorts 10 numbers by insertion,
// which keeps equal ones in index order; reversed, the later index comes first among equals.
// (numpy 2 on a CPU with AVX-512 sorts them with a sorting network instead, whose order among
// equals differs; equal rounded probabilities at the top of an answer are rare.)
function topTwo(probs) {
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || b - a);
  return order.slice(0, 2);
}

// One line for the page: the answer, how sure, and from which row, in the language of `words`.
function status(r, words) {
  const [first, second] = topTwo(r.probs);
  if (r.unsure) {
    return fill(words["status.unsure"], {first: aDigit(first, words), first_percent: percent(r.probs[first]),
                                         second: aDigit(second, words), second_percent: percent(r.probs[second])});
  }
  const key = (r.decision_row === null ? "status.sure" :
               r.model.directions === 2 ? "status.sure_from_row_both_ways" : "status.sure_from_row");
  return fill(words[key], {digit: aDigit(first, words, true), percent: percent(r.probs[first]),
                           answer: first, row: r.decision_row});
}

// Everything the views show for one 28x28 image (Float32Array(784)) and its trace (cells.js's
// trace), read by `model` (cells.js's readWeights) under the name `name`; the status in the
// language of `words`.
function reading(image, rowTrace, model, name, words) {
  const perRow = rowTrace.probsPerRow.values;
  const probs = perRow.subarray((ROWS - 1) * NUM_CLASSES, ROWS * NUM_CLASSES);
  let label = 0;
  probs.forEach((p, digit) => { if (p > probs[label]) label = digit; });  // the first of equals, as argmax
  const facts = {...model.facts, name};
  const answerPerRow = Array.from({length: ROWS}, (_, row) => perRow[row * NUM_CLASSES + label]);
  const result = {
    format: FORMAT,
    model: facts,
    probs: Array.from(probs, (p) => roundLikePython(p, 5)),
    label,
    confidence: roundLikePython(probs[label], 5),
    unsure: probs[label] < Math.fround(facts.unsure_below),  // numpy compares in float32
    decision_row: decisionRow(answerPerRow),
    input: decoded(image, [ROWS, 28], 0, 1),
    belief: decoded(perRow, rowTrace.probsPerRow.shape, 0, 1),
    hidden: decoded(rowTrace.hidden.values, rowTrace.hidden.shape, -1, 1),
    memory: rowTrace.cell ? decoded(rowTrace.cell.values.map(Math.tanh), rowTrace.cell.shape, -1, 1) : null,
    gates: Object.fromEntries(Object.entries(rowTrace.gates).map(
      ([gate, array]) => [gate, decoded(array.values, array.shape, gate === "candidate" ? -1 : 0, 1)])),
  };
  result.status = status(result, words);
  return result;
}

if (typeof module === "object" && module.exports) module.exports = {reading, decisionRow, aDigit, status, roundLikePython, percent, fill}; else self.reading = {reading, decisionRow, aDigit, status};
