// The page's preprocessing in the browser: a drawing's pixels -> the 28x28 image the model reads.
//
// This file mirrors model/preprocess.py's `to_mnist` step by step; read the two side by side.
// Python function -> JavaScript function here:
//   ink_map -> inkMap, _resize -> resize, skeletonize -> skeletonize, _disk_offsets -> diskOffsets,
//   redraw_strokes -> redrawStrokes, depth_in_ink -> depthInInk, thinned_ink -> thinnedInk,
//   _bbox -> bbox, _scale_longest_side -> scaleLongestSide, _centre_by_mass -> centreByMass,
//   _longest_path -> longestPath, _is_a_speck -> isASpeck, to_mnist -> toMnist.
// The steps run in the same order, with the same constants, on the same numbers: the aim is the
// same 28x28 (within 1/255) and the same "no drawing" answers as Python; tests/test_engine_preprocess.py
// checks both on real pen digits. To keep them equal this file copies the exact arithmetic of the
// libraries Python leans on: Pillow's resampler (resize), numpy's float32 arithmetic (Math.fround),
// numpy's pairwise summation, np.median and np.percentile, and Python's round (half to even).
//
// Input: toMnist(rgba, width, height), rgba as canvas getImageData gives it (width*height*4 bytes).
// Output: a Float32Array(784), row-major 28x28 in [0, 1], white ink on black; or null when Python's
// to_mnist returns None (no ink, dots, specks, blobs, tiny marks).
// Left out, on purpose: Python's other input forms (data URLs, files, sketchpad dicts, HxW arrays),
// its DrawingError messages, and READ_SIDE: Python shrinks only images it decodes itself (PNG, PIL)
// whose longest side is over 512 px, never an array. toMnist mirrors to_mnist on an RGBA array; the
// page's canvas is 280x280, so for what the page sends both are the same.

// Must equal model/preprocess.py's constants of the same names (the test compares CONSTANTS).
const INK_THRESHOLD = 0.2;  // weaker marks (anti-aliasing fringes, paper noise) are not ink
const WORK_SIDE = 72;  // longest side of the working image for the stroke-width step
const BOX_SIDE = 20;  // MNIST: the digit's bounding box is scaled to 20 px ...
const CANVAS = 28;  // ... and centred by mass in a 28x28 field
const MIN_PEN_PATH = 0.15;  // a pen path shorter than this share of the ink's size is a dot
const MIN_INK = 0.22;  // the ink must span this share of the image's longest side ...
const MIN_MARK = 0.12;  // ... and one pen path must be this long: else a tiny mark, no drawing
const PEN_WIDTH_FRACTION = 0.148;  // MNIST's typical stroke width / skeleton extent
const PEN_DEPTH_PERCENTILE = 20;  // of the ink's depth along the skeleton: the pen's half width
const CONSTANTS = {INK_THRESHOLD, WORK_SIDE, BOX_SIDE, CANVAS, MIN_PEN_PATH, MIN_INK, MIN_MARK,
                   PEN_WIDTH_FRACTION, PEN_DEPTH_PERCENTILE};

const f32 = Math.fround;  // numpy float32 arithmetic: every float32 operation rounds to float32

// Python's round(): halves go to the even neighbour (round(2.5) == 2), unlike Math.round.
function roundHalfEven(x) {
  const down = Math.floor(x), rest = x - down;
  if (rest > 0.5) return down + 1;
  if (rest < 0.5) return down;
  return down % 2 === 0 ? down : down + 1;
}

// numpy's sum of a float array: pairwise summation (8 accumulators per block of up to 128, halves
// above that), in float32 for a float32 array and in float64 for a float64 one. The order of the
// additions matters where the centre of mass lands on a half pixel (a symmetric digit).
function pairwiseSum(a, start, n, float32) {
  const round = float32 ? f32 : (v) => v;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = round(res + a[start + i]);
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3],
               a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = round(r[j] + a[start + i + j]);
    }
    let res = round(round(round(r[0] + r[1]) + round(r[2] + r[3])) +
                    round(round(r[4] + r[5]) + round(r[6] + r[7])));
    for (; i < n; i++) res = round(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return round(pairwiseSum(a, start, n2, float32) + pairwiseSum(a, start + n2, n - n2, float32));
}

// 1. Ink map ------------------------------------------------------------------------------------

