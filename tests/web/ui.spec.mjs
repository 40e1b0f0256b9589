// The cprof web UI in a real browser (Debian's headless Chromium, driven by
// playwright-core), against servers started by tests/integration/cprof_web.sh:
//   MAIN_URL     cprof -http on a Go heap profile (four sample types)
//   DIFF_URL     cprof -http -diff_base on two Go CPU profiles
//   REFRESH_URL  cprof -http on a URL whose profile the script replaces:
//                SERVED_FILE is what the URL serves, NEXT_PROFILE its next content
//   ARTIFACTS    where screenshots go
// Prints one "ok ..." line per check; any failure throws (exit status 1).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const MAIN = env("MAIN_URL"), DIFF = env("DIFF_URL"), REFRESH = env("REFRESH_URL");
const ARTIFACTS = env("ARTIFACTS");
fs.mkdirSync(ARTIFACTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new", "--disable-gpu"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const jsErrors = [];
page.on("pageerror", (e) => jsErrors.push(e.message));
// Console errors too, but for the one 400 the test asks for (a bad regexp).
page.on("console", (m) => {
  if (m.type() === "error" && !/status of 400 \(Bad Request\)/.test(m.text()))
    jsErrors.push(m.text());
});
page.setDefaultTimeout(30000);

const ok = (what) => console.log("ok " + what);
const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

async function open(url, status = 200) {
  const resp = await page.goto(url);
  assert.equal(resp.status(), status, `${url}: status`);
  return resp;
}

// The top table's rows, in the order shown.
const rows = () => page.$$eval("#top tbody tr", (trs) => trs.map((tr) => ({
  name: tr.dataset.name, flat: Number(tr.dataset.flat), cum: Number(tr.dataset.cum),
  cells: Array.from(tr.cells, (c) => c.textContent),
})));

// Submit a form and wait for the page it leads to; returns that response.
async function submit(click) {
  const [resp] = await Promise.all([page.waitForNavigation(), click()]);
  return resp;
}

// ---- top: load, sort ------------------------------------------------------
await open(MAIN + "/ui/");
let before = await rows();
assert.ok(before.length >= 3, "top has rows");
for (let i = 1; i < before.length; i++)
  assert.ok(Math.abs(before[i - 1].flat) >= Math.abs(before[i].flat), "served in flat order");
assert.match(await page.textContent("#legend"), /Type: alloc_space/);
ok(`top view: ${before.length} rows, heaviest ${before[0].name}`);
await shot("top.png");

await page.click("th:has-text('cum%')");
let sorted = await rows();
for (let i = 1; i < sorted.length; i++)
  assert.ok(sorted[i - 1].cum >= sorted[i].cum, "cum descending");
assert.equal(sorted[0].cells[2], sorted[0].cells[1], "sum% restarts with the first row shown");
await page.click("th:has-text('cum%')");
sorted = await rows();
for (let i = 1; i < sorted.length; i++)
  assert.ok(sorted[i - 1].cum <= sorted[i].cum, "cum ascending after a second click");
await page.click("th:has-text('name')");
sorted = await rows();
for (let i = 1; i < sorted.length; i++)
  assert.ok(sorted[i - 1].name <= sorted[i].name, "names ascending");
assert.equal(sorted.length, before.length);
ok("top sorts by cum (both ways) and by name");

// ---- sample type switch -----------------------------------------------------
const totalBefore = await page.getAttribute("#top", "data-total");
await submit(() => page.selectOption("#si", "alloc_objects"));
assert.match(page.url(), /si=alloc_objects/);
assert.match(await page.textContent("#legend"), /Type: alloc_objects/);
const totalAfter = await page.getAttribute("#top", "data-total");
assert.notEqual(totalAfter, totalBefore, "total changes with the sample type");
const after = await rows();
assert.notDeepEqual(after.map((r) => r.cells[0]), before.map((r) => r.cells[0]));
assert.equal(await page.$eval("#si", (s) => s.value), "alloc_objects");
ok(`sample type switch: total ${totalBefore} bytes -> ${totalAfter} objects`);

// ---- a bad regexp in the form: 400 and the reason on the page -------------
await page.fill("#q-f", "(unclosed");
const bad = await submit(() => page.click("#apply"));
assert.equal(bad.status(), 400);
assert.match(await page.textContent("#error"), /parsing focus regexp \(unclosed: /);
assert.equal(await page.inputValue("#q-f"), "(unclosed", "the bad value stays editable");
ok("bad regexp: 400, reason shown");
await shot("bad-regexp.png");

// ---- flame graph: zoom, reset, search ---------------------------------------
await open(MAIN + "/ui/?si=alloc_space");
const fieldsFuncCum = (await rows()).find((r) => r.name === "strings.FieldsFunc").cells[4].trim();
await Promise.all([page.waitForNavigation(), page.click("#nav-flamegraph")]);
assert.match(page.url(), /\/ui\/flamegraph\?si=alloc_space/);
const frames = await page.$$eval("#flame g[data-value] > rect", (rs) => rs.length);
assert.ok(frames > 5, "flame graph has frames");
// A frame well inside the graph: not the root, narrower than the width.
const pick = await page.$$eval("#flame g[data-value]", (gs) => {
  const i = gs.findIndex((g, k) => {
    const w = Number(g.querySelector(":scope > rect").getAttribute("width"));
    return k > 0 && w > 60 && w < 900 && g.querySelector(":scope > g[data-value]");
  });
  return i;
});
assert.ok(pick > 0, "a frame to zoom into");
const target = page.locator("#flame g[data-value]").nth(pick);
const rect = target.locator(":scope > rect");
const widthBefore = Number(await rect.getAttribute("width"));
await rect.click();
const widthZoomed = Number(await rect.getAttribute("width"));
assert.equal(widthZoomed, 1180, `zoomed frame spans the width (was ${widthBefore})`);
assert.equal(Number(await rect.getAttribute("x")), 10);
assert.ok(await target.evaluate((g) => g.classList.contains("zoomed")));
const hidden = await page.$$eval("#flame g[data-value]", (gs) =>
  gs.filter((g) => g.style.display === "none").length);
assert.ok(hidden > 0, "frames outside the zoomed one are hidden");
const label = await target.locator(":scope > text").textContent();
assert.ok(label.length > 3, "the zoomed frame is labelled");
ok(`flame graph: click zooms (${widthBefore.toFixed(1)} -> 1180 px, ${hidden} frames hidden)`);
await shot("flame-zoom.png");
await page.click("#flame-reset");
assert.equal(Number(await rect.getAttribute("width")), widthBefore, "reset restores the frame");
ok("flame graph: reset");

await page.fill("#flame-search", "^strings\\.FieldsFunc$");
const matches = await page.$$eval("#flame g.match", (gs) => gs.length);
assert.ok(matches > 0, "search highlights frames");
const fill = await page.$eval("#flame g.match > rect", (r) => getComputedStyle(r).fill);
assert.equal(fill, "rgb(230, 0, 230)", "highlight colour");
const matchedText = await page.textContent("#flame-matched");
const m = /^Matched: ([0-9.]+)%$/.exec(matchedText);
assert.ok(m, `matched text: ${matchedText}`);
// The flame graph's share of a function equals its cum% in top (same
// samples, nothing filtered); frames under 0.1 px are not drawn.
assert.ok(Math.abs(Number(m[1]) - parseFloat(fieldsFuncCum)) < 0.05,
  `matched ${m[1]}% vs top cum ${fieldsFuncCum}`);
ok(`flame graph: search highlights ${matches} frames, ${matchedText} (top cum ${fieldsFuncCum})`);
await shot("flame-search.png");
await page.hover("#flame g.match > rect");
assert.match(await page.textContent("#flame-detail"), /^strings\.FieldsFunc \(/);
ok("flame graph: hover shows the frame's details");

// ---- call graph -------------------------------------------------------------
await Promise.all([page.waitForNavigation(), page.click("#nav-graph")]);
const nodes = await page.$$eval("#graph svg g.node", (ns) => ns.length);
assert.ok(nodes > 3, "graphviz nodes");
assert.match(await page.textContent("#graph svg"), /FieldsFunc/);
assert.ok(await page.$("#graph svg g.edge"), "graphviz edges");
ok(`call graph: ${nodes} nodes`);
await shot("graph.png");
const graphWidth = () => page.$eval("#graph svg", (s) => s.getBoundingClientRect().width);
const natural = await graphWidth();
await page.click("#graph-fit");
const fitted = await graphWidth();
const box = await page.$eval("#graph", (d) => d.clientWidth);
assert.ok(Math.abs(fitted - box) < 2, `fitted graph: ${fitted} px in a ${box} px box`);
await page.click("#graph-fit");
assert.equal(await graphWidth(), natural, "natural size again");
ok(`call graph: fit to width (${natural.toFixed(0)} -> ${fitted.toFixed(0)} px)`);

// ---- source view, from a function in top ------------------------------------
await Promise.all([page.waitForNavigation(), page.click("#nav-top")]);
await Promise.all([page.waitForNavigation(),
  page.click("#top a:text-is('strings.Fields')")]);
assert.match(page.url(), /\/ui\/source\?f=%5Estrings%5C\.Fields%24/);
const src = await page.textContent("#source");
assert.match(src, /ROUTINE =+ strings\.Fields in \S+strings\.go/);
const hot = await page.$$eval("#source .hot", (s) => s.length);
assert.ok(hot > 0, "sampled lines are marked");
ok(`source view: strings.Fields, ${hot} sampled lines`);
await shot("source.png");

// ---- diff flame graph: red and green ------------------------------------------
await open(DIFF + "/ui/flamegraph");
const colours = await page.$$eval("#flame g[data-value] > rect", (rs) =>
  rs.map((r) => r.getAttribute("fill")));
const red = colours.filter((c) => /^rgb\(255,(\d+),\1\)$/.test(c) && c !== "rgb(255,230,230)");
const green = colours.filter((c) => /^rgb\((\d+),255,\1\)$/.test(c) && c !== "rgb(230,255,230)");
assert.ok(red.length > 0 && green.length > 0, `diff colours: ${red.length} red, ${green.length} green`);
assert.match(await page.textContent("#flame svg"), /red: grew, green: shrank/);
ok(`diff flame graph: ${red.length} red, ${green.length} green frames`);
await shot("flame-diff.png");

// ---- refresh re-fetches the URL source -----------------------------------------
await open(REFRESH + "/ui/flamegraph?si=alloc_space");
const rootBefore = await page.getAttribute("#flame g[data-value]", "data-value");
fs.copyFileSync(env("NEXT_PROFILE"), env("SERVED_FILE"));
await Promise.all([page.waitForNavigation(), page.click("#refresh")]);
assert.match(page.url(), /\/ui\/flamegraph\?si=alloc_space$/, "back on the same view");
const rootAfter = await page.getAttribute("#flame g[data-value]", "data-value");
assert.notEqual(rootAfter, rootBefore, "refresh shows the new profile");
assert.equal(await page.$("#notice"), null, "no failure notice");
ok(`refresh: root ${rootBefore} -> ${rootAfter}`);
await shot("refreshed.png");

assert.deepEqual(jsErrors, [], "no JavaScript errors");
ok("no JavaScript errors");
await browser.close();
