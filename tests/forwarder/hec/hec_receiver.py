#!/usr/bin/env python3
"""Strict Splunk HTTP Event Collector (HEC) receiver for tests and demos.

Python standard library only.  See README.md beside this file for the
command line, the control endpoints and the fault script syntax.
"""

import argparse
import base64
import collections
import gzip
import ipaddress
import json
import os
import random
import re
import shlex
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_TOKEN = "00000000-0000-4000-8000-000000000001"
DEFAULT_MAX_CONTENT_LENGTH = 838860800  # limits.conf [http_input]
DEFAULT_MAX_EVENT_SIZE = 5 * 1024 * 1024  # inputs.conf [http] maxEventSize

# HEC reply codes: code -> (HTTP status, text)
CODES = {
    0: (200, "Success"),
    1: (403, "Token disabled"),
    2: (401, "Token is required"),
    3: (401, "Invalid authorization"),
    4: (403, "Invalid token"),
    5: (400, "No data"),
    6: (400, "Invalid data format"),
    7: (400, "Incorrect index"),
    8: (500, "Internal server error"),
    9: (503, "Server is busy"),
    10: (400, "Data channel is missing"),
    11: (400, "Invalid data channel"),
    12: (400, "Event field is required"),
    13: (400, "Event field cannot be blank"),
    14: (400, "ACK is disabled"),
    15: (400, "Error in handling indexed fields"),
    16: (400, "Query string authorization is not enabled"),
    17: (200, "HEC is healthy"),
    18: (503, "HEC is unhealthy, queues are full"),
    19: (503, "HEC is unhealthy, ack service unavailable"),
    20: (503, "HEC is unhealthy, queues are full, ack service unavailable"),
    21: (400, "Invalid token"),
    22: (400, "Token disabled"),
    23: (503, "Server is shutting down"),
    26: (429, "HEC queue is at capacity and cannot process any more requests"),
    27: (429, "HEC ACK channel is at capacity and cannot process any more requests"),
}

NOT_FOUND_TEXT = "The requested URL was not found on this server."

EVENT_PATHS = {
    "/services/collector": "event",
    "/services/collector/event": "event",
    "/services/collector/event/1.0": "event",
    "/services/collector/raw": "raw",
    "/services/collector/raw/1.0": "raw",
    "/services/collector/ack": "ack",
    "/services/collector/health": "health",
    "/services/collector/health/1.0": "health",
}
CONTROL_PREFIX = "/__hec/"

GUID_RE = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
DECIMAL_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
WS = " \t\r\n"


class HecError(Exception):
    """An HEC error reply: code from CODES, optional invalid-event-number."""

    def __init__(self, code, event_number=None, status=None, text=None):
        super().__init__(code)
        self.code = code
        self.event_number = event_number
        st, tx = CODES.get(code, (400, "Error"))
        self.status = status if status is not None else st
        self.text = text if text is not None else tx

    def body(self):
        b = {"text": self.text, "code": self.code}
        if self.event_number is not None:
            b["invalid-event-number"] = self.event_number
        return b


class RawFloat(float):
    """A JSON float that remembers how it was written (to spot exponents)."""
    __slots__ = ("raw",)

    def __new__(cls, s):
        f = float.__new__(cls, s)
        f.raw = s
        return f


_DECODER = json.JSONDecoder(parse_float=RawFloat)


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

class Token:
    def __init__(self, value, ack=False, disabled=False, query=False,
                 indexes=None, name=None):
        self.value = value
        self.ack = ack
        self.disabled = disabled
        self.query = query
        self.indexes = indexes  # None = any index
        self.name = name or value

    @classmethod
    def parse(cls, spec):
        """TOKEN[:opt,opt...] with opts ack, disabled, query, indexes=a|b, name=X."""
        value, _, opts = spec.partition(":")
        if not value:
            raise ValueError("empty token in %r" % spec)
        t = cls(value)
        for opt in filter(None, opts.split(",")):
            k, _, v = opt.partition("=")
            if k == "ack":
                t.ack = True
            elif k == "disabled":
                t.disabled = True
            elif k == "query":
                t.query = True
            elif k == "indexes":
                t.indexes = set(filter(None, v.split("|")))
            elif k == "name":
                t.name = v
            else:
                raise ValueError("unknown token option %r in %r" % (k, spec))
        return t


