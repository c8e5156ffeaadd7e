#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_docker.sh - fwctl with a real Docker engine. dockerd runs inside a
# network namespace of the test's own (its docker0 and the containers' veths
# live there, and all traffic stays there), with its data, exec root and
# socket in a temporary folder; the image is busybox-static imported from a
# folder. A rule on docker0 blocks ICMP between the containers and from the
# namespace's host side while HTTP passes; `block udp container:web1` touches
# web1 alone; status and stats name it; `fwctl watch` follows web1 when it
# restarts with a new veth.
#
#   fwtestdkr: dockerd, docker0 172.30.77.1 --+-- vethXXX == eth0 (web1: httpd :80)
#                                             +-- vethYYY == eth0 (web2: httpd :80)
#
# Needs Debian's docker.io and busybox-static; python3 for the UDP probes
# (busybox nc here has no -u). nsenter, not ip netns exec, starts dockerd: it
# needs the host's cgroup mounts.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck disable=SC2016 # jq programs, in single quotes on purpose
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
command -v dockerd >/dev/null ||
	t_skip_file "needs dockerd (apt-get install docker.io)"
command -v docker >/dev/null || t_skip_file "needs the docker client (apt-get install docker.io)"
BUSYBOX=$(command -v busybox)
bash "$T_ROOT/tools/is-static.sh" "$BUSYBOX" ||
	t_skip_file "needs a static busybox for the image (apt-get install busybox-static)"

BRIDGE_NET=172.30.77
D=$T_TMP/docker
SOCK=$D/docker.sock
export DOCKER_HOST=unix://$SOCK
DOCKERD_PID=
# Containers' cgroups go under a parent of the test's own, removed at the end;
# dockerd also makes "docker" in every hierarchy: removed if it was not there.
CGROUP_PARENT=fwtest-dkr-$$
CGROUP_DOCKER_NEW=
[ -e /sys/fs/cgroup/memory/docker ] || [ -e /sys/fs/cgroup/docker ] || CGROUP_DOCKER_NEW=1

# Everything dockerd made goes before lib.sh removes the namespace: the
# containers, dockerd itself (and the containerd it started), its mounts.
docker_cleanup() {
	local m i
	if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		timeout 20 docker rm -f web1 web2 >/dev/null 2>&1
		kill "$DOCKERD_PID" 2>/dev/null
		for ((i = 0; i < 150; i++)); do
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
	fi
	# Deepest first: overlay mounts, then the namespace files under exec-root.
	grep -F " $D/" /proc/mounts | cut -d' ' -f2 | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$D" 2>/dev/null
	# rmdir removes only an empty cgroup: never one still in use.
	for m in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
		[ -d "$m" ] && rmdir "$m" 2>/dev/null
	done
	if [ -n "$CGROUP_DOCKER_NEW" ]; then
		for m in /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker; do
			[ -d "$m" ] && rmdir "$m" 2>/dev/null
		done
	fi
	return 0
}
trap 'docker_cleanup; t_cleanup' EXIT

bare_ns dkr
NS=$BARE
mkdir -p "$D/data" "$D/exec" "$D/image/bin" "$D/image/www" "$D/image/tmp"
chmod 1777 "$D/image/tmp"

# --- the engine ------------------------------------------------------------------

# setsid: dockerd gets its own session, so the test's terminal signals do not
# reach it; it is stopped by docker_cleanup.
setsid nsenter --net="/run/netns/$NS" dockerd --data-root "$D/data" --exec-root "$D/exec" \
	-H "unix://$SOCK" --pidfile "$D/dockerd.pid" --iptables=false --ip-masq=false \
	--bip "$BRIDGE_NET.1/24" --userland-proxy=false --cgroup-parent "/$CGROUP_PARENT" >"$D/dockerd.log" 2>&1 </dev/null &
DOCKERD_PID=$!
for ((i = 0; i < 300; i++)); do
	[ -S "$SOCK" ] && docker version >/dev/null 2>&1 && break
	kill -0 "$DOCKERD_PID" 2>/dev/null || break
	sleep 0.1
done
if ! docker version >/dev/null 2>&1; then
	why=$(grep -E 'level=(fatal|error)' "$D/dockerd.log" | tail -1 | sed 's/.*msg="\([^"]*\)".*/\1/')
	kill -0 "$DOCKERD_PID" 2>/dev/null || why="dockerd exited: ${why:-$(tail -1 "$D/dockerd.log")}"
	t_skip_file "dockerd cannot start here: ${why:-no API on $SOCK after 30 s}"
fi
t_ok dockerd_started

