// View "Compare models": the second model picked under "Compare with" reads the same
// drawing: both answers and confidences (in the view's note), both beliefs by row and both
// top layers' |h_t| (or h_t), rows aligned.
// Data: {main, other} readings (other null when none is picked).
function comparePanels(data) {
  if (!data.other) return [];
  const panels = [];
  for (const r of [data.main, data.other]) {
    const name = r.model.name;
    panels.push(beliefPanels(r, name + ": ")[0]);
    const top = hiddenPanels(r, (layer, d) => `${name} layer ${layer + 1}${d}`).filter((p) => p.unit.layer === r.model.layers - 1);
    panels.push(...top.map((p) => ({...p, model: name})));
  }
  return panels;
}

function compareNote(data) {
  if (!data.other) return data.note || "Pick a second model under \u201cCompare with\u201d to read the same drawing with both.";
  const says = (r) => `${r.model.name} reads ${r.label} (${Math.round(100 * r.confidence)}%` +
    (r.decision_row ? `, above one half from row ${r.decision_row})` : ")");
  return `${says(data.main)}; ${says(data.other)}.`;
}

const compareView = {title: "Compare models", panels: comparePanels, note: compareNote};
