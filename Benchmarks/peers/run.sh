#!/usr/bin/env bash
# Speed benchmark: `sift bench` and its peers (numpy, faiss-cpu, scikit-learn) in the same run, on the same machine.
#
#   bash Benchmarks/peers/run.sh [--rows N] [--dim D] [--batch B] [--queries Q] [--threads T] [--seed S] [--out FILE]
#
# Defaults: 1000000 rows, 256 dim, batch 64, 50 queries, threads = nproc, seed 42,
# out = Benchmarks/peers/results-latest.json (git-ignored; a copy also goes to results-<rows>x<dim>.json).
#
# 1. creates (once) a venv in Benchmarks/peers/.venv with the pinned packages of requirements.txt;
# 2. builds sift (`swift build -c release --static-swift-stdlib`, incremental) when .build/release/sift is missing or older than the sources;
# 3. writes the embedding text (Corpus/**/*.md, front matter removed, non-empty lines, repeated to ~8 MB) to a
#    temporary file that both sides embed: `sift bench --text FILE` and peers.py;
# 4. runs, one after the other (never at once): `sift bench` at the given size; `sift bench` for embedding at
#    1 thread (--rows 1000); `sift bench` for embedding on its default text (the bundled corpus's passages,
#    --rows 1000), for reference; then peers.py at the same size and threads;
# 5. prints a Markdown table (absolute times, and Sift / peer ratios) and writes the raw JSON to --out.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

ROWS=1000000
DIM=256
BATCH=64
QUERIES=50
THREADS="$(nproc)"
SEED=42
OUT="$HERE/results-latest.json"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
num() { [[ "$2" =~ ^[0-9]+$ ]] || { echo "run.sh: $1 needs a whole number, got '$2'" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows|--dim|--batch|--queries|--threads|--seed|--out)
      [[ $# -ge 2 ]] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
      opt="$1"; val="$2"; shift 2 ;;
    --rows=*|--dim=*|--batch=*|--queries=*|--threads=*|--seed=*|--out=*)
      opt="${1%%=*}"; val="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  case "$opt" in
    --rows) num "$opt" "$val"; ROWS="$val" ;;
    --dim) num "$opt" "$val"; DIM="$val" ;;
    --batch) num "$opt" "$val"; BATCH="$val" ;;
    --queries) num "$opt" "$val"; QUERIES="$val" ;;
    --threads) num "$opt" "$val"; THREADS="$val" ;;
    --seed) num "$opt" "$val"; SEED="$val" ;;
    --out) OUT="$val" ;;
  esac
done
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
START=$(date +%s)
log() { echo "[peers] $*" >&2; }

# ---- 1. Python venv with pinned packages (idempotent) ---------------------------------------------------------
VENV="$HERE/.venv"
REQS_FILE="$HERE/requirements.txt"
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
if ! cmp -s "$REQS_FILE" "$VENV/.requirements" 2>/dev/null; then
  log "installing $(grep -v '^#' "$REQS_FILE" | tr '\n' ' ')"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS_FILE"
  cp "$REQS_FILE" "$VENV/.requirements"
fi
PY="$VENV/bin/python"

# ---- 2. sift release build (incremental) ----------------------------------------------------------------------
SIFT="$ROOT/.build/release/sift"
STALE=0
needs_build() {
  [[ -x "$SIFT" ]] || return 0
  [[ -n "$(find "$ROOT/Sources" "$ROOT/Package.swift" "$ROOT/Package.resolved" -newer "$SIFT" -type f 2>/dev/null | head -n 1)" ]]
}
if needs_build; then
  for attempt in 1 2 3; do
    log "swift build -c release (attempt $attempt)"
    if (cd "$ROOT" && swift build -c release --static-swift-stdlib >&2); then break; fi
    if [[ $attempt -eq 3 ]]; then
      if [[ -x "$SIFT" ]]; then
        log "WARNING: swift build failed 3 times; benchmarking the existing, older .build/release/sift"
        STALE=1
      else
        echo "run.sh: swift build failed" >&2; exit 1
      fi
    else
      log "build failed (sources mid-edit?); retrying in 60 s"
      sleep 60
    fi
  done
fi

# ---- 3. the embedding text ------------------------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sift-peers.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
TEXT="$TMP/embed-text.txt"
"$PY" "$HERE/peers.py" --make-text "$TEXT" --corpus "$ROOT/Corpus" > "$TMP/text.json"

