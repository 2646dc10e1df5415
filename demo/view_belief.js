// View "Belief by row": P(digit) after reading row t (the head applied to the output at
// row t), and P(answer) per row as bars (the decision row is where it stays above 0.5).
// Data: reading.belief (row, class), reading.label.
function beliefPanels(r, prefix = "") {
  const belief = r.belief.values, answer = new Float32Array(ROWS);
  for (let t = 0; t < ROWS; t++) answer[t] = belief[t * 10 + r.label];
  return [{title: `${prefix}P(digit) after row t`, caption: "digit 0..9", values: belief, columns: 10, lo: 0, hi: 1,
           colours: "sequential", name: "P", label: (d) => `digit ${d}`},
          {title: `${prefix}P(${r.label}) by row`, caption: "bar: 0..1", values: answer, columns: 40, lo: 0, hi: 1,
           colours: "bars", name: `P(${r.label})`, label: () => ""}];
}

const beliefView = {title: "Belief by row", panels: (data) => beliefPanels(data.main)};
