// Browser tests of the chat experience (issue 7): scrolling while it streams, the message
// box, copy and retry (regenerate in place), errors, screen-reader announcements, keyboard,
// axe-core, print, the 60 KB first-visit budget, hashed static files, dark mode. Each runs
// at 1280x900 and 390x844. No timing asserts: every wait is for a state, with generous
// timeouts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  BASE_URL, PLAIN_HOST, SHOTS, openPage, send, sessionOf, sql, startBrowser, stopBrowser,
  turnsOf, waitTurn,
} from './support.mjs';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const VIEWPORTS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
const tag = (v) => `${v.width}x${v.height}`;
let browser;

before(async () => { browser = await startBrowser(); });

// axe-core's serious and critical findings on the page (axe must be loaded).
const axeViolations = (page) => page.evaluate(async () => {
  const result = await window.axe.run(document, { resultTypes: ['violations'] });
  return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
});
after(stopBrowser);

const waitStreaming = (page) =>
  page.waitForFunction(() => document.body.dataset.state === 'streaming', null, { timeout: 30000 });

const lastReply = (page) => page.locator('.message-assistant').last();
const replyText = (page) => page.evaluate(() => {
  const bodies = document.querySelectorAll('.message-assistant .message-body');
  return bodies.length ? bodies[bodies.length - 1].innerText : '';
});

// Where the reader is: the chat scrolls in its own box, or on phones the page scrolls and
// the end of the chat sits above the sticky message box (the measures app.js uses).
const scrollInfo = (page) => page.evaluate(() => {
  const c = document.getElementById('chat');
  const boxed = getComputedStyle(c).overflowY !== 'visible';
  return {
    boxed,
    top: boxed ? c.scrollTop : document.scrollingElement.scrollTop,
    distance: boxed ? c.scrollHeight - c.scrollTop - c.clientHeight
      : c.getBoundingClientRect().bottom - document.getElementById('composer').getBoundingClientRect().top,
  };
});
const distanceFromBottom = async (page) => (await scrollInfo(page)).distance;

// Polls until the end of the chat is in view (or 30 s pass).
async function waitNearEnd(page) {
  for (let i = 0; i < 300 && (await distanceFromBottom(page)) >= 48; i++) await page.waitForTimeout(100);
}

// The scroll position once it has stopped moving (a wheel scroll is animated).
async function settledScrollTop(page) {
  let last = -1; let same = 0;
  while (same < 3) {
    await page.waitForTimeout(100);
    const { top } = await scrollInfo(page);
    same = top === last ? same + 1 : 0;
    last = top;
  }
  return last;
}

// Waits until the streaming reply has grown past `length` characters (or the turn ended).
const waitGrowth = (page, length) => page.waitForFunction((n) => {
  const bodies = document.querySelectorAll('.message-assistant .message-body');
  return bodies[bodies.length - 1].innerText.length > n || document.body.dataset.state !== 'streaming';
}, length, { timeout: 30000 });