# ---- 4. the runs, sequentially ---------------------------------------------------------------------------------
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the environment has them (recorded in the JSON).
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
run_sift() {  # name, args...
  local name="$1"; shift
  log "sift bench $* (load $(loadavg))"
  local t0=$SECONDS
  if (cd "$ROOT" && "$SIFT" bench "$@" --format json > "$TMP/$name.json" 2> "$TMP/$name.err"); then
    log "  done in $((SECONDS - t0)) s"
  else
    log "  FAILED: $(tail -n 5 "$TMP/$name.err")"
    echo "{\"error\": $("$PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()[-2000:]))' "$TMP/$name.err")}" > "$TMP/$name.json"
  fi
  echo "$(loadavg)" > "$TMP/$name.load"
}
run_sift sift_main --rows "$ROWS" --dim "$DIM" --queries "$QUERIES" --batch "$BATCH" --threads "$THREADS" \
  --seed "$SEED" --text "$TEXT"
run_sift sift_embed_1t --rows 1000 --dim "$DIM" --queries 5 --batch 8 --threads 1 --seed "$SEED" --text "$TEXT"
run_sift sift_embed_default --rows 1000 --dim "$DIM" --queries 5 --batch 8 --threads "$THREADS" --seed "$SEED"

log "peers.py --rows $ROWS --dim $DIM --queries $QUERIES --batch $BATCH --threads $THREADS (load $(loadavg))"
t0=$SECONDS
if "$PY" "$HERE/peers.py" --rows "$ROWS" --dim "$DIM" --queries "$QUERIES" --batch "$BATCH" --threads "$THREADS" \
     --seed "$SEED" --text "$TEXT" > "$TMP/peers.json"; then
  log "  done in $((SECONDS - t0)) s"
else
  log "  peers.py FAILED"
  echo '{"error": "peers.py failed; see the log above"}' > "$TMP/peers.json"
fi
echo "$(loadavg)" > "$TMP/peers.load"

# ---- 5. table and JSON ----------------------------------------------------------------------------------------
"$PY" - "$TMP" "$OUT" "$ROOT" "$START" "$SIFT" "$STALE" <<'PYEOF'
import datetime, json, os, shutil, subprocess, sys, time

tmp, out_path, root, start, sift_bin, stale = sys.argv[1:]

def load(name):
    with open(os.path.join(tmp, name + ".json"), encoding="utf-8") as f:
        return json.load(f)

def loadavg(name):
    try:
        return open(os.path.join(tmp, name + ".load")).read().strip()
    except OSError:
        return None

text = load("text")
sift = load("sift_main")
sift1 = load("sift_embed_1t")
siftd = load("sift_embed_default")
peers = load("peers")
npy = peers.get("numpy", {})
fai = peers.get("faiss", {})
emb = peers.get("embed", {})
wb = emb.get("hv_char_wb_3_5", {})
c12 = emb.get("hv_char_1_2", {})

def g(d, k):
    v = d.get(k) if isinstance(d, dict) else None
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

def ms(x):
    return "—" if x is None else (f"{x:.3f}" if x < 100 else f"{x:.1f}")

def rx(x):
    return "—" if x is None else f"{x:.2f}×"

def mbs(x):
    return "—" if x is None else f"{x:.2f}"

T = peers.get("threads", sift.get("threads"))
B = sift.get("batch", peers.get("batch"))
np_floor_best = min([x for x in (g(npy, "floor_ms"), g(npy, "floor_threaded_ms")) if x is not None], default=None)

ratios = {
    "single_p50_vs_numpy": ratio(g(sift, "single_ms_p50"), g(npy, "single_ms_p50")),
    "single_p50_vs_faiss": ratio(g(sift, "single_ms_p50"), g(fai, "single_ms_p50")),
    "single_p99_vs_numpy": ratio(g(sift, "single_ms_p99"), g(npy, "single_ms_p99")),
    "single_p99_vs_faiss": ratio(g(sift, "single_ms_p99"), g(fai, "single_ms_p99")),
    "batch_per_query_vs_numpy": ratio(g(sift, "batch_ms_per_query"), g(npy, "batch_ms_per_query")),
    "batch_per_query_vs_faiss": ratio(g(sift, "batch_ms_per_query"), g(fai, "batch_ms_per_query")),
    "floor_vs_numpy_floor": ratio(g(sift, "floor_ms"), np_floor_best),
    "sift_single_p50_over_floor": g(sift, "ratio_to_floor"),
    "numpy_single_p50_over_numpy_floor": ratio(g(npy, "single_ms_p50"), np_floor_best),
    "faiss_single_p50_over_numpy_floor": ratio(g(fai, "single_ms_p50"), np_floor_best),
    "embed_T_vs_hv_char_wb_T": ratio(g(sift, "embed_mb_per_s"), g(wb, "mb_per_s_parallel") or g(wb, "mb_per_s_1thread")),
    "embed_1t_vs_hv_char_wb_1t": ratio(g(sift1, "embed_mb_per_s"), g(wb, "mb_per_s_1thread")),
    "embed_T_vs_hv_char_wb_1t": ratio(g(sift, "embed_mb_per_s"), g(wb, "mb_per_s_1thread")),
    "embed_T_vs_hv_char_1_2_T": ratio(g(sift, "embed_mb_per_s"), g(c12, "mb_per_s_parallel") or g(c12, "mb_per_s_1thread")),
    "embed_1t_vs_hv_char_1_2_1t": ratio(g(sift1, "embed_mb_per_s"), g(c12, "mb_per_s_1thread")),
}
targets = {
    "batch_per_query_vs_faiss_le_0.2": None if ratios["batch_per_query_vs_faiss"] is None else ratios["batch_per_query_vs_faiss"] <= 0.2,
    "embed_vs_hv_char_wb_ge_5_same_parallelism": None if ratios["embed_T_vs_hv_char_wb_T"] is None or ratios["embed_1t_vs_hv_char_wb_1t"] is None
        else ratios["embed_T_vs_hv_char_wb_T"] >= 5 and ratios["embed_1t_vs_hv_char_wb_1t"] >= 5,
}

