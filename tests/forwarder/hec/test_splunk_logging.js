// Sends events with Splunk's own HEC client (npm splunk-logging) to the test
// receiver and checks every reply.  Driven by test_splunk_logging.py, which
// starts the receiver and then compares what it stored with what this script
// reports on stdout (one JSON document).
//
// Environment: HEC_URL (e.g. http://127.0.0.1:PORT), HEC_TOKEN, HEC_BAD_TOKEN,
// HEC_DISABLED_TOKEN.  Exit 0 = all replies as expected, 1 = a mismatch,
// 77 = the package is not installed.
"use strict";

let SplunkLogger;
try {
    SplunkLogger = require("splunk-logging").Logger;
} catch (e) {
    console.error("SKIP: npm package splunk-logging is not installed " +
                  "(run `npm ci` in tests/forwarder/hec): " + e.message);
    process.exit(77);
}

const url = process.env.HEC_URL;
const token = process.env.HEC_TOKEN;
if (!url || !token) {
    console.error("HEC_URL and HEC_TOKEN must be set");
    process.exit(2);
}

const failures = [];
const sent = [];

function fail(msg) {
    failures.push(msg);
    console.error("FAIL: " + msg);
}

function newLogger(extra) {
    const cfg = Object.assign({ token: token, url: url, maxRetries: 0 }, extra || {});
    const logger = new SplunkLogger(cfg);
    logger.error = function (err, context) {
        logger.lastError = err;
    };
    return logger;
}

// Sends one payload and resolves with {err, resp, body}.
function send(logger, payload, record) {
    if (record !== false) {
        sent.push({
            message: payload.message,
            severity: payload.severity || "info",
            metadata: payload.metadata || {},
        });
    }
    return new Promise(function (resolve) {
        logger.send(payload, function (err, resp, body) {
            resolve({ err: err, resp: resp, body: body });
        });
    });
}

function flush(logger) {
    return new Promise(function (resolve) {
        logger.flush(function (err, resp, body) {
            resolve({ err: err, resp: resp, body: body });
        });
    });
}

function parsed(body) {
    if (typeof body === "string" || Buffer.isBuffer(body)) {
        try { return JSON.parse(body.toString()); } catch (e) { return null; }
    }
    return body;
}

function expectReply(what, r, status, code) {
    if (r.err) {
        fail(what + ": transport error " + r.err);
        return;
    }
    const b = parsed(r.body);
    if (!r.resp || r.resp.statusCode !== status) {
        fail(what + ": HTTP status " + (r.resp && r.resp.statusCode) + ", want " + status);
    }
    if (!b || b.code !== code) {
        fail(what + ": reply " + JSON.stringify(b) + ", want code " + code);
    }
}

async function main() {
    // 1. One event per request (the library's default), with each kind of
    //    metadata it supports.
    const single = newLogger();
    expectReply("string event", await send(single, {
        message: "2001:db8::1 -> 2001:db8::2 DENY",
        metadata: { host: "fw1", source: "fw1:syslog", sourcetype: "fw:ipv6", index: "netfw" },
    }), 200, 0);
    expectReply("object event", await send(single, {
        message: { src: "2001:db8::1", action: "blocked", port: 443, ok: false },
        severity: "warn",
    }), 200, 0);
    expectReply("explicit time", await send(single, {
        message: "with time",
        metadata: { time: new Date(1717000000123), host: "fw2" },
    }), 200, 0);
    expectReply("unicode", await send(single, {
        message: "caf\u00e9 \u2603 \ud83d\ude00 \"quoted\" \\ back",
    }), 200, 0);

    // 2. Batching by count: four events concatenated in one request.
    const batch = newLogger({ maxBatchCount: 4 });
    const pending = [];
    for (let i = 0; i < 4; i++) {
        pending.push(send(batch, { message: { seq: i, text: "batched " + i } }));
    }
    expectReply("count batch", await pending[3], 200, 0);

    // 3. Manual flush of a queue (no automatic flushing).
    const manual = newLogger({ maxBatchCount: 0 });
    for (let i = 0; i < 3; i++) {
        manual.send({ message: "manual " + i, metadata: { sourcetype: "manual" } });
        sent.push({ message: "manual " + i, severity: "info",
                    metadata: { sourcetype: "manual" } });
    }
    expectReply("manual flush", await flush(manual), 200, 0);

    // 4. Rejections the library must see as Splunk errors.
    if (process.env.HEC_BAD_TOKEN) {
        const bad = newLogger({ token: process.env.HEC_BAD_TOKEN });
        const r = await send(bad, { message: "must not arrive" }, false);
        expectReply("bad token", r, 403, 4);
        if (!bad.lastError || bad.lastError.code !== 4) {
            fail("bad token: error callback not called with code 4");
        }
    }
    if (process.env.HEC_DISABLED_TOKEN) {
        const dis = newLogger({ token: process.env.HEC_DISABLED_TOKEN });
        expectReply("disabled token", await send(dis, { message: "must not arrive" }, false),
                    403, 1);
    }

    process.stdout.write(JSON.stringify({ sent: sent, failures: failures }) + "\n");
    process.exit(failures.length ? 1 : 0);
}

main().catch(function (e) {
    console.error("FAIL: " + (e && e.stack || e));
    process.exit(1);
});
