// resume-chat page script: sends a message to POST /chat and renders the reply as its
// tokens stream in (text/event-stream read with fetch); sets the resume and the job
// description as prose and links quotes of them in replies to their passage; Retry answers
// a question again in place; Download saves the conversation as Markdown. No framework;
// marked renders the reply's Markdown and DOMPurify sanitizes it, so nothing in a reply can
// run script. An error page (no chat) needs none of this.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const app = $('app');
  const chat = $('chat');
  const form = $('composer');
  const input = $('message');
  const send = $('send');
  if (!app || app.dataset.ready !== 'true' || !chat || !form || !input || !send) return;
  const stopButton = $('stop');
  const status = $('status');
  const jump = $('jump');
  const announcer = $('announce');
  const counter = $('counter');
  const starters = $('starters');
  const downloadButton = $('download');

  const session = app.dataset.session || '';
  const documentName = app.dataset.name || 'document';
  const maxChars = Number(app.dataset.maxChars) || 8000;
  const NEAR_BOTTOM_PX = 48;
  const MAX_INPUT_PX = 240;   // the box grows with its text up to this, then scrolls
  const DOCS = { resume: 'resume', jd: 'job description' };

  let controller = null;  // AbortController of the turn in flight
  let stoppedByUser = false;
  let finishedTurns = 0;
  const turns = [];       // {text, userItem, item, reply, note}: the conversation, for Download

  const setState = (state) => { document.body.dataset.state = state; };
  setState('idle');

  // One polite live region speaks for the page: the log itself is aria-live=off, so a
  // screen reader hears each reply once, when it is complete, instead of every token.
  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  // Characters as the server counts them (code points), not UTF-16 units: an emoji is one.
  function charCount(text) {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0xDC00 || c > 0xDFFF) n++;
    }
    return n;
  }

  const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  // Raw HTML in a reply is shown as the text it is (like code), not interpreted; DOMPurify
  // below is the second line of defence for everything Markdown itself produces.
  if (window.marked) {
    window.marked.use({ renderer: { html: (token) => escapeHtml(token.text || token.raw || '') } });
  }

  const onThisOrigin = (url) => {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (err) {
      return false;
    }
  };

  if (window.DOMPurify) {
    // An image from elsewhere would tell its host who read the reply, and when (a tracking
    // pixel a prompt injection could plant): dropped here, before the CSP would block it.
    window.DOMPurify.addHook('uponSanitizeElement', (node, data) => {
      if (data.tagName === 'img' && !onThisOrigin(node.getAttribute('src') || '') && node.parentNode) {
        node.parentNode.removeChild(node);
      }
    });
    window.DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
  }

  // Markdown → sanitized HTML. Without the libraries (blocked or failed to load) the reply
  // is shown as plain text, never as unsanitized HTML.
  function renderReply(element, text) {
    if (!window.marked || !window.DOMPurify) {
      element.textContent = text;
      return;
    }
    const html = window.marked.parse(text, { gfm: true, breaks: true });
    element.innerHTML = window.DOMPurify.sanitize(html, {
      FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe', 'object', 'embed'],
      FORBID_ATTR: ['style'],
    });
  }

  // A reply still arriving, made fit to render as it stands: an open code fence, code span,
  // ** or * is closed, and a marker with nothing after it yet is left out, so the reader
  // never sees raw Markdown markers that turn into formatting a moment later.
  function closeOpenMarkdown(text) {
    const fence = /^ {0,3}(`{3,}|~{3,})/gm;
    let fences = 0;
    let lastFence = null;
    let afterFence = 0;
    for (let m = fence.exec(text); m; m = fence.exec(text)) {
      fences += 1;
      lastFence = m[1];
      const eol = text.indexOf('\n', m.index);
      afterFence = eol < 0 ? text.length : eol + 1;
    }
    if (fences % 2) return `${text}\n${lastFence}`;
    const start = Math.max(afterFence, text.lastIndexOf('\n\n') + 1);
    const head = text.slice(0, start);
    let tail = text.slice(start).replace(/[*`]+$/, '');
    if ((tail.match(/`/g) || []).length % 2) tail += '`';
    const plain = tail.replace(/`[^`]*`/g, '');
    const singles = plain.replace(/\*\*/g, '').replace(/^\s*\*\s/gm, '');
    if ((singles.match(/\*/g) || []).length % 2) tail = `${tail.trimEnd()}*`;
    if ((plain.match(/\*\*/g) || []).length % 2) tail = `${tail.trimEnd()}**`;
    return head + tail;
  }

  // ---- The documents: laid out on the server (document_layout.h), tabs, passages -------

  const block = (tag, text, className) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (className) el.className = className;
    return el;
  };

  // Text compared the way quotes are matched: case, whitespace runs and typographic quotes
  // and dashes do not matter.
  const FOLD = { '‘': "'", '’': "'", '“': '"', '”': '"', '–': '-', '—': '-' };
  const fold = (c) => (FOLD[c] || c).toLowerCase();

  // An element's text folded, with where each folded character came from ([node, offset]);
  // text node boundaries count as whitespace (they separate blocks here).
  function indexText(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let text = '';
    const at = [];
    const space = (where) => {
      if (text && !text.endsWith(' ')) { text += ' '; at.push(where); }
    };
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      space(null);
      const s = node.data;
      for (let i = 0; i < s.length; i++) {
        if (/\s/.test(s[i])) { space([node, i]); continue; }
        for (const c of fold(s[i])) { text += c; at.push([node, i]); }
      }
    }
    return { text, at };
  }

  const documents = {};   // id → folded text, for finding quotes
  for (const id of Object.keys(DOCS)) {
    const element = $(id);
    if (element) documents[id] = indexText(element).text;
  }

  // A quote as it would appear in a document, or '' when it is too short to point anywhere
  // (a few words at least).
  function foldQuote(text) {
    let q = '';
    for (const c of text.replace(/\s+/g, ' ').trim()) q += fold(c);
    q = q.replace(/^(\.\.\.|…|["'\s])+|(\.\.\.|…|["'\s.,;:!?])+$/g, '');
    return q.length >= 12 && q.split(' ').length >= 3 ? q : '';
  }

  // Which document holds a quote: the resume first, then the job description.
  function documentOf(quote) {
    return Object.keys(documents).find((id) => documents[id].includes(quote));
  }

  const wide = window.matchMedia('(min-width: 1200px)');
  const phone = window.matchMedia('(max-width: 720px)');
  let activeDoc = 'resume';
  const tabs = [...document.querySelectorAll('.doc-tabs [role=tab]')];

  // Wide screens show one document at a time behind tabs; narrower ones show both.
  function layoutDocuments() {
    for (const tab of tabs) {
      const id = tab.getAttribute('aria-controls');
      const on = id === activeDoc;
      const text = $(id);
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      text.closest('.doc').hidden = (wide.matches || phone.matches) && !on;
      text.setAttribute('role', wide.matches ? 'tabpanel' : 'region');
      text.setAttribute('aria-labelledby', wide.matches ? tab.id : `${id}-title`);
    }
  }

  function selectDocument(id, focusTab) {
    activeDoc = id;
    layoutDocuments();
    if (focusTab) $(`tab-${id}`).focus();
  }

  for (const tab of tabs) {
    tab.addEventListener('click', () => selectDocument(tab.getAttribute('aria-controls')));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      selectDocument(next.getAttribute('aria-controls'), true);
    });
  }
  wide.addEventListener('change', layoutDocuments);
  if (tabs.length) layoutDocuments();

  // Phones show one thing at a time, chosen in the header with one tap: the chat, the
  // resume or the job description. Opening a document from the chat adds a history entry,
  // so the browser's Back returns to the chat, where the reader left it; a quote opens its
  // document at the passage with "Back to the reply".
  const viewButtons = [...document.querySelectorAll('.views [data-view]')];
  const backButton = $('back');
  let view = 'chat';
  let chatScroll = 0;
  let returnTo = null;   // the quote link "Back to the reply" returns to
  let pushed = false;    // a history entry stands for the document on screen
  document.body.dataset.view = view;

  function setView(next) {
    if (next === view) return;
    if (view === 'chat') chatScroll = window.scrollY;
    view = next;
    document.body.dataset.view = view;
    for (const b of viewButtons) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    if (view === 'chat') {
      if (backButton) backButton.hidden = true;
      window.scrollTo(0, chatScroll);
    } else {
      selectDocument(view);
      window.scrollTo(0, 0);
    }
  }

  function openDocument(id) {
    if (view === 'chat' && !pushed) {
      history.pushState({ resumeChatView: id }, '');
      pushed = true;
    }
    setView(id);
  }

  function showChat() {
    setView('chat');
    const link = returnTo;
    returnTo = null;
    if (link && link.isConnected) {
      link.scrollIntoView({ block: 'center' });
      link.focus({ preventScroll: true });
    }
    lastTop = scroller().scrollTop;
    follow = atEnd();
    updateJump();
  }

  function backToChat() {
    if (pushed) history.back();   // popstate shows the chat
    else showChat();
  }

  window.addEventListener('popstate', () => {
    if (!pushed) return;
    pushed = false;
    showChat();
  });
  for (const b of viewButtons) {
    b.addEventListener('click', () => {
      const next = b.dataset.view;
      if (next === 'chat') backToChat();
      else if (view === 'chat') openDocument(next);
      else setView(next);
    });
  }
  if (backButton) backButton.addEventListener('click', backToChat);
  phone.addEventListener('change', () => {
    if (!phone.matches && view !== 'chat') backToChat();
    layoutDocuments();
  });

  function clearPassages() {
    for (const mark of document.querySelectorAll('mark.quote-mark')) {
      const parent = mark.parentNode;
      mark.replaceWith(...mark.childNodes);
      parent.normalize();
    }
  }

  // Wraps the text of a range in <mark>s, one per text node it touches (whitespace between
  // blocks stays unmarked).
  function markRange(range) {
    const root = range.commonAncestorContainer.nodeType === Node.TEXT_NODE
      ? range.commonAncestorContainer.parentNode : range.commonAncestorContainer;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (range.intersectsNode(node)) nodes.push(node);
    }
    return nodes.map((node) => {
      const from = node === range.startContainer ? range.startOffset : 0;
      const to = node === range.endContainer ? range.endOffset : node.data.length;
      if (!node.data.slice(from, to).trim()) return null;
      const middle = node.splitText(from);
      middle.splitText(to - from);
      const mark = block('mark', '', 'quote-mark');
      middle.replaceWith(mark);
      mark.append(middle);
      return mark;
    }).filter(Boolean);
  }

  // Brings a document into view with the quoted passage highlighted; on a phone, in place of
  // the chat, with a way back to the reply (`link`).
  function showPassage(id, quote, link) {
    const element = $(id);
    clearPassages();
    const index = indexText(element);
    const start = index.text.indexOf(quote);
    if (start < 0) return;
    const first = index.at[start];
    const last = index.at[start + quote.length - 1];
    const range = document.createRange();
    range.setStart(first[0], first[1]);
    range.setEnd(last[0], last[1] + 1);
    const marks = markRange(range);
    if (phone.matches) {
      openDocument(id);
      returnTo = link || null;
      if (backButton) backButton.hidden = false;
    } else if (tabs.length) {
      selectDocument(id);
    }
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    marks[0]?.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
    announce(`Highlighted in the ${DOCS[id]}.`);
  }

  function quoteLink(quote, id) {
    const a = document.createElement('a');
    a.className = 'quote-link';
    a.href = `#${id}`;
    a.dataset.doc = id;
    a.dataset.quote = quote;
    a.title = `Show in the ${DOCS[id]}`;
    return a;
  }

  // Quotes of the documents in a finished reply become links to their passage: text in
  // "double quotes", `code spans` and blockquotes, when it appears in the resume or the
  // job description.
  function linkQuotes(body) {
    for (const code of body.querySelectorAll('code')) {
      const quote = !code.closest('pre, a') && foldQuote(code.textContent);
      const id = quote && documentOf(quote);
      if (!id) continue;
      const a = quoteLink(quote, id);
      code.replaceWith(a);
      a.append(code);
    }
    for (const quoted of body.querySelectorAll('blockquote')) {
      const quote = !quoted.querySelector('a') && foldQuote(quoted.textContent);
      const id = quote && documentOf(quote);
      if (!id) continue;
      const a = quoteLink(quote, id);
      a.classList.add('quote-block');
      a.append(...quoted.childNodes);
      quoted.append(a);
    }
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    const texts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.closest('a, code, pre')) texts.push(node);
    }
    for (const node of texts) linkQuotesIn(node);
  }

  // `rest` is the text node holding what follows the last link made, from `offset` of the
  // original text on.
  function linkQuotesIn(node) {
    const pattern = /"([^"\n]{8,600})"|“([^”\n]{8,600})”/g;
    const source = node.data;
    let rest = node;
    let offset = 0;
    for (let m = pattern.exec(source); m; m = pattern.exec(source)) {
      const inner = m[1] || m[2];
      const quote = foldQuote(inner);
      const id = quote && documentOf(quote);
      if (!id) continue;
      const from = m.index + 1 - offset;   // inside the quotation marks
      const middle = rest.splitText(from);
      rest = middle.splitText(inner.length);
      offset = m.index + 1 + inner.length;
      const a = quoteLink(quote, id);
      middle.replaceWith(a);
      a.append(middle);
    }
  }

  chat.addEventListener('click', (event) => {
    const link = event.target.closest('a.quote-link');
    if (!link) return;
    event.preventDefault();
    showPassage(link.dataset.doc, link.dataset.quote, link);
  });

  // ---- Scrolling: follow new text only while the reader is at the bottom ----------------
  // The chat scrolls in its own box on wider screens; on phones the page scrolls, and "the
  // bottom" is the end of the chat just above the sticky message box.

  let follow = true;     // false once the reader scrolls up; true again at the bottom
  let lastTop = 0;       // scrollTop after our own last scroll, to tell the reader's moves

  const boxed = () => getComputedStyle(chat).overflowY !== 'visible';
  const scroller = () => (boxed() ? chat : document.scrollingElement);
  // How much of the chat's end is hidden below the view (or the sticky box).
  const distanceToEnd = () => (boxed()
    ? chat.scrollHeight - chat.scrollTop - chat.clientHeight
    : chat.getBoundingClientRect().bottom - form.getBoundingClientRect().top);
  // Phones: how far the reader is past the end of the chat (the box has come unstuck from
  // the bottom of the screen and the documents show below it).
  const pastEnd = () => (boxed() ? 0 : window.innerHeight - form.getBoundingClientRect().bottom);
  const atEnd = () => distanceToEnd() < NEAR_BOTTOM_PX && pastEnd() < NEAR_BOTTOM_PX;

  function scrollToEnd() {
    if (boxed()) {
      chat.scrollTop = chat.scrollHeight;
    } else if (distanceToEnd() > 0) {
      window.scrollBy(0, distanceToEnd());
    } else if (pastEnd() > 0) {
      window.scrollBy(0, -pastEnd());   // back from the documents, or the reply got shorter
    }
    lastTop = scroller().scrollTop;
  }

  function updateJump() {
    if (jump) jump.hidden = follow || distanceToEnd() < NEAR_BOTTOM_PX;
  }

  // Called after the log grew: keeps the newest text in view only for a following reader.
  function keepInView() {
    if (view !== 'chat') return;   // a phone showing a document stays where the reader is
    if (follow) scrollToEnd();
    updateJump();
  }

  // A scroll event does not say who scrolled: moving up is the reader (our own scrolls go
  // down, or back up to the end on a phone), and reaching the end by moving down resumes
  // following.
  function onScroll() {
    if (view !== 'chat') return;
    const top = scroller().scrollTop;
    if (top < lastTop - 1) follow = false;
    else if (top > lastTop) follow = atEnd();   // reading on into the documents stops it too
    lastTop = top;
    updateJump();
  }
  chat.addEventListener('scroll', onScroll, { passive: true });
  window.addEventListener('scroll', onScroll, { passive: true });
  // Wheel-up stops following at once: a smooth scroll moves only a few pixels in its first
  // frame, and the next paint must not snap the reader back down.
  chat.addEventListener('wheel', (event) => {
    if (event.deltaY < 0) follow = false;
  }, { passive: true });
  if (jump) {
    jump.addEventListener('click', () => {
      follow = true;
      scrollToEnd();
      updateJump();
    });
  }

  // ---- Messages ----------------------------------------------------------------------

  function addMessage(role, text) {
    const item = document.createElement('article');
    item.className = `message message-${role}`;
    const label = block('h2', role === 'user' ? 'You said' : 'Claude replied', 'visually-hidden');
    const body = block('div', role === 'user' ? text : '', 'message-body');
    item.append(label, body);
    chat.append(item);
    return item;
  }

  function addInlineError(item, text) {
    const note = block('p', text, 'message-error');
    note.setAttribute('role', 'alert');
    item.append(note);
  }

  function addNote(item, text) {
    const note = block('p', text, 'message-note');
    note.setAttribute('role', 'status');
    item.append(note);
  }

  function showTyping(body) {
    const dots = block('span', '', 'typing');
    dots.setAttribute('aria-hidden', 'true');
    dots.append(block('span', ''), block('span', ''), block('span', ''));
    body.replaceChildren(dots);
  }

  function button(className, text, label, onClick) {
    const b = block('button', text, className);
    b.type = 'button';
    if (label) b.setAttribute('aria-label', label);
    b.addEventListener('click', onClick);
    return b;
  }

  // ---- Copy: navigator.clipboard needs a secure context (https or localhost); on plain
  // http the old hidden-textarea + execCommand('copy') path still works. ---------------

  function copyWithTextarea(text) {
    const back = document.activeElement;   // select() moves focus; the button gets it back
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.setAttribute('aria-hidden', 'true');
    area.className = 'copy-buffer';
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
    area.remove();
    if (back && back.focus) back.focus();
    return ok;
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (_) { /* denied: try the fallback */ }
    }
    return copyWithTextarea(text);
  }

  // Copies and says so on the button for a moment; focus stays where it was.
  async function onCopy(b, getText) {
    const ok = await copyText(getText());
    const label = b.textContent;
    b.textContent = ok ? 'Copied' : 'Copy failed';
    announce(ok ? 'Copied to clipboard.' : 'Copy failed: select the text and press Ctrl+C.');
    setTimeout(() => { b.textContent = label; }, 1500);
  }

  // Code blocks get a header with their language (from ```lang) and a copy button. No
  // highlighter: monospace on a tinted, horizontally scrolling block stays readable.
  function decorateCode(body) {
    for (const pre of body.querySelectorAll('pre')) {
      const code = pre.querySelector('code') || pre;
      const lang = (/language-([\w+#-]+)/.exec(code.className) || [])[1] || 'code';
      const wrap = block('div', '', 'code-block');
      const head = block('div', '', 'code-head');
      head.append(block('span', lang), button('copy', 'Copy', `Copy ${lang} code`,
        (e) => onCopy(e.currentTarget, () => code.textContent)));
      pre.replaceWith(wrap);
      wrap.append(head, pre);
    }
  }

  const NOTE_LENGTH_LIMIT = 'The reply reached its length limit. Ask Claude to go on, or press Regenerate.';
  const NOTE_STOPPED = 'Stopped.';

  // Under the latest finished reply: Copy (its Markdown) and Retry (a failed, stopped or
  // unsent turn) or Regenerate (a complete one), which answers the same question again in
  // place. Only the newest turn keeps Retry/Regenerate.
  function addActions(turn) {
    const actions = block('div', '', 'message-actions');
    if (turn.reply) {
      const markdown = turn.reply.trim();
      actions.append(button('copy', 'Copy', 'Copy reply', (e) => onCopy(e.currentTarget, () => markdown)));
    }
    const again = ['complete', 'max_tokens'].includes(turn.attempt) ? 'Regenerate' : 'Retry';
    actions.append(button(again.toLowerCase(), again, `${again}: ask Claude to answer again`, () => {
      if (!controller) regenerate(turn);
    }));
    turn.item.append(actions);
  }

  // A table wider than the reply scrolls sideways in it; keyboard users reach it with Tab
  // (then the arrow keys scroll it).
  function decorateTables(body) {
    for (const table of body.querySelectorAll('table')) {
      if (table.scrollWidth > table.clientWidth) table.tabIndex = 0;
    }
  }

  function setStreaming(on) {
    send.disabled = on;
    if (stopButton) stopButton.hidden = !on;
    if (status) {
      status.hidden = !on;
      status.textContent = 'Waiting for Claude…';
    }
    chat.setAttribute('aria-busy', on ? 'true' : 'false');
    for (const b of chat.querySelectorAll('.retry, .regenerate')) b.disabled = on;
    setState(on ? 'streaming' : 'idle');
  }

  // ---- The stream ----------------------------------------------------------------------

  // Yields {event, data} from a text/event-stream body, whatever the chunking: lines end in
  // CRLF, LF or CR, and a CR at the end of a chunk waits for the next one, which may begin
  // with the LF of the same line end.
  async function* readEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let data = [];
    const lineEnd = /[\r\n]/g;
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let start = 0;
      for (;;) {
        lineEnd.lastIndex = start;
        const found = lineEnd.exec(buffer);
        if (!found) break;
        const at = found.index;
        if (buffer[at] === '\r' && at === buffer.length - 1 && !done) break;
        const line = buffer.slice(start, at);
        start = at + (buffer[at] === '\r' && buffer[at + 1] === '\n' ? 2 : 1);
        if (line === '') {
          if (data.length) yield { event, data: data.join('\n') };
          event = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = val;
        if (field === 'data') data.push(val);
      }
      buffer = buffer.slice(start);
      if (done) return;   // an event without its blank line never ended: dropped
    }
  }

  const CONNECTION_LOST = 'Error: Connection lost. The reply was interrupted. '
    + 'Check your connection, then press Retry.';
  const NOT_SENT_OFFLINE = 'Not sent: you are offline. Check your connection, then press Retry.';
  const NOT_SENT = 'Not sent: the chat service could not be reached. Check your connection, then press Retry.';
  const MAX_AUTO_WAIT_S = 120;   // longer waits (the daily limit) are said, not waited for
  const MAX_AUTO_RETRIES = 3;

  // Errors nginx answers itself (not an event stream); each says what to do next.
  function httpErrorText(statusCode) {
    if (statusCode === 413) return 'Error: The message is too long. Shorten it and send it again.';
    if (statusCode === 429) return 'Error: Too many messages right now.';
    if (statusCode >= 502 && statusCode <= 504) {
      return 'Error: The chat service is unavailable right now. Please wait a moment, then press Retry.';
    }
    return 'Error: Something went wrong on the server. Please reload the page and try again.';
  }

  function parseData(text) {
    try { return JSON.parse(text); } catch (_) { return {}; }
  }

  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  // Waits, or ends early when the reader presses Stop; true when it waited the whole time.
  const wait = (ms, signal) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(false); }, { once: true });
  });

  const clock = (date) => `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;

  // POST /chat. Right after a Stop the worker may still be closing the stopped reply (it
  // notices the closed connection within about a second) and answers 409, storing nothing;
  // a send or Retry then waits for it, up to ~10 s.
  async function postChat(text, again) {
    const body = { session, message: text };
    if (again) body.regenerate = true;
    for (let attempt = 0; ; attempt++) {
      const response = await fetch('/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (response.status !== 409 || attempt >= 25) return response;
      await sleep(400);
    }
  }

  // One attempt: POST, then read the reply stream, handing each event to `on`. Returns
  // {errorText, outcome} for a reply that ran (outcome: complete | max_tokens | failed),
  // {errorText, refused, retryAfter, status} when the server refused it (nothing stored), or
  // {errorText, notSent} when the request never got an answer.
  async function streamOnce(text, again, on) {
    let response;
    try {
      response = await postChat(text, again);
    } catch (err) {
      if (stoppedByUser) throw err;
      return { errorText: navigator.onLine === false ? NOT_SENT_OFFLINE : NOT_SENT, notSent: true };
    }
    const type = response.headers.get('content-type') || '';
    const retryAfter = Number(response.headers.get('Retry-After')) || 0;
    const refused = (errorText) => ({ errorText, refused: true, retryAfter, status: response.status });
    if (!type.startsWith('text/event-stream')) return refused(httpErrorText(response.status));
    if (response.ok) on.sent();   // the question is stored before the reply streams
    let finished = false;
    let outcome = 'complete';
    let errorText = null;
    for await (const { event, data } of readEvents(response.body)) {
      const payload = parseData(data);
      if (event === 'token' && typeof payload.text === 'string') on.text(payload.text);
      else if (event === 'history' && Number(payload.omitted) > 0) on.history(Number(payload.omitted));
      else if (event === 'notice' && typeof payload.message === 'string') on.notice(payload.message);
      else if (event === 'done') {
        finished = true;
        if (payload.outcome === 'max_tokens') outcome = 'max_tokens';
      } else if (event === 'error') {
        errorText = payload.message || 'Error: The reply failed. Please press Retry.';
      }
    }
    if (!response.ok) return refused(errorText || httpErrorText(response.status));
    if (errorText || !finished) return { errorText: errorText || CONNECTION_LOST, outcome: 'failed' };
    return { errorText: null, outcome };
  }

  // A refusal that says when to come back (Retry-After) is tried again then, by itself, a
  // few times, with a quiet note counting down; Stop ends the wait.
  async function streamReply(turn, again, on) {
    for (let attempt = 0; ; attempt++) {
      const result = await streamOnce(turn.text, again, on);
      const busy = result.refused && [429, 503].includes(result.status);
      const seconds = result.retryAfter || (busy ? 5 : 0);
      if (!busy || seconds > MAX_AUTO_WAIT_S || attempt >= MAX_AUTO_RETRIES) {
        if (busy && seconds > MAX_AUTO_WAIT_S && !/\d/.test(result.errorText)) {
          result.errorText += ` You can try again at ${clock(new Date(Date.now() + seconds * 1000))}.`;
        } else if (busy && !/Retry|try again/i.test(result.errorText)) {
          result.errorText += ' Please press Retry in a moment.';
        }
        return result;
      }
      const at = new Date(Date.now() + seconds * 1000);
      const reason = result.errorText.replace(/^Error:\s*/, '').replace(/\s*Please.*$/, '');
      on.waiting(`${reason} Trying again by itself at ${clock(at)} (in ${seconds} s)…`);
      if (status) status.textContent = 'Waiting to try again…';
      if (!(await wait(seconds * 1000, controller.signal))) throw new DOMException('stopped', 'AbortError');
      on.waiting('');
      if (status) status.textContent = 'Waiting for Claude…';
    }
  }

  // Streams Claude's reply to a turn. A new question gets a new reply under it; `again`
  // (Retry, Regenerate) answers it again in place: the earlier reply stays, dimmed, until
  // the new one's first token, and comes back if the new one fails before any.
  async function runTurn(turn, again, inPlace) {
    const replacing = inPlace && turn.item && turn.item.isConnected;
    if (!replacing) turn.item = addMessage('assistant', '');
    const item = turn.item;
    const replyBody = item.querySelector('.message-body');
    const earlier = replacing ? { reply: turn.reply } : null;
    const extras = replacing ? [...item.querySelectorAll('.message-note, .message-error, .message-notice')] : [];
    item.querySelector('.message-actions')?.remove();
    if (replacing) item.classList.add('message-replaced');
    if (!replacing || !turn.reply) {
      item.classList.remove('message-empty');
      showTyping(replyBody);
    }
    turn.reply = '';
    turn.note = '';
    let waitingNote = null;
    follow = true;   // sending means the reader wants to see this turn
    keepInView();
    let frame = 0;
    // At most one render per animation frame, and only of this reply: a fast stream
    // delivers many tokens per frame, and the rest of the transcript never changes.
    const paint = (complete) => {
      frame = 0;
      renderReply(replyBody, complete ? turn.reply : closeOpenMarkdown(turn.reply));
      keepInView();
    };
    const on = {
      text(piece) {
        if (!turn.reply) {   // the first token: the earlier reply gives way
          item.classList.remove('message-replaced', 'message-empty');
          for (const e of extras) e.remove();
          if (status) status.textContent = 'Streaming...';
        }
        turn.reply += piece;
        if (!frame) frame = requestAnimationFrame(() => paint(false));
      },
      history(omitted) { showHistoryNote(turn, omitted); },
      notice(message) {
        const note = block('p', message, 'message-notice');
        note.setAttribute('role', 'status');
        item.append(note);
        keepInView();
      },
      waiting(text) {
        if (!waitingNote && text) {
          waitingNote = block('p', '', 'message-notice');
          waitingNote.setAttribute('role', 'status');
          item.append(waitingNote);
        }
        if (waitingNote) waitingNote.textContent = text;
        if (waitingNote && !text) { waitingNote.remove(); waitingNote = null; }
      },
      sent() { turn.sent = true; },
    };
    controller = new AbortController();
    stoppedByUser = false;
    setStreaming(true);
    let result;
    try {
      result = await streamReply(turn, again, on);
    } catch (err) {
      result = stoppedByUser ? { outcome: 'stopped' } : { errorText: CONNECTION_LOST, outcome: 'failed' };
    }
    if (frame) cancelAnimationFrame(frame);
    on.waiting('');
    if (earlier && !turn.reply) {   // nothing new arrived: the earlier reply comes back
      item.classList.remove('message-replaced');
      turn.reply = earlier.reply;
      if (!turn.reply) {   // nothing to come back: the earlier attempt's note gives way too
        replyBody.replaceChildren();
        for (const e of extras) e.remove();
      }
    } else {
      paint(!result.errorText && !stoppedByUser);   // a cut-short reply keeps its markers closed
    }
    finishTurn(turn, replyBody, result, stoppedByUser);
  }

  // "Claude no longer sees the first N messages": one quiet note in the conversation, where
  // it first happened; later turns update its count.
  let historyNote = null;
  function showHistoryNote(turn, omitted) {
    const text = `Claude no longer sees the first ${omitted} message${omitted === 1 ? '' : 's'} of this conversation.`;
    turn.history = text;
    if (historyNote) {
      historyNote.textContent = text;
      return;
    }
    historyNote = block('p', text, 'history-note');
    historyNote.setAttribute('role', 'status');
    turn.item.prepend(historyNote);
  }

  // Ends the streaming state first (aria-busy false), so the alert and the announcement
  // below are heard, then adds the message's buttons and gives the box its focus back.
  function finishTurn(turn, replyBody, result, stopped) {
    const focusWasFree = [document.body, input, send, stopButton, null].includes(document.activeElement);
    controller = null;
    setStreaming(false);
    turn.item.classList.toggle('message-empty', !turn.reply);
    turn.ended = new Date();
    decorateCode(replyBody);
    decorateTables(replyBody);
    linkQuotes(replyBody);
    if (stopped) {
      turn.attempt = 'stopped';
      addNote(turn.item, NOTE_STOPPED);
    } else if (result.errorText) {
      turn.attempt = result.refused || result.notSent ? 'not-sent' : 'failed';
      addInlineError(turn.item, result.errorText);
    } else {
      turn.attempt = result.outcome;
      if (result.outcome === 'max_tokens') addNote(turn.item, NOTE_LENGTH_LIMIT);
      announce(`Claude replied: ${replyBody.textContent}`);
    }
    // What Download says under the reply: how this attempt ended.
    turn.note = { stopped: NOTE_STOPPED, failed: result.errorText, 'not-sent': result.errorText,
      max_tokens: NOTE_LENGTH_LIMIT }[turn.attempt] || '';
    addActions(turn);
    keepInView();
    finishedTurns += 1;
    chat.dataset.turns = String(finishedTurns);
    if (downloadButton) downloadButton.disabled = false;
    if (focusWasFree && view === 'chat') input.focus();
  }

  // A new question: shown once, then its reply streams under it.
  function ask(text) {
    if (starters) starters.hidden = true;
    for (const b of chat.querySelectorAll('.retry, .regenerate')) b.remove();   // only the newest turn
    const turn = { text, time: new Date(), userItem: addMessage('user', text), item: null, reply: '', note: '', sent: false };
    turns.push(turn);
    runTurn(turn, false, false);
  }

  // Retry or Regenerate: the same question answered again in place. A question the server
  // never stored (offline, refused) is sent again as new.
  function regenerate(turn) {
    runTurn(turn, turn.sent, true);
  }

  // ---- The message box -------------------------------------------------------------

  // Sending waits while a reply streams; the box stays editable for the next message.
  function submit() {
    if (controller) return;
    const text = input.value;
    if (!text.trim()) return;
    if (charCount(text) > maxChars) {
      updateCounter();
      announce(`The message is ${charCount(text)} characters; the limit is ${maxChars}. Shorten it to send.`);
      return;
    }
    input.value = '';
    updateCounter();
    autoGrow();
    ask(text);
  }

  function stop() {
    if (!controller) return;
    stoppedByUser = true;
    controller.abort();
  }

  // The counter appears at 80 % of MAX_MESSAGE_CHARS. It is not a live region (that would
  // speak on every keystroke); crossing into "near" or "at" the limit is announced once.
  let counterLevel = 0;
  function updateCounter() {
    if (!counter) return;
    const n = charCount(input.value);
    const level = n >= maxChars ? 2 : n >= maxChars * 0.8 ? 1 : 0;
    counter.hidden = level === 0;
    counter.textContent = n > maxChars ? `${n} / ${maxChars}: shorten it to send` : `${n} / ${maxChars}`;
    counter.classList.toggle('over', level === 2);
    if (level > counterLevel) {
      announce(level === 2 ? `Character limit of ${maxChars} reached.`
        : `${n} of ${maxChars} characters used.`);
    }
    counterLevel = level;
  }

  function autoGrow() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, MAX_INPUT_PX)}px`;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const fromButton = document.activeElement === send;
    submit();
    if (fromButton) input.focus();   // keep writing where you are
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey) return;
    if (event.isComposing || event.keyCode === 229) return;  // IME candidate, not a send
    event.preventDefault();   // while a reply streams, Enter neither sends nor adds a line
    submit();
  });
  if (stopButton) stopButton.addEventListener('click', stop);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && controller) {
      event.preventDefault();
      stop();
    }
  });
  input.addEventListener('input', () => { updateCounter(); autoGrow(); });
  for (const starter of document.querySelectorAll('[data-starter]')) {
    starter.addEventListener('click', () => {
      if (!controller) ask(starter.textContent.trim());
    });
  }

  // ---- Keeping the conversation --------------------------------------------------------

  const pad = (n) => String(n).padStart(2, '0');
  const today = () => {
    const d = new Date();
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  };
  const slug = (text) => text.normalize('NFKD').replace(/[^\w-]+/g, '-')
    .replace(/^-+|-+$/g, '').slice(0, 60).toLowerCase() || 'document';

  const stamp = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;

  // As `resume-chat transcript` writes them (transcript.h), so no message can forge a heading
  // or a speaker: control, bidi and zero-width characters escaped (\u202E), every message a
  // block quote, your heading marks escaped, a reply's headings demoted below the turns'.
  const escapeInvisible = (text) => text.replace(
    /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u202E\u2066-\u2069\uFEFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);

  function quoteMessage(text, isReply) {
    let code = false;
    let previous = '';
    return escapeInvisible(text.trimEnd()).split('\n').map((line) => {
      let shown = line;
      const t = line.replace(/^ {0,3}/, '');
      if (/^(```|~~~)/.test(t)) {
        code = !code;
      } else if (!code) {
        const atx = /^(#{1,6})( |$)/.exec(t);
        if (atx && isReply) shown = '#'.repeat(Math.min(6, atx[1].length + 2)) + t.slice(atx[1].length);
        else if (atx) shown = `\\${t}`;
        else if (/^(=+|-+) *$/.test(t) && previous.trim()) shown = `\\${t}`;
      }
      previous = line;
      return shown ? `> ${shown}` : '>';
    }).join('\n');
  }

  function transcript() {
    const who = [app.dataset.candidate || documentName, app.dataset.role].filter(Boolean).join(' · ');
    const lines = [`# Resume chat: ${escapeInvisible(who)}`, '', `Saved ${stamp(new Date())}.`, ''];
    for (const turn of turns) {
      lines.push(`## You · ${stamp(turn.time)}`, '', quoteMessage(turn.text, false), '');
      if (turn.history) lines.push(`_${turn.history}_`, '');
      lines.push(`## Claude · ${stamp(turn.ended || turn.time)}`, '');
      if (turn.reply) lines.push(quoteMessage(turn.reply, true), '');
      if (turn.note) lines.push(`_${escapeInvisible(turn.note)}_`, '');
    }
    return `${lines.join('\n').trimEnd()}\n`;
  }

  if (downloadButton) {
    downloadButton.addEventListener('click', () => {
      const url = URL.createObjectURL(new Blob([transcript()], { type: 'text/markdown;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `resume-chat-${slug(documentName)}-${today()}.md`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
  }

  // Leaving (or reloading, which starts a new session) would lose the conversation on screen
  // and cut a streaming reply short: the browser asks first.
  window.addEventListener('beforeunload', (event) => {
    if (!controller && !turns.length) return;
    event.preventDefault();
    event.returnValue = '';
  });

  updateCounter();
  input.focus();
})();
