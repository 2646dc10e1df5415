// The state link: the address bar always holds the view (as TensorFlow Playground keeps its state
// in its URL), so a copied link opens the same view: the drawing, the models, the row cursor, the
// picked unit, the tab and the language. Opening one reads the drawing in the page, as a stroke is
// read: no server is asked for it (the engine takes the 28x28 image itself, demo/engine/worker.js).
//
// Format, version 1: the language stays in the query as before (?lang=CODE, demo/language.js); the
// rest is the fragment (after "#", which a browser never sends to a server: the drawing in a link
// still never leaves the device of whoever opens it), URL search parameters in this order:
//   v=1              the format's version; a page refuses a version it does not know
//   draw=CODE        the 28x28 image the engine read (the model's input, white ink on black):
//                    row-major, each value round(255 v) as one byte (784 bytes), deflated
//                    (deflate-raw, RFC 1951: CompressionStream) and written in base64url without
//                    padding. Mostly black, it shrinks to ~100-300 characters. Absent: nothing drawn.
//   model=NAME       the model shown (a name the page's model selector has)
//   compare=NAME     the second model (tab Compare models); absent: none
//   row=R            the row cursor, 1 to 28
//   unit=L.D.U       the picked unit as its chart names it: layer L (from 1), direction D (0 forward,
//                    1 backward), unit U (from 1); absent: none
//   unit_model=NAME  the picked unit's model, only when it is the compared one
//   tab=NAME         the tab: hidden, belief, gates, compare, cell (the page's views, views_main.js's VIEWS)
//   erase=R,R,...    what if: input rows erased (views_whatif.js; model/trace.py's WhatIf), 1 to 28
//   from=R           what if: the row the change of the state starts from, 1 to 28
//   memory=KIND      what if: wipe, forget or keep (needs from)
//   silence=L.D.U    what if: the unit silenced, named as unit= names it (needs from)
//   stop=R           what if: reading stopped after row R
// Example: /?lang=en#v=1&draw=Y2BgYGBg...&model=default&row=20&unit=2.0.37&tab=gates
// The drawing is quantised to bytes, so a restored reading can differ from the first one by that
// rounding (within 1/510 per pixel): in a percentage only when it lies on a half.
// Limits: the fragment at most MAX_LINK characters, draw at most MAX_DRAW (784 incompressible
// bytes deflate to 789, 1,052 characters); it must inflate to exactly 784 bytes, not all zero.
// A link that breaks a rule restores nothing: the page starts empty and says which rule it broke
// (the .problem alert). Unknown parameters are ignored (a later version may add some). A unit
// the model does not have is known only when its reading comes: then only the unit is dropped.
// Node (tests/js/link.test.js) requires this file for readLink and writeLink; the page wires it.
const LINK_VERSION = "1";
const INPUT_PIXELS = 28 * 28, LINK_ROWS = 28;
const MAX_LINK = 2048, MAX_DRAW = 1100, NAME = /^[\w.-]{1,64}$/, UNIT = /^(\d{1,2})\.([01])\.(\d{1,4})$/;

function toBase64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));  // throws on a bad length
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The inflated bytes, or null when they would be more than `limit` (a small link that inflates to
// megabytes is stopped at limit + 1). Rejects on damaged data.
async function inflateAtMost(bytes, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const out = new Uint8Array(limit);
  let length = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) return out.subarray(0, length);
    if (length + value.length > limit) { reader.cancel().catch(() => {}); return null; }
    out.set(value, length);
    length += value.length;
  }
}