rows, dim = sift.get("rows", peers.get("rows")), sift.get("dim", peers.get("dim"))
par = f"{T} threads" if T and T > 1 else "1 thread"
lines = [
    f"**{rows:,} × {dim} float32** ({rows * dim * 4 / 1048576:.0f} MiB), top-10, {par}; times in ms, lower is better; "
    f"ratio = Sift ÷ peer (< 1: Sift faster).",
    "",
    "| measure | Sift | numpy | faiss IndexFlatIP | Sift ÷ numpy | Sift ÷ faiss |",
    "|---|---:|---:|---:|---:|---:|",
    f"| memory floor (read-only scan) | {ms(g(sift, 'floor_ms'))} | {ms(np_floor_best)} | — | {rx(ratios['floor_vs_numpy_floor'])} | — |",
    f"| single query p50 | {ms(g(sift, 'single_ms_p50'))} | {ms(g(npy, 'single_ms_p50'))} | {ms(g(fai, 'single_ms_p50'))} | "
    f"{rx(ratios['single_p50_vs_numpy'])} | {rx(ratios['single_p50_vs_faiss'])} |",
    f"| single query p99 | {ms(g(sift, 'single_ms_p99'))} | {ms(g(npy, 'single_ms_p99'))} | {ms(g(fai, 'single_ms_p99'))} | "
    f"{rx(ratios['single_p99_vs_numpy'])} | {rx(ratios['single_p99_vs_faiss'])} |",
    f"| batch of {B}, per query | {ms(g(sift, 'batch_ms_per_query'))} | {ms(g(npy, 'batch_ms_per_query'))} | {ms(g(fai, 'batch_ms_per_query'))} | "
    f"{rx(ratios['batch_per_query_vs_numpy'])} | {rx(ratios['batch_per_query_vs_faiss'])} |",
    f"| single p50 ÷ floor (peers: numpy's floor) | {rx(g(sift, 'ratio_to_floor'))} | {rx(ratios['numpy_single_p50_over_numpy_floor'])} | "
    f"{rx(ratios['faiss_single_p50_over_numpy_floor'])} | | |",
    "",
    f"Embedding, MB/s of UTF-8 (higher is better), the same {text.get('bytes', 0) / 1e6:.2f} MB text on both sides "
    f"({text.get('pieces', 0):,} pieces); ratio = Sift ÷ HashingVectorizer (> 1: Sift faster).",
    "",
    "| parallelism | Sift | HV char_wb 3–5 | HV char 1–2 | Sift ÷ char_wb | Sift ÷ char 1–2 |",
    "|---|---:|---:|---:|---:|---:|",
]
if T and T > 1:
    lines.append(f"| {T} threads (Sift) / {T} processes (HV) | {mbs(g(sift, 'embed_mb_per_s'))} | {mbs(g(wb, 'mb_per_s_parallel'))} | "
                 f"{mbs(g(c12, 'mb_per_s_parallel'))} | {rx(ratios['embed_T_vs_hv_char_wb_T'])} | {rx(ratios['embed_T_vs_hv_char_1_2_T'])} |")
lines.append(f"| 1 thread | {mbs(g(sift1, 'embed_mb_per_s'))} | {mbs(g(wb, 'mb_per_s_1thread'))} | {mbs(g(c12, 'mb_per_s_1thread'))} | "
             f"{rx(ratios['embed_1t_vs_hv_char_wb_1t'])} | {rx(ratios['embed_1t_vs_hv_char_1_2_1t'])} |")
if T and T > 1:
    lines.append(f"| Sift {T} threads ÷ HV 1 process | | | | {rx(ratios['embed_T_vs_hv_char_wb_1t'])} | "
                 f"{rx(ratio(g(sift, 'embed_mb_per_s'), g(c12, 'mb_per_s_1thread')))} |")
