// SPDX-License-Identifier: GPL-2.0
/* docker.c - container names and PIDs from the Docker Engine API on its unix
 * socket (DOCKER_HOST=unix://PATH honoured), with libcurl and jansson. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include "fwctl.h"

#define LIBCURL "libcurl.so.4"

/*
 * libcurl is opened when Docker is first asked, not linked: it pulls in 29
 * libraries (TLS, Kerberos, LDAP, ...) whose loading took 5 of the 6 ms
 * every fwctl call spent starting, Docker or not.
 */
static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	void (*easy_cleanup)(CURL *c);
} curl;

static int curl_open(void)
{
	void *h;

	if (curl.easy_init)
		return 0;
	h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return fw_fail(-ENOENT, "container targets need %s (apt-get install libcurl4): %s",
			       LIBCURL, dlerror());
	*(void **)&curl.global_init = dlsym(h, "curl_global_init");
	*(void **)&curl.easy_setopt = dlsym(h, "curl_easy_setopt");
	*(void **)&curl.easy_perform = dlsym(h, "curl_easy_perform");
	*(void **)&curl.easy_getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&curl.easy_strerror = dlsym(h, "curl_easy_strerror");
	*(void **)&curl.easy_cleanup = dlsym(h, "curl_easy_cleanup");
	*(void **)&curl.easy_init = dlsym(h, "curl_easy_init");
	if (!curl.global_init || !curl.easy_setopt || !curl.easy_perform || !curl.easy_getinfo ||
	    !curl.easy_strerror || !curl.easy_cleanup || !curl.easy_init) {
		curl.easy_init = NULL;
		return fw_fail(-ENOENT, "%s lacks the functions fwctl uses", LIBCURL);
	}
	curl.global_init(CURL_GLOBAL_NOTHING);
	return 0;
}

#define DOCKER_SOCK "/var/run/docker.sock"
/* A whole API call, connect included: Docker answers in milliseconds, and a
 * hung one must not hold up the rules that do not name containers. */
#define DOCKER_TIMEOUT_MS 1500L
#define DOCKER_MAX_REPLY  (8 << 20)

struct reply {
	char *buf;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	char *nb;

	if (r->len + add > DOCKER_MAX_REPLY)
		return 0;
	nb = realloc(r->buf, r->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, p, add);
	r->buf = nb;
	r->len += add;
	r->buf[r->len] = '\0';
	return add;
}

static const char *socket_path(void)
{
	const char *h = getenv("DOCKER_HOST");

	if (h && !strncmp(h, "unix://", 7))
		return h + 7;
	return DOCKER_SOCK;
}

bool fw_docker_available(void)
{
	const char *h = getenv("DOCKER_HOST");

	return (h && !strncmp(h, "unix://", 7)) || !access(DOCKER_SOCK, F_OK);
}

/*
 * The circuit breaker: once Docker has not answered (timeout, refused, reset)
 * in this process, every later call fails at once with the same reason, so
 * a hung Docker costs one DOCKER_TIMEOUT_MS per fwctl run, not one per
 * container rule. fw_docker_reset() closes it again (watch, between events).
 */
static char docker_down[256];
/* Docker's silence is told once, by fw_docker_warn(), and only where the
 * command goes on without it: where it fails for it, its error says so,
 * and a warning of the same words before it made two lines of one error. */
static bool down_untold;

void fw_docker_warn(void)
{
	if (!down_untold)
		return;
	down_untold = false;
	fw_warn("%s; container targets are not resolved in this run", docker_down);
}

void fw_docker_reset(void)
{
	down_untold = false;
	docker_down[0] = '\0';
}

/* GET path; *doc is the parsed JSON body of a 200 reply. -ENOENT on 404. */
static int docker_get(const char *path, json_t **doc)
{
	struct reply r = {};
	char url[512];
	long status = 0;
	CURLcode rc;
	CURL *c;
	int err = 0;

	if (docker_down[0])
		return fw_fail(-EHOSTUNREACH, "%s", docker_down);
	err = curl_open();
	if (err)
		return err;
	c = curl.easy_init();
	if (!c)
		return fw_fail(-ENOMEM, "out of memory");
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path());
	curl.easy_setopt(c, CURLOPT_URL, url);
	curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl.easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, DOCKER_TIMEOUT_MS);
	curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, DOCKER_TIMEOUT_MS);
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl.easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(docker_down, sizeof(docker_down), "cannot reach Docker at unix://%s: %s",
			 socket_path(), curl.easy_strerror(rc));
		down_untold = true;
		err = fw_fail(-EHOSTUNREACH, "%s", docker_down);
		goto out;
	}
	curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 404) {
		err = -ENOENT;
		goto out;
	}
	if (status != 200) {
		err = fw_fail(-EPROTO, "Docker answered %ld to GET %s", status, path);
		goto out;
	}
	*doc = json_loadb(r.buf ? r.buf : "", r.len, 0, NULL);
	if (!*doc)
		err = fw_fail(-EPROTO, "Docker sent malformed JSON for GET %s", path);
out:
	curl.easy_cleanup(c);
	free(r.buf);
	return err;
}

/* Only names and ids Docker itself allows: no URL tricks reach the API. */
static bool valid_ref(const char *ref)
{
	size_t len = strlen(ref);

	if (!len || len > 128)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    ref[i]))
			return false;
	return true;
}

/* A container by name or id: its name (no leading '/') and init PID (0 when
 * it is not running). -ENOENT when there is no such container. */
int fw_docker_inspect(const char *ref, char *name, size_t len, int *pid)
{
	char path[256];
	json_t *doc = NULL;
	json_t *jpid;
	const char *n;
	json_int_t p;
	bool bad;
	int err;

	if (!valid_ref(ref))
		return fw_usage("bad container name '%s'", ref);
	snprintf(path, sizeof(path), "/containers/%s/json", ref);
	err = docker_get(path, &doc);
	if (err)
		return err;
	n = json_string_value(json_object_get(doc, "Name"));
	snprintf(name, len, "%s", n ? n + (n[0] == '/') : ref);
	/* From outside: a Pid past int would be truncated into another process. */
	jpid = json_object_get(json_object_get(doc, "State"), "Pid");
	p = json_integer_value(jpid);
	bad = jpid && !json_is_integer(jpid);
	json_decref(doc);
	if (bad)
		return fw_fail(-EPROTO, "Docker sent a Pid that is not a number for container '%s'",
			       ref);
	if (p < 0 || p > fw_pid_max())
		return fw_fail(-ERANGE,
			       "Docker sent Pid %lld for container '%s', out of range "
			       "(0..%d): refusing it",
			       (long long)p, ref, fw_pid_max());
	*pid = (int)p;
	return 0;
}

/* Running containers' names, for naming ports in status and stats. */
int fw_docker_list(char (**names)[FW_TARGET_LEN], int *n)
{
	json_t *doc = NULL, *c;
	size_t i;
	int err = docker_get("/containers/json", &doc);

	*n = 0;
	*names = NULL;
	if (err)
		return err;
	*names = calloc(json_array_size(doc) + 1, sizeof(**names));
	if (!*names) {
		json_decref(doc);
		return fw_fail(-ENOMEM, "out of memory");
	}
	json_array_foreach(doc, i, c)
	{
		const char *nm = json_string_value(json_array_get(json_object_get(c, "Names"), 0));

		if (nm)
			snprintf((*names)[(*n)++], FW_TARGET_LEN, "%s", nm + (nm[0] == '/'));
	}
	json_decref(doc);
	return 0;
}
