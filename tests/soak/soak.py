#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""make soak: sockwatchd under churn and hostile clients, for SOAK_MINUTES.

Run by tests/run in private network and mount namespaces (loopback only):
  - a picture of about 46,000 sockets that stays (bench-mkconns);
  - about 1,000 connections a second opened and closed (by reset, so that
    no TIME-WAIT piles up), and short-lived processes that each hold a
    socket for a moment (27 a second: 32,000 in 20 minutes);
  - clients listing, filtering, asking for status, hanging up mid-answer,
    reading slowly or not at all for seconds (each holding a picture), and
    sending garbage, with sockwatchd polling every 100 ms.
First comes a warm-up without churn: the base picture polled, listed,
filtered and asked for status, so that every path has run once; its RSS
and descriptors are the reference. Every answer that completes is
checked: JSON lines, the header first, the end record's count and totals
agreeing with the groups. sockwatchd's RSS and descriptors are sampled.
It fails on any bad answer, a crash, fds that grow, or an RSS that, ten
seconds after the load stops, stays above 1.25 times the reference.
Every loop is bounded in count and time.
"""
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
DURATION = max(60.0, MINUTES * 60.0)
WARMUP = 20.0  # the base picture polled and listed, no churn yet
CHURN_PER_S = 1000
JOBS_PER_S = 32000 / (20 * 60)
BASE_CONNS = int(os.environ.get("SOAK_CONNS", "23000"))
CLIENTS = 6
CHURN_PORT = 30000
KINDS = ["list", "filter", "status", "garbage", "hangup", "slow", "stall"]
FILTERS = ["sport = :30000", "state established dport >= :20000",
           "proc soak-job", "role listen", "exclude established",
           "( src 127.0.0.1 or dst [::1] ) and sport < :1024", "user 0"]


def log(*args):
    print("soak:", *args, flush=True)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def churner(deadline, counter):
    """Open and reset connections at CHURN_PER_S until the deadline."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", CHURN_PORT))
    srv.listen(512)
    start, n = time.monotonic(), 0
    linger = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")
    while time.monotonic() < deadline and n < CHURN_PER_S * DURATION * 2:
        c = socket.create_connection(("127.0.0.1", CHURN_PORT))
        s, _ = srv.accept()
        c.sendall(b"x" * 100)
        s.recv(100)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        c.close()
        s.close()
        n += 1
        if n % 100 == 0:
            counter.value = n
            ahead = n / CHURN_PER_S - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    counter.value = n


