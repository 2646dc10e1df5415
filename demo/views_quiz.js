// The class quiz: the answer is hidden (the status, the prediction, the decision row, the belief
// and comparison tabs, the what-if bar); a student guesses the digit and the row from which the
// model will be sure, then "Play and reveal" plays the 28 rows and shows the answer and the score:
// 1 point for the digit, 1 for the row (within 2 rows; half within 5). Clearing the canvas hides
// the answer again for the next drawing.
// Data: state.quiz: null (no quiz), "asking" or "revealed"; the reading shown (state.data.main).
const ROW_WITHIN = 2, ROW_NEAR = 5;  // rows off that still score a point, half a point

for (let digit = 0; digit < 10; digit++) $(".quiz-digit").add(new Option(String(digit), String(digit)));

function setQuiz(mode) {
  state.quiz = mode;
  if (mode === "asking" && ["belief", "compare"].includes(state.tab)) { state.tab = "hidden"; renderView(); }
  renderQuiz();
}

function quizScore(r, guess, guessRow) {
  const off = r.decision_row === null ? Infinity : Math.abs(r.decision_row - guessRow);
  const points = (guess === r.label ? 1 : 0) + (off <= ROW_WITHIN ? 1 : off <= ROW_NEAR ? 0.5 : 0);
  return say(r.decision_row === null ? "quiz.score_never" : "quiz.score",
             {guess, guess_row: guessRow, digit: r.label, row: r.decision_row, points});
}

function reveal() {
  const r = state.data && state.data.main;
  if (!r || !state.quiz) return;
  const guess = Number($(".quiz-digit").value), guessRow = Math.min(ROWS, Math.max(1, Math.round(Number($(".quiz-row").value)) || 1));
  $(".quiz-row").value = guessRow;
  const score = quizScore(r, guess, guessRow);
  play(() => {  // the rows first, then the answer
    setQuiz("revealed");
    $(".quiz-score").textContent = score;
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
  if (asking) $(".quiz-score").textContent = "";
}

$(".quiz-toggle").addEventListener("click", () => setQuiz(state.quiz ? null : "asking"));
$(".quiz-reveal").addEventListener("click", reveal);
window.addEventListener("drawing", (event) => { if (state.quiz === "revealed" && !event.detail) setQuiz("asking"); });
