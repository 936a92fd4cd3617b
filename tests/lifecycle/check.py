"""The checks of tests/lifecycle/lifecycle-test against its stack (PostgreSQL behind a
25 ms relay). Prints "ok   ..." or "FAIL ..." per check and "figure ..." lines, then
"N passed, M failed"; exits non-zero on any failure."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lifecycle import run_loadgen, sigterm_mid_stream, unanswered  # noqa: E402
from stack_db import sql  # noqa: E402

BASE = os.environ["BASE_URL"]
LOADGEN = os.environ["LOADGEN"]
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else f" ({detail})"), flush=True)


def replies_end_together(streams=400):
    before = int(sql("SELECT count(*) FROM chats WHERE message_type = 'assistant'"))
    run = run_loadgen(LOADGEN, BASE, streams, "together [sim:echo]")
    stored = int(sql("SELECT count(*) FROM chats WHERE message_type = 'assistant'")) - before
    print(f"figure {streams} replies ending together, database 50 ms away: done after the last "
          f"token p50 {run['done_lag_p50_ms']:.0f} ms, p99 {run['done_lag_p99_ms']:.0f} ms, "
          f"max {run['done_lag_max_ms']:.0f} ms; first token p50 {run['first_token_p50_s']:.2f} s",
          flush=True)
    check(f"{streams} replies ending together all get done", run["done"] == streams, run)
    check("... and all are stored", stored == streams and unanswered("together") == 0,
          f"{stored} stored")


def shutdown_stores_everything(streams=150):
    worker_pid = int(open(os.path.join(os.environ["STACK_DIR"], "worker.pid")).read())

    def gone():
        try:
            os.kill(worker_pid, 0)
            return False
        except ProcessLookupError:
            return True

    grace = 2
    exited = sigterm_mid_stream(LOADGEN, BASE, streams, "shutdown-run", worker_pid, gone, grace + 5)
    outcomes = sql("SELECT string_agg(o || ':' || n, ',') FROM (SELECT COALESCE(outcome, '?') o, "
                   "count(*) n FROM chats a WHERE message_type = 'assistant' AND EXISTS ("
                   "SELECT 1 FROM chats u WHERE u.session_uuid = a.session_uuid AND u.contents "
                   "LIKE 'shutdown-run%') GROUP BY 1 ORDER BY 1) t")
    print(f"figure SIGTERM with {streams} replies streaming, grace {grace} s, database 50 ms "
          f"away: exited {exited if exited is None else round(exited, 2)} s after it; outcomes "
          f"{outcomes}", flush=True)
    check(f"SIGTERM with {streams} replies streaming: the worker exits before the kill "
          f"(grace + 5 s)", exited is not None)
    missing = unanswered("shutdown-run")
    check("... and every question has its answer row", missing == 0, f"{missing} without")


replies_end_together(int(os.environ.get("LIFECYCLE_STREAMS", "400")))
shutdown_stores_everything()
print(f"\n{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
