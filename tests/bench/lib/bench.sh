# tests/bench/lib/bench.sh — what every benchmark script starts with.
#
#   BENCH_NAME=bench-NAME
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"
#
# sets ROOT (the checkout), BUILD (absolute: BUILD from the environment,
# default build), BIN ($BUILD/bin), PY (Debian's python3: python3-zmq and
# python3-msgpack live there), and say / die, which print to stderr with
# the benchmark's name in front (die exits 1).
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bin
PY=/usr/bin/python3
say () { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die () { printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
