"""A small HTTP client of resume-chat for the scale-out test and `make bench`: loads a page
(its session token) and streams a /chat reply event by event. Python 3 stdlib only."""
import http.client
import json
import re
import time
from urllib.parse import urlsplit

SESSION_RE = re.compile(r'data-session="([^"]*)"')


def _connect(base_url, timeout):
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def load_page(base_url, name="demo", timeout=10):
    """GET /?q=NAME: (status, session token or '', seconds taken)."""
    started = time.perf_counter()
    conn = _connect(base_url, timeout)
    try:
        conn.request("GET", "/?q=" + name)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        found = SESSION_RE.search(body)
        return response.status, (found.group(1) if found else ""), time.perf_counter() - started
    except OSError:
        return 0, "", time.perf_counter() - started
    finally:
        conn.close()


class ChatResult:
    def __init__(self):
        self.status = 0
        self.text = ""
        self.done = False          # the `done` event arrived
        self.error = ""            # the `error` event's message
        self.retry_after = None    # a refusal's Retry-After, in seconds
        self.truncated = False     # the stream ended with neither done nor error
        self.token_arrivals = []   # (time.time_ns() at read, token text)


def chat(base_url, token, message, timeout=60, regenerate=False, stop_after=None, result=None):
    """POST /chat and read the whole event stream; with `stop_after`, leave (as Stop does)
    once that many tokens have arrived. A `result` given is filled as events arrive, so
    another thread can watch the stream's progress."""
    result = result or ChatResult()
    conn = _connect(base_url, timeout)
    body = {"session": token, "message": message}
    if regenerate:
        body["regenerate"] = True
    try:
        conn.request("POST", "/chat", json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        result.status = response.status
        if response.status != 200:
            result.retry_after = response.getheader("Retry-After")
            result.error = response.read().decode("utf-8", "replace")
            return result
        _read_events(response, result, stop_after)
    except (OSError, http.client.HTTPException):
        result.truncated = not (result.done or result.error)
    finally:
        conn.close()
    return result


def _read_events(response, result, stop_after=None):
    event, data = "", []
    while stop_after is None or len(result.token_arrivals) < stop_after:
        line = response.readline()
        if not line:
            result.truncated = not (result.done or result.error)
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line == "" and data:
            payload = json.loads("\n".join(data))
            if event == "token":
                result.token_arrivals.append((time.time_ns(), payload["text"]))
                result.text += payload["text"]
            elif event == "done":
                result.done = True
            elif event == "error":
                result.error = payload.get("message", "")
            event, data = "", []
