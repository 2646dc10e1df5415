// demo/views_link.js's link format on its own (no page): `node --test tests/js/`.
// tests/test_link.py opens such links in a real page.
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const {readLink, writeLink, MAX_LINK, MAX_DRAW} = require(path.join(__dirname, "../../demo/views_link.js"));

const PAGE = {models: ["default", "gru128", "lstm64.default-recipe"], tabs: ["hidden", "belief", "gates", "compare"], model: "default"};

// A 28x28 "7": a bar on row 5 and a slanted stroke, values with many levels.
function seven() {
  const image = new Float32Array(784);
  for (let x = 6; x < 22; x++) image[5 * 28 + x] = 0.5 + x / 50;
  for (let y = 6; y < 24; y++) image[y * 28 + 21 - Math.floor(y / 2)] = 0.999;
  return image;
}

const deflated = async (bytes) => {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return Buffer.from(await new Response(stream).arrayBuffer()).toString("base64url");
};

test("writeLink then readLink gives the view back, the drawing to within one byte's rounding", async () => {
  const view = {image: seven(), model: "gru128", compare: "lstm64.default-recipe", row: 20,
                unit: {layer: 0, direction: 1, unit: 36, model: "lstm64.default-recipe"}, tab: "gates", whatIf: null, stopAt: null};
  const fragment = await writeLink(view);
  assert.match(fragment, /^v=1&draw=[\w-]+&model=gru128&compare=lstm64\.default-recipe&row=20&unit=1\.1\.37&unit_model=lstm64\.default-recipe&tab=gates$/);
  assert.ok(fragment.length < 400, `${fragment.length} characters`);
  const {view: back, problem} = await readLink(fragment, PAGE);
  assert.equal(problem, undefined);
  assert.deepEqual({...back, image: null}, {...view, image: null});
  assert.equal(back.image.length, 784);
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(back.image[i] - view.image[i]) <= 1 / 510 + 1e-7, `pixel ${i}`);
  assert.equal(await writeLink(back), fragment);  // a restored view writes the same link
});

test("a what-if goes into the link and comes back", async () => {
  const view = {image: seven(), model: "default", compare: "", row: 14, unit: null, tab: "belief",
                whatIf: {erased_rows: [3, 4, 9], from_row: 14, memory: "wipe", silenced: [1, 0, 6]}, stopAt: 20};
  const fragment = await writeLink(view);
  assert.match(fragment, /&erase=3%2C4%2C9&from=14&memory=wipe&silence=2\.0\.7&stop=20$/);
  const {view: back} = await readLink(fragment, PAGE);
  assert.deepEqual({...back, image: null}, {...view, image: null});
  const erased = await readLink("v=1&erase=9,3,3", PAGE);
  assert.deepEqual(erased.view.whatIf, {erased_rows: [3, 9], from_row: null, memory: null, silenced: null});
});

test("a link that leaves things out gets the page's defaults; an empty drawing has no draw", async () => {
  const fragment = await writeLink({image: null, model: "default", compare: "", row: 28, unit: null, tab: "hidden"});
  assert.equal(fragment, "v=1&model=default&row=28&tab=hidden");
  assert.deepEqual((await readLink("v=1", PAGE)).view,
                   {image: null, model: "default", compare: "", row: 28, unit: null, tab: "hidden", whatIf: null, stopAt: null});
  assert.ok((await readLink("v=1&what=ever", PAGE)).view, "unknown parameters are ignored");
});

test("malformed and hostile links name the rule they break and never throw", async () => {
  const good = (await writeLink({image: seven(), model: "default", compare: "", row: 20, unit: null, tab: "hidden"}))
    .match(/draw=([\w-]+)/)[1];
  const cases = {
    "views.link_too_long": ["v=1&draw=" + "A".repeat(MAX_LINK), "v=1&x=" + "<".repeat(100_000)],
    "views.link_version": ["", "v=2&row=3", "draw=" + good, "v=1.0", "<script>alert(1)</script>", "%E0%A4%A"],
    "views.link_drawing": [
      "v=1&draw=", "v=1&draw=@@@@", "v=1&draw=A", "v=1&draw=" + "A".repeat(MAX_DRAW + 1),
      "v=1&draw=" + good.slice(0, -6),  // cut short
      "v=1&draw=" + Buffer.from("not deflate data at all").toString("base64url"),
      "v=1&draw=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ],
    "views.link_model": ["v=1&model=nope", "v=1&model=__proto__", "v=1&model=constructor", "v=1&model=<img src=x onerror=alert(1)>",
                         "v=1&compare=toString", "v=1&model="],
    "views.link_row": ["v=1&row=0", "v=1&row=29", "v=1&row=-1", "v=1&row=20abc", "v=1&row=1e1", "v=1&row=", "v=1&row=" + "9".repeat(400)],
    "views.link_tab": ["v=1&tab=constructor", "v=1&tab=", "v=1&tab=<b>"],
    "views.link_unit": ["v=1&unit=x", "v=1&unit=0.0.1", "v=1&unit=1.2.1", "v=1&unit=1.0.0", "v=1&unit=1.0.1&unit_model=gru128"],
    "views.link_whatif": ["v=1&erase=0", "v=1&erase=3,29", "v=1&erase=a", "v=1&erase=" + "1,".repeat(40) + "1", "v=1&memory=wipe",
                          "v=1&from=3&memory=erase", "v=1&silence=1.0.1", "v=1&from=3&silence=0.0.1", "v=1&from=30", "v=1&stop=0",
                          "v=1&stop=<b>"],
  };
  cases["views.link_drawing"].push(
    "v=1&draw=" + await deflated(new Uint8Array(100).fill(9)),  // too few pixels
    "v=1&draw=" + await deflated(new Uint8Array(10_000_000).fill(9)).then((code) => code.slice(0, MAX_DRAW)),  // a bomb, cut
    "v=1&draw=" + await deflated(new Uint8Array(5000).fill(9)),  // inflates past 784: stopped there
    "v=1&draw=" + await deflated(new Uint8Array(784)),  // nothing drawn
  );
  for (const [expected, fragments] of Object.entries(cases)) {
    for (const fragment of fragments) {
      const answer = await readLink(fragment, PAGE);
      assert.deepEqual(answer, {problem: expected}, fragment.slice(0, 80));
    }
  }
});
