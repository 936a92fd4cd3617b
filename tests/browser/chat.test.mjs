// Browser tests of the chat itself: streaming, stored rows, error states, Esc, hostile
// markup, the narrow layout, closing the tab. Shared helpers are in support.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SHOTS, openPage, send, sessionOf, sql, startBrowser, stopBrowser, waitTurn,
} from './support.mjs';

before(startBrowser);
after(stopBrowser);

test('a reply streams into the page in several steps and is stored', async () => {
  const { page, context, errors, consoleErrors } = await openPage();
  assert.equal(await page.locator('#error').isHidden(), true);
  assert.match(await page.locator('#resume').textContent(), /Jordan Rivera/);
  assert.match(await page.locator('#jd').textContent(), /Staff Backend Engineer/);
  const turn = await send(page, 'How does my resume fit? [sim:slow]');
  const reply = page.locator('.message-assistant .message-body').last();
  await page.waitForFunction(() => document.body.dataset.state === 'streaming');
  assert.equal(await page.locator('#status').isVisible(), true);
  assert.equal(await page.locator('#send').isDisabled(), true, 'sending waits for the reply');
  assert.equal(await page.locator('#message').isEditable(), true, 'the box stays editable');
  assert.equal(await page.inputValue('#message'), '');
  const samples = new Set();
  for (let i = 0; i < 12 && (await page.evaluate(() => document.body.dataset.state)) === 'streaming'; i++) {
    samples.add(await reply.innerText());
    await page.waitForTimeout(350);
  }
  assert.ok(samples.size >= 3, `reply grew in ${samples.size} steps`);
  await waitTurn(page, turn);
  assert.equal(await page.locator('#status').isHidden(), true);
  assert.equal(await page.locator('#send').isDisabled(), false);
  assert.equal(await page.locator('.message-error').count(), 0);
  const shown = await reply.innerText();
  assert.match(shown, /watch it stream/);
  assert.equal(await reply.locator('strong').count() > 0, true, 'Markdown rendered');
  const session = await sessionOf(page);
  const rows = sql(`SELECT message_type FROM chats WHERE session_uuid = '${session}' ORDER BY id`);
  assert.equal(rows, 'user\nassistant');
  assert.deepEqual([...errors, ...consoleErrors], []);
  await context.close();
});

test('error states show the seed texts in one card, without chat or documents', async () => {
  for (const [path, text] of [
    ['/', "Error: 'q' parameter must be specified in the URL"],
    ['/?q=nope', "Error: No document found with name 'nope'"],
  ]) {
    const { page, context, errors } = await openPage(path);
    assert.equal(await page.locator('#error').innerText(), text);
    assert.match(await page.locator('.card .advice').innerText(), /Check the link you were sent/);
    for (const absent of ['#chat', '#message', '#send', '[data-starter]', '#resume', '#jd', '#download']) {
      assert.equal(await page.locator(absent).count(), 0, `${absent} on ${path}`);
    }
    assert.deepEqual(errors, []);
    if (SHOTS && path === '/?q=nope') await page.screenshot({ path: `${SHOTS}/not-found.png` });
    await context.close();
  }
});

test('hostile markup in a reply runs nothing', async () => {
  const { page, context } = await openPage();
  const turn = await send(page, 'show me markup [sim:html]');
  await waitTurn(page, turn);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  const reply = page.locator('.message-assistant .message-body').last();
  assert.equal(await reply.locator('script, iframe, [onerror], [onclick]').count(), 0);
  assert.equal(await reply.locator('a[href^="javascript:"]').count(), 0);
  assert.match(await reply.innerText(), /R&D <Team>/);
  const pixel = await send(page, 'a chart please [sim:image]');
  await waitTurn(page, pixel);
  const imaged = page.locator('.message-assistant .message-body').last();
  assert.match(await imaged.innerText(), /Here is the chart:/);
  assert.equal(await imaged.locator('img').count(), 0, 'the off-origin image is dropped');
  const kept = await page.evaluate(() => window.DOMPurify.sanitize(
    '<img src="/static/x.png" alt="here"><img src="//tracker.example/p.png"><img src="https://t.example/q.png">'));
  assert.equal((kept.match(/<img/g) || []).length, 1, kept);
  assert.match(kept, /src="\/static\/x\.png"/, 'this origin\'s image is kept');
  assert.doesNotMatch(kept, /tracker|t\.example/, 'images from elsewhere are dropped');
  await context.close();
});

