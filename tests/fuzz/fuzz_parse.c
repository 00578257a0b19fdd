/* libFuzzer target: any bytes through the whole parse call and the JSON
 * writer.  A crash, a sanitizer report or an event whose JSON cannot be
 * written is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6probe/ipv6probe.h"

static v6p_parser *parser;
static v6p_json_writer *writer;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser) {
        v6p_parser_options o;
        v6p_parser_options_init(&o, sizeof(o));
        o.boot_time = 1795790000;
        parser = v6p_parser_new(&o, NULL);
        writer = v6p_json_writer_new();
        if (!parser || !writer)
            abort();
    }
    /* Copy into an exact-size heap buffer so that ASan sees any read past
     * the line's end. */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    v6p_event ev;
    v6p_result res;
    v6p_status st = v6p_parse(parser, line, size, 1795798800, 0, &ev, &res);
    if (st == V6P_OK) {
        const char *js;
        size_t n;
        if (v6p_json_write_event(writer, &ev, &js, &n) != 0 || n < 2 || js[0] != '{')
            abort();
    } else if (res.offset > size) {
        abort(); /* an offset outside the line cannot point at the problem */
    }
    free(line);
    return 0;
}
