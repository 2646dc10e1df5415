// Which rows and pixels mattered (the worker's attribution.js, sent after each reading): a
// sentence naming the rows that decided the answer, and in the belief view a strip beside the
// rows and an overlay of the 28x28, each the drop of P(answer) when that row or patch is blanked
// (red: the ink there supports the answer; blue: the answer is surer without it).
// Data: state.attribution = {rows: Float32Array(28), patches: Float32Array(784) or null, patch (its
// side in pixels), label}
// for the reading shown, or null while it is being computed.
const DECIDES = 0.05;  // a drop of P(answer) this large names a row in the sentence

function showAttribution({rows, patches, patch}) {
  const r = asDrawn(state.data);
  if (!r) return;
  state.attribution = {rows, patches, patch, label: r.label};
  window.__attributionShownAt = {...window.__attributionShownAt, [patches ? "patches" : "rows"]: performance.now()};  // benchmarks
  renderAttribution();
  if (state.tab === "belief") renderView();
}

function renderAttribution() {
  const a = state.attribution, box = $(".mattered"), r = asDrawn(state.data);
  if (!a || !r) { box.textContent = ""; return; }
  const pct = (p) => `${Math.round(100 * p)}%`, before = r.confidence;
  const order = [...a.rows.keys()].sort((x, y) => a.rows[y] - a.rows[x]);
  const deciding = order.filter((row) => a.rows[row] >= DECIDES).slice(0, 3).sort((x, y) => x - y);
  const most = order[0], after = before - a.rows[most];
  box.textContent = deciding.length
    ? say("mattered.rows", {rows: deciding.map((row) => row + 1).join(say("whatif.rows_separator")), row: most + 1,
                            digit: r.label, before: pct(before), after: pct(after)})
    : say("mattered.none", {digit: r.label, after: pct(after)});
}

// The belief view's two panels (none until the rows are known; the overlay once the patches are).
function attributionPanels() {
  const a = state.attribution;
  if (!a) return [];
  const largest = (values) => Math.max(DECIDES, ...Array.from(values, Math.abs));
  const shared = {colours: "diverging", caption: say("mattered.caption", {digit: a.label}), name: say("mattered.name", {digit: a.label})};
  const m = largest(a.rows);
  const panels = [{...shared, title: say("mattered.rows_title"), values: a.rows, columns: 1, lo: -m, hi: m, label: () => ""}];
  if (a.patches) {
    const p = largest(a.patches);
    panels.push({...shared, title: say("mattered.pixels_title"), values: a.patches, columns: 28, lo: -p, hi: p,
                 label: (c) => say("mattered.patch", {size: a.patch, column: c + 1})});
  }
  return panels;
}
