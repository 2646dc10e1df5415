// demo/slides.js's GIF89a encoder on its own (no page): `node --test tests/js/`. The GIF is read
// back here by a small GIF reader written for the test (blocks, then LZW), so every frame's pixels
// are checked, not only the header. tests/test_slides.py checks the GIF the page makes.
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const {encodeGif, lzw} = require(path.join(__dirname, "../../demo/slides.js"));

// GIF's LZW code stream -> the symbols (min code size 8).
function unlzw(bytes) {
  const out = [], table = [];
  let bits = 0, bitCount = 0, at = 0, width = 9, previous = null;
  const reset = () => { table.length = 0; for (let i = 0; i < 258; i++) table.push(i < 256 ? [i] : null); width = 9; previous = null; };
  reset();
  for (;;) {
    while (bitCount < width) { assert.ok(at < bytes.length, "the code stream ends without an end code"); bits |= bytes[at++] << bitCount; bitCount += 8; }
    const code = bits & ((1 << width) - 1);
    bits >>>= width; bitCount -= width;
    if (code === 256) { reset(); continue; }
    if (code === 257) return out;
    let entry;
    if (code < table.length) entry = table[code];
    else { assert.equal(code, table.length, "a code not yet in the table"); entry = [...previous, previous[0]]; }
    out.push(...entry);
    if (previous !== null && table.length < 4096) {
      table.push([...previous, entry[0]]);
      if (table.length === 1 << width && width < 12) width++;
    }
    previous = entry;
  }
}

// A GIF's blocks: {width, height, palette, loops, frames: [{delay, left, top, width, height, indices}]}.
function readGif(gif) {
  assert.equal(Buffer.from(gif.subarray(0, 6)).toString("latin1"), "GIF89a");
  const word = (at) => gif[at] | gif[at + 1] << 8;
  const screen = {width: word(6), height: word(8), frames: [], loops: false};
  let at = 13;
  if (gif[10] & 0x80) { const colours = 2 << (gif[10] & 7); screen.palette = gif.subarray(at, at + 3 * colours); at += 3 * colours; }
  const subBlocks = () => { const data = []; while (gif[at]) { data.push(...gif.subarray(at + 1, at + 1 + gif[at])); at += 1 + gif[at]; } at++; return data; };
  let delay = 0;
  for (;;) {
    const kind = gif[at++];
    if (kind === 0x3b) return screen;
    if (kind === 0x21) {
      const label = gif[at++], data = subBlocks();
      if (label === 0xf9) delay = data[1] | data[2] << 8;
      if (label === 0xff) screen.loops = Buffer.from(data.slice(0, 11)).toString("latin1") === "NETSCAPE2.0";
    } else {
      assert.equal(kind, 0x2c, `an unknown block 0x${kind.toString(16)} at ${at - 1}`);
      const frame = {delay, left: word(at), top: word(at + 2), width: word(at + 4), height: word(at + 6)};
      assert.equal(gif[at + 8] & 0x80, 0, "no local palette");
      at += 9;
      assert.equal(gif[at++], 8, "LZW's minimum code size");
      frame.indices = unlzw(subBlocks());
      screen.frames.push(frame);
    }
  }
}

test("lzw: one symbol is the clear code, the symbol and the end code, 9 bits each, least significant bit first", () => {
  assert.deepEqual(lzw([1]), [0x00, 0x03, 0x04, 0x04]);
  assert.deepEqual(unlzw(lzw([])), []);
});

test("lzw: long and random runs (wider codes, a full table and clear codes) read back the same", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const symbols of [new Array(100_000).fill(3), Array.from({length: 60_000}, () => Math.floor(random() * 256)),
                         Array.from({length: 60_000}, (_, i) => (i >> 4) % 7)]) {
    assert.deepEqual(unlzw(lzw(symbols)), symbols);
  }
});

test("encodeGif: a valid GIF89a, looping, with each frame's delay and pixels", () => {
  const width = 5, height = 3, colours = [[255, 255, 255], [68, 1, 84], [253, 231, 37], [0, 0, 0]];
  const frames = [0, 1, 2].map((f) => {
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let p = 0; p < width * height; p++) rgba.set([...colours[(p + f) % 4], 255], 4 * p);
    return {rgba, delay: 10 * (f + 1)};
  });
  const gif = readGif(encodeGif(width, height, frames));
  assert.equal(gif.width, width);
  assert.equal(gif.height, height);
  assert.ok(gif.loops);
  assert.equal(gif.frames.length, 3);
  gif.frames.forEach((frame, f) => {
    assert.deepEqual([frame.delay, frame.left, frame.top, frame.width, frame.height], [10 * (f + 1), 0, 0, width, height]);
    const pixels = frame.indices.map((i) => [...gif.palette.subarray(3 * i, 3 * i + 3)]);
    assert.deepEqual(pixels, Array.from({length: width * height}, (_, p) => colours[(p + f) % 4]));
  });
});

test("encodeGif: more than 256 colours are rounded to fewer bits, each to its bin's mean", () => {
  const width = 64, height = 64, rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([p % 64 * 4, (p >> 6) * 4, 128, 255], 4 * p);  // 4,096 colours
  const gif = readGif(encodeGif(width, height, [{rgba, delay: 0}]));
  let worst = 0;
  gif.frames[0].indices.forEach((i, p) => {
    for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(gif.palette[3 * i + k] - rgba[4 * p + k]));
  });
  assert.ok(worst <= 24, `a colour off by ${worst}`);
});
