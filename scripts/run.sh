#!/usr/bin/env bash
# What `make run` runs once bin/flint and build/guests/ are built: start
# `flint serve` with example credentials, deploy the example functions,
# print commands to try, and keep the server in the foreground until
# Ctrl-C, which stops it gracefully.
#
# The data stay in ./.flint between runs, and deploying again is
# idempotent. FLINT_LISTEN and FLINT_DATA choose another address or
# directory: FLINT_LISTEN=127.0.0.1:8081 make run
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

listen=${FLINT_LISTEN:-127.0.0.1:8080}
data=${FLINT_DATA:-.flint}
# The embedded NATS server, which event sources read (a second server
# needs another: FLINT_NATS_LISTEN=127.0.0.1:4223).
nats_listen=${FLINT_NATS_LISTEN:-127.0.0.1:4222}
endpoint=http://$listen
# Example credentials: the server accepts requests signed with them, and
# bin/flint signs with them (it reads the same variables).
access_key=AKIAFLINTEXAMPLE0001
secret_key=flint-example-secret-change-me
export FLINT_ACCESS_KEY=$access_key FLINT_SECRET_KEY=$secret_key FLINT_ENDPOINT=$endpoint
flint=bin/flint
log=$data/serve.log

bold= plain=
if [[ -t 1 ]]; then
	bold=$'\033[1m' plain=$'\033[0m'