lines.append("")
def verdict(v):
    return "n/a" if v is None else ("met" if v else "NOT met")
lines.append(f"Targets: Sift batch per query ≤ 0.2× faiss: {rx(ratios['batch_per_query_vs_faiss'])} → "
             f"{verdict(targets['batch_per_query_vs_faiss_le_0.2'])}; Sift embedding ≥ 5× HashingVectorizer char_wb "
             f"at the same parallelism: {rx(ratios['embed_T_vs_hv_char_wb_T'])} ({par}), "
             f"{rx(ratios['embed_1t_vs_hv_char_wb_1t'])} (1 thread) → {verdict(targets['embed_vs_hv_char_wb_ge_5_same_parallelism'])}.")
sg, fb = g(npy, "batch_sgemm_only_ms_per_query"), g(fai, "batch_blas_forced_ms_per_query")
if sg is not None or fb is not None:
    lines.append(f"Batch context: the float32 product alone (numpy `Qb @ A.T`, no selection) takes {ms(sg)} ms per query "
                 f"(Sift's batch ÷ that: {rx(ratio(g(sift, 'batch_ms_per_query'), sg))}); faiss with its BLAS path forced "
                 f"(distance_compute_blas_threshold = 20; faiss 1.15's default is 128,000, so batches of {B} skip BLAS) "
                 f"takes {ms(fb)} ms per query (Sift ÷ that: {rx(ratio(g(sift, 'batch_ms_per_query'), fb))}).")
if g(siftd, "embed_mb_per_s") is not None:
    lines.append(f"For reference, Sift on its default bench text (the bundled corpus's chunked passages, markup removed): "
                 f"{g(siftd, 'embed_mb_per_s'):.2f} MB/s at {siftd.get('threads')} thread(s).")
lines.append(f"Sift BLAS: {sift.get('blas', '?')}. numpy: {peers.get('environment', {}).get('versions', {}).get('numpy', '?')}, "
             f"faiss-cpu: {peers.get('environment', {}).get('versions', {}).get('faiss-cpu', '?')}, "
             f"scikit-learn: {peers.get('environment', {}).get('versions', {}).get('scikit-learn', '?')}; "
             f"OPENBLAS_CORETYPE={peers.get('environment', {}).get('env', {}).get('OPENBLAS_CORETYPE')!r}.")
pools = peers.get("environment", {}).get("threadpools", [])
if pools:
    lines.append("Peer thread pools: " + "; ".join(
        f"{p.get('internal_api')} {p.get('version') or ''} {p.get('architecture') or ''} ({os.path.basename(p.get('filepath') or '')})".replace("  ", " ")
        for p in pools) + ".")
la = {k: loadavg(k) for k in ("sift_main", "sift_embed_1t", "sift_embed_default", "peers")}
lines.append(f"Load average (1/5/15 min) after each part: Sift {la['sift_main']}; peers {la['peers']} "
             f"on {os.cpu_count()} cores.")
table = "\n".join(lines)

def sh(cmd):
    try:
        return subprocess.run(cmd, cwd=root, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""

wall = time.time() - float(start)
report = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "host": {"nproc": os.cpu_count(), "cpu": peers.get("environment", {}).get("cpu"),
             "mem_total_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)},
    "args": {"rows": rows, "dim": dim, "batch": B, "queries": sift.get("queries", peers.get("queries")), "threads": T,
             "seed": peers.get("seed")},
    "sift_binary": sift_bin,
    "sift_binary_stale": stale == "1",
    "git_head": sh(["git", "rev-parse", "HEAD"]),
    "git_dirty_sources": sh(["git", "status", "--porcelain", "--", "Sources", "Package.swift"]).splitlines(),
    "text": text,
    "sift": sift,
    "sift_embed_1thread": sift1,
    "sift_embed_default_text": siftd,
    "peers": peers,
    "load_average_after": la,
    "ratios": {k: (None if v is None else round(v, 4)) for k, v in ratios.items()},
    "targets": targets,
    "table_markdown": table,
    "wall_seconds": round(wall, 1),
}
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(report, f, ensure_ascii=False, indent=2)
    f.write("\n")
if os.path.basename(out_path) == "results-latest.json":
    shutil.copyfile(out_path, os.path.join(os.path.dirname(out_path), f"results-{rows}x{dim}.json"))

print(table)
print()
print(f"Raw results: {out_path}. Wall time {wall:.0f} s.")
if any("error" in d for d in (sift, sift1, siftd, peers)):
    print("FAILED runs: " + ", ".join(n for n, d in (("sift", sift), ("sift 1 thread", sift1), ("sift default text", siftd),
                                                    ("peers", peers)) if "error" in d), file=sys.stderr)
    sys.exit(1)
PYEOF