def job():
    """A short-lived process that holds a socket for a moment."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes
        ctypes.CDLL(None).prctl(15, b"soak-job", 0, 0, 0)  # PR_SET_NAME
    except OSError:
        pass
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    time.sleep(random.uniform(0.05, 0.5))
    os._exit(0)


def spawner(deadline, counter):
    """JOBS_PER_S short-lived processes until the deadline."""
    start, n, kids = time.monotonic(), 0, set()
    while time.monotonic() < deadline and n < JOBS_PER_S * DURATION * 2:
        pid = os.fork()
        if pid == 0:
            job()
        kids.add(pid)
        n += 1
        counter.value = n
        while kids:
            done, _ = os.waitpid(-1, os.WNOHANG)
            if done == 0:
                break
            kids.discard(done)
        ahead = n / JOBS_PER_S - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    for pid in kids:
        os.waitpid(pid, 0)


def read_lines(f, limit=None):
    lines = []
    while limit is None or len(lines) < limit:
        line = f.readline()
        if not line:
            break
        lines.append(line)
        rec = json.loads(line)
        if rec.get("type") in ("end", "error", "status"):
            break
    return lines


def check_listing(lines):
    """A whole listing, or the reason it is not a good one."""
    recs = [json.loads(line) for line in lines]
    if not recs:
        return "empty answer"
    if recs[0].get("type") == "error":
        return None if recs[0].get("code") == "unavailable" else \
            "error " + recs[0].get("code", "?")
    if recs[0].get("type") != "header" or \
            recs[0].get("schema") != "sockwatch/1":
        return "no header first"
    if recs[-1].get("type") != "end":
        return "no end record"
    groups = [r for r in recs[1:-1]]
    if any(g.get("type") != "group" for g in groups):
        return "a record that is no group between header and end"
    if recs[-1].get("count") != len(groups):
        return f"end count {recs[-1].get('count')} for {len(groups)} groups"
    n = sum(len(g.get("sockets", [])) + len(g.get("connections", []))
            for g in groups)
    if recs[-1].get("totals", {}).get("sockets") != n:
        return f"totals {recs[-1].get('totals')} for {n} sockets"
    return None


def client(sock, deadline, seed, stats, bad, kinds=None):
    """One hostile or honest client after another until the deadline."""
    rnd = random.Random(seed)
    kinds = kinds or ["list"] * 2 + ["filter"] * 6 + ["status"] * 4 + \
        ["garbage"] * 3 + ["hangup"] * 3 + ["slow"] * 1 + ["stall"] * 1
    n = 0
    while time.monotonic() < deadline and n < 1000000:
        n += 1
        kind = rnd.choice(kinds)
        try:
            c = socket.socket(socket.AF_UNIX)
            c.settimeout(30)
            c.connect(sock)
            f = c.makefile("r", encoding="utf-8")
            if kind == "garbage":
                c.sendall(bytes(rnd.randrange(1, 256) for _ in range(
                    rnd.randrange(1, 300))).replace(b"\n", b" ") + b"\n")
                rec = json.loads(f.readline())
                if rec.get("type") != "error":
                    bad.put("garbage got " + str(rec.get("type")))
            elif kind == "status":
                c.sendall(b'{"v":1,"cmd":"status"}\n')
                rec = json.loads(f.readline())
                if rec.get("type") != "status":
                    bad.put("status got " + str(rec.get("type")))
            elif kind in ("list", "filter"):
                req = {"v": 1, "cmd": "list"}
                if kind == "filter":
                    req["filter"] = rnd.choice(FILTERS)
                c.sendall((json.dumps(req) + "\n").encode())
                why = check_listing(read_lines(f))
                if why:
                    bad.put(f"{kind}: {why}")
            elif kind == "hangup":
                c.sendall(b'{"v":1,"cmd":"list"}\n')
                read_lines(f, rnd.randrange(0, 5))
            elif kind == "slow":  # a few lines, a pause, then gone
                c.sendall(b'{"v":1,"cmd":"list"}\n')
                for _ in range(3):
                    f.readline()
                    time.sleep(0.5)
            else:  # stall: ask for a listing, read none of it for a while
                c.sendall(b'{"v":1,"cmd":"list"}\n')
                time.sleep(min(rnd.uniform(5, 25),
                               max(0, deadline - time.monotonic())))
            with stats.get_lock():
                stats[KINDS.index(kind)] += 1
        except (OSError, ValueError) as e:
            bad.put(f"{kind}: {e!r}")
        finally:
            c.close()


def main():
    sock = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                        f"sockwatch-soak.{os.getpid()}")
    os.mkdir(sock, 0o700)
    path = os.path.join(sock, "s.sock")
    dlog = open(os.path.join(sock, "daemon.log"), "w")
    base = subprocess.Popen([f"{BUILD}/bench-mkconns", "-p", "8",
                             str(BASE_CONNS)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    ready = base.stdout.readline()
    if not ready.startswith("ready"):
        log("the base load did not start:", ready)
        return 1
    d = subprocess.Popen([f"{BUILD}/sockwatchd", "--socket", path,
                          "--interval", "100", "--log-level", "warning"],
                         stderr=dlog)
    for _ in range(200):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    log(f"{ready.strip()} sockets held; sockwatchd {d.pid}; warm-up "
        f"{WARMUP:.0f} s, then {DURATION:.0f} s of load")
    t0 = time.monotonic()
    churned, jobs = mp.Value("l", 0), mp.Value("l", 0)
    stats = mp.Array("l", len(KINDS))
    bad = mp.Queue()
    client(path, t0 + WARMUP, 99, stats, bad, ["list", "filter", "status"])
    time.sleep(2)
    warm = (time.monotonic() - t0, rss_kib(d.pid), fd_count(d.pid))
    log(f"after warm-up: RSS {warm[1]} KiB, {warm[2]} fds")
    deadline = time.monotonic() + DURATION
    procs = [mp.Process(target=churner, args=(deadline, churned)),
             mp.Process(target=spawner, args=(deadline, jobs))]
    procs += [mp.Process(target=client, args=(path, deadline, i, stats, bad))
              for i in range(CLIENTS)]
    for p in procs:
        p.start()
    samples = [warm]
    failures = []
    while time.monotonic() < deadline + 60 and any(p.is_alive()
                                                    for p in procs):
        time.sleep(2)
        if d.poll() is not None:
            failures.append(f"sockwatchd exited with {d.returncode}")
            break
        samples.append((time.monotonic() - t0, rss_kib(d.pid),
                        fd_count(d.pid)))
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.terminate()
    time.sleep(10)  # a hundred polls with the load gone
    end = []
    for _ in range(3):
        if d.poll() is not None:
            break
        end.append((rss_kib(d.pid), fd_count(d.pid)))
        time.sleep(1)
    while not bad.empty():
        failures.append(bad.get())
    if d.poll() is None:
        d.send_signal(signal.SIGTERM)
        if d.wait(timeout=20) != 0:
            failures.append(f"sockwatchd stopped with {d.returncode}")
    else:
        failures.append(f"sockwatchd died: {d.returncode}")
    base.stdin.close()
    base.wait(timeout=30)
    log("requests:", ", ".join(f"{stats[i]} {n}" for i, n in
                               enumerate(KINDS)))
    log(f"churned {churned.value} connections, spawned {jobs.value} "
        "processes")
    if samples and end and warm:
        peak = max(s[1] for s in samples)
        final = sorted(e[0] for e in end)[len(end) // 2]
        log(f"RSS KiB: after warm-up {warm[1]}, peak {peak}, end {final} "
            f"({final / warm[1]:.2f}x)")
        log(f"fds: after warm-up {warm[2]}, peak "
            f"{max(s[2] for s in samples)}, end {end[-1][1]}")
        if final > 1.25 * warm[1]:
            failures.append(f"RSS {final} KiB at the end, above 1.25 x "
                            f"{warm[1]} KiB after the warm-up")
        if end[-1][1] > warm[2] + 8:
            failures.append(f"{end[-1][1]} fds at the end, "
                            f"{warm[2]} after the warm-up")
    else:
        failures.append("too few samples")
    for f in failures[:20]:
        log("FAIL:", f)
    log(f"{len(failures)} failures")
    dlog.close()
    subprocess.run(["rm", "-rf", sock])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
