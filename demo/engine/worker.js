// The page's Web Worker: reads drawings with the models, off the main thread so the pen never
// stutters. It mirrors demo/app.py's Predictor.predict_canvas of old (the server no longer reads
// the page's drawings): the drawing becomes the 28x28 input (preprocess.js, as to_mnist), each
// picked model is traced row by row (cells.js, as model.trace), and each trace becomes a reading
// (reading.js, as demo/reading.py). Weights are fetched once per model, when first needed.
//
// Messages in:
//   {type: "models", models: {name: url}}           the served models' weights files
//   {type: "read", id, pixels: {data, width, height} | null, main, other, words}
//                                                    a drawing (canvas RGBA; null: cleared), the
//                                                    model names to read it with (other: or null)
//                                                    and the status phrases of the page's language
//                                                    (demo/strings: "status.*")
//   {type: "read", id, image: Float32Array(784), main, other, words}
//                                                    the same, given the 28x28 input itself (row-major,
//                                                    [0, 1], white ink on black: a state link's drawing,
//                                                    demo/views_link.js), read as it is: no to_mnist
//   {type: "load", name}                             fetch a model's weights ahead of a read
// Messages out:
//   {type: "read", id, main, other, ms}             main/other: reading.js readings (null when the
//                                                    canvas holds no drawing, other null when none
//                                                    is picked); ms: the time spent here
//   {type: "failed", id, name, message}             a model could not be loaded (server gone?); id
//                                                    only when a read asked for it
//   {type: "failed", id, message}                   the engine failed on a read (a bug: no name)
//   {type: "loaded", name}
const {toMnist} = self.preprocess, {readWeights, trace} = self.cells, {reading} = self.reading;
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

async function read({id, pixels, image: given, main, other, words}) {
  const start = performance.now();
  if (given && !(given instanceof Float32Array && given.length === 784 && given.every((v) => v >= 0 && v <= 1))) {
    return {type: "failed", id, message: "the image must be 784 numbers (28x28) from 0 to 1"};
  }
  const names = other && other !== main ? [main, other] : [main];
  const loaded = [];
  for (const name of names) {
    try {
      loaded.push(await model(name));
    } catch (error) {
      return {type: "failed", id, name, message: error.message};
    }
  }
  const image = given || (pixels ? toMnist(pixels.data, pixels.width, pixels.height) : null);
  const readings = image ? names.map((name, i) => reading(image, trace(loaded[i], image), loaded[i], name, words)) : [null];
  return {type: "read", id, main: readings[0], other: readings[1] || null, ms: performance.now() - start};
}

// Reads run one after another, in the order asked (the page sends the next when one is answered).
let queue = Promise.resolve();
self.onmessage = ({data}) => {
  if (data.type === "models") Object.assign(urls, data.models);
  else if (data.type === "load") {
    model(data.name).then(() => self.postMessage({type: "loaded", name: data.name}),
      (error) => self.postMessage({type: "failed", name: data.name, message: error.message}));
  } else if (data.type === "read") queue = queue.then(() => read(data)).then((answer) => self.postMessage(answer));
};
