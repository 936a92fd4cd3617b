// resume-chat page script: sends a message to POST /chat and renders the reply as its
// tokens stream in (text/event-stream read with fetch). No framework; marked renders the
// reply's Markdown and DOMPurify sanitizes it, so nothing in a reply can run script.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const app = $('app');
  const chat = $('chat');
  const form = $('composer');
  const input = $('message');
  const send = $('send');
  const status = $('status');
  const jump = $('jump');
  const announcer = $('announce');
  const counter = $('counter');
  if (!app || !chat || !form || !input || !send) return;

  const ready = app.dataset.ready === 'true';
  const session = app.dataset.session || '';
  const maxChars = Number(app.dataset.maxChars) || 8000;
  const NEAR_BOTTOM_PX = 48;
  const MAX_INPUT_PX = 240;   // the box grows with its text up to this, then scrolls

  let controller = null;  // AbortController of the turn in flight
  let stoppedByUser = false;
  let turns = 0;

  const setState = (state) => { document.body.dataset.state = state; };
  setState(ready ? 'idle' : 'error');

  // One polite live region speaks for the page: the log itself is aria-live=off, so a
  // screen reader hears each reply once, when it is complete, instead of every token.
  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  // Raw HTML in a reply is shown as the text it is (like code), not interpreted; DOMPurify
  // below is the second line of defence for everything Markdown itself produces.
  if (window.marked) {
    window.marked.use({ renderer: { html: (token) => escapeHtml(token.text || token.raw || '') } });
  }

  if (window.DOMPurify) {
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

  // ---- Scrolling: follow new text only while the reader is at the bottom ----------------

  let follow = true;     // false once the reader scrolls up; true again at the bottom
  let lastTop = 0;       // scrollTop after our own last scroll, to tell the reader's moves

  const nearBottom = () =>
    chat.scrollHeight - chat.scrollTop - chat.clientHeight < NEAR_BOTTOM_PX;

  function scrollToEnd() {
    chat.scrollTop = chat.scrollHeight;
    lastTop = chat.scrollTop;
  }

  function updateJump() {
    if (jump) jump.hidden = follow || nearBottom();
  }

  // Called after the log grew: keeps the newest text in view only for a following reader.
  function keepInView() {
    if (follow) scrollToEnd();
    updateJump();
  }

  // A scroll event does not say who scrolled: moving up is always the reader (our own
  // scrolls only go down), and reaching the bottom by moving down resumes following.
  chat.addEventListener('scroll', () => {
    const top = chat.scrollTop;
    if (top < lastTop - 1) follow = false;
    else if (top > lastTop && nearBottom()) follow = true;
    lastTop = top;
    updateJump();
  }, { passive: true });
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
    const label = document.createElement('h2');
    label.className = 'visually-hidden';
    label.textContent = role === 'user' ? 'You said' : 'Claude replied';
    const body = document.createElement('div');
    body.className = 'message-body';
    if (role === 'user') body.textContent = text;
    item.append(label, body);
    chat.append(item);
    return body;
  }

  function addInlineError(item, text) {
    const note = document.createElement('p');
    note.className = 'message-error';
    note.setAttribute('role', 'alert');
    note.textContent = text;
    item.append(note);
  }

  function button(className, text, label, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.textContent = text;
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
      const block = document.createElement('div');
      block.className = 'code-block';
      const head = document.createElement('div');
      head.className = 'code-head';
      const name = document.createElement('span');
      name.textContent = lang;
      head.append(name, button('copy', 'Copy', `Copy ${lang} code`,
        (e) => onCopy(e.currentTarget, () => code.textContent)));
      pre.replaceWith(block);
      block.append(head, pre);
    }
  }

  // Under a finished reply: Copy (the reply's Markdown) and, for a failed or stopped turn,
  // Retry, which sends the same text again as a new message in the same session.
  function addActions(item, reply, retryText) {
    const actions = document.createElement('div');
    actions.className = 'message-actions';
    if (reply) {
      const markdown = reply.trim();
      actions.append(button('copy', 'Copy', 'Copy reply', (e) => onCopy(e.currentTarget, () => markdown)));
    }
    if (retryText !== null) {
      actions.append(button('retry', 'Retry', 'Retry: send your message again', (e) => {
        if (controller) return;
        e.currentTarget.remove();
        runTurn(retryText);
      }));
    }
    if (actions.childElementCount) item.append(actions);
  }

  function setStreaming(on) {
    input.disabled = on;
    send.textContent = on ? 'Stop' : 'Send';
    send.setAttribute('aria-label', on ? 'Stop the reply' : 'Send message');
    if (status) status.hidden = !on;
    chat.setAttribute('aria-busy', on ? 'true' : 'false');
    for (const b of chat.querySelectorAll('.retry')) b.disabled = on;
    setState(on ? 'streaming' : 'idle');
  }

  // ---- The stream ----------------------------------------------------------------------

  // Yields {event, data} from a text/event-stream body, whatever the chunking.
  async function* readEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      buffer = buffer.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          if (field === 'data') data.push(val);
        }
        if (data.length) yield { event, data: data.join('\n') };
      }
      if (done) return;
    }
  }

  const CONNECTION_LOST = 'Error: Connection lost. The reply was interrupted. '
    + 'Check your connection, then press Retry.';

  // Errors nginx answers itself (not an event stream); each says what to do next.
  function httpErrorText(statusCode) {
    if (statusCode === 413) return 'Error: The message is too long. Shorten it and send it again.';
    if (statusCode === 429) return 'Error: Too many messages. Please wait a moment, then press Retry.';
    if (statusCode >= 502 && statusCode <= 504) {
      return 'Error: The chat service is unavailable. Please wait a moment, then press Retry.';
    }
    return `Error: The server answered ${statusCode}. Please reload the page and try again.`;
  }

  function parseData(text) {
    try { return JSON.parse(text); } catch (_) { return {}; }
  }

  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  // POST /chat. Right after a Stop the worker may still be closing the stopped reply (it
  // notices the closed connection within about a second) and answers 409, storing nothing;
  // a send or Retry then waits for it, up to ~10 s.
  async function postChat(text) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch('/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ session, message: text }),
        signal: controller.signal,
      });
      if (response.status !== 409 || attempt >= 25) return response;
      await sleep(400);
    }
  }

  // Reads the reply stream; onText gets each piece. Returns the error text, or null.
  async function streamReply(text, onText) {
    const response = await postChat(text);
    const type = response.headers.get('content-type') || '';
    if (!type.startsWith('text/event-stream')) return httpErrorText(response.status);
    let finished = false;
    let errorText = null;
    for await (const { event, data } of readEvents(response.body)) {
      const payload = parseData(data);
      if (event === 'token' && typeof payload.text === 'string') onText(payload.text);
      else if (event === 'done') finished = true;
      else if (event === 'error') {
        errorText = payload.message || 'Error: The reply failed. Please press Retry.';
      }
    }
    return errorText || (finished ? null : CONNECTION_LOST);
  }

  async function runTurn(text) {
    addMessage('user', text);
    const replyBody = addMessage('assistant', '');
    const item = replyBody.closest('.message');
    follow = true;   // sending means the reader wants to see this turn
    keepInView();
    let reply = '';
    let frame = 0;
    // At most one render per animation frame, and only of this reply: a fast stream
    // delivers many tokens per frame, and the rest of the transcript never changes.
    const paint = () => {
      frame = 0;
      renderReply(replyBody, reply);
      keepInView();
    };
    controller = new AbortController();
    stoppedByUser = false;
    setStreaming(true);
    let errorText;
    try {
      errorText = await streamReply(text, (piece) => {
        reply += piece;
        if (!frame) frame = requestAnimationFrame(paint);
      });
    } catch (err) {
      errorText = stoppedByUser ? 'Stopped.' : CONNECTION_LOST;
    }
    if (frame) cancelAnimationFrame(frame);
    paint();
    finishTurn(item, replyBody, reply, errorText, text);
  }

  // Ends the streaming state first (aria-busy false), so the alert and the announcement
  // below are heard, then adds the message's buttons and gives the box its focus back.
  function finishTurn(item, replyBody, reply, errorText, text) {
    const focusWasFree = [document.body, input, send, null].includes(document.activeElement);
    controller = null;
    setStreaming(false);
    if (!reply) item.classList.add('message-empty');
    decorateCode(replyBody);
    if (errorText) addInlineError(item, errorText);
    else announce(`Claude replied: ${replyBody.textContent}`);
    addActions(item, reply, errorText ? text : null);
    keepInView();
    turns += 1;
    chat.dataset.turns = String(turns);
    if (focusWasFree) input.focus();
  }

  // ---- The message box -------------------------------------------------------------

  function submit() {
    if (!ready || controller) return;
    const text = input.value;
    if (!text.trim()) return;
    if (text.length > maxChars) return;
    input.value = '';
    updateCounter();
    autoGrow();
    runTurn(text);
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
    const n = input.value.length;
    const level = n >= maxChars ? 2 : n >= maxChars * 0.8 ? 1 : 0;
    counter.hidden = level === 0;
    counter.textContent = `${n} / ${maxChars}`;
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

  // Send turns into Stop while streaming; a double click must not stop what it just sent.
  let sentAt = 0;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!controller) {
      sentAt = Date.now();
      submit();
    } else if (Date.now() - sentAt > 500) {
      stop();
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey) return;
    if (event.isComposing || event.keyCode === 229) return;  // IME candidate, not a send
    event.preventDefault();
    submit();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && controller) {
      event.preventDefault();
      stop();
    }
  });
  input.addEventListener('input', () => { updateCounter(); autoGrow(); });
  updateCounter();
  if (ready) input.focus();
})();
