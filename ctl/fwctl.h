/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwctl.h - what the parts of fwctl share. Internal functions return 0 or
 * -errno and leave a one-line reason in fw_err(); main() alone turns that into
 * an exit status (FW_EXIT_*).
 */
#ifndef FWCTL_H
#define FWCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <jansson.h>
#include "fw_abi.h"

#define FW_EXIT_OK	0
#define FW_EXIT_RUNTIME 1
#define FW_EXIT_USAGE	2
/* status: some rule is not enforced by the kernel (the output says where). */
#define FW_EXIT_NOT_ENFORCED 3

/* An -errno that means "the user asked for something wrong": exit 2. */
#define FW_EUSAGE 1000
/* "Not everything is enforced": exit 3, with no message of its own. */
#define FW_ENOTENFORCED 1001
/* A runtime failure the command's own JSON document already names (doctor's
 * "missing"): exit 1, and no second document. */
#define FW_EREPORTED 1002

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct fw_opts {
	const char *netns; /* -n, NULL: the caller's */
	bool json;
	bool quiet;
	bool verbose;
	bool log; /* watch: every action on the kernel is a line on stderr */
};
extern struct fw_opts fw_opts;

/* errors.c: one reason per failed command, printed once by main(). */
int fw_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fw_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *fw_err(void);
void fw_err_clear(void);
void fw_err_details(json_t *errors);
json_t *fw_err_details_get(void);
void fw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Levels of log lines, syslog's priorities: under `watch` (fw_opts.log)
 * each line is prefixed "<N>" for journald when stderr is not a terminal or
 * JOURNAL_STREAM is set; -q hides info, -v adds debug. fw_warn logs at
 * warning, fw_note at info, fw_info at debug. */
#define FW_LOG_ERR     3
#define FW_LOG_WARNING 4
#define FW_LOG_INFO    6
#define FW_LOG_DEBUG   7
void fw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fw_libs_quiet(void);
const char *fw_verifier_reason(void);

/* proto.c: IP protocol names and numbers. */
int fw_proto_parse_list(const char *list, struct fw_policy *set, bool allow_all);
const char *fw_proto_name(unsigned int number, char *buf, size_t len);
const char *fw_kind_name(__u32 kind, char *buf, size_t len);
bool fw_policy_test(const struct fw_policy *p, unsigned int n);
void fw_policy_set(struct fw_policy *p, unsigned int n);
bool fw_policy_empty(const struct fw_policy *p);
int fw_policy_format(const struct fw_policy *p, char *buf, size_t len);
int fw_policy_format_from(const struct fw_policy *p, unsigned int *next, char *buf, size_t len);
json_t *fw_policy_json(const struct fw_policy *p);

/* netns.c: which network namespace we act in, and its identity. */
struct fw_netns {
	__u64 ino;
	__u64 cookie;
	char name[256]; /* "host", a /run/netns name, or "ns:<ino>" */
};
int fw_netns_enter(const char *spec);
int fw_netns_open(const char *spec);
int fw_netns_run(int nsfd, int (*fn)(void *arg), void *arg);
int fw_netns_self(struct fw_netns *ns);
extern unsigned int fw_netns_moves; /* setns() calls so far */

