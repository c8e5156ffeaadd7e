/* SPDX-License-Identifier: GPL-2.0 */
/* metrics_http.h - GET /metrics for watch --metrics-listen. */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

/* Writes the document to f; 0 or -errno with fw_fail()'s reason. */
typedef int (*fw_http_body_fn)(FILE *f, void *ctx);
struct fw_http;

/* "127.0.0.1:9469" or "[::1]:9469": no names, no default port. */
int fw_http_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       bool *loopback);
/* Listens on spec in the current network namespace; warns once when that is
 * not a loopback address. */
int fw_http_start(const char *spec, fw_http_body_fn body, void *ctx, struct fw_http **out);
/* Poll this descriptor for POLLIN, then call fw_http_serve(); wake after
 * fw_http_timeout_ms() at the latest (-1: no deadline). */
int fw_http_fd(const struct fw_http *h);
int fw_http_timeout_ms(struct fw_http *h);
void fw_http_serve(struct fw_http *h);
void fw_http_stop(struct fw_http *h);

#endif /* METRICS_HTTP_H */
