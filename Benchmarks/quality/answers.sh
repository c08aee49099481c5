#!/usr/bin/env bash
# Answer quality: Sift's composed answers against the BM25-sentence peer on the SQuAD-style sets of
# shared/datasets (their queries carry gold answer strings).
#
#   bash Benchmarks/quality/answers.sh [--datasets DIR] [--sets a,b,c] [--folds N] [--out FILE]
#
# For each set: `sift eval --answers` (every passage indexed as one article, each question asked as
# `sift ask` would) and answer_peer.py (bm25s for the passage, then the passage's sentence with the largest
# summed IDF of the question's terms; its "any" is its best five sentences of the top three passages), both
# scored by answer_metrics.py's rule: a statement contains a gold answer after NFKC, case folding and
# removing whitespace. first = the first statement shown; any = some statement. With --folds N (default 5)
# every figure is also given per fold of the questions (by a hash of the query id), so that a change is
# judged by whether it wins on every fold. Prints one Markdown table; raw JSON to --out.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATASETS="$ROOT/../shared/datasets"
SETS="cmrc2018,drcd,xquad_zh,xquad_en"
FOLDS=5
OUT="$HERE/answers-latest.json"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --datasets) DATASETS="${2:?}"; shift 2 ;;
    --sets) SETS="${2:?}"; shift 2 ;;
    --folds) FOLDS="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "answers.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -d "$DATASETS" ]] || { echo "answers.sh: datasets directory '$DATASETS' not found" >&2; exit 2; }

# The quality venv (bm25s, PyStemmer, numpy, scipy), created by run.sh's recipe.
VENV="$HERE/.venv"
REQS="bm25s==0.3.16 PyStemmer==3.1.0 numpy==2.2.6 scipy==1.15.3"
if [[ ! -x "$VENV/bin/python" ]]; then "${PYTHON:-python3}" -m venv "$VENV"; fi
if [[ "$(cat "$VENV/.requirements" 2>/dev/null || true)" != "$REQS" ]]; then
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $REQS
  echo "$REQS" > "$VENV/.requirements"
fi
(cd "$ROOT" && swift build -c release --static-swift-stdlib >&2)
SIFT="$ROOT/.build/release/sift"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sift-answers.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

"$VENV/bin/python" - "$DATASETS" "$SETS" "$FOLDS" "$OUT" "$SIFT" "$HERE" "$TMP" <<'PYEOF'
import hashlib, json, os, subprocess, sys
datasets, sets, folds, out, sift, here, tmp = sys.argv[1:]
folds = int(folds)
sys.path.insert(0, here)
from answer_metrics import contains_gold  # noqa: E402

def log(m): print(f"[answers] {m}", file=sys.stderr, flush=True)

def fold(qid): return int(hashlib.sha1(qid.encode()).hexdigest()[:8], 16) % folds

def score(queries, answers):
    """first / any per question, from an id -> statements map."""
    rows = {}
    for q in queries:
        st = answers.get(q["id"], [])
        rows[q["id"]] = (bool(st) and contains_gold(st[0], q["answers"]), any(contains_gold(s, q["answers"]) for s in st), st)
    return rows

report = {}
lines = ["| set | questions | Sift first | peer first | Δ first | Sift any | peer any | Sift answered | statements (Sift / peer) "
         "| first statement chars (Sift / peer, ratio) | first per fold, Sift − peer | ms p50 (Sift / peer) |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
for s in [x for x in sets.split(",") if x]:
    P = os.path.join(datasets, s, "passages.jsonl"); Q = os.path.join(datasets, s, "queries.jsonl")
    queries = [json.loads(l) for l in open(Q, encoding="utf-8") if l.strip()]
    log(f"{s}: sift eval --answers")
    details = os.path.join(tmp, f"{s}-sift.jsonl")
    r = subprocess.run([sift, "eval", "--passages", P, "--queries", Q, "--answers", "--format", "json", "--details", details],
                       capture_output=True, text=True, check=True)
    sift_report = json.loads(r.stdout)
    sift_answers = {}
    for l in open(details, encoding="utf-8"):
        d = json.loads(l)
        sift_answers[d["id"]] = d.get("statements") or ([d["first_statement"]] if d.get("first_statement") else [])
    log(f"{s}: answer_peer.py")
    peer_out = os.path.join(tmp, f"{s}-peer.jsonl")
    subprocess.run([sys.executable, os.path.join(here, "answer_peer.py"), "--passages", P, "--queries", Q, "--out", peer_out],
                   capture_output=True, text=True, check=True)
    peer_answers, peer_ms = {}, []
    for l in open(peer_out, encoding="utf-8"):
        d = json.loads(l)
        peer_answers[d["id"]] = d["statements"] if d.get("answered", True) else []
        if "ms" in d: peer_ms.append(d["ms"])
    a, b = score(queries, sift_answers), score(queries, peer_answers)
    n = len(queries)
    def rate(rows, k): return sum(v[k] for v in rows.values()) / n
    per_fold = []
    for f in range(folds):
        ids = [q["id"] for q in queries if fold(q["id"]) == f]
        per_fold.append((sum(a[i][0] for i in ids) - sum(b[i][0] for i in ids)) / max(1, len(ids)))
    sift_len = sum(len(v[2][0]) for v in a.values() if v[2]) / max(1, sum(1 for v in a.values() if v[2]))
    peer_len = sum(len(v[2][0]) for v in b.values() if v[2]) / max(1, sum(1 for v in b.values() if v[2]))
    sift_st = sum(len(v[2]) for v in a.values() if v[2]) / max(1, sum(1 for v in a.values() if v[2]))
    peer_st = sum(len(v[2]) for v in b.values() if v[2]) / max(1, sum(1 for v in b.values() if v[2]))
    peer_ms.sort()
    row = {"questions": n, "sift": sift_report, "sift_first": rate(a, 0), "peer_first": rate(b, 0), "sift_any": rate(a, 1),
           "peer_any": rate(b, 1), "first_minus_peer_per_fold": per_fold, "sift_first_chars": sift_len, "peer_first_chars": peer_len,
           "sift_statements": sift_st, "peer_statements": peer_st, "peer_ms_p50": peer_ms[len(peer_ms) // 2] if peer_ms else None}
    report[s] = row
    lines.append(f"| {s} | {n:,} | {row['sift_first']:.3f} | {row['peer_first']:.3f} | {row['sift_first'] - row['peer_first']:+.3f} | "
                 f"{row['sift_any']:.3f} | {row['peer_any']:.3f} | {sift_report['answered']:.3f} | {sift_st:.2f} / {peer_st:.2f} | "
                 f"{sift_len:.0f} / {peer_len:.0f} ({sift_len / max(1, peer_len):.2f}×) | {' '.join(f'{x:+.3f}' for x in per_fold)} | "
                 f"{sift_report['ms_p50']:.2f} / {row['peer_ms_p50'] or 0:.2f} |")
json.dump(report, open(out, "w", encoding="utf-8"), indent=2)
print("\n".join(lines))
PYEOF
