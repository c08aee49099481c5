#!/usr/bin/env bash
# The real-browser test of `sift serve` (see wiki_browser_test.py): installs Debian's chromium, chromium-driver and
# CJK fonts if missing, Selenium in a virtual environment, builds sift, starts `sift serve` on a free loopback port
# with a fresh history, runs the test and stops the server.
#   bash Tests/Browser/run.sh [SCREENSHOT.png]     (default: Tests/Browser/last-run.png, not committed)
set -euo pipefail
cd "$(dirname "$0")/../.."
SHOT="${1:-Tests/Browser/last-run.png}"
missing=()
for p in chromium chromium-driver fonts-noto-cjk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
VENV=Tests/Browser/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import selenium" 2>/dev/null || "$VENV/bin/pip" install -q "selenium==4.51.0"
swift build -c release --static-swift-stdlib --product sift 2>&1 | tail -1
WORK="$(mktemp -d)"
PORT=$(( 30000 + RANDOM % 20000 ))
.build/release/sift serve --port "$PORT" --history "$WORK/history.sqlite" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$VENV/bin/python" Tests/Browser/wiki_browser_test.py "http://127.0.0.1:$PORT" "$SHOT"
