// The web UI's Timeline view in a real browser (Debian's headless Chromium,
// driven by playwright-core), against servers started by
// tests/integration/cprof_web_timeline.sh:
//   FILE_URL     cprof -http on the leaky subscriber's gzipped trace file
//   URL_URL      cprof -http on the trace URL (HOST:PORT/debug/pprof/trace?seconds=1)
//   PROFILE_URL  cprof -http on a heap profile (no Timeline: the page says why)
//   BIG_URL      cprof -http on an 800,000-slice trace (bounded, the page says so)
//   TIDS         the program threads of the file's trace, comma-separated
//   ARTIFACTS    where screenshots go
// Prints one "ok ..." line per check; any failure throws (exit status 1).
import assert from "node:assert/strict";
import { env, launch } from "./browser.mjs";

const FILE = env("FILE_URL"), URL_SRC = env("URL_URL"), PROFILE = env("PROFILE_URL");
const BIG = env("BIG_URL"), ARTIFACTS = env("ARTIFACTS");
const TIDS = env("TIDS").split(",").map(Number).sort((a, b) => a - b);
const { browser, page, jsErrors, ok, shot } = await launch(ARTIFACTS, /status of 404 \(Not Found\)/);
const view = () => page.evaluate(() => window.cprofTimeline.view());

async function openTimeline(url) {
  const resp = await page.goto(url + "/ui/timeline");
  assert.equal(resp.status(), 200, `${url}/ui/timeline: status`);
  await page.waitForSelector("#timeline[data-ready='1']");
}

// Magenta (the search highlight) pixels on the canvas.
const highlighted = () => page.evaluate(() => {
  const c = document.getElementById("timeline");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] === 230 && d[i + 1] === 0 && d[i + 2] === 230) n++;
  return n;
});

