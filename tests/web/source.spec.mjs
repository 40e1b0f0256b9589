// The web UI's Source (weblist) and Disassemble views in Debian's headless
// Chromium (playwright-core), against servers started by
// tests/integration/cprof_web_source.sh:
//   SRC_URL    cprof -http ./prog cpu.prof (a C program and its CPU profile)
//   EVIL_URL   cprof -http on collapsed stacks whose function names are HTML
//   ARTIFACTS  where screenshots go
// Prints one "ok ..." line per check; any failure throws (exit status 1).
import assert from "node:assert/strict";
import { env, launch } from "./browser.mjs";

const SRC = env("SRC_URL"), EVIL = env("EVIL_URL");
// The one console error expected: the 404 of a disasm without a binary.
const { browser, page, jsErrors, ok, shot } = await launch(env("ARTIFACTS"), /status of 404 \(Not Found\)/);
// A script run by a name in the page would likely open a dialog: a failure.
page.on("dialog", (d) => { jsErrors.push("dialog: " + d.message()); d.dismiss(); });
const navigate = (click) => Promise.all([page.waitForNavigation(), click()]);

// ---- Source from the view menu: lines with weights ---------------------------
let resp = await page.goto(SRC + "/ui/?f=spin_loop");
assert.equal(resp.status(), 200);
await navigate(() => page.click("#nav-source"));
assert.match(page.url(), /\/ui\/source\?f=spin_loop$/);
assert.equal(await page.textContent("#source h2"), "spin_loop");
const weighted = await page.$$eval("#source .livesrc, #source .deadsrc", (s) =>
  s.map((x) => x.textContent).filter((t) => /^\s+(\S+)\s+(\S+)/.test(t) && !/^\s+\.\s+\.\s/.test(t)));
assert.ok(weighted.length >= 2, `lines with weights: ${weighted}`);
assert.ok(weighted.some((t) => /\d+ms/.test(t) && /x = mix\(x, i\);/.test(t)),
  `the loop's line has its weight: ${weighted}`);
ok(`source view: ${weighted.length} lines with weights`);

// ---- a line expands to its instructions ----------------------------------------
const line = page.locator("#source .livesrc", { hasText: "x = mix(x, i);" }).first();
const asm = page.locator("#source .livesrc:has-text('x = mix(x, i);') + .asm").first();
assert.equal(await asm.isVisible(), false, "instructions hidden at first");
await line.click();
assert.equal(await asm.isVisible(), true, "a click shows the instructions");
const insts = await asm.textContent();
assert.match(insts, /\s[0-9a-f]+:\s+(add|div|cvt|mov|pxor|lea|j|comisd|call)\w*\s/);
assert.match(insts, /return x \+ i \* 0\.5 \/ \(i \+ 1\);/, "the inlined call to mix() is shown");
await shot("weblist.png");
await line.click();
assert.equal(await asm.isVisible(), false, "a second click hides them");
ok("source view: a line expands to its instructions, with the inlined call");

// Source text is escaped: the comment with <script> reads as text.
resp = await page.goto(SRC + "/ui/source?f=spin_other");
assert.equal(resp.status(), 200);
assert.match(await page.textContent("#source"), /<script>alert\("x"\)<\/script> &/);
assert.equal(await page.$$eval("#source script", (s) => s.length), 0);
ok("source view: source text escaped");

// The page's filters apply: ignoring spin_other leaves only spin_loop.
resp = await page.goto(SRC + "/ui/source?f=spin&i=spin_other");
assert.equal(resp.status(), 200);
assert.deepEqual(await page.$$eval("#source h2", (h) => h.map((x) => x.textContent)), ["spin_loop"]);
resp = await page.goto(SRC + "/ui/source?f=spin");
assert.deepEqual((await page.$$eval("#source h2", (h) => h.map((x) => x.textContent))).sort(),
  ["spin_loop", "spin_other"]);
ok("source view: honours ignore (i=)");

// ---- Disassemble from the refine menu of a Top row ---------------------------------
await page.goto(SRC + "/ui/");
await page.click("#top tbody tr[data-name='spin_other'] td:first-child");
await navigate(() => page.click("#refine-disasm"));
assert.match(page.url(), /\/ui\/disasm\?f=%5Espin_other%24$/);
const dis = await page.textContent("#disasm");
assert.match(dis, /ROUTINE =+ spin_other\n/);
assert.match(dis, /\(flat, cum\)/);
const hotInsts = await page.$$eval("#disasm .hot", (s) => s.map((x) => x.textContent));
assert.ok(hotInsts.length > 0 && hotInsts.every((t) => /^\s+\S+\s+\S+\s+[0-9a-f]+: /.test(t)),
  `sampled instructions marked: ${hotInsts}`);
await shot("disasm.png");
ok(`disassemble view: spin_other, ${hotInsts.length} sampled instructions`);
// and from there, the view menu keeps the function: Source of spin_other
await navigate(() => page.click("#nav-source"));
assert.match(page.url(), /\/ui\/source\?f=%5Espin_other%24$/);
assert.equal(await page.textContent("#source h2"), "spin_other");
// the refine menu's Source entry too
await page.goto(SRC + "/ui/");
await page.click("#top tbody tr[data-name='spin_other'] td:first-child");
await navigate(() => page.click("#refine-list"));
assert.equal(await page.textContent("#source h2"), "spin_other");
ok("source and disassemble reached from the view menu and the refine menu");

// ---- hostile names ------------------------------------------------------------------
resp = await page.goto(EVIL + "/ui/source?f=img");
assert.equal(resp.status(), 200);
assert.equal(await page.textContent("#source h2"), '<img src=x onerror="window.__xss=1">');
assert.equal(await page.$$eval("#source img, #source b", (s) => s.length), 0);
resp = await page.goto(EVIL + "/ui/disasm?f=img");
assert.equal(resp.status(), 404);
await page.goto(EVIL + "/ui/");
assert.equal(await page.evaluate(() => window.__xss), undefined);
assert.equal(await page.$$eval("main img, main b", (s) => s.length), 0);
await shot("weblist-names.png");
ok("function names are escaped in source and disassemble views");

assert.deepEqual(jsErrors, []);
await browser.close();
console.log("source views ok");
