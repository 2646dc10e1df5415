// Wires the views: the prediction and the model input, the tabs, the row cursor (slider,
// arrow keys, Play), hover/tap read-out linked across views, the unit chart, unit order,
// signed h_t, PNG download (the GIF and the strip: slides.js; the link: views_link.js).
// Data: update(data) with data = {main, other, status} from the engine (views_engine.js), main
// and other readings of demo/engine/reading.js (or null: nothing drawn, "status.empty" shown).
// Words: say() (demo/language.js); a change of language redraws everything.
const $ = (selector) => element.querySelector(selector);
const VIEWS = {hidden: hiddenView, belief: beliefView, gates: gatesView, compare: compareView, cell: cellView};

function markdown(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

function renderSummary() {
  const r = state.data && state.data.main;
  $(".status").innerHTML = markdown(state.data ? state.data.status : say("status.empty"));
  const input = $(".input"), ctx = input.getContext("2d"), image = ctx.createImageData(28, 28);
  const pixels = r ? r.input.values : new Float32Array(784);
  for (let i = 0; i < 784; i++) {
    const shown = Math.floor(i / 28) < state.cursor, v = Math.round(pixels[i] * 255);
    image.data.set(shown ? [v, v, v, 255] : [v / 4 + 60, v / 4 + 60, v / 4 + 60, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  input.setAttribute("aria-label", r ? say("views.input_label", {row: state.cursor}) : say("views.input_empty"));
  const bars = $(".prediction");
  if (!r) { bars.innerHTML = ""; bars.setAttribute("aria-label", say("views.prediction_empty")); return; }
  const belief = r.belief.values, row = state.cursor - 1;
  const probs = [...Array(10).keys()].map((d) => belief[row * 10 + d]);
  const top = probs.indexOf(Math.max(...probs));
  bars.innerHTML = `<p class="after">${say("views.after_row", {row: state.cursor})}</p>` + probs.map((p, d) =>
    `<div class="pbar${d === top ? " top" : ""}"><span class="digit">${d}</span><i style="width:${(100 * p).toFixed(1)}%"></i>` +
    `<span class="pct">${Math.round(100 * p)}%</span></div>`).join("");
  bars.setAttribute("aria-label", say("views.prediction_label", {row: state.cursor, digit: top, percent: `${Math.round(100 * probs[top])}%`}));
}

function renderView() {
  const data = state.data, view = VIEWS[state.tab], box = $(".panels");
  element.querySelectorAll("[role=tab]").forEach((t) => t.setAttribute("aria-selected", t.dataset.view === state.tab));
  state.panels = data && data.main ? view.panels(data) : [];
  $(".beside").innerHTML = "";
  $(".note").textContent = data && data.main && view.note ? view.note(data) : "";
  $(".note").hidden = !$(".note").textContent;
  if (!state.panels.length) { box.innerHTML = data && data.main ? "" : `<p class='empty'>${say("views.empty")}</p>`; return; }
  const r = data.main, input = {title: say("views.input_title"), caption: say("views.input_columns"), values: r.input.values,
    columns: 28, lo: 0, hi: 1, colours: "greys", name: say("views.pixel_value"), label: (c) => say("views.pixel", {column: c + 1})};
  state.panels.unshift(input);
  const numbers = [...Array(ROWS).keys()].map((t) => `<span>${t % 3 === 0 ? t + 1 : ""}</span>`).join("");
  box.innerHTML = `<div class="rownums" aria-hidden="true"><b>${say("views.row_numbers")}</b><div>${numbers}</div></div>` +
    state.panels.map(panelHTML).join("");
  box.querySelectorAll(".panel").forEach((figure, i) => {
    paint(figure.querySelector("canvas"), state.panels[i]);
    const plot = figure.querySelector(".plot");
    const show = (event) => {
      const cell = cellAt(i, event);
      state.hoverRow = cell.row;
      $(".readout").textContent = cell.text;
      renderRows();
      return cell;
    };
    plot.addEventListener("pointermove", show);
    plot.addEventListener("pointerdown", (event) => {  // picks the cell's unit (if a unit) and its row
      const cell = show(event), p = state.panels[i];
      if (p.unit) {
        state.unit = {...p.unit, unit: p.order[cell.column], model: p.model};
        renderUnit();
      }
      setCursor(cell.row + 1);
    });
    plot.addEventListener("pointerleave", () => { state.hoverRow = null; renderRows(); });
  });
  renderRows();
  if (view.after) view.after($(".beside"), data);  // a view drawn with its panels (the cell at work)
}

// Rows: the highlighted row (hover, else the cursor), rows past the cursor dimmed, the decision row marked.
function renderRows() {
  const r = state.data && state.data.main, decide = r && r.decision_row;
  const row = state.hoverRow !== null ? state.hoverRow : state.cursor - 1;
  element.querySelectorAll(".plot").forEach((plot) => {
    plot.querySelector(".hl").style.top = `${row / ROWS * 100}%`;
    plot.querySelector(".dim").style.top = `${state.cursor / ROWS * 100}%`;
    const mark = plot.querySelector(".mark");
    mark.hidden = !decide;
    if (decide) mark.style.top = `${(decide - 1) / ROWS * 100}%`;
  });
  $(".row-out").textContent = decide ? say("views.row_decides", {row: state.cursor, decision: decide}) : say("views.row", {row: state.cursor});
}

function renderUnit() {
  const box = $(".unit-chart"), picked = pickedUnit(state.data);
  if (!picked) { box.hidden = true; return; }
  box.hidden = false;
  box.innerHTML = `<button class="close" type="button" aria-label="${say("views.unit_close")}">\u00d7</button>` + unitChart(picked.r, picked.pick);
  box.querySelector(".close").addEventListener("click", () => { state.unit = null; renderUnit(); setCursor(state.cursor); });
  renderWhatIf();  // "Silence unit N" names the picked unit
}

function setCursor(row) {
  state.cursor = Math.min(ROWS, Math.max(1, row));
  $(".row").value = state.cursor;
  renderSummary();
  renderRows();
  const line = element.querySelector(".unit-cursor");
  if (line) renderUnit();
  if (VIEWS[state.tab].step) VIEWS[state.tab].step();  // a view that follows the cursor row
}

let playing = null, afterPlay = null;
// Play from row 1 to 28 (or stop playing); `then` runs when it ends or is stopped (the quiz's reveal).
function play(then = null) {
  if (playing) {
    clearInterval(playing);
    playing = null;
    $(".play").textContent = say("views.play");
    const done = afterPlay;
    afterPlay = null;
    if (done) done();
    return;
  }
  afterPlay = then;
  setCursor(1);
  $(".play").textContent = say("views.pause");
  // Stops in the step that shows the last row: a tick later, a row picked meanwhile (a click on a
  // cell) would be stepped on from and Play would run on.
  playing = setInterval(() => { setCursor(state.cursor + 1); if (state.cursor >= ROWS) play(); }, 150);
}

// The view as one picture: each panel's heatmap under its title, side by side, row numbers at the
// left, rows past `cursor` dimmed as on the page (Download PNG, and the slides: demo/slides.js).
// A canvas, or null when no view is drawn.
function viewPicture(cursor = state.cursor) {
  const figures = [...element.querySelectorAll(".panel")];
  if (!figures.length) return null;
  const rowPx = 10, top = 24, widths = figures.map((f) => Math.max(80, f.querySelector("canvas").width * (f.querySelector("canvas").width <= 40 ? 2 : 4)));
  const out = document.createElement("canvas");
  out.width = widths.reduce((a, b) => a + b + 12, 30);
  out.height = top + ROWS * rowPx + 8;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "white"; ctx.fillRect(0, 0, out.width, out.height);
  ctx.imageSmoothingEnabled = false; ctx.fillStyle = "#222"; ctx.font = "12px sans-serif";
  for (let t = 0; t < ROWS; t += 3) ctx.fillText(String(t + 1), 4, top + t * rowPx + 9);
  let x = 30;
  figures.forEach((f, i) => {
    ctx.fillText(state.panels[i].title, x, 14);
    ctx.drawImage(f.querySelector("canvas"), x, top, widths[i], ROWS * rowPx);
    x += widths[i] + 12;
  });
  ctx.fillStyle = "rgba(255, 255, 255, 0.72)";  // the page's .dim
  ctx.fillRect(30, top + cursor * rowPx, out.width - 30, (ROWS - cursor) * rowPx);
  return out;
}

// Saves a Blob (or a data URL) as a file called `name`.
function saveFile(contents, name) {
  const link = document.createElement("a");
  link.href = typeof contents === "string" ? contents : URL.createObjectURL(contents);
  link.download = name;
  link.click();
  if (typeof contents !== "string") setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function download() {
  const picture = viewPicture();
  if (picture) saveFile(picture.toDataURL("image/png"), `${state.tab}-view.png`);
}

element.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => { state.tab = tab.dataset.view; renderView(); }));
$(".row").addEventListener("input", (event) => setCursor(Number(event.target.value)));
$(".play").addEventListener("click", () => play());
$(".download").addEventListener("click", download);
$(".order").addEventListener("change", (event) => { state.order = event.target.value; renderView(); });
$(".signed").addEventListener("change", (event) => { state.signed = event.target.checked; renderView(); });
$(".panels").addEventListener("keydown", (event) => {
  const step = {ArrowUp: -1, ArrowDown: 1, ArrowLeft: -1, ArrowRight: 1}[event.key];
  if (!step) return;
  event.preventDefault();
  setCursor(state.cursor + step);
});
function update(data) {
  const start = performance.now();
  state.data = data;
  renderSummary();
  renderView();
  renderUnit();
  renderWhatIf();
  renderAttribution();
  renderQuiz();
  window.__viewsDrawnAt = performance.now();  // read by benchmarks/browser_latency.py and the tests
  window.__updateMs = window.__viewsDrawnAt - start;  // benchmarks/explain_latency.py
}
followLanguage(() => {
  $(".play").textContent = say(playing ? "views.pause" : "views.play");
  $(".readout").textContent = say("views.hint");
  readLanguageAgain();  // the status sentence comes from the engine, in the page's language (views_engine.js)
  update(state.data);
});
$(".play").textContent = say("views.play");
$(".readout").textContent = say("views.hint");
update(null);
