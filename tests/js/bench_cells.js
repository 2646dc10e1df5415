// How long demo/engine/cells.js's trace takes in node, for every served model (weights/*.pt).
// Usage: node tests/js/bench_cells.js [TRACES]   (default 300 traces per model, after 100 unmeasured)
// The models are exported by model/export.py (the venv's Python, or $PYTHON) into a temporary
// folder. Prints each model's median trace time with the 10th and 90th percentiles: on a shared
// machine the spread says how much of it is the neighbours'. A benchmark, not a test: nothing fails.
const fs = require("fs");
const os = require("os");
const path = require("path");
const {execFileSync} = require("child_process");
const {readWeights, trace} = require(path.join(__dirname, "../../demo/engine/cells.js"));

const ROOT = path.join(__dirname, "../..");
const PYTHON = process.env.PYTHON || path.join(ROOT, ".venv/bin/python");
const TRACES = Number(process.argv[2] || 300), WARM_UP = 100;

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cells-"));
const names = execFileSync(PYTHON, ["-c", `
import sys
from pathlib import Path
from model import load_model
from model.export import export_model
for path in sorted(Path("weights").glob("*.pt")):
    (Path(sys.argv[1]) / (path.stem + ".weights")).write_bytes(export_model(load_model(path), path.stem))
    print(path.stem)
`, folder], {cwd: ROOT, encoding: "utf8"}).trim().split("\n");

const image = Float32Array.from({length: 784}, (_, i) => (Math.sin(i * 12.9898) + 1) / 2);  // fixed, ink everywhere
for (const name of names) {
  const bytes = fs.readFileSync(path.join(folder, `${name}.weights`));
  const model = readWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  for (let n = 0; n < WARM_UP; n++) trace(model, image);
  const ms = [];
  for (let n = 0; n < TRACES; n++) {
    const start = process.hrtime.bigint();
    trace(model, image);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (share) => ms[Math.floor(share * (ms.length - 1))].toFixed(2);
  const about = model.header.facts.about;
  console.log(`${name.padEnd(24)} ${about.padEnd(42)} median ${at(0.5)} ms (10%: ${at(0.1)}, 90%: ${at(0.9)})`);
}
fs.rmSync(folder, {recursive: true});
