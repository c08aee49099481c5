#!/usr/bin/env bash
# Crash safety at scale: kills `sift index` (SIGKILL) at random moments, ROUNDS times
# (default 300), on a copy of part of Corpus/ that changes between rounds, and checks after
# every kill that the index file opens with full verification and answers exactly like the
# previous version (or the new one, when the rename had happened). Temporary-file leftovers
# are listed. This runs Tests/SiftTests/CrashSafetyTests.swift with more rounds; the fast
# variant (40 rounds) runs in every `swift test`.
#
#   Tests/Hardening/kill-test.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi
rounds=${1:-300}
seed=${2:-$(( (RANDOM << 16) | RANDOM ))}
report=$(mktemp)
trap 'rm -f "$report"' EXIT
swift build --build-tests >&2
SIFT_KILL_ROUNDS=$rounds SIFT_KILL_SEED=$seed SIFT_HARDENING_REPORT=$report \
  swift test --skip-build --filter CrashSafetyTests >&2 && status=0 || status=$?
echo "kill test: $rounds rounds, seed $seed (rerun: $0 $rounds $seed)"
cat "$report"
exit $status
