"""The measurements of `make bench` (started by bench/run, which sets the environment):
each figure beside the floor measured in this run, and the issue's target. Medians of
repeated rounds: the machine is small and noisy."""
import ctypes
import gzip
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
import http.client
import urllib.request
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "support"))
from chat_client import chat, load_page  # noqa: E402
from stack_db import sql  # noqa: E402
import lifecycle  # noqa: E402

BASE = os.environ["BASE_URL"]
BUILD = os.environ["BUILD"]
ROWS = []


def row(what, ours, floor, target, ok):
    ROWS.append((what, ours, floor, target, "yes" if ok else "NO"))
    print(f"  {what}: {ours} (floor {floor}; target {target})", file=sys.stderr, flush=True)


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wrk(url, seconds=5, connections=16, threads=2):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99_ms, int(errors.group(1)) if errors else 0


def page_throughput():
    ours, floor, uncached = [], [], []
    for _ in range(3):  # alternate, so all see the same noise
        ours.append(wrk(BASE + "/?q=demo"))
        floor.append(wrk(os.environ["FLOOR_PAGE_URL"]))
        uncached.append(wrk(os.environ["UNCACHED_PAGE_URL"]))
    rps, frps = statistics.median(r[0] for r in ours), statistics.median(r[0] for r in floor)
    p99, fp99 = statistics.median(r[1] for r in ours), statistics.median(r[1] for r in floor)
    bad = sum(r[2] for r in ours)
    row("page GET /?q=demo, requests/s (wrk 16 conns, median of 3)", f"{rps:,.0f} ({rps / frps:.2f}x)",
        f"{frps:,.0f}", ">= 0.5x floor, all 200", rps >= 0.5 * frps and bad == 0)
    row("page p99 latency", f"{p99:.2f} ms", f"{fp99:.2f} ms", "-", True)
    urps = statistics.median(r[0] for r in uncached)
    row("  the same with DOCUMENT_CACHE_MS=0 (a PostgreSQL query per page)",
        f"{urps:,.0f} ({urps / frps:.2f}x)", f"{frps:,.0f}", "- (for comparison)",
        sum(r[2] for r in uncached) == 0)
    stop(int(os.environ["UNCACHED_PID"]))  # its database connection must not count later


def stop(pid):
    os.kill(pid, signal.SIGTERM)
    for _ in range(300):  # gone, or a zombie that bench/run reaps at exit
        try:
            if open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.1)


def delays(result):
    return [(arrived - int(text.rstrip(";"))) / 1e6 for arrived, text in result.token_arrivals]


def forwarding():
    ours, floor = [], []
    for _ in range(5):  # 5 streams x 100 tokens, 10 ms apart
        status, token, _ = load_page(BASE)
        ours += delays(chat(BASE, token, "timing run [sim:timed]"))
        floor += delays(chat(os.environ["FLOOR_STREAM_URL"], "-", "-"))
    p50, p99, f50, f99 = pct(ours, 50), pct(ours, 99), pct(floor, 50), pct(floor, 99)
    row(f"token forwarding delay p50, simulator write -> client read ({len(ours)} tokens)",
        f"{p50:.2f} ms", f"{f50:.2f} ms", "<= floor + 0.5 ms", p50 <= f50 + 0.5)
    row("token forwarding delay p99", f"{p99:.2f} ms", f"{f99:.2f} ms", "<= 5 ms", p99 <= 5)


def worker_log_values(key):
    pattern = re.compile(r'"%s":(\d+)' % key)
    with open(os.path.join(os.environ["STACK_DIR"], "worker.log")) as log:
        return [int(m.group(1)) / 1000 for m in map(pattern.search, log) if m]


def pre_upstream():
    for i in range(40):
        status, token, _ = load_page(BASE)
        chat(BASE, token, f"quick {i} [sim:echo]")
    values = worker_log_values("pre_upstream_us")
    p50, p99 = pct(values, 50), pct(values, 99)
    row(f"worker time before the upstream request p50 ({len(values)} chats)", f"{p50:.2f} ms", "-",
        "<= 3 ms", p50 <= 3)
    row("worker time before the upstream request p99", f"{p99:.2f} ms", "-", "-", True)


