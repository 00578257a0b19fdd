/* The JSON key order is a table of its own (field.c), apart from the field
 * numbers: every field appears in it once, and the writer's path that moves
 * presence bits to that order (taken once a new field is placed anywhere
 * but last) writes exactly what the direct walk writes.  Lines come from
 * the files or directories named on the command line (default: every
 * format's fuzz seeds and the examples), parsed and tagged as the forwarder
 * does, so tag fields and owned strings are in the events too. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "field.h"
#include "ipv6probe/ipv6probe.h"

static char **paths;
static int npaths;

typedef struct run {
    v6p_parser *p;
    v6p_pe_tracker *pe;
    v6p_taggers *tg;
    v6p_json_writer *direct, *moved;
    size_t events, keys;
} run;

static void one_file(run *r, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[16384];
    while (fgets(line, sizeof(line), f)) {
        v6p_event ev;
        v6p_result res;
        if (v6p_parse(r->p, line, strlen(line), 1780000000, 0, &ev, &res) != V6P_OK)
            continue;
        v6p_pe_tag(r->pe, &ev);
        v6p_taggers_apply(r->tg, &ev);
        const char *a, *b;
        size_t na, nb;
        assert_int_equal(v6p_json_write_event(r->direct, &ev, &a, &na), 0);
        char *copy = strndup(a, na);
        assert_int_equal(v6p_json_write_event(r->moved, &ev, &b, &nb), 0);
        assert_string_equal(b, copy);
        for (const char *c = copy; (c = strstr(c, "\":")); c++)
            r->keys++;
        free(copy);
        r->events++;
    }
    fclose(f);
}

/* A file, or every file of a directory. */
static void one_path(run *r, const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        one_file(r, path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        one_file(r, sub);
    }
    closedir(d);
}

static void order_is_a_permutation(void **state)
{
    (void)state;
    int seen[V6P_F_COUNT_] = {0};
    for (int i = 0; i < V6P_F_COUNT_; i++) {
        assert_true(v6pi_json_order[i] < V6P_F_COUNT_);
        seen[v6pi_json_order[i]]++;
    }
    for (int f = 0; f < V6P_F_COUNT_; f++)
        assert_int_equal(seen[f], 1);
}

static void reordered_walk_writes_the_same(void **state)
{
    (void)state;
    run r = {v6p_parser_new(NULL, NULL),
             v6p_pe_new(NULL, NULL),
             v6p_taggers_new(NULL, NULL),
             v6p_json_writer_new(),
             v6p_json_writer_new(),
             0,
             0};
    assert_non_null(r.p);
    assert_non_null(r.pe);
    assert_non_null(r.tg);
    assert_non_null(r.direct);
    assert_non_null(r.moved);
    v6pi_json_writer_reorder(r.moved);
    assert_int_equal(v6p_pe_add_prefix_str(r.pe, "2001:db8::/32", NULL), 0);
    for (int i = 0; i < npaths; i++)
        one_path(&r, paths[i]);
    /* Enough lines to mean something: every format's seeds. */
    printf("%zu events, %zu keys written both ways\n", r.events, r.keys);
    assert_true(r.events >= 20);
    assert_true(r.keys >= r.events * 10);
    v6p_json_writer_free(r.direct);
    v6p_json_writer_free(r.moved);
    v6p_taggers_free(r.tg);
    v6p_pe_free(r.pe);
    v6p_parser_free(r.p);
}

int main(int argc, char **argv)
{
    static char *defaults[] = {
        V6P_SOURCE_ROOT "/tests/fuzz/seeds/netfilter", V6P_SOURCE_ROOT "/tests/fuzz/seeds/pf",
        V6P_SOURCE_ROOT "/tests/fuzz/seeds/json", V6P_SOURCE_ROOT "/examples/logs"};
    paths = argc > 1 ? argv + 1 : defaults;
    npaths = argc > 1 ? argc - 1 : (int)(sizeof(defaults) / sizeof(defaults[0]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_is_a_permutation),
        cmocka_unit_test(reordered_walk_writes_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