// grey = rgb @ float32([0.299, 0.587, 0.114]) in float32, as numpy computes it: each product rounded
// to float32, then summed left to right in float32. The products of a byte are tabulated once.
const GREY_WEIGHTS = [f32(0.299), f32(0.587), f32(0.114)];
const GREY_PRODUCTS = GREY_WEIGHTS.map((w) => Float64Array.from({length: 256}, (_, v) => f32(v * w)));
const [RED, GREEN, BLUE] = GREY_PRODUCTS;
const grey = (rgba, j) => f32(f32(RED[rgba[j]] + GREEN[rgba[j + 1]]) + BLUE[rgba[j + 2]]);

// How much ink each pixel holds, in [0, 1] (Float32Array, row-major): its distance from the
// background colour, the median of the border; where the alpha channel varies, the alpha.
// Written into `ink` when given (toMnist reuses one: a fresh 280x280 costs about as much as filling it).
function inkMap(rgba, width, height, ink = new Float32Array(width * height)) {
  const n = width * height;
  let alphaMin = 255;
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] < alphaMin) alphaMin = rgba[i];
  if (alphaMin < 255) {  // a transparent layer: the ink is the alpha
    for (let i = 0; i < n; i++) ink[i] = rgba[4 * i + 3] / 255;  // stored as float32, as numpy's
    return ink;
  }
  // np.median of the border's grey (top row, bottom row, left column, right column; corners twice).
  const border = new Float32Array(2 * width + 2 * height);
  for (let x = 0; x < width; x++) {
    border[x] = grey(rgba, 4 * x);
    border[width + x] = grey(rgba, 4 * ((height - 1) * width + x));
  }
  for (let y = 0; y < height; y++) {
    border[2 * width + y] = grey(rgba, 4 * y * width);
    border[2 * width + height + y] = grey(rgba, 4 * (y * width + width - 1));
  }
  border.sort();
  const half = border.length / 2;  // always even: the mean of the middle two, in float32
  const background = f32(f32(border[half - 1] + border[half]) / 2);
  // |grey - background| / 255 in float32, clipped to [0, 1] (never below 0). The page's pixels are
  // greys (r = g = b): their 256 values are computed once, by the same formula, and looked up.
  const distance = (v) => Math.min(f32(Math.abs(f32(v - background)) / 255), 1);
  const greys = new Float32Array(256);
  for (let v = 0; v < 256; v++) greys[v] = distance(f32(f32(RED[v] + GREEN[v]) + BLUE[v]));
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const r = rgba[j];
    ink[i] = r === rgba[j + 1] && r === rgba[j + 2] ? greys[r] : distance(grey(rgba, j));
  }
  return ink;
}

// 2-5. Making the 28x28 ------------------------------------------------------------------------

// Pillow's resampling filters (libImaging/Resample.c): BOX averages areas (used when shrinking),
// BILINEAR is a triangle (used when enlarging).
const BOX = {support: 0.5, filter: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0)};
const BILINEAR = {support: 1, filter: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; }};

// Pillow's precompute_coeffs: for each output pixel, the first input pixel it reads, how many, and
// their weights (double precision, normalised to sum 1).
function resampleCoefficients(inSize, outSize, {support: filterSupport, filter}) {
  const scale = inSize / outSize, filterscale = Math.max(scale, 1);
  const support = filterSupport * filterscale, ss = 1 / filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2), weights = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);  // C's (int) truncates
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < count; x++) {
      const w = filter((x + xmin - center + 0.5) * ss);
      weights[xx * ksize + x] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = 0; x < count; x++) weights[xx * ksize + x] /= sum;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = count;
  }
  return {bounds, weights, ksize};
}

// _resize: Pillow's resize of a mode "F" (float32) image, BOX when shrinking, else BILINEAR.
// Separable like Pillow's: rows first into a float32 image, then columns; each pass only when
// that side changes (Pillow skips it; the same size is a copy). Sums in double, stored as float32.
function resize(image, width, height, newWidth, newHeight) {
  const kind = newWidth < width || newHeight < height ? BOX : BILINEAR;
  let out = Float32Array.from(image);
  if (newWidth !== width) {
    const {bounds, weights, ksize} = resampleCoefficients(width, newWidth, kind);
    const rows = new Float32Array(newWidth * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let xx = 0; xx < newWidth; xx++) {
        const xmin = bounds[2 * xx], count = bounds[2 * xx + 1], k = xx * ksize;
        let ss = 0;
        for (let x = 0; x < count; x++) ss += out[row + xmin + x] * weights[k + x];
        rows[y * newWidth + xx] = ss;
      }
    }
    out = rows;
  }
  if (newHeight !== height) {
    const {bounds, weights, ksize} = resampleCoefficients(height, newHeight, kind);
    const cols = new Float32Array(newWidth * newHeight);
    for (let yy = 0; yy < newHeight; yy++) {
      const ymin = bounds[2 * yy], count = bounds[2 * yy + 1], k = yy * ksize;
      for (let xx = 0; xx < newWidth; xx++) {
        let ss = 0;
        for (let y = 0; y < count; y++) ss += out[(ymin + y) * newWidth + xx] * weights[k + y];
        cols[yy * newWidth + xx] = ss;
      }
    }
    out = cols;
  }
  return out;
}