# --------------------------------------------------------------------------
# Fault script
# --------------------------------------------------------------------------

ACTIONS = {"reply", "busy", "drop", "slow", "reject", "ack-delay",
           "ack-never", "ack-polls", "unhealthy"}
TERMINAL = {"reply", "busy", "drop"}
ENDPOINTS = {"event", "raw", "ack", "health"}
DEFAULT_ON = {"unhealthy": {"health"}}


class Rule:
    def __init__(self, action, arg, opts, index, seed, text):
        self.action = action
        self.arg = arg
        self.opts = opts
        self.text = text
        self.seen = 0    # matching requests considered
        self.fired = 0   # times applied
        on = opts.pop("on", None)
        if on is None:
            self.on = DEFAULT_ON.get(action, {"event", "raw"})
        elif on == "any":
            self.on = set(ENDPOINTS)
        else:
            self.on = set(on.split(","))
            bad = self.on - ENDPOINTS
            if bad:
                raise ValueError("unknown endpoint %s in %r" % (",".join(sorted(bad)), text))
        self.after = int(opts.pop("after", 0))
        self.count = int(opts.pop("count")) if "count" in opts else None
        self.every = int(opts.pop("every", 1))
        if self.every < 1:
            raise ValueError("every must be >= 1 in %r" % text)
        prob = opts.pop("prob", None)
        pct = opts.pop("percent", None)
        if prob is not None and pct is not None:
            raise ValueError("both prob and percent in %r" % text)
        self.prob = float(prob) if prob is not None else (
            float(pct) / 100.0 if pct is not None else None)
        if self.prob is not None and not 0.0 <= self.prob <= 1.0:
            raise ValueError("probability out of range in %r" % text)
        self.rng = random.Random("%s:%d" % (seed, index))
        self._check(opts)

    def _check(self, opts):
        a = self.action
        allowed = {
            "reply": {"code", "text", "retry-after", "ien", "invalid-event-number"},
            "busy": {"status", "retry-after", "ien", "invalid-event-number"},
            "drop": {"stage", "store", "rst"},
            "slow": set(),
            "reject": {"code", "match"},
            "ack-delay": set(),
            "ack-never": set(),
            "ack-polls": set(),
            "unhealthy": {"code"},
        }[a]
        extra = set(opts) - allowed
        if extra:
            raise ValueError("unknown option(s) %s for %s in %r"
                             % (",".join(sorted(extra)), a, self.text))
        needs_arg = {"reply", "slow", "ack-delay", "ack-polls"}
        if a in needs_arg and self.arg is None:
            raise ValueError("%s needs an argument in %r" % (a, self.text))
        if a == "reject" and self.arg is None and "match" not in opts:
            raise ValueError("reject needs an event number or match= in %r" % self.text)
        if a == "drop" and opts.get("stage", "body") not in ("headers", "body"):
            raise ValueError("drop stage must be headers or body in %r" % self.text)
        # validate numbers early
        if a == "reply":
            int(self.arg)
        if a in ("slow", "ack-delay"):
            float(self.arg)
        if a in ("ack-polls",) or (a == "reject" and self.arg is not None):
            int(self.arg)

    def decide(self):
        """Called for each request on a matching endpoint; True if it fires."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.count is not None and self.fired >= self.count:
            return False
        if (self.seen - self.after - 1) % self.every != 0:
            return False
        if self.prob is not None and self.rng.random() >= self.prob:
            return False
        self.fired += 1
        return True

    def describe(self):
        return {"rule": self.text, "action": self.action, "seen": self.seen,
                "fired": self.fired}


def parse_script(text, seed=0):
    rules = []
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        lines.extend(p.strip() for p in line.split(";"))
    for part in lines:
        if not part:
            continue
        words = shlex.split(part)
        action = words[0]
        if action not in ACTIONS:
            # shorthands: "503", "429", "500", "404" -> reply STATUS
            if action.isdigit():
                words = ["reply"] + words
                action = "reply"
            else:
                raise ValueError("unknown fault action %r" % action)
        arg = None
        opts = {}
        for w in words[1:]:
            if "=" in w:
                k, _, v = w.partition("=")
                opts[k] = v
            elif arg is None:
                arg = w
            else:
                raise ValueError("unexpected word %r in %r" % (w, part))
        rules.append(Rule(action, arg, opts, len(rules), seed, part))
    return rules


class Plan:
    """What the fault script decided for one request."""
    __slots__ = ("delay", "terminal", "reject", "ack", "unhealthy")

    def __init__(self):
        self.delay = 0.0
        self.terminal = None
        self.reject = None
        self.ack = None  # ("delay", s) | ("never",) | ("polls", n)
        self.unhealthy = None


# --------------------------------------------------------------------------
# Receiver state
# --------------------------------------------------------------------------

class AckState:
    __slots__ = ("ready_at", "polls_left")

    def __init__(self, ready_at, polls_left):
        self.ready_at = ready_at
        self.polls_left = polls_left


class Receiver:
    def __init__(self, args):
        self.args = args
        self.tokens = {}
        for spec in args.token or [DEFAULT_TOKEN]:
            t = Token.parse(spec)
            self.tokens[t.value] = t
        self.lock = threading.Lock()
        self.out = None
        if args.out and not args.count_only:
            self.out = open(args.out, "a", encoding="utf-8")
        self.seed = args.seed
        self.script_text = ""
        self.rules = []
        text = ""
        if args.faults_file:
            with open(args.faults_file, encoding="utf-8") as f:
                text += f.read() + "\n"
        if args.faults:
            text += "\n".join(args.faults)
        self.set_script(text, self.seed)
        self.channels = {}  # channel -> [next_id, {id: AckState}]
        self.request_seq = 0
        # Event requests as (arrival, answer sent, status), in order: what a
        # test needs to check waits from the moment an answer left.
        self.timeline = collections.deque(maxlen=10000)
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.stats = {
                "requests": 0,
                "by_endpoint": {},
                "by_status": {},
                "by_code": {},
                "events": 0,
                "events_rejected": 0,
                "bytes_wire": 0,
                "bytes_decoded": 0,
                "gzip_requests": 0,
                "dropped": 0,
                "acks_issued": 0,
                "acks_true": 0,
                "ack_queries": 0,
                "started": time.time(),
            }

    def set_script(self, text, seed=None):
        if seed is None:
            seed = self.seed
        rules = parse_script(text, seed)
        with self.lock:
            self.script_text = text
            self.rules = rules
            self.seed = seed

    def plan(self, endpoint):
        p = Plan()
        with self.lock:
            for r in self.rules:
                if endpoint not in r.on:
                    continue
                a = r.action
                # first rule of a kind wins; later ones of that kind are not consulted
                if a == "reject" and p.reject is not None:
                    continue
                if a.startswith("ack-") and p.ack is not None:
                    continue
                if not r.decide():
                    continue
                if a == "slow":
                    p.delay += float(r.arg)
                elif a in TERMINAL:
                    p.terminal = r
                    break
                elif a == "reject":
                    p.reject = r
                elif a == "ack-delay":
                    p.ack = ("delay", float(r.arg))
                elif a == "ack-never":
                    p.ack = ("never",)
                elif a == "ack-polls":
                    p.ack = ("polls", int(r.arg))
                elif a == "unhealthy":
                    p.unhealthy = r
                    break
        return p

    def count(self, endpoint, status, code, nbytes=0):
        with self.lock:
            s = self.stats
            s["requests"] += 1
            s["by_endpoint"][endpoint] = s["by_endpoint"].get(endpoint, 0) + 1
            k = str(status)
            s["by_status"][k] = s["by_status"].get(k, 0) + 1
            if code is not None:
                k = str(code)
                s["by_code"][k] = s["by_code"].get(k, 0) + 1
            s["bytes_wire"] += nbytes

    def new_ack(self, channel, ack_plan):
        now = time.monotonic()
        ready_at, polls = now + self.args.ack_delay, self.args.ack_polls
        if ack_plan is not None:
            if ack_plan[0] == "delay":
                ready_at = now + ack_plan[1]
            elif ack_plan[0] == "never":
                ready_at = None
            elif ack_plan[0] == "polls":
                polls = ack_plan[1]
        with self.lock:
            ch = self.channels.setdefault(channel, [0, {}])
            ack_id = ch[0]
            ch[0] += 1
            ch[1][ack_id] = AckState(ready_at, polls)
            self.stats["acks_issued"] += 1
        return ack_id

    def query_acks(self, channel, ids):
        now = time.monotonic()
        res = {}
        with self.lock:
            self.stats["ack_queries"] += 1
            ch = self.channels.get(channel)
            for i in ids:
                st = ch[1].get(i) if ch else None
                ok = False
                if st is not None:
                    if st.polls_left > 0:
                        st.polls_left -= 1
                    elif st.ready_at is not None and now >= st.ready_at:
                        ok = True
                        self.stats["acks_true"] += 1
                res[str(i)] = ok
        return res

    def store(self, records):
        with self.lock:
            self.request_seq += 1
            seq = self.request_seq
            self.stats["events"] += len(records)
            if self.out is not None:
                w = self.out.write
                for r in records:
                    r["req"] = seq
                    w(json.dumps(r, separators=(",", ":"), ensure_ascii=False))
                    w("\n")
                self.out.flush()
        return seq

    def snapshot(self):
        with self.lock:
            s = json.loads(json.dumps(self.stats))
            s["uptime"] = time.time() - s.pop("started")
            s["accepted_requests"] = self.request_seq
            s["channels"] = len(self.channels)
            s["faults"] = [r.describe() for r in self.rules]
            s["timeline"] = [list(t) for t in self.timeline]
            return s


# --------------------------------------------------------------------------
# Body parsing
# --------------------------------------------------------------------------

def _bad_fields(f):
    if type(f) is not dict:
        return True
    for v in f.values():
        if type(v) is str:
            continue
        if type(v) is list:
            for x in v:
                if type(x) is not str:
                    return True
            continue
        return True
    return False


_DECIMAL_MATCH = DECIMAL_RE.match
_WS_MATCH = re.compile(r"[ \t\r\n]*").match


def check_envelope(obj, n, token, max_event_size, size):
    if type(obj) is not dict:
        raise HecError(6, n)
    if size > max_event_size:
        raise HecError(6, n)
    ev = obj.get("event", obj)
    if ev is obj:
        raise HecError(12, n)
    if ev is None or ev == "":
        raise HecError(13, n)
    t = obj.get("time", obj)
    if t is not obj:
        tt = type(t)
        if tt is str:
            if not _DECIMAL_MATCH(t):
                raise HecError(15, n)
        elif tt is RawFloat:
            if "e" in t.raw or "E" in t.raw:
                raise HecError(15, n)
        elif tt is not int:
            raise HecError(15, n)
    for k in ("host", "source", "sourcetype", "index"):
        v = obj.get(k, "")
        if type(v) is not str:
            raise HecError(6, n)
    f = obj.get("fields")
    if f is not None or "fields" in obj:
        if _bad_fields(f):
            raise HecError(15, n)
    if token.indexes is not None and "index" in obj and obj["index"] not in token.indexes:
        raise HecError(7, n)


def parse_events(text, token, max_event_size, accept_array=False):
    """Yield (n, obj, start, end) for each event; raise HecError on the first bad one.

    Events already yielded count as accepted (Splunk streams the body).
    start/end locate the event's JSON text in text (None for array members).
    """
    decode = _DECODER.raw_decode
    ws = _WS_MATCH
    end = len(text)
    i = ws(text, 0).end()
    n = 0
    if i == end:
        raise HecError(5)
    if text[i] == "[" and accept_array:
        try:
            arr, j = decode(text, i)
        except ValueError:
            raise HecError(6, 0)
        if text[j:].strip(WS):
            raise HecError(6, len(arr) if isinstance(arr, list) else 0)
        for obj in arr:
            check_envelope(obj, n, token, max_event_size, len(json.dumps(obj)))
            yield n, obj, None, None
            n += 1
        return
    while i < end:
        try:
            obj, j = decode(text, i)
        except ValueError:
            raise HecError(6, n)
        check_envelope(obj, n, token, max_event_size, j - i)
        yield n, obj, i, j
        n += 1
        i = ws(text, j).end()


def match_reject(rule, n, obj, text, start, end):
    if "match" in rule.opts:
        raw = text[start:end] if start is not None else json.dumps(obj)
        return rule.opts["match"] in raw
    return n == int(rule.arg)


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class DropConnection(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hec-receiver/1"
    sys_version = ""

    def handle_expect_100(self):
        # Like Splunk's HTTP layer: no "100 Continue" for a body over the limit;
        # the handler answers 413 and closes instead.
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = 0
        if n > self.server.receiver.args.max_content_length:
            return True
        return super().handle_expect_100()

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.receiver.args.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # -- plumbing ----------------------------------------------------------

    def send_json(self, status, body, headers=None):
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        # headers and body in one write: no Nagle/delayed-ACK stall
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(data)
        self.flush_headers()

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def read_body(self, limit):
        """Read the request body; returns bytes, or None if over limit."""
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            parts = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise DropConnection()
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while True:  # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > limit:
                    self.close_connection = True
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(parts)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
        except ValueError:
            self.close_connection = True
            return b""
        if n > limit:
            self.close_connection = True
            return None
        data = self.rfile.read(n)
        if len(data) != n:
            raise DropConnection()
        return data

    def discard_body(self):
        try:
            self.read_body(1 << 62)
        except (DropConnection, ValueError):
            self.close_connection = True

    def drop(self, rst=False):
        self.close_connection = True
        rec = self.server.receiver
        with rec.lock:
            rec.stats["dropped"] += 1
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise DropConnection()

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def send_response(self, code, message=None):
        self._status = code
        super().send_response(code, message)

    def dispatch(self):
        t_in, self._status = time.monotonic(), None
        try:
            self._dispatch()
            if self.endpoint_name() == "event":
                rec = self.server.receiver
                with rec.lock:
                    rec.timeline.append((t_in, time.monotonic(), self._status))
        except DropConnection:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a receiver bug or a garbled request: say so, keep serving
            import traceback
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self.send_json(500, {"text": CODES[8][1], "code": 8})
            except OSError:
                pass

    def _dispatch(self):
        rec = self.server.receiver
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query, keep_blank_values=True)
        if path.startswith(CONTROL_PREFIX):
            return self.control(path[len(CONTROL_PREFIX):], query)
        endpoint = EVENT_PATHS.get(path)
        method_ok = endpoint is not None and (
            (endpoint == "health" and self.command == "GET")
            or (endpoint != "health" and self.command == "POST"))
        if not method_ok:
            self.discard_body()
            rec.count("other", 404, None)
            return self.send_json(404, {"text": NOT_FOUND_TEXT, "code": 404})
        plan = rec.plan(endpoint)
        t = plan.terminal
        if t is not None and t.action == "drop" and t.opts.get("stage") == "headers":
            self.drop(rst=t.opts.get("rst") in ("1", "yes", "true"))
        if plan.delay:
            time.sleep(plan.delay)
        if endpoint == "health":
            return self.health(plan, query)
        limit = rec.args.max_content_length
        body = self.read_body(limit)
        nbytes = len(body) if body is not None else 0
        if t is not None:
            if t.action == "drop":
                if t.opts.get("store") in ("1", "yes", "true") and body is not None:
                    try:
                        self.handle_data(endpoint, plan, query, body)
                    except HecError:
                        pass
                rec.count(endpoint, "dropped", None, nbytes)
                self.drop(rst=t.opts.get("rst") in ("1", "yes", "true"))
            self.fault_reply(t)
            return
        if body is None:
            rec.count(endpoint, 413, None)
            cl = self.headers.get("Content-Length", "?")
            return self.send_json(413, {"text": "Content-Length of %s too large (maximum is %d)"
                                        % (cl, limit)})
        try:
            status, reply, headers = self.handle_data(endpoint, plan, query, body)
        except HecError as e:
            with rec.lock:
                if e.event_number is not None:
                    rec.stats["events_rejected"] += 1
            rec.count(endpoint, e.status, e.code, nbytes)
            return self.send_json(e.status, e.body())
        rec.count(endpoint, status, reply.get("code"), nbytes)
        self.send_json(status, reply, headers)

    def fault_reply(self, rule):
        rec = self.server.receiver
        o = rule.opts
        if rule.action == "busy":
            status = int(o.get("status", 503))
            code = 9
        else:
            status = int(rule.arg)
            code = int(o["code"]) if "code" in o else {503: 9, 429: 9, 500: 8}.get(status)
        if code is not None:
            text = o.get("text", CODES.get(code, (0, "Error"))[1])
            body = {"text": text, "code": code}
        else:
            body = {"text": o.get("text", self.responses.get(status, ("Error",))[0])}
        ien = o.get("ien", o.get("invalid-event-number"))
        if ien is not None:
            body["invalid-event-number"] = int(ien)
        headers = {}
        if "retry-after" in o:
            headers["Retry-After"] = o["retry-after"]
        rec.count(self.endpoint_name(), status, code, 0)
        self.send_json(status, body, headers)
        return status, code

    def endpoint_name(self):
        return EVENT_PATHS.get(urlsplit(self.path).path, "other")

    # -- auth and channel --------------------------------------------------

    def authenticate(self, query, health=False):
        rec = self.server.receiver
        qtok = query.get("token")
        if qtok is not None:
            t = rec.tokens.get(qtok[-1])
            if t is None:
                raise HecError(21 if health else 4)
            if not t.query:
                raise HecError(16)
            if t.disabled:
                raise HecError(22 if health else 1)
            return t
        h = self.headers.get("Authorization")
        if h is None:
            if health:
                return None
            raise HecError(2)
        scheme, _, cred = h.strip().partition(" ")
        cred = cred.strip()
        if scheme.lower() == "splunk":
            value = cred
        elif scheme.lower() == "basic":
            try:
                dec = base64.b64decode(cred, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise HecError(3)
            if ":" not in dec:
                raise HecError(3)
            value = dec.split(":", 1)[1]
        else:
            raise HecError(3)
        if not value:
            raise HecError(3)
        t = rec.tokens.get(value)
        if t is None:
            raise HecError(21 if health else 4)
        if t.disabled:
            raise HecError(22 if health else 1)
        return t

    def channel(self, query, token):
        ch = self.headers.get("X-Splunk-Request-Channel")
        if ch is None and "channel" in query:
            ch = query["channel"][-1]
        if ch is None:
            if token.ack:
                raise HecError(10)
            return None
        if not GUID_RE.match(ch):
            raise HecError(11)
        return ch.lower()

    # -- endpoints ---------------------------------------------------------

    def health(self, plan, query):
        rec = self.server.receiver
        try:
            self.authenticate(query, health=True)
        except HecError as e:
            rec.count("health", e.status, e.code)
            return self.send_json(e.status, e.body())
        u = plan.unhealthy
        if u is not None:
            code = int(u.opts.get("code", 18))
            st, tx = CODES[code]
            rec.count("health", st, code)
            return self.send_json(st, {"text": tx, "code": code})
        rec.count("health", 200, 17)
        return self.send_json(200, {"text": CODES[17][1], "code": 17})

    def decode_body(self, body):
        rec = self.server.receiver
        enc = self.headers.get("Content-Encoding", "").strip().lower()
        if enc == "gzip":
            with rec.lock:
                rec.stats["gzip_requests"] += 1
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError, zlib.error):
                raise HecError(6)
        elif enc not in ("", "identity"):
            raise HecError(6, status=415, text="Unsupported Content-Encoding")
        with rec.lock:
            rec.stats["bytes_decoded"] += len(body)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise HecError(6)

    def handle_data(self, endpoint, plan, query, body):
        rec = self.server.receiver
        token = self.authenticate(query)
        ch = self.channel(query, token)
        if endpoint == "ack":
            return self.handle_ack(token, ch, body)
        text = self.decode_body(body)
        records = []
        count_only = rec.args.count_only
        err = None
        reject = plan.reject
        rejected = False
        base = {"endpoint": endpoint, "channel": ch}
        if rec.args.record_token:
            base["token"] = token.name
        try:
            if endpoint == "raw":
                it = self.raw_events(text, query)
            else:
                it = parse_events(text, token, rec.args.max_event_size,
                                  rec.args.accept_array)
            for n, obj, start, end in it:
                if reject is not None and match_reject(reject, n, obj, text, start, end):
                    rejected = True
                    raise HecError(int(reject.opts.get("code", 6)), n)
                if count_only:
                    records.append(None)
                else:
                    r = dict(base)
                    r["n"] = n
                    r["envelope"] = obj
                    records.append(r)
        except HecError as e:
            err = e
        if reject is not None and not rejected:
            with rec.lock:
                reject.fired -= 1  # a reject only counts when it hit an event
        ack_id = None
        if records:
            if token.ack and err is None:
                ack_id = rec.new_ack(ch, plan.ack)
                if not count_only:
                    for r in records:
                        r["ackId"] = ack_id
            if count_only:
                with rec.lock:
                    rec.request_seq += 1
                    rec.stats["events"] += len(records)
            else:
                rec.store(records)
        elif token.ack and err is None:
            ack_id = rec.new_ack(ch, plan.ack)
        if err is not None:
            raise err
        reply = {"text": "Success", "code": 0}
        if ack_id is not None:
            reply["ackId"] = ack_id
        return 200, reply, None

    def raw_events(self, text, query):
        meta = {}
        for k in ("host", "source", "sourcetype", "index", "time"):
            if k in query:
                meta[k] = query[k][-1]
        n = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            obj = dict(meta)
            obj["event"] = line
            yield n, obj, None, None
            n += 1
        if n == 0:
            raise HecError(5)

    def handle_ack(self, token, ch, body):
        rec = self.server.receiver
        if not token.ack:
            raise HecError(14)
        try:
            req = json.loads(body.decode("utf-8"))
            ids = req["acks"]
            if not isinstance(ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise ValueError()
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise HecError(6)
        return 200, {"acks": rec.query_acks(ch, ids)}, None

    # -- control -----------------------------------------------------------

    def control(self, what, query):
        rec = self.server.receiver
        body = self.read_body(1 << 24) or b""
        try:
            if not ipaddress.ip_address(self.client_address[0]).is_loopback:
                return self.send_json(403, {"error": "control endpoints are loopback only"})
        except ValueError:
            pass
        if what == "stats" and self.command == "GET":
            return self.send_json(200, rec.snapshot())
        if what == "stats/reset" and self.command == "POST":
            rec.reset_stats()
            return self.send_json(200, {"ok": True})
        if what == "faults" and self.command == "GET":
            with rec.lock:
                return self.send_json(200, {"script": rec.script_text, "seed": rec.seed,
                                            "rules": [r.describe() for r in rec.rules]})
        if what == "faults" and self.command in ("PUT", "POST"):
            seed = query.get("seed", [None])[-1]
            try:
                rec.set_script(body.decode("utf-8"), seed)
            except (ValueError, UnicodeDecodeError) as e:
                return self.send_json(400, {"error": str(e)})
            return self.send_json(200, {"ok": True, "rules": len(rec.rules)})
        if what == "faults" and self.command == "DELETE":
            rec.set_script("")
            return self.send_json(200, {"ok": True, "rules": 0})
        if what == "down" and self.command == "POST":
            try:
                secs = float(query.get("seconds", ["5"])[-1])
            except ValueError:
                return self.send_json(400, {"error": "bad seconds"})
            self.send_json(200, {"ok": True, "seconds": secs})
            self.close_connection = True
            threading.Thread(target=self.server.go_down, args=(secs,), daemon=True).start()
            return None
        if what == "shutdown" and self.command == "POST":
            self.send_json(200, {"ok": True})
            self.close_connection = True
            self.server.stopping = True
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return None
        return self.send_json(404, {"error": "unknown control endpoint"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, receiver, ssl_ctx=None):
        self.receiver = receiver
        self.ssl_ctx = ssl_ctx
        self.pending_down = None
        self.stopping = False
        self.conns = set()
        self.conns_lock = threading.Lock()
        host = addr[0]
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        with self.conns_lock:
            self.conns.add(request)
        try:
            return self._finish_request(request, client_address)
        finally:
            with self.conns_lock:
                self.conns.discard(request)

    def _finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            return super().finish_request(request, client_address)
        try:
            request.settimeout(30)
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (ssl.SSLError, OSError):
            return None
        try:
            return super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def go_down(self, secs):
        """Stop listening for secs seconds and cut open connections."""
        self.pending_down = secs
        self.shutdown()

    def cut_connections(self):
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def relisten(self):
        self.socket = socket.socket(self.address_family, self.socket_type)
        for _ in range(100):
            try:
                self.server_bind()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise OSError("cannot bind %r again" % (self.server_address,))
        self.server_activate()

    def handle_error(self, request, client_address):
        if self.receiver.args.verbose:
            super().handle_error(request, client_address)


def build_arg_parser():
    p = argparse.ArgumentParser(
        description="Strict Splunk HEC receiver for tests (stdlib only).",
        fromfile_prefix_chars="@")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0,
                   help="port to bind, 0 = ephemeral (default 0)")
    p.add_argument("--allow-non-loopback", action="store_true",
                   help="permit --host addresses that are not loopback")
    p.add_argument("--port-file", help="write the bound port number to this file")
    p.add_argument("--token", action="append", metavar="TOKEN[:OPTS]",
                   help="accepted token; OPTS comma list of ack, disabled, query, "
                        "indexes=a|b, name=N (repeatable; default %s)" % DEFAULT_TOKEN)
    p.add_argument("--out", help="append every accepted event as a JSON line to FILE")
    p.add_argument("--record-token", action="store_true",
                   help="add the token's name to each stored record")
    p.add_argument("--count-only", action="store_true",
                   help="decode, parse and count events but store nothing")
    p.add_argument("--max-content-length", type=int, default=DEFAULT_MAX_CONTENT_LENGTH,
                   help="max request body bytes on the wire (default %d)"
                        % DEFAULT_MAX_CONTENT_LENGTH)
    p.add_argument("--max-event-size", type=int, default=DEFAULT_MAX_EVENT_SIZE,
                   help="max bytes of one event's JSON (default %d)" % DEFAULT_MAX_EVENT_SIZE)
    p.add_argument("--accept-array", action="store_true",
                   help="also accept a top-level JSON array as a batch")
    p.add_argument("--ack-delay", type=float, default=0.0,
                   help="seconds before an ackId reads true (default 0)")
    p.add_argument("--ack-polls", type=int, default=0,
                   help="queries of an ackId answered false before it can be true")
    p.add_argument("--faults", action="append", metavar="SCRIPT",
                   help="fault script text (repeatable, rules appended)")
    p.add_argument("--faults-file", help="file holding a fault script")
    p.add_argument("--seed", default="0", help="seed for probabilistic faults (default 0)")
    p.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--verbose", "-v", action="store_true", help="log requests to stderr")
    return p


def main(argv=None):
    args = build_arg_parser().parse_args(argv)
    try:
        is_lo = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        is_lo = args.host == "localhost"
    if not is_lo and not args.allow_non_loopback:
        sys.stderr.write("hec_receiver: refusing to bind %s without --allow-non-loopback\n"
                         % args.host)
        return 2
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.stderr.write("hec_receiver: --tls-cert and --tls-key go together\n")
        return 2
    try:
        rec = Receiver(args)
    except (ValueError, OSError) as e:
        sys.stderr.write("hec_receiver: %s\n" % e)
        return 2
    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    srv = Server((args.host, args.port), rec, ctx)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()

    def stop(signum, frame):
        srv.stopping = True
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while True:
            srv.serve_forever(poll_interval=0.1)
            if srv.stopping or srv.pending_down is None:
                break
            secs, srv.pending_down = srv.pending_down, None
            srv.socket.close()
            srv.cut_connections()
            deadline = time.monotonic() + secs
            while not srv.stopping and time.monotonic() < deadline:
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
            if srv.stopping:
                break
            srv.relisten()
    finally:
        srv.server_close()
        if rec.out is not None:
            rec.out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