# A busybox image from a folder: the static binary and its applet links.
cp "$BUSYBOX" "$D/image/bin/busybox"
for a in sh httpd ping nc sleep cat printf ifconfig ip; do
	ln -s busybox "$D/image/bin/$a"
done
echo "fwctl-docker" >"$D/image/www/index.html"
run sh -c "tar -C '$D/image' -c . | docker import - fwtest-busybox:1"
[ "$RC" -eq 0 ] || { t_fail image "docker import failed" "$(last_run)"; t_done; }

start_web() {
	run docker run -d --name "$1" --network bridge fwtest-busybox:1 \
		/bin/httpd -f -p 80 -h /www
	[ "$RC" -eq 0 ] || { t_fail "run_$1" "docker run failed" "$(last_run)" \
		"dockerd log:" "$(tail -5 "$D/dockerd.log")"; t_done; }
}
start_web web1
start_web web2

# ip NAME / pid NAME: the container's address and its init's pid (for nsenter).
cip() {
	docker inspect -f '{{.NetworkSettings.IPAddress}}' "$1"
}
cpid() {
	docker inspect -f '{{.State.Pid}}' "$1"
}
IP1=$(cip web1)
IP2=$(cip web2)
HOST_IP=$BRIDGE_NET.1

# --- probes ----------------------------------------------------------------------

# in_ctr CONTAINER CMD...: CMD (the host's static busybox) in the container's
# network namespace, found by its init's pid: the traffic starts where the
# container's own would. Not `docker exec`: under a chroot (a fresh-machine
# CI) runc's exec lands in the host's root, where the image's applets are not.
in_ctr() {
	local pid
	pid=$(cpid "$1") && [ "${pid:-0}" -gt 0 ] || { echo "$1: no pid"; return 1; }
	shift
	nsenter --net="/proc/$pid/ns/net" "$@"
}

# c_ping_none/c_ping_ok CONTAINER ADDR: busybox ping from the container.
c_pings() {
	T_DETAIL="$1\$ ping -c 2 $2"$'\n'$(in_ctr "$1" "$BUSYBOX" ping -c 2 -i 0.2 -W 1 "$2" 2>&1)
}
c_ping_ok() {
	c_pings "$@"
	grep -q ' 0% packet loss' <<<"$T_DETAIL"
}
c_ping_none() {
	c_pings "$@"
	grep -q '^PING ' <<<"$T_DETAIL" && ! grep -q ' bytes from ' <<<"$T_DETAIL"
}

# c_http_ok CONTAINER ADDR: the page, fetched with busybox nc from the
# container (busybox wget is not used: it segfaults under some setups here).
c_http_ok() {
	local page
	page=$(printf 'GET / HTTP/1.0\r\n\r\n' | in_ctr "$1" "$BUSYBOX" nc -w 3 "$2" 80 2>&1)
	T_DETAIL="$1\$ GET http://$2/: $(printf '%s' "$page" | tr -d '\r' | tail -3)"
	grep -q '^fwctl-docker' <<<"$page"
}

# host_http_ok ADDR: the page, fetched from the namespace's host side.
host_http_ok() {
	local body
	body=$(http_get "$NS" "$1" 2>&1)
	T_DETAIL="$NS\$ GET http://$1/: '$body'"
	[ "$body" == fwctl-docker ]
}

# UDP: an echo server and a client, run by python3 in a container's network
# namespace (nsenter into its init's), so packets take the container's path.
HAVE_UDP=
command -v python3 >/dev/null && HAVE_UDP=1
UDP_PORT=9999
udp_serve() {
	nsenter --net="$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
' "$UDP_PORT" >/dev/null 2>&1 &
	t_bg $!
}
# udp_ask NSPATH ADDR: one datagram to ADDR, its echo back within 1 s (3 tries).
udp_ask() {
	nsenter --net="$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.35)
for _ in range(3):
    s.sendto(b"fwctl", (sys.argv[1], int(sys.argv[2])))
    try:
        if s.recv(64) == b"fwctl":
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
' "$2" "$UDP_PORT"
}
udp_ok() {
	T_DETAIL="udp from $1 to $2 got no echo"
	udp_ask "$@"
}
udp_fails() {
	T_DETAIL="udp from $1 to $2 was echoed"
	! udp_ask "$@"
}
NSP_H=/run/netns/$NS
nsp() {
	echo "/proc/$(cpid "$1")/ns/net"
}
start_udp_servers() {
	udp_serve "$NSP_H"
	udp_serve "$(nsp web1)"
	udp_serve "$(nsp web2)"
	sleep 0.3
}

# --- baseline --------------------------------------------------------------------