// Zhang-Suen thinning: peel boundary pixels until only one-pixel-wide lines remain. `mask` is a
// 0/1 Uint8Array (row-major); so is the result. Each sub-pass decides on the image as it was
// before it (like numpy's whole-array step), then removes; stops after a round that removed nothing.
function skeletonize(mask, width, height) {
  const w = width + 2, img = new Uint8Array(w * (height + 2));  // padded by one blank pixel
  let fg = new Int32Array(width * height), count = 0;  // the ink pixels, as padded indices
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) { const i = (y + 1) * w + x + 1; img[i] = 1; fg[count++] = i; }
    }
  }
  const remove = new Int32Array(count);
  for (;;) {
    let changed = false;
    for (const firstPass of [true, false]) {
      let removing = 0, kept = 0;  // fg keeps the pixels that stay
      for (let j = 0; j < count; j++) {
        const i = fg[j];
        // The 8 neighbours, clockwise from north: P2 .. P9 in Zhang and Suen's paper.
        const p2 = img[i - w], p3 = img[i - w + 1], p4 = img[i + 1], p5 = img[i + w + 1];
        const p6 = img[i + w], p7 = img[i + w - 1], p8 = img[i - 1], p9 = img[i - w - 1];
        const neighbours = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
        const transitions = (!p2 & p3) + (!p3 & p4) + (!p4 & p5) + (!p5 & p6) +  // 0 -> 1, clockwise
                            (!p6 & p7) + (!p7 & p8) + (!p8 & p9) + (!p9 & p2);
        const keepShape = firstPass ? !(p2 & p4 & p6) && !(p4 & p6 & p8) : !(p2 & p4 & p8) && !(p2 & p6 & p8);
        if (neighbours >= 2 && neighbours <= 6 && transitions === 1 && keepShape) remove[removing++] = i;
        else fg[kept++] = i;
      }
      for (let j = 0; j < removing; j++) img[remove[j]] = 0;
      if (removing) changed = true;
      count = kept;
    }
    if (!changed) break;
  }
  const out = new Uint8Array(width * height);
  for (let j = 0; j < count; j++) {
    const i = fg[j];
    out[(Math.floor(i / w) - 1) * width + (i % w) - 1] = 1;
  }
  return out;
}

// The pixel offsets [dy, dx] a round pen of `radius` covers.
function diskOffsets(radius) {
  const r = Math.ceil(radius), offsets = [];
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) if (dy * dy + dx * dx <= radius * radius) offsets.push([dy, dx]);
  }
  return offsets;
}

// Paint a round pen of `radius` along the skeleton (a dilation by a disk), on a canvas padded by
// ceil(radius) + 1 on every side. Returns {data, width, height, pad}.
function redrawStrokes(skeleton, width, height, radius) {
  const pad = Math.ceil(radius) + 1, w = width + 2 * pad, h = height + 2 * pad;
  const out = new Uint8Array(w * h), steps = Int32Array.from(diskOffsets(radius), ([dy, dx]) => dy * w + dx);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!skeleton[y * width + x]) continue;
      const centre = (y + pad) * w + x + pad;
      for (let k = 0; k < steps.length; k++) out[centre + steps[k]] = 1;
    }
  }
  return {data: out, width: w, height: h, pad};
}

