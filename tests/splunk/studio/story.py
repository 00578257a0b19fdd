"""The lab story the Studio dashboards are drawn from: firewall log lines of a
small site (2001:db8:1::/48) probed by five kinds of source, fed through the
real ipv6probe-forward.

Only documentation addresses are used.  A site classification table (loaded
by the forwarder like any local table) names the documentation prefixes of
the remote sources, so the dashboards show organisations and categories.

    day 0-2  a laptop's temporary addresses (rotated daily) query an NTP
             server and a web site; its stable address visits the web site
    day 1    a CDN's path finder walks hop limits toward three servers
             (ICMPv6 echo ladders); a research scanner sweeps 30 addresses
             on port 22 and scans 20 ports of the web server (and walks one
             UDP ladder); a cloud host connects to the web server
    day 3    an unknown scanner probes four of the temporary addresses, the
             cloud host returns (a repeat visit), a search engine crawls
"""

import ipaddress
import json
import os
import random
import signal
import subprocess
import time

BASE = 1795132800  # 2026-11-20T00:00:00Z
HOST = "gw1"
SITE = "2001:db8:1::/48"
WEB_SRV = "2001:db8:1:10::80"
MAIL_SRV = "2001:db8:1:10::25"
DNS_SRV = "2001:db8:1:10::53"
LAPTOP_NET = "2001:db8:1:20"
STABLE = "2001:db8:1:20:211:22ff:fe33:4455"
NTP, WEB = "3fff:100::123", "3fff:200::80"
CDN = "3fff:a10:5:1::7"
RESEARCH = "3fff:b20::53"
CLOUD = "3fff:c30:ff::10"
CRAWLER = "3fff:d40::66"
SCANNER = "3fff:900::66"

CLASSIFICATION = """version: 1
entries:
  - prefix: 3fff:a10::/32
    org: Example CDN
    category: cdn
    source: https://www.rfc-editor.org/rfc/rfc9637
  - prefix: 3fff:b20::/48
    org: Example Research Scan
    category: research_scanner
    source: https://www.rfc-editor.org/rfc/rfc9637
  - prefix: 3fff:c30::/32
    org: Example Cloud
    category: cloud
    source: https://www.rfc-editor.org/rfc/rfc9637
  - prefix: 3fff:d40::/32
    org: Example Search
    category: search_engine
    source: https://www.rfc-editor.org/rfc/rfc9637
"""

CONFIG = """inputs:
  files:
    - path: {log}
      follow: true
      start_at: beginning
  follow_poll_ms: 100
internal_prefixes:
  - {site}
classification:
  tables:
    - {table}
stats:
  events: true
  interval_s: 1
"""


def _stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + \
        ".%06d+00:00" % int(round((t - int(t)) * 1e6))


def _full(a):
    return ipaddress.IPv6Address(a).exploded


