// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_http.c - `watch --metrics-listen`: serves one document, GET
 * /metrics, for a Prometheus scraper. HTTP is libmicrohttpd's job, not ours:
 * it parses requests, bounds their size and times out slow clients. It runs
 * in watch's own poll loop (no thread), so the exposition is built in the
 * same thread that owns the namespaces.
 *
 * libmicrohttpd is opened on first use, like libcurl in docker.c: it pulls in
 * GnuTLS and its dependencies, which no other command should pay for.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "fwctl.h"
#include "metrics_http.h"

#define LIBMHD "libmicrohttpd.so.12"

/* A scrape request is one line and a few headers. */
#define HTTP_MEMORY_LIMIT    (16 * 1024)
#define HTTP_MAX_CONNECTIONS 16
#define HTTP_MAX_PER_IP	     2
/* Scrapes within this many seconds share one exposition: a client that
 * asks without pause costs watch one snapshot a second, no more. */
#define HTTP_CACHE_S   1.0
#define HTTP_TIMEOUT_S 10

static struct {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d,
						       enum MHD_DaemonInfoType type, ...);
	enum MHD_Result (*run)(struct MHD_Daemon *d);
	enum MHD_Result (*get_timeout)(struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *timeout);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
} mhd;

static int mhd_open(void)
{
	void *h;

	if (mhd.start_daemon)
		return 0;
	h = dlopen(LIBMHD, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return fw_fail(-ENOENT,
			       "--metrics-listen needs %s (apt-get install libmicrohttpd12): %s",
			       LIBMHD, dlerror());
	*(void **)&mhd.stop_daemon = dlsym(h, "MHD_stop_daemon");
	*(void **)&mhd.get_daemon_info = dlsym(h, "MHD_get_daemon_info");
	*(void **)&mhd.run = dlsym(h, "MHD_run");
	*(void **)&mhd.get_timeout = dlsym(h, "MHD_get_timeout");
	*(void **)&mhd.create_response_from_buffer = dlsym(h, "MHD_create_response_from_buffer");
	*(void **)&mhd.add_response_header = dlsym(h, "MHD_add_response_header");
	*(void **)&mhd.queue_response = dlsym(h, "MHD_queue_response");
	*(void **)&mhd.destroy_response = dlsym(h, "MHD_destroy_response");
	*(void **)&mhd.start_daemon = dlsym(h, "MHD_start_daemon");
	if (!mhd.stop_daemon || !mhd.get_daemon_info || !mhd.run || !mhd.get_timeout ||
	    !mhd.create_response_from_buffer || !mhd.add_response_header || !mhd.queue_response ||
	    !mhd.destroy_response || !mhd.start_daemon) {
		mhd.start_daemon = NULL;
		dlclose(h);
		return fw_fail(-ENOENT, "%s lacks the functions fwctl uses", LIBMHD);
	}
	return 0;
}

int fw_http_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       bool *loopback)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t hlen;
	char *end;
	long port;

	if (!colon || colon == spec)
		return fw_usage(
			"bad listen address '%s': expected ADDRESS:PORT, e.g. 127.0.0.1:9469 "
			"or [::1]:9469",
			spec);
	hlen = colon - spec;
	if (spec[0] == '[') { /* [v6]:port */
		if (hlen < 3 || spec[hlen - 1] != ']')
			return fw_usage(
				"bad listen address '%s': write an IPv6 address as [ADDR]:PORT",
				spec);
		h++;
		hlen -= 2;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port < 1 || port > 65535)
		return fw_usage("bad listen address '%s': the port must be 1-65535", spec);
	if (hlen >= sizeof(host))
		return fw_usage("bad listen address '%s': not an IP address", spec);
	memcpy(host, h, hlen);
	host[hlen] = 0;

	memset(ss, 0, sizeof(*ss));
	if (h == spec) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return fw_usage("bad listen address '%s': '%s' is not an IPv4 address "
					"(IPv6: [ADDR]:PORT)",
					spec, host);
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		*loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return fw_usage("bad listen address '%s': '%s' is not an IPv6 address",
					spec, host);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

