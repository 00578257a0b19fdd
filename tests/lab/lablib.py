"""What the labs and the forwarder's tests share: network namespaces joined by
veth pairs, commands and daemons run inside them, the kernel's log read from
/dev/kmsg, and ipv6probe-forward started, stopped and read back.

Every name a lab makes carries the pid (namespaces `v6p-<pid>-<role>`), so
labs run beside each other and beside the rest of the suite.  The kernel's
log is shared by all of them: each lab logs under prefixes of its own and
keeps only its records, and the records are drained while the lab runs, so
that another lab's burst cannot push them out of the kernel's ring first.

Exit codes: 0 pass, 1 fail, 77 skipped (the reason printed first).
"""
import contextlib
import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
PID = os.getpid()


def log(msg):
    print(msg, flush=True)


def skip(msg):
    log("SKIP: " + msg)
    sys.exit(SKIP)


def die(msg):
    log("FAIL: " + msg)
    sys.exit(1)


def run(cmd, check=True, **kw):
    """cmd's exit status and text output; RuntimeError when check and it fails."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd),
                                                       r.stdout, r.stderr))
    return r


def report(problems):
    """The exit status of a test that collected its problems: each one
    printed, then FAIL or PASS."""
    for p in problems:
        log("FAIL: " + p)
    if problems:
        return 1
    log("PASS")
    return 0


def need_root(why):
    if os.geteuid() != 0:
        skip("needs root (%s)" % why)


def need_tools(*tools, hint=""):
    for tool in tools:
        if not shutil.which(tool):
            skip("%s is not installed%s" % (tool, hint))


def exit_on_signals():
    """SIGTERM/SIGHUP (meson's timeout, a closed terminal) unwind through the
    finally blocks, so that namespaces are removed."""
    def on_term(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)


# ---------------------------------------------------------------------------
# Network namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
NF_LOG_ALL_NETNS = "/proc/sys/net/netfilter/nf_log_all_netns"


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def enter_netns(name):
    """This thread into namespace `name` (a forked child's way in)."""
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        _setns(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def in_netns(name):
    """This thread inside namespace `name` for a while: sockets made there
    stay there."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        enter_netns(name)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)


class Lab:
    """Namespaces named v6p-<pid>-<role>, made by create() (a `with` block
    does both) and removed with everything started in them by close()."""

    def __init__(self, roles, tmp_prefix="v6p-lab-"):
        self.ns = {r: "v6p-%d-%s" % (PID, r) for r in roles}
        self.made = []
        self.procs = []
        self.old_log_all = None
        self.tmp = tempfile.mkdtemp(prefix=tmp_prefix)

    def __enter__(self):
        self.create()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def create(self):
        for name in self.ns.values():
            r = run(["ip", "netns", "add", name], check=False)
            if r.returncode != 0:
                if not self.made:
                    skip("cannot create network namespaces (ip netns add: %s)"
                         % r.stderr.strip())
                raise RuntimeError("ip netns add %s: %s" % (name, r.stderr.strip()))
            self.made.append(name)
        for who in self.ns:
            self.nsx(who, "ip", "link", "set", "lo", "up")

    def log_all_netns(self):
        """The kernel writes namespaces' LOG lines only with nf_log_all_netns
        set: set it when it is not, and put it back in close()."""
        try:
            with open(NF_LOG_ALL_NETNS) as f:
                old = f.read().strip()
        except OSError:
            skip("no %s (netfilter logging from namespaces unavailable)" % NF_LOG_ALL_NETNS)
        if old != "1":
            r = run(["sysctl", "-q", "-w", "net.netfilter.nf_log_all_netns=1"], check=False)
            if r.returncode != 0:
                skip("cannot set net.netfilter.nf_log_all_netns=1: " + r.stderr.strip())
            self.old_log_all = old

    def nsx(self, who, *cmd, check=True, **kw):
        """Run cmd inside role `who`'s namespace."""
        return run(["ip", "netns", "exec", self.ns[who]] + list(cmd), check=check, **kw)

    def sysctl(self, who, key, value, check=True):
        return self.nsx(who, "sysctl", "-q", "-w", "%s=%s" % (key, value), check=check)

    def veth(self, a, ia, b, ib, mac_a=None, mac_b=None):
        """A veth pair, ia in a's namespace and ib in b's, made there at once
        (the names need only be unique inside each namespace)."""
        cmd = ["ip", "link", "add", "name", ia, "netns", self.ns[a]]
        if mac_a:
            cmd += ["address", mac_a]
        cmd += ["type", "veth", "peer", "name", ib, "netns", self.ns[b]]
        if mac_b:
            cmd += ["address", mac_b]
        run(cmd)

    def addr(self, who, dev, *addrs):
        """Addresses on dev (IPv6 ones without duplicate address detection),
        then dev up."""
        for a in addrs:
            self.nsx(who, "ip", "addr", "add", a, "dev", dev, *(["nodad"] if ":" in a else []))
        self.nsx(who, "ip", "link", "set", dev, "up")

    def addresses(self, who, dev):
        """The addr_info entries of dev, as `ip -j addr` gives them."""
        out = self.nsx(who, "ip", "-6", "-j", "addr", "show", "dev", dev).stdout
        return [a for link in json.loads(out or "[]") for a in link.get("addr_info", [])]

    def socket(self, who, *args):
        with in_netns(self.ns[who]):
            return socket.socket(*args)

    def spawn(self, who, *cmd, name):
        """A daemon in who's namespace, its stderr in tmp/<name>.log; stopped
        by close()."""
        err = open(os.path.join(self.tmp, name + ".log"), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[who]] + list(cmd),
                             stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        self.procs.append(p)
        return p

    def radvd(self, who, dev, prefix):
        """radvd advertising prefix on dev every 3-4 s."""
        conf = os.path.join(self.tmp, "radvd.conf")
        with open(conf, "w") as f:
            f.write("interface %s {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n"
                    "  MaxRtrAdvInterval 4;\n  prefix %s {\n    AdvOnLink on;\n"
                    "    AdvAutonomous on;\n  };\n};\n" % (dev, prefix))
        return self.spawn(who, shutil.which("radvd"), "-n", "-C", conf, "-p",
                          os.path.join(self.tmp, "radvd.pid"), "-m", "stderr", name="radvd")

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        for name in reversed(self.made):
            run(["ip", "netns", "del", name], check=False)
        self.made = []
        # Another lab running now needs the setting: only the last one out
        # puts it back.
        if self.old_log_all is not None and not other_labs():
            run(["sysctl", "-q", "-w", "net.netfilter.nf_log_all_netns=" + self.old_log_all],
                check=False)
        self.old_log_all = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def other_labs():
    """Namespaces of labs of other processes that exist now."""
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return []
    return [n for n in names if n.startswith("v6p-") and not n.startswith("v6p-%d-" % PID)]


def run_private(mounts, cmd, netns=None, **kw):
    """cmd in a mount namespace of its own, after `mounts`: (source, target)
    pairs bound over the machine's paths, or (None, target) for an empty
    tmpfs hiding target.  The machine's own files are never touched.  In
    namespace netns when given."""
    steps = ["mount --bind '%s' '%s'" % (src, dst) if src else "mount -t tmpfs none '%s'" % dst
             for src, dst in mounts]
    inner = (["ip", "netns", "exec", netns] if netns else []) + list(cmd)
    return run(["unshare", "-m", "sh", "-c", " && ".join(steps + ['exec "$@"']), "sh"] + inner,
               check=kw.pop("check", True), **kw)


# ---------------------------------------------------------------------------
# The kernel's log

class Kmsg:
    """/dev/kmsg from now on, drained by a thread while the lab runs: records
    are kept when keep(message) is true."""

    def __init__(self, keep=lambda msg: True):
        try:
            self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        except OSError as e:
            skip("cannot read /dev/kmsg: %s" % e)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.keep = keep
        self.recs = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while not self.stopping:
            select.select([self.fd], [], [], 0.05)
            batch = self._read_now()
            if batch:
                with self.lock:
                    self.recs.extend(batch)

    def _read_now(self):
        out = []
        while True:
            try:
                b = os.read(self.fd, 8192)
            except BlockingIOError:
                return out
            except BrokenPipeError:      # records overwritten meanwhile: go on
                continue
            if not b:
                return out
            raw = b.decode("utf-8", "replace").split("\n", 1)[0]
            head, _, msg = raw.partition(";")
            if not self.keep(msg):
                continue
            f = head.split(",")
            out.append(dict(prio=int(f[0]), seq=int(f[1]), usec=int(f[2]),
                            flags=f[3] if len(f) > 3 else "-", msg=msg, raw=raw))

    def read(self):
        """The records kept since the last call."""
        with self.lock:
            got, self.recs = self.recs, []
        return got

    def settle(self, quiet=0.5, most=5.0):
        """The records kept since the last call, once none has come for
        `quiet` seconds (the kernel writes LOG lines as packets pass)."""
        got = []
        end = time.monotonic() + most
        last = time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.1)
            new = self.read()
            if new:
                got += new
                last = time.monotonic()
            elif got and time.monotonic() - last >= quiet:
                break
        return got

    def close(self):
        self.stopping = True
        self.thread.join()
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def boot_epoch():
    """When the machine booted, to the microsecond (the kernel stamps its
    records in microseconds since then)."""
    return time.time() - time.clock_gettime(time.CLOCK_MONOTONIC)


def boot_btime():
    """The boot time in whole seconds as /proc/stat has it (what
    ipv6probe-forward --boot-time takes)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("btime "):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------
# ipv6probe-forward

def parse_json_lines(text, bad=None):
    """The JSON records of text; lines that are not JSON go to bad (or raise)."""
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        try:
            out.append(json.loads(ln))
        except ValueError:
            if bad is None:
                raise
            bad.append(ln)
    return out


class Output:
    """One run's output: events, the labelled records (ladder summaries,
    suspects: {"sourcetype": ..., "event": ...}), lines that are not JSON."""

    def __init__(self, rc, stdout, stderr):
        self.rc, self.stderr, self.bad = rc, stderr, []
        recs = parse_json_lines(stdout, self.bad)
        self.events = [r for r in recs if "sourcetype" not in r]
        self.labelled = [r for r in recs if "sourcetype" in r]

    def records(self, sourcetype):
        return [r["event"] for r in self.labelled if r["sourcetype"] == sourcetype]


def forward_once(exe, lines, workdir, args=(), config=None, boot_time=None, check=False,
                 timeout=120):
    """ipv6probe-forward --stdout over lines (a list, written to a file in
    workdir) or a file's path; config is YAML text or None.  With check, a
    failed run is a failed test."""
    if isinstance(lines, str):
        path = lines
    else:
        path = os.path.join(workdir, "input.%d.log" % time.monotonic_ns())
        with open(path, "w") as f:
            f.write("".join(x + "\n" for x in lines))
    cmd = [exe, "--stdout", *args]
    if boot_time is not None:
        cmd += ["--boot-time", str(boot_time)]
    if config is not None:
        cpath = os.path.join(workdir, "forward.%d.yaml" % time.monotonic_ns())
        with open(cpath, "w") as f:
            f.write(config)
        cmd += ["-c", cpath]
    r = subprocess.run(cmd + [path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, TZ="UTC"), timeout=timeout)
    out = Output(r.returncode, r.stdout.decode("utf-8", "replace"),
                 r.stderr.decode("utf-8", "replace"))
    if check and out.rc != 0:
        die("ipv6probe-forward exited %d: %s" % (out.rc, out.stderr.strip()[-2000:]))
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
        return parse_json_lines(data[: data.rfind("\n") + 1])

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_events(self, n, timeout=60.0):
        """At least n records out, or the timeout; returns them."""
        end = time.monotonic() + timeout
        evs = self.events()
        while len(evs) < n and time.monotonic() < end:
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
            evs = self.events()
        return evs

    def wait_stderr(self, text, count=1, timeout=60.0):
        """Until text stands `count` times on stderr; dies otherwise."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.stderr().count(text) >= count:
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        if self.stderr().count(text) < count:
            die("%r not %d times on stderr: %s" % (text, count, self.stderr()))

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self, timeout=60.0):
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


def free_port(kind=socket.SOCK_STREAM, family=socket.AF_INET):
    """A port the kernel has free now on loopback."""
    s = socket.socket(family, kind)
    s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(host, port, timeout=30.0):
    end = time.monotonic() + timeout
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.monotonic() < end:
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.connect((host, port))
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False


def write_atomic(path, text):
    """path replaced at once (a reader sees the old or the new text)."""
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


def workdir(prefix="v6p-fwd-"):
    return tempfile.mkdtemp(prefix=prefix)