/* links.c: interfaces in the current netns, through rtnetlink. */
struct fw_xdp_info {
	__u32 prog_id;
	__u8 mode;	/* enum fw_xdp_mode */
	__u32 other_id; /* a generic program behind a native one (both attached) */
};
struct fw_link {
	int ifindex;
	int master; /* bridge ifindex, 0 if none */
	char name[FW_IFNAME_LEN];
	char kind[16];		/* "bridge", "veth", ... ("device" when none) */
	int peer;		/* IFLA_LINK: a veth's other end, 0 if none */
	int peer_nsid;		/* ... in the namespace with this id, -1: ours */
	struct fw_xdp_info xdp; /* what the kernel runs there, as dumped */
};
int fw_links_load(struct fw_link **links, int *n);
int fw_link_get(const char *name, int ifindex, struct fw_link *out);
bool fw_ifindex_exists(int ifindex);
int fw_links_around(const char *name, bool siblings, struct fw_link **links, int *n);
const struct fw_link *fw_link_by_name(const struct fw_link *l, int n, const char *name);
const struct fw_link *fw_link_by_index(const struct fw_link *l, int n, int ifindex);
int fw_netns_id(int nsfd);
int fw_nl_route(void);
struct nlmsghdr;
int fw_nl_dump(void *req, size_t len, __u16 type, void (*fn)(const struct nlmsghdr *nh, void *arg),
	       void *arg);
int fw_xdp_query(int ifindex, struct fw_xdp_info *info);
/* progs.c: a program's name by id ("?" when gone), for messages. */
void fw_prog_name(__u32 id, char *name, size_t len);

/* tcstate.c: what runs on an interface's TC hooks, and in which order.
 * fwctl's cls_bpf filter sits at priority 1, under one of two handles: a
 * filter that got ahead of it is overtaken by adding ours under the other
 * handle (it goes first) before the old one is removed. */
#define FW_TC_HANDLE 0xf17e
#define FW_TC_PRIO   1
struct fw_tc_hook {
	bool clsact;	 /* the qdisc is there */
	__u32 prog_id;	 /* fwctl's program on the hook, 0: none */
	__u32 handle;	 /* its cls_bpf handle */
	__u32 prio;	 /* its cls_bpf priority */
	bool direct;	 /* its verdict is the action (direct-action) */
	__u16 protocol;	 /* the frames it sees: ETH_P_ALL, or one EtherType */
	bool first;	 /* nothing runs before it */
	bool tcx_ahead;	 /* a TCX program runs before every clsact filter */
	int filters;	 /* clsact filters on the hook, anyone's */
	__u32 tcx_count; /* TCX programs on the hook */
	__u32 tcx_first;
	char ahead[96]; /* what runs first instead, when !first */
	/* Another tool's filter at FW_TC_PRIO that fwctl's cannot join: the
	 * kernel holds a priority to one classifier and one protocol. */
	char holder[96];
};
int fw_clsact_list(int **ifindexes);
int fw_tc_hook_read(int ifindex, __u32 dir, bool clsact, __u32 tcx_ours, struct fw_tc_hook *h);
int fw_tc_filter_del(int ifindex, __u32 dir, __u32 prio, __u16 protocol, __u32 handle);
const char *fw_ethertype_name(__u16 proto);

/* docker.c: the Docker Engine API (DOCKER_HOST=unix://... honoured). */
bool fw_docker_available(void);
int fw_docker_inspect(const char *ref, char *name, size_t len, int *pid);
int fw_docker_list(char (**names)[FW_TARGET_LEN], int *n);
void fw_docker_reset(void);
/* Warns, once, that Docker did not answer: where a command goes on without it. */
void fw_docker_warn(void);

/* container.c: container:NAME, netns:NAME, pid:PID targets. */
enum fw_target_kind {
	FW_TARGET_IFACE,
	FW_TARGET_CONTAINER,
	FW_TARGET_NETNS,
	FW_TARGET_PID,
};
enum fw_target_kind fw_target_kind(const char *target);
int fw_container_open(const char *target, char *name, size_t len);
int fw_container_ports(int nsfd, const struct fw_link *links, int n, int *out, int max);
int fw_container_names(const struct fw_link *links, int n, char (*names)[FW_TARGET_LEN]);
int fw_pid_max(void);
/* Resolves the container targets among rules[0..n) into a per-process cache
 * (call before taking the state lock); fw_container_open serves from it.
 * Returns how many targets are cached. */
int fw_containers_prefetch(const struct fw_rule *rules, int n);
/* Empties that cache and lets Docker be asked again (watch). */
void fw_containers_forget(void);

