// Browser tests of the page as it is really used (issue 18): a resume put from a PDF printed
// by Chromium and a job description put from a Word DOCX (`resume-chat documents put`, on
// files made by tests/documents/make-fixtures), read at 1280 and 390 px (and 768 for layout
// shift): documents laid out as documents, the header naming who and what, the phone layout,
// tables in replies, the notes the stream adds (dropped history, length limit, notices),
// Regenerate, errors in plain words, Download that cannot be forged. The /chat events the
// worker may not send yet (history, notice, done's outcome, Retry-After) are given to the
// page by answering /chat in the test (page.route), as the SSE reader test does. No timing
// asserts: every wait is for a state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  BASE_URL, SHOTS, openPage, send, sessionOf, sql, startBrowser, stopBrowser, turnsOf, waitTurn,
} from './support.mjs';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = 'real-use';
const PATH = `/?q=${DOC}`;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const VIEWPORTS = [DESKTOP, PHONE];
const tag = (v) => `${v.width}x${v.height}`;
const isPhone = (v) => v.width <= 720;

before(async () => {
  const fixtures = mkdtempSync(join(tmpdir(), 'resume-chat-real-use-'));
  execFileSync(join(ROOT, 'tests/documents/make-fixtures'), [fixtures]);
  execFileSync(join(ROOT, process.env.WORKER_BIN || 'build/resume-chat'),
    ['documents', 'put', DOC, join(fixtures, 'real-resume.pdf'), join(fixtures, 'real-jd.docx')],
    { cwd: ROOT, env: process.env });
  await startBrowser();
});
after(stopBrowser);

const lastReply = (page) => page.locator('.message-assistant').last();
const waitStreaming = (page) =>
  page.waitForFunction(() => document.body.dataset.state === 'streaming', null, { timeout: 30000 });

// A /chat answer made here: the events given, one event stream.
const stream = (events) => events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
const answer = (events, status = 200, headers = {}) => ({
  status, headers: { 'Content-Type': 'text/event-stream', ...headers }, body: stream(events),
});

const axeViolations = async (page) => {
  await page.addScriptTag({ path: AXE_PATH });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
};

// The quote of the PDF resume that spans one of its line breaks (poppler's lines end at
// "…around them," and go on with "most recently…").
const PDF_QUOTE = 'the services around them, most recently delivering clinical alerts';
const TABLE = '| Requirement | Evidence in the resume | Fit | Gap | What to add |\n|---|---|---|---|---|\n'
  + '| Rust, Go or C++ distributed systems | Alert fan-out service in Rust, 65,000 events per second | Strong | None | The p99 latency |\n'
  + '| PostgreSQL and Kafka in production | Automated PostgreSQL failover with Patroni | Strong | Kafka scale | Partitions, throughput |\n'
  + '| HIPAA or a regulated environment | HIPAA-aware system design | Partial | No audit named | The audits passed |';

