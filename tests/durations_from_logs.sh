#!/usr/bin/env bash
# tests/durations_from_logs.sh LOG... — tests/durations.txt's lines from the
# output of one or more runs of tests/run.sh (a CI log will do).
#
# Why shares, not seconds: a run's times depend on the machine and on what
# else ran beside it (a loaded runner doubles every figure, ASan triples
# some); the order the runner needs is each test's part of a run. So each
# integration test's share of its run's total is averaged over the logs and
# scaled back to seconds by the current file's total, keeping the figures
# comparable with S_DURATION_UNKNOWN (tests/run.sh). Tests no longer in
# tests/integration/ are left out.
#
#   bash tests/durations_from_logs.sh ci-asan.log ci-test.log > /tmp/d
#   (keep the comment lines at the top of tests/durations.txt, then the rest)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -gt 0 ] || { echo "usage: $0 LOG..." >&2; exit 2; }
total=$(awk '!/^#/ && NF == 2 { s += $2 } END { print s + 0 }' tests/durations.txt)
for log in "$@"; do
    # "PASS name (N checks, Ss)" / "FAIL name (...)" — the runner's lines
    sed -nE 's/^(PASS|FAIL) ([a-z_0-9]+) \(.*, ([0-9]+)s\)$/\2 \3/p' "$log" \
        | grep -v -e '_selftest ' -e '^selftest ' -e '^fuzz_' | sort -u -k1,1 \
        | awk '{ t[$1] = $2; s += $2 } END { for (k in t) if (s > 0) print k, t[k] / s }'
done | awk -v total="$total" -v runs=$# \
        '{ s[$1] += $2 } END { for (t in s) printf "%s %d\n", t, total * s[t] / runs + 0.5 }' \
    | while read -r t d; do
        [ -f "tests/integration/$t.sh" ] && printf '%s %s\n' "$t" "$d"
    done | sort -k2,2nr -k1,1
