/* libFuzzer target: whatever bytes a line holds, every event the writer
 * makes and every string the one string encoder quotes is valid UTF-8 JSON:
 * yajl (UTF-8 validation on) must parse it, or the run aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "ipv6probe/ipv6probe.h"
#include "ipv6probe/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_parse(const char *text, size_t len)
{
    char *z = malloc(len + 1);
    if (!z)
        return;
    memcpy(z, text, len);
    z[len] = 0;
    char why[256];
    yajl_val v = yajl_tree_parse(z, why, sizeof(why));
    if (!v)
        abort();
    yajl_tree_free(v);
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static v6p_parser *parser;
    static v6p_json_writer *w;
    if (!parser && !(parser = v6p_parser_new(NULL, NULL)))
        abort();
    if (!w && !(w = v6p_json_writer_new()))
        abort();
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    v6p_event ev;
    v6p_result res;
    if (v6p_parse(parser, line, size, 1795798800, 0, &ev, &res) == V6P_OK) {
        const char *js;
        size_t jn;
        if (v6p_json_write_event(w, &ev, &js, &jn) == 0)
            must_parse(js, jn);
    }
    /* The bytes themselves as one string value. */
    char *q = malloc(V6P_JSON_QUOTE_MAX(size) + 8);
    if (q) {
        size_t n = v6p_json_quote(q + 5, line, size, NULL);
        memcpy(q, "{\"s\":", 5);
        q[5 + n] = '}';
        must_parse(q, n + 6);
        free(q);
    }
    free(line);
    return 0;
}