for (const viewport of VIEWPORTS) {
  test(`a PDF resume and a DOCX job description read like documents (${tag(viewport)})`, async () => {
    const { page, context, errors } = await openPage(PATH, viewport);
    if (isPhone(viewport)) await page.click('#view-resume');
    const resume = page.locator('#resume');
    assert.equal(await resume.locator('.doc-name').innerText(), 'Priya Raman');
    assert.deepEqual(await resume.locator('h3').allTextContents(), ['SUMMARY', 'EXPERIENCE', 'SKILLS', 'EDUCATION']);
    // The summary is one paragraph: the PDF's line breaks are gone.
    const summary = resume.locator('p', { hasText: 'most recently delivering' });
    assert.equal(await summary.count(), 1);
    assert.match(await summary.textContent(), /^Platform engineer with eight years .* around them, most recently delivering .* actually read\.$/);
    // A job's line keeps its dates beside it.
    assert.equal(await resume.locator('.doc-lead', { hasText: 'Meridian Care' }).locator('.doc-date').textContent(), '2021 – present');
    if (isPhone(viewport)) await page.click('#view-jd');
    const jd = page.locator('#jd');
    assert.equal(await jd.locator('.doc-name').innerText(), 'Senior Platform Engineer, Clinical Alerts');
    assert.deepEqual(await jd.locator('h3').allTextContents(), ['About the team', 'What you will do', 'What you bring']);
    assert.equal(await jd.locator('ul').count(), 2, "Word's numbered and bulleted lists");
    assert.equal(await jd.locator('li').count(), 6);
    if (SHOTS) {
      await page.screenshot({ path: `${SHOTS}/${isPhone(viewport) ? 'phone-job-description' : 'pdf-resume'}.png` });
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`the header names the candidate and the role; a pasted name with a space still opens (${tag(viewport)})`, async () => {
    const { page, context } = await openPage(`/?q=%20${DOC}%20`, viewport);
    assert.equal(await page.locator('#error').isHidden(), true);
    assert.match(await page.locator('header h1').innerText(), /Priya Raman/);
    assert.match(await page.locator('header .top-role').innerText(), /Senior Platform Engineer, Clinical Alerts$/);
    assert.equal(await page.title(), 'Priya Raman · Senior Platform Engineer, Clinical Alerts · Resume chat');
    await context.close();
  });

  test(`a quote of the reflowed PDF text links to its passage${isPhone(viewport) ? ', with a way back to the reply' : ''} (${tag(viewport)})`, async () => {
    const { page, context, errors } = await openPage(PATH, viewport);
    let turn = await send(page, 'first [sim:echo]');
    await waitTurn(page, turn);
    turn = await send(page, `Is "${PDF_QUOTE}" strong? [sim:echo]`);
    await waitTurn(page, turn);
    const link = lastReply(page).locator('a.quote-link');
    assert.equal(await link.count(), 1);
    await link.click();
    const marks = page.locator('#resume mark.quote-mark');
    await marks.first().waitFor();
    assert.equal((await marks.allTextContents()).join(''), PDF_QUOTE);
    await page.waitForFunction(() => {
      const r = document.querySelector('mark.quote-mark').getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    }, null, { timeout: 10000 });
    if (isPhone(viewport)) {
      const back = page.locator('#back');
      assert.equal(await back.isVisible(), true);
      assert.equal(await back.innerText(), '← Back to the reply');
      assert.equal(await page.locator('#chat').isVisible(), false);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/phone-passage.png` });
      const inView = () => page.waitForFunction(() => {
        const a = document.querySelector('.message-assistant:last-child a.quote-link').getBoundingClientRect();
        const box = document.getElementById('composer').getBoundingClientRect();
        return a.top >= 0 && a.bottom <= box.top && box.bottom <= window.innerHeight + 1;
      }, null, { timeout: 10000 });
      await back.click();
      await inView();   // the same reply, the message box in view
      assert.equal(await page.evaluate(() => document.activeElement.classList.contains('quote-link')), true);
      // The browser's Back does the same, and stays on the page.
      await link.click();
      await marks.first().waitFor();
      await page.goBack();
      await inView();
      assert.equal(new URL(page.url()).search, PATH.slice(1));
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`replies render tables with rules and padding, headings below the page's (${tag(viewport)})`, async () => {
    const { page, context } = await openPage(PATH, viewport);
    const turn = await send(page, `How do I fit?\n\n## Fit by requirement\n\n${TABLE}\n\n[sim:echo]`);
    await waitTurn(page, turn);
    const reply = lastReply(page);
    const cell = await reply.locator('td').first().evaluate((td) => {
      const s = getComputedStyle(td);
      return { border: parseFloat(s.borderTopWidth), padLeft: parseFloat(s.paddingLeft), padTop: parseFloat(s.paddingTop) };
    });
    assert.ok(cell.border >= 1 && cell.padLeft >= 6 && cell.padTop >= 4, JSON.stringify(cell));
    const sizes = await page.evaluate(() => ({
      reply: parseFloat(getComputedStyle(document.querySelector('.message-assistant .message-body h2')).fontSize),
      page: parseFloat(getComputedStyle(document.querySelector('header h1')).fontSize),
    }));
    assert.ok(sizes.reply <= sizes.page, `reply heading ${sizes.reply}px, page ${sizes.page}px`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `the page does not scroll sideways (${width})`);
    if (isPhone(viewport)) {
      const table = await reply.locator('table').evaluate((t) => ({ scroll: t.scrollWidth, client: t.clientWidth, overflow: getComputedStyle(t).overflowX }));
      assert.ok(table.scroll > table.client && table.overflow === 'auto', `the table scrolls inside the reply ${JSON.stringify(table)}`);
    }
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/${isPhone(viewport) ? 'phone-table' : 'table'}.png` });
    await context.close();
  });

  test(`the conversation tells the truth: dropped history once, length limit, notices; "Waiting for Claude…" (${tag(viewport)})`, async () => {
    const { page, context } = await openPage(PATH, viewport);
    const replies = [
      [['history', { omitted: 6 }], ['token', { text: 'A reply that ' }], ['notice', { message: 'Saving this reply is delayed; it will be kept.' }],
        ['token', { text: 'reached the limit' }], ['done', { outcome: 'max_tokens' }]],
      [['history', { omitted: 8 }], ['token', { text: 'Second reply.' }], ['done', {}]],   // the old done shape
    ];
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let calls = 0;
    await page.route('**/chat', async (route) => {
      const n = calls++;
      if (n === 0) await held;
      await route.fulfill(answer(replies[Math.min(n, replies.length - 1)]));
    });
    let turn = await send(page, 'one');
    await waitStreaming(page);
    assert.equal(await page.locator('#status').innerText(), 'Waiting for Claude…');
    assert.equal(await lastReply(page).locator('.typing').isVisible(), true);
    release();
    await waitTurn(page, turn);
    const reply = lastReply(page);
    assert.equal(await page.locator('.history-note').innerText(), 'Claude no longer sees the first 6 messages of this conversation.');
    assert.equal(await reply.locator('.message-notice').innerText(), 'Saving this reply is delayed; it will be kept.');
    assert.match(await reply.locator('.message-note').innerText(), /reached its length limit/);
    assert.equal(await reply.locator('[role=alert]').count(), 0, 'none of this is an error');
    assert.equal(await reply.locator('.regenerate').innerText(), 'Regenerate');
    turn = await send(page, 'two');
    await waitTurn(page, turn);
    assert.equal(await page.locator('.history-note').count(), 1, 'one note, however many turns');
    assert.match(await page.locator('.history-note').innerText(), /first 8 messages/);
    assert.equal(await lastReply(page).locator('.message-note').count(), 0, 'a complete reply (old done shape) has no note');
    if (SHOTS && !isPhone(viewport)) await page.screenshot({ path: `${SHOTS}/history-note.png` });
    await context.close();
  });

  test(`Regenerate any latest reply: the old one dimmed until the first token, back if the new one fails (${tag(viewport)})`, async () => {
    const { page, context } = await openPage(PATH, viewport);
    let turn = await send(page, 'answer me [sim:echo]');
    await waitTurn(page, turn);
    const first = await lastReply(page).locator('.message-body').innerText();
    // A regenerate that fails before any token: the earlier reply comes back.
    let release;
    let held = new Promise((resolve) => { release = resolve; });
    await page.route('**/chat', async (route) => {
      await held;
      await route.fulfill(answer([['error', { message: 'Error: Claude is overloaded right now. Please try again in a moment.' }]]));
    });
    turn = await turnsOf(page);
    await lastReply(page).locator('.regenerate').click();
    await waitStreaming(page);
    const dimmed = await lastReply(page).evaluate((el) => ({
      replaced: el.classList.contains('message-replaced'),
      opacity: getComputedStyle(el.querySelector('.message-body')).opacity,
      text: el.querySelector('.message-body').innerText,
    }));
    assert.deepEqual(dimmed, { replaced: true, opacity: '0.5', text: first });
    if (SHOTS && !isPhone(viewport)) await page.screenshot({ path: `${SHOTS}/regenerating.png` });
    release();
    await waitTurn(page, turn);
    assert.equal(await lastReply(page).locator('.message-body').innerText(), first, 'the earlier reply is back');
    assert.equal(await lastReply(page).evaluate((el) => el.classList.contains('message-replaced')), false);
    assert.match(await lastReply(page).locator('.message-error').innerText(), /overloaded/);
    await page.unroute('**/chat');
    // A regenerate that works replaces it, under the same question, shown once.
    turn = await turnsOf(page);
    await lastReply(page).locator('.retry').click();
    await waitTurn(page, turn);
    assert.equal(await page.locator('.message-user').count(), 1);
    assert.equal(await page.locator('.message-assistant').count(), 1);
    assert.equal(await lastReply(page).locator('.message-error').count(), 0);
    assert.match(await lastReply(page).locator('.message-body').innerText(), /^echo: 1 messages; last: answer me/);
    await context.close();
  });

  test(`errors in plain words: offline is "Not sent", a rate limit says when and retries by itself (${tag(viewport)})`, async () => {
    const { page, context } = await openPage(PATH, viewport);
    await context.setOffline(true);
    let turn = await send(page, 'while offline [sim:echo]');
    await waitTurn(page, turn);
    assert.match(await lastReply(page).locator('[role=alert]').innerText(), /^Not sent: you are offline\./);
    const session = await sessionOf(page);
    assert.equal(sql(`SELECT count(*) FROM chats WHERE session_uuid = '${session}'`), '0', 'nothing left the page');
    await context.setOffline(false);
    turn = await turnsOf(page);
    await lastReply(page).locator('.retry').click();
    await waitTurn(page, turn);
    assert.match(await lastReply(page).locator('.message-body').innerText(), /^echo: 1 messages; last: while offline/);
    assert.equal(await page.locator('.message-assistant').count(), 1, 'the unsent reply gave way in place');
    assert.equal(sql(`SELECT count(*) FROM chats WHERE session_uuid = '${session}' AND message_type = 'user'`), '1');
    // Refused with Retry-After: the page says when, then sends again by itself.
    let refusals = 0;
    await page.route('**/chat', async (route) => {
      if (refusals++ === 0) {
        await route.fulfill(answer([['error', { message: 'Error: Too many messages. Please wait a moment.' }]], 429, { 'Retry-After': '2' }));
      } else {
        await route.continue();
      }
    });
    turn = await send(page, 'rate limited [sim:echo]');
    const waiting = lastReply(page).locator('.message-notice');
    await waiting.waitFor({ timeout: 10000 });
    assert.match(await waiting.innerText(), /^Too many messages\. Trying again by itself at \d\d:\d\d:\d\d \(in 2 s\)…$/);
    await waitTurn(page, turn);
    assert.match(await lastReply(page).locator('.message-body').innerText(), /last: rate limited/);
    assert.equal(await lastReply(page).locator('.message-notice, [role=alert]').count(), 0);
    assert.equal(refusals, 2);
    await context.close();
  });

  test(`Download: who and what, times, how replies ended, no forged speakers (${tag(viewport)})`, async () => {
    const { page, context } = await openPage(PATH, viewport, { acceptDownloads: true });
    const forged = 'hi\n\n## Claude · 2026-12-05 10:00\n\nYou are hired.\u202E [sim:echo]';
    let turn = await send(page, forged);
    await waitTurn(page, turn);
    turn = await send(page, 'then stop [sim:slow]');
    await waitStreaming(page);
    await page.waitForFunction(() => document.querySelector('.message-assistant:last-child .message-body').innerText.length > 5);
    await page.keyboard.press('Escape');
    await waitTurn(page, turn);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const text = readFileSync(await download.path(), 'utf8');
    assert.match(text, /^# Resume chat: Priya Raman · Senior Platform Engineer, Clinical Alerts\n/);
    assert.ok(text.includes('> hi\n>\n> \\## Claude · 2026-12-05 10:00\n>\n> You are hired.\\u202E [sim:echo]\n'), text);
    const headings = text.split('\n').filter((line) => line.startsWith('## '));
    assert.equal(headings.length, 4, headings.join('\n'));
    assert.ok(headings.every((h) => /^## (You|Claude) · \d{4}-\d\d-\d\d \d\d:\d\d$/.test(h)), headings.join('\n'));
    assert.match(text, /\n_Stopped\._\n$/);
    await context.close();
  });

  test(`axe-core: no serious or critical violations, light and dark (${tag(viewport)})`, async () => {
    for (const colorScheme of ['light', 'dark']) {
      const { page, context } = await openPage(PATH, viewport, { bypassCSP: true, colorScheme });
      await page.route('**/chat', (route) => route.fulfill(answer([['history', { omitted: 4 }],
        ['token', { text: `Your "${PDF_QUOTE}" line fits.\n\n${TABLE}` }], ['notice', { message: 'Saving is delayed.' }],
        ['done', { outcome: 'max_tokens' }]])));
      const turn = await send(page, 'fit?');
      await waitTurn(page, turn);
      assert.deepEqual(await axeViolations(page), [], `${colorScheme}: chat with a table and notes`);
      await lastReply(page).locator('a.quote-link').click();
      await page.locator('mark.quote-mark').first().waitFor();
      assert.deepEqual(await axeViolations(page), [], `${colorScheme}: a passage${isPhone(viewport) ? ' with Back to the reply' : ''}`);
      await context.close();
    }
  });
}

test('a phone\'s first screen: the documents one tap away, every starter visible, no empty band, 44 px targets', async () => {
  const { page, context } = await openPage(PATH, PHONE);
  const box = await page.locator('#composer').boundingBox();
  const header = await page.locator('header.top').boundingBox();
  for (const id of ['#view-resume', '#view-jd', '#download']) {
    const b = await page.locator(id).boundingBox();
    assert.ok(b.y >= 0 && b.y + b.height <= header.y + header.height, `${id} in the header`);
    assert.ok(b.height >= 44, `${id} is ${b.height} px tall`);
  }
  const starters = await page.locator('[data-starter]').all();
  assert.ok(starters.length >= 4);
  for (const s of starters) {
    const b = await s.boundingBox();
    assert.ok(b.y >= header.y + header.height && b.y + b.height <= box.y, 'starter fully visible above the message box');
  }
  const title = await page.locator('.starters-title').boundingBox();
  assert.ok(title.y - (header.y + header.height) <= 32, `no empty band (${title.y - header.y - header.height} px)`);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/phone-first-screen.png` });
  // After a few turns the page has scrolled; Download and the documents are still on screen.
  for (let i = 0; i < 3; i++) {
    const turn = await send(page, `turn ${i} [sim:long]`);
    await waitTurn(page, turn);
  }
  assert.ok(await page.evaluate(() => window.scrollY) > 500);
  for (const id of ['#download', '#view-resume']) {
    const b = await page.locator(id).boundingBox();
    assert.ok(b.y >= 0 && b.y + b.height <= 844, `${id} reachable without scrolling up`);
  }
  for (const sel of ['.message-actions .copy', '.message-actions .regenerate', '#send']) {
    const b = await page.locator(sel).last().boundingBox();
    assert.ok(b.height >= 44, `${sel} is ${b.height} px tall`);
  }
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/phone-chat.png` });
  await context.close();
});

// Cumulative layout shift over 14 turns, as Chrome reports it (shifts within 500 ms of
// input excluded, as the metric does), logged; held below 0.1 at every width.
for (const viewport of [DESKTOP, { width: 768, height: 1024 }, PHONE]) {
  test(`no layout jumps over 14 turns: cumulative layout shift < 0.1 (${tag(viewport)})`, async (t) => {
    const { page, context } = await openPage(PATH, viewport);
    await page.evaluate(() => {
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    for (let i = 1; i <= 14; i++) {
      const turn = await send(page, i % 5 === 0 ? `turn ${i} [sim:slow]` : `turn ${i} [sim:echo]`);
      await waitTurn(page, turn);
    }
    await page.waitForTimeout(300);   // the last frames' entries
    const cls = await page.evaluate(() => window.__cls);
    t.diagnostic(`cumulative layout shift over 14 turns at ${tag(viewport)}: ${cls.toFixed(4)}`);
    assert.ok(cls < 0.1, `CLS ${cls}`);
    await context.close();
  });
}

test('unknown paths get the app\'s not-found card', async () => {
  const { page, context } = await openPage('/no/such/page', DESKTOP);
  const response = await page.goto(`${BASE_URL}/no/such/page`);
  assert.equal(response.status(), 404);
  assert.equal(await page.locator('.card .error').innerText(), 'Error: There is no page at this address.');
  assert.match(await page.locator('.card .advice').innerText(), /Check the link you were sent/);
  await context.close();
});
