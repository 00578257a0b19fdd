"""Helpers for the classification tests: probe lines, a MaxMind ASN database
built with libmaxmind-db-writer-perl, the forwarder run over a list of probes."""
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab"))
from lablib import SKIP, die, skip  # noqa: E402,F401


def workdir():
    return tempfile.mkdtemp(prefix="v6p-class-")


def probe(src, n=1):
    """An ICMP echo request from src as a netfilter LOG line (IPv4 or IPv6)."""
    a = ipaddress.ip_address(src)
    if a.version == 4:
        return ("Nov 27 16:59:01 gw1 kernel: [86400.%06d] IPT4-DROP: IN=eth0 OUT= "
                "MAC=f2:6b:00:01:00:02:f2:6b:00:01:00:01:08:00 SRC=%s DST=192.0.2.1 LEN=84 "
                "TOS=0x00 PREC=0x00 TTL=57 ID=0 DF PROTO=ICMP TYPE=8 CODE=0 ID=%d SEQ=1 "
                % (n, src, n))
    return ("Nov 27 16:59:01 gw1 kernel: [86400.%06d] IPT6-DROP: IN=eth0 OUT= "
            "MAC=f2:6b:00:01:00:02:f2:6b:00:01:00:01:86:dd SRC=%s "
            "DST=2001:db8:0:2::1 LEN=104 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 "
            "CODE=0 ID=%d SEQ=1 " % (n, src, n))


def make_mmdb(path, networks):
    """networks: [(prefix, asn, organisation)]."""
    try:
        subprocess.run(["perl", "-MMaxMind::DB::Writer::Tree", "-e", "1"], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        skip("perl MaxMind::DB::Writer (libmaxmind-db-writer-perl) is not installed")
    text = "".join("%s %d %s\n" % n for n in networks)
    r = subprocess.run(["perl", os.path.join(HERE, "..", "..", "lib", "asn", "mkmmdb.pl"), path], input=text.encode(),
                       capture_output=True)
    if r.returncode != 0:
        die("mkmmdb.pl: " + r.stderr.decode())


def write_config(path, asn_db=None, tables=(), builtin=True):
    lines = ["classification:", "  builtin: %s" % ("true" if builtin else "false")]
    if asn_db:
        lines.append("  asn_database: %s" % asn_db)
    if tables:
        lines.append("  tables:")
        lines += ["    - %s" % t for t in tables]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_forwarder(exe, conf, sources):
    """Probe lines from each source through `exe -c conf -`; returns
    ({src: event}, completed process)."""
    text = "".join(probe(s, i + 1) + "\n" for i, s in enumerate(sources))
    r = subprocess.run([exe, "-c", conf, "-"], input=text.encode(), capture_output=True,
                       env=dict(os.environ, TZ="UTC"))
    evs = {}
    for ln in r.stdout.decode().splitlines():
        if ln.strip():
            ev = json.loads(ln)
            evs[ev["src"]] = ev
    return evs, r


def has_maxminddb(exe, workdir):
    """Whether this forwarder was built with libmaxminddb."""
    conf = os.path.join(workdir, "probe-asn.yaml")
    write_config(conf, asn_db="/nonexistent/asn.mmdb", builtin=False)
    r = subprocess.run([exe, "-c", conf, "--check-config"], capture_output=True)
    return b"no libmaxminddb support" not in r.stderr
