#!/usr/bin/env bash
# Full-size load/soak run (release build): 8 reader threads × 10,000 mixed zh/en queries and
# 200 document updates on ~50,000 synthetic passages; every result is checked against a
# single-threaded reference on the same snapshot. Prints build time, throughput, mismatches.
# Sizes: SIFT_SOAK_PASSAGES, SIFT_SOAK_THREADS, SIFT_SOAK_QUERIES (per thread),
# SIFT_SOAK_UPDATES, SIFT_SOAK_VERIFY_EVERY (verify every n-th result; default 1 = all).
#
#   Tests/Hardening/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT
swift build -c release --build-tests >&2
SIFT_SOAK=1 SIFT_HARDENING_REPORT=$report swift test -c release --skip-build --filter SoakTests >&2 && status=0 || status=$?
cat "$report"
exit $status
