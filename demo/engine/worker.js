// The page's Web Worker: reads drawings with the models, off the main thread so the pen never
// stutters. It mirrors demo/app.py's Predictor.predict_canvas of old (the server no longer reads
// the page's drawings): the drawing becomes the 28x28 input (preprocess.js, as to_mnist), each
// picked model is traced row by row (cells.js, as model.trace), and each trace becomes a reading
// (reading.js, as demo/reading.py). Weights are fetched once per model, when first needed.
//
// Messages in:
//   {type: "models", models: {name: url}}           the served models' weights files
//   {type: "read", id, pixels: {data, width, height} | null, main, other, words, whatIf}
//                                                    a drawing (canvas RGBA; null: cleared), the
//                                                    model names to read it with (other: or null)
//                                                    and the status phrases of the page's language
//                                                    (demo/strings: "status.*"); whatIf: cells.js's
//                                                    what-if for the main model, or null
//   {type: "read", id, image: Float32Array(784), main, other, words, whatIf}
//                                                    the same, given the 28x28 input itself (row-major,
//                                                    [0, 1], white ink on black: a state link's drawing,
//                                                    demo/views_link.js), read as it is: no to_mnist
//   {type: "load", name}                             fetch a model's weights ahead of a read
// Messages out:
//   {type: "read", id, main, other, changed, refused, ms}
//                                                    main/other: reading.js readings (null when the
//                                                    canvas holds no drawing, other null when none
//                                                    is picked); changed: the main model's reading
//                                                    with the what-if (null: none); refused: why
//                                                    the model cannot take the what-if, or null;
//                                                    ms: the time spent here
//   {type: "failed", id, name, message}             a model could not be loaded (server gone?); id
//                                                    only when a read asked for it
//   {type: "failed", id, message}                   the engine failed on a read (a bug: no name)
//   {type: "loaded", name}
//   {type: "attribution", id, rows, patches, patch, ms}    after a read: attribution.js's drops for the main
//                                                    model's answer, rows first (patches null), then
//                                                    both; never for a read a newer one replaced
const {toMnist} = self.preprocess, {readWeights, trace, erasedRows} = self.cells, {reading} = self.reading;
const {importance} = self.attribution;
const urls = {}, models = {};  // name -> weights URL; name -> Promise of the parsed model

function model(name) {
  if (!(name in urls)) return Promise.reject(new Error(`unknown model ${name}`));
  if (!models[name]) {
    models[name] = fetch(urls[name])
      .then((response) => { if (!response.ok) throw new Error(`HTTP ${response.status}`); return response.arrayBuffer(); })
      .then(readWeights)
      .then((loaded) => { trace(loaded, new Float32Array(784)); return loaded; });  // compiled before the first stroke
    models[name].catch(() => { delete models[name]; });  // asked again later, it is fetched again
  }
  return models[name];
}

async function read({id, pixels, image: given, main, other, words, whatIf}) {
  const start = performance.now();
  if (given && !(given instanceof Float32Array && given.length === 784 && given.every((v) => v >= 0 && v <= 1))) {
    return {answer: {type: "failed", id, message: "the image must be 784 numbers (28x28) from 0 to 1"}, attribution: null};
  }
  const names = other && other !== main ? [main, other] : [main];
  const loaded = [];
  for (const name of names) {
    try {
      loaded.push(await model(name));
    } catch (error) {
      return {answer: {type: "failed", id, name, message: error.message}, attribution: null};
    }
  }
  const image = given || (pixels ? toMnist(pixels.data, pixels.width, pixels.height) : null);
  const readings = image ? names.map((name, i) => reading(image, trace(loaded[i], image), loaded[i], name, words)) : [null];
  let changed = null, refused = null;
  if (image && whatIf) {
    try {
      const shown = erasedRows(image, whatIf.erased_rows || []);  // the input as the what-if reads it
      changed = reading(shown, trace(loaded[0], image, whatIf), loaded[0], main, words);
    } catch (error) {  // a what-if this model cannot take (a plain RNN has no gate to set)
      refused = error.message;
    }
  }
  const answer = {type: "read", id, main: readings[0], other: readings[1] || null, changed, refused, ms: performance.now() - start};
  return {answer, attribution: image && {id, model: loaded[0], image, label: readings[0].label}};
}

// Which rows and pixels mattered for the main model's answer (attribution.js), after the answer is
// sent: one reading at a time, each in its own turn of the event loop, so that a newer drawing's
// read message arrives in between and this one stops (the views never wait for it).
let newest = 0;  // the id of the newest read asked for
const turns = new MessageChannel();  // a turn of the event loop with no delay (nested setTimeouts wait 4 ms)
const nextTurn = () => new Promise((resolve) => { turns.port1.onmessage = resolve; turns.port2.postMessage(null); });

async function attribute({id, model, image, label}) {
  const start = performance.now();
  for (const done of importance(model, image, label)) {
    await nextTurn();
    if (id !== newest) return;  // a newer drawing: this one's attribution no longer matters
    if (done) self.postMessage({type: "attribution", id, ...done, ms: performance.now() - start});
  }
}

// Reads run one after another, in the order asked (the page sends the next when one is answered).
let queue = Promise.resolve();
self.onmessage = ({data}) => {
  if (data.type === "models") Object.assign(urls, data.models);
  else if (data.type === "load") {
    model(data.name).then(() => self.postMessage({type: "loaded", name: data.name}),
      (error) => self.postMessage({type: "failed", name: data.name, message: error.message}));
  } else if (data.type === "read") {
    newest = data.id;
    queue = queue.then(() => read(data)).then(({answer, attribution}) => {
      self.postMessage(answer);
      // An attribution that fails says nothing: the reading is on the page, the next reads go on.
      return attribution && answer.type === "read" ? attribute(attribution).catch(() => {}) : null;
    }).catch((error) => self.postMessage({type: "failed", id: data.id, message: error.message}));  // the next reads go on
  }
};
