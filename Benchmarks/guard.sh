#!/usr/bin/env bash
# Sift performance guard (CI): runs the CI-sized benchmark suites and checks them against
# the thresholds committed in Benchmarks/Thresholds/ (ordo-one/package-benchmark
# `thresholds check`). Exits non-zero on a regression, a crash, a build failure or a
# missing threshold file.
#
#   bash Benchmarks/guard.sh                   # check all suites (Embedding IndexBuild Search Load)
#   bash Benchmarks/guard.sh Search Load       # check some suites
#   bash Benchmarks/guard.sh --update [SUITE…] # re-record thresholds (commit Benchmarks/Thresholds/)
#
# A suite whose first check reports a regression is run once more, and only a second
# regression fails the guard: a real 2x slowdown fails both runs, while a burst of load
# from other jobs on the shared VM rarely hits twice. "BETTER than the thresholds"
# (faster, or fewer allocations) passes with a note: re-record the thresholds to lock the
# gain in. Environment: SIFT_BENCH_SLOWDOWN=N injects an N-fold slowdown (to test the
# guard itself); LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas forces the reference BLAS.
set -uo pipefail

cd "$(dirname "$0")"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi

ALL_SUITES=(Embedding IndexBuild Search Load)
mode=check
suites=()
for arg in "$@"; do
  case "$arg" in
    --update) mode=update ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "guard.sh: unknown option $arg" >&2; exit 64 ;;
    *) suites+=("$arg") ;;
  esac