def db_connections():
    return int(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'resume-chat'"))


def stored_rows(marker):
    return int(sql("SELECT count(*) FROM chats WHERE session_uuid IN (SELECT session_uuid FROM chats "
                   f"WHERE contents LIKE '%{marker}%')"))


class FileOpens:
    """Counts opens of one file by any process (inotify): how often the CA bundle is parsed."""
    IN_OPEN = 0x20

    def __init__(self, path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        self.libc.inotify_add_watch(self.fd, path.encode(), self.IN_OPEN)

    def count(self):
        opened = 0
        try:
            while True:
                data = os.read(self.fd, 65536)
                at = 0
                while at < len(data):
                    _, mask, _, length = struct.unpack_from("iIII", data, at)
                    opened += bool(mask & self.IN_OPEN)
                    at += 16 + length
        except BlockingIOError:
            pass
        return opened

    def close(self):
        os.close(self.fd)


def proc_status(pid, field):
    return int(re.search(field + r":\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def front_log():
    path = os.path.join(os.environ["STACK_DIR"], "api-front", "access.log")
    return open(path).read().splitlines()


def streams_in_flight():
    with urllib.request.urlopen(BASE + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return int(re.search(r"^resume_chat_streams_in_flight (\d+)", text, re.M).group(1))


def concurrent_streams(n=1000):
    """n browsers at once on default settings, the API over TLS + HTTP/2 (bench/loadgen.cc)."""
    worker = int(os.environ["WORKER_PID"])
    log_before = len(front_log())
    opens = FileOpens(os.environ["ANTHROPIC_CA_FILE"])
    cpu_before = cpu_seconds(worker)
    marker = f"stream-{int(time.time())}"
    started = time.monotonic()
    loadgen = subprocess.Popen([os.path.join(BUILD, "bench", "loadgen"), BASE, str(n), f"{marker} [sim:slow]"],
                               stdout=subprocess.PIPE, text=True)
    peak_threads, connections = 0, []
    page_p99 = bad_pages = None
    usage = None
    while usage is None:
        pid, _, child_usage = os.wait4(loadgen.pid, os.WNOHANG)
        if pid == loadgen.pid:
            usage = child_usage
            break
        peak_threads = max(peak_threads, proc_status(worker, "Threads"))
        if page_p99 is None and streams_in_flight() >= 0.9 * n:  # pages while the streams run
            connections.append(db_connections())
            _, page_p99, bad_pages = wrk(BASE + "/?q=demo", seconds=4, connections=4, threads=1)
            connections.append(db_connections())
        time.sleep(0.2)
    result = json.loads(loadgen.stdout.read())
    loadgen.returncode = 0  # reaped above
    worker_cpu = cpu_seconds(worker) - cpu_before
    time.sleep(1)  # the last finishers store their replies
    rows = stored_rows(marker)
    hwm = proc_status(worker, "VmHWM")
    chats = [line.split() for line in front_log()[log_before:] if " POST /v1/messages " in line]
    used = {fields[0] for fields in chats}
    full = {fields[0] for fields in chats if fields[1] == "1" and fields[2] == "."}
    ca_opens = opens.count()
    opens.close()
    ok = result["done"] == n
    row(f"{n} concurrent streams, default settings, API over TLS + HTTP/2: completed", f"{result['done']}/{n}",
        "-", f"{n}/{n}", ok)
    row("  rows stored (user + assistant)", f"{rows}", "-", f"{2 * n}", rows == 2 * n)
    row("  peak worker RSS", f"{hwm / 1024:.1f} MB", "-", "< 64 MB (SDK peer ~220 MB)", hwm < 64 * 1024)
    row("  worker threads", f"{peak_threads}", "-", "-", True)
    row("  TLS connections to the API, full handshakes", f"{len(used)}, {len(full)}", "-", "<= 16 connections",
        len(used) <= 16)
    row("  CA bundle opened during the run (parsed once per process: at startup)", f"{ca_opens}", "-", "0",
        ca_opens == 0)
    row("  first token p50, p90", f"{result['first_token_p50_s']:.2f} s, {result['first_token_p90_s']:.2f} s", "-",
        "p50 < 6 s (SDK peer)", result["first_token_p50_s"] < 6)
    row("  wall time, all streams", f"{result['wall_s']:.1f} s", "-", "< 16 s (SDK peer)", result["wall_s"] < 16)
    row("  database connections (pool max 3)", f"{max(connections)}", "-", "<= 3", max(connections) <= 3)
    row("  page p99 during the streams (wrk 4 conns)", f"{page_p99:.1f} ms", "-", "< 50 ms",
        page_p99 < 50 and bad_pages == 0)
    row("  CPU: worker / load generator (user+sys)", f"{worker_cpu:.1f} s / {usage.ru_utime + usage.ru_stime:.1f} s",
        "-", "generator not the bottleneck", True)


def silent_upstream():
    idle = int(os.environ["CLAUDE_IDLE_TIMEOUT_S"])
    status, token, _ = load_page(BASE)
    started = time.monotonic()
    result = chat(BASE, token, "anyone there? [sim:stall]", timeout=idle * 10)
    waited = time.monotonic() - started
    ok = "stopped responding" in result.error
    row(f"silent upstream: the error after its last byte (CLAUDE_IDLE_TIMEOUT_S={idle})", f"{waited:.2f} s", "-",
        f"<= {idle + 1} s", ok and waited <= idle + 1)


def held_half_requests(peers=4, seconds=3):
    """FastCGI peers that send half a request and wait: the acceptor holds them without
    spinning (edge-triggered), so they cost the worker (almost) no CPU."""
    host, port = os.environ["FCGI_SOCKET"].rsplit(":", 1)
    params = b"".join(bytes([len(k), len(v)]) + k + v for k, v in
                      [(b"REQUEST_METHOD", b"GET"), (b"DOCUMENT_URI", b"/")])
    record = lambda kind, body: struct.pack(">BBHHBB", 1, kind, 1, len(body), 0, 0) + body
    request = record(1, b"\0\1\0\0\0\0\0\0") + record(4, params) + record(4, b"") + record(5, b"")
    pid = int(os.environ["WORKER_PID"])
    sockets = []
    for _ in range(peers):
        s = socket.create_connection((host, int(port)))
        s.sendall(request[:len(request) // 2])
        sockets.append(s)
    time.sleep(0.2)
    before = cpu_seconds(pid)
    time.sleep(seconds)
    spent = cpu_seconds(pid) - before
    for s in sockets:
        s.close()
    row(f"{peers} half-arrived FastCGI requests held {seconds} s: worker CPU", f"{spent:.2f} s", "-",
        "< 0.3 s", spent < 0.3)


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_to_ready_and_idle_rss():
    """Fresh workers on default settings, as the unit starts them, on the address the bench's
    second nginx server passes to: ready time, then RSS once idle after a chat over TLS."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORKER_THREADS", "STREAM_CAPACITY", "DB_POOL_MAX", "DOCUMENT_CACHE_MS",
                        "CLAUDE_IDLE_TIMEOUT_S")}
    env["GNUTLS_NO_IMPLICIT_INIT"] = "1"
    env["FCGI_SOCKET"] = os.environ["UNCACHED"]
    port = int(os.environ["UNCACHED"].rsplit(":", 1)[1])
    base = os.environ["UNCACHED_PAGE_URL"].split("/?")[0]
    ready, rss = [], []
    for _ in range(5):
        started = time.perf_counter()
        worker = subprocess.Popen([os.path.join(BUILD, "resume-chat")], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not port_open(port) and worker.poll() is None and time.perf_counter() - started < 10:
            time.sleep(0.001)
        ready.append((time.perf_counter() - started) * 1000)
        status, token, _ = load_page(base)
        chat(base, token, "hello [sim:echo]")
        time.sleep(0.5)
        rss.append(proc_status(worker.pid, "VmRSS"))
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    ms, kb = statistics.median(ready), statistics.median(rss)
    row("start to ready (startup checks included, default settings; median of 5)", f"{ms:.0f} ms", "-",
        "< 200 ms", ms < 200)
    row("idle RSS after a chat over TLS (default settings)", f"{kb / 1024:.1f} MB", "-", "< 15 MB", kb < 15 * 1024)


def gzip_bytes(url):
    """The body as sent with Accept-Encoding: gzip, and its length on the wire."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""),
                 headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.getheader("Content-Encoding") == "gzip":
        return gzip.decompress(body), len(body)
    return body, len(body)


def first_visit():
    page, total = gzip_bytes(BASE + "/?q=demo")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.decode())
    for asset in assets:
        total += gzip_bytes(BASE + asset)[1]
    row(f"first visit transfer, gzip (page + {len(assets)} assets)", f"{total / 1024:.1f} KB", "-",
        "<= 60 KB", total <= 60 * 1024)


def callgrind(args):
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          os.path.join(BUILD, "bench", "instructions")] + args,
                         capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def instructions():
    templates = os.environ.get("TEMPLATES_DIR", "templates")
    page = [templates, "scripts/demo-document.sql"]
    per_page = (callgrind(["page", "110"] + page) - callgrind(["page", "10"] + page)) / 100
    per_new_page = (callgrind(["page-new", "110"] + page) - callgrind(["page-new", "10"] + page)) / 100
    per_token = (callgrind(["token", "11000"]) - callgrind(["token", "1000"])) / 10000
    row("instructions per page render, a link opened again (callgrind)", f"{per_page:,.0f}", "-",
        "regression check", True)
    row("instructions per page render, a document edited since", f"{per_new_page:,.0f}", "-",
        "regression check", True)
    row("instructions per streamed token (callgrind)", f"{per_token:,.0f}", "-", "regression check", True)


def run_loadgen(base, n, message):
    return lifecycle.run_loadgen(os.path.join(BUILD, "bench", "loadgen"), base, n, message)


def database_far_away(n=1000, streaming=150):
    """The worker whose PostgreSQL is 50 ms away (bench/run: scripts/db-relay): replies that
    end together (the group commit), a chat's start (one round trip), and SIGTERM with
    replies streaming (grace 2 s, the supervisor's kill 5 s after it)."""
    far, near = os.environ["FARDB_URL"], BASE
    env = dict(os.environ, GNUTLS_NO_IMPLICIT_INIT="1", FCGI_SOCKET=os.environ["FARDB"],
               DATABASE_PORT=os.environ["FARDB_RELAY_PORT"], SHUTDOWN_GRACE_S="2", STOP_TIMEOUT_S="7")
    with open(os.path.join(os.environ["STACK_DIR"], "fardb.log"), "ab") as log:
        worker = subprocess.Popen([os.path.join(BUILD, "resume-chat")], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    with open(os.path.join(os.environ["STACK_DIR"], "fardb.pid"), "w") as pid_file:
        pid_file.write(str(worker.pid))  # bench/run stops it if this script does not
    for _ in range(200):
        if load_page(far)[0] == 200:
            break
        time.sleep(0.1)
    before = int(sql("SELECT count(*) FROM chats WHERE message_type = 'assistant'"))
    result = run_loadgen(far, n, "far-together [sim:echo]")
    stored = int(sql("SELECT count(*) FROM chats WHERE message_type = 'assistant'")) - before
    loopback = run_loadgen(near, n, "near-together [sim:echo]")
    row(f"database 50 ms away: {n} replies ending together, done after the last token p50, p99",
        f"{result['done_lag_p50_ms']:.0f} ms, {result['done_lag_p99_ms']:.0f} ms", "-",
        "p99 <= 1000 ms (before: 5.4 s, 6.0 s for 200)", result["done_lag_p99_ms"] <= 1000)
    row("  ... completed, and replies stored", f"{result['done']}/{n}, {stored}", "-", f"{n}, {n}",
        result["done"] == n and stored == n)
    row("  first token p50 with the database 50 ms away / on loopback (same load)",
        f"{result['first_token_p50_s']:.2f} s / {loopback['first_token_p50_s']:.2f} s", "-", "-", True)
    single_far = run_loadgen(far, 1, "far-alone [sim:echo]")["first_token_p50_s"]
    single_near = run_loadgen(near, 1, "near-alone [sim:echo]")["first_token_p50_s"]
    row("  one chat alone: first token, database 50 ms away / on loopback",
        f"{single_far * 1000:.0f} ms / {single_near * 1000:.0f} ms", "-",
        "one round trip more than loopback (before: four)", single_far - single_near < 0.2)
    shutdown_far(far, streaming, worker)


def shutdown_far(far, n, worker):
    marker = "far-shutdown"
    exited = lifecycle.sigterm_mid_stream(os.path.join(BUILD, "bench", "loadgen"), far, n, marker,
                                          worker.pid, lambda: worker.poll() is not None, 7)
    worker.wait()
    missing = lifecycle.unanswered(marker)
    row(f"SIGTERM with {n} replies streaming, database 50 ms away, grace 2 s: exit after",
        "killed" if exited is None else f"{exited:.2f} s", "-", "< 7 s (grace + 5 s)", exited is not None)
    row("  questions without an answer row", f"{missing}/{n}", "-", "0 (before: 56/150)", missing == 0)


def main():
    print("resume-chat bench: measuring (a few minutes)...", file=sys.stderr)
    page_throughput()
    forwarding()
    pre_upstream()
    concurrent_streams()
    database_far_away()
    silent_upstream()
    held_half_requests()
    start_to_ready_and_idle_rss()
    first_visit()
    instructions()
    print(f"\n| measure | resume-chat | floor (same run) | target | met |\n|---|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")
    cpu = subprocess.run(["sh", "-c", "nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.split("\n")
    print(f"\nmachine: {cpu[0]} cores,{cpu[1]}; {time.strftime('%Y-%m-%d %H:%M')}")
    missed = [r[0] for r in ROWS if r[4] == "NO"]
    print("targets missed: " + ("; ".join(missed) if missed else "none"))


if __name__ == "__main__":
    main()
