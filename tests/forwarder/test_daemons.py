#!/usr/bin/env python3
"""Real syslog daemons in front of the forwarder: rsyslog (Debian's, unpacked
by scripts/deps-forward.sh) or syslog-ng (Debian's syslog-ng-core), started
here with their own config, pid file and work directory, read generated
firewall lines from files and forward them to the forwarder's listener: TCP
with octet counting, TCP with LF framing, and UDP.  Every line must arrive
exactly once, with its content intact.

usage: test_daemons.py FORWARDER rsyslog|syslog-ng"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE, WHICH = sys.argv[1], sys.argv[2]
W = F.workdir()
N = 3000
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
RSYSLOG_ROOT = os.environ.get("RSYSLOG_ROOT", "/opt/ipv6probe-test/rsyslog")

PT, PL, PU = F.free_port(), F.free_port(family=socket.AF_INET6), F.free_port(socket.SOCK_DGRAM)
# tag -> (input file, how it travels)
ROUTES = {1: "tcp-octet", 2: "tcp-lf", 3: "udp"}
INPUTS = {t: os.path.join(W, "in-%s.log" % r) for t, r in ROUTES.items()}


def start_forwarder():
    conf = os.path.join(W, "fwd.yaml")
    with open(conf, "w") as f:
        f.write("""inputs:
  syslog:
    - listen: "tcp://127.0.0.1:%d"
    - listen: "tcp://[::1]:%d"
    - listen: "udp://[::1]:%d"
      receive_buffer: 8MiB
outputs:
  stdout: true
unparsed:
  mode: raw
