#!/usr/bin/env python3
"""Tests of the HEC test receiver (hec_receiver.py) over loopback."""

import base64
import gzip
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hec_harness import RECEIVER, Receiver  # noqa: E402

TOK = "11111111-1111-4111-8111-111111111111"
ACK = "22222222-2222-4222-8222-222222222222"
DIS = "33333333-3333-4333-8333-333333333333"
QRY = "44444444-4444-4444-8444-444444444444"
IDX = "55555555-5555-4555-8555-555555555555"
CH1 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
CH2 = "AAAAAAAA-0000-4000-8000-000000000002"
EVENT = "/services/collector/event"

TOKENS = ["--token", TOK, "--token", ACK + ":ack", "--token", DIS + ":disabled",
          "--token", QRY + ":query", "--token", IDX + ":indexes=main|netfw"]


def auth(token=TOK):
    return {"Authorization": "Splunk " + token}


class Client:
    """Keep-alive HTTP client for one receiver."""

    def __init__(self, recv, tls=False):
        self.recv = recv
        self.tls = tls
        self.conn = None

    def connect(self):
        if self.tls:
            ctx = ssl._create_unverified_context()
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.recv.port,
                                                    timeout=10, context=ctx)
        else:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.recv.port, timeout=10)
        return self.conn

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.connect()
        if isinstance(body, str):
            body = body.encode()
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return resp.status, parsed, resp

    def post(self, body, headers=None, path=EVENT, token=TOK):
        h = auth(token) if token else {}
        h.update(headers or {})
        return self.request("POST", path, body, h)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class ReceiverCase(unittest.TestCase):
    ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.recv = Receiver(TOKENS + cls.ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.recv.cleanup()

    def setUp(self):
        self.recv.clear_faults()
        self.c = Client(self.recv)
        self.mark = len(self.recv.events())

    def tearDown(self):
        self.c.close()

    def new_events(self):
        return self.recv.events()[self.mark:]

    def assertReply(self, got, status, code, ien=None, **extra):
        st, body, _ = got
        self.assertEqual(st, status, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body.get("code"), code, body)
        if code in (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16):
            texts = {0: "Success", 1: "Token disabled", 2: "Token is required",
                     3: "Invalid authorization", 4: "Invalid token", 5: "No data",
                     6: "Invalid data format", 7: "Incorrect index",
                     9: "Server is busy", 10: "Data channel is missing",
                     11: "Invalid data channel", 12: "Event field is required",
                     13: "Event field cannot be blank", 14: "ACK is disabled",
                     15: "Error in handling indexed fields",
                     16: "Query string authorization is not enabled"}
            self.assertEqual(body.get("text"), texts[code], body)
        if ien is None:
            self.assertNotIn("invalid-event-number", body)
        else:
            self.assertEqual(body.get("invalid-event-number"), ien, body)
        for k, v in extra.items():
            self.assertEqual(body.get(k), v, body)
        return body


class TestAuth(ReceiverCase):
    def test_success(self):
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)
        self.assertEqual([e["envelope"] for e in self.new_events()], [{"event": "x"}])

    def test_missing_header_code_2(self):
        self.assertReply(self.c.post('{"event":"x"}', token=None), 401, 2)

    def test_malformed_header_code_3(self):
        for h in (TOK, "Bearer " + TOK, "Splunk", "Splunk ", "Basic !!!notbase64",
                  "Basic " + base64.b64encode(b"no-colon").decode()):
            with self.subTest(header=h):
                self.assertReply(self.c.post('{"event":"x"}', {"Authorization": h},
                                             token=None), 401, 3)

    def test_invalid_token_code_4(self):
        self.assertReply(self.c.post('{"event":"x"}', token="nope"), 403, 4)

    def test_disabled_token_code_1(self):
        self.assertReply(self.c.post('{"event":"x"}', token=DIS), 403, 1)
        self.assertEqual(self.new_events(), [])

    def test_basic_auth(self):
        cred = base64.b64encode(("anyuser:" + TOK).encode()).decode()
        self.assertReply(self.c.post('{"event":"b"}', {"Authorization": "Basic " + cred},
                                     token=None), 200, 0)
        bad = base64.b64encode(b"anyuser:wrong").decode()
        self.assertReply(self.c.post('{"event":"b"}', {"Authorization": "Basic " + bad},
                                     token=None), 403, 4)

    def test_query_string_auth(self):
        self.assertReply(self.c.post('{"event":"q"}', path=EVENT + "?token=" + QRY,
                                     token=None), 200, 0)
        # not enabled for this token: code 16, even with a valid header
        self.assertReply(self.c.post('{"event":"q"}', path=EVENT + "?token=" + TOK),
                         400, 16)
        self.assertReply(self.c.post('{"event":"q"}', path=EVENT + "?token=zzz",
                                     token=None), 403, 4)
        self.assertEqual(len(self.new_events()), 1)

    def test_errors_keep_connection_alive(self):
        self.c.connect()
        self.assertReply(self.c.post('{"event":"x"}', token=None), 401, 2)
        sock = self.c.conn.sock
        self.assertIsNotNone(sock)
        self.assertReply(self.c.post('{"event":"x"}', token="bad"), 403, 4)
        self.assertReply(self.c.post('{"event":"x"'), 400, 6, ien=0)
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)
        self.assertIs(self.c.conn.sock, sock)