struct fw_http {
	struct MHD_Daemon *d;
	int fd; /* libmicrohttpd's epoll descriptor */
	fw_http_body_fn body;
	void *ctx;
	char *cache; /* the last exposition, made at cache_at */
	size_t cache_len;
	double cache_at;
};

/* A fresh exposition, or the last one if it is younger than HTTP_CACHE_S. */
static int exposition(struct fw_http *h)
{
	double now = fw_mono_s();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (h->cache && now - h->cache_at < HTTP_CACHE_S)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	err = h->body(f, h->ctx);
	if (fclose(f) && !err)
		err = -errno;
	if (err) {
		free(buf);
		return err;
	}
	free(h->cache);
	h->cache = buf;
	h->cache_len = len;
	h->cache_at = now;
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *text,
			     size_t len, enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r = mhd.create_response_from_buffer(len, (void *)text, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO; /* out of memory: libmicrohttpd drops the connection */
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = mhd.queue_response(c, status, r);
	mhd.destroy_response(r);
	return ret;
}

#define TEXT			   "text/plain; charset=utf-8"
#define REPLY_STATIC(c, status, s) reply(c, status, s, sizeof(s) - 1, MHD_RESPMEM_PERSISTENT, TEXT)

/* Called once per request; a GET has no body, so it is answered at once. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct fw_http *h = cls;
	int err;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return REPLY_STATIC(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (*upload_data_size)
		return REPLY_STATIC(c, MHD_HTTP_CONTENT_TOO_LARGE, "a GET has no body\n");
	if (strcmp(url, "/metrics"))
		return REPLY_STATIC(c, MHD_HTTP_NOT_FOUND, "only GET /metrics\n");

	err = exposition(h);
	if (err) {
		fw_note("metrics: scrape failed: %s", fw_err()[0] ? fw_err() : strerror(-err));
		fw_err_clear();
		return REPLY_STATIC(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "cannot read the counters\n");
	}
	return reply(c, MHD_HTTP_OK, h->cache, h->cache_len, MHD_RESPMEM_MUST_COPY,
		     "text/plain; version=0.0.4; charset=utf-8");
}

static int listen_on(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;
	int fd, one = 1, err;

	err = fw_http_addr_parse(spec, &ss, &len, &loopback);
	if (err)
		return err;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fw_fail(-errno, "cannot listen on %s: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		err = fw_fail(-errno, "cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return err;
	}
	if (!loopback)
		fw_warn("serving /metrics on %s, which is not loopback: whoever reaches it reads "
			"the counters",
			spec);
	return fd;
}

int fw_http_start(const char *spec, fw_http_body_fn body, void *ctx, struct fw_http **out)
{
	const union MHD_DaemonInfo *info;
	struct fw_http *h;
	int fd, err;

	err = mhd_open();
	if (err)
		return err;
	fd = listen_on(spec);
	if (fd < 0)
		return fd;
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return fw_fail(-ENOMEM, "out of memory");
	}
	h->body = body;
	h->ctx = ctx;
	/* No MHD_USE_ERROR_LOG: a client's mistakes are not ours to log. */
	h->d = mhd.start_daemon(
		MHD_USE_EPOLL, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
		(MHD_socket)fd, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S, MHD_OPTION_END);
	if (!h->d) {
		close(fd);
		free(h);
		return fw_fail(-EINVAL, "cannot serve HTTP on %s (libmicrohttpd refused)", spec);
	}
	info = mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	h->fd = info ? info->epoll_fd : -1;
	if (h->fd < 0) {
		fw_http_stop(h);
		return fw_fail(-EINVAL, "cannot serve HTTP on %s: no descriptor to poll", spec);
	}
	*out = h;
	return 0;
}

int fw_http_fd(const struct fw_http *h)
{
	return h->fd;
}

int fw_http_timeout_ms(struct fw_http *h)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (mhd.get_timeout(h->d, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void fw_http_serve(struct fw_http *h)
{
	mhd.run(h->d);
}

void fw_http_stop(struct fw_http *h)
{
	if (!h)
		return;
	/* The listening socket was ours, but libmicrohttpd closes it. */
	mhd.stop_daemon(h->d);
	free(h->cache);
	free(h);
}
