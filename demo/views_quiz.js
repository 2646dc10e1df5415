// The class quiz: the answer is hidden (the status, the prediction, the decision row, the belief
// and comparison tabs, the what-if bar); a student guesses the digit and the row from which the
// model will be sure, then "Play and reveal" plays the 28 rows and shows the answer and the score:
// 1 point for the digit, 1 for the row (within 2 rows; half within 5). Clearing the canvas hides
// the answer again for the next drawing.
// Data: state.quiz: null (no quiz), "asking" or "revealed"; the reading shown (state.data.main).
const ROW_WITHIN = 2, ROW_NEAR = 5;  // rows off that still score a point, half a point

for (let digit = 0; digit < 10; digit++) $(".quiz-digit").add(new Option(String(digit), String(digit)));

// Data also: state.quizScore = {key, values} of the score shown (said again in a new language).
let reveals = 0;  // a reveal shows its answer only if it is still the latest when its rows have played

function setQuiz(mode) {
  const was = state.quiz;
  reveals++;
  if (playing && mode !== "revealed") play();  // a reveal under way is over
  if (mode === "asking" && was === null && (state.whatIf || state.stopAt)) {  // the quiz reads the drawing as drawn
    resetWhatIf();
    ask();
  }
  state.quiz = mode;
  state.quizScore = null;
  if (mode === "asking" && ["belief", "compare"].includes(state.tab)) { state.tab = "hidden"; renderView(); }
  renderQuiz();
}

function quizScore(r, guess, guessRow) {
  const off = r.decision_row === null ? Infinity : Math.abs(r.decision_row - guessRow);
  const points = (guess === r.label ? 1 : 0) + (off <= ROW_WITHIN ? 1 : off <= ROW_NEAR ? 0.5 : 0);
  return {key: r.decision_row === null ? "quiz.score_never" : "quiz.score",
          values: {guess, guess_row: guessRow, digit: r.label, row: r.decision_row, points}};
}

function reveal() {
  const r = state.data && state.data.main;
  if (!r || !state.quiz) return;
  const guess = Number($(".quiz-digit").value), guessRow = Math.min(ROWS, Math.max(1, Math.round(Number($(".quiz-row").value)) || 1));
  $(".quiz-row").value = guessRow;
  const score = quizScore(r, guess, guessRow);
  if (playing) play();  // stop a Play under way: the reveal plays from row 1
  const mine = ++reveals;
  play(() => {  // the rows first, then the answer, if nothing came since (a new drawing, the quiz ended)
    if (mine !== reveals || state.quiz !== "asking") return;
    setQuiz("revealed");
    state.quizScore = score;
    renderQuiz();
  });
}

function renderQuiz() {
  const on = state.quiz !== null, asking = state.quiz === "asking";
  element.querySelector(".views").classList.toggle("quizzing", asking);
  $(".quiz").hidden = !on;
  $(".quiz-hidden").hidden = !asking;
  $(".quiz-hidden").innerHTML = markdown(say("quiz.hidden"));
  $(".quiz-toggle").textContent = say(on ? "quiz.stop" : "quiz.start");
  $(".quiz-toggle").setAttribute("aria-pressed", on);
  $(".quiz-reveal").disabled = !(state.data && state.data.main) || !asking;
  $(".quiz-score").textContent = state.quizScore ? say(state.quizScore.key, state.quizScore.values) : "";
  for (const slides of [".download-gif", ".download-strip"]) $(slides).disabled = asking;  // they show the answer
}

$(".quiz-toggle").addEventListener("click", () => setQuiz(state.quiz ? null : "asking"));
$(".quiz-reveal").addEventListener("click", reveal);
window.addEventListener("drawing", (event) => {
  if (state.quiz === "revealed" && !event.detail) setQuiz("asking");
  else if (state.quiz === "asking") { reveals++; if (playing) play(); }  // a new drawing while revealing: no reveal
});