class TestBody(ReceiverCase):
    def test_batch_stored_exactly(self):
        body = ('{"time":1717000000.123,"host":"fw1","source":"fw1:syslog",'
                '"sourcetype":"fw:ipv6","index":"netfw","event":"<raw line>",'
                '"fields":{"ip_version":"6","tags":["ipv6","deny"]}}\n'
                '  {"time":"1717000000.456","event":{"src":"2001:db8::1"}}'
                '{"event":"no space between"}\r\n\t')
        self.assertReply(self.c.post(body), 200, 0)
        ev = self.new_events()
        self.assertEqual([e["envelope"] for e in ev], [
            {"time": 1717000000.123, "host": "fw1", "source": "fw1:syslog",
             "sourcetype": "fw:ipv6", "index": "netfw", "event": "<raw line>",
             "fields": {"ip_version": "6", "tags": ["ipv6", "deny"]}},
            {"time": "1717000000.456", "event": {"src": "2001:db8::1"}},
            {"event": "no space between"}])
        self.assertEqual([e["n"] for e in ev], [0, 1, 2])
        self.assertEqual(len({e["req"] for e in ev}), 1)
        self.assertTrue(all(e["endpoint"] == "event" and e["channel"] is None for e in ev))

    def test_all_event_paths(self):
        for p in ("/services/collector", "/services/collector/event",
                  "/services/collector/event/1.0"):
            with self.subTest(path=p):
                self.assertReply(self.c.post('{"event":"%s"}' % p, path=p), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()],
                         ["/services/collector", "/services/collector/event",
                          "/services/collector/event/1.0"])

    def test_unknown_path_and_method(self):
        st, body, _ = self.c.post('{"event":"x"}', path="/services/collector/nope")
        self.assertEqual(st, 404)
        self.assertEqual(body["code"], 404)
        st, body, _ = self.c.request("GET", EVENT, headers=auth())
        self.assertEqual(st, 404)

    def test_no_data_code_5(self):
        self.assertReply(self.c.post(""), 400, 5)
        self.assertReply(self.c.post(" \n\t "), 400, 5)

    def test_invalid_json_partial_failure_code_6(self):
        body = '{"event":"a"} {"event":"b"} {"event":"c",} {"event":"d"}'
        self.assertReply(self.c.post(body), 400, 6, ien=2)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["a", "b"])

    def test_not_an_object_code_6(self):
        self.assertReply(self.c.post('{"event":"a"} "str"'), 400, 6, ien=1)
        self.assertReply(self.c.post('[{"event":"a"}]'), 400, 6, ien=0)
        self.assertReply(self.c.post('{"event":"a"}, {"event":"b"}'), 400, 6, ien=1)

    def test_event_required_code_12(self):
        self.assertReply(self.c.post('{"event":"a"}{"host":"h"}{"event":"c"}'), 400, 12, ien=1)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["a"])

    def test_blank_event_code_13(self):
        self.assertReply(self.c.post('{"event":""}'), 400, 13, ien=0)
        self.assertReply(self.c.post('{"event":"a"}{"event":null}'), 400, 13, ien=1)
        self.assertReply(self.c.post('{"event":" "}'), 200, 0)

    def test_time_values(self):
        for t in ("1717000000", "1717000000.5", '"1717000000.500"', "-1", '"42"'):
            with self.subTest(time=t):
                self.assertReply(self.c.post('{"time":%s,"event":"t"}' % t), 200, 0)
        for t in ("1.717E9", "1e3", '"abc"', '"1.5e3"', '" 12"', "true", "null", "{}"):
            with self.subTest(time=t):
                self.assertReply(self.c.post('{"time":%s,"event":"t"}' % t), 400, 15, ien=0)

    def test_fields_values(self):
        ok = ('{"a":"b"}', '{"a":["b","c"]}', '{}', '{"a":[]}')
        for f in ok:
            with self.subTest(fields=f):
                self.assertReply(self.c.post('{"event":"f","fields":%s}' % f), 200, 0)
        bad = ('{"a":1}', '{"a":true}', '{"a":null}', '{"a":{"b":"c"}}', '{"a":["b",1]}',
               '"str"', '["a"]')
        for f in bad:
            with self.subTest(fields=f):
                self.assertReply(self.c.post('{"event":"x"}{"event":"f","fields":%s}' % f),
                                 400, 15, ien=1)

    def test_metadata_must_be_strings(self):
        self.assertReply(self.c.post('{"event":"x","host":5}'), 400, 6, ien=0)

    def test_incorrect_index_code_7(self):
        self.assertReply(self.c.post('{"event":"a","index":"main"}', token=IDX), 200, 0)
        self.assertReply(self.c.post('{"event":"b"}', token=IDX), 200, 0)
        self.assertReply(self.c.post('{"event":"c","index":"netfw"}{"event":"d","index":"x"}',
                                     token=IDX), 400, 7, ien=1)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["a", "b", "c"])

    def test_invalid_utf8_code_6(self):
        self.assertReply(self.c.post(b'{"event":"\xff"}'), 400, 6)

    def test_numbers_and_unicode_kept(self):
        body = '{"event":{"n":12345678901234567890,"f":0.25,"u":"caf\\u00e9 \u2603"}}'
        self.assertReply(self.c.post(body), 200, 0)
        self.assertEqual(self.new_events()[0]["envelope"]["event"],
                         {"n": 12345678901234567890, "f": 0.25, "u": "caf\u00e9 \u2603"})

    def test_chunked_body(self):
        conn = self.c.connect()
        conn.putrequest("POST", EVENT)
        conn.putheader("Authorization", "Splunk " + TOK)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for part in (b'{"event":"ch', b'unk"}\n{"event":"2"}'):
            conn.send(b"%x\r\n%s\r\n" % (len(part), part))
        conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(json.loads(resp.read())["code"], 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["chunk", "2"])

    def test_raw_endpoint(self):
        q = "/services/collector/raw?host=h1&sourcetype=fw%3Araw&index=netfw&channel=" + CH1
        self.assertReply(self.c.post("line one\r\nline two\n\nline three", path=q), 200, 0)
        ev = self.new_events()
        self.assertEqual([e["envelope"] for e in ev], [
            {"host": "h1", "sourcetype": "fw:raw", "index": "netfw", "event": x}
            for x in ("line one", "line two", "line three")])
        self.assertTrue(all(e["endpoint"] == "raw" and e["channel"] == CH1 for e in ev))
        self.assertReply(self.c.post("\n\n", path="/services/collector/raw"), 400, 5)
        self.assertReply(self.c.post("x", path="/services/collector/raw/1.0"), 200, 0)