class Story:
    def __init__(self):
        self.lines = []
        self.rnd = random.Random(17)

    def log(self, t, prefix, inbound, src, dst, hop, proto):
        where = "IN=eth0 OUT=" if inbound else "IN= OUT=eth0"
        mac = " MAC=52:54:00:00:00:02:52:54:00:00:00:01:86:dd" if inbound else ""
        self.lines.append((t, f"{_stamp(t)} {HOST} kernel: {prefix} {where}{mac} "
                              f"SRC={_full(src)} DST={_full(dst)} LEN=80 TC=0 "
                              f"HOPLIMIT={hop} FLOWLBL=0 {proto} "))

    @staticmethod
    def syn(sport, dport):
        return f"PROTO=TCP SPT={sport} DPT={dport} WINDOW=64800 RES=0x00 SYN URGP=0"

    @staticmethod
    def udp(sport, dport):
        return f"PROTO=UDP SPT={sport} DPT={dport} LEN=40"

    @staticmethod
    def echo(ident, seq):
        return f"PROTO=ICMPv6 TYPE=128 CODE=0 ID={ident} SEQ={seq}"

    def laptop(self):
        """Temporary addresses talk to NTP and the web; one a day."""
        temps = []
        for day in range(3):
            iid = ":".join("%x" % self.rnd.randrange(0x1000, 0xffff) for _ in range(4))
            a = f"{LAPTOP_NET}:{iid}"
            temps.append(a)
            for h in range(8, 18, 2):
                t = BASE + day * 86400 + h * 3600
                self.log(t, "OUT-ALLOW:", False, a, NTP, 64, self.udp(40000 + h, 123))
                self.log(t + 60, "OUT-ALLOW:", False, a, WEB, 64, self.syn(50000 + h, 443))
                self.log(t + 90, "OUT-ALLOW:", False, STABLE, WEB, 64, self.syn(51000 + h, 443))
        # a second laptop, also rotating, that only ever visits the web site
        for day in range(3):
            iid = ":".join("%x" % self.rnd.randrange(0x1000, 0xffff) for _ in range(4))
            a = f"2001:db8:1:21:{iid}"
            temps.append(a)
            for h in range(9, 17, 4):
                self.log(BASE + day * 86400 + h * 3600, "OUT-ALLOW:", False, a, WEB, 64,
                         self.syn(52000 + h, 443))
        return temps

    def ladder(self, t, src, dst, ident, top, proto="echo"):
        """Received hop limits 1,1,2,2,...: a traceroute done with probes."""
        seq = 0
        for hop in range(1, top + 1):
            for _ in range(2):
                seq += 1
                p = self.echo(ident, seq) if proto == "echo" else self.udp(33434 + seq, 33434 + seq)
                self.log(t, "IN-DROP:", True, src, dst, hop, p)
                t += 0.4

    def day1(self):
        t = BASE + 86400 + 10 * 3600
        for i, dst in enumerate((WEB_SRV, MAIL_SRV, DNS_SRV)):
            self.ladder(t + i * 900, CDN, dst, 4100 + i, 6 + i)
        self.ladder(t + 3600, RESEARCH, WEB_SRV, 0, 5, proto="udp")
        t2 = t + 2 * 3600
        for i in range(30):  # address sweep on port 22
            self.log(t2 + i * 2, "IN-DROP:", True, RESEARCH, f"2001:db8:1:10::{i + 1:x}", 52,
                     self.syn(61000, 22))
        for i, port in enumerate([21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445,
                                  993, 995, 1723, 3306, 3389, 5900, 8080]):
            self.log(t2 + 120 + i, "IN-DROP:", True, RESEARCH, WEB_SRV, 52, self.syn(61001, port))
        for i in range(3):
            self.log(t + 5 * 3600 + i * 30, "IN-ACCEPT:", True, CLOUD, WEB_SRV, 50,
                     self.syn(45000 + i, 443))

    def day3(self, temps):
        t = BASE + 3 * 86400 + 9 * 3600
        for i, a in enumerate(temps[:2] + temps[3:5]):
            for j, port in enumerate((22, 80, 443)):
                self.log(t + i * 40 + j * 5, "IN-DROP:", True, SCANNER, a, 47, self.syn(40404, port))
        for i in range(4):
            self.log(t + 3600 + i * 20, "IN-ACCEPT:", True, CLOUD, WEB_SRV, 50,
                     self.syn(46000 + i, 443))
        for i in range(6):
            self.log(t + 7200 + i * 300, "IN-ACCEPT:", True, CRAWLER, WEB_SRV, 55,
                     self.syn(47000 + i, 443))

    def other_lines(self):
        """What else a kernel log holds: counted by the forwarder, not events."""
        for i, msg in enumerate(("usb 1-1: new high-speed USB device number 3 using xhci_hcd",
                                 "eth0: Link is Up - 1Gbps/Full - flow control rx/tx",
                                 "EXT4-fs (sda1): mounted filesystem with ordered data mode")):
            t = BASE + 86400 * i + 7 * 3600
            self.lines.append((t, f"{_stamp(t)} {HOST} kernel: {msg}"))

    def build(self):
        self.other_lines()
        temps = self.laptop()
        self.day1()
        self.day3(temps)
        self.lines.sort(key=lambda x: x[0])
        return [l for _, l in self.lines]


def wait_for_lines(stdout, n, proc, timeout=300):
    """Until an ipv6probe:stats record in the output counts n lines read
    (the forwarder writes one a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(stdout) as f:
            for line in f:
                if '"sourcetype":"ipv6probe:stats"' in line and line.endswith("\n"):
                    if json.loads(line)["event"]["lines"] >= n:
                        return
        time.sleep(0.2)
    raise RuntimeError(f"ipv6probe-forward did not report {n} lines read")


def run_forwarder(forwarder, workdir, chunks=4):
    """Feed the story through ipv6probe-forward --stdout, which follows the
    log file as the lines are appended in a few chunks, each once the
    forwarder's counter records (one a second) show the previous one read, so
    the counters grow chunk by chunk; then stop it with SIGTERM as a service
    manager would.  Returns (stdout text, the log lines)."""
    lines = Story().build()
    table = os.path.join(workdir, "site-classification.yaml")
    with open(table, "w") as f:
        f.write(CLASSIFICATION)
    log = os.path.join(workdir, "story.log")
    open(log, "w").close()
    cfg = os.path.join(workdir, "forward.yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(site=SITE, table=table, log=log))
    stdout = os.path.join(workdir, "stdout.jsonl")
    with open(stdout, "w") as out, open(os.path.join(workdir, "stderr.txt"), "w") as err:
        p = subprocess.Popen([forwarder, "-c", cfg, "--stdout"], stdout=out, stderr=err)
        try:
            step = (len(lines) + chunks - 1) // chunks
            with open(log, "a") as f:
                for i in range(0, len(lines), step):
                    f.write("\n".join(lines[i:i + step]) + "\n")
                    f.flush()
                    # the next chunk once a counter record shows this one read
                    wait_for_lines(stdout, min(i + step, len(lines)), p)
        finally:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
    with open(os.path.join(workdir, "stdout.jsonl")) as f:
        text = f.read()
    if rc != 0:
        with open(os.path.join(workdir, "stderr.txt")) as f:
            raise RuntimeError(f"ipv6probe-forward exited {rc}: {f.read()[-2000:]}")
    return text, lines
