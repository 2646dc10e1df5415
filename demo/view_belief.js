// View "Belief by row": P(digit) after reading row t (the head applied to the output at
// row t), and P(answer) per row as bars (the decision row is where it stays above 0.5).
// Data: reading.belief (row, class), reading.label.
// `model`: a model's name to put before each title (the comparison), or none.
function beliefPanels(r, model = null) {
  const belief = r.belief.values, answer = new Float32Array(ROWS);
  for (let t = 0; t < ROWS; t++) answer[t] = belief[t * 10 + r.label];
  const prefix = model ? say("views.model_prefix", {model}) : "";
  return [{title: say("views.belief_title", {prefix}), caption: say("views.belief_caption"), values: belief, columns: 10,
           lo: 0, hi: 1, colours: "sequential", name: "P", label: (d) => say("views.digit", {digit: d})},
          {title: say("views.answer_title", {prefix, digit: r.label}), caption: say("views.answer_caption"), values: answer,
           columns: 40, lo: 0, hi: 1, colours: "bars", name: `P(${r.label})`, label: () => ""}];
}

const beliefView = {title: "Belief by row", panels: (data) => beliefPanels(data.main)};
