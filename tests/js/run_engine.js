// Runs demo/engine/cells.js and reading.js on files written by tests/test_engine.py.
// Usage:
//   node tests/js/run_engine.js trace WEIGHTS IMAGES OUT [WHATIF]
//     WEIGHTS: an exported model (row-weights-v1); IMAGES: 784 float32 per image (row-major 28x28).
//     OUT: per image, one after another, the float32 values of hidden, cell (LSTM only), each gate
//     in GATE_NAMES' order and probsPerRow. WHATIF: a JSON file of cells.js's what-if, for every image.
//   node tests/js/run_engine.js reading WEIGHTS IMAGES NAME [LANGUAGE]
//     Prints a JSON list: each image's reading, its arrays left out (label, unsure, status, ...).
//   node tests/js/run_engine.js status CASES [LANGUAGE]
//     CASES: a JSON list of readings' fields (probs, unsure, decision_row, model.directions) and
//     numbers; prints {"status": [status(case) ...], "rounded": [...], "percent": [...]}.
//   node tests/js/run_engine.js attribution WEIGHTS IMAGES
//     Prints a JSON list: each image's attribution.js drops for its answer, {rows, patches}.
//   LANGUAGE: the status's (demo/strings/LANGUAGE.json), default en.
const fs = require("fs");
const path = require("path");
const {readWeights, trace, GATE_NAMES} = require(path.join(__dirname, "../../demo/engine/cells.js"));
const {reading, status, roundLikePython, percent} = require(path.join(__dirname, "../../demo/engine/reading.js"));
const {importance} = require(path.join(__dirname, "../../demo/engine/attribution.js"));

function readFile(file) {
  const bytes = fs.readFileSync(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);  // its own ArrayBuffer
}

function phrases(language = "en") {
  return JSON.parse(fs.readFileSync(path.join(__dirname, `../../demo/strings/${language}.json`), "utf8"));
}

function images(file) {
  const all = new Float32Array(readFile(file));
  return Array.from({length: all.length / 784}, (_, n) => all.subarray(n * 784, (n + 1) * 784));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "trace") {
  const [weightsPath, imagesPath, outPath, whatIfPath] = args;
  const model = readWeights(readFile(weightsPath));
  const whatIf = whatIfPath ? JSON.parse(fs.readFileSync(whatIfPath, "utf8")) : null;
  const out = [];
  for (const image of images(imagesPath)) {
    const rowTrace = trace(model, image, whatIf);
    const gates = GATE_NAMES[model.config.cell].map((name) => rowTrace.gates[name]);
    for (const {values} of [rowTrace.hidden, rowTrace.cell, ...gates, rowTrace.probsPerRow].filter(Boolean)) {
      out.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  fs.writeFileSync(outPath, Buffer.concat(out));
} else if (mode === "reading") {
  const [weightsPath, imagesPath, name, language] = args;
  const model = readWeights(readFile(weightsPath)), words = phrases(language);
  const readings = images(imagesPath).map((image) => {
    const read = reading(image, trace(model, image), model, name, words);
    const {format, model: facts, probs, label, confidence, unsure, decision_row, status} = read;
    return {format, model: facts, probs, label, confidence, unsure, decision_row, status};
  });
  process.stdout.write(JSON.stringify(readings));
} else if (mode === "status") {
  const cases = JSON.parse(fs.readFileSync(args[0], "utf8")), words = phrases(args[1]);
  process.stdout.write(JSON.stringify({
    status: cases.readings.map((r) => status(r, words)),
    rounded: cases.numbers.map((x) => roundLikePython(x, 5)),
    percent: cases.numbers.map(percent),
  }));
} else if (mode === "attribution") {
  const [weightsPath, imagesPath] = args;
  const model = readWeights(readFile(weightsPath)), words = phrases();
  const drops = images(imagesPath).map((image) => {
    const {label} = reading(image, trace(model, image), model, "", words);
    let last = null;
    for (const done of importance(model, image, label)) last = done || last;
    return {rows: Array.from(last.rows), patches: Array.from(last.patches)};
  });
  process.stdout.write(JSON.stringify(drops));
} else {
  throw new Error(`unknown mode ${mode}: trace, reading, status or attribution`);
}