class TestGzipAndSize(ReceiverCase):
    ARGS = ["--max-content-length", "1000", "--max-event-size", "300"]

    def test_gzip(self):
        body = "".join('{"event":"gz %d"}\n' % i for i in range(100))
        self.assertReply(self.c.post(gzip.compress(body.encode()),
                                     {"Content-Encoding": "gzip"}), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()],
                         ["gz %d" % i for i in range(100)])
        # the wire limit applies to compressed bytes: 100 events > 1000 bytes raw
        self.assertGreater(len(body), 1000)

    def test_gzip_multi_member(self):
        body = gzip.compress(b'{"event":"m1"}') + gzip.compress(b'{"event":"m2"}')
        self.assertReply(self.c.post(body, {"Content-Encoding": "gzip"}), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["m1", "m2"])

    def test_bad_gzip(self):
        self.assertReply(self.c.post(b'{"event":"x"}', {"Content-Encoding": "gzip"}), 400, 6)
        trunc = gzip.compress(b'{"event":"x"}')[:-6]
        self.assertReply(self.c.post(trunc, {"Content-Encoding": "gzip"}), 400, 6)
        self.assertEqual(self.new_events(), [])

    def test_unsupported_encoding(self):
        st, body, _ = self.c.post(b'{"event":"x"}', {"Content-Encoding": "br"})
        self.assertEqual(st, 415)
        self.assertEqual(self.new_events(), [])

    def test_content_length_limit(self):
        one = '{"event":"%s"}' % ("x" * 200)
        body = (one + "\n") * 4
        body = body + " " * (1000 - len(body))
        self.assertEqual(len(body), 1000)
        self.assertReply(self.c.post(body), 200, 0)
        st, reply, resp = self.c.post(body + " ")
        self.assertEqual(st, 413)
        self.assertIn("too large", reply["text"])
        self.assertEqual(len(self.new_events()), 4)

    def expect_continue(self, body):
        s = socket.create_connection(("127.0.0.1", self.recv.port), timeout=10)
        try:
            s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Splunk %s\r\n"
                       "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                       % (EVENT, TOK, len(body))).encode())
            first = s.recv(4096)
            if first.startswith(b"HTTP/1.1 100"):
                s.sendall(body)
                rest = b""
                while b"}" not in rest:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    rest += chunk
                return first, rest
            return first, b""
        finally:
            s.close()

    def test_expect_100_continue(self):
        first, rest = self.expect_continue(b'{"event":"continued"}')
        self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue"), first)
        self.assertIn(b'"code":0', first + rest)
        first, rest = self.expect_continue(b" " * 1001)
        self.assertTrue(first.startswith(b"HTTP/1.1 413"), first)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["continued"])

    def test_event_size_limit(self):
        small = '{"event":"%s"}' % ("s" * 100)
        big = '{"event":"%s"}' % ("b" * 300)
        self.assertReply(self.c.post(small + big + small), 400, 6, ien=1)
        self.assertEqual(len(self.new_events()), 1)