// How deep each pixel lies inside the ink, in pixels: the erosions it survives (alternating 4- and
// 8-neighbour steps, close to the distance to the nearest blank pixel). Outside counts as blank.
function depthInInk(mask, width, height) {
  const w = width + 2, inside = new Uint8Array(w * (height + 2));  // padded by one blank pixel
  const depth = new Int16Array(width * height);
  let left = new Int32Array(width * height), count = 0;  // the pixels still inside, padded indices
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) { const i = (y + 1) * w + x + 1; inside[i] = 1; left[count++] = i; }
    }
  }
  const four = [-w, w, -1, 1], eight = [-w, w, -1, 1, -w - 1, -w + 1, w - 1, w + 1];
  const eroded = new Int32Array(count);
  for (let step = 0; count > 0; step++) {
    const around = step % 2 === 1 ? eight : four;
    let kept = 0, gone = 0;
    for (let j = 0; j < count; j++) {
      const i = left[j];
      depth[(Math.floor(i / w) - 1) * width + (i % w) - 1] += 1;
      let all = true;
      for (const s of around) if (!inside[i + s]) { all = false; break; }
      if (all) left[kept++] = i; else eroded[gone++] = i;
    }
    for (let j = 0; j < gone; j++) inside[eroded[j]] = 0;  // after the step: it reads the ink before it
    count = kept;
  }
  return depth;
}

// np.percentile(values, q) with its default linear interpolation, as numpy computes it.
function percentile(values, q) {
  const sorted = Float64Array.from(values).sort(), n = sorted.length;
  const index = (n - 1) * (q / 100), below = Math.floor(index);
  if (index >= n - 1) return sorted[n - 1];
  const a = sorted[below], b = sorted[below + 1], t = index - below, diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// The ink thinned as a whole to a stroke of `radius`: what lies deeper than the pen's half width
// minus `radius` (the pen's half width: a low percentile of the depth along the skeleton, so that
// filled loops, deeper, keep their area). A 0/1 Uint8Array.
function thinnedInk(mask, skeleton, width, height, radius) {
  const depth = depthInInk(mask, width, height), onSkeleton = [];
  for (let i = 0; i < depth.length; i++) if (skeleton[i]) onSkeleton.push(depth[i]);
  const halfWidth = onSkeleton.length ? percentile(onSkeleton, PEN_DEPTH_PERCENTILE) : 0;
  const limit = Math.max(halfWidth - radius, 0), out = new Uint8Array(depth.length);
  for (let i = 0; i < depth.length; i++) out[i] = depth[i] > limit ? 1 : 0;
  return out;
}

// The bounding box of the nonzero pixels: [top, bottom, left, right), or null if there are none.
function bbox(mask, width, height) {
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      if (y < top) top = y;
      bottom = y;
      if (x < left) left = x;
      if (x > right) right = x;
    }
  }
  return bottom < 0 ? null : [top, bottom + 1, left, right + 1];
}

// Scale so the longest side is `side` px (Python's round for the other side). Returns {data, width, height}.
function scaleLongestSide(image, width, height, side) {
  const scale = side / Math.max(height, width);
  const newWidth = Math.max(1, roundHalfEven(width * scale)), newHeight = Math.max(1, roundHalfEven(height * scale));
  return {data: resize(image, width, height, newWidth, newHeight), width: newWidth, height: newHeight};
}

