#!/usr/bin/env bash
# Builds the libFuzzer targets of Sift (debug, -sanitize=fuzzer,address) and runs each for a
# bounded time, then prints executions per target and any findings.
#
#   Tests/Fuzz/run.sh                      # every target, 60 s each
#   FUZZ_SECONDS=300 Tests/Fuzz/run.sh FuzzIndexFile FuzzChunker
#
# The committed corpus (corpus/<target>/) is read, never written: new inputs go to
# .build/fuzz-corpus/<target>/. Crashes, timeouts and leaks are written to
# findings/<target>/ (ignored by git); replay one with `.build/debug/<target> FILE`, and
# turn it into a regression by copying it to regressions/<target>/ (replayed by
# Tests/SiftTests/FuzzRegressionTests.swift).
set -uo pipefail
cd "$(dirname "$0")"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi

seconds=${FUZZ_SECONDS:-60}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzIndexFile FuzzMarkdown FuzzChunker FuzzEmbedder); fi

echo "Building the fuzz targets (debug, -sanitize=fuzzer,address) …" >&2
if ! swift build -c debug -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -vE "Cannot export local symbol|^\[" >&2; then :; fi
bin=$(swift build -c debug -Xswiftc -sanitize=fuzzer,address --show-bin-path)

max_len() {
  case "$1" in
    FuzzIndexFile) echo 16384 ;;
    FuzzMarkdown) echo 8192 ;;
    FuzzChunker) echo 4096 ;;
    *) echo 1024 ;;
  esac
}

# Leaks are not findings here: the Swift runtime's caches look like leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# The Swift runtime's crash handler gets in ASan's way; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
summary=()
status=0
for t in "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "no such fuzz target: $t" >&2; status=2; continue; }
  work=.build/fuzz-corpus/$t
  findings=findings/$t
  mkdir -p "$work" "$findings" "corpus/$t"
  log=.build/fuzz-$t.log
  echo "Fuzzing $t for ${seconds}s …" >&2
  "$bin/$t" "$work" "corpus/$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  added=$(grep -o 'stat::new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  found=$(ls "$findings" 2>/dev/null | wc -l)
  line=$(printf '%-14s %10s executions  %6s exec/s  coverage %6s  %5s new inputs  corpus %5s  findings %s (exit %s)' \
    "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${added:-?}" "$(ls "$work" | wc -l)" "$found" "$rc")
  summary+=("$line")
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "---- $t: libFuzzer stopped (exit $rc); the report:" >&2
    grep -E 'ERROR|Fatal error|Precondition failed|runtime failure|SUMMARY|Test unit written|^ *#[0-9]+ .* in ' "$log" | head -40 >&2
  fi
done
echo
echo "Fuzzing summary (${seconds}s per target; logs in .build/fuzz-*.log):"
for l in "${summary[@]}"; do echo "  $l"; done
exit $status
