// A light drawing canvas for gr.HTML: ready to draw at once (no tool to pick), and it hands
// the drawing to the views in this page while the stroke is still being drawn (at most every
// SEND_EVERY_MS) and again when it ends: a window event "drawing" whose detail is the canvas's
// ImageData (RGBA, dark ink on white), or null when it is empty. Nothing is sent to the server.
// It also shows a drawing restored from a link (demo/views_link.js): the window event
// "restored-drawing", detail the 28x28 image the model read (Float32Array(784), white ink on black),
// drawn enlarged, dark on white, with a line saying where it came from. That image is the model's
// input, not pen strokes: strokes on top of it would be read through to_mnist again, which scales
// and centres anew, so the picture would change under the pen. The next stroke starts a new
// drawing instead (the restored image is cleared first); Clear clears it too.
const SEND_EVERY_MS = 40;
followLanguage();  // its label, Clear and pen (demo/language.js)
const canvas = element.querySelector("canvas");
const ctx = canvas.getContext("2d", {willReadFrequently: true});  // getImageData at every send
let drawing = false, last = null, lastSent = 0, pending = null, hasInk = false;
let fingers = 0, before = null;  // a second finger (pinch) undoes the stroke and draws nothing
const restoredNote = element.querySelector(".restored");

function reset() {
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  hasInk = false;
  restoredNote.hidden = true;
}
reset();

function showRestored(image) {
  const side = 28, small = document.createElement("canvas"), pixels = new ImageData(side, side);
  small.width = small.height = side;
  for (let i = 0; i < side * side; i++) {
    const grey = Math.round(255 * (1 - image[i]));
    pixels.data.set([grey, grey, grey, 255], 4 * i);
  }
  small.getContext("2d").putImageData(pixels, 0, 0);
  reset();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  restoredNote.hidden = false;
}
window.addEventListener("restored-drawing", (event) => showRestored(event.detail));
window.dispatchEvent(new Event("canvas-ready"));  // a link restored before this canvas was ready

function send() {
  pending = null;
  lastSent = performance.now();
  const pixels = hasInk ? ctx.getImageData(0, 0, canvas.width, canvas.height) : null;
  window.dispatchEvent(new CustomEvent("drawing", {detail: pixels}));  // the engine reads it (views_engine.js)
}

function sendSoon() {
  const wait = SEND_EVERY_MS - (performance.now() - lastSent);
  if (wait <= 0) send();
  else if (!pending) pending = setTimeout(send, wait);
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width,
          (event.clientY - box.top) * canvas.height / box.height];
}

function strokeTo(p) {
  ctx.strokeStyle = "black";
  ctx.lineWidth = Number(element.querySelector(".brush").value);
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(...last);
  ctx.lineTo(...p);
  ctx.stroke();
  last = p;
  hasInk = true;
}

canvas.addEventListener("pointerdown", (event) => {
  if (event.pointerType === "touch" && ++fingers > 1) {
    if (drawing && before) { ctx.putImageData(before.image, 0, 0); hasInk = before.hasInk; end(); }  // undone, sent once
    return;
  }
  if (!restoredNote.hidden) reset();  // a restored image: this stroke starts a new drawing
  // Only a touch stroke can turn into a pinch and be undone.
  before = event.pointerType === "touch" ? {image: ctx.getImageData(0, 0, canvas.width, canvas.height), hasInk} : null;
  drawing = true;
  canvas.setPointerCapture(event.pointerId);
  last = point(event);
  strokeTo(last.map((v) => v + 0.01));  // a click leaves a dot
  sendSoon();
});
canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  strokeTo(point(event));
  sendSoon();
});
const end = () => {
  if (!drawing) return;
  drawing = false;
  clearTimeout(pending);
  send();  // the finished stroke, at once
};
const lift = (event) => {
  if (event.pointerType === "touch") fingers = Math.max(0, fingers - 1);
  end();
};
canvas.addEventListener("pointerup", lift);
canvas.addEventListener("pointercancel", lift);
element.querySelector(".clear").addEventListener("click", () => { reset(); send(); });