class TestAcks(ReceiverCase):
    ARGS = ["--ack-delay", "0"]

    def ack(self, ids, channel=CH1, token=ACK):
        h = {"X-Splunk-Request-Channel": channel} if channel else {}
        return self.c.post(json.dumps({"acks": ids}), h, path="/services/collector/ack",
                           token=token)

    def send(self, channel=CH1, body='{"event":"a"}', via_query=False):
        if via_query:
            return self.c.post(body, path=EVENT + "?channel=" + channel, token=ACK)
        return self.c.post(body, {"X-Splunk-Request-Channel": channel}, token=ACK)

    def test_channel_required_code_10(self):
        self.assertReply(self.c.post('{"event":"a"}', token=ACK), 400, 10)
        self.assertReply(self.c.post("x", path="/services/collector/raw", token=ACK), 400, 10)
        self.assertEqual(self.new_events(), [])

    def test_channel_must_be_guid_code_11(self):
        for ch in ("abc", CH1 + "0", "{" + CH1 + "}", CH1.replace("-", "")):
            with self.subTest(channel=ch):
                self.assertReply(self.send(channel=ch), 400, 11)

    def test_ack_ids_per_channel(self):
        other = "bbbbbbbb-0000-4000-8000-%012d" % int(time.time() * 1000 % 1e12)
        first = self.assertReply(self.send(), 200, 0)["ackId"]
        self.assertReply(self.send(), 200, 0, ackId=first + 1)
        self.assertReply(self.send(channel=other, via_query=True), 200, 0, ackId=0)
        self.assertReply(self.send(channel=other.upper()), 200, 0, ackId=1)
        ev = self.new_events()
        self.assertEqual([e["ackId"] for e in ev], [first, first + 1, 0, 1])
        self.assertEqual([e["channel"] for e in ev], [CH1, CH1, other, other])
        st, body, _ = self.ack([first, first + 1, 999])
        self.assertEqual(st, 200)
        self.assertEqual(body, {"acks": {str(first): True, str(first + 1): True,
                                         "999": False}})

    def test_ack_disabled_code_14(self):
        self.assertReply(self.ack([0], token=TOK), 400, 14)

    def test_ack_needs_channel(self):
        self.assertReply(self.ack([0], channel=None), 400, 10)
        self.assertReply(self.ack([0], channel="nope"), 400, 11)

    def test_ack_bad_body(self):
        h = {"X-Splunk-Request-Channel": CH1}
        for b in ("", "{}", '{"acks":"1"}', '{"acks":[1,"2"]}', "[1]"):
            with self.subTest(body=b):
                self.assertReply(self.c.post(b, h, path="/services/collector/ack",
                                             token=ACK), 400, 6)

    def test_no_ackid_without_ack(self):
        body = self.assertReply(self.c.post('{"event":"a"}', {"X-Splunk-Request-Channel": CH1}),
                                200, 0)
        self.assertNotIn("ackId", body)

    def test_ack_delay(self):
        self.recv.set_faults("ack-delay 0.6")
        t0 = time.monotonic()
        i = self.assertReply(self.send(), 200, 0)["ackId"]
        self.assertEqual(self.ack([i])[1], {"acks": {str(i): False}})
        while time.monotonic() - t0 < 0.7:
            time.sleep(0.05)
        self.assertEqual(self.ack([i])[1], {"acks": {str(i): True}})

    def test_ack_never(self):
        self.recv.set_faults("ack-never count=1")
        a = self.assertReply(self.send(), 200, 0)["ackId"]
        b = self.assertReply(self.send(), 200, 0)["ackId"]
        time.sleep(0.1)
        self.assertEqual(self.ack([a, b])[1], {"acks": {str(a): False, str(b): True}})
        self.assertEqual(len(self.new_events()), 2)  # accepted, just never acknowledged

    def test_ack_polls(self):
        self.recv.set_faults("ack-polls 2")
        a = self.assertReply(self.send(), 200, 0)["ackId"]
        self.assertEqual(self.ack([a])[1], {"acks": {str(a): False}})
        self.assertEqual(self.ack([a])[1], {"acks": {str(a): False}})
        self.assertEqual(self.ack([a])[1], {"acks": {str(a): True}})

    def test_no_ackid_on_error(self):
        self.assertReply(self.send(body='{"event":"a"}{"x":1}'), 400, 12, ien=1)
        self.assertNotIn("ackId", self.new_events()[0])


