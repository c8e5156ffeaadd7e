#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deploy_k8s.sh - the Kubernetes manifests in deploy/k8s, parsed (PyYAML) and
# checked where it matters: a DaemonSet on the host network, with exactly the
# capabilities the systemd units have and not privileged; the host's bpffs,
# /run/netns, the Docker socket (read-only) and the ruleset ConfigMap mounted
# where the node script looks; the ConfigMap's rules.conf passes
# `fwctl restore --check`; the canary DaemonSet is the stable one on the
# other nodes. No cluster is needed (or reachable) for this.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

# K8S=DIR checks other manifests (a change under review).
K8S=${K8S:-deploy/k8s}
UNIT=deploy/systemd/fwctl-watch.service

PY=
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || t_skip_file "needs python3 with PyYAML (apt-get install python3-yaml)"

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
rules_dir=$T_TMP/rules
mkdir -p "$rules_dir"

# One line per check: "ok<TAB>name" or "FAIL<TAB>name<TAB>why". Rulesets are
# written to $rules_dir/<configmap>.conf for fwctl to check below.
"$PY" - "$K8S" "$caps" "$(cat VERSION)" "$rules_dir" >"$T_TMP/checks" 2>"$T_TMP/py.err" <<'EOF'
import copy, glob, os, sys
import yaml

k8s, caps, version, rules_dir = sys.argv[1:5]
want_caps = sorted(c[len("CAP_"):] for c in caps.split())
NS = "fwctl-system"
results = []

def check(name, ok, why=""):
    results.append(("ok", name, "") if ok else ("FAIL", name, why))

docs = {}
for path in sorted(glob.glob(os.path.join(k8s, "*.yaml"))):
    try:
        items = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    except yaml.YAMLError as e:
        check("parse_" + os.path.basename(path), False, str(e).replace("\n", " "))
        continue
    check("parse_" + os.path.basename(path), bool(items), "no document")
    for d in items:
        docs.setdefault(d.get("kind"), []).append((path, d))

bad = []
for kind, items in docs.items():
    for path, d in items:
        meta = d.get("metadata") or {}
        if not d.get("apiVersion") or not kind or not meta.get("name"):
            bad.append(path + ": apiVersion, kind and metadata.name are required")
        elif kind != "Namespace" and meta.get("namespace") != NS:
            bad.append("%s: %s %s is not in namespace %s" % (path, kind, meta["name"], NS))
check("metadata", not bad, "; ".join(bad))
check("namespace", any(d["metadata"]["name"] == NS for _, d in docs.get("Namespace", [])),
      "no Namespace " + NS)

configmaps = {d["metadata"]["name"]: d for _, d in docs.get("ConfigMap", [])}
daemonsets = {d["metadata"]["name"]: d for _, d in docs.get("DaemonSet", [])}
check("daemonset_present", "fwctl" in daemonsets, "no DaemonSet named fwctl")

def one_container(ds):
    return ds["spec"]["template"]["spec"]["containers"][0]

