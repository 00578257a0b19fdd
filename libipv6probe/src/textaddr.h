/* Address text without NUL terminators: parse IPv6/IPv4/MAC, print RFC 5952. */
#ifndef V6PI_TEXTADDR_H
#define V6PI_TEXTADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* Parse an IPv6 address in [p, p+n): full or compressed, with an optional
 * dotted-quad tail.  Returns 0 or -1. */
int v6pi_parse_ip6(const char *p, size_t n, struct in6_addr *out);
/* The 39-byte form the kernel prints (eight groups of four hex digits):
 * 0, or -1 when [p, p+39) is not that form.  _bytes is the byte-at-a-time
 * version, for machines without SSE2 and for the tests to compare. */
int v6pi_parse_ip6_full(const char *p, struct in6_addr *out);
int v6pi_parse_ip6_full_bytes(const char *p, struct in6_addr *out);
/* Parse dotted-quad IPv4 into an IPv4-mapped IPv6 address. */
int v6pi_parse_ip4_mapped(const char *p, size_t n, struct in6_addr *out);
int v6pi_parse_ip4(const char *p, size_t n, struct in_addr *out);
/* Value of a hex digit by byte, -1 for any other byte. */
extern const int8_t v6pi_hex_value[256];

/* Parse `aa:bb:cc:dd:ee:ff` (exactly 17 chars). */
int v6pi_parse_mac(const char *p, size_t n, uint8_t mac[6]);

/* The 32 hex digits of 16 bytes, lowercase, by the portable SWAR path that
 * v6p_addr_format takes without SSE2 (exposed so that tests compare it
 * with the SSE2 path on machines that have one). */
void v6pi_hex32_swar(const uint8_t b[16], char out[32]);

#endif
