// What the web UI's browser tests share: their settings from the
// environment, and Debian's headless Chromium (playwright-core, never a
// downloaded browser) with one 1400x900 page that records JavaScript
// errors and console errors (but those the test provokes on purpose).
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

// The environment variable name, or an error when it is not set.
export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

// { browser, page, jsErrors, ok, shot }: ok(what) prints "ok what";
// shot(name) saves a full-page screenshot in artifacts. Console errors
// matching expected (a RegExp) are not recorded.
export async function launch(artifacts, expected) {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new", "--disable-gpu"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const jsErrors = [];
  page.on("pageerror", (e) => jsErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !(expected && expected.test(m.text()))) jsErrors.push(m.text());
  });
  page.setDefaultTimeout(30000);
  const ok = (what) => console.log("ok " + what);
  const shot = (name) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });
  return { browser, page, jsErrors, ok, shot };
}
