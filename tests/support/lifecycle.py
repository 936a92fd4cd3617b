"""A reply's end measured from outside, for tests/lifecycle and `make bench`: bench/loadgen
runs, the questions left without an answer, and SIGTERM with replies streaming."""
import json
import os
import signal
import subprocess
import time

from stack_db import sql


def run_loadgen(loadgen, base, streams, message):
    """bench/loadgen's JSON for `streams` browsers asking `message` at once."""
    out = subprocess.run([loadgen, base, str(streams), message], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def unanswered(marker):
    """Questions starting with `marker` with no assistant row after them in their session."""
    return int(sql(
        "SELECT count(*) FROM chats u WHERE u.message_type = 'user' AND u.contents LIKE "
        f"'{marker}%' AND NOT EXISTS (SELECT 1 FROM chats a WHERE a.session_uuid = u.session_uuid "
        "AND a.message_type = 'assistant' AND a.id > u.id)"))


def sigterm_mid_stream(loadgen, base, streams, marker, pid, exited, kill_after_s):
    """Starts `streams` replies ([sim:steady], 8 s each), SIGTERMs the worker `pid` once every
    question is stored, SIGKILLs it at `kill_after_s` (the supervisor's limit) if `exited()`
    is still false by then. Returns the seconds it took to exit, or None when it was killed."""
    client = subprocess.Popen([loadgen, base, str(streams), f"{marker} [sim:steady]"],
                              stdout=subprocess.DEVNULL)
    deadline = time.time() + 60  # every question stored: all are streaming
    while time.time() < deadline and int(sql(
            f"SELECT count(*) FROM chats WHERE contents LIKE '{marker}%'")) < streams:
        time.sleep(0.2)
    time.sleep(1)
    term = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    took = None
    while time.monotonic() - term < kill_after_s:
        if exited():
            took = time.monotonic() - term
            break
        time.sleep(0.05)
    if took is None:
        os.kill(pid, signal.SIGKILL)
    client.wait(60)
    return took
