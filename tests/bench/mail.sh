#!/usr/bin/env bash
# tests/bench/mail.sh — the e-mail adapter's rate: messages/s from the
# Maildir into complaints intake has acknowledged, beside intake's own
# submit rate measured in the same run. Not part of `make test` nor of
# `make bench`; run it by hand:
#
#     BUILD=build bash tests/bench/mail.sh
#
# Starts the `make up` pipeline (deploy/scripts/up.sh) in a folder and on
# ports of its own, then:
#   intake   bench-intake throughput for BENCH_MAIL_INTAKE_SECONDS (10) s:
#            intake's own acknowledged submits/s (4 clients x 128 in flight);
#   mail     the mail daemon stopped, BENCH_MAIL_N (5000) generated messages
#            (UTF-8, Chinese, ~600 bytes) written into its Maildir's new/,
#            the daemon started again (the same flags as make up's) and timed
#            until the store holds all N complaints of channel email: the
#            messages/s, and the daemon's CPU per message.
# Figures as `name value unit`, after `#` lines with the conditions; also in
# $BENCH_MAIL_VAR/figures.txt. PostgreSQL as make up runs it (fsync on).
#
# Settings: BUILD, BENCH_MAIL_VAR (/tmp/complaints-bench-mailv),
# BENCH_MAIL_PG_PORT (55408), BENCH_MAIL_ZMQ_BASE (26190: intake, bus pub,
# replay, smtp and http sinks +3 +4, LMTP +5, metrics from +10),
# BENCH_MAIL_N, BENCH_MAIL_INTAKE_SECONDS, BENCH_KEEP=1 (leave it running).
set -euo pipefail

BENCH_NAME=bench-mail
# shellcheck source=lib/bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"
for b in mail intake bench-intake complaintctl; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is not built (make, then make $BUILD/bin/bench-intake)"
done

base=${BENCH_MAIL_ZMQ_BASE:-26190}
export COMPLAINTS_VAR=${BENCH_MAIL_VAR:-/tmp/complaints-bench-mailv}
export COMPLAINTS_PG_PORT=${BENCH_MAIL_PG_PORT:-55408}
export COMPLAINTS_INTAKE_ENDPOINT=tcp://127.0.0.1:$base
export COMPLAINTS_BUS_PUB_ENDPOINT=tcp://127.0.0.1:$((base + 1))
export COMPLAINTS_BUS_REPLAY_ENDPOINT=tcp://127.0.0.1:$((base + 2))
export COMPLAINTS_SINK_SMTP_PORT=$((base + 3))
export COMPLAINTS_SINK_HTTP_PORT=$((base + 4))
export COMPLAINTS_MAIL_LMTP=127.0.0.1:$((base + 5))
export COMPLAINTS_METRICS_BASE=$((base + 10))
export COMPLAINTS_ANALYTICS_HTTP=off
unset COMPLAINTS_SMTP_URL COMPLAINTS_SMS_URL COMPLAINTS_PUSH_URL
N=${BENCH_MAIL_N:-5000}
INTAKE_SECONDS=${BENCH_MAIL_INTAKE_SECONDS:-10}
OUT=$COMPLAINTS_VAR/figures.txt

down () { BUILD=$BUILD bash "$ROOT/deploy/scripts/down.sh" >/dev/null 2>&1 || true; }
MAIL_PID=
cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $MAIL_PID ]] && kill "$MAIL_PID" 2>/dev/null
    [[ ${BENCH_KEEP:-0} == 1 ]] || down
    exit "$rc"
}
down
rm -rf "$COMPLAINTS_VAR"
mkdir -p "$COMPLAINTS_VAR"
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM
say "starting the pipeline in $COMPLAINTS_VAR (PostgreSQL $COMPLAINTS_PG_PORT, intake $COMPLAINTS_INTAKE_ENDPOINT)"
BUILD=$BUILD bash "$ROOT/deploy/scripts/up.sh" >"$COMPLAINTS_VAR/up.log" 2>&1 \
    || { tail -n 20 "$COMPLAINTS_VAR/up.log" >&2; die "up.sh failed"; }