baseline_ok() {
	c_ping_ok web1 "$IP2" && ping_ok "$NS" "$IP1" && c_http_ok web1 "$IP2" &&
		host_http_ok "$IP1"
}
assert baseline "the containers cannot talk before fwctl touches anything" baseline_ok
[ "$T_FAILS" -eq 0 ] || t_done
if [ -n "$HAVE_UDP" ]; then
	start_udp_servers
	udp_baseline() {
		udp_ok "$(nsp web1)" "$IP2" && udp_ok "$NSP_H" "$IP1"
	}
	assert udp_baseline "UDP does not work before fwctl touches anything" udp_baseline
fi

# --- ICMP on docker0 -------------------------------------------------------------

check bridge_block fw -n "$NS" block icmp docker0
assert c2c_ping_dropped "web1 -> web2 ping answered" c_ping_none web1 "$IP2"
assert c2c_ping_reverse_dropped "web2 -> web1 ping answered" c_ping_none web2 "$IP1"
assert host_ping_dropped "host side -> web1 ping answered" ping_none "$NS" "$IP1"
assert container_to_host_ping_dropped "web2 -> host side ping answered" \
	c_ping_none web2 "$HOST_IP"
assert c2c_http_passes "web1 -> web2 HTTP (nc) broken" c_http_ok web1 "$IP2"
assert host_http_passes "host side -> web1 HTTP broken" host_http_ok "$IP1"

