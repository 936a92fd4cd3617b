// What every browser test file shares: headless Debian Chromium (playwright-core) with the
// flags this machine needs, pages of the running stack (scripts/test-stack; BASE_URL and
// DATABASE_* from its env file), sending a message and waiting for its turn to end, and SQL.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.BASE_URL;
export const SHOTS = process.env.SCREENSHOT_DIR || '';
// The same stack under a name that is not loopback: a plain-http, non-secure context,
// where navigator.clipboard does not exist (what a user of a http:// deployment gets).
export const PLAIN_HOST = 'resume-chat.test';
export const DESKTOP = { width: 1280, height: 900 };

let browser;

export async function startBrowser() {
  if (!BASE_URL) throw new Error('BASE_URL is not set: start scripts/test-stack first');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=MAP ${PLAIN_HOST} 127.0.0.1`],
  });
  return browser;
}

export async function stopBrowser() { await browser?.close(); }

// SQL as the tables' owner (the worker itself runs as the least-privilege role).
export function sql(query) {
  return execFileSync('psql', ['-X', '-A', '-t', '-q', '-h', process.env.DATABASE_HOST,
    '-p', process.env.DATABASE_PORT, '-U', process.env.DB_ADMIN_USER, '-d',
    process.env.DATABASE_NAME, '-c', query],
  { env: { ...process.env, PGPASSWORD: process.env.DB_ADMIN_PASSWORD } }).toString().trim();
}

// A new context and page at BASE_URL + path (or options.base + path); the other options
// go to the context. `errors` gets uncaught page errors, `consoleErrors` console.error lines.
export async function openPage(path = '/?q=demo', viewport = DESKTOP, options = {}) {
  const { base = BASE_URL, ...contextOptions } = options;
  const context = await browser.newContext({ viewport, ...contextOptions });
  const page = await context.newPage();
  const errors = [];
  const consoleErrors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(base + path);
  return { page, context, errors, consoleErrors };
}

export const turnsOf = (page) =>
  page.evaluate(() => Number(document.getElementById('chat').dataset.turns || 0));

// Types and sends a message; returns the turn count before it, for waitTurn.
export async function send(page, text) {
  const before = await turnsOf(page);
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
  return before;
}

export async function waitTurn(page, before) {
  await page.waitForFunction((n) => Number(document.getElementById('chat').dataset.turns || 0) > n,
    before, { timeout: 60000 });
}

export const sessionOf = (page) => page.locator('#app').getAttribute('data-session')
  .then((token) => token.split('.')[1]);
