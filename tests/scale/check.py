"""The checks of tests/scale/scale-out-test, against its running two-worker stack.
Prints "ok   ..." or "FAIL ..." per check, then "N passed, M failed"; exits non-zero on any
failure. Environment: BASE_URL, KILL_PID (the worker to SIGKILL), KILL_LOG, SURVIVOR_LOG,
DATABASE_* and DB_ADMIN_* (PostgreSQL itself, not PgBouncer), PGBOUNCER_PORT."""
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from chat_client import ChatResult, chat, load_page  # noqa: E402
from stack_db import sql  # noqa: E402


def get_page(name):
    """GET /?q=NAME: (status, body)."""
    try:
        with urllib.request.urlopen(f"{BASE}/?q={name}", timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")

BASE = os.environ["BASE_URL"]
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else f" ({detail})"), flush=True)


def session_of(token):
    return token.split(".")[1]


def rows(session):
    return sql(f"SELECT string_agg(message_type, ',' ORDER BY id) FROM chats "
               f"WHERE session_uuid = '{session}'")


def new_session():
    status, token, _ = load_page(BASE)
    assert status == 200 and token, f"page load failed: {status}"
    return token


def both_workers_serve():
    tokens = [new_session() for _ in range(10)]
    replies = [chat(BASE, t, f"hello {i} [sim:echo]") for i, t in enumerate(tokens)]
    check("10 chats through the upstream all complete", all(r.done for r in replies),
          [r.status for r in replies if not r.done])
    stored = [rows(session_of(t)) for t in tokens]
    check("each is stored (user, assistant) through PgBouncer",
          all(s == "user,assistant" for s in stored), stored)
    served = [sum('"route":"/chat"' in line for line in open(os.environ[log]))
              for log in ("KILL_LOG", "SURVIVOR_LOG")]
    check("both workers served chats", all(n > 0 for n in served), served)


def through_pgbouncer(query):
    """The query's result as the workers' role, through PgBouncer (a new client each time)."""
    env = dict(os.environ, PGPASSWORD=os.environ["DATABASE_PASSWORD"])
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p", os.environ["PGBOUNCER_PORT"],
         "-U", os.environ["DATABASE_USER"], "-d", os.environ["DATABASE_NAME"], "-c", query],
        env=env, check=True, capture_output=True, text=True).stdout.strip()


