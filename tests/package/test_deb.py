#!/usr/bin/env python3
"""The Debian packages as a user gets them: dpkg-buildpackage builds the
four packages from a copy of the source tree, lintian finds no error,
`apt install ./*.deb` installs them (service user from sysusers.d, state
and log directories from tmpfiles.d, the unit enabled), the service runs
with a configuration that follows a file and the events arrive, then
`apt purge` leaves nothing behind.

When systemd is PID 1, the unit is started with systemctl.  When it is
not (a container), the unit's ExecStartPre and ExecStart are run the way
systemd would: as its User= and Group= with its SupplementaryGroups= and
UMask=, with $NOTIFY_SOCKET bound by this test, which waits for READY=1.

Skips (exit 77) when not root, without dpkg-dev/debhelper, or when
ipv6probe packages are already installed here (they would be replaced)."""
import fcntl
import json
import os
import pwd
import grp
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
from lablib import die, skip  # noqa: E402

SRC = os.path.abspath(sys.argv[1])
PKGS = ["libipv6probe0", "libipv6probe-dev", "ipv6probe-forward", "ipv6probe-splunk-app"]
UNIT = "/lib/systemd/system/ipv6probe-forward.service"
N = 200


def run(cmd, **kw):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        die("%s: exit %d\n%s%s" % (cmd[0], p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def installed(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return p.returncode == 0 and "installed" in p.stdout and "not-installed" not in p.stdout


if os.geteuid() != 0:
    skip("needs root to install packages")
for tool in ("dpkg-buildpackage", "dh", "apt-get"):
    if not shutil.which(tool):
        skip("%s not found (scripts/deps.sh installs dpkg-dev and debhelper)" % tool)
lock = open("/run/lock/ipv6probe-package-test.lock", "w")
fcntl.flock(lock, fcntl.LOCK_EX)  # one package test per machine at a time
if any(installed(p) for p in PKGS):
    skip("ipv6probe packages are installed on this machine; the test would replace them")

W = tempfile.mkdtemp(prefix="v6p-deb-")
os.chmod(W, 0o755)


# --- build ------------------------------------------------------------------
def copy_source(dst):
    """The source tree without build directories and VCS data."""
    def ignore(d, names):
        if os.path.abspath(d) == SRC:
            return [n for n in names if n.startswith("build") or n.startswith(".")]
        return [n for n in names if n in ("__pycache__", "node_modules", ".git")]
    shutil.copytree(SRC, dst, symlinks=True, ignore=ignore)


src = os.path.join(W, "ipv6probe")
copy_source(src)
t0 = time.monotonic()
run(["dpkg-buildpackage", "-us", "-uc", "-b", "-j2"], cwd=src,
    env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck noddebs"))
print("built in %.0f s" % (time.monotonic() - t0))
debs = sorted(f for f in os.listdir(W) if f.endswith(".deb") and "-dbgsym_" not in f)
names = sorted(f.split("_")[0] for f in debs)
if names != sorted(PKGS):
    die("packages built: %s, want %s" % (names, sorted(PKGS)))
changes = [f for f in os.listdir(W) if f.endswith(".changes")]
if shutil.which("lintian"):
    p = subprocess.run(["lintian", "--fail-on", "error", os.path.join(W, changes[0])],
                       capture_output=True, text=True)
    print(p.stdout)
    if p.returncode != 0 or any(ln.startswith("E: ") for ln in p.stdout.splitlines()):
        die("lintian: %s%s" % (p.stdout, p.stderr))
else:
    print("lintian not installed: not checked")

# --- install ----------------------------------------------------------------
shutil.rmtree(src)  # the installed forwarder must not lean on the source tree
proc = None
try:
    run(["apt-get", "install", "-y", "--no-install-recommends"] +
        [os.path.join(W, d) for d in debs], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    try:
        user = pwd.getpwnam("ipv6probe")
    except KeyError:
        die("no user ipv6probe after install (sysusers.d)")
    for d in ("/var/lib/ipv6probe", "/var/log/ipv6probe"):
        if not os.path.isdir(d) or os.stat(d).st_uid != user.pw_uid:
            die("%s missing or not owned by ipv6probe (tmpfiles.d)" % d)
    wants = "/etc/systemd/system/multi-user.target.wants/ipv6probe-forward.service"
    if not os.path.islink(wants):
        die("the unit is not enabled (%s)" % wants)
    # The classification refresh fetches from the Internet: installed, not enabled.
    timer = "/etc/systemd/system/timers.target.wants/ipv6probe-update-classification.timer"
    if os.path.lexists(timer) or not os.path.exists(
            "/lib/systemd/system/ipv6probe-update-classification.timer"):
        die("the classification refresh timer: enabled, or not installed")
    version = [d for d in debs if d.startswith("ipv6probe-splunk-app_")][0].split("_")[1]
    for f in (UNIT, "/usr/share/ipv6probe/classification.yaml", "/etc/ipv6probe/forward.yaml",
              "/etc/logrotate.d/ipv6probe", "/usr/share/man/man1/ipv6probe-forward.1.gz",
              "/usr/include/ipv6probe/ipv6probe.h", "/usr/bin/ipv6probe-update-classification",
              "/usr/share/ipv6probe/asn-classification.yaml",
              "/usr/share/ipv6probe/splunk/ipv6probe-%s.tgz" % version):
        if not os.path.exists(f):
            die("%s not installed" % f)
    if shutil.which("systemd-analyze"):
        p = subprocess.run(["systemd-analyze", "verify", UNIT,
                            "/lib/systemd/system/ipv6probe-update-classification.service"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            die("systemd-analyze verify: %s%s" % (p.stdout, p.stderr))
    # The library and its pkg-config file work for a program built against them.
    prog = os.path.join(W, "v.c")
    with open(prog, "w") as f:
        f.write('#include <stdio.h>\n#include <ipv6probe/ipv6probe.h>\n'
                'int main(void) { puts(v6p_version()); return 0; }\n')
    flags = run(["pkg-config", "--cflags", "--libs", "ipv6probe"]).stdout.split()
    run(["cc", prog, "-o", os.path.join(W, "v")] + flags)
    ver = run([os.path.join(W, "v")]).stdout.strip()
    fwd_ver = run(["/usr/bin/ipv6probe-forward", "--version"]).stdout
    if "ipv6probe-forward %s\nlibipv6probe %s\n" % (ver, ver) not in fwd_ver:
        die("versions: library %s, forwarder says %r" % (ver, fwd_ver))
    # One version: the packages' (debian/changelog) is the project's.
    if version.split("-")[0] != ver:
        die("package version %s, library %s" % (version, ver))

    # --- run the service ----------------------------------------------------
    log = os.path.join(W, "firewall.log")
    open(log, "w").close()
    os.chmod(log, 0o644)
    with open("/etc/ipv6probe/forward.yaml", "w") as f:
        f.write("""inputs:
  files: [{path: %s, follow: true}]
  checkpoint: {file: /var/lib/ipv6probe/checkpoints}
outputs:
  file: {path: /var/log/ipv6probe/events.jsonl}
""" % log)
    with open(log, "a") as f:
        for i in range(N):
            f.write("Nov 27 16:59:01 gw1 kernel: [ 1.%06d] V6P-IN IN=eth0 OUT= MAC= "
                    "SRC=3fff::%x DST=2001:db8::1 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 "
                    "PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=%d \n" % (i, i + 1, i))
    unit = {}
    with open(UNIT) as f:
        for ln in f:
            if "=" in ln and not ln.startswith("#"):
                k, v = ln.rstrip("\n").split("=", 1)
                unit.setdefault(k, []).append(v)
    pid1 = open("/proc/1/comm").read().strip()
    if os.path.isdir("/run/systemd/system") and pid1 == "systemd":
        print("systemd is PID 1: starting the unit with systemctl")
        run(["systemctl", "daemon-reload"])
        run(["systemctl", "start", "ipv6probe-forward.service"])
        proc = None
    else:
        print("systemd is not PID 1 here (%s): running the unit's ExecStartPre and ExecStart "
              "as User=%s the way systemd would" % (pid1, unit["User"][0]))
        g = grp.getgrnam(unit["Group"][0]).gr_gid
        extra = [grp.getgrnam(x).gr_gid for x in " ".join(unit.get("SupplementaryGroups", [])).split()]
        umask = int(unit.get("UMask", ["0022"])[0], 8)

        def as_service():
            os.setgroups([g] + extra)
            os.setgid(g)
            os.setuid(user.pw_uid)
            os.umask(umask)

        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "HOME": user.pw_dir, "USER": "ipv6probe"}
        pre = shlex.split(unit["ExecStartPre"][0])
        p = subprocess.run(pre, preexec_fn=as_service, env=env, capture_output=True, text=True)
        print(p.stdout)
        if p.returncode != 0:
            die("ExecStartPre: exit %d: %s%s" % (p.returncode, p.stdout, p.stderr))
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        nsp = os.path.join(W, "notify")
        ns.bind(nsp)
        os.chmod(nsp, 0o777)  # as systemd's: any service user may write to it
        ns.settimeout(60)
        errp = open(os.path.join(W, "service.err"), "w")
        proc = subprocess.Popen(shlex.split(unit["ExecStart"][0]), preexec_fn=as_service,
                                env=dict(env, NOTIFY_SOCKET=nsp), stdout=subprocess.DEVNULL,
                                stderr=errp)
        try:
            msg = ns.recv(4096).decode()
        except socket.timeout:
            msg = "(none in 60 s)"
        if "READY=1" not in msg.split("\n"):
            proc.kill()
            with open(errp.name) as f:
                die("first notification %r, want READY=1; stderr: %s" % (msg, f.read()))
    out = "/var/log/ipv6probe/events.jsonl"
    end = time.monotonic() + 60
    evs = []
    while time.monotonic() < end:
        if os.path.exists(out):
            with open(out) as f:
                data = f.read()
            evs = [json.loads(x) for x in data[:data.rfind("\n") + 1].splitlines()]
            if len(evs) >= N:
                break
        time.sleep(0.2)
    if proc is None:
        run(["systemctl", "stop", "ipv6probe-forward.service"])
    else:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
        errp.close()
        with open(errp.name) as f:
            err = f.read()
        if rc != 0:
            die("the service exited %d: %s" % (rc, err))
    got = sorted(e["icmp_seq"] for e in evs)
    if got != list(range(N)):
        die("%d events arrived, want seq 0..%d exactly once" % (len(evs), N - 1))
    if not all(e.get("src") and e.get("dest") == "2001:db8::1" for e in evs):
        die("events without addresses: %s" % evs[:2])
    if os.stat(out).st_uid != user.pw_uid:
        die("%s not written by ipv6probe" % out)
    print("%d events arrived in %s" % (len(evs), out))
finally:
    if proc is not None and proc.poll() is None:  # a check failed with it running
        proc.kill()
        proc.wait()
    # --- purge --------------------------------------------------------------
    present = [p for p in PKGS if installed(p)]
    if present:
        run(["apt-get", "purge", "-y"] + present,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))

left = []
for p in PKGS:
    q = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
    if q.returncode == 0 and q.stdout.strip() and "not-installed" not in q.stdout:
        left.append("package %s: %s" % (p, q.stdout))
for d in ("/etc", "/lib/systemd", "/usr/lib", "/usr/share", "/usr/bin", "/usr/include",
          "/var/lib", "/var/log"):
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            if "ipv6probe" in n:
                left.append(os.path.join(root, n))
        # Only what a package or the service would have made.
        dirs[:] = [x for x in dirs if not os.path.islink(os.path.join(root, x))]
if left:
    die("left behind after purge: %s" % left[:20])
print("purged: nothing left behind (the system user ipv6probe stays, as Debian does "
      "with system users)")
shutil.rmtree(W, ignore_errors=True)
print("ok")
