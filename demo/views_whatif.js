// What if: change the network at the cursor row, or erase input rows, and the main model reads the
// drawing again at once (in the worker, cells.js's trace with the what-if; model/trace.py's WhatIf
// does the same in Python). The views then show the changed reading; the belief view draws the
// original answer's probability by row over the new one, and the status says what changed.
// Data: state.whatIf = cells.js's what-if {erased_rows, from_row, memory, silenced} or null;
// state.stopAt: the row reading stopped after ("Stop reading here": no new reading, the belief at
// that row is the answer), or null; state.undo: the earlier {whatIf, stopAt}; state.erasing: rows
// are being erased. The engine (views_engine.js) sends state.whatIf with each read and hands
// update() {main: the changed reading, original: the reading as drawn, ...}.
const NO_WHAT_IF = {erased_rows: [], from_row: null, memory: null, silenced: null};

// The unit "Silence" acts on: the picked unit of the main model, else unit 1 of its top layer.
function silenceTarget(r) {
  const picked = pickedUnit(state.data);
  return picked && picked.r.model.name === r.model.name ? picked.pick : {layer: r.model.layers - 1, direction: 0, unit: 0};
}

// No what-if at all: after Reset all, another model, Clear, or when the quiz starts.
function resetWhatIf() {
  Object.assign(state, {whatIf: null, stopAt: null, erasing: false, undo: []});
  problem("");  // a refusal of the old what-if no longer applies
}

function change(next) {
  state.undo.push({whatIf: state.whatIf, stopAt: state.stopAt});
  Object.assign(state, next);
  const w = state.whatIf;
  if (w && !w.erased_rows.length && !w.memory && !w.silenced) state.whatIf = null;  // the last erased row brought back
  if (state.stopAt) setCursor(state.stopAt);
  ask();  // views_engine.js: read again with the what-if
}

function act(kind) {
  const r = asDrawn(state.data), row = state.cursor;
  const current = state.whatIf || NO_WHAT_IF;
  if (kind === "undo") {
    if (!state.undo.length) return;
    Object.assign(state, state.undo.pop());
    problem("");
    ask();
  } else if (kind === "reset") {
    resetWhatIf();
    ask();
  } else if (kind === "erase") {
    state.erasing = !state.erasing;
    renderWhatIf();
  } else if (!r) {
    return;  // nothing drawn: nothing to change
  } else if (kind === "stop") {
    change({stopAt: row});
  } else if (kind === "silence") {
    const {layer, direction, unit} = silenceTarget(r);
    change({whatIf: {...current, from_row: row, memory: null, silenced: [layer, direction, unit]}});
  } else {  // wipe, forget, keep: one change of the state at a time, from this row on
    change({whatIf: {...current, from_row: row, memory: kind, silenced: null}});
  }
}

// Erasing: a press or a drag over any view's rows erases them (a press on an erased row brings it back).
let erasingTo = null;  // while the button is held: true erases, false brings back
function eraseAt(event) {
  const plot = event.target.closest(".plot, .input");
  if (!plot) return;
  event.stopPropagation();  // not a unit pick or a read-out
  const box = plot.getBoundingClientRect();
  const row = Math.min(ROWS, Math.max(1, Math.floor((event.clientY - box.top) / box.height * ROWS) + 1));
  const current = state.whatIf || NO_WHAT_IF, erased = current.erased_rows.includes(row);
  if (erasingTo === null) erasingTo = !erased;
  if (erased === erasingTo) return;
  const rows = erasingTo ? [...current.erased_rows, row].sort((a, b) => a - b) : current.erased_rows.filter((r) => r !== row);
  change({whatIf: {...current, erased_rows: rows}});
}
for (const area of [$(".panels"), $(".summary")]) {
  area.addEventListener("pointerdown", (event) => { if (state.erasing) { erasingTo = null; eraseAt(event); } }, true);
  area.addEventListener("pointermove", (event) => { if (state.erasing && event.buttons) eraseAt(event); }, true);
}
element.querySelectorAll("[data-whatif]").forEach((button) => button.addEventListener("click", () => act(button.dataset.whatif)));
// Another model: a new start (a unit or a gate of the old one may not exist in it). These run
// before views_engine.js's listeners, which read the drawing again.
$(".model").addEventListener("change", resetWhatIf);
// Clear: the next drawing starts with no what-if (this runs before views_engine.js reads it).
window.addEventListener("drawing", (event) => { if (!event.detail) resetWhatIf(); });

// The what-if's phrases: each change, then the sentence with the new answer and the original one.
function changesInWords(r) {
  const w = state.whatIf || NO_WHAT_IF, changes = [];
  if (w.erased_rows.length) changes.push(say("whatif.change_erased", {rows: w.erased_rows.join(say("whatif.rows_separator"))}));
  if (w.memory) changes.push(say(`whatif.change_${w.memory}`, {row: w.from_row}));
  if (w.silenced) changes.push(say("whatif.change_silence", {unit: w.silenced[2] + 1, layer: w.silenced[0] + 1, row: w.from_row}));
  if (state.stopAt) changes.push(say("whatif.change_stop", {row: state.stopAt}));
  return changes.join(say("whatif.changes_separator"));
}

function digitInWords(digit, bold = false) {
  return say(digit === 8 ? "status.digit_8" : "status.digit", {digit: bold ? `**${digit}**` : digit});
}

// The status line while a what-if is on (null when none): `changed` the new reading, `original` the drawing's.
function whatIfStatus(changed, original) {
  if (!state.whatIf && !state.stopAt) return null;
  const r = changed || original, row = state.stopAt ? state.stopAt - 1 : ROWS - 1;
  const probs = r.belief.values.subarray(row * 10, row * 10 + 10);
  const digit = probs.indexOf(Math.max(...probs)), pct = (p) => `${Math.round(100 * p)}%`;
  const key = digit !== original.label ? "whatif.reads_other" : "whatif.reads_same";
  return say(probs[digit] < original.model.unsure_below ? "whatif.unsure" : key, {
    changes: changesInWords(r), digit: digitInWords(digit, true), percent: pct(probs[digit]),
    original: digitInWords(original.label), original_percent: pct(original.confidence)});
}

function renderWhatIf() {
  const r = asDrawn(state.data), cell = r ? r.model.cell : null;
  const target = r ? silenceTarget(r) : {layer: 0, unit: 0};
  const silence = element.querySelector("[data-whatif=silence]");
  silence.textContent = say("whatif.silence", {unit: target.unit + 1, layer: target.layer + 1});
  for (const kind of ["forget", "keep"]) element.querySelector(`[data-whatif=${kind}]`).hidden = cell === "rnn";
  element.querySelectorAll("[data-whatif]").forEach((button) => {
    if (!["erase", "undo", "reset"].includes(button.dataset.whatif)) button.disabled = !r;
  });
  element.querySelector("[data-whatif=undo]").disabled = !state.undo.length;
  element.querySelector("[data-whatif=reset]").disabled = !state.whatIf && !state.stopAt;
  element.querySelector("[data-whatif=erase]").setAttribute("aria-pressed", state.erasing);
  element.querySelector(".views").classList.toggle("erasing", state.erasing);
  if (state.erasing) $(".readout").textContent = say("whatif.erase_hint");
}