for (const viewport of VIEWPORTS) {
  test(`autoscroll follows only at the bottom; "Jump to latest" resumes it; one render per frame (${tag(viewport)})`, async () => {
    const { page, context, errors } = await openPage('/?q=demo', viewport);
    // Count renders (marked.parse) and animation frames; remember what each render parsed.
    await page.evaluate(() => {
      window.__parses = [];   // marked's preprocess hook sees the source of every parse
      window.marked.use({ hooks: { preprocess: (text) => { window.__parses.push(text); return text; } } });
      window.__frames = 0;
      const tick = () => { window.__frames += 1; requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    let turn = await send(page, 'a long one please [sim:long]');
    await waitTurn(page, turn);
    const first = await page.evaluate(() => ({ parses: window.__parses.length, frames: window.__frames }));
    const longText = await replyText(page);
    assert.ok(longText.length > 15000, `long reply shown (${longText.length} chars)`);
    const words = longText.split(/\s+/).length;
    assert.ok(first.parses > 0 && first.parses <= first.frames + 2, `${first.parses} renders in ${first.frames} frames`);
    assert.ok(first.parses < words / 4, `${first.parses} renders for ~${words / 2} tokens`);
    assert.ok(await distanceFromBottom(page) < 48, 'followed the long reply to its end');
    assert.equal(await page.locator('#jump').isHidden(), true);

    // A second reply: only it is re-rendered, never the transcript before it.
    await page.evaluate(() => { window.__parses = []; });
    turn = await send(page, 'now slowly [sim:slow]');
    await waitStreaming(page);
    await waitGrowth(page, 20);
    assert.ok(await distanceFromBottom(page) < 48, 'follows while at the bottom');
    // The reader scrolls up: following stops and the jump control appears.
    await page.hover('#chat');
    await page.mouse.wheel(0, -700);
    await page.locator('#jump').waitFor({ state: 'visible', timeout: 10000 });
    const top = await settledScrollTop(page);
    await waitGrowth(page, (await replyText(page)).length + 10);
    assert.ok(Math.abs((await scrollInfo(page)).top - top) <= 4,
      'the view stays where the reader put it while text arrives');
    assert.ok(await distanceFromBottom(page) > 48);
    assert.equal((await scrollInfo(page)).boxed, viewport.width > 720,
      'phones scroll the page itself, wider screens the chat box');
    // "Jump to latest" scrolls down and following resumes.
    await page.click('#jump');
    await waitNearEnd(page);
    assert.ok(await distanceFromBottom(page) < 48);
    assert.equal(await page.locator('#jump').isHidden(), true);
    await waitGrowth(page, (await replyText(page)).length + 10);
    assert.ok(await distanceFromBottom(page) < 48, 'follows again after the jump');
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    const parses = await page.evaluate(() => window.__parses);
    assert.ok(parses.length > 0);
    assert.ok(parses.every((text) => !text.includes('This is a long reply')),
      'the previous reply is never parsed again');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`message box: Enter, Shift+Enter, IME, growth, counter, no double send (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const max = Number(await page.locator('#app').getAttribute('data-max-chars'));
    const box = page.locator('#message');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'message', 'the box has focus');
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    assert.equal(await box.inputValue(), 'line one\nline two');
    // Enter while an IME composition is active picks a candidate; it does not send.
    await box.evaluate((el) => el.dispatchEvent(new KeyboardEvent('keydown',
      { key: 'Enter', isComposing: true, bubbles: true, cancelable: true })));
    assert.equal(await page.locator('.message-user').count(), 0);
    // The box grows with its text, up to a limit, then scrolls.
    const h0 = (await box.boundingBox()).height;
    await box.fill('a\nb\nc\nd\ne\nf');
    const h1 = (await box.boundingBox()).height;
    assert.ok(h1 > h0, `grew from ${h0} to ${h1}`);
    await box.fill(Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n'));
    const h2 = (await box.boundingBox()).height;
    assert.ok(h2 > h1 && h2 <= 250, `capped at ${h2}`);
    assert.ok(await box.evaluate((el) => el.scrollHeight > el.clientHeight), 'scrolls past the limit');
    // The counter appears near MAX_MESSAGE_CHARS, and at the limit.
    await box.fill('short');
    assert.equal(await page.locator('#counter').isHidden(), true);
    await box.fill('x'.repeat(Math.ceil(max * 0.9)));
    assert.equal(await page.locator('#counter').isVisible(), true);
    assert.equal(await page.locator('#counter').innerText(), `${Math.ceil(max * 0.9)} / ${max}`);
    await box.fill('x'.repeat(max));
    assert.match(await page.locator('#counter').getAttribute('class'), /over/);
    assert.match(await page.locator('#announce').innerText(), /limit/);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no horizontal scroll (${width})`);
    // A double click on Send sends once (and does not stop what it just sent).
    await box.fill('only once [sim:slow]');
    await page.dblclick('#send');
    await waitStreaming(page);
    await waitGrowth(page, 5);
    assert.equal(await page.locator('.message-user').count(), 1);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'streaming');
    await page.keyboard.press('Escape');
    await waitTurn(page, 0);
    const session = await sessionOf(page);
    assert.equal(sql(`SELECT count(*) FROM chats WHERE session_uuid = '${session}' AND message_type = 'user'`), '1');
    // Enter sends.
    const turn = await send(page, 'enter sends [sim:echo]');
    await waitTurn(page, turn);
    assert.match(await replyText(page), /last: enter sends/);
    await context.close();
  });

  test(`copy works on plain http (fallback) for replies and code blocks (${tag(viewport)})`, async () => {
    const base = BASE_URL.replace('127.0.0.1', PLAIN_HOST);
    const { page, context, errors } = await openPage('/?q=demo', viewport, { base });
    assert.deepEqual(await page.evaluate(() => [window.isSecureContext, 'clipboard' in navigator]), [false, false]);
    // What the fallback's execCommand('copy') puts on the clipboard: the selected text.
    await page.evaluate(() => document.addEventListener('copy', (e) => {
      const t = e.target;
      window.__copied = t.value.slice(t.selectionStart, t.selectionEnd);
    }, true));
    const turn = await send(page, 'markup and code [sim:html]');
    await waitTurn(page, turn);
    const stored = sql(`SELECT contents FROM chats WHERE session_uuid = '${await sessionOf(page)}' AND message_type = 'assistant'`);
    const reply = lastReply(page);
    const copyReply = reply.locator('.message-actions .copy');
    await copyReply.click();
    await page.waitForFunction(() => window.__copied !== undefined);
    assert.equal(await page.evaluate(() => window.__copied), stored, 'the reply Markdown is copied');
    assert.equal(await copyReply.innerText(), 'Copied');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Copy reply',
      'focus stays on the button');
    await page.evaluate(() => { window.__copied = undefined; });
    const copyCode = reply.locator('.code-block .copy');
    assert.equal(await copyCode.count(), 1);
    assert.equal(await copyCode.getAttribute('aria-label'), 'Copy html code');
    await copyCode.click();
    await page.waitForFunction(() => window.__copied !== undefined);
    assert.equal(await page.evaluate(() => window.__copied), '<b>code block</b>\n');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no horizontal scroll (${width})`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`copy uses navigator.clipboard in a secure context (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
    const turn = await send(page, 'copy me [sim:echo]');
    await waitTurn(page, turn);
    await lastReply(page).locator('.message-actions .copy').click();
    await page.waitForFunction(() => document.querySelector('.message-actions .copy').innerText === 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()),
      'echo: 1 messages; last: copy me [sim:echo]');
    await context.close();
  });

  test(`a failed turn is announced, styled as the seed's errors, and Retry answers it again in place (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const text = `please retry me ${Date.now()} [sim:flaky-midstream]`;
    let turn = await send(page, text);
    await waitTurn(page, turn);
    const error = lastReply(page).locator('.message-error');
    assert.equal(await error.getAttribute('role'), 'alert');
    assert.match(await error.innerText(), /overloaded.*try again/i);
    const styles = await page.evaluate(() => {
      const pick = (el) => { const s = getComputedStyle(el); return [s.color, s.backgroundColor]; };
      return { inline: pick(document.querySelector('.message-error')), seed: pick(document.getElementById('error')) };
    });
    assert.deepEqual(styles.inline, styles.seed, 'the seed error row\'s colours');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'message', 'focus back in the box');
    const retry = lastReply(page).locator('.retry');
    assert.equal(await retry.innerText(), 'Retry');
    const partial = await replyText(page);
    turn = await turnsOf(page);
    await retry.click();
    await waitTurn(page, turn);
    // The question is shown once, the failed reply replaced by the new one, which Claude
    // wrote seeing the question once (the simulator's echo counts the messages it got).
    assert.deepEqual(await page.locator('.message-user .message-body').allInnerTexts(), [text]);
    assert.deepEqual(await page.locator('.message-assistant .message-body').allInnerTexts(),
      [`echo: 1 messages; last: ${text}`]);
    assert.equal(await page.locator('.message-error, .retry').count(), 0);
    const session = await sessionOf(page);
    const rows = sql(`SELECT message_type, superseded_at IS NOT NULL, contents FROM chats
      WHERE session_uuid = '${session}' ORDER BY id`).split('\n').map((row) => row.split('|'));
    assert.deepEqual(rows.map((row) => row.slice(0, 2).join(':')),
      ['user:f', 'assistant:t', 'assistant:f'], 'the question stored once; the failed reply kept, marked');
    assert.equal(rows[0][2], text);
    assert.equal(rows[1][2].trim(), partial, 'the failed reply as it was shown');
    assert.equal(rows[2][2], `echo: 1 messages; last: ${text}`);
    await context.close();
  });

  test(`a stopped turn offers Retry, which streams a new reply (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    let turn = await send(page, 'stop then retry [sim:slow]');
    await waitStreaming(page);
    await waitGrowth(page, 10);
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    const stopped = lastReply(page).locator('.message-note');
    assert.equal(await stopped.innerText(), 'Stopped.');
    assert.notEqual(await stopped.getAttribute('role'), 'alert', 'a neutral note, not an alert');
    turn = await turnsOf(page);
    await lastReply(page).locator('.retry').click();
    // The stopped reply stays, dimmed, until the new one's first token replaces it.
    await page.waitForFunction(() => document.body.dataset.state === 'streaming'
      && !document.querySelector('.message-replaced'), null, { timeout: 30000 });
    await waitGrowth(page, 10);
    assert.equal(await page.locator('.message-user').count(), 1, 'the question is shown once');
    assert.equal(await page.locator('.message-assistant').count(), 1, 'the stopped reply gave way');
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    const session = await sessionOf(page);
    let rows = '';
    for (let i = 0; i < 200 && !/assistant.*assistant/.test(rows); i++) {
      await page.waitForTimeout(100);
      rows = sql(`SELECT string_agg(message_type || ':' || (superseded_at IS NOT NULL), ',' ORDER BY id) FROM chats WHERE session_uuid = '${session}'`);
    }
    assert.equal(rows, 'user:false,assistant:true,assistant:false');
    await context.close();
  });

  test(`network and gateway failures say what to do next (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    await page.route('**/chat', (route) => route.abort('connectionreset'));
    let turn = await send(page, 'lost');
    await waitTurn(page, turn);
    // The request never got an answer: the question was not sent, and the page says so.
    assert.match(await lastReply(page).locator('[role=alert]').innerText(), /Not sent.*Retry/);
    await page.unroute('**/chat');
    await page.route('**/chat', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: 'bad gateway' }));
    turn = await send(page, 'gateway');
    await waitTurn(page, turn);
    assert.match(await lastReply(page).locator('[role=alert]').innerText(), /unavailable.*wait.*Retry/);
    assert.equal(await lastReply(page).locator('.retry').isVisible(), true);
    await context.close();
  });

  test(`each reply is announced once, when complete; "Streaming..." is visible but quiet (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    await page.evaluate(() => {
      window.__announced = [];
      new MutationObserver(() => window.__announced.push({
        state: document.body.dataset.state, text: document.getElementById('announce').textContent,
      })).observe(document.getElementById('announce'), { childList: true, characterData: true, subtree: true });
    });
    const turn = await send(page, 'How well does my resume fit this job? [sim:slow]');
    await waitStreaming(page);
    await waitGrowth(page, 40);
    if (SHOTS && viewport.width === 1280) await page.screenshot({ path: `${SHOTS}/streaming.png` });
    const during = await page.evaluate(() => {
      const chat = document.getElementById('chat');
      const status = document.getElementById('status');
      return { live: chat.getAttribute('aria-live'), role: chat.getAttribute('role'),
        busy: chat.getAttribute('aria-busy'), statusLive: status.getAttribute('aria-live'),
        statusRole: status.getAttribute('role'), statusText: status.textContent };
    });
    assert.deepEqual(during, { live: 'off', role: 'log', busy: 'true', statusLive: 'off',
      statusRole: null, statusText: 'Streaming...' });
    assert.equal(await page.locator('#status').isVisible(), true);
    await waitTurn(page, turn);
    assert.equal(await page.locator('#status').isHidden(), true);
    assert.equal(await page.getAttribute('#chat', 'aria-busy'), 'false');
    const announced = await page.evaluate(() => window.__announced);
    const shown = await page.evaluate(() => document.querySelector('.message-assistant .message-body').textContent);
    assert.ok(announced.length >= 1);
    assert.ok(announced.every((a) => a.state !== 'streaming'), 'nothing announced while streaming');
    assert.deepEqual([...new Set(announced.map((a) => a.text))], [`Claude replied: ${shown}`]);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'message', 'focus back in the box');
    await context.close();
  });

  test(`keyboard: Tab reaches every control in order, Esc stops (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    let turn = await send(page, 'keyboard [sim:echo]');
    await waitTurn(page, turn);
    const order = [];
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const el = document.activeElement;
        return el.id || el.getAttribute('aria-label') || el.tagName;
      }));
    }
    const at = (name) => order.indexOf(name, order.indexOf('chat'));   // from the log on
    // Wide screens show the documents behind tabs (the selected tab, then its text); phones
    // show the chat alone, the documents one tap away in the header.
    const expected = viewport.width >= 1200
      ? ['chat', 'Copy reply', 'message', 'send', 'tab-resume', 'resume']
      : ['chat', 'Copy reply', 'message', 'send'];
    if (viewport.width < 720) {
      assert.ok(order.includes('view-resume') && order.includes('view-jd'), order.join(', '));
    }
    for (const name of expected) {
      assert.ok(at(name) >= 0, `${name} is reachable by Tab (${order.join(', ')})`);
    }
    for (let i = 1; i < expected.length; i++) {
      assert.ok(at(expected[i - 1]) < at(expected[i]), order.join(', '));
    }
    assert.ok(order.includes('download'), `Download is reachable (${order.join(', ')})`);
    await page.focus('#message');
    turn = await send(page, 'stop me [sim:slow]');
    await waitStreaming(page);
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    assert.equal(await lastReply(page).locator('.message-note').innerText(), 'Stopped.');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'message');
    await context.close();
  });

  test(`print shows the conversation without controls (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const turn = await send(page, 'print me [sim:html]');
    await waitTurn(page, turn);
    await page.emulateMedia({ media: 'print' });
    for (const hidden of ['#composer', '.documents', '.message-actions', '.code-head']) {
      assert.equal(await page.locator(hidden).first().isHidden(), true, `${hidden} hidden in print`);
    }
    assert.equal(await page.locator('.message-user').isVisible(), true);
    assert.equal(await lastReply(page).isVisible(), true);
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('chat')).overflowY), 'visible');
    await context.close();
  });

  test(`axe-core: no serious or critical violations in ready, error and not-found states, light and dark (${tag(viewport)})`, async () => {
    for (const colorScheme of ['light', 'dark']) {
      for (const path of ['/?q=demo', '/', '/?q=nope']) {
        // The page's CSP (script-src 'self') would refuse the injected axe script.
        const { page, context } = await openPage(path, viewport, { bypassCSP: true, colorScheme });
        if (path === '/?q=demo') {
          // The empty chat's starters first, then a finished reply (code block, Copy), one
          // with quote links and a highlighted passage, and a failed one (Retry).
          await page.addScriptTag({ path: AXE_PATH });
          assert.deepEqual(await axeViolations(page), [], `${colorScheme} empty chat`);
          let turn = await send(page, 'code please [sim:html]');
          await waitTurn(page, turn);
          turn = await send(page, 'quotes [sim:quote]');
          await waitTurn(page, turn);
          await page.locator('a.quote-link').first().click();
          await page.locator('mark.quote-mark').first().waitFor();
          if (viewport.width <= 720) {   // a phone shows the passage in place of the chat
            await page.addScriptTag({ path: AXE_PATH });
            assert.deepEqual(await axeViolations(page), [], `${colorScheme} passage on a phone`);
            await page.click('#back');
          }
          turn = await send(page, 'fail [sim:error-midstream]');
          await waitTurn(page, turn);
        }
        await page.addScriptTag({ path: AXE_PATH });
        assert.deepEqual(await axeViolations(page), [], `${colorScheme} ${path}`);
        await context.close();
      }
    }
  });

  test(`first visit transfers at most 60 KB gzipped; hashed static files are cached for good (${tag(viewport)})`, async (t) => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const statics = new Map();
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname.startsWith('/static/')) statics.set(new URL(r.url()).pathname, await r.allHeaders());
    });
    await page.goto(`${BASE_URL}/?q=demo`, { waitUntil: 'load' });
    const sizes = await page.evaluate(() => [...performance.getEntriesByType('navigation'),
      ...performance.getEntriesByType('resource')].map((e) => ({ name: e.name, transfer: e.transferSize })));
    const total = sizes.reduce((sum, e) => sum + e.transfer, 0);
    t.diagnostic(`first visit: ${total} bytes over the wire (${sizes.length} responses)`);
    assert.equal(sizes.length, 5, sizes.map((e) => e.name).join(' '));
    assert.ok(sizes.every((e) => e.transfer > 0));
    assert.ok(total <= 60 * 1024, `${total} bytes > 60 KB`);
    assert.equal(statics.size, 4);
    for (const [path, headers] of statics) {
      assert.match(path, /\.[0-9a-f]{10}\.(css|js)$/, 'content hash in the name');
      assert.equal(headers['content-encoding'], 'gzip', path);
      assert.match(headers['cache-control'], /max-age=\d{8,}/, path);
      assert.match(headers['cache-control'], /immutable/, path);
    }
    // A second visit takes the static files from the cache: only the page crosses the wire.
    const again = await context.newPage();
    await again.goto(`${BASE_URL}/?q=demo`, { waitUntil: 'load' });
    const cached = await again.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/static/')).map((e) => e.transferSize));
    assert.deepEqual(cached, [0, 0, 0, 0]);
    await context.close();
  });

  test(`dark mode follows prefers-color-scheme (${tag(viewport)})`, async () => {
    const background = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor
      .match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0));
    const light = await openPage('/?q=demo', viewport, { colorScheme: 'light' });
    assert.ok(await background(light.page) > 600, 'light background');
    await light.context.close();
    const { page, context } = await openPage('/?q=demo', viewport, { colorScheme: 'dark' });
    assert.ok(await background(page) < 120, 'dark background');
    const turn = await send(page, 'in the dark [sim:html]');
    await waitTurn(page, turn);
    if (SHOTS && viewport.width === 1280) await page.screenshot({ path: `${SHOTS}/dark.png` });
    await context.close();
  });
}