class TestAckDelayOption(ReceiverCase):
    ARGS = ["--ack-delay", "30"]

    def test_cli_ack_delay(self):
        h = {"X-Splunk-Request-Channel": CH2}
        i = self.assertReply(self.c.post('{"event":"a"}', h, token=ACK), 200, 0)["ackId"]
        st, body, _ = self.c.post(json.dumps({"acks": [i]}), h,
                                  path="/services/collector/ack", token=ACK)
        self.assertEqual(body, {"acks": {str(i): False}})


class TestHealth(ReceiverCase):
    def get(self, path="/services/collector/health", token=None):
        return self.c.request("GET", path, headers=auth(token) if token else {})

    def test_healthy(self):
        for p in ("/services/collector/health", "/services/collector/health/1.0"):
            self.assertReply(self.get(p), 200, 17, text="HEC is healthy")
        self.assertReply(self.get(token=TOK), 200, 17)

    def test_token_checks(self):
        self.assertReply(self.get(token="nope"), 400, 21)
        self.assertReply(self.get(token=DIS), 400, 22)

    def test_unhealthy(self):
        self.recv.set_faults("unhealthy count=1; unhealthy code=19 count=1")
        self.assertReply(self.get(), 503, 18, text="HEC is unhealthy, queues are full")
        self.assertReply(self.get(), 503, 19)
        self.assertReply(self.get(), 200, 17)
        # data endpoints are not affected by an unhealthy health check
        self.recv.set_faults("unhealthy")
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)