// view = {image: Float32Array(784) in [0, 1] or null, model, compare ("" or null: none), row,
// unit: {layer, direction, unit (0-based), model?} or null, tab, whatIf: cells.js's what-if or null,
// stopAt: a row or null} -> the fragment, without "#".
async function writeLink(view) {
  const link = new URLSearchParams({v: LINK_VERSION});
  if (view.image) {
    const bytes = Uint8Array.from(view.image, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
    link.set("draw", toBase64url(await deflate(bytes)));
  }
  link.set("model", view.model);
  if (view.compare) link.set("compare", view.compare);
  link.set("row", String(view.row));
  if (view.unit) {
    link.set("unit", `${view.unit.layer + 1}.${view.unit.direction}.${view.unit.unit + 1}`);
    if (view.unit.model && view.unit.model === view.compare) link.set("unit_model", view.unit.model);
  }
  link.set("tab", view.tab);
  const whatIf = view.whatIf;
  if (whatIf && whatIf.erased_rows.length) link.set("erase", whatIf.erased_rows.join(","));
  if (whatIf && whatIf.from_row) link.set("from", String(whatIf.from_row));
  if (whatIf && whatIf.memory) link.set("memory", whatIf.memory);
  if (whatIf && whatIf.silenced) link.set("silence", whatIf.silenced.map((n, i) => (i === 1 ? n : n + 1)).join("."));
  if (view.stopAt) link.set("stop", String(view.stopAt));
  return link.toString();
}

// A fragment (without "#") -> {view} (writeLink's view, with the page's defaults for what it
// leaves out) or {problem: the phrase key saying which rule it broke}. `page` = {models: [names],
// tabs: [names], model: the default model}. Never throws.
async function readLink(fragment, page) {
  if (fragment.length > MAX_LINK) return {problem: "views.link_too_long"};
  const link = new URLSearchParams(fragment), get = (name) => link.get(name);
  if (get("v") !== LINK_VERSION) return {problem: "views.link_version"};
  const known = (name) => NAME.test(name) && page.models.includes(name);
  const model = get("model") === null ? page.model : get("model");
  const compare = get("compare") || "";
  if (!known(model) || (compare && !known(compare))) return {problem: "views.link_model"};
  const row = get("row") === null ? String(LINK_ROWS) : get("row");
  if (!/^\d{1,2}$/.test(row) || Number(row) < 1 || Number(row) > LINK_ROWS) return {problem: "views.link_row"};
  const tab = get("tab") === null ? page.tabs[0] : get("tab");
  if (!page.tabs.includes(tab)) return {problem: "views.link_tab"};
  let unit = null;
  if (get("unit") !== null) {
    const parts = UNIT.exec(get("unit")), of = get("unit_model");
    if (!parts || Number(parts[1]) < 1 || Number(parts[3]) < 1 || (of !== null && of !== compare)) return {problem: "views.link_unit"};
    unit = {layer: Number(parts[1]) - 1, direction: Number(parts[2]), unit: Number(parts[3]) - 1};
    if (of !== null) unit.model = of;
  }
  const whatIf = whatIfOf(get);
  if (whatIf === undefined) return {problem: "views.link_whatif"};
  const stop = get("stop");
  if (stop !== null && !isRow(stop)) return {problem: "views.link_whatif"};
  let image = null;
  if (get("draw") !== null) {
    image = await imageOf(get("draw"));
    if (!image) return {problem: "views.link_drawing"};
  }
  return {view: {image, model, compare, row: Number(row), unit, tab, whatIf, stopAt: stop === null ? null : Number(stop)}};
}

const isRow = (text) => /^\d{1,2}$/.test(text) && Number(text) >= 1 && Number(text) <= LINK_ROWS;

// The what-if a link names (null: none), or undefined when its parameters break a rule.
function whatIfOf(get) {
  const [erase, from, memory, silence] = ["erase", "from", "memory", "silence"].map(get);
  if (erase === null && from === null && memory === null && silence === null) return null;
  const rows = erase === null ? [] : erase.split(",");
  if (rows.length > LINK_ROWS || !rows.every(isRow) || (from !== null && !isRow(from))) return undefined;
  if (memory !== null && !["wipe", "forget", "keep"].includes(memory)) return undefined;
  const parts = silence === null ? null : UNIT.exec(silence);
  if ((silence !== null && (!parts || Number(parts[1]) < 1 || Number(parts[3]) < 1)) || ((memory || silence) && from === null)) return undefined;
  return {erased_rows: [...new Set(rows.map(Number))].sort((a, b) => a - b), from_row: from === null ? null : Number(from),
          memory, silenced: parts ? [Number(parts[1]) - 1, Number(parts[2]), Number(parts[3]) - 1] : null};
}

// A draw parameter -> the Float32Array(784) it holds, or null when it is not one.
async function imageOf(code) {
  if (code.length > MAX_DRAW || !/^[\w-]+$/.test(code)) return null;
  let bytes;
  try {
    bytes = await inflateAtMost(fromBase64url(code), INPUT_PIXELS);
  } catch {
    return null;  // not base64url, or not deflate data
  }
  if (!bytes || bytes.length !== INPUT_PIXELS || bytes.every((b) => b === 0)) return null;
  return Float32Array.from(bytes, (b) => b / 255);
}

// The page's side: restore the view a link names, then keep the address bar in step with the view.
const LINK_EVERY_MS = 400;

function wireLink() {
  const defaults = {models: names, tabs: Object.keys(VIEWS), model: engine.default};

  function currentView() {
    const r = asDrawn(state.data);  // as drawn, not as a what-if erased it
    return {image: r ? r.input.values : state.image, model: state.model, compare: state.other, row: state.cursor,
            unit: state.unit, tab: state.tab, whatIf: state.whatIf, stopAt: state.stopAt};  // a restored image waiting: state.image
  }

  // The address bar follows the view: every LINK_EVERY_MS the link is written anew and replaces the
  // address when it differs (one poll here, rather than a hook in every control of the views).
  async function followView() {
    checkUnit();
    const address = new URL(location.href);
    address.hash = await writeLink(currentView());
    address.searchParams.set("lang", language);
    if (address.href !== location.href) history.replaceState(history.state, "", address);
  }

  // A link's unit can be checked against its model only once the model's reading is here (a
  // model's size comes with its weights): one it does not have is dropped, and the page says so.
  let unitToCheck = null;
  function checkUnit() {
    const data = state.data, unit = unitToCheck;
    if (!unit || !data || !data.main) return;
    unitToCheck = null;
    const r = unit.model ? data.other : data.main;
    if (r && unit.layer < r.model.layers && unit.direction < r.hidden.shape[1] && unit.unit < r.model.units) return;
    state.unit = null;
    renderUnit();
    problem(say("views.link_no_unit", {unit: `${unit.layer + 1}.${unit.direction}.${unit.unit + 1}`, model: unit.model || state.model}));
  }

  async function restore() {
    const fragment = location.hash.replace(/^#/, "");
    if (!fragment) return;
    const read = await readLink(fragment, defaults);
    if (read.problem) { problem(say("views.link_bad", {reason: say(read.problem)})); return; }
    const view = read.view;
    state.model = $(".model").value = view.model;
    state.other = $(".other").value = view.compare;
    about();
    state.tab = view.tab;
    state.unit = unitToCheck = view.unit;
    Object.assign(state, {whatIf: view.whatIf, stopAt: view.stopAt, undo: []});
    setCursor(view.row);
    renderView();
    if (!view.image) return;
    state.image = view.image;
    state.pixels = null;
    showOnCanvas();
    ask();
  }

  // The canvas (another component) shows the restored image; it may be ready before or after this.
  const showOnCanvas = () => window.dispatchEvent(new CustomEvent("restored-drawing", {detail: state.image}));
  window.addEventListener("canvas-ready", () => { if (state.image) showOnCanvas(); });

  // Copy link: the clipboard; where the page may not write it (an http:// address other than this
  // machine's), the link is shown selected, to copy by hand.
  async function copyLink() {
    await followView();
    const text = $(".link-text");
    try {
      await navigator.clipboard.writeText(location.href);
      text.hidden = true;
      $(".link-note").textContent = say("views.link_copied");
    } catch {
      text.hidden = false;
      text.value = location.href;
      text.select();
      $(".link-note").textContent = say("views.link_select");
    }
  }
  $(".copy-link").addEventListener("click", copyLink);
  window.addEventListener("language", () => { $(".link-note").textContent = ""; });  // said in the old one

  restore().catch((error) => problem(say("views.link_bad", {reason: error.message})))
    .finally(() => setInterval(() => followView().catch(() => {}), LINK_EVERY_MS));
}

if (typeof module === "object" && module.exports) module.exports = {readLink, writeLink, MAX_LINK, MAX_DRAW}; else wireLink();