done
[ ${#suites[@]} -eq 0 ] && suites=("${ALL_SUITES[@]}")

# Guard mode: only the guarded metrics (no informational throughput metrics); never the
# 1M-row benchmarks (they have no committed thresholds).
export SIFT_BENCH_GUARD=1
unset SIFT_BENCH_LARGE

LOG_DIR="${SIFT_GUARD_LOG_DIR:-.build/guard-logs}"
mkdir -p "$LOG_DIR"
start_all=$SECONDS

update_cmd="bash Benchmarks/guard.sh --update"
print_update_help() {
  cat <<EOF

If the change is intended (or the machine/toolchain changed), re-record the thresholds on
the CI machine kind and commit them:
    $update_cmd            # all suites, 3 runs each: ~4 min after the build
    $update_cmd Search     # one suite
which runs, in Benchmarks/, 3 times per suite and keeps the median of each metric's p90:
    SIFT_BENCH_GUARD=1 swift package --allow-writing-to-package-directory benchmark thresholds update --target <Suite> --path <dir>
Then run 'bash Benchmarks/guard.sh' a few times to confirm it passes, and commit Benchmarks/Thresholds/.
EOF
}

echo "== Sift benchmark guard ($mode): ${suites[*]}"
echo "   host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
[ -n "${LD_LIBRARY_PATH:-}" ] && echo "   LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
[ -n "${SIFT_BENCH_SLOWDOWN:-}" ] && echo "   SIFT_BENCH_SLOWDOWN=$SIFT_BENCH_SLOWDOWN (injected slowdown)"

# Build once up front so that build errors are reported as such (the first build of the
# benchmark package takes 3-4 minutes on the shared 2-core VM).
t0=$SECONDS
if ! swift package benchmark list >"$LOG_DIR/build.log" 2>&1; then
  tail -n 60 "$LOG_DIR/build.log"
  echo "guard.sh: FAILED to build the benchmark package (log: Benchmarks/$LOG_DIR/build.log)" >&2
  exit 1
fi
echo "   build: $((SECONDS - t0)) s"

if [ "$mode" = update ]; then
  if [ -n "${SIFT_BENCH_SLOWDOWN:-}" ] && [ "${SIFT_BENCH_SLOWDOWN}" != 1 ]; then
    echo "guard.sh: refusing to record thresholds with SIFT_BENCH_SLOWDOWN set" >&2; exit 64
  fi
  # Each suite is recorded RUNS times (default 3) and every metric's threshold is the
  # median of the recorded p90s: one run caught in a quiet or a busy moment of the shared
  # machine would otherwise leave thresholds that are too tight or too loose.
  runs=${SIFT_GUARD_UPDATE_RUNS:-3}
  work=.build/guard-update
  mkdir -p Thresholds
  status=0
  for suite in "${suites[@]}"; do
    t0=$SECONDS
    rm -rf "$work/$suite"
    for i in $(seq 1 "$runs"); do
      log="$LOG_DIR/update-$suite-$i.log"
      if ! swift package --allow-writing-to-package-directory benchmark thresholds update \
           --target "$suite" --path "$work/$suite/run$i" --no-progress >"$log" 2>&1; then
        tail -n 40 "$log"; echo "   $suite: FAILED to record thresholds (log: Benchmarks/$log)"; status=1; continue 2
      fi
    done
    rm -f "Thresholds/$suite".*.p90.json
    for f in "$work/$suite/run1/"*.p90.json; do
      name=$(basename "$f")
      # median of each metric over the runs; files are {"metric" : value, ...}, one pair a line
      awk -F'"' 'NF >= 3 { v = $3; gsub(/[^0-9]/, "", v); print $2, v + 0 }' "$work/$suite"/run*/"$name" |
        sort -k1,1 -k2,2n |
        awk '{ if ($1 != key) { if (key != "") out(); key = $1; n = 0 } v[++n] = $2 }
             function out() { line[++lines] = sprintf("  \"%s\" : %s", key, v[int((n + 1) / 2)]) }
             END { if (key != "") out(); print "{"; for (i = 1; i <= lines; i++) print line[i] (i < lines ? "," : ""); print "}" }' \
        >"Thresholds/$name"
    done
    echo "   $suite: thresholds recorded, median of $runs runs ($((SECONDS - t0)) s): $(ls Thresholds/"$suite".*.p90.json | wc -l) files"
  done
  echo "== done in $((SECONDS - start_all)) s; review and commit Benchmarks/Thresholds/"
  exit $status
fi

# check_suite SUITE ATTEMPT -> 0 pass, 1 regression, 2 improvement (pass), 3 other failure
check_suite() {
  local suite=$1 attempt=$2 log="$LOG_DIR/check-$1-$2.log" rc
  swift package benchmark thresholds check --target "$suite" --no-progress >"$log" 2>&1
  rc=$?
  grep -a -h "BLAS:" "$log" | sort -u | head -n 1 | sed 's/^/   /'
  if grep -a -q "is WORSE than the defined thresholds" "$log"; then return 1; fi
  if grep -a -q "is BETTER than the defined thresholds" "$log"; then return 2; fi
  if [ $rc -eq 0 ] && grep -a -q "is EQUAL to the defined thresholds" "$log"; then return 0; fi
  return 3
}

# deviations KIND LOG: one line per metric outside its threshold (KIND: worse or better)
deviations() {
  sed -e 's/\x1b\[[0-9;]*m//g' -e 's/error: benchmarkThreshold[A-Za-z]*//' "$2" | awk -F'│' -v kind="$1" '
    /Deviations (worse|better) than threshold for/ { on = index($0, "Deviations " kind) > 0
      bench = $0; sub(/.*threshold for /, "", bench); next }
    on && /p90 threshold/ { metric = $2; gsub(/^ +| +$/, "", metric); next }
    on && /^│ p90 / { for (i = 3; i <= 6; i++) gsub(/ /, "", $i)
      printf "      %-52s %-28s threshold %7s  now %7s  %+5d%% (allowed %s%%)\n", bench, metric, $3, $4, $5, $6 }'
}

failed=()
for suite in "${suites[@]}"; do
  t0=$SECONDS
  rm -f "$LOG_DIR"/check-"$suite"-*.log
  check_suite "$suite" 1; result=$?
  if [ $result -eq 1 ]; then
    echo "   $suite: regression on the first run ($((SECONDS - t0)) s), running it again to rule out noise …"
    first="$LOG_DIR/check-$suite-1.log"
    check_suite "$suite" 2; result=$?
    if [ $result -eq 1 ]; then
      echo "     first run:";  deviations worse "$first"
      echo "     second run:"; deviations worse "$LOG_DIR/check-$suite-2.log"
    fi
  fi
  case $result in
    0) echo "   $suite: OK, within thresholds ($((SECONDS - t0)) s)" ;;
    2) echo "   $suite: OK, BETTER than the thresholds ($((SECONDS - t0)) s); consider '$update_cmd $suite'"
       deviations better "$(ls -t "$LOG_DIR"/check-"$suite"-*.log | head -n 1)" ;;
    1) echo "   $suite: REGRESSION, worse than the thresholds in two runs ($((SECONDS - t0)) s)"; failed+=("$suite") ;;
    *) log=$(ls -t "$LOG_DIR"/check-"$suite"-*.log | head -n 1)
       tail -n 40 "$log"
       echo "   $suite: FAILED (build error, crash or missing thresholds; log: Benchmarks/$log)"; failed+=("$suite") ;;
  esac
done

echo "== guard finished in $((SECONDS - start_all)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "guard.sh: performance guard FAILED for: ${failed[*]}" >&2
  if grep -a -qh "reference BLAS" "$LOG_DIR"/check-*.log 2>/dev/null; then
    echo "guard.sh: the reference (netlib) BLAS is loaded; install OpenBLAS: bash .ci/setup (libopenblas0-pthread)" >&2
  fi
  print_update_help >&2
  exit 1
fi
echo "guard.sh: all suites within thresholds"
