"""Start and drive hec_receiver.py from Python tests.

    with Receiver(["--token", "T:ack"]) as r:
        r.url            # http://127.0.0.1:PORT
        r.set_faults("busy count=3")
        r.stats()["events"]
        r.events()       # stored records (list of dicts) when out=True
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "hec_receiver.py")


class Receiver:
    def __init__(self, args=(), out=True, tls=None, python=None, startup_timeout=15.0):
        self.dir = tempfile.mkdtemp(prefix="hec-recv-")
        self.port_file = os.path.join(self.dir, "port")
        self.out = os.path.join(self.dir, "events.jsonl") if out else None
        cmd = [python or sys.executable, RECEIVER, "--port-file", self.port_file]
        if self.out:
            cmd += ["--out", self.out]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        cmd += list(args)
        self.scheme = "https" if tls else "http"
        self.stderr_path = os.path.join(self.dir, "stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + startup_timeout
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("receiver exited %s: %s"
                                   % (self.proc.returncode, self.stderr_text()))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("receiver did not start")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self.control_url = "%s/__hec/" % self.url

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _control(self, method, what, body=None, context=None):
        req = urllib.request.Request(self.control_url + what, data=body, method=method)
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return json.loads(resp.read())

    def control(self, method, what, body=None):
        ctx = None
        if self.scheme == "https":
            import ssl
            ctx = ssl._create_unverified_context()
        return self._control(method, what, body, ctx)

    def stats(self):
        return self.control("GET", "stats")

    def set_faults(self, script, seed=None):
        what = "faults" if seed is None else "faults?seed=%s" % seed
        return self.control("PUT", what, script.encode())

    def clear_faults(self):
        return self.control("DELETE", "faults")

    def events(self):
        if not self.out or not os.path.exists(self.out):
            return []
        with open(self.out, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def retry_gaps(timeline, status):
    """For each event request answered `status`, the seconds from that
    answer leaving the receiver to the next event request arriving (with
    requests made one at a time)."""
    gaps = []
    for i, (_, out, st) in enumerate(timeline):
        if st == status and i + 1 < len(timeline):
            gaps.append(timeline[i + 1][0] - out)
    return gaps
