/* --check-config and --check-output: the configuration is valid, and the
 * machine it runs on can serve it. */
#ifndef FWD_PREFLIGHT_H
#define FWD_PREFLIGHT_H

#include <stdio.h>

#include "config.h"

/* Exit statuses of the checks (see ipv6probe-forward(1)). */
#define PREFLIGHT_OK 0
#define PREFLIGHT_CONFIG 1 /* the configuration does not load */
#define PREFLIGHT_ENV 3    /* a file, directory, token or port is not usable */
#define PREFLIGHT_OUTPUT 4 /* --check-output: an endpoint is down or refuses the token */

/* Checks files, directories, the token, TLS files and listener ports the
 * way the forwarder will use them: ports as started, files as the user it
 * runs as (`user:`), one line each on out.  Returns the number of problems. */
int preflight_environment(const fwd_config *c, FILE *out);

/* Asks each HEC endpoint for its health and whether it takes the token.
 * Returns the number of endpoints that failed, -1 when it could not ask. */
int preflight_outputs(const fwd_config *c, FILE *out);

/* In output_hec.c: the same against the HEC output's own settings. */
int output_hec_check(const cfg_hec *c, FILE *out);

#endif
