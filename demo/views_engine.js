// The page's side of the engine (runs last): starts the Web Worker (demo/engine/worker.js, with
// preprocess.js, cells.js and reading.js), hands it every drawing the canvas sends, and shows
// its answers with update(). The model selectors pick which models read the drawing.
// Data: props.engine = {script, models: {name: {url, about: {language: line}}}, default}
// (demo/app.py's page_engine);
// the canvas's window event "drawing" (detail: ImageData, or null when cleared).
// One read at a time: a drawing that arrives while the worker reads waits, and only the latest
// one waits, so the views never fall behind the pen. Once a model's weights are loaded, drawing
// and switching need no server at all.
const engine = props.engine;
const root = (window.gradio_config && window.gradio_config.root) || location.href;  // the app's URL, behind a proxy too
const url = (path) => new URL(path.replace(/^\//, ""), root.replace(/\/?$/, "/")).href;
const worker = new Worker(url(engine.script));
const names = Object.keys(engine.models);
worker.postMessage({type: "models", models: Object.fromEntries(names.map((name) => [name, url(engine.models[name].url)]))});
worker.postMessage({type: "load", name: engine.default});  // with the page, not at the first stroke
state.model = engine.default;

let reading = false, waiting = null, asked = 0, shown = engine.default;  // shown: the model whose answer is on the page

function read() {
  if (reading || !waiting) return;
  reading = true;
  worker.postMessage({type: "read", id: ++asked, pixels: waiting.pixels, image: waiting.image, main: state.model,
                      other: state.other || null, words: statusWords(), whatIf: state.whatIf});
  waiting = null;
}

function ask() {
  waiting = {pixels: state.pixels, image: state.image};  // image: a link's drawing (views_link.js)
  read();
}

// The status sentence's phrases in the page's language: the worker writes the sentence (reading.js).
function statusWords() {
  return Object.fromEntries(Object.entries(strings[language]).filter(([key]) => key.startsWith("status.")));
}

// After a change of language: the drawing read again (a few ms), for the status in the new language.
function readLanguageAgain() {
  about();
  if (state.data) ask();
}

function problem(text) {
  $(".problem").textContent = text;
  $(".problem").hidden = !text;
}

worker.onmessage = ({data}) => {
  if (data.type === "read") {
    reading = false;
    shown = state.model;
    state.readId = data.id;
    state.attribution = null;  // this drawing's comes next (views_attribution.js)
    // With a what-if the views show the changed reading, and the original beside it (views_whatif.js).
    const main = data.changed || data.main, original = data.changed || state.stopAt ? data.main : null;
    const status = (!data.refused && whatIfStatus(data.changed, data.main)) || (data.main && data.main.status);
    update(data.main ? {...data, main, original, status} : null);
    if (data.refused) problem(say("whatif.refused", {message: data.refused}));
    window.__engineMs = data.ms;  // the worker's time for this reading (benchmarks)
  } else if (data.type === "attribution") {
    if (data.id === state.readId) showAttribution(data);
    return;
  } else if (data.type === "failed" && data.name === undefined) {  // a bug, not the drawing's fault
    reading = false;
    problem(say("views.engine_failed", {message: data.message}));
  } else if (data.type === "failed" && (data.id !== undefined || [state.model, state.other].includes(data.name))) {
    problem(say("views.model_failed", {model: data.name, message: data.message}));
    const before = [state.model, state.other];
    if (data.name === state.model) state.model = shown;
    if (data.name === state.other) state.other = "";
    $(".model").value = state.model;
    $(".other").value = state.other;
    about();
    if (data.id !== undefined) {
      reading = false;
      // Read again with the models at hand, unless nothing changed (the model shown is the one that
      // failed: asking again would fetch it again at once, in a loop).
      if (state.model !== before[0] || state.other !== before[1]) ask();
    }
  }
  read();
};
worker.onerror = (event) => problem(say("views.engine_stopped", {message: event.message}));

window.addEventListener("drawing", (event) => { state.pixels = event.detail; state.image = null; problem(""); ask(); });

// The model selectors (hidden when there is one model), and a line about the model shown.
for (const name of names) {
  $(".model").add(new Option(name, name));
  $(".other").add(new Option(name, name));
}
$(".models").hidden = names.length < 2;
function about() { $(".about").innerHTML = markdown(engine.models[state.model].about[language]); }
$(".model").addEventListener("change", (event) => { state.model = event.target.value; problem(""); about(); ask(); });
$(".other").addEventListener("change", (event) => { state.other = event.target.value; problem(""); ask(); });
about();
