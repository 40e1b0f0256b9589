// A cprof trace opened by a real consumer: speedscope (the npm package's
// built app, pinned by package-lock.json) in Debian's headless Chromium,
// driven by playwright-core (tests/integration/trace_speedscope.sh).
//   PROFILE    the file to open (the trace JSON, or cprof trace -speedscope's)
//   THREADS    how many thread profiles speedscope must list (the CPU tracks)
//   FRAME      a frame that must be among a profile's frames (its Sandwich table)
//   NAME       ... of a profile whose page names NAME (a thread's name)
//   ARTIFACTS  where screenshots go
// Speedscope is served over HTTP from this process (it fetches the profile
// from #profileURL=). Prints "ok ..." lines; any failure throws.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const PROFILE = env("PROFILE"), THREADS = Number(env("THREADS")), FRAME = env("FRAME");
const ARTIFACTS = env("ARTIFACTS"), LABEL = process.env.LABEL || "trace", NAME = env("NAME");
fs.mkdirSync(ARTIFACTS, { recursive: true });
const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.join(here, "node_modules", "speedscope", "dist", "release");

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                ".json": "application/json", ".wasm": "application/wasm", ".png": "image/png",
                ".woff2": "font/woff2", ".ico": "image/x-icon", ".txt": "text/plain" };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const file = url.pathname === "/profile.json" ? PROFILE
             : path.join(app, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ""));
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream" });
    res.end(data);
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new", "--use-gl=angle", "--use-angle=swiftshader",
         "--enable-unsafe-swiftshader"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const jsErrors = [];
  page.on("pageerror", (e) => jsErrors.push(e.message));
  page.setDefaultTimeout(30000);
  // No title in the hash: the toolbar then shows the profile's own name.
  await page.goto(`${base}/index.html#profileURL=${encodeURIComponent(base + "/profile.json")}`);
  // The toolbar names the profile shown and "(1/N)": one profile per thread.
  const counter = page.locator("text=/\\(1\\/\\d+\\)/").first();
  await counter.waitFor();
  const text = await counter.innerText();
  const n = Number(/\(1\/(\d+)\)/.exec(text)[1]);
  assert.equal(n, THREADS, `speedscope lists ${n} profiles (${text}), want ${THREADS}`);
  console.log(`ok ${LABEL}: ${n} thread profiles (${text.trim()})`);
  await page.screenshot({ path: path.join(ARTIFACTS, `${LABEL}-timeline.png`) });
  // Every thread's profile, until one has FRAME in its Sandwich table.
  await page.getByText("Sandwich").first().click();
  let found = -1;
  for (let i = 0; i < n && found < 0; i++) {
    const cell = page.locator(`text="${FRAME}"`).first();
    const shown = await page.evaluate(() => document.body.innerText);
    if ((await cell.count()) && shown.includes(NAME)) found = i;
    else await page.keyboard.press("n"); // speedscope: next profile
  }
  assert.ok(found >= 0, `no profile of ${NAME} has ${FRAME} in its Sandwich view`);
  await page.screenshot({ path: path.join(ARTIFACTS, `${LABEL}-sandwich.png`) });
  console.log(`ok ${LABEL}: ${FRAME} in profile ${found + 1}'s Sandwich view (${NAME})`);
  assert.deepEqual(jsErrors, [], "JavaScript errors: " + jsErrors.join("; "));
} finally {
  await browser.close();
  server.close();
}
