/* The HEC token: read from a file or an environment variable, never from
 * the command line, and never printed (see hec_redact). */
#ifndef FWD_HEC_TOKEN_H
#define FWD_HEC_TOKEN_H

#include <stddef.h>

#define HEC_TOKEN_MAX 256

/* Reads the token from file (first line, surrounding blanks dropped) or,
 * when file is NULL, from the environment variable env.  Returns 0, or -1
 * with the reason in err (which never contains the token). */
int hec_token_load(const char *file, const char *env, char *tok, size_t cap, char *err,
                   size_t errlen);

/* Reads the token from file (first line, surrounding blanks dropped) or,
 * when file is NULL, from the environment variable env, which is then
 * removed from the environment and its bytes cleared. */

/* v (a token_file path, or a token_env name when is_env) as a message may
 * show it: a value that could be the token pasted in its place is not. */
const char *hec_token_source_shown(const char *v, int is_env);

/* Replaces every occurrence of tok in msg (in place) by "<redacted>", and a
 * start of the token (6 bytes or more) that ends msg too. */
void hec_redact(char *msg, size_t cap, const char *tok);

#endif
