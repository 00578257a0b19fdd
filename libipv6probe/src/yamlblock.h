/* The plain block subset of YAML, scanned without libyaml.
 *
 * The bundled classification table is 6.6 MB of one shape: comments, "key:
 * value" lines and "- key: value" list items.  libyaml spends about 200
 * instructions a byte on it (0.2 s of CPU at every start and reload); this
 * scanner reads that shape at a few instructions a byte and hands out the
 * same events libyaml would.  It accepts only what it is sure of: spaces for
 * indentation, block mappings and sequences, plain scalars of printable
 * ASCII that start with no indicator and hold no ": " or "#".  Anything else
 * (quotes, flow collections, anchors, tags, multi-line scalars, tabs, CR,
 * UTF-8, document markers, directives) makes it stop, and the caller parses
 * the text again with libyaml, which also words every error. */
#ifndef V6PI_YAMLBLOCK_H
#define V6PI_YAMLBLOCK_H

#include <stddef.h>
#include <yaml.h>

typedef struct v6pi_yblock v6pi_yblock;

/* Scan text[0..len); the text must outlive the scanner.  NULL when memory is
 * out. */
v6pi_yblock *v6pi_yblock_new(const char *text, size_t len);

/* The next event, libyaml's way: type, start mark and, for a scalar, its
 * value (NUL-terminated, valid until the next call) and length.  Returns 1
 * with *ev set, 0 when the text leaves the subset (the caller falls back),
 * -1 when memory is out.  The event owns nothing: never pass it to
 * yaml_event_delete. */
int v6pi_yblock_next(v6pi_yblock *s, yaml_event_t *ev);

void v6pi_yblock_free(v6pi_yblock *s);

#endif