class TestFaults(ReceiverCase):
    def test_reply_count_and_retry_after(self):
        self.recv.set_faults("reply 429 count=2 retry-after=7")
        for _ in range(2):
            got = self.c.post('{"event":"x"}')
            self.assertReply(got, 429, 9)
            self.assertEqual(got[2].getheader("Retry-After"), "7")
        self.assertReply(self.c.post('{"event":"ok"}'), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["ok"])

    def test_busy_code_9(self):
        self.recv.set_faults("busy count=1 ien=0; busy status=429 count=1")
        self.assertReply(self.c.post('{"event":"x"}'), 503, 9, ien=0)
        self.assertReply(self.c.post('{"event":"x"}'), 429, 9)
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)

    def test_shorthand_and_codes(self):
        self.recv.set_faults("500 count=1\n404 count=1 # detention\nreply 503 code=23 count=1")
        self.assertReply(self.c.post('{"event":"x"}'), 500, 8)
        st, body, _ = self.c.post('{"event":"x"}')
        self.assertEqual((st, "code" in body), (404, False))
        self.assertReply(self.c.post('{"event":"x"}'), 503, 23,
                         text="Server is shutting down")
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)

    def test_after_and_every(self):
        self.recv.set_faults("busy after=2 every=3")
        got = [self.c.post('{"event":"x"}')[0] for _ in range(9)]
        self.assertEqual(got, [200, 200, 503, 200, 200, 503, 200, 200, 503])

    def test_first_terminal_rule_wins(self):
        self.recv.set_faults("reply 429 count=1; busy count=1")
        self.assertEqual([self.c.post('{"event":"x"}')[0] for _ in range(3)], [429, 503, 200])

    def run_percent(self, seed):
        self.recv.set_faults("busy percent=50", seed=seed)
        return [self.c.post('{"event":"x"}')[0] for _ in range(60)]

    def test_percent_is_seeded(self):
        a = self.run_percent(7)
        b = self.run_percent(7)
        c = self.run_percent(8)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertTrue(15 <= a.count(503) <= 45, a.count(503))
        self.assertEqual(set(a), {200, 503})

    def test_on_endpoint(self):
        self.recv.set_faults("busy on=ack count=1")
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)
        st, _, _ = self.c.post('{"acks":[0]}', {"X-Splunk-Request-Channel": CH1},
                               path="/services/collector/ack", token=ACK)
        self.assertEqual(st, 503)

    def test_slow(self):
        self.recv.set_faults("slow 0.5 count=1")
        t0 = time.monotonic()
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        self.assertReply(self.c.post('{"event":"x"}'), 200, 0)
        # The second one is not slowed: the rule fired once, seen twice
        # (what took how long on a busy machine says nothing about it).
        f = self.recv.stats()["faults"][0]
        self.assertEqual((f["seen"], f["fired"]), (2, 1))

    def test_drop(self):
        self.recv.set_faults("drop count=1")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.c.post('{"event":"dropped"}')
        self.assertReply(self.c.post('{"event":"after"}'), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["after"])

    def test_drop_after_storing(self):
        self.recv.set_faults("drop store=1 count=1")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.c.post('{"event":"kept"}')
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["kept"])

    def test_drop_headers_and_rst(self):
        self.recv.set_faults("drop stage=headers count=1; drop rst=1 count=1")
        for _ in range(2):
            with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
                self.c.post('{"event":"x"}')
        self.assertEqual(self.new_events(), [])
        self.assertGreaterEqual(self.recv.stats()["dropped"], 2)

    def test_reject_position(self):
        self.recv.set_faults("reject 2 count=1")
        body = "".join('{"event":"e%d"}' % i for i in range(5))
        self.assertReply(self.c.post('{"event":"short"}'), 200, 0)  # no event 2: no hit
        self.assertReply(self.c.post(body), 400, 6, ien=2)
        self.assertReply(self.c.post(body), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()],
                         ["short", "e0", "e1"] + ["e%d" % i for i in range(5)])

    def test_reject_match(self):
        self.recv.set_faults('reject match="poison pill" code=7')
        body = '{"event":"a"}{"event":"the poison pill"}{"event":"c"}'
        self.assertReply(self.c.post(body), 400, 7, ien=1)
        self.assertReply(self.c.post('{"event":"c"}'), 200, 0)
        self.assertEqual([e["envelope"]["event"] for e in self.new_events()], ["a", "c"])

    def test_bad_script_rejected(self):
        for s in ("explode", "busy prob=2", "reply", "drop stage=never", "busy on=nowhere",
                  "slow x", "busy colour=red"):
            with self.subTest(script=s):
                with self.assertRaises(Exception) as cm:
                    self.recv.set_faults(s)
                self.assertIn("400", str(cm.exception))

    def test_get_faults_and_stats(self):
        self.recv.set_faults("busy count=1")
        self.c.post('{"event":"x"}')
        f = self.recv.control("GET", "faults")
        self.assertEqual(f["rules"][0]["fired"], 1)
        s = self.recv.stats()
        for k in ("requests", "events", "by_status", "by_code", "bytes_wire", "dropped",
                  "acks_issued"):
            self.assertIn(k, s)
        self.assertGreaterEqual(s["by_code"].get("9", 0), 1)


