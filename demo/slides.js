// Slides of the reading, made in the page (canvas; nothing is fetched): an animated GIF of the 28
// steps, one frame per row cursor 1..28, and a PNG strip, the view at rows 7, 14, 21 and 28 one
// under the other. Each slide is the current view as Download PNG draws it (views_main.js's
// viewPicture: rows past the cursor dimmed) under a line saying the prediction after that row.
//
// The GIF89a encoder is written here, no library: encodeGif(width, height, frames), frames =
// [{rgba: Uint8ClampedArray(width * height * 4), delay: hundredths of a second}] -> Uint8Array.
// A GIF has at most 256 colours: one palette for every frame, each colour rounded to 5 bits a
// channel (the views' colour ramps are curves through colour space: they use few of those), or
// fewer bits when that still leaves over 256 (paletteOf). The file: header "GIF89a", the screen size,
// the palette, a NETSCAPE2.0 block (loop for ever), then per frame a graphic control block (its
// delay) and an image (descriptor, LZW-compressed palette indices in blocks of up to 255 bytes),
// and the trailer ";". LZW as GIF wants it: 8-bit symbols, codes of 9 to 12 bits written least
// significant bit first, a clear code when the 4,096 codes are used up, an end code.
// Node (tests/js/slides.test.js) requires this file for encodeGif and lzw; the page wires it.

const GIF_COLOURS = 256, CLEAR = 256, END = 257, MAX_CODE = 4096;

// One palette for every frame: each colour rounded to 5 bits a channel (to 4, 3 or 2 bits when the
// frames hold more than 256 such colours), a palette entry the mean of the pixels rounded to it.
// -> {palette: 256 * 3 bytes, size: entries used, index: palette index of each 5-bit colour}.
const bin5 = (rgba, i) => (rgba[i] >> 3) << 10 | (rgba[i + 1] >> 3) << 5 | rgba[i + 2] >> 3;

function paletteOf(frames) {
  const count = new Float64Array(32768), sum = new Float64Array(32768 * 3);
  for (const {rgba} of frames) {
    for (let i = 0; i < rgba.length; i += 4) {
      const bin = bin5(rgba, i);
      count[bin]++;
      sum[3 * bin] += rgba[i]; sum[3 * bin + 1] += rgba[i + 1]; sum[3 * bin + 2] += rgba[i + 2];
    }
  }
  for (let drop = 0; ; drop++) {  // bits dropped from the 5
    const entries = new Map(), index = new Int16Array(32768);
    for (let bin = 0; bin < 32768; bin++) {
      if (!count[bin]) continue;
      const coarse = (bin >> 10 >> drop) << 10 | (bin >> 5 & 31) >> drop << 5 | (bin & 31) >> drop;
      if (!entries.has(coarse)) entries.set(coarse, {at: entries.size, count: 0, sum: [0, 0, 0]});
      const entry = entries.get(coarse);
      entry.count += count[bin];
      for (let k = 0; k < 3; k++) entry.sum[k] += sum[3 * bin + k];
      index[bin] = entry.at;
    }
    if (entries.size > GIF_COLOURS) continue;
    const palette = new Uint8Array(GIF_COLOURS * 3);
    for (const entry of entries.values()) for (let k = 0; k < 3; k++) palette[3 * entry.at + k] = Math.round(entry.sum[k] / entry.count);
    return {palette, size: entries.size, index};
  }
}

// Each pixel's palette index.
function indicesOf(rgba, {index}) {
  const out = new Uint8Array(rgba.length / 4);
  for (let p = 0, i = 0; i < rgba.length; p++, i += 4) out[p] = index[bin5(rgba, i)];
  return out;
}

// LZW's dictionary: the code of (prefix code, symbol) at prefix * 256 + symbol, valid while its
// generation is the current one (a clear code starts a new generation: no table to wipe). Made at
// the first GIF (8 MB), then kept for every frame.
let dictionary = null;

// GIF's LZW of 8-bit symbols -> the code stream's bytes (not yet cut into blocks).
function lzw(symbols) {
  const bytes = [];
  let bits = 0, bitCount = 0, width = 9, next = END + 1;
  const put = (code) => {
    bits |= code << bitCount;
    bitCount += width;
    while (bitCount >= 8) { bytes.push(bits & 255); bits >>>= 8; bitCount -= 8; }
  };
  dictionary = dictionary || {codes: new Int32Array(MAX_CODE * 256), generation: new Int32Array(MAX_CODE * 256), now: 0};
  const {codes, generation} = dictionary;
  let now = ++dictionary.now;
  put(CLEAR);
  let prefix = symbols.length ? symbols[0] : -1;
  for (let i = 1; i < symbols.length; i++) {
    const key = prefix * 256 + symbols[i];
    if (generation[key] === now) { prefix = codes[key]; continue; }
    put(prefix);
    if (next < MAX_CODE) {
      codes[key] = next; generation[key] = now;
      if (next === 1 << width && width < 12) width++;  // the decoder widens when it adds this code
      next++;
    } else {
      put(CLEAR);
      now = ++dictionary.now; next = END + 1; width = 9;
    }
    prefix = symbols[i];
  }
  if (prefix >= 0) put(prefix);
  put(END);
  if (bitCount > 0) bytes.push(bits & 255);
  return bytes;
}

