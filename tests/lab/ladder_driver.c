/* Log lines on stdin, tagged JSON on stdout: v6p_parse, then the taggers,
 * then one JSON object per event, and the ladder summaries as
 * {"sourcetype":…,"record":{…}} lines.  For tests that feed real kernel lines.
 *
 *   ladder_driver [--boot-time SEC] [TABLE.yaml ...] < lines */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipv6probe/ipv6probe.h"
#include "ipv6probe/taggers.h"

static void emit(void *ud, const char *st, const char *json, size_t len, int64_t ts)
{
    (void)ud, (void)ts;
    printf("{\"sourcetype\":\"%s\",\"record\":%.*s}\n", st, (int)len, json);
}

int main(int argc, char **argv)
{
    v6p_parser_options po;
    v6p_parser_options_init(&po, sizeof(po));
    v6p_error err = {0};
    int first_table = 1;
    if (argc > 2 && strcmp(argv[1], "--boot-time") == 0) {
        po.boot_time = atoll(argv[2]);
        first_table = 3;
    }
    v6p_parser *p = v6p_parser_new(&po, &err);
    v6p_taggers *t = v6p_taggers_new(NULL, &err);
    v6p_json_writer *w = v6p_json_writer_new();
    if (!p || !t || !w) {
        fprintf(stderr, "ladder_driver: %s\n", err.message);
        return 2;
    }
    for (int i = first_table; i < argc; i++) {
        if (v6p_taggers_load_classify_yaml(t, argv[i], &err) != 0) {
            fprintf(stderr, "ladder_driver: %s\n", err.message);
            return 2;
        }
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        v6p_event ev;
        v6p_result res;
        if (v6p_parse(p, line, (size_t)n, (int64_t)time(NULL), 0, &ev, &res) != V6P_OK)
            continue;
        v6p_taggers_apply(t, &ev);
        const char *out;
        size_t len;
        if (v6p_json_write_event(w, &ev, &out, &len) == 0)
            printf("%.*s\n", (int)len, out);
        v6p_taggers_drain(t, emit, NULL);
    }
    v6p_taggers_flush(t);
    v6p_taggers_drain(t, emit, NULL);
    free(line);
    v6p_json_writer_free(w);
    v6p_taggers_free(t);
    v6p_parser_free(p);
    return 0;
}
