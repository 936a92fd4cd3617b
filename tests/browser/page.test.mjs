// Browser tests of the page a reviewer uses (issue 12), each at 1280x900 and 390x844: no
// blank space below the content after many long replies, the header and starters, the
// documents as prose, the layouts, quotes linked to their passage, streaming without raw
// Markdown, drafting while a reply streams, regenerate in place, the error card, Download,
// the question before leaving mid-reply, the SSE reader's line ends across chunks and the
// counter in code points. No timing asserts: every wait is for a state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  SHOTS, openPage, send, sessionOf, sql, startBrowser, stopBrowser, turnsOf, waitTurn,
} from './support.mjs';

const VIEWPORTS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
const tag = (v) => `${v.width}x${v.height}`;
const wide = (v) => v.width >= 1200;

before(startBrowser);
after(stopBrowser);

const waitStreaming = (page) =>
  page.waitForFunction(() => document.body.dataset.state === 'streaming', null, { timeout: 30000 });
const lastReply = (page) => page.locator('.message-assistant').last();
const replyText = (page) => lastReply(page).locator('.message-body').innerText();

// How far the page scrolls past the bottom of what it shows (0 when nothing is below).
const blankBelow = (page) => page.evaluate(() => {
  const bottom = document.getElementById('app').getBoundingClientRect().bottom + window.scrollY;
  return document.documentElement.scrollHeight - Math.max(bottom, window.innerHeight);
});