try {
  // ---- a track for every thread ------------------------------------------------
  await openTimeline(FILE);
  const threads = await page.evaluate(() => window.cprofTimeline.threads());
  assert.deepEqual(threads.map((t) => t.tid).sort((a, b) => a - b), TIDS, "one track per thread");
  for (const t of threads) assert.match(t.label, new RegExp(`\\(${t.tid}\\)`), "labelled with the tid");
  const rows = await page.$$eval("#timeline-threads tbody tr", (trs) => trs.length);
  assert.equal(rows, TIDS.length, "the thread list");
  const subscribers = threads.filter((t) => t.label.startsWith("subscriber"));
  assert.ok(subscribers.length >= 12, `${subscribers.length} subscriber tracks`);
  assert.match(await page.textContent("#timeline-info"), /threads/);
  ok(`${threads.length} thread tracks, ${subscribers.length} subscribers, thread list of ${rows}`);
  await shot("timeline.png");

  // ---- the subscribers' frames, hover ------------------------------------------------
  await page.evaluate(() => window.cprofTimeline.scrollTo("^subscriber"));
  const at = await page.evaluate(() => window.cprofTimeline.locate("^subscribe$", "^subscriber"));
  assert.ok(at, "a subscriber's subscribe slice is drawn");
  await page.mouse.move(at.x, at.y);
  await page.waitForSelector("#timeline-tip:not([hidden])");
  const tipText = await page.textContent("#timeline-tip");
  assert.match(tipText, /^subscribe\n/, "the tooltip names the slice");
  assert.match(tipText, /duration [0-9.]+ (µs|ms|s)/, "the tooltip has the duration");
  assert.match(tipText, /thread subscriber/, "the tooltip names the thread");
  ok(`hover on a subscribe span: ${JSON.stringify(tipText.split("\n").slice(0, 3))}`);
  await shot("timeline-hover.png");
  // A thread's header: its creation instant carries the creator's stack.
  const created = await page.evaluate(() => {
    const t = window.cprofTimeline.threads().find((x) => x.label.startsWith("subscriber"));
    return t.label;
  });
  ok(`first subscriber: ${created}`);

  // ---- zoom and pan ------------------------------------------------------------------------
  const full = await view();
  await page.click("#timeline-zoom-in");
  let v = await view();
  assert.ok(Math.abs((v[1] - v[0]) - (full[1] - full[0]) / 2) < 1, `zoom in halves the range: ${v}`);
  const box = await page.$eval("#timeline", (c) => { const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; });
  await page.mouse.move(box[0] + box[2] * 0.6, box[1] + 100);
  await page.keyboard.down("Control");
  await page.mouse.wheel(0, -400);
  await page.keyboard.up("Control");
  await page.waitForFunction((w) => { const x = window.cprofTimeline.view(); return x[1] - x[0] < w - 1; }, v[1] - v[0]);
  const zoomed = await view();
  ok(`zoom: ${full.map((x) => x.toFixed(0))} -> buttons ${v.map((x) => x.toFixed(0))} -> ctrl+wheel ${zoomed.map((x) => x.toFixed(0))}`);
  // drag right: earlier times come into view
  await page.mouse.move(box[0] + box[2] * 0.6, box[1] + 100);
  await page.mouse.down();
  await page.mouse.move(box[0] + box[2] * 0.7, box[1] + 100, { steps: 5 });
  await page.mouse.up();
  const panned = await view();
  assert.ok(panned[0] < zoomed[0] || zoomed[0] === 0, `drag pans: ${zoomed} -> ${panned}`);
  assert.ok(Math.abs((panned[1] - panned[0]) - (zoomed[1] - zoomed[0])) < 1, "a pan keeps the span");
  const rangeText = await page.textContent("#timeline-range");
  await shot("timeline-zoom.png");
  ok(`pan: ${panned.map((x) => x.toFixed(0))} (${rangeText})`);
  await page.click("#timeline-reset");
  assert.deepEqual(await view(), full, "reset shows the whole trace");

  // ---- search highlights ----------------------------------------------------------------------
  assert.equal(await highlighted(), 0, "nothing highlighted before a search");
  await page.fill("#timeline-search", "^subscribe$");
  await page.waitForFunction(() => Number(document.getElementById("timeline").dataset.matches) > 0);
  const n = await page.evaluate(() => window.cprofTimeline.matches());
  const bornIn = subscribers.filter((t) => t.born !== null).length; // each opens one span
  assert.ok(n >= bornIn - 2, `${n} matches for ${bornIn} subscribers created in the window`);
  assert.match(await page.textContent("#timeline-matched"), new RegExp(`^${n} matching`));
  const px = await highlighted();
  assert.ok(px > 20, `the matches are drawn highlighted (${px} pixels)`);
  await shot("timeline-search.png");
  await page.fill("#timeline-search", "");
  await page.waitForFunction(() => document.getElementById("timeline").dataset.matches === "0");
  ok(`search: ${n} slices match, ${px} highlighted pixels; cleared`);

  // ---- the trace URL as the source ---------------------------------------------------------------
  await openTimeline(URL_SRC);
  const urlThreads = await page.evaluate(() => window.cprofTimeline.threads());
  assert.ok(urlThreads.some((t) => t.label.startsWith("subscriber")), "the URL's trace has subscribers");
  await shot("timeline-url.png");
  ok(`trace URL: ${urlThreads.length} threads`);

  // ---- a large trace: bounded, and said ----------------------------------------------------------
  await openTimeline(BIG);
  const limits = await page.textContent("#timeline-limits");
  assert.match(limits, /^Showing \d+ of 800000 slices \(only the outermost 1 level of frames\)/);
  await page.click("#timeline-zoom-in");
  await shot("timeline-big.png");
  ok(`large trace: ${limits}`);

  // ---- a profile: no Timeline, and why ------------------------------------------------------------
  const resp = await page.goto(PROFILE + "/ui/timeline");
  assert.equal(resp.status(), 404);
  assert.match(await page.textContent("#error"), /The Timeline view shows a trace/);
  assert.equal(await page.locator("#nav-timeline").count(), 0, "no Timeline in a profile's menu");
  await page.click("#nav-flamegraph");
  await page.waitForSelector("#flame svg");
  ok("a profile: /ui/timeline explains, the flame graph works");

  assert.deepEqual(jsErrors, [], "JavaScript errors: " + jsErrors.join("; "));
} finally {
  await browser.close();
}