STATUS=
get_status() {
	STATUS=$(fw -n "$NS" -j status "$@" 2>/dev/null)
	is_json "$STATUS" || STATUS='{}'
}
# names: "container" of every veth port in `-j status`, sorted.
port_names() {
	get_status
	T_DETAIL=$STATUS
	[ "$(json "$STATUS" '[.interfaces[]? | select(.kind == "veth") | .container] |
		sort | join(" ")')" == "web1 web2" ]
}
assert status_names_containers "status does not name web1 and web2 beside their ports" \
	port_names

# --- UDP on container:web1 -------------------------------------------------------

check container_block fw -n "$NS" block udp container:web1
PORT1=$(fw -n "$NS" -j status container:web1 2>/dev/null | jq -r '.interfaces[0].ifname // empty')
one_container() {
	get_status container:web1
	T_DETAIL=$STATUS
	[ "$(json "$STATUS" '[.interfaces[]? | .container + "/" + .ifname] | join(" ")')" == \
		"web1/$PORT1" ] && [ -n "$PORT1" ] &&
		json "$STATUS" -e '.interfaces[0].blocked | (.in | index("udp")) and
			(.out | index("udp"))' >/dev/null
}
assert status_container_one "status container:web1 is not web1's port alone, udp blocked" \
	one_container
text_names_web1() {
	run fw -n "$NS" status container:web1
	T_DETAIL=$(last_run)
	[ "$RC" -eq 0 ] && grep -qw web1 <<<"$OUT" && ! grep -qw web2 <<<"$OUT"
}
assert status_container_text "text status container:web1 does not name web1 alone" \
	text_names_web1
web2_untouched() {
	get_status
	T_DETAIL=$STATUS
	json "$STATUS" -e '.interfaces[] | select(.container == "web2") |
		(.blocked.in | index("udp") | not) and (.blocked.out | index("udp") | not)' >/dev/null
}
assert web2_policy_untouched "udp blocked on web2's port too" web2_untouched
if [ -n "$HAVE_UDP" ]; then
	assert udp_web1_out_dropped "web1 -> host side UDP echoed" udp_fails "$(nsp web1)" "$HOST_IP"
	assert udp_web1_in_dropped "host side -> web1 UDP echoed" udp_fails "$NSP_H" "$IP1"
	assert udp_c2c_dropped "web2 -> web1 UDP echoed" udp_fails "$(nsp web2)" "$IP1"
	assert udp_web2_passes "host side -> web2 UDP broken" udp_ok "$NSP_H" "$IP2"
	assert udp_web2_out_passes "web2 -> host side UDP broken" udp_ok "$(nsp web2)" "$HOST_IP"
else
	t_skip udp_probes "needs python3 (busybox nc has no -u)"
fi
assert web1_http_still_passes "web2 -> web1 HTTP broken by the udp rule" c_http_ok web2 "$IP1"
one_stats() {
	local doc
	doc=$(fw -n "$NS" -j stats container:web1 2>&1)
	T_DETAIL=$doc
	is_json "$doc" &&
		[ "$(json "$doc" '[.interfaces[]? | .container] | unique | join(" ")')" == web1 ] &&
		{ [ -z "$HAVE_UDP" ] || [ "$(counter dropped_packets "$doc" "" udp)" -gt 0 ]; }
}
assert stats_container_one "stats container:web1 is not web1 alone (with udp drops)" one_stats

# --- errors ----------------------------------------------------------------------

before=$(fw_state "$NS")
run fw -n "$NS" block icmp container:fwtest-nope
after=$(fw_state "$NS")
if [ "$RC" -ne 2 ]; then
	t_fail missing_container "expected exit 2, got $RC" "$(last_run)"
elif [[ $ERR != "fwctl: "*fwtest-nope* ]] || [ "$(grep -c '' <<<"$ERR")" -ne 1 ]; then
	t_fail missing_container "want one line 'fwctl: ... fwtest-nope ...'" "$(last_run)"
elif [ "$before" != "$after" ]; then
	t_fail missing_container "state changed" "$(diff <(echo "$before") <(echo "$after"))"
else
	t_ok missing_container
fi

# --- web1 restarts while watch runs ------------------------------------------------

"$FWCTL" -n "$NS" watch >"$T_TMP/watch.log" 2>&1 &
WATCH=$!
t_bg "$WATCH"
sleep 0.5
if ! kill -0 "$WATCH" 2>/dev/null; then
	t_fail watch_running "fwctl watch exited at once" "$(cat "$T_TMP/watch.log")"
	t_done
fi
OLD_IDX=$(fw -n "$NS" -j status container:web1 2>/dev/null | jq -r '.interfaces[0].ifindex')
run docker restart -t 1 web1
[ "$RC" -eq 0 ] || t_fail restart "docker restart web1 failed" "$(last_run)"
IP1=$(cip web1)
followed() {
	local i idx
	for ((i = 0; i < 50; i++)); do
		get_status container:web1
		idx=$(json "$STATUS" '.interfaces[]? | select((.blocked.in | index("udp")) and
			(.blocked.out | index("udp")) and (.blocked.in | index("icmp"))) | .ifindex')
		[ -n "$idx" ] && [ "$idx" != "$OLD_IDX" ] && return 0
		sleep 0.1
	done
	T_DETAIL=$(fw -n "$NS" status 2>&1; echo "old ifindex $OLD_IDX; watch said:"
		tail -5 "$T_TMP/watch.log")
	return 1
}
assert restart_followed "web1's new port did not get its rules within 5 s" followed
assert restart_ping_dropped "web2 -> restarted web1 ping answered" c_ping_none web2 "$IP1"
assert restart_http_passes "web2 -> restarted web1 HTTP broken" c_http_ok web2 "$IP1"
if [ -n "$HAVE_UDP" ]; then
	udp_serve "$(nsp web1)"
	sleep 0.3
	assert restart_udp_dropped "host side -> restarted web1 UDP echoed" \
		udp_fails "$NSP_H" "$IP1"
	assert restart_udp_web2_passes "host side -> web2 UDP broken" udp_ok "$NSP_H" "$IP2"
fi
old_gone() {
	get_status
	T_DETAIL=$STATUS
	! json "$STATUS" -e --argjson i "$OLD_IDX" '.interfaces[]? | select(.ifindex == $i)' \
		>/dev/null
}
assert restart_old_port_released "web1's old port still in status" old_gone

# A stopped container can be named (its rule waits); when it starts, watch
# gives its new port the rule.
run docker stop -t 1 web2
[ "$RC" -eq 0 ] || t_fail stop "docker stop web2 failed" "$(last_run)"
check stopped_container_block fw -n "$NS" block gre container:web2
started_covered() {
	local i
	for ((i = 0; i < 50; i++)); do
		get_status container:web2
		json "$STATUS" -e '.interfaces[0].blocked | (.in | index("gre")) and
			(.out | index("gre")) and (.in | index("icmp"))' >/dev/null && return 0
		sleep 0.1
	done
	T_DETAIL=$(fw -n "$NS" status 2>&1; echo "watch said:"; tail -5 "$T_TMP/watch.log")
	return 1
}
run docker start web2
[ "$RC" -eq 0 ] || t_fail start "docker start web2 failed" "$(last_run)"
IP2=$(cip web2)
assert started_covered "web2's port did not get gre and icmp within 5 s of its start" \
	started_covered
assert started_ping_dropped "web1 -> started web2 ping answered" c_ping_none web1 "$IP2"

kill -TERM "$WATCH"
wait "$WATCH"
expect_eq watch_sigterm_exit0 0 "$?" "$(tail -5 "$T_TMP/watch.log")"
assert after_watch_enforced "web1 -> web2 ping answered after watch ended" \
	c_ping_none web1 "$IP2"

t_done