def statement_timeout_through_pgbouncer():
    """The workers' own statement timeout (set_config local to each statement's pipeline)
    works through PgBouncer in transaction mode, and never stays on a server connection."""
    sql("INSERT INTO documents (name, resume, jd) VALUES ('scale-locked', 'r', 'j') "
        "ON CONFLICT DO NOTHING")
    token = load_page(BASE, "scale-locked")[1]
    env = dict(os.environ, PGPASSWORD=os.environ["DB_ADMIN_PASSWORD"], PGAPPNAME="scale-locker")
    locker = subprocess.Popen(
        ["psql", "-X", "-q", "-h", os.environ["DATABASE_HOST"], "-p", os.environ["DATABASE_PORT"],
         "-U", os.environ["DB_ADMIN_USER"], "-d", os.environ["DATABASE_NAME"], "-c",
         "BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
              "WHERE c.relname = 'documents' AND l.mode = 'AccessExclusiveLock' AND l.granted") != "1":
        time.sleep(0.05)
    locked = chat(BASE, token, "hi [sim:echo]")
    # A page's 503 is not passed to the other worker (the same database answers it): it
    # shows the seed's text, and no worker is marked failed for it.
    page_status, page_body = get_page("scale-locked")
    still_locked = locker.poll() is None
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'scale-locker'")
    locker.wait(30)
    check("a chat behind a locked table gets the database error while the lock is held "
          "(the workers' statement timeout, through PgBouncer)",
          locked.status == 503 and "Unable to connect to database" in locked.error and still_locked,
          (locked.status, locked.error, still_locked))
    check("a page behind the locked table gets 503 with the seed's database error",
          page_status == 503 and "Unable to connect to database" in page_body, page_status)
    check("... and works once the lock is gone", chat(BASE, token, "again [sim:echo]").done)
    shown = [through_pgbouncer("SHOW statement_timeout") for _ in range(6)]
    check("no server connection kept the workers' timeout (role default 10s on each)",
          all(s == "10s" for s in shown), shown)


def stop_then_retry():
    """Stop a reply, then Retry at once: through the upstream the retry may reach the other
    worker before the first has stored the stopped reply. The session's claim is in the
    database, so that worker refuses (409, Retry-After) until it is stored, and the page's
    retry after it leaves exactly one live answer."""
    token = new_session()
    stopped = chat(BASE, token, "Q [sim:steady]", stop_after=15)
    refusals, again = 0, None
    for _ in range(20):
        again = chat(BASE, token, "Q [sim:steady]", regenerate=True)
        if again.status != 409:
            break
        refusals += 1
        time.sleep(float(again.retry_after or 1))
    check("Stop, then Retry: the retry streams to the end", again.done and len(stopped.text) > 0,
          f"status {again.status} {again.error[:80]}")
    answers = sql(f"SELECT string_agg(COALESCE(outcome, '?') || ':' || "
                  f"(superseded_at IS NOT NULL)::text, ',' ORDER BY id) FROM chats "
                  f"WHERE session_uuid = '{session_of(token)}' AND message_type = 'assistant'")
    questions = sql(f"SELECT count(*) FROM chats WHERE session_uuid = '{session_of(token)}' "
                    f"AND message_type = 'user'")
    check("... exactly one live answer (the stopped one superseded), the question stored once",
          answers == "stopped:true,complete:false" and questions == "1",
          f"{answers}; questions {questions}; {refusals} refusals on the way")


def kill_mid_stream():
    tokens = [new_session() for _ in range(8)]
    replies = [ChatResult() for _ in tokens]

    def run(i):
        chat(BASE, tokens[i], f"stream {i} [sim:slow]", result=replies[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    for t in threads:
        t.start()
    deadline = time.time() + 60  # every stream has started and shown some tokens
    while time.time() < deadline and not all(r.token_arrivals for r in replies):
        time.sleep(0.05)
    os.kill(int(os.environ["KILL_PID"]), signal.SIGKILL)
    pages = [load_page(BASE)[0] for _ in range(40)]
    for t in threads:
        t.join(60)
    check("page loads keep succeeding after a worker is killed", all(p == 200 for p in pages),
          pages)
    cut = [r for r in replies if r.truncated]
    done = [r for r in replies if r.done]
    check("streams on the survivor complete", len(done) > 0, len(done))
    check("streams on the killed worker end, cut short (the page says the reply was interrupted)",
          len(cut) > 0 and all(r.status == 200 and not r.done for r in cut), len(cut))
    check("every stream either completed or was cut short", len(cut) + len(done) == len(tokens),
          [(r.status, r.done, r.truncated, r.error) for r in replies])
    check("no stream failed over mid-reply (nothing sent twice)",
          all(r.text.count("A slow reply") <= 1 for r in replies))
    return tokens, replies


def chat_when_free(token, message, patience_s=45):
    """A chat that waits out 409 (its session still claimed) as the page does: the killed
    worker's claims expire (reply_writer.h, kClaimSeconds) since nothing renews them."""
    deadline = time.time() + patience_s
    while True:
        result = chat(BASE, token, message)
        if result.status != 409 or time.time() > deadline:
            return result
        time.sleep(float(result.retry_after or 1))


def sessions_continue(tokens, replies):
    again = [chat_when_free(t, "and again [sim:echo]") for t in tokens]
    check("every session, the killed worker's too, continues on the survivor",
          all(r.done for r in again), [(r.status, r.error) for r in again if not r.done])
    lost = []
    for token, first in zip(tokens, replies):
        stored = rows(session_of(token)).split(",")
        expected_users = 2
        if stored.count("user") != expected_users or (first.done and "assistant" not in stored[:2]):
            lost.append(stored)
    check("nothing stored is lost: both user messages, and every completed reply", not lost, lost)


def no_secret_in_logs():
    secrets = [os.environ[k] for k in ("DATABASE_PASSWORD", "DB_ADMIN_PASSWORD", "ANTHROPIC_API_KEY")]
    stack = os.environ["STACK_DIR"]
    logs = [os.path.join(stack, f) for f in os.listdir(stack) if f.endswith(".log")]
    logs += [os.path.join(stack, "nginx", "logs", f) for f in os.listdir(os.path.join(stack, "nginx", "logs"))]
    leaked = [log for log in logs if any(s in open(log, errors="replace").read() for s in secrets)]
    check("no secret in any log", not leaked, leaked)


def main():
    both_workers_serve()
    statement_timeout_through_pgbouncer()
    stop_then_retry()
    sessions_continue(*kill_mid_stream())
    no_secret_in_logs()
    print(f"\n{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