/* state.c: pinned maps under /sys/fs/bpf/fwctl/<netns>/, and the lock. */
#define FW_DECIDING_MAPS 3
struct fw_state {
	struct fw_netns ns;
	char dir[512];
	int lock_fd;
	bool exists;
	bool dirty;  /* FW_META_DIRTY as stored: a change is under way */
	bool verify; /* repairing: check every slot against the kernel */
	int policy_fd, counters_fd, ifaces_fd, rules_fd, meta_fd, slots_fd, slots_hi_fd;
	/* Drop samples (xdp/fw_sample.h): the programs' flag, the ring, the
	 * rate limit's per-CPU counts, the listener's interfaces. */
	int sample_ctl_fd, samples_fd, sample_rate_fd, sample_if_fd;
	/* The ids of the maps the programs find verdicts through (fw_slots,
	 * fw_slots_hi, fw_policy), as the pins hold them; 0: not known. */
	__u32 decide_ids[FW_DECIDING_MAPS];
	int ncpus;
	struct fw_rule rules[FW_MAX_RULES];
	struct fw_iface ifaces[FW_MAX_IFACES];
	/* Not 0: the state was made for this many interfaces by another build;
	 * opened for reading only, and only its rules can be read. */
	__u32 foreign_ifaces;
};
enum fw_open {
	FW_OPEN_READ,	/* shared lock; no state is fine */
	FW_OPEN_WRITE,	/* exclusive lock; state created when missing */
	FW_OPEN_UPDATE, /* exclusive lock; no state is fine */
};
int fw_state_open(struct fw_state *st, enum fw_open how);
/* The pin of the programs' sample flag, a global (xdp/fw_sample.h). */
#define FW_SAMPLE_CTL_PIN "fw_sample_ctl"
struct bpf_object;
int fw_state_share_globals(const struct fw_state *st, struct bpf_object *obj);
void fw_state_close(struct fw_state *st);
int fw_state_destroy(struct fw_state *st);
int fw_state_gc(struct fw_state *st);
int fw_state_save_rules(struct fw_state *st);
int fw_state_mark(struct fw_state *st, bool dirty);
int fw_state_save_iface(struct fw_state *st, __u32 slot);
int fw_state_set_policy(struct fw_state *st, __u32 slot, const struct fw_policy pol[FW_DIRS]);
int fw_state_read_policies(struct fw_state *st, struct fw_policy pol[FW_MAX_IFACES * FW_DIRS]);
int fw_state_read_counters(struct fw_state *st, __u32 slot, __u32 dir,
			   struct fw_counter sums[FW_IDX_SUMS]);
int fw_state_reset_counters(struct fw_state *st, __u32 slot);
int fw_state_map_slot(struct fw_state *st, __u32 ifindex, __u32 value, __u32 expect);
/* The current namespace's rules with no lock (for fetching what they name
 * before taking it): returns how many are in use, 0 where no state. */
int fw_state_peek_rules(struct fw_rule rules[FW_MAX_RULES]);
int fw_check_privileges(void);
bool fw_has_sys_admin(void);

/* attach.c: programs onto interfaces and off again. */
struct fw_attach_req {
	__u8 mode; /* enum fw_mode_pref */
	__u8 hook; /* enum fw_hook */
	bool force;
};
int fw_attach(struct fw_state *st, __u32 slot, const struct fw_link *link,
	      const struct fw_attach_req *req);
int fw_detach(struct fw_state *st, __u32 slot);
int fw_xdp_suspend(struct fw_state *st, __u32 slot, const struct fw_link *link);
int fw_xdp_resume(struct fw_state *st, __u32 slot, const struct fw_link *link);
/* The namespace's pinned programs: what "fwctl's program" means on a hook. */
struct fw_ours {
	__u32 xdp, tc_in, tc_out;
};
void fw_ours_read(struct fw_state *st, struct fw_ours *o);
int fw_tc_remove_ours(int ifindex, __u32 dir);
int fw_repair(struct fw_state *st, __u32 slot, const struct fw_link *link, int gap, __u32 dir,
	      const struct fw_attach_req *req);