// Also at a medium width, whose chat is a scrolling box like the wide one's.
for (const viewport of [...VIEWPORTS, { width: 900, height: 900 }]) {
  test(`no blank space below the page after 8 turns with long replies (${tag(viewport)})`, async () => {
    const { page, context, errors } = await openPage('/?q=demo', viewport);
    for (let i = 1; i <= 8; i++) {
      const turn = await send(page, i % 4 === 0 ? `turn ${i} [sim:echo]` : `turn ${i}: a long one [sim:long]`);
      await waitTurn(page, turn);
    }
    assert.equal(await page.locator('.message-assistant').count(), 8);
    const blank = await blankBelow(page);
    assert.ok(blank <= 1, `${blank} px of blank page below the content`);
    if (wide(viewport)) {
      // The chat scrolls in its own box; the page itself is one screen.
      assert.ok(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1));
    } else if (viewport.width > 720) {
      // The seed's rows: the chat box, the message box, the documents; nothing more.
      assert.ok(await page.evaluate(() => document.documentElement.scrollHeight < 3 * window.innerHeight));
    } else {
      // The chat is the page: it is as tall as the eight replies, and its end is in view.
      assert.ok(await page.evaluate(() => document.getElementById('chat').offsetHeight > 8 * window.innerHeight));
      const box = await page.locator('#composer').boundingBox();
      assert.ok(Math.abs(box.y + box.height - viewport.height) <= 1, 'the message box is at the bottom of the screen');
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
}

for (const viewport of VIEWPORTS) {
  test(`the header says what this is; starters in the empty chat send on click (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const header = page.locator('header.top');
    assert.equal(await header.isVisible(), true);
    // The candidate and the role (the documents' first lines), not the link's name.
    assert.match(await header.locator('h1').innerText(), /Jordan Rivera/);
    assert.match(await header.locator('.top-role').innerText(), /Staff Backend Engineer/);
    assert.match(await page.title(), /^Jordan Rivera · Staff Backend Engineer/);
    assert.match(await header.innerText(), /Resume review/i);
    const starters = page.locator('[data-starter]');
    assert.ok(await starters.count() >= 3, 'at least three starters');
    for (const b of await starters.all()) assert.equal(await b.isVisible(), true);
    if (SHOTS && wide(viewport)) await page.screenshot({ path: `${SHOTS}/empty.png` });
    const text = (await starters.first().innerText()).trim();
    await starters.first().click();
    await waitTurn(page, 0);
    assert.deepEqual(await page.locator('.message-user .message-body').allInnerTexts(), [text]);
    assert.equal(await page.locator('#starters').isHidden(), true, 'starters leave once the chat starts');
    const session = await sessionOf(page);
    assert.equal(sql(`SELECT contents FROM chats WHERE session_uuid = '${session}' AND message_type = 'user'`), text);
    await context.close();
  });

  test(`the documents read as prose, read-only, wrapped lines joined (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    if (!wide(viewport)) await page.click('#view-resume');   // phones: one tap away
    for (const id of ['resume', 'jd']) {
      const style = await page.locator(`#${id}`).evaluate((el) => {
        const s = getComputedStyle(el);
        return { tag: el.tagName, font: s.fontFamily, space: s.whiteSpace, resize: s.resize,
          editable: el.isContentEditable, width: el.clientWidth };
      });
      assert.notEqual(style.tag, 'TEXTAREA');
      assert.doesNotMatch(style.font, /mono/i, `${id}: proportional font`);
      assert.equal(style.space, 'normal', `${id}: the text's wrapped lines are joined`);
      assert.equal(style.resize, 'none');
      assert.equal(style.editable, false);
    }
    const resume = page.locator('#resume');
    assert.match(await resume.textContent(), /Jordan Rivera/);
    // Bullets are a list; an item's wrapped continuation is inside it, on the same line.
    const item = resume.locator('li').first();
    assert.ok(await resume.locator('ul li').count() >= 6);
    assert.equal(await item.textContent(),
      'Rebuilt the ledger write path in C++17 (lock-free queues, batched PostgreSQL writes); throughput grew 4x on the same hardware.');
    assert.equal(await resume.locator('h3', { hasText: 'EXPERIENCE' }).count(), 1);
    // A comfortable measure: no line of prose wider than about 70 characters.
    const measure = await resume.locator('p').nth(1).evaluate((p) => p.getBoundingClientRect().width
      / parseFloat(getComputedStyle(p).fontSize));
    assert.ok(measure <= 40, `${measure.toFixed(1)} em wide`);
    await context.close();
  });

  test(`layout: ${wide(viewport) ? 'chat left at full height, documents in tabs on the right' : 'the chat is the page, the box at the bottom, bubbles'} (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    let turn = await send(page, 'A question of mine [sim:echo]');
    await waitTurn(page, turn);
    turn = await send(page, 'and a long answer [sim:long]');
    await waitTurn(page, turn);
    const box = await page.locator('#composer').boundingBox();
    assert.ok(Math.abs(box.y + box.height - viewport.height) <= 20, `message box bottom at ${box.y + box.height}`);
    const chat = await page.locator('#chat').boundingBox();
    const user = await page.locator('.message-user').first().boundingBox();
    const reply = await page.locator('.message-assistant').first().boundingBox();
    assert.ok(user.x + user.width > chat.x + chat.width - 40, 'your message is right-aligned');
    assert.ok(user.width < chat.width * 0.9, 'as a bubble');
    assert.ok(reply.width > chat.width * 0.85, 'replies use the full width');
    if (wide(viewport)) {
      const docs = await page.locator('.documents').boundingBox();
      assert.ok(docs.x >= chat.x + chat.width, 'documents to the right of the chat');
      assert.ok(chat.height > viewport.height * 0.6, 'the chat fills the height');
      assert.equal(await page.locator('.doc-tabs').isVisible(), true);
      assert.equal(await page.locator('#resume').isVisible(), true);
      assert.equal(await page.locator('#jd').isVisible(), false);
      await page.click('#tab-jd');
      assert.equal(await page.locator('#jd').isVisible(), true);
      assert.equal(await page.locator('#resume').isVisible(), false);
      assert.equal(await page.getAttribute('#tab-jd', 'aria-selected'), 'true');
      await page.keyboard.press('ArrowLeft');
      assert.equal(await page.locator('#resume').isVisible(), true);
      assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-resume');
    } else {
      assert.equal(await page.locator('#chat').evaluate((c) => getComputedStyle(c).overflowY), 'visible',
        'no inner scroll box');
      assert.equal(await page.locator('.doc-tabs').isVisible(), false);
      // The chat alone; each document one tap away in the header, in place of the chat.
      assert.equal(await page.locator('.documents').isVisible(), false);
      await page.click('#view-jd');
      assert.equal(await page.locator('#jd').isVisible(), true);
      assert.equal(await page.locator('#resume').isVisible(), false);
      assert.equal(await page.locator('#chat').isVisible(), false);
      await page.click('#view-chat');
      assert.equal(await page.locator('#chat').isVisible(), true);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width, `no horizontal scroll (${width})`);
    }
    await context.close();
  });

  test(`a quote of a document in a reply links to its passage and highlights it (${tag(viewport)})`, async () => {
    const { page, context, errors } = await openPage('/?q=demo', viewport);
    const turn = await send(page, 'How do I fit? [sim:quote]');
    await waitTurn(page, turn);
    const links = lastReply(page).locator('a.quote-link');
    assert.deepEqual(await links.evaluateAll((all) => all.map((a) => a.dataset.doc)), ['resume', 'jd', 'jd', 'resume'],
      'quotes in "…", `code` and a blockquote');
    if (SHOTS && !wide(viewport)) await page.screenshot({ path: `${SHOTS}/narrow-chat.png` });
    // A quote of the job description: its tab comes forward, the passage is marked and in view.
    await links.nth(1).click();
    const marks = page.locator('#jd mark.quote-mark');
    await marks.first().waitFor();
    assert.equal((await marks.allTextContents()).join(''),
      'Design and build low-latency services in C++ or Rust handling 50k events/s');
    assert.equal(await page.locator('#jd').isVisible(), true);
    if (wide(viewport)) assert.equal(await page.getAttribute('#tab-jd', 'aria-selected'), 'true');
    else assert.equal(await page.locator('#back').isVisible(), true, 'Back to the reply');
    await page.waitForFunction(() => {
      const r = document.querySelector('mark.quote-mark').getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    }, null, { timeout: 10000 });
    assert.match(await page.locator('#announce').innerText(), /Highlighted in the job description/);
    if (SHOTS && wide(viewport)) await page.screenshot({ path: `${SHOTS}/ready.png` });
    // Another quote moves the highlight: one passage at a time, the text unchanged.
    const before = await page.locator('#resume').textContent();
    if (!wide(viewport)) {
      await page.click('#back');
      await page.waitForFunction(() => {
        const r = document.activeElement.getBoundingClientRect();
        return document.activeElement.classList.contains('quote-link') && r.top >= 0 && r.bottom <= window.innerHeight;
      });
    }
    await links.nth(3).click();
    await page.locator('#resume mark.quote-mark').first().waitFor();
    assert.equal(await page.locator('#jd mark.quote-mark').count(), 0);
    assert.equal((await page.locator('#resume mark.quote-mark').allTextContents()).join(''),
      'Introduced structured logging and Prometheus metrics across 14 services');
    assert.equal(await page.locator('#resume').textContent(), before);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`quotes match ignoring case and whitespace, across a line break; others stay text (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const turn = await send(page, 'Is "BATCHED postgresql   writes); throughput grew 4x" good, '
      + 'unlike “a line that is in neither document”? And `capacity planning` [sim:echo]');
    await waitTurn(page, turn);
    const links = lastReply(page).locator('a.quote-link');
    assert.equal(await links.count(), 1, 'only the quote found in a document (and of a few words)');
    await links.first().click();
    const marks = page.locator('#resume mark.quote-mark');
    await marks.first().waitFor();
    assert.equal((await marks.allTextContents()).join(''), 'batched PostgreSQL writes); throughput grew 4x');
    assert.equal(await page.locator('.message-user a').count(), 0, 'your own messages are not linked');
    await context.close();
  });

  test(`streaming: a typing indicator until the first token, no raw Markdown markers, "Stopped" as a note (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    // Hold the request: the reply shows the typing dots, and no text, until tokens arrive.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/chat', async (route) => { await held; await route.continue(); });
    // Every render of a reply in progress, as the reader saw it.
    await page.evaluate(() => {
      window.__frames = [];
      new MutationObserver(() => {
        const bodies = document.querySelectorAll('.message-assistant .message-body');
        const body = bodies[bodies.length - 1];
        if (body && document.body.dataset.state === 'streaming') window.__frames.push(body.innerText);
      }).observe(document.getElementById('chat'), { childList: true, subtree: true, characterData: true });
    });
    let turn = await send(page, 'markers please [sim:html]');
    await waitStreaming(page);
    const typing = lastReply(page).locator('.typing');
    assert.equal(await typing.isVisible(), true);
    assert.equal((await replyText(page)).trim(), '');
    release();
    await waitTurn(page, turn);
    await page.unroute('**/chat');
    assert.equal(await page.locator('.typing').count(), 0);
    turn = await send(page, 'bold words slowly [sim:slow]');
    await page.waitForFunction(() => document.querySelector('.message-assistant:last-child strong'), null, { timeout: 30000 });
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    const frames = await page.evaluate(() => window.__frames.filter((f) => f.trim()));
    assert.ok(frames.length > 10, `${frames.length} frames seen`);
    const raw = frames.filter((f) => /\*\*|`/.test(f));
    assert.deepEqual(raw, [], 'no frame shows ** or a backtick');
    const note = lastReply(page).locator('.message-note');
    assert.equal(await note.innerText(), 'Stopped.');
    const colors = await page.evaluate(() => {
      const s = getComputedStyle(document.querySelector('.message-note'));
      return { note: s.color, error: getComputedStyle(document.getElementById('error')).color, bg: s.backgroundColor };
    });
    assert.notEqual(colors.note, colors.error, 'not the error colour');
    assert.equal(colors.bg, 'rgba(0, 0, 0, 0)', 'no alert box');
    assert.equal(await page.locator('[role=alert]:visible').count(), 0);
    await context.close();
  });

  test(`the box stays editable while a reply streams; only sending waits; Stop is its own control (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const turn = await send(page, 'take your time [sim:slow]');
    await waitStreaming(page);
    assert.equal(await page.locator('#message').isEditable(), true);
    await page.locator('#message').pressSequentially('my next question');
    await page.keyboard.press('Enter');
    assert.equal(await page.inputValue('#message'), 'my next question', 'Enter does not send while streaming');
    assert.equal(await page.locator('.message-user').count(), 1);
    assert.equal(await page.locator('#send').isDisabled(), true);
    assert.equal(await page.locator('#stop').isVisible(), true);
    assert.equal(await page.locator('#send').isVisible(), true, 'Send stays where it is');
    await page.click('#stop');
    await waitTurn(page, turn);
    assert.equal(await page.locator('#stop').isHidden(), true);
    assert.equal(await page.inputValue('#message'), 'my next question', 'the draft survives');
    const next = await turnsOf(page);
    await page.focus('#message');
    await page.locator('#message').pressSequentially(' [sim:echo]');
    await page.keyboard.press('Enter');
    await waitTurn(page, next);
    assert.match(await replyText(page), /last: my next question \[sim:echo\]/);
    await context.close();
  });

  test(`Download saves the conversation as Markdown named after the document and date (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport, { acceptDownloads: true });
    assert.equal(await page.locator('#download').isDisabled(), true, 'nothing to save yet');
    let turn = await send(page, 'First question [sim:echo]');
    await waitTurn(page, turn);
    turn = await send(page, 'then the code [sim:html]');
    await waitTurn(page, turn);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const d = new Date();
    const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    assert.equal(download.suggestedFilename(), `resume-chat-demo-${date}.md`);
    const text = await readFile(await download.path(), 'utf8');
    const session = await sessionOf(page);
    const stored = sql(`SELECT contents FROM chats WHERE session_uuid = '${session}' AND message_type = 'assistant' ORDER BY id DESC LIMIT 1`);
    // The candidate and role; each message under its speaker and time, quoted.
    assert.match(text, /^# Resume chat: Jordan Rivera · Staff Backend Engineer, Real-Time Platform/);
    const time = `${date} \\d\\d:\\d\\d`;
    assert.match(text, new RegExp(`## You · ${time}\n\n> First question \\[sim:echo\\]\n\n## Claude · ${time}\n\n> echo: 1 messages; last: First question \\[sim:echo\\]\n`));
    assert.ok(text.includes(`\n\n${stored.trim().split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n')}\n`), 'the reply as Markdown, quoted');
    await context.close();
  });

  test(`leaving a page that holds a conversation asks first, not an empty one (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const dialogs = [];
    page.on('dialog', async (dialog) => { dialogs.push(dialog.type()); await dialog.dismiss(); });
    const asks = () => page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return e.defaultPrevented;
    });
    assert.equal(await asks(), false, 'no question on an empty chat');
    let turn = await send(page, 'done quickly [sim:echo]');
    await waitTurn(page, turn);
    assert.equal(await asks(), true, 'a reload would start a new session: it asks');
    turn = await send(page, 'still going [sim:slow]');
    await waitStreaming(page);
    await page.close({ runBeforeUnload: true });
    for (let i = 0; i < 50 && !dialogs.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(dialogs, ['beforeunload']);
    assert.equal(page.isClosed(), false, 'dismissing keeps the page');
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    await context.close();
  });

  test(`the SSE reader keeps CRLF and CR line ends whole across chunks (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    // /chat answered in the page itself, one character per chunk, so every line end is
    // split from its neighbours (a CRLF arrives as CR, then LF).
    await page.evaluate(() => {
      const realFetch = window.fetch;
      window.fetch = (url, options) => {
        if (!String(url).endsWith('/chat')) return realFetch(url, options);
        const { message } = JSON.parse(options.body);
        const nl = message.includes('bare-cr') ? '\r' : '\r\n';
        const body = ['event: token', 'data: {"text":"one "}', '', ': comment', 'event: token',
          'data: {"text":"two"}', '', 'event: done', 'data: {}', '', ''].join(nl);
        const bytes = new TextEncoder().encode(body);
        let i = 0;
        const stream = new ReadableStream({
          pull(controller) {
            if (i < bytes.length) controller.enqueue(bytes.slice(i, ++i));
            else controller.close();
          },
        });
        return Promise.resolve(new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } }));
      };
    });
    for (const text of ['crlf split', 'bare-cr split']) {
      const turn = await send(page, text);
      await waitTurn(page, turn);
      assert.equal(await replyText(page), 'one two', text);
      assert.equal(await lastReply(page).locator('.message-error').count(), 0, text);
    }
    await context.close();
  });

  test(`the counter counts characters as the server does: an emoji is one (${tag(viewport)})`, async () => {
    const { page, context } = await openPage('/?q=demo', viewport);
    const max = Number(await page.locator('#app').getAttribute('data-max-chars'));
    const n = Math.ceil(max * 0.9);
    await page.locator('#message').fill('😀'.repeat(n));
    assert.equal(await page.locator('#counter').innerText(), `${n} / ${max}`);
    await page.locator('#message').fill(`${'😀'.repeat(n - 12)} [sim:echo]`);
    const turn = await turnsOf(page);
    await page.keyboard.press('Enter');
    await waitTurn(page, turn);
    assert.equal(await lastReply(page).locator('.message-error').count(), 0);
    const session = await sessionOf(page);
    assert.equal(sql(`SELECT char_length(contents) FROM chats WHERE session_uuid = '${session}' AND message_type = 'user'`),
      String(n - 1));
    // Over the limit, sending is refused visibly, not silently.
    await page.locator('#message').fill('😀'.repeat(max + 1));
    await page.keyboard.press('Enter');
    assert.match(await page.locator('#counter').innerText(), new RegExp(`${max + 1} / ${max}: shorten it`));
    assert.match(await page.locator('#announce').innerText(), /Shorten it to send/);
    assert.equal(await page.locator('.message-user').count(), 1);
    await context.close();
  });
}
