#!/usr/bin/env bash
# tests/bench/hotline.sh — the hotline's export import, rows per second,
# beside intake's own submit rate in the same run (`bash tests/bench/run.sh
# hotline`, or directly: BUILD=build bash tests/bench/hotline.sh).
#
# Starts the embedded pipeline of deploy/scripts/up.sh (the hotline
# included) in a folder and on ports of its own, then:
#
#   hotline  a call-centre export of BENCH_HL_ROWS (10000) rows (Chinese
#            words, a caller number, an IVR path...) renamed into the
#            inbox: the time until the file is in done/ (every row checked
#            and in the spool, fsync'd: the adapter's own cost) and until
#            intake has acknowledged every row (rows in the store);
#   intake   then bench-intake throughput: BENCH_HL_CLIENTS (4) clients with
#            128 requests in flight each, for BENCH_HL_SECONDS (10) s — what
#            intake acknowledges when nothing else limits it.
#
# Prints `name value unit` lines and the conditions (cores, fsync, rows).
# The spool costs two fsyncs a row (the entry, its folder), on the disk
# the spool is on (BENCH_HL_VAR); intake shares one fsync among a batch.
# Settings: BUILD, BENCH_HL_VAR (/tmp/complaints-bench-hotline),
# BENCH_HL_PG_PORT (55411), BENCH_HL_ZMQ_BASE (26230: intake, bus, sinks,
# analytics, the desk +6, web +7, LMTP +8, metrics from +10), BENCH_HL_ROWS,
# BENCH_HL_SECONDS, BENCH_HL_CLIENTS, BENCH_KEEP=1 (leave it running).
set -euo pipefail

BENCH_NAME=bench-hotline
# shellcheck source=lib/bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

[[ -x $BIN/bench-intake && -x $BIN/hotline ]] || die "build bench-intake and hotline first (make bench)"

base=${BENCH_HL_ZMQ_BASE:-26230}
export COMPLAINTS_VAR=${BENCH_HL_VAR:-/tmp/complaints-bench-hotline}
export COMPLAINTS_PG_PORT=${BENCH_HL_PG_PORT:-55411}
export COMPLAINTS_INTAKE_ENDPOINT=tcp://127.0.0.1:$base
export COMPLAINTS_BUS_PUB_ENDPOINT=tcp://127.0.0.1:$((base + 1))
export COMPLAINTS_BUS_REPLAY_ENDPOINT=tcp://127.0.0.1:$((base + 2))
export COMPLAINTS_SINK_SMTP_PORT=$((base + 3))
export COMPLAINTS_SINK_HTTP_PORT=$((base + 4))
export COMPLAINTS_ANALYTICS_ENDPOINT=tcp://127.0.0.1:$((base + 5))
export COMPLAINTS_HOTLINE_ADDR=127.0.0.1:$((base + 6))
export COMPLAINTS_WEB_ADDR=127.0.0.1:$((base + 7))
export COMPLAINTS_MAIL_LMTP=127.0.0.1:$((base + 8))
export COMPLAINTS_METRICS_BASE=$((base + 10))
export COMPLAINTS_ANALYTICS_HTTP=off
unset COMPLAINTS_SMTP_URL COMPLAINTS_SMS_URL COMPLAINTS_PUSH_URL
ROWS=${BENCH_HL_ROWS:-10000}
SECS=${BENCH_HL_SECONDS:-10}
CLIENTS=${BENCH_HL_CLIENTS:-4}

down () { BUILD=$BUILD bash "$ROOT/deploy/scripts/down.sh" >/dev/null 2>&1 || true; }
cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    [[ ${BENCH_KEEP:-0} == 1 ]] || down
    exit "$rc"
}
down
rm -rf "$COMPLAINTS_VAR"
mkdir -p "$COMPLAINTS_VAR"
trap cleanup EXIT INT TERM
BUILD=$BUILD bash "$ROOT/deploy/scripts/up.sh" >"$COMPLAINTS_VAR/up.log" 2>&1 \
    || { tail -20 "$COMPLAINTS_VAR/up.log" >&2; die "make up failed"; }
# shellcheck disable=SC1091
. "$COMPLAINTS_VAR/env"

echo "# bench-hotline: $(nproc) cores, fsync $(psql -XAtqc 'show fsync'), synchronous_commit $(psql -XAtqc 'show synchronous_commit')"
echo "# spool on $(df --output=source,fstype "$COMPLAINTS_VAR" | tail -1)"
echo "# intake: $CLIENTS clients x 128 in flight, ${SECS} s; hotline: $ROWS rows"

say "the export: $ROWS rows"
"$PY" - "$COMPLAINTS_VAR/hotline/inbox" "$ROWS" <<'PYEOF'
import csv, datetime, os, subprocess, sys, time
inbox, rows = sys.argv[1], int(sys.argv[2])
tmp = os.path.join(inbox, ".bench.csv.part")
now = datetime.datetime.utcnow() + datetime.timedelta(hours=8)
with open(tmp, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(["call_id", "started_at", "caller_number", "customer_name", "ivr_path",
                "recording_ref", "branch", "product", "complaint", "demand"])
    for i in range(rows):
        w.writerow(["BENCH-%07d" % i, (now - datetime.timedelta(minutes=i % 600)).strftime("%Y-%m-%d %H:%M:%S"),
                    "1380%07d" % i, "客户%d" % i, "1-3-2", "REC-%07d" % i, "上海分行",
                    "信用卡", "客户来电：信用卡年费被扣两次，第%d通，\n要求退还并说明原因。" % i,
                    "退还年费"])
def count():
    r = subprocess.run(["psql", "-XAtqc", "select count(*) from complaint where ref like 'BENCH-%'"],
                       capture_output=True, text=True)
    return int(r.stdout.strip() or 0)
t0 = time.monotonic()
os.rename(tmp, os.path.join(inbox, "bench.csv"))
spooled = None
deadline = t0 + 600
while time.monotonic() < deadline:
    if spooled is None and os.path.exists(os.path.join(inbox, "done", "bench.csv")):
        spooled = time.monotonic() - t0
    if spooled is not None and count() >= rows:
        break
    time.sleep(0.05)
acked = time.monotonic() - t0
n = count()
print("hotline_rows %d rows" % rows)
print("hotline_taken_seconds %.2f s" % (spooled or float("nan")))
print("hotline_taken_rate %.0f rows/s" % (rows / spooled if spooled else 0))
print("hotline_acknowledged_seconds %.2f s" % acked)
print("hotline_acknowledged_rate %.0f rows/s" % (n / acked))
print("hotline_stored %d rows" % n)
PYEOF

# Then intake's own rate, on the same pipeline (after the export: the
# export runs on a quiet pipeline, not behind intake's burst).
say "intake's own rate"
COMPLAINTS_KEY=operator "$BIN/bench-intake" throughput --endpoint "$COMPLAINTS_INTAKE_ENDPOINT" \
    --clients "$CLIENTS" --seconds "$SECS" --pg "" 2>"$COMPLAINTS_VAR/bench-intake.err" \
    | tee "$COMPLAINTS_VAR/intake-figures.txt" | grep -v '^#' | sed 's/^/intake_/'