int fw_upgrade(struct fw_state *st, const __u32 *slots, int n, const struct fw_link *links,
	       int nlinks);
bool fw_tc_present(struct fw_state *st, __u32 slot, __u32 dir);
int fw_programs_ready(struct fw_state *st);

/* rules.c: rules as stated, and what each interface must enforce. */
struct fw_want {
	const struct fw_link *link;
	struct fw_policy pol[FW_DIRS]; /* what it enforces, all rules weighed */
	/* Its own rules' blocks and exceptions, and its bridge's blocks: a
	 * port's own rule wins over its bridge's (fw_wants). */
	struct fw_policy own[FW_DIRS], excepted[FW_DIRS], inherited[FW_DIRS];
	struct fw_attach_req req;
	bool direct; /* named by a rule itself, not only through its bridge */
};
/* What the rules ask of every interface they cover. *held is set when a
 * rule could not be resolved (Docker down): nothing may be released then. */
int fw_wants(struct fw_state *st, const struct fw_link *links, int n, struct fw_want **out,
	     bool *held);
struct fw_rule *fw_rule_find(struct fw_state *st, const char *target);
struct fw_rule *fw_rule_add(struct fw_state *st, const char *target);
/* Which interfaces a change affects: their kernel state is checked and
 * repaired; every other covered interface only gets its policy written. */
struct fw_scope {
	bool all;	    /* verify every covered interface (watch, recovery) */
	const char *target; /* else the interfaces this target covers */
	const int *skip;    /* ifindexes to leave alone (watch's backoff) */
	int nskip;
	int *failed; /* out: ifindexes that could not be covered */
	int nfailed, maxfailed;
};
int fw_apply(struct fw_state *st, const struct fw_attach_req *force, struct fw_scope *scope,
	     bool *partial);
int fw_slot_of(const struct fw_state *st, int ifindex);
int fw_recover(struct fw_state *st);
int fw_target_check(const char *target, const struct fw_link *links, int n);
/* -FW_EUSAGE when target can cover nothing: lo, or a netns:/pid:/container:
 * target that is the namespace fwctl acts in. */
int fw_target_useless(const char *target);
/* "no interface 'x' in netns H (did you mean x1?)" as the usage error. */
int fw_no_interface(const char *name);
int fw_target_resolve(const char *target, const struct fw_link *links, int n, int *out, int max,
		      bool *container);

/* verify.c: the kernel's truth about one covered interface, per direction. */
enum fw_enf_state {
	FW_ENFORCED,
	FW_DEGRADED,	 /* enforcing, but not as asked */
	FW_NOT_ENFORCED, /* packets the rules drop may pass */
};
enum fw_gap { /* what the reconciler repairs */
	      FW_GAP_NONE,
	      FW_GAP_UNCOVERED,	  /* no fwctl program yet: attach */
	      FW_GAP_CANNOT,	  /* cannot attach (limit, foreign XDP, full table) */
	      FW_GAP_POLICY,	  /* the maps differ from the rules: rewrite */
	      FW_GAP_XDP,	  /* our XDP program missing: attach again */
	      FW_GAP_XDP_FOREIGN, /* another XDP program in its place: --force */
	      FW_GAP_TC,	  /* our filter or link missing: attach again */
	      FW_GAP_TC_ORDER,	  /* a filter runs first: overtake it */
	      FW_GAP_TCX_AHEAD,	  /* a TCX program runs before our cls_bpf filter */
};
struct fw_enf {
	__u8 state; /* enum fw_enf_state */
	__u8 gap;   /* enum fw_gap */
	char reason[256];
};
/* Whether fwctl's program is on each hook, as the kernel says. */
struct fw_seen {
	bool xdp;
	bool tc[FW_DIRS]; /* ingress read only where fwctl uses it */
	__u8 tc_kind;	  /* enum fw_tc_kind of what was seen there */
};
const char *fw_enf_name(int state);
void fw_verify(const struct fw_state *st, int slot, const struct fw_link *l,
	       const struct fw_want *w, const struct fw_ours *ours, bool clsact,
	       const struct fw_compiled pol[FW_DIRS], struct fw_enf e[FW_DIRS],
	       struct fw_seen *seen);