""" % (PT, PL, PU))
    fw = F.Forwarder(EXE, ["--config", conf], W)
    if not F.wait_port("127.0.0.1", PT) or not F.wait_port("::1", PL):
        F.die("forwarder listeners did not come up: %s" % fw.stderr())
    return fw


def rsyslog():
    exe = os.path.join(RSYSLOG_ROOT, "usr/sbin/rsyslogd")
    moddir = os.path.join(RSYSLOG_ROOT, "usr/lib/x86_64-linux-gnu/rsyslog")
    if not os.access(exe, os.X_OK):
        F.skip("rsyslogd not found under %s (run scripts/deps-forward.sh)" % RSYSLOG_ROOT)
    r = subprocess.run([exe, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        F.skip("rsyslogd does not run here: %s" % r.stdout.decode()[:200])
    work = os.path.join(W, "rs-work")
    os.mkdir(work)
    # The shipped examples are valid rsyslog configuration.
    for ex in ("30-ipv6probe.conf", "31-ipv6probe-omprog.conf"):
        chk = os.path.join(W, "check-" + ex)
        with open(chk, "w") as f:
            f.write('global(workDirectory="%s")\n$IncludeConfig %s\n'
                    % (work, os.path.join(EXAMPLES, "rsyslog", ex)))
        r = subprocess.run([exe, "-N1", "-f", chk, "-M", moddir], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            F.die("examples/rsyslog/%s: %s" % (ex, r.stdout.decode()))
    conf = os.path.join(W, "rsyslog.conf")
    acts = {
        1: 'action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" '
           'TCP_Framing="octet-counted")' % PT,
        2: 'action(type="omfwd" target="::1" port="%d" protocol="tcp")' % PL,
        3: 'action(type="omfwd" target="::1" port="%d" protocol="udp")' % PU,
    }
    with open(conf, "w") as f:
        f.write('global(workDirectory="%s")\n' % work)
        f.write('module(load="imfile" mode="polling" PollingInterval="1")\n')
        for t, path in INPUTS.items():
            f.write('input(type="imfile" File="%s" Tag="kernel:" Facility="kern" '
                    'Severity="warning" ruleset="r%d")\n' % (path, t))
            f.write('ruleset(name="r%d" queue.type="LinkedList") { %s }\n' % (t, acts[t]))
    pid = os.path.join(W, "rsyslog.pid")
    return subprocess.Popen([exe, "-n", "-f", conf, "-i", pid, "-M", moddir],
                            stdout=open(os.path.join(W, "rsyslog.out"), "wb"),
                            stderr=subprocess.STDOUT)


def syslog_ng():
    exe = shutil.which("syslog-ng") or "/usr/sbin/syslog-ng"
    if not os.access(exe, os.X_OK):
        F.skip("syslog-ng not installed (run scripts/deps-forward.sh)")
    ver = subprocess.run([exe, "--version"], stdout=subprocess.PIPE).stdout.decode()
    cfgver = "3.38"
    for ln in ver.splitlines():
        if ln.startswith("Config version:"):
            cfgver = ln.split(":")[1].strip()
    # The shipped example is valid syslog-ng configuration.
    chk = os.path.join(W, "check-ng.conf")
    with open(chk, "w") as f:
        f.write('@version: %s\nsource s_src { internal(); };\n@include "%s"\n'
                % (cfgver, os.path.join(EXAMPLES, "syslog-ng", "ipv6probe.conf")))
    r = subprocess.run([exe, "--syntax-only", "-f", chk], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        F.die("examples/syslog-ng/ipv6probe.conf: %s" % r.stdout.decode())
    conf = os.path.join(W, "syslog-ng.conf")
    dests = {
        # syslog(): RFC 5424 with octet counting.
        1: 'syslog("127.0.0.1" transport("tcp") port(%d))' % PT,
        # network(): RFC 3164 header, one message per line.
        2: 'network("::1" transport("tcp") port(%d) ip-protocol(6))' % PL,
        3: 'network("::1" transport("udp") port(%d) ip-protocol(6))' % PU,
    }
    with open(conf, "w") as f:
        f.write("@version: %s\n" % cfgver)
        f.write("options { keep-hostname(yes); use-dns(no); stats-freq(0); };\n")
        for t, path in INPUTS.items():
            f.write('source s%d { file("%s" flags(no-parse) program-override("kernel") '
                    'follow-freq(0.2) default-facility(kern) default-priority(warning)); };\n' % (t, path))
            f.write("destination d%d { %s; };\n" % (t, dests[t]))
            f.write("log { source(s%d); destination(d%d); };\n" % (t, t))
    r = subprocess.run([exe, "--syntax-only", "-f", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        F.die("syslog-ng rejects the test config: %s" % r.stdout.decode())
    return subprocess.Popen([exe, "-F", "-f", conf, "-p", os.path.join(W, "ng.pid"),
                             "-R", os.path.join(W, "ng.persist"), "-c", os.path.join(W, "ng.ctl"),
                             "--no-caps"],
                            stdout=open(os.path.join(W, "syslog-ng.out"), "wb"),
                            stderr=subprocess.STDOUT)


for path in INPUTS.values():
    open(path, "w").close()
fw = start_forwarder()
daemon = rsyslog() if WHICH == "rsyslog" else syslog_ng()
time.sleep(1.5)
if daemon.poll() is not None:
    with open(os.path.join(W, WHICH + ".out"), errors="replace") as f:
        F.die("%s exited at start (rc %d): %s" % (WHICH, daemon.returncode, f.read()[-2000:]))

want = set()
texts = {}
for t, path in INPUTS.items():
    with open(path, "a") as f:
        for i in range(1, N + 1):
            txt = F.kernel_text(i, tag=t)
            texts[(t, i)] = txt
            f.write(txt + "\n")
            want.add((t, i))
            if t == 3 and i % 250 == 0:
                f.flush()  # paced a little: UDP on loopback
                time.sleep(0.02)

evs = fw.wait_events(len(want), timeout=60)
time.sleep(1.0)  # a duplicate would show now
daemon.send_signal(signal.SIGTERM)
try:
    daemon.wait(10)
except subprocess.TimeoutExpired:
    daemon.kill()
rc = fw.stop()
evs = fw.events()
if rc != 0:
    F.die("forwarder exit %d: %s" % (rc, fw.stderr()))
unparsed = [e for e in evs if "unparsed" in e]
if unparsed:
    F.die("%d messages from %s were not parsed, e.g. %r" % (len(unparsed), WHICH,
                                                           unparsed[0]["unparsed"]))
F.check_exactly_once(evs, want, "%s to the forwarder" % WHICH)
# Content: each event is the line that was written, field by field.
for e in evs:
    t, i = F.key(e)
    if e.get("src") != "2001:db8:0:1::%x" % ((i % 4000) + 1) or e.get("rule") != "IPT6-DROP" \
            or e.get("hop_limit") != 57 or e.get("src_interface") != "eth0" or not e.get("dvc"):
        F.die("event differs from its line %r: %r" % (texts[(t, i)], e))
print("ok: %s, %d lines over TCP octet-counted, TCP LF and UDP, each once" % (WHICH, len(want)))
