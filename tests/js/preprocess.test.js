// demo/engine/preprocess.js on its own (no Python): `node --test tests/js/`.
// tests/test_engine_preprocess.py checks that it gives what model/preprocess.py's to_mnist gives.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const FILE = path.join(__dirname, "../../demo/engine/preprocess.js");
const {toMnist, inkMap, skeletonize, CONSTANTS} = require(FILE);
const SIDE = 280;  // the page's canvas

// A white 280x280 RGBA canvas with round black pen segments [[x0, y0, x1, y1], ...] of width `pen`,
// anti-aliased (a pixel's ink falls off over one pixel at the pen's edge), as the page's canvas draws.
function canvas(segments, pen) {
  const rgba = new Uint8ClampedArray(SIDE * SIDE * 4).fill(255);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let ink = 0;
      for (const [x0, y0, x1, y1] of segments) {
        const dx = x1 - x0, dy = y1 - y0, px = x + 0.5 - x0, py = y + 0.5 - y0;
        const t = dx || dy ? Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy))) : 0;
        const distance = Math.hypot(px - t * dx, py - t * dy);
        ink = Math.max(ink, Math.max(0, Math.min(1, pen / 2 - distance + 0.5)));
      }
      const i = 4 * (y * SIDE + x);
      rgba[i] = rgba[i + 1] = rgba[i + 2] = Math.round(255 * (1 - ink));
    }
  }
  return rgba;
}

function centreOfMass(image) {
  let mass = 0, y = 0, x = 0;
  image.forEach((v, i) => { mass += v; y += Math.floor(i / 28) * v; x += (i % 28) * v; });
  return [y / mass, x / mass];
}

test("an empty white canvas is no drawing", () => {
  assert.equal(toMnist(new Uint8ClampedArray(SIDE * SIDE * 4).fill(255), SIDE, SIDE), null);
});

test("a click's dot is no drawing, whatever the pen", () => {
  for (const pen of [6, 20, 40]) assert.equal(toMnist(canvas([[140, 140, 140.01, 140.01]], pen), SIDE, SIDE), null);
});

test("a vertical stroke (a 1) becomes an MNIST-style 28x28: 20 px tall, centred by mass", () => {
  const image = toMnist(canvas([[140, 50, 140, 230]], 12), SIDE, SIDE);
  assert.ok(image instanceof Float32Array && image.length === 784);
  assert.ok(image.every((v) => v >= 0 && v <= 1) && Math.max(...image) > 0.9);  // white ink on black
  const rows = [...Array(28).keys()].filter((y) => image.slice(28 * y, 28 * y + 28).some((v) => v > 0));
  assert.equal(rows[rows.length - 1] - rows[0] + 1, 20);  // the longest side scaled to 20 px
  const [cy, cx] = centreOfMass(image);
  assert.ok(Math.abs(cy - 13.5) <= 0.5 && Math.abs(cx - 13.5) <= 0.5, `centre of mass ${cy}, ${cx}`);
});

test("light ink on a dark canvas reads as dark ink on a light one", () => {
  const dark = canvas([[90, 60, 190, 60], [190, 60, 120, 230]], 16);  // a 7
  const light = dark.map((v, i) => (i % 4 === 3 ? v : 255 - v));
  const expected = toMnist(dark, SIDE, SIDE);
  assert.ok(expected);
  assert.deepEqual(toMnist(light, SIDE, SIDE), expected);
});

test("ink in the alpha channel (a transparent layer) is read as ink", () => {
  const drawn = canvas([[90, 60, 190, 60], [190, 60, 120, 230]], 16), layer = new Uint8ClampedArray(drawn.length);
  for (let i = 0; i < layer.length; i += 4) layer[i + 3] = 255 - drawn[i];  // black, its alpha the ink
  const ink = inkMap(layer, SIDE, SIDE), onStroke = 60 * SIDE + 140;
  assert.equal(ink[onStroke], 1);
  assert.equal(ink[0], 0);
  assert.ok(toMnist(layer, SIDE, SIDE));
});

test("skeletonize thins a bar to a one-pixel line", () => {
  const width = 20, height = 7, bar = new Uint8Array(width * height);
  for (let y = 1; y < 6; y++) for (let x = 2; x < 18; x++) bar[y * width + x] = 1;
  const skeleton = skeletonize(bar, width, height);
  const rows = new Set([...skeleton.keys()].filter((i) => skeleton[i]).map((i) => Math.floor(i / width)));
  assert.equal(rows.size, 1);
});

test("the constants are model/preprocess.py's (the Python test compares them exactly)", () => {
  assert.deepEqual(Object.keys(CONSTANTS).sort(), ["BOX_SIDE", "CANVAS", "INK_THRESHOLD", "MIN_INK", "MIN_MARK",
    "MIN_PEN_PATH", "PEN_DEPTH_PERCENTILE", "PEN_WIDTH_FRACTION", "WORK_SIDE"]);
});

test("as a worker script it defines self.preprocess and nothing else runs; roundHalfEven is Python's round", () => {
  const self = {};
  const roundHalfEven = vm.runInNewContext(fs.readFileSync(FILE, "utf8") + "\n;roundHalfEven", {self});
  assert.equal(typeof self.preprocess.toMnist, "function");
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001, 3].map(roundHalfEven), [0, 2, 2, 0, -2, 2, 3, 3]);
});