int fw_verify_read(const struct fw_state *st, int slot, struct fw_compiled c[FW_DIRS]);
/* The parts of fw_verify that read no kernel, each an enum fw_enf_state
 * with the reason in why: an interface's fw_slots entry (got) against its
 * slot; fwctl's cls_bpf filter's flags and protocol; whether a program's
 * map ids (have) hold every one of need. */
int fw_slot_check(int slot, __u32 got, char *why, size_t len);
int fw_tc_filter_check(const struct fw_tc_hook *h, const char *hook, char *why, size_t len);
bool fw_maps_include(const __u32 *have, __u32 n, const __u32 *need, __u32 nneed);
/* Whether program prog reads the maps st's pins hold (fw_slots, fw_slots_hi,
 * fw_policy), as an instance loaded for st does; true where it cannot tell
 * (no CAP_SYS_ADMIN). */
bool fw_prog_reads_state(const struct fw_state *st, __u32 prog);
/* The act bytes of an entry against what want compiles to: enum fw_enf_state. */
int fw_act_check(const struct fw_compiled *got, const struct fw_policy *want, char *why,
		 size_t len);

/* orphans.c: fwctl's programs on interfaces no state records. */
struct fw_orphan {
	const struct fw_link *link;
	__u32 xdp;	   /* its fw_xdp program id, 0: none */
	__u32 tc[FW_DIRS]; /* its fw_tc_* filter's program id per hook */
};
int fw_orphans_find(const struct fw_state *st, const struct fw_link *links, int n, const char *only,
		    struct fw_orphan **out);
int fw_orphans_remove(const struct fw_orphan *o, int n);

/* view.c: what status and stats show. */
struct fw_view {
	struct fw_link *links;
	int n;
	char (*names)[FW_TARGET_LEN]; /* container behind links[i], or "" */
	int *sel;		      /* ifindexes the target selects */
	int nsel;
	bool all;
};
int fw_view_open(struct fw_view *v, struct fw_state *st, const char *target);
void fw_view_close(struct fw_view *v);
bool fw_view_selects(const struct fw_view *v, int ifindex);
/* One row of status: an interface a rule covers or fwctl has a program on. */
struct fw_status_row {
	int slot; /* -1: covered, but no fwctl program on it */
	int ifindex;
	char ifname[FW_IFNAME_LEN];
	const struct fw_link *link;	   /* NULL: gone */
	struct fw_policy blocked[FW_DIRS]; /* as the maps hold it (or the rules ask) */
	struct fw_seen seen;		   /* fwctl's programs, as the kernel runs them */
	struct fw_enf e[FW_DIRS];
};
int fw_status_rows(struct fw_state *st, const struct fw_view *v, const struct fw_policy *pol,
		   struct fw_status_row **out, bool *broken);
const char *fw_view_container(const struct fw_view *v, int ifindex);
const struct fw_link *fw_view_link(const struct fw_view *v, int ifindex);

/* status as typed rows: one per interface, printed as text or JSON by one
 * emitter (fw_status_print); the command only gathers them. */
