"""Helpers for the forwarder's tests: generated firewall lines, a followed
log and its configuration, checks of the JSON output and the counters."""
import json
import os
import sys

# The mechanisms (the forwarder run in the background or once, ports, kernel
# log, namespaces) are shared with the labs: tests/lab/lablib.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
from lablib import (SKIP, Forwarder, die, free_port, parse_json_lines,  # noqa: E402,F401
                    run_private, skip, wait_port, workdir, write_atomic)


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


parse_events = parse_json_lines


def follow_conf(log_path):
    """A configuration that follows log_path, polled every 20 ms."""
    return ("inputs:\n  files:\n    - path: %s\n      follow: true\n"
            "  follow_poll_ms: 20\n" % log_path)


def append_lines(path, lines):
    with open(path, "a") as f:
        f.write("".join(x + "\n" for x in lines))


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
