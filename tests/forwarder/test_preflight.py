#!/usr/bin/env python3
"""--check-config checks what the configuration names, the way the service
will use it, and --check-output asks the HEC endpoints (the strict test
receiver here): exit statuses 0, 1, 3 and 4 as ipv6probe-forward(1) says,
never the token in what it prints."""
import os
import pwd
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "hec"))
import fwdlib as F  # noqa: E402
from hec_harness import Receiver  # noqa: E402

EXE = sys.argv[1]
TOKEN = "5e1f0d6c-7a2b-4c3d-8e9f-0a1b2c3d4e5f"
W = F.workdir()
os.chmod(W, 0o755)


def check(conf_text, *extra, env=None):
    conf = os.path.join(W, "c.yaml")
    with open(conf, "w") as f:
        f.write(conf_text)
    p = subprocess.run([EXE, "--config", conf, "--check-config", *extra],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **(env or {})))
    if TOKEN in p.stdout or TOKEN in p.stderr:
        F.die("the token was printed: %s%s" % (p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def expect(rc_want, got, *lines):
    rc, out, err = got
    if rc != rc_want:
        F.die("exit %d, want %d:\n%s%s" % (rc, rc_want, out, err))
    for ln in lines:
        if ln not in out:
            F.die("%r not in:\n%s" % (ln, out))


tok = os.path.join(W, "token")
with open(tok, "w") as f:
    f.write(TOKEN + "\n")
log = os.path.join(W, "fw.log")
open(log, "w").close()

# Everything there: 0, each thing said to be fine.
port = F.free_port()
good = """inputs:
  files: [%s]
  syslog: [{listen: "tcp://127.0.0.1:%d"}]
  checkpoint: {file: %s/ckpt}
outputs:
  hec: {endpoints: ["http://127.0.0.1:9"], token_file: %s, spool: {dir: %s/spool}}
""" % (log, port, W, tok, W)
expect(0, check(good), "ok: input file %s: readable" % log,
       "ok: listener tcp://127.0.0.1:%d: can be bound" % port,
       "ok: hec token %s: present" % tok, "ok: checkpoint %s/ckpt: can be created" % W,
       "ok: built-in classification table ")

# What used to pass here and fail at startup: 3, each one named.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen()
bport = busy.getsockname()[1]
spool_file = os.path.join(W, "not-a-dir")
open(spool_file, "w").close()
bad = """inputs:
  files: [%s/missing.log, {path: %s/later.log, follow: true}]
  syslog: [{listen: "tcp://127.0.0.1:%d"}]
outputs:
  hec:
    endpoints: ["http://127.0.0.1:9"]
    token_file: %s/no-token
    tls: {ca_file: %s/no-ca.pem}
    spool: {dir: %s}
""" % (W, W, bport, W, W, spool_file)
rc, out, err = check(bad)
expect(3, (rc, out, err), "error: input file %s/missing.log: No such file" % W,
       "warning: input file %s/later.log: not there yet" % W,
       "error: listener tcp://127.0.0.1:%d: Address already in use" % bport,
       "error: hec token %s/no-token: " % W, "error: tls ca_file %s/no-ca.pem: " % W,
       "error: hec spool %s: not a directory" % spool_file)
if "5 problems with the environment" not in err:
    F.die("the count of problems: %s" % err)
busy.close()

# token_env: unset is an error, set is present (and not printed).
env_conf = """outputs:
  hec: {endpoints: ["http://127.0.0.1:9"], token_env: V6P_TEST_TOKEN}
"""
os.environ.pop("V6P_TEST_TOKEN", None)
expect(3, check(env_conf), "error: hec token V6P_TEST_TOKEN: ")
expect(0, check(env_conf, env={"V6P_TEST_TOKEN": TOKEN}), "ok: hec token V6P_TEST_TOKEN: present")

# A configuration that does not load stays 1.
expect(1, check("inputs:\n  filez: []\n"))

# As the service user: a file only root reads is an error for `user: nobody`.
if os.geteuid() == 0:
    try:
        pwd.getpwnam("nobody")
        secret = os.path.join(W, "root-only.log")
        open(secret, "w").close()
        os.chmod(secret, 0o600)
        expect(3, check("user: nobody\ninputs:\n  files: [%s]\n" % secret),
               "environment as user nobody:",
               "error: input file %s: Permission denied" % secret)
    except KeyError:
        print("no user nobody: the check as another user is not shown")
else:
    print("not root: the check as another user is not shown")

# --check-output against the strict receiver: health and token.
recv = Receiver(["--token", TOKEN + ":ack"], out=False)
try:
    url = recv.url
    out_conf = """outputs:
  hec: {endpoints: ["%s"], token_file: %s}
""" % (url, tok)
    expect(0, check(out_conf, "--check-output"),
           "ok: hec %s: health: HTTP 200, healthy (code 17)" % url,
           "ok: hec %s: token: accepted" % url)
    if recv.stats()["events"] != 0:
        F.die("--check-output indexed something")
    recv.set_faults("unhealthy")
    expect(4, check(out_conf, "--check-output"), "error: hec %s: health: HTTP 503" % url)
    recv.set_faults("")
    with open(tok, "w") as f:
        f.write("00000000-0000-4000-8000-00000000dead\n")
    expect(4, check(out_conf, "--check-output"), "error: hec %s: token: refused: HTTP 403" % url)
    # Not reachable at all.
    dead = F.free_port()
    expect(4, check(out_conf.replace(url, "http://127.0.0.1:%d" % dead), "--check-output"),
           "error: hec http://127.0.0.1:%d: health: not reachable" % dead)
finally:
    recv.stop()

# The built-in table gone (hidden in a private mount namespace): an error
# at once, from --check-config too, never a silent loss of classification.
if os.geteuid() == 0 and subprocess.run(["unshare", "--help"], capture_output=True).returncode == 0:
    src_data = os.path.join(HERE, "..", "..", "libipv6probe", "data")
    hide = [(None, d) for d in (src_data, "/usr/local/share/ipv6probe", "/usr/share/ipv6probe")
            if os.path.isdir(d)]
    conf = os.path.join(W, "c.yaml")
    with open(conf, "w") as f:
        f.write("inputs:\n  files: [%s]\n" % log)
    p = F.run_private(hide, [EXE, "--config", conf, "--check-config"], check=False, timeout=60)
    if p.returncode != 1 or "built-in table" not in p.stderr or "is missing" not in p.stderr:
        F.die("a missing built-in table: exit %d: %s%s" % (p.returncode, p.stdout, p.stderr))
    with open(conf, "a") as f:
        f.write("classification: {builtin: false}\n")
    p = F.run_private(hide, [EXE, "--config", conf, "--check-config"], check=False, timeout=60)
    if p.returncode != 0:
        F.die("builtin: false without the table: exit %d: %s" % (p.returncode, p.stderr))
else:
    print("not root: the missing built-in table is not shown")
print("ok")