fi
say() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }
die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}
# ready reports whether the server at $host:$port answers /readyz with 200,
# with bash alone (no curl needed).
ready() {
	local status
	{ exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
	printf 'GET /readyz HTTP/1.0\r\nHost: %s\r\n\r\n' "$listen" >&3 || { exec 3<&-; return 1; }
	IFS= read -r -t 2 status <&3 || status=
	exec 3<&-
	[[ $status == "HTTP/1."?" 200"* ]]
}

for f in "$flint" build/guests/hello.wasm; do
	[[ -e $f ]] || die "$f is missing: run 'make run', which builds it"
done

# Someone already listening: say who, rather than fail later.
host=${listen%:*} port=${listen##*:}
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
	if ready; then
		die "a Flint server already runs at $endpoint: stop it, or run this one elsewhere: FLINT_LISTEN=127.0.0.1:8081 make run"
	fi
	die "$listen is in use by another program: free it, or pick another address: FLINT_LISTEN=127.0.0.1:8081 make run"
fi

nats_host=${nats_listen%:*} nats_port=${nats_listen##*:}
if (exec 3<>"/dev/tcp/$nats_host/$nats_port") 2>/dev/null; then
	die "$nats_listen (NATS) is in use: stop what listens there, or pick another address: FLINT_NATS_LISTEN=127.0.0.1:4223 make run"
fi

mkdir -p "$data"
# Append: another server may still be writing this log (and holding the
# data directory, which this one then reports).
touch "$log"
log_start=$(($(wc -c <"$log") + 1))
say "starting flint serve on $endpoint (data in $data, log in $log)"
"$flint" serve --listen "$listen" --data "$data" --nats-listen "$nats_listen" --access-log 2>>"$log" &
server=$!
tailer=

# stop stops the server gracefully and exits: with the server's status
# when interrupted, with the failure's when a step failed (an EXIT trap).
stop() {
	local failed=$1
	trap - INT TERM EXIT
	echo
	say "stopping the server"
	kill -TERM "$server" 2>/dev/null || true
	local status=0
	wait "$server" || status=$?
	if [[ -n $tailer ]]; then
		wait "$tailer" 2>/dev/null || true
	fi
	if ((failed != 0)); then
		echo "run.sh: a step failed; the server's log is in $log" >&2
		exit "$failed"
	fi
	exit "$status"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

for _ in $(seq 100); do
	if ready; then
		break
	fi
	if ! kill -0 "$server" 2>/dev/null; then
		trap - INT TERM EXIT
		tail -c "+$log_start" "$log" >&2
		wait "$server" || true
		die "flint serve stopped before it was ready (its log is above)"
	fi
	sleep 0.1
done
ready || die "flint serve did not answer $endpoint/readyz within 10s; see $log"

say "role kvcounter: may read and write the key-value store \"counters\""
"$flint" role put kvcounter - <<'EOF'
{"Version": "2026-11-01", "Statement": [
  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:counters/*"]}]}
EOF

say "deploying the examples"
"$flint" deploy hello build/guests/hello.wasm --env GREETING=Hello
"$flint" deploy echo build/guests/echo.wasm
"$flint" deploy wordcount build/guests/wordcount.wasm
"$flint" deploy kvcounter build/guests/kvcounter.wasm --role kvcounter
httpapp=
if [[ -f build/guests/httpapp.wasm ]]; then
	"$flint" deploy httpapp build/guests/httpapp.wasm
	if ! "$flint" url get httpapp >/dev/null 2>&1; then
		"$flint" url create httpapp --auth NONE >/dev/null
	fi
	httpapp=$("$flint" url get httpapp -o json | sed -n 's/^ *"url": "\(.*\)",$/\1/p')
fi
# A schedule (EventBridge Scheduler's API) fires ticker every minute; put
# again on a later run, it keeps its due time.
ticker=
if [[ -f build/guests/ticker.wasm ]]; then
	"$flint" deploy ticker build/guests/ticker.wasm
	say "schedule tick: fires ticker every minute"
	"$flint" schedule put tick --rate '1 minute' --target ticker \
		--input '{"schedule":"<aws.scheduler.schedule-arn>","due":"<aws.scheduler.scheduled-time>"}'
	ticker=1
fi
say "event sources: the stream \"orders\" feeds the function orders"
"$flint" role put orders - <<'EOF'
{"Version": "2026-11-01", "Statement": [
  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:orders/*"]}]}
EOF
"$flint" deploy orders build/guests/orders.wasm --role orders
"$flint" stream create orders --subject 'orders.>'
if ! "$flint" source ls --function orders -o json | grep -q '"uuid"'; then
	"$flint" source add orders orders --report-failures --batch-size 10 --retries 2
fi
"$flint" ls

cat <<EOF

${bold}The web console is at $endpoint/console/${plain}
(open it in a browser; sign in with access key $access_key and secret $secret_key).

${bold}Flint serves on $endpoint.${plain} Try these in another shell, in $root:

  export FLINT_ACCESS_KEY=$access_key FLINT_SECRET_KEY=$secret_key FLINT_ENDPOINT=$endpoint
  bin/flint invoke hello --payload '{"name":"you"}'
  bin/flint invoke wordcount --payload '"the cat and the hat"'
  bin/flint invoke kvcounter --payload '{"key":"visits"}'
  bin/flint logs hello
  bin/flint ls
EOF
if [[ -n $httpapp ]]; then
	cat <<EOF

httpapp, an ordinary net/http app, answers at its function URL $httpapp
(open it in a browser too):

  curl ${httpapp}hello/flint
  curl -d '{"a":1}' -H 'Content-Type: application/json' ${httpapp}echo
EOF
fi
cat <<EOF

Event sources: messages on the stream "orders" reach the function orders in
batches (any NATS client can publish to nats://$nats_listen, subject orders.new):

  bin/flint stream pub orders '{"id":"o-1","qty":2}' --subject orders.new
  bin/flint stream pub orders '{"id":"o-2","qty":0}' --subject orders.new   # refused: retried twice, then a dead letter
  bin/flint logs orders
  bin/flint source ls
  bin/flint dlq ls

The AWS CLI works against it too (AWS CLI v2: add --cli-binary-format raw-in-base64-out):

  AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key aws --endpoint-url $endpoint --region us-east-1 lambda invoke --function-name hello --payload '{"name":"aws"}' /dev/stdout
  AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key aws --endpoint-url $endpoint --region us-east-1 lambda list-event-source-mappings
EOF
if [[ -n $ticker ]]; then
	cat <<EOF

The schedule "tick" fires ticker every minute (the EventBridge Scheduler API, for the AWS CLI too):

  bin/flint schedule ls
  bin/flint schedule get tick
  bin/flint logs ticker
  bin/flint schedule put nightly --cron '0 3 * * ? *' --tz Europe/Berlin --target hello
  AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key aws --endpoint-url $endpoint --region us-east-1 scheduler list-schedules
EOF
fi
cat <<EOF

${bold}The server's log follows; Ctrl-C stops the server.${plain}
EOF

tail -n 0 -s 0.2 -f --pid "$server" "$log" &
tailer=$!
# wait returns when the server exits or a signal runs stop.
status=0
wait "$server" || status=$?
trap - INT TERM EXIT
wait "$tailer" 2>/dev/null || true
echo
say "the server stopped"
exit "$status"