test('a mid-stream error keeps the partial reply and the next message works', async () => {
  const { page, context } = await openPage();
  let turn = await send(page, 'fail please [sim:error-midstream]');
  await waitTurn(page, turn);
  const error = page.locator('.message-error').last();
  assert.match(await error.innerText(), /overloaded/i);
  assert.ok((await page.locator('.message-assistant .message-body').last().innerText()).length > 0);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/error.png` });
  turn = await send(page, 'again [sim:echo]');
  await waitTurn(page, turn);
  assert.match(await page.locator('.message-assistant .message-body').last().innerText(),
    /echo: 3 messages; last: again/);
  await context.close();
});

test('Esc stops a reply, keeps and stores what was shown', async () => {
  const { page, context } = await openPage();
  const turn = await send(page, 'long answer please [sim:slow]');
  const reply = page.locator('.message-assistant .message-body').last();
  await page.waitForFunction(() => {
    const bodies = document.querySelectorAll('.message-assistant .message-body');
    return bodies.length && bodies[bodies.length - 1].innerText.length > 20;
  });
  await page.keyboard.press('Escape');
  await waitTurn(page, turn);
  assert.equal(await page.locator('.message-note').last().innerText(), 'Stopped.');
  assert.equal(await page.locator('.message-error').count(), 0, 'a stop is no error');
  const shown = await reply.innerText();
  assert.ok(shown.length > 0);
  const session = await sessionOf(page);
  // The worker notices the closed stream at its next write and stores the partial reply.
  let stored = '';
  for (let i = 0; i < 100 && !stored; i++) {
    await page.waitForTimeout(200);
    stored = sql(`SELECT contents FROM chats WHERE session_uuid = '${session}' AND message_type = 'assistant'`);
  }
  assert.ok(stored.length > 0, 'partial reply stored');
  assert.ok(stored.startsWith(shown.slice(0, 10)), `stored "${stored.slice(0, 30)}" vs shown "${shown.slice(0, 30)}"`);
  await context.close();
});

test('the page is usable at 390 px: the chat first, each document one tap away', async () => {
  const { page, context } = await openPage('/?q=demo', { width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scroll (${width})`);
  assert.equal(await page.locator('#resume').isVisible(), false);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/narrow.png` });
  await page.click('#view-resume');
  assert.equal(await page.locator('#resume').isVisible(), true);
  assert.equal(await page.locator('#chat').isVisible(), false);
  await page.click('#view-jd');
  assert.equal(await page.locator('#jd').isVisible(), true);
  assert.equal(await page.locator('#resume').isVisible(), false);
  await context.close();
});

test('hostile documents, names and user messages show as text and run nothing', async () => {
  const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
  sql(`INSERT INTO documents (name, resume, jd) VALUES ('xss-doc', '${payload} R&D', '"><svg onload=window.__xss=1> </textarea><script>window.__xss=1</script>') ON CONFLICT DO NOTHING`);
  const { page, context } = await openPage('/?q=xss-doc');
  assert.equal(await page.locator('#resume').textContent(), `${payload} R&D`);
  assert.match(await page.locator('#jd').textContent(), /<\/textarea><script>/);
  assert.equal(await page.locator('#resume img, #jd svg, #resume script').count(), 0);
  const message = `${payload} and "quotes" & <b>bold</b> [sim:echo]`;
  const turn = await send(page, message);
  await waitTurn(page, turn);
  await page.waitForTimeout(200);
  assert.equal(await page.locator('.message-user .message-body').last().innerText(), message);
  assert.match(await page.locator('.message-assistant .message-body').last().innerText(), /<script>window.__xss=1<\/script>/);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await context.close();
  const notFound = await openPage(`/?q=${encodeURIComponent(payload)}`);
  assert.equal(await notFound.page.locator('#error').innerText(), `Error: No document found with name '${payload}'`);
  assert.equal(await notFound.page.evaluate(() => window.__xss), undefined);
  await notFound.context.close();
});

test('closing the tab mid-reply stores what was shown', async () => {
  const { page, context } = await openPage();
  await send(page, 'closing soon [sim:slow]');
  await page.waitForFunction(() => {
    const bodies = document.querySelectorAll('.message-assistant .message-body');
    return bodies.length && bodies[bodies.length - 1].innerText.length > 15;
  });
  const session = await sessionOf(page);
  await page.close();
  await context.close();
  let stored = '';
  for (let i = 0; i < 50 && !stored; i++) {
    await new Promise((r) => setTimeout(r, 100));
    stored = sql(`SELECT contents FROM chats WHERE session_uuid = '${session}' AND message_type = 'assistant'`);
  }
  assert.ok(stored.startsWith('A slow reply'), `stored: "${stored}"`);
  assert.ok(!stored.includes('reliability work'), 'the reply was cut short, not completed');
});