function encodeGif(width, height, frames) {
  const out = [], word = (n) => out.push(n & 255, n >> 8 & 255);
  const text = (s) => out.push(...[...s].map((c) => c.charCodeAt(0)));
  const colours = paletteOf(frames);
  text("GIF89a");
  word(width); word(height);
  out.push(0xf7, 0, 0);  // a global palette of 256 colours (8 bits each), background 0, square pixels
  out.push(...colours.palette);
  out.push(0x21, 0xff, 11); text("NETSCAPE2.0"); out.push(3, 1); word(0); out.push(0);  // loop for ever
  for (const frame of frames) {
    out.push(0x21, 0xf9, 4, 0); word(frame.delay); out.push(0, 0);  // graphic control: the delay
    out.push(0x2c); word(0); word(0); word(width); word(height); out.push(0);  // the image, no local palette
    out.push(8);  // LZW's minimum code size: 8-bit symbols
    const data = lzw(indicesOf(frame.rgba, colours));
    for (let at = 0; at < data.length; at += 255) {
      const block = data.slice(at, at + 255);
      out.push(block.length);
      for (const b of block) out.push(b);
    }
    out.push(0);
  }
  out.push(0x3b);
  return Uint8Array.from(out);
}

// The page's side: the two buttons.
const GIF_DELAY = 15, GIF_LAST_DELAY = 150, STRIP_ROWS = [7, 14, 21, 28];

function wireSlides() {
  // One slide: the view at the cursor row `row`, under the prediction after that row.
  function slide(row) {
    const view = viewPicture(row), r = state.data.main, band = 22;
    const probs = [...Array(10).keys()].map((d) => r.belief.values[(row - 1) * 10 + d]);
    const top = probs.indexOf(Math.max(...probs));
    const out = document.createElement("canvas");
    out.width = view.width;
    out.height = view.height + band;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "white"; ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = "#111"; ctx.font = "bold 14px sans-serif";
    ctx.fillText(say("views.prediction_label", {row, digit: top, percent: `${Math.round(100 * probs[top])}%`}), 8, 16);
    ctx.drawImage(view, 0, band);
    return out;
  }

  // Runs `make` with the button disabled and saying how far it got; a breath between slides
  // keeps the page answering.
  async function making(button, make) {
    if (!(state.data && state.data.main) || button.disabled) return;
    button.disabled = true;
    try {
      await make((row) => { button.textContent = say("views.slides_making", {row}); return new Promise((go) => setTimeout(go)); });
    } finally {
      button.disabled = false;
      button.textContent = say(button.dataset.say);  // in the page's language now, which may have changed
    }
  }

  $(".download-gif").addEventListener("click", (event) => making(event.currentTarget, async (progress) => {
    const frames = [];
    for (let row = 1; row <= ROWS; row++) {
      await progress(row);
      const picture = slide(row), ctx = picture.getContext("2d");
      frames.push({width: picture.width, height: picture.height, delay: row === ROWS ? GIF_LAST_DELAY : GIF_DELAY,
                   rgba: ctx.getImageData(0, 0, picture.width, picture.height).data});
    }
    const gif = encodeGif(frames[0].width, frames[0].height, frames);
    saveFile(new Blob([gif], {type: "image/gif"}), `${state.tab}-rows.gif`);
  }));

  $(".download-strip").addEventListener("click", (event) => making(event.currentTarget, async (progress) => {
    const slides = [];
    for (const row of STRIP_ROWS) { await progress(row); slides.push(slide(row)); }
    const strip = document.createElement("canvas");
    strip.width = slides[0].width;
    strip.height = slides.reduce((sum, s) => sum + s.height, 0);
    let y = 0;
    for (const s of slides) { strip.getContext("2d").drawImage(s, 0, y); y += s.height; }
    saveFile(strip.toDataURL("image/png"), `${state.tab}-strip.png`);
  }));
}

if (typeof module === "object" && module.exports) module.exports = {encodeGif, lzw, paletteOf}; else wireSlides();
