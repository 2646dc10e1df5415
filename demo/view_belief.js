// View "Belief by row": P(digit) after reading row t (the head applied to the output at
// row t), and P(answer) per row as bars (the decision row is where it stays above 0.5).
// Data: reading.belief (row, class), reading.label.
// `model`: a model's name to put before each title (the comparison), or none. `original`: the
// reading as drawn when `r` is a what-if's (views_whatif.js): the bars then follow the original
// answer's probability under the what-if, with the original's marked over them.
function beliefPanels(r, model = null, original = null) {
  const belief = r.belief.values, answer = new Float32Array(ROWS), label = original ? original.label : r.label;
  const before = original ? new Float32Array(ROWS) : null;
  for (let t = 0; t < ROWS; t++) {
    answer[t] = belief[t * 10 + label];
    if (before) before[t] = original.belief.values[t * 10 + label];
  }
  const prefix = model ? say("views.model_prefix", {model}) : "";
  return [{title: say("views.belief_title", {prefix}), caption: say("views.belief_caption"), values: belief, columns: 10,
           lo: 0, hi: 1, colours: "sequential", name: "P", label: (d) => say("views.digit", {digit: d})},
          {title: say("views.answer_title", {prefix, digit: label}), values: answer, overlay: before,
           caption: say(original ? "whatif.overlay_caption" : "views.answer_caption"),
           columns: 40, lo: 0, hi: 1, colours: "bars", name: `P(${label})`, label: () => ""}];
}

// With which rows and pixels mattered (views_attribution.js) once the worker has them, for the drawing as drawn.
const beliefView = {title: "Belief by row",
  panels: (data) => [...beliefPanels(data.main, null, data.original), ...(data.original ? [] : attributionPanels())]};