struct fw_status_item {
	char ifname[FW_IFNAME_LEN];
	int ifindex;
	char kind[16];		       /* "gone" where the interface is */
	char container[FW_TARGET_LEN]; /* its container's host-side port, or "" */
	bool tc_hook;		       /* filters what it receives with TC, not XDP */
	bool xdp;		       /* fwctl's XDP program runs there */
	__u8 xdp_mode;		       /* enum fw_xdp_mode */
	__u32 prog_id;
	bool tc[FW_DIRS]; /* fwctl's TC program on ingress, egress */
	__u8 tc_kind;	  /* enum fw_tc_kind */
	struct fw_policy blocked[FW_DIRS];
	struct fw_enf e[FW_DIRS];
	bool orphan; /* fwctl's program, but no state records it */
};
struct fw_status_doc {
	const char *netns;
	const struct fw_status_item *items;
	int n;
	const struct fw_rule *rules; /* FW_MAX_RULES slots, NULL: no state */
	bool enforced;
	bool interrupted;
	int samples_pid; /* `monitor --packets` listening there, 0: none */
};
void fw_status_print(const struct fw_status_doc *d);

/* doctor as typed rows. */
enum fw_check_status {
	FW_CHECK_OK,
	FW_CHECK_DEGRADED,
	FW_CHECK_MISSING,
};
struct fw_check {
	const char *name;
	int status; /* enum fw_check_status */
	char detail[256];
	const char *consequence;
};
void fw_checks_print(const char *netns, const struct fw_check *c, int n);

/* ruleset.c: rules as text and back, changes to them, and their commit. */
enum fw_change {
	FW_ATTACH,
	FW_DETACH,
	FW_BLOCK,
	FW_UNBLOCK,
};
struct fw_rule_opts {
	enum fw_change what;
	const char *protos;
	const char *target;
	struct fw_policy set;
	int dir; /* --dir: FW_RULE_IN, FW_RULE_OUT or both; 0: not given (both) */
	bool dirs[FW_DIRS];
	int mode; /* -1: keep */
	int hook; /* -1: keep */
	bool force;
	bool all;
	bool strict;  /* no anti-lockout exemptions */
	bool upgrade; /* attach --upgrade: swap in this build's programs */
	bool dry_run; /* block, unblock: show the change, make none */
	/* unblock: what becomes an exception to the bridge's rule (what it
	 * blocks of set, in the target's directions); fw_rule_except(). */
	struct fw_policy except[FW_DIRS];
};
/* A ruleset line holds at most this many characters (bytes) before its
 * newline, and this many words. */
#define FW_RULESET_MAX_LINE  1024
#define FW_RULESET_MAX_WORDS 16
/* Bad lines of a ruleset named one by one before the rest are counted. */
#define FW_RULESET_MAX_ERRORS 20
/* A rule line as fwctl writes it (a long protocol set takes several). */
#define FW_RULE_LINE_LEN  (FW_RULESET_MAX_LINE + 1)
#define FW_RULE_MAX_LINES 8
int fw_ruleset_split(const char *line, size_t len, char *buf, char **words, int max);
int fw_ruleset_quote(const char *word, char *buf, size_t len);
int fw_rule_lines(const struct fw_rule *r, char lines[FW_RULE_MAX_LINES][FW_RULE_LINE_LEN]);
int fw_ruleset_line(const char *line, size_t len, struct fw_rule *rules, int *nrules);
int fw_ruleset_read(FILE *f, const char *path, struct fw_rule *rules);
json_t *fw_rules_changes(const struct fw_rule *old, const struct fw_rule *new);
int fw_rules_diff(const struct fw_rule *old, const struct fw_rule *new, const char *netns);
#define FW_RULE_IN  1
#define FW_RULE_OUT 2
/* A ruleset line's words, argv[0] the verb: options, protocols, target. */
int fw_rule_parse(int argc, char **argv, struct fw_rule_opts *o);
/* Protocols and target of a parsed command; live: the target is looked up
 * in the current namespace (a ruleset's targets need not exist yet). */
