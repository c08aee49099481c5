#!/usr/bin/env bash
# ThreadSanitizer run of the concurrency tests (debug, separate build folder .build-tsan so
# that the normal build is not invalidated). SIFT_CONCURRENCY_SCALE=N multiplies the work.
# With --canary, first shows that TSan reports a deliberate race in this setup.
#
#   Tests/Hardening/tsan.sh [--canary]
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi
if [ "${1:-}" = "--canary" ]; then
  echo "Canary (a deliberate race; TSan must report it):"
  canary=$(SIFT_TSAN_CANARY=1 swift test --sanitize=thread --scratch-path .build-tsan --filter TSanCanary 2>&1 || true)
  if grep -q "WARNING: ThreadSanitizer" <<<"$canary"; then grep -E "WARNING: ThreadSanitizer|SUMMARY" <<<"$canary"; else echo "  no report: TSan is not working"; fi
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift test --sanitize=thread --scratch-path .build-tsan --filter ConcurrencyTests 2>&1 | tee "$log" | grep -E "hardening|✔|✘" || true
races=$(grep -c "WARNING: ThreadSanitizer" "$log" || true)
echo "ThreadSanitizer reports: $races"
grep -A30 "WARNING: ThreadSanitizer" "$log" | head -120 || true
[ "$races" -eq 0 ] && ! grep -q "✘" "$log"
