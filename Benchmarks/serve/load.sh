#!/usr/bin/env bash
# Load on `sift serve` with wrk (Debian), on loopback, for a bounded time: distinct questions (each request a new
# question: answered and recorded) and repeated ones; reports requests/s, p50/p99 latency and errors from wrk, then
# checks the history: every distinct question sent holds exactly one row with count 1, nothing else was added, and
# the repeated questions' counts add up to the requests that completed (after a 2-s warm-up on questions of its own) (requests still in flight when wrk stops
# may be recorded too: at most one per connection).
#   bash Benchmarks/serve/load.sh [--duration 10s] [--connections 16] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=10s; CONNECTIONS=16; THREADS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    *) echo "load.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for p in wrk sqlite3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"; $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
swift build -c release --static-swift-stdlib --product sift 2>&1 | tail -1
WORK="$(mktemp -d)"
PORT=$(( 30000 + RANDOM % 20000 ))
DB="$WORK/history.sqlite"
.build/release/sift serve --port "$PORT" --history "$DB" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
BANK=$(sqlite3 "$DB" "select count(*) from question")
echo "sift serve on 127.0.0.1:$PORT, $BANK bank questions imported; wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
# Warm-up (not measured): the server's first requests fault in the index and the allocator's pages.
MODE=warmup wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s Benchmarks/serve/questions.lua "http://127.0.0.1:$PORT" >/dev/null
for MODE in distinct repeated; do
  export MODE
  OUT=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s Benchmarks/serve/questions.lua "http://127.0.0.1:$PORT")
  REQ=$(echo "$OUT" | awk '/requests in/ {print $1}')
  RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
  P50=$(echo "$OUT" | awk '$1=="50%" {print $2}')
  P99=$(echo "$OUT" | awk '$1=="99%" {print $2}')
  ERR=$(echo "$OUT" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  echo "$MODE: $REQ requests, $RPS req/s, p50 $P50, p99 $P99, errors: ${ERR:-none}"
  if [ "$MODE" = distinct ]; then
    ROWS=$(sqlite3 "$DB" "select count(*) from question where question like 'load question %'")
    DUP=$(sqlite3 "$DB" "select count(*) from question where question like 'load question %' and count != 1")
    OTHER=$(sqlite3 "$DB" "select count(*) from question where question not like 'load question %' and question not like 'warmup question %' and count > 0")
    echo "  history: $ROWS distinct rows for $REQ completed requests (in flight at the end: $((ROWS - REQ)), at most $CONNECTIONS), rows with count ≠ 1: $DUP, other rows asked: $OTHER"
    [ "$DUP" = 0 ] && [ "$OTHER" = 0 ] && [ "$ROWS" -ge "$REQ" ] && [ $((ROWS - REQ)) -le "$CONNECTIONS" ] || { echo "load.sh: history check FAILED" >&2; exit 1; }
  else
    SUM=$(sqlite3 "$DB" "select coalesce(sum(count),0) from question where question not like 'load question %' and question not like 'warmup question %'")
    echo "  history: the repeated questions' counts add up to $SUM for $REQ completed requests"
    [ "$SUM" -ge "$REQ" ] && [ $((SUM - REQ)) -le "$CONNECTIONS" ] || { echo "load.sh: history check FAILED" >&2; exit 1; }
  fi
done
