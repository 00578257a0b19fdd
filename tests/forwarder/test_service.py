#!/usr/bin/env python3
"""The forwarder as a service: the sd_notify protocol on a socket this test
binds (READY=1 only once the listener takes connections, STATUS with the
counts, WATCHDOG=1 while it runs, STOPPING=1 on SIGTERM), the Prometheus
endpoint scraped over HTTP (counts that match what was sent and
delivered to the strict HEC receiver), and message levels (--log-level,
journal priorities)."""
import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "hec"))
import fwdlib as F  # noqa: E402
from hec_harness import Receiver  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
_Forwarder = F.Forwarder


class Forwarder(_Forwarder):
    """Killed at exit if a failed check left it running."""
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        atexit.register(lambda: self.p.poll() is None and self.p.kill())


F.Forwarder = Forwarder
TOKEN = "0d3c2b1a-5e4f-4a6b-9c8d-7e6f5a4b3c2d"


def append(path, lines):
    with open(path, "a") as f:
        f.write("".join(x + "\n" for x in lines))


def until(what, cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    F.die("timed out waiting for " + what)


# --- sd_notify --------------------------------------------------------------
def notify_run(sock_name, bind_addr):
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(bind_addr)
    ns.settimeout(30)
    log = os.path.join(W, "n.log")
    open(log, "w").close()
    port = F.free_port()
    fw = F.Forwarder(EXE, ["--listen", "tcp://127.0.0.1:%d" % port, "--follow", log,
                           "--stdout"], W,
                     env={"NOTIFY_SOCKET": sock_name, "WATCHDOG_USEC": "400000"})
    msgs = []

    def recv():
        m = ns.recv(4096).decode()
        msgs.append(m)
        return m

    first = recv()
    if "READY=1" not in first.split("\n"):
        F.die("first notification is not READY=1: %r" % first)
    # Ready means ready: the listener takes a connection at once.
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall((F.line(1) + "\n").encode())
    c.close()
    append(log, [F.line(i) for i in range(2, 4)])
    until("3 events", lambda: len(fw.events()) >= 3)
    # STATUS follows the counts; the watchdog is fed meanwhile.
    while not any("STATUS=3 lines read, 3 events" in m for m in msgs):
        recv()
    while sum(m == "WATCHDOG=1" for m in msgs) < 3:
        recv()  # times out (and fails) if the pings stop
    fw.signal(signal.SIGTERM)
    while "STOPPING=1" not in msgs:
        recv()
    fw.p.wait(30)
    rc = fw.stop()
    if rc != 0:
        F.die("exit %d: %s" % (rc, fw.stderr()))
    ns.close()
    return msgs


path = os.path.join(W, "notify.sock")
notify_run(path, path)
abstract = "ipv6probe-test-%d" % os.getpid()
notify_run("@" + abstract, "\0" + abstract)

# Not for us: WATCHDOG_PID of another process means no pings.
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
p2 = os.path.join(W, "notify2.sock")
ns.bind(p2)
ns.settimeout(10)
log = os.path.join(W, "n2.log")
open(log, "w").close()
fw = F.Forwarder(EXE, ["--follow", log, "--stdout"], W,
                 env={"NOTIFY_SOCKET": p2, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
got = [ns.recv(4096).decode()]
append(log, [F.line(1)])
until("1 event", lambda: len(fw.events()) >= 1)
ns.setblocking(False)
fw.stop()
while True:
    try:
        got.append(ns.recv(4096).decode())
    except BlockingIOError:
        break
if "WATCHDOG=1" in got:
    F.die("watchdog pings though WATCHDOG_PID names another process: %s" % got)

# --- Prometheus --------------------------------------------------------------
recv = Receiver(["--token", TOKEN], out=False)
try:
    tok = os.path.join(W, "token")
    with open(tok, "w") as f:
        f.write(TOKEN + "\n")
    log = os.path.join(W, "m.log")
    open(log, "w").close()
    mport = F.free_port()
    conf = os.path.join(W, "m.yaml")
    with open(conf, "w") as f:
        f.write("""inputs:
  files: [{path: %s, follow: true}]
outputs:
  hec: {endpoints: ["%s"], token_file: %s, acks: {enabled: false},
        batch: {time_ms: 20}}
stats: {events: false}
metrics: {listen: "127.0.0.1:%d"}
""" % (log, recv.url, tok, mport))
    fw = F.Forwarder(EXE, ["--config", conf], W)
    url = "http://127.0.0.1:%d/metrics" % mport
    F.wait_port("127.0.0.1", mport)
    append(log, [F.line(i) for i in range(1, 8)] + ["not a firewall line"])
    until("7 events at the receiver", lambda: recv.stats()["events"] >= 7)

    def scrape():
        with urllib.request.urlopen(url, timeout=10) as r:
            if not r.headers["Content-Type"].startswith("text/plain; version=0.0.4"):
                F.die("content type %s" % r.headers["Content-Type"])
            text = r.read().decode()
        vals, typed = {}, set()
        for ln in text.splitlines():
            if ln.startswith("# TYPE "):
                typed.add(ln.split()[2])
                continue
            if ln.startswith("#"):
                continue
            m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\d+)', ln)
            if not m:
                F.die("not exposition format: %r" % ln)
            if m.group(1) not in typed:
                F.die("%s has no # TYPE" % m.group(1))
            vals[m.group(1) + (m.group(2) or "")] = int(m.group(3))
        return vals

    v = until("delivered 7 in the metrics",
              lambda: (lambda x: x if x.get("ipv6probe_hec_events_delivered") == 7 else None)(
                  scrape()))
    want = {
        "ipv6probe_lines_read_total": 8,
        "ipv6probe_events_total": 7,
        'ipv6probe_unparsed_lines_total{reason="not_firewall"}': 1,
        'ipv6probe_input_lines_total{kind="file",input="%s"}' % log: 8,
        'ipv6probe_input_dropped_total{kind="file",input="%s"}' % log: 0,
        "ipv6probe_hec_endpoints": 1,
        "ipv6probe_hec_endpoints_up": 1,
        "ipv6probe_hec_retries": 0,
        'ipv6probe_tracker_capacity{tracker="pe_addresses"}': 65536,
    }
    for k, n in want.items():
        if v.get(k) != n:
            F.die("%s = %s, want %s" % (k, v.get(k), n))
    for k in ("ipv6probe_hec_spool_bytes", "ipv6probe_taggers_pe_addresses",
              "ipv6probe_taggers_ladder_evictions", "ipv6probe_taggers_scan_evictions"):
        if k not in v:
            F.die("%s missing from the metrics" % k)
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/other" % mport, timeout=10)
        F.die("/other answered")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            F.die("/other: %d" % e.code)
    rc = fw.stop()
    if rc != 0:
        F.die("exit %d: %s" % (rc, fw.stderr()))
finally:
    recv.stop()

# Only loopback: the endpoint has no authentication.
with open(conf, "w") as f:
    f.write("metrics: {listen: \"0.0.0.0:%d\"}\n" % mport)
for extra in ([], ["--check-config"]):
    r = subprocess.run([EXE, "--config", conf, "/dev/null"] + extra, capture_output=True,
                         text=True, timeout=60)
    if r.returncode not in (1, 3) or "not a loopback address" not in r.stdout + r.stderr:
        F.die("a non-loopback metrics address %s: exit %d: %s%s"
              % (extra, r.returncode, r.stdout, r.stderr))

# --- levels -----------------------------------------------------------------
gone = os.path.join(W, "gone.log")
for args, want_warning in (([], True), (["--log-level=error"], False)):
    fw = F.Forwarder(EXE, args + ["--follow", gone, "--stdout"], W)
    time.sleep(0.5)
    fw.signal(signal.SIGUSR1)  # information: shown at info, not at error
    time.sleep(0.5)
    fw.stop()
    err = fw.stderr()
    has = "ipv6probe-forward: warning: %s: No such file or directory (waiting for it)" % gone
    if (has in err) != want_warning or (F.COUNTERS in err) != want_warning:
        F.die("%s: %s" % (args, err))

# Standard error is the journal: each line carries its syslog priority.
errf = os.path.join(W, "journal.err")
with open(errf, "wb") as ef:
    st = os.fstat(ef.fileno())
    p = subprocess.Popen([EXE, "--follow", gone, "--stdout"], stdout=subprocess.DEVNULL,
                           stderr=ef, env=dict(os.environ, JOURNAL_STREAM="%d:%d" % (
                               st.st_dev, st.st_ino)))
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    p.wait(20)
with open(errf) as f:
    err = f.read()
if "<4>ipv6probe-forward: warning: %s" % gone not in err:
    F.die("journal priorities: %s" % err)
print("ok")
