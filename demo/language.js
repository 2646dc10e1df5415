// The page's language, the same in every component (this file runs first in each one's script).
// It is the link's ?lang= when the page has that language, else the browser's first language
// the page has (any Chinese reads the Simplified Chinese page), else English. The switch
// (demo/components.py's PageHeader) changes it at once: it puts ?lang= in the address bar and
// sends the window event "language" (detail: the code), which every component follows.
// Data: props.strings = {code: {key: phrase}}: the phrases this component shows, in each language
// (demo/strings/CODE.json, the same keys in each); a phrase's {name} places are filled by say().
const strings = props.strings;

function pageLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked && Object.hasOwn(strings, asked)) return asked;
  for (const code of navigator.languages || [navigator.language]) {
    const known = Object.keys(strings).find((have) => have.split("-")[0] === String(code).split("-")[0].toLowerCase());
    if (known) return known;
  }
  return Object.keys(strings)[0];
}
let language = pageLanguage();

// The phrase `key` in the page's language, its {places} filled with `values` (Python's str.format).
function say(key, values = {}) {
  return strings[language][key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

// Elements name their phrase: data-say (the text), data-say-html (the phrase is HTML: the
// project's own tables, never a visitor's text), data-say-label (aria-label).
function translate() {
  element.querySelectorAll("[data-say]").forEach((node) => { node.textContent = say(node.dataset.say); });
  element.querySelectorAll("[data-say-html]").forEach((node) => { node.innerHTML = say(node.dataset.sayHtml); });
  element.querySelectorAll("[data-say-label]").forEach((node) => node.setAttribute("aria-label", say(node.dataset.sayLabel)));
}

// Calls `redraw` after the page's language changes (translate() is done first).
function followLanguage(redraw = () => {}) {
  window.addEventListener("language", (event) => {
    language = event.detail;
    translate();
    redraw();
  });
  translate();
}
