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
  if (!app || !chat || !form || !input || !send) return;

  const ready = app.dataset.ready === 'true';
  const session = app.dataset.session || '';
  const maxChars = Number(app.dataset.maxChars) || 8000;
  const NEAR_BOTTOM_PX = 48;

  let controller = null;  // AbortController of the turn in flight
  let stoppedByUser = false;
  let turns = 0;

  const setState = (state) => { document.body.dataset.state = state; };
  setState(ready ? 'idle' : 'error');

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

  const nearBottom = () =>
    chat.scrollHeight - chat.scrollTop - chat.clientHeight < NEAR_BOTTOM_PX;

  function addMessage(role, text) {
    const stick = nearBottom();
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
    if (stick) chat.scrollTop = chat.scrollHeight;
    return body;
  }

  function addInlineError(after, text) {
    const note = document.createElement('p');
    note.className = 'message-error';
    note.setAttribute('role', 'alert');
    note.textContent = text;
    after.closest('.message').append(note);
    chat.scrollTop = chat.scrollHeight;
  }

  function setStreaming(on) {
    input.disabled = on;
    send.textContent = on ? 'Stop' : 'Send';
    send.setAttribute('aria-label', on ? 'Stop the reply' : 'Send message');
    if (status) status.hidden = !on;
    chat.setAttribute('aria-busy', on ? 'true' : 'false');
    setState(on ? 'streaming' : 'idle');
  }

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

  function httpErrorText(statusCode) {
    if (statusCode === 413) return 'Error: The message is too long.';
    if (statusCode === 429) return 'Error: Too many messages. Please wait a moment and try again.';
    if (statusCode >= 502 && statusCode <= 504) {
      return 'Error: The chat service is unavailable. Please try again in a moment.';
    }
    return `Error: The server answered ${statusCode}. Please reload the page and try again.`;
  }

  function parseData(text) {
    try { return JSON.parse(text); } catch (_) { return {}; }
  }

  async function runTurn(text) {
    addMessage('user', text);
    const replyBody = addMessage('assistant', '');
    let reply = '';
    let finished = false;
    let errorText = null;
    let frame = 0;
    const paint = () => {
      frame = 0;
      const stick = nearBottom();
      renderReply(replyBody, reply);
      if (stick) chat.scrollTop = chat.scrollHeight;
    };
    controller = new AbortController();
    stoppedByUser = false;
    setStreaming(true);
    try {
      const response = await fetch('/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ session, message: text }),
        signal: controller.signal,
      });
      const type = response.headers.get('content-type') || '';
      if (!type.startsWith('text/event-stream')) {
        errorText = httpErrorText(response.status);
      } else {
        for await (const { event, data } of readEvents(response.body)) {
          const payload = parseData(data);
          if (event === 'token' && typeof payload.text === 'string') {
            reply += payload.text;
            if (!frame) frame = requestAnimationFrame(paint);
          } else if (event === 'done') {
            finished = true;
          } else if (event === 'error') {
            errorText = payload.message || 'Error: The reply failed. Please try again.';
          }
        }
        if (!finished && !errorText) errorText = 'Error: Connection lost. The reply was interrupted.';
      }
    } catch (err) {
      errorText = stoppedByUser ? 'Stopped.' : 'Error: Connection lost. The reply was interrupted.';
    }
    if (frame) cancelAnimationFrame(frame);
    paint();
    const item = replyBody.closest('.message');
    if (!reply) item.classList.add('message-empty');
    if (errorText) addInlineError(replyBody, errorText);
    else item.setAttribute('aria-live', 'off');
    controller = null;
    setStreaming(false);
    turns += 1;
    chat.dataset.turns = String(turns);
    input.focus();
  }

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

  const counter = document.createElement('span');
  counter.className = 'counter';
  counter.setAttribute('aria-live', 'polite');
  form.append(counter);
  function updateCounter() {
    const n = input.value.length;
    counter.hidden = n < maxChars * 0.8;
    counter.textContent = `${n} / ${maxChars}`;
    counter.classList.toggle('over', n > maxChars);
  }

  function autoGrow() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 240)}px`;
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
