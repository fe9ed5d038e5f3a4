#!/usr/bin/env bash
# What `make cluster` runs once bin/flint and build/guests/ are built: three
# `flint serve` nodes on this machine, their embedded NATS servers routed to
# each other (one Flint cluster, three binaries and no other software),
# with ports side by side and data under .flint/cluster/NODE. It deploys
# hello on the first node, invokes it on the others, prints commands to
# try, and keeps the nodes running until Ctrl-C, which stops them
# gracefully.
#
# FLINT_CLUSTER_PORT picks the first HTTP port (8091: nodes on 8091-8093,
# NATS clients on 14221-14223, routes on 16221-16223 by default).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

base=${FLINT_CLUSTER_PORT:-8091}
nats_base=${FLINT_CLUSTER_NATS_PORT:-14221}
route_base=${FLINT_CLUSTER_ROUTE_PORT:-16221}
data=.flint/cluster
access_key=AKIAFLINTEXAMPLE0001
secret_key=flint-example-secret-change-me
export FLINT_ACCESS_KEY=$access_key FLINT_SECRET_KEY=$secret_key
flint=bin/flint
nodes=(a b c)

bold= plain=
if [[ -t 1 ]]; then
	bold=$'\033[1m' plain=$'\033[0m'
fi
say() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }
die() {
	printf 'cluster.sh: %s\n' "$*" >&2
	exit 1
}

for f in "$flint" build/guests/hello.wasm; do
	[[ -e $f ]] || die "$f is missing: run 'make cluster', which builds it"
done

routes=
for i in "${!nodes[@]}"; do
	routes+="${routes:+,}nats://127.0.0.1:$((route_base + i))"
	for port in $((base + i)) $((nats_base + i)) $((route_base + i)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			die "port $port is in use: stop what listens there (another make cluster?), or move the cluster: FLINT_CLUSTER_PORT=9091 FLINT_CLUSTER_NATS_PORT=24221 FLINT_CLUSTER_ROUTE_PORT=26221 make cluster"
		fi
	done
done

pids=()
stop() {
	local failed=$1
	trap - INT TERM EXIT
	echo
	say "stopping the nodes"
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	local status=0
	for pid in "${pids[@]}"; do
		wait "$pid" || status=$?
	done
	if ((failed != 0)); then
		echo "cluster.sh: a step failed; the nodes' logs are in $data/NODE.log" >&2
		exit "$failed"
	fi
	exit "$status"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

mkdir -p "$data"
for i in "${!nodes[@]}"; do
	n=${nodes[$i]}
	mkdir -p "$data/$n"
	say "starting node $n on http://127.0.0.1:$((base + i)) (data in $data/$n, log in $data/$n.log)"
	"$flint" serve --node-name "$n" --listen "127.0.0.1:$((base + i))" --data "$data/$n" \
		--nats-listen "127.0.0.1:$((nats_base + i))" \
		--cluster-name flint-local --cluster-listen "127.0.0.1:$((route_base + i))" --routes "$routes" \
		2>>"$data/$n.log" &
	pids+=($!)
done

# ready reports whether the node on port $1 answers /readyz with 200, with
# bash alone (no curl needed).
ready() {
	local status
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" >&3 || { exec 3<&-; return 1; }
	IFS= read -r -t 2 status <&3 || status=
	exec 3<&-
	[[ $status == "HTTP/1."?" 200"* ]]
}

# The first node waits for a majority of the cluster before it serves.
for i in "${!nodes[@]}"; do
	for _ in $(seq 600); do
		if ready $((base + i)); then
			break
		fi
		kill -0 "${pids[$i]}" 2>/dev/null || die "node ${nodes[$i]} stopped before it was ready: see $data/${nodes[$i]}.log"
		sleep 0.1
	done
	ready $((base + i)) || die "node ${nodes[$i]} was not ready within a minute: see $data/${nodes[$i]}.log"
done

a=http://127.0.0.1:$base b=http://127.0.0.1:$((base + 1)) c=http://127.0.0.1:$((base + 2))
say "deploying hello on node a"
"$flint" deploy hello build/guests/hello.wasm --env GREETING=Hello --endpoint "$a"
for n in b c; do
	endpoint=${!n}
	say "invoking hello on node $n"
	for _ in $(seq 50); do # the change reaches the others within milliseconds
		if "$flint" invoke hello --payload "{\"name\":\"node $n\"}" --endpoint "$endpoint" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
done
"$flint" cluster status --endpoint "$a"

cat <<EOF

${bold}Three Flint nodes serve on $a, $b and $c.${plain} Try these in another shell, in $root:

  export FLINT_ACCESS_KEY=$access_key FLINT_SECRET_KEY=$secret_key
  bin/flint deploy echo build/guests/echo.wasm --endpoint $b     # deploy on b ...
  bin/flint invoke echo --payload '{"on":"c"}' --endpoint $c     # ... invoke on c
  bin/flint logs hello --follow --endpoint $c                     # every node's invocations
  bin/flint invoke hello --endpoint $a; bin/flint invoke hello --endpoint $b
  bin/flint usage --endpoint $b                                   # summed over the nodes
  bin/flint cluster status --endpoint $c
  curl -s $a/metrics | grep 'node="a"' | head

Stop a node (kill the process that serves $c) and the others go on; start
make cluster again afterwards and the nodes pick up their data in $data.

${bold}The nodes' logs follow; Ctrl-C stops the cluster.${plain}
EOF

tail -n 0 -s 0.2 -f "$data/a.log" "$data/b.log" "$data/c.log" &
tailer=$!
status=0
wait -n "${pids[@]}" || status=$?
kill "$tailer" 2>/dev/null || true
say "a node stopped"
stop "$status"