class TestStandalone(unittest.TestCase):
    """Receivers started with special options."""

    def post(self, r, body, headers=None, tls=False):
        c = Client(r, tls=tls)
        try:
            return c.post(body, headers, token=TOK)
        finally:
            c.close()

    def test_count_only(self):
        with Receiver(TOKENS + ["--count-only"]) as r:
            body = gzip.compress("".join('{"event":"%d"}\n' % i for i in range(1000)).encode())
            st, reply, _ = self.post(r, body, {"Content-Encoding": "gzip"})
            self.assertEqual((st, reply["code"]), (200, 0))
            st, reply, _ = self.post(r, '{"event":"a"}{"event":""}')
            self.assertEqual((st, reply["code"]), (400, 13))
            s = r.stats()
            self.assertEqual(s["events"], 1001)
            self.assertEqual(s["accepted_requests"], 2)
            self.assertFalse(os.path.exists(r.out) and os.path.getsize(r.out))

    def test_faults_from_cli_and_file(self):
        d = tempfile.mkdtemp()
        try:
            f = os.path.join(d, "faults")
            with open(f, "w") as fh:
                fh.write("# first two requests fail\nbusy count=1\n")
            with Receiver(TOKENS + ["--faults-file", f, "--faults", "reply 429 count=1"]) as r:
                self.assertEqual(self.post(r, '{"event":"a"}')[0], 503)
                self.assertEqual(self.post(r, '{"event":"a"}')[0], 429)
                self.assertEqual(self.post(r, '{"event":"a"}')[0], 200)
        finally:
            shutil.rmtree(d)

    def test_bad_cli_script_fails_to_start(self):
        p = subprocess.run([sys.executable, RECEIVER, "--faults", "nonsense"],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"unknown fault action", p.stderr)

    def test_refuses_non_loopback(self):
        p = subprocess.run([sys.executable, RECEIVER, "--host", "0.0.0.0"],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 2)

    def test_port_on_stdout(self):
        p = subprocess.Popen([sys.executable, RECEIVER, "--port", "0"],
                             stdout=subprocess.PIPE)
        try:
            port = int(p.stdout.readline())
            self.assertGreater(port, 0)
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
        finally:
            p.terminate()
            p.wait(10)
            p.stdout.close()

    def test_down_and_back(self):
        with Receiver(TOKENS) as r:
            c = Client(r)
            self.assertEqual(c.post('{"event":"1"}', token=TOK)[0], 200)
            r.control("POST", "down?seconds=1")
            time.sleep(0.3)
            with self.assertRaises(OSError):
                c.post('{"event":"lost"}', token=TOK)
            c.close()
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", r.port), timeout=2).close()
            deadline = time.monotonic() + 10
            while True:
                try:
                    st = c.post('{"event":"2"}', token=TOK)[0]
                    break
                except OSError:
                    c.close()
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            self.assertEqual(st, 200)
            self.assertEqual([e["envelope"]["event"] for e in r.events()], ["1", "2"])
            c.close()

    def test_tls(self):
        openssl = shutil.which("openssl")
        if not openssl:
            self.skipTest("openssl not installed, cannot make a test certificate")
        d = tempfile.mkdtemp()
        try:
            cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
            subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2",
                            "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            with Receiver(TOKENS, tls=(cert, key)) as r:
                self.assertTrue(r.url.startswith("https://"))
                st, reply, _ = self.post(r, '{"event":"tls"}', tls=True)
                self.assertEqual((st, reply["code"]), (200, 0))
                self.assertEqual([e["envelope"]["event"] for e in r.events()], ["tls"])
                # plain HTTP to the TLS port gets no HEC answer
                with self.assertRaises((http.client.HTTPException, OSError)):
                    self.post(r, '{"event":"plain"}')
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
