"""Helpers for the forwarder's tests: generated firewall lines, running the
forwarder, reading its JSON output."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

# A netfilter LOG line as the kernel writes it, under an RFC 3164 header.
# Every generated line is told apart by (icmp_id, icmp_seq).
BODY = ("kernel: [86400.{usec:06d}] IPT6-DROP: IN=eth0 OUT= "
        "MAC=f2:6b:00:01:00:02:f2:6b:00:01:00:01:86:dd "
        "SRC=2001:0db8:0000:0001:0000:0000:0000:{src:04x} "
        "DST=2001:0db8:0000:0002:0000:0000:0000:0001 LEN=104 TC=0 HOPLIMIT=57 "
        "FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID={id} SEQ={seq} ")


def body(n, tag=1):
    """The n-th generated message body (no syslog header).  ICMP id and seq
    are 16 bits: the id carries the tag and the high bits of n."""
    return BODY.format(usec=n % 1000000, src=(n % 4000) + 1, id=tag * 64 + (n >> 16),
                       seq=n & 0xFFFF)


def kernel_text(n, tag=1):
    """What the kernel logs for the n-th line: the body without the program
    name and the uptime stamp (syslog daemons add their own header)."""
    return body(n, tag).split("] ", 1)[1]


def line(n, tag=1, host="gw1"):
    """The n-th generated line with an RFC 3164 header."""
    return "Nov 27 16:59:01 %s %s" % (host, body(n, tag))


def key(ev):
    """(tag, n) of a generated line's event."""
    i, q = ev.get("icmp_id", 0), ev.get("icmp_seq", 0)
    return (i // 64, ((i % 64) << 16) | q)


def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def free_port(kind=socket.SOCK_STREAM, family=socket.AF_INET):
    s = socket.socket(family, kind)
    s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parse_events(text):
    out = []
    for ln in text.splitlines():
        if ln.strip():
            out.append(json.loads(ln))
    return out


class Forwarder:
    """ipv6probe-forward running in the background, stdout to a file."""

    def __init__(self, exe, args, workdir, stdin=None, env=None):
        self.out_path = os.path.join(workdir, "out.%d.jsonl" % time.monotonic_ns())
        self.err_path = self.out_path + ".err"
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        e = dict(os.environ, TZ="UTC")
        if env:
            e.update(env)
        self.p = subprocess.Popen([exe] + list(args), stdout=self.out, stderr=self.err,
                                  stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                  env=e)

    def events(self):
        with open(self.out_path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
        # A line being written may be incomplete: keep whole lines only.
        data = data[: data.rfind("\n") + 1]
        return parse_events(data)

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_events(self, n, timeout=20.0):
        end = time.monotonic() + timeout
        evs = self.events()
        while len(evs) < n and time.monotonic() < end:
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
            evs = self.events()
        return evs

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self, timeout=20.0):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
            die("forwarder did not stop within %.0f s after SIGTERM" % timeout)
        self.out.close()
        self.err.close()
        return rc

    def rss_kib(self):
        with open("/proc/%d/status" % self.p.pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
        return 0


def wait_port(host, port, timeout=10.0):
    end = time.monotonic() + timeout
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.monotonic() < end:
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.connect((host, port))
            s.close()
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False


def workdir():
    return tempfile.mkdtemp(prefix="v6p-fwd-")


def check_exactly_once(evs, want_keys, what):
    """Every wanted key exactly once, nothing else."""
    seen = {}
    for ev in evs:
        k = key(ev)
        seen[k] = seen.get(k, 0) + 1
    missing = [k for k in want_keys if k not in seen]
    dup = [k for k, n in seen.items() if n > 1]
    extra = [k for k in seen if k not in want_keys]
    if missing or dup or extra:
        die("%s: %d events, %d wanted; %d missing (first %s), %d duplicated (first %s), "
            "%d unexpected (first %s)" % (what, len(evs), len(want_keys), len(missing),
                                          missing[:3], len(dup), dup[:3], len(extra), extra[:3]))


COUNTERS = "ipv6probe-forward: counters: "


def counters(err):
    """The last counters line SIGUSR1 wrote on stderr, as a dict; None
    when there is none yet."""
    last = None
    for ln in err.splitlines():
        i = ln.find(COUNTERS)
        if i >= 0:
            last = json.loads(ln[i + len(COUNTERS):])
    return last


def input_counters(c, name):
    """One input's counters (by its name, e.g. "udp://[::1]:5514")."""
    for inp in c["inputs"]:
        if inp["name"] == name:
            return inp
    die("no counters for input %s in %s" % (name, c))