int fw_rule_check(struct fw_rule_opts *o, bool live);
json_t *fw_rules_json(const struct fw_rule *rules);
void fw_rule_change(struct fw_rule *r, const struct fw_rule_opts *o);
int fw_rules_commit(struct fw_state *st, const struct fw_rule *old, const struct fw_attach_req *req,
		    const char *target);
int fw_state_drop_if_empty(struct fw_state *st);
int fw_ruleset_write(FILE *f, const struct fw_rule *rules, const char *netns);

/* output.c: what every command's output is made of. */
void fw_json_print(json_t *doc);
json_t *fw_json_doc(const char *netns);
/* A direction as the user names it: an interface's "in"/"out", or for a
 * container's host-side port the container's "from"/"to" (its port's in is
 * what the container sends). */
const char *fw_dir_label(__u32 dir, bool container);
json_t *fw_dir_container_json(__u32 dir, bool container);
const char *fw_human_count(__u64 v, char *buf, size_t len);
const char *fw_human_bytes(__u64 v, char *buf, size_t len);
/* Names (interfaces, namespaces, targets) are bytes, not always UTF-8. */
#define FW_NAME_TEXT_LEN (4 * FW_TARGET_LEN + 1) /* any target, every byte "\\xNN" */
size_t fw_utf8_char(const char *s);
bool fw_utf8_valid(const char *s);
const char *fw_name_escape(const char *name, char *buf, size_t len);
json_t *fw_name_json(const char *name);
void fw_json_set_name(json_t *obj, const char *key, const char *name);
struct timespec;
const char *fw_iso8601(const struct timespec *ts, bool ms, char *buf, size_t len);
/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns() too. */
__u64 fw_mono_ns(void);
double fw_mono_s(void);
const char *fw_fmt_count(__u64 v, bool human_units, char *buf, size_t len);
const char *fw_fmt_bytes(__u64 v, bool human_units, char *buf, size_t len);
const char *fw_fmt_rate(double per_s, bool bytes, bool human_units, char *buf, size_t len);

/* dissect.c: what a drop sample's bytes show, found by the programs' own
 * parser. -1 where a field is not there (no ports, not ICMP, cut off). */
struct fw_pkt {
	int family; /* 4, 6, or 0: no IP header in the bytes */
	char src[46], dst[46];
	int sport, dport;
	int icmp_type, icmp_code;
	int vlan[FW_MAX_VLAN];
	int nvlan;
};
void fw_dissect(const __u8 *frame, __u32 caplen, struct fw_pkt *out);

/* pcap.c: drop samples as a classic pcap file (Ethernet), as tcpdump -w. */
int fw_pcap_header(FILE *f, __u32 snaplen);
int fw_pcap_record(FILE *f, const struct timespec *ts, const void *data, __u32 caplen, __u32 len);

/* packets.c: `monitor --packets`, drop samples as they happen. */
struct fw_packets_opts {
	const char *target;
	long count;	   /* samples, 0: until interrupted */
	long rate;	   /* a second per CPU */
	const char *wfile; /* pcap, "-": stdout */
};
int fw_monitor_packets(const struct fw_packets_opts *o);
int fw_samples_reap(struct fw_state *st);
int fw_samples_listener(struct fw_state *st);

/* Commands (cmd_rules.c): the options struct is a struct fw_rule_opts; the
 * tables, with every other command's, are the commands' own (opts.h). */
int cmd_attach(const void *args);
int cmd_detach(const void *args);
int cmd_block(const void *args);
int cmd_unblock(const void *args);
int fw_stats_prometheus(FILE *f, const char *target);
/* Counters and enforcement of the current namespace, taken now; written
 * together for several namespaces as one exposition (each family's HELP and
 * TYPE once). */
struct fw_stats_snap;
int fw_stats_take(const char *target, struct fw_stats_snap **out);
void fw_stats_free(struct fw_stats_snap *s);
int fw_stats_prometheus_write(FILE *f, struct fw_stats_snap *const *snaps, int n);

#endif /* FWCTL_H */
