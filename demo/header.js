// The header's language switch (after demo/language.js): one option per language, named in its
// own language. Picking one puts ?lang= in the address bar (the link keeps the language) and
// tells every component (the window event "language"); the document's lang and title follow.
const choice = element.querySelector(".language");
for (const code of Object.keys(strings)) choice.add(new Option(strings[code]["language.name"], code));

function showLanguage() {
  choice.value = language;
  document.documentElement.lang = language;  // screen readers and the browser's CJK font choice
  document.title = say("page.title");
}

choice.addEventListener("change", () => {
  const link = new URL(location.href);
  link.searchParams.set("lang", choice.value);
  history.replaceState(history.state, "", link);
  window.dispatchEvent(new CustomEvent("language", {detail: choice.value}));
});
followLanguage(showLanguage);
showLanguage();
