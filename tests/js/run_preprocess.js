// Runs demo/engine/preprocess.js's toMnist on drawings written by tests/test_engine_preprocess.py.
// Usage: node tests/js/run_preprocess.js INDEX.json PIXELS.bin OUT.bin
//   INDEX.json: [[width, height], ...]; PIXELS.bin: each drawing's RGBA bytes, one after another.
//   OUT.bin: 784 float32 per drawing (row-major 28x28), all NaN where toMnist returned null.
// Prints {"constants": ..., "ms": [...]} (the engine's constants, each drawing's time) on stdout.
const fs = require("fs");
const path = require("path");
const {toMnist, CONSTANTS} = require(path.join(__dirname, "../../demo/engine/preprocess.js"));

const [indexPath, pixelsPath, outPath] = process.argv.slice(2);
const index = JSON.parse(fs.readFileSync(indexPath, "utf8"));
const pixels = fs.readFileSync(pixelsPath);
const out = new Float32Array(index.length * 784).fill(NaN);
const ms = [];
let offset = 0;
index.forEach(([width, height], n) => {
  const rgba = new Uint8ClampedArray(pixels.buffer, pixels.byteOffset + offset, width * height * 4);
  offset += width * height * 4;
  const start = process.hrtime.bigint();
  const image = toMnist(rgba, width, height);
  ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  if (image) out.set(image, n * 784);
});
if (offset !== pixels.length) throw new Error(`read ${offset} of ${pixels.length} bytes`);
fs.writeFileSync(outPath, Buffer.from(out.buffer));
process.stdout.write(JSON.stringify({constants: CONSTANTS, ms}));