# shellcheck disable=SC1091
. "$COMPLAINTS_VAR/env"
# shellcheck disable=SC1091
. "$ROOT/deploy/scripts/lib.sh"
export COMPLAINTS_KEYS=$KEYS_DIR

{
    echo "# bench-mail: $(date -u +%FT%TZ) on $(nproc) cores, $(uname -r)"
    echo "# PostgreSQL: $(psql -X -A -t -c 'show server_version'), fsync $(psql -X -A -t -c 'show fsync'), synchronous_commit $(psql -X -A -t -c 'show synchronous_commit')"
    echo "# the make up pipeline (bus x2, intake, router x2, watchdog x2, notifier x2, analytics, mail); CURVE on"
    echo "# intake: bench-intake throughput, 4 clients x 128 in flight, ${INTAKE_SECONDS} s"
    echo "# mail: $N messages in the Maildir, the daemon's window 64, from its start to the last complaint in the store"
} | tee "$OUT"

say "intake alone (${INTAKE_SECONDS} s)"
"$BIN/bench-intake" throughput --endpoint "$COMPLAINTS_INTAKE_ENDPOINT" --seconds "$INTAKE_SECONDS" \
    --zmq-endpoint "" 2>"$COMPLAINTS_VAR/bench-intake.err" | grep -E '^throughput_(ack|sent|cpu)' \
    | sed 's/^/intake_/' | tee -a "$OUT" || true

say "the Maildir: $N messages"
pid=$(svc_pid mail)
[[ -n $pid ]] || die "the mail daemon is not running (see $LOG_DIR/mail.log)"
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
"$PY" - "$VAR/mail/inbox" "$N" <<'PYEOF'
import email.utils, os, sys
inbox, n = sys.argv[1], int(sys.argv[2])
date = email.utils.formatdate(localtime=True)
for i in range(n):
    msg = ("From: =?UTF-8?B?5p2O5Zub?= <li.si.%d@example.com>\r\n"
           "To: complaints@bank.example.cn\r\nSubject: bench %d\r\nDate: %s\r\n"
           "Message-ID: <bench-%d-%d@bench.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           "我的信用卡在 12 月 3 日被重复扣收年费 300 元，客服电话一直占线，"
           "网点说要等总行处理。请尽快退还多扣的年费并说明原因。第 %d 封。\r\n") % (
        i, i, date, os.getpid(), i, i)
    tmp = os.path.join(inbox, "tmp", "bench.%d" % i)
    with open(tmp, "w") as f:
        f.write(msg)
    os.rename(tmp, os.path.join(inbox, "new", "bench.%d" % i))
PYEOF
before=$(psql -X -A -t -c "select count(*) from complaint where channel = 'email'")
start_ns=$(date +%s%N)
"$BIN/mail" --maildir "$VAR/mail/inbox" --dir "$VAR/mail" --lmtp "$COMPLAINTS_MAIL_LMTP" \
    --metrics-port "$(svc_metrics_port mail)" >>"$LOG_DIR/mail.log" 2>&1 &
MAIL_PID=$!
while true; do
    got=$(psql -X -A -t -c "select count(*) from complaint where channel = 'email'")
    (( got - before >= N )) && break
    kill -0 "$MAIL_PID" 2>/dev/null || die "the mail daemon died (see $LOG_DIR/mail.log)"
    sleep 0.05
done
end_ns=$(date +%s%N)
read -r utime stime < <(awk '{ print $14, $15 }' "/proc/$MAIL_PID/stat")
tck=$(getconf CLK_TCK)
"$PY" - "$N" "$start_ns" "$end_ns" "$utime" "$stime" "$tck" <<'PYEOF' | tee -a "$OUT"
import sys
n, s, e, ut, st, tck = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
secs = (e - s) / 1e9
print("mail_messages %d msgs" % n)
print("mail_seconds %.2f s" % secs)
print("mail_rate %.0f msgs/s" % (n / secs))
print("mail_cpu %.0f us/msg" % ((ut + st) / tck * 1e6 / n))
PYEOF
say "figures in $OUT"