for name, ds in sorted(daemonsets.items()):
    p = name + "_"
    spec = ds["spec"]["template"]["spec"]
    c = one_container(ds)
    sc = c.get("securityContext") or {}
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}

    check(p + "kind", ds["apiVersion"] == "apps/v1" and ds["kind"] == "DaemonSet",
          "want apps/v1 DaemonSet")
    sel = ds["spec"]["selector"]["matchLabels"]
    labels = ds["spec"]["template"]["metadata"]["labels"]
    check(p + "selector_matches", all(labels.get(k) == v for k, v in sel.items()),
          "selector %s does not select the pod labels %s" % (sel, labels))
    check(p + "one_container", len(spec["containers"]) == 1, "want one container")
    check(p + "host_network", spec.get("hostNetwork") is True, "hostNetwork must be true")
    check(p + "host_pid", spec.get("hostPID") is True,
          "hostPID must be true for container: targets (deploy_image.sh shows why)")
    check(p + "not_privileged", sc.get("privileged") in (None, False),
          "privileged: true is more than fwctl needs")
    add = sorted((sc.get("capabilities") or {}).get("add") or [])
    drop = (sc.get("capabilities") or {}).get("drop") or []
    check(p + "capabilities", add == want_caps and drop == ["ALL"],
          "want drop [ALL], add %s (as the units); got drop %s, add %s" % (want_caps, drop, add))
    # The API server refuses allowPrivilegeEscalation: false with SYS_ADMIN.
    check(p + "privilege_escalation_valid",
          not (sc.get("allowPrivilegeEscalation") is False and "SYS_ADMIN" in add),
          "allowPrivilegeEscalation: false is rejected together with CAP_SYS_ADMIN")
    check(p + "read_only_root", sc.get("readOnlyRootFilesystem") is True,
          "the node script writes nothing outside its mounts")
    check(p + "seccomp", (sc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
          "want seccompProfile RuntimeDefault")
    check(p + "image_version", c.get("image") == "fwctl:" + version,
          "image %s, but VERSION is %s (deploy/build-image.sh tags fwctl:VERSION)"
          % (c.get("image"), version))
    check(p + "no_api_token", spec.get("automountServiceAccountToken") is False,
          "fwctl talks to no API server: automountServiceAccountToken: false")

    def host_mount(path, host, **want):
        m = mounts.get(path)
        if not m:
            return "nothing mounted at " + path
        v = vols.get(m["name"])
        if not v:
            return "mount %s names no volume" % m["name"]
        if (v.get("hostPath") or {}).get("path") != host:
            return "%s is not hostPath %s" % (path, host)
        for k, val in want.items():
            if k == "type":
                if v["hostPath"].get("type") != val:
                    return "hostPath %s: type %s, want %s" % (host, v["hostPath"].get("type"), val)
            elif m.get(k) != val:
                return "%s: %s is %s, want %s" % (path, k, m.get(k), val)
        return ""

    why = host_mount("/sys/fs/bpf", "/sys/fs/bpf", type="Directory")
    prop = (mounts.get("/sys/fs/bpf") or {}).get("mountPropagation")
    if not why and prop == "Bidirectional" and sc.get("privileged") is not True:
        why = "Bidirectional propagation is only allowed in privileged containers"
    elif not why and prop != "HostToContainer":
        why = "want mountPropagation HostToContainer (the host's bpffs, mounted later too)"
    check(p + "mount_bpffs", not why, why)
    why = host_mount("/run/netns", "/run/netns", readOnly=True, mountPropagation="HostToContainer")
    check(p + "mount_netns", not why, why)
    why = host_mount("/var/run/docker.sock", "/var/run/docker.sock", readOnly=True, type="Socket")
    check(p + "mount_docker_sock", not why, why)

    rules = env.get("FWCTL_RULES", "/etc/fwctl/rules.conf")
    m = mounts.get(os.path.dirname(rules))
    v = vols.get(m["name"]) if m else None
    cm = (v or {}).get("configMap", {}).get("name")
    why = ""
    if not cm:
        why = "no ConfigMap volume mounted at %s" % os.path.dirname(rules)
    elif cm not in configmaps:
        why = "ConfigMap %s is not in %s" % (cm, k8s)
    elif os.path.basename(rules) not in (configmaps[cm].get("data") or {}):
        why = "ConfigMap %s has no key %s" % (cm, os.path.basename(rules))
    elif not m.get("readOnly"):
        why = "the ruleset mount should be read-only"
    check(p + "configmap_rules", not why, why)
    metrics = env.get("FWCTL_METRICS_FILE")
    check(p + "metrics_dir_mounted", not metrics or os.path.dirname(metrics) in mounts,
          "FWCTL_METRICS_FILE %s is not on a mounted volume" % metrics)
    # /metrics: the port fwctl listens on is the pod's and the annotation's,
    # and $(HOST_IP) is defined before the variable that uses it.
    listen = env.get("FWCTL_METRICS_LISTEN")
    ann = ds["spec"]["template"]["metadata"].get("annotations") or {}
    ports = {str(q.get("containerPort")) for q in c.get("ports", [])}
    names = [e["name"] for e in c.get("env", [])]
    why = ""
    if listen:
        port = listen.rsplit(":", 1)[-1]
        host_ip = [e for e in c.get("env", []) if e["name"] == "HOST_IP"]
        if not port.isdigit():
            why = "FWCTL_METRICS_LISTEN %s has no port" % listen
        elif port not in ports:
            why = "FWCTL_METRICS_LISTEN port %s is not a containerPort %s" % (port, sorted(ports))
        elif ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") != port:
            why = "annotation prometheus.io/port %s, fwctl listens on %s" % (
                ann.get("prometheus.io/port"), port)
        elif "$(HOST_IP)" in listen and not (
                host_ip and ((host_ip[0].get("valueFrom") or {}).get("fieldRef") or {}).get(
                    "fieldPath") == "status.hostIP"
                and names.index("HOST_IP") < names.index("FWCTL_METRICS_LISTEN")):
            why = "$(HOST_IP) needs HOST_IP from status.hostIP defined before it"
    check(p + "metrics_listen", not why, why)
    unused = sorted(set(vols) - {m["name"] for m in mounts.values()})
    dangling = sorted({m["name"] for m in mounts.values()} - set(vols))
    check(p + "volumes_used", not unused and not dangling,
          "unmounted volumes %s, mounts without volume %s" % (unused, dangling))

for name, cm in configmaps.items():
    with open(os.path.join(rules_dir, name + ".conf"), "w") as f:
        f.write((cm.get("data") or {}).get("rules.conf", ""))

# Canary and stable: the same pod, on complementary nodes, with their own rules.
if "fwctl" in daemonsets and "fwctl-canary" in daemonsets:
    def normal(ds):
        d = copy.deepcopy(ds)
        d["metadata"]["name"] = "X"
        d["spec"]["selector"]["matchLabels"]["fwctl.io/track"] = "X"
        d["spec"]["template"]["metadata"]["labels"]["fwctl.io/track"] = "X"
        terms = d["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        ops = [e.pop("operator") for t in terms for e in t["matchExpressions"]
               if e["key"] == "fwctl.io/canary"]
        for v in d["spec"]["template"]["spec"]["volumes"]:
            if "configMap" in v:
                v["configMap"]["name"] = "X"
        return d, ops
    (s, sops), (c, cops) = normal(daemonsets["fwctl"]), normal(daemonsets["fwctl-canary"])
    check("canary_same_pod", s == c,
          "fwctl-canary differs from fwctl beyond name, track, nodes and ConfigMap")
    check("canary_other_nodes", sops == ["NotIn"] and cops == ["In"],
          "want fwctl on fwctl.io/canary NotIn [true], fwctl-canary on In [true]")

for r in results:
    print("\t".join(r))
EOF
if [ ! -s "$T_TMP/checks" ]; then
	t_fail parse "the manifest checker failed" "$(cat "$T_TMP/py.err")"
	t_done
fi
while IFS=$'\t' read -r verdict name why; do
	if [ "$verdict" == ok ]; then
		t_ok "$name"
	else
		t_fail "$name" "$why"
	fi
done <"$T_TMP/checks"

if [ ! -x "$FWCTL" ]; then
	t_skip rules_check "$FWCTL not built"
	t_done
fi
for f in "$rules_dir"/*.conf; do
	[ -e "$f" ] || continue
	name=$(basename "${f%.conf}")
	run "$FWCTL" restore --check "$f"
	if [ "$RC" -eq 0 ] && [ -s "$f" ]; then
		t_ok "${name}_rules_check"
	else
		t_fail "${name}_rules_check" "rules.conf of ConfigMap $name does not pass" "$(last_run)" \
			"$(cat "$f")"
	fi
done

t_done
