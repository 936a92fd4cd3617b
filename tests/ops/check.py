"""The checks of tests/ops/ops-test, against its running stack: PostgreSQL, the simulator,
two workers (A and B, with LINK_SECRET and DAILY_TOKEN_BUDGET) behind nginx. Prints "ok   ..."
or "FAIL ..." per check, then "N passed, M failed"; exits non-zero on any failure."""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from chat_client import SESSION_RE, chat  # noqa: E402
from stack_db import sql  # noqa: E402

BASE = os.environ["BASE_URL"]
BIN = os.environ["WORKER_BIN"]
FIX = os.environ["FIXTURES"]
STACK = os.environ["STACK_DIR"]
BUDGET = int(os.environ["DAILY_TOKEN_BUDGET"])
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or detail == "" else f" ({detail})"), flush=True)


def fixture(name):
    return os.path.join(FIX, name)


def command(*args, env=None):
    """Runs the real binary's command with the stack's settings: (status, stdout, stderr)."""
    done = subprocess.run([BIN, *args], env=env or os.environ, capture_output=True, text=True,
                          timeout=60)
    return done.returncode, done.stdout, done.stderr


def get(path_and_query):
    conn = http.client.HTTPConnection(urlsplit(BASE).hostname, urlsplit(BASE).port, timeout=30)
    try:
        conn.request("GET", path_and_query)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def post_chat(token, message):
    """POST /chat: (status, headers, body) of the whole response."""
    conn = http.client.HTTPConnection(urlsplit(BASE).hostname, urlsplit(BASE).port, timeout=60)
    try:
        conn.request("POST", "/chat", json.dumps({"session": token, "message": message}),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def fcgi_chat(port, token, message):
    """POST /chat straight to one worker over FastCGI (cgi-fcgi): its raw response."""
    body = json.dumps({"session": token, "message": message})
    env = {"REQUEST_METHOD": "POST", "DOCUMENT_URI": "/chat", "REQUEST_URI": "/chat",
           "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body.encode())),
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1",
           "PATH": os.environ["PATH"]}
    return subprocess.run(["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{port}"], input=body,
                          env=env, capture_output=True, text=True, timeout=60).stdout


def link(name, *extra):
    status, out, err = command("link", name, *extra)
    assert status == 0, f"link {name}: {status} {err}"
    return out.strip()


def path_of(url):
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def open_page(url):
    status, body = get(path_of(url))
    found = SESSION_RE.search(body)
    return status, body, found.group(1) if found else ""


def documents_snapshot():
    return sql("SELECT md5(COALESCE(string_agg(name || '|' || COALESCE(resume, '') || '|' || "
               "COALESCE(jd, '') || '|' || updated_at::text, '#' ORDER BY name), '')) FROM documents")


def help_and_usage():
    status, out, _ = command("help")
    check("`resume-chat help` lists the commands", status == 0 and "documents put" in out
          and "transcript --document" in out, status)
    status, out, err = command("nope")
    check("an unknown command exits 2 with the usage on stderr",
          status == 2 and out == "" and "unknown command 'nope'" in err and "usage:" in err,
          (status, err[:80]))


REFUSALS = [
    ("photo.png", "it is an image (PNG)"),
    ("scanned.pdf", "the PDF has no text layer (scanned? run OCR first"),
    ("encrypted.pdf", "the PDF is encrypted"),
    ("owner-locked.pdf", "the PDF is encrypted"),
    ("no-such-file.docx", "no such file"),
    ("folder.pdf", "it is a directory"),
    ("huge.txt", "it is larger than 20 MB"),
    ("empty.txt", "the file is empty"),
    ("empty.docx", "there is no text in it"),
    ("old.doc", "it is an old Word (.doc)"),
    ("binary.bin", "binary data"),
    ("latin1.txt", "not UTF-8"),
]


def documents_put():
    before = documents_snapshot()
    for name, reason in REFUSALS:
        status, out, err = command("documents", "put", "jane", fixture(name), fixture("notes.md"))
        lines = err.strip().split("\n")
        check(f"documents put refuses {name}: exit 1, one line naming the file and why",
              status == 1 and out == "" and len(lines) == 1 and fixture(name) in lines[0]
              and reason in lines[0], (status, err.strip()))
    for bad_name, reason in (("", "NAME is empty"), ("n" * 256, "more than the 255")):
        status, _, err = command("documents", "put", bad_name, fixture("resume.pdf"), fixture("notes.md"))
        check(f"documents put refuses a NAME: {reason}", status == 1 and reason in err, (status, err))
    check("the refusals left the documents table untouched", documents_snapshot() == before)

    status, out, err = command("documents", "put", "jane", fixture("resume.pdf"), fixture("resume.docx"))
    check("documents put creates a row from a PDF and a DOCX",
          status == 0 and re.fullmatch(r"created document 'jane': resume \d+ characters \(PDF\), "
                                       r"job description \d+ characters \(DOCX\)\n", out), (status, out, err))
    resume, jd = sql("SELECT resume FROM documents WHERE name = 'jane'"), \
        sql("SELECT jd FROM documents WHERE name = 'jane'")
    check("the PDF's text layer is stored, in reading order, whitespace normalised",
          resume.startswith("Renée Fixture\nSenior Site Reliability Engineer\nExperience: Acme Corp"),
          resume[:80])
    check("the DOCX's paragraphs are stored with their breaks and list items",
          "Staff Engineer & Mentor\n\n- Led the ledger rewrite\n- Cut p99 latency" in jd, jd[:120])
    created = sql("SELECT updated_at FROM documents WHERE name = 'jane'")
    status, out, _ = command("documents", "put", "jane", fixture("pdf-named.txt"), fixture("notes.md"))
    check("documents put replaces the row; a PDF named .txt is read as a PDF",
          status == 0 and out.startswith("replaced document 'jane'") and "characters (PDF)" in out
          and "characters (text)" in out, out)
    check("replacing updates updated_at and the texts",
          sql("SELECT updated_at FROM documents WHERE name = 'jane'") != created
          and sql("SELECT jd FROM documents WHERE name = 'jane'").startswith("# Job: Platform Engineer\n\nWe need:"))
    as_app = {k: v for k, v in os.environ.items() if k not in ("DB_ADMIN_USER", "DB_ADMIN_PASSWORD")}
    status, _, err = command("documents", "put", "jane", fixture("resume.pdf"), fixture("notes.md"), env=as_app)
    check("without DB_ADMIN_USER the commands use DATABASE_USER, which may not write documents (exit 3)",
          status == 3 and "permission denied" in err and os.environ["DATABASE_PASSWORD"] not in err, (status, err))
    command("documents", "put", "jane", fixture("resume.pdf"), fixture("resume.docx"))


HOSTILE = [
    # 20 s of CPU time; on a busy machine the 40 s wall-clock deadline may come first.
    ("overlap-16mb.pdf", "the PDF is too slow to read: "),
    ("contents-64.pdf", "the PDF is too slow to read: "),
    ("pages-1000.pdf", "the PDF is too large: 1000 pages, more than the 100 read"),
    ("page-tree.pdf", "the PDF opens but could not read its page tree: it is damaged; print it to PDF again"),
    ("text-60-pages.pdf", "more than the 200000 characters of text a document may have (reading stopped at page"),
    ("tags-63mb.docx", "the Word document is too large: its text part inflates to more than 8 MB"),
    ("bomb-3gb.docx", "the Word document is too large: its text part inflates to more than 8 MB"),
    ("nul-ref.docx", "the Word document is not as Word writes it: &#0; (a character reference XML does not allow)"),
    ("entity.docx", "the Word document is not as Word writes it: an undeclared entity &eacute;"),
    ("doctype.docx", "the Word document is not as Word writes it: a DOCTYPE"),
    ("text-250k.docx", "more than the 200000 characters of text a document may have"),
]


def measured_put(name, resume, jd):
    """documents put through the real binary: (status, stdout, stderr, seconds, peak MB). The
    peak is wait4's: the command's and its reader child's, whichever was larger."""
    start = time.monotonic()
    process = subprocess.Popen([BIN, "documents", "put", name, resume, jd], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    err = process.stderr.read()  # a line or two each: neither pipe can fill
    out = process.stdout.read()
    process.stderr.close()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return process.returncode, out, err, time.monotonic() - start, usage.ru_maxrss / 1024


def hostile_documents():
    """Issue 19: the readers' limits through the real command; time and peak memory logged."""
    directory = os.path.join(STACK, "hostile")
    subprocess.run(["tests/documents/make-hostile", directory], check=True)
    before = documents_snapshot()
    for name, reason in HOSTILE:
        path = os.path.join(directory, name)
        status, out, err, seconds, peak = measured_put("jane", path, fixture("notes.md"))
        print(f"     {name}: {seconds:.2f} s, peak {peak:.0f} MB: {err.strip()}", flush=True)
        lines = err.strip().split("\n")
        check(f"documents put refuses hostile {name}: exit 1, one line saying what was too large or wrong",
              status == 1 and out == "" and len(lines) == 1 and path in lines[0] and reason in lines[0],
              (status, err.strip()))
    status, _, err = command("documents", "put", "jane\u202efdp.exe", fixture("resume.pdf"), fixture("notes.md"))
    check("documents put refuses a NAME with U+202E, naming it and where", status == 1
          and "NAME has U+202E RIGHT-TO-LEFT OVERRIDE (a bidi control) at character 5 of 12" in err, (status, err))
    check("the hostile files and names left the documents table untouched", documents_snapshot() == before)
    status, out, err, seconds, peak = measured_put("long-resume", os.path.join(directory, "resume-5-pages.pdf"),
                                                   os.path.join(directory, "resume-styled.docx"))
    print(f"     resume-5-pages.pdf + resume-styled.docx: {seconds:.2f} s, peak {peak:.0f} MB", flush=True)
    resume = sql("SELECT resume FROM documents WHERE name = 'long-resume'")
    jd = sql("SELECT jd FROM documents WHERE name = 'long-resume'")
    check("a 5-page PDF and a DOCX as Word writes it are stored whole", status == 0
          and out.startswith("created document 'long-resume'") and resume.startswith("Resume line 0.0:")
          and "\n\nResume line 4.0: " in resume and jd.startswith("Item 0: led the migration")
          and "\n- Item 399: led the migration of billing to PostgreSQL" in jd, (status, err, resume[:60], jd[-80:]))
    command("documents", "delete", "long-resume")


def documents_list(expect_sessions):
    status, out, _ = command("documents", "list")
    rows = {line.split()[0]: line.split() for line in out.strip().split("\n")[1:]}
    jane = rows.get("jane", [])
    return status, out, rows, jane, len(jane) == 6 and jane[-1] == str(expect_sessions)


def links():
    url = link("jane")
    check("`resume-chat link` prints PUBLIC_URL/?q=NAME&exp=…&sig=…",
          re.fullmatch(re.escape(os.environ["PUBLIC_URL"]) + r"/\?q=jane&exp=\d+&sig=[A-Za-z0-9_-]{43}", url), url)
    status, body, token = open_page(url)
    check("the signed link opens the page", status == 200 and 'data-ready="true"' in body
          and "Renée Fixture" in body and token, status)
    reply = chat(BASE, token, "hello from an invited page [sim:echo]")
    check("the session token of a page opened by a link works", reply.status == 200 and reply.done,
          (reply.status, reply.error))
    for what, path in (("a bare ?q=NAME", "/?q=jane"), ("a bare ?q= of an unknown name", "/?q=nobody")):
        status, body = get(path)
        check(f"{what} is 403 with the message in the error area", status == 403
              and "This page opens only from its invitation link" in body
              and 'data-ready="false"' in body and "Renée" not in body, status)
    exp, sig = re.search(r"exp=(\d+)&sig=(.*)$", url).groups()
    tampered = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    moved = re.search(r"exp=\d+&sig=.*$", link("demo")).group(0)
    for what, path in (("a tampered signature", f"/?q=jane&exp={exp}&sig={tampered}"),
                       ("a later expiry", f"/?q=jane&exp={int(exp) + 3600}&sig={sig}"),
                       ("a signature moved to another name", "/?q=jane&" + moved)):
        status, body = get(path)
        check(f"{what} is 403", status == 403 and "This invitation link is not valid" in body, status)
    short = link("jane", "--expires", "2s")
    expires = int(re.search(r"exp=(\d+)", short).group(1))
    status, _, _ = open_page(short)
    check("a 2s link opens at first", status == 200, status)
    while time.time() < expires + 1:
        time.sleep(0.2)
    status, body, _ = open_page(short)
    check("once expired, the link is 410 saying it expired", status == 410
          and "This invitation link expired on " in body and 'data-ready="false"' in body, status)
    status, _, err = command("link", "nobody")
    check("link for an unknown document exits 1", status == 1 and "no document named 'nobody'" in err, err)
    status, _, err = command("link", "jane", "--expires", "400d")
    check("link refuses a duration past 366 days (exit 2)", status == 2, status)
    return token


def transcripts(first_token):
    first = first_token.split(".")[1]
    status, out, _ = command("transcript", first)
    check("transcript SESSION_UUID prints the conversation as Markdown", status == 0
          and out.startswith(f"# Transcript of session {first}\n\n- Document: jane\n- Started: ")
          and "\n## User · " in out and "hello from an invited page [sim:echo]" in out
          and "\n## Assistant · " in out and "- Messages: 2\n" in out, out[:300])
    status, upper, _ = command("transcript", first.upper())
    check("an upper-case UUID is the same session", status == 0 and upper == out)
    _, _, second_token = open_page(link("jane"))
    chat(BASE, second_token, "a second session [sim:echo]")
    second = second_token.split(".")[1]
    status, out, _ = command("transcript", "--document", "jane")
    check("transcript --document prints every session, newest first", status == 0
          and out.startswith("# Transcripts of jane\n\n2 sessions, newest first.\n\n")
          and 0 < out.find(f"## Session {second}") < out.find(f"## Session {first}")
          and "### User · " in out, out[:200])
    status, _, err = command("transcript", "00000000-0000-4000-8000-000000000000")
    check("transcript of an unknown session exits 1", status == 1 and "no messages stored" in err, err)
    status, _, _ = command("transcript", "--document", "nobody")
    check("transcript --document of a document without sessions exits 1", status == 1)
    status, out, rows, jane, ok = documents_list(2)
    check("documents list: name, characters of each text, updated time, sessions",
          status == 0 and out.startswith("NAME") and ok and "demo" in rows, out)


def chat_log_lines(worker):
    with open(os.path.join(STACK, f"worker-{worker}.log")) as log:
        return [json.loads(line) for line in log if line.startswith("{") and '"route":"/chat"' in line]


def used_today():
    return int(sql("SELECT COALESCE(sum(input_tokens + cache_creation_tokens + cache_read_tokens + "
                   "output_tokens), 0) FROM token_usage WHERE day = (now() AT TIME ZONE 'UTC')::date"))


def metric(name):
    status, body = get("/metrics")
    found = re.search(rf"^{name} (\d+)$", body, re.M)
    return int(found.group(1)) if found else None


def spend_the_budget():
    _, _, token = open_page(link("demo"))
    statuses = []
    for i in range(40):
        status, headers, body = post_chat(token, f"message {i} [sim:echo]")
        statuses.append(status)
        if status != 200:
            break
    completed = statuses.count(200)
    check("chats complete until the day's total reaches the budget, then 429",
          completed >= 2 and statuses[-1] == 429, statuses)
    check("the 429 is an error event saying the daily limit is reached and when it resets",
          f"daily limit of {BUDGET:,} tokens for this chat is reached. It resets at 00:00 UTC, in "
          in body and body.startswith("event: error\n") and headers.get("Retry-After", "").isdigit()
          and int(headers["Retry-After"]) > 0, (body, headers.get("Retry-After")))
    served = [sum(1 for line in chat_log_lines(w) if line.get("status") == 200) for w in "ab"]
    check("both workers served replies counted in the one budget", all(n > 0 for n in served), served)
    logged = sum(line.get(k, 0) for w in "ab" for line in chat_log_lines(w)
                 for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                           "cache_creation_input_tokens"))
    check("the day's total in PostgreSQL is every reply's tokens of both workers",
          used_today() == logged and used_today() >= BUDGET, (used_today(), logged))
    return token


def both_workers_refuse(token, when):
    answers = [fcgi_chat(os.environ[f"WORKER_{w}_PORT"], token, "over budget?") for w in "AB"]
    check(f"{when}: each worker refuses with 429 on its own (the total is shared)",
          all(a.startswith("Status: 429") and "daily limit" in a for a in answers),
          [a[:40] for a in answers])


def budget():
    token = spend_the_budget()
    both_workers_refuse(token, "over budget")
    status, _, _ = open_page(link("demo"))
    check("pages still load when the budget is spent", status == 200, status)
    check("/metrics shows the budget and the day's usage",
          metric("resume_chat_daily_token_budget") == BUDGET
          and metric("resume_chat_daily_tokens_used") == used_today(),
          (metric("resume_chat_daily_token_budget"), metric("resume_chat_daily_tokens_used")))
    restart_workers()
    both_workers_refuse(token, "after both workers restarted")
    sql("UPDATE token_usage SET day = day - 1")  # as if the UTC day had turned
    reply = chat(BASE, token, "a new day [sim:echo]")
    check("a new UTC day starts from zero", reply.status == 200 and reply.done and used_today() > 0,
          (reply.status, reply.error))


def restart_workers():
    for w in "ab":
        pid = int(open(os.path.join(STACK, f"worker-{w}.pid")).read())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                break
    for w in "ab":
        lines = len(open(os.path.join(STACK, f"worker-{w}.log")).readlines())
        subprocess.run(["bash", "-c", f"start_worker_on {w} {os.environ['WORKER_' + w.upper() + '_PORT']}"],
                       check=True)
        for _ in range(200):
            if '"msg":"ready"' in "".join(open(os.path.join(STACK, f"worker-{w}.log")).readlines()[lines:]):
                break
            time.sleep(0.1)


def least_privilege():
    env = dict(os.environ, PGPASSWORD=os.environ["DATABASE_PASSWORD"])
    refused = []
    for statement in ("DELETE FROM token_usage", "TRUNCATE token_usage", "SELECT * FROM sessions",
                      "UPDATE sessions SET document_name = 'x'", "DELETE FROM sessions",
                      "DELETE FROM documents", "INSERT INTO documents (name) VALUES ('evil')"):
        done = subprocess.run(["psql", "-X", "-q", "-h", os.environ["DATABASE_HOST"], "-p",
                               os.environ["DATABASE_PORT"], "-U", os.environ["DATABASE_USER"], "-d",
                               os.environ["DATABASE_NAME"], "-c", statement],
                              env=env, capture_output=True, text=True)
        if "permission denied" not in done.stderr:
            refused.append(statement)
    check("the worker's role may do no more with the new tables than it needs", not refused, refused)


def deleting():
    status, out, _ = command("documents", "delete", "jane")
    check("documents delete removes the row", status == 0 and "deleted document 'jane'" in out
          and sql("SELECT count(*) FROM documents WHERE name = 'jane'") == "0", out)
    status, _, err = command("documents", "delete", "jane")
    check("deleting it again exits 1", status == 1 and "no document named 'jane'" in err, err)
    status, out, _ = command("transcript", "--document", "jane")
    check("a deleted document's transcripts stay readable", status == 0 and "2 sessions" in out, status)


def no_secret_in_logs():
    secrets = [os.environ[k] for k in ("DATABASE_PASSWORD", "DB_ADMIN_PASSWORD", "ANTHROPIC_API_KEY",
                                       "LINK_SECRET", "SESSION_SECRET")]
    logs = [os.path.join(STACK, f) for f in os.listdir(STACK) if f.endswith(".log")]
    logs += [os.path.join(STACK, "nginx", "logs", f) for f in os.listdir(os.path.join(STACK, "nginx", "logs"))]
    leaked = [log for log in logs if any(s in open(log, errors="replace").read() for s in secrets)]
    check("no secret in any log", not leaked, leaked)


def main():
    help_and_usage()
    documents_put()
    hostile_documents()
    first_token = links()
    transcripts(first_token)
    budget()
    least_privilege()
    deleting()
    no_secret_in_logs()
    print(f"\n{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
