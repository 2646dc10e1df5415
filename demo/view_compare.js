// View "Compare models": the second model picked under "Compare with" reads the same
// drawing: both answers and confidences (in the view's note), both beliefs by row and both
// top layers' |h_t| (or h_t), rows aligned.
// Data: {main, other} readings (other null when none is picked).
function comparePanels(data) {
  if (!data.other) return [];
  const panels = [];
  for (const r of [data.main, data.other]) {
    const name = r.model.name;
    panels.push(beliefPanels(r, name)[0]);
    const top = hiddenPanels(r, name).filter((p) => p.unit.layer === r.model.layers - 1);
    panels.push(...top.map((p) => ({...p, model: name})));
  }
  return panels;
}

function compareNote(data) {
  if (state.other && state.other === data.main.model.name) return say("views.compare_same", {model: state.other});
  if (!data.other) return say("views.compare_pick");
  const says = (r) => say(r.decision_row ? "views.compare_says_from_row" : "views.compare_says",
    {model: r.model.name, digit: r.label, percent: `${Math.round(100 * r.confidence)}%`, row: r.decision_row});
  return `${says(data.main)} ${says(data.other)}`;
}

const compareView = {title: "Compare models", panels: comparePanels, note: compareNote};