// Place `digit` in a 28x28 field with its centre of mass at the field's centre (sums as numpy's:
// the mass in float32, the moments in float64), clipped to [0, 1].
function centreByMass(digit, width, height) {
  const n = width * height, ys = new Float64Array(n), xs = new Float64Array(n);
  for (let i = 0; i < n; i++) { ys[i] = Math.floor(i / width) * digit[i]; xs[i] = (i % width) * digit[i]; }
  const mass = pairwiseSum(digit, 0, n, true);
  const top = roundHalfEven((CANVAS - 1) / 2 - pairwiseSum(ys, 0, n, false) / mass);
  const left = roundHalfEven((CANVAS - 1) / 2 - pairwiseSum(xs, 0, n, false) / mass);
  const out = new Float32Array(CANVAS * CANVAS);
  for (let y = Math.max(top, 0); y < Math.min(top + height, CANVAS); y++) {
    for (let x = Math.max(left, 0); x < Math.min(left + width, CANVAS); x++) {
      const v = digit[(y - top) * width + x - left];
      out[y * CANVAS + x] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

// Pixels in the largest 8-connected piece of the skeleton: the longest single pen path.
function longestPath(skeleton, width, height) {
  const w = width + 2, left = new Uint8Array(w * (height + 2));  // padded: no bounds checks
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) left[(y + 1) * w + x + 1] = skeleton[y * width + x];
  const steps = [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1], todo = new Int32Array(left.length);
  let longest = 0;
  for (let start = 0; start < left.length; start++) {
    if (!left[start]) continue;
    left[start] = 0;
    let piece = 0, top = 0;
    todo[top++] = start;
    while (top) {
      const i = todo[--top];
      piece++;
      for (const s of steps) if (left[i + s]) { left[i + s] = 0; todo[top++] = i + s; }
    }
    if (piece > longest) longest = piece;
  }
  return longest;
}

// Clicks, specks and tiny marks are no drawing: the ink must span MIN_INK of the image, and one pen
// path (a connected piece of the skeleton, in image pixels) must be MIN_MARK of it long.
function isASpeck(skeleton, width, height, inkSide, imageSide) {
  const pathLength = longestPath(skeleton, width, height) * inkSide / WORK_SIDE;
  return inkSide < MIN_INK * imageSide || pathLength < MIN_MARK * imageSide;
}

let inkScratch = null;  // toMnist's ink map, reused from one call to the next

// A drawing's RGBA pixels -> Float32Array(784) (28x28, [0, 1], white ink on black), or null if empty.
function toMnist(rgba, width, height) {
  if (!(width > 0 && height > 0) || rgba.length !== width * height * 4) {
    throw new RangeError(`expected ${width}x${height}x4 RGBA bytes, got ${rgba.length}`);
  }
  if (!(inkScratch && inkScratch.length >= width * height)) inkScratch = new Float32Array(width * height);
  const ink = inkMap(rgba, width, height, inkScratch);
  // The mask (ink >= INK_THRESHOLD) and its bounding box (_bbox) in one pass over the image, the mask
  // left implicit. numpy compares float32 with INK_THRESHOLD's float32 (no float32 lies between them).
  const threshold = f32(INK_THRESHOLD);
  let top = height, bottom = 0, left = width, right = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width; x < width; x++, i++) {
      if (ink[i] < threshold) continue;
      if (top === height) top = y;
      bottom = y + 1;
      if (x < left) left = x;
      if (x >= right) right = x + 1;
    }
  }
  if (top === height) return null;  // no ink
  // np.where(mask, ink, 0), cropped to the box.
  const inkWidth = right - left, inkHeight = bottom - top, crop = new Float32Array(inkWidth * inkHeight);
  for (let y = 0; y < inkHeight; y++) {
    for (let x = 0; x < inkWidth; x++) {
      const v = ink[(y + top) * width + x + left];
      crop[y * inkWidth + x] = v >= threshold ? v : 0;
    }
  }
  const work = scaleLongestSide(crop, inkWidth, inkHeight, WORK_SIDE);
  const workInk = new Uint8Array(work.data.length);
  for (let i = 0; i < workInk.length; i++) workInk[i] = work.data[i] >= 0.25 ? 1 : 0;
  const skeleton = skeletonize(workInk, work.width, work.height);
  if (isASpeck(skeleton, work.width, work.height, Math.max(inkHeight, inkWidth), Math.max(width, height))) return null;
  [top, bottom, left, right] = bbox(skeleton, work.width, work.height);  // not empty: isASpeck saw a path
  const extent = Math.max(bottom - top, right - left, 1);
  if (extent < MIN_PEN_PATH * WORK_SIDE) return null;  // a dot or blob, no line to read: not a digit
  const radius = PEN_WIDTH_FRACTION * extent / 2;
  const skeletonWidth = right - left, skeletonHeight = bottom - top;
  const cropped = new Uint8Array(skeletonWidth * skeletonHeight);
  for (let y = 0; y < skeletonHeight; y++) {
    for (let x = 0; x < skeletonWidth; x++) cropped[y * skeletonWidth + x] = skeleton[(y + top) * work.width + x + left];
  }
  const strokes = redrawStrokes(cropped, skeletonWidth, skeletonHeight, radius);
  // Add the thinned ink under the same box, widened by redrawStrokes' margin (blank beyond the work image).
  const thinned = thinnedInk(workInk, skeleton, work.width, work.height, radius), pad = strokes.pad;
  for (let y = 0; y < strokes.height; y++) {
    const wy = y + top - pad;
    if (wy < 0 || wy >= work.height) continue;
    for (let x = 0; x < strokes.width; x++) {
      const wx = x + left - pad;
      if (wx >= 0 && wx < work.width && thinned[wy * work.width + wx]) strokes.data[y * strokes.width + x] = 1;
    }
  }
  const digit = scaleLongestSide(Float32Array.from(strokes.data), strokes.width, strokes.height, BOX_SIDE);
  return centreByMass(digit.data, digit.width, digit.height);
}

if (typeof module === "object" && module.exports) module.exports = {toMnist, inkMap, skeletonize, CONSTANTS}; else self.preprocess = {toMnist};
