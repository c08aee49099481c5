#!/usr/bin/env python3
"""Answer metrics for the Sift quality benchmark (see shared/notes/answer-evaluation.md).

Scores composed answers against the gold answer strings of a SQuAD-style queries file
({"id","question","answers":[...],"positive_ids":[...]}). An answers file has one JSON object per line:

  {"id": query id, "answered": bool, "statements": [text, ...], "ms": latency in ms (optional)}

with the statements in display order (lead first, then bullets). A statement "contains" a gold answer when
normalize(answer) is a substring of normalize(statement); normalize = Unicode NFKC, str.casefold, every
(Unicode) whitespace character removed. Gold answers that normalise to "" are ignored.

Printed JSON (every fraction is over ALL questions of the queries file; a query that is missing from the
answers file, has "answered": false or has no statements, counts as unanswered and as a miss):

  questions              number of queries
  answered_rate          fraction answered
  first                  fraction whose first statement contains a gold answer
  any                    fraction where some statement contains one
  statements_per_answer  mean number of statements, over answered queries
  first_statement_chars  mean length (characters, as given) of the first statement, over answered queries
  ms_p50, ms_p99         latency percentiles over the answers that carry "ms" (null when none do),
                         same nearest-rank rule as bm25_peer.py / sift eval

Run:
  .venv/bin/python answer_metrics.py --queries Q.jsonl --answers A.jsonl [--details D.jsonl]

--details writes one line per query: {"id","first","any","first_statement"} (first_statement null when
unanswered). Importable: normalize, contains_gold, score.
"""

import argparse
import json
import re
import sys
import unicodedata

from bm25_peer import percentile, read_jsonl

_WHITESPACE = re.compile(r"\s+")  # str pattern: matches Unicode whitespace (\u3000, \u2009, ...)


def normalize(s: str) -> str:
    """NFKC, case fold, remove all whitespace."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", s).casefold())


def normalized_golds(answers) -> list:
    """The non-empty normalised gold answers (compute once per query when testing many statements)."""
    return [g for g in (normalize(a) for a in answers) if g]


def contains_gold(statement: str, answers) -> bool:
    """True when some gold answer (normalised, non-empty) is a substring of the normalised statement."""
    text = normalize(statement)
    return any(g in text for g in normalized_golds(answers))


def score(queries: list, answers: list, details: list = None) -> dict:
    """Metrics of `answers` (rows as in the module doc) against `queries`; appends per-query rows to `details`."""
    by_id = {}
    for a in answers:
        qid = str(a["id"])
        if qid in by_id:
            raise ValueError(f"duplicate answer id {qid!r}")
        by_id[qid] = a
    known = {str(q["id"]) for q in queries}
    stray = [qid for qid in by_id if qid not in known]
    if stray:
        print(f"answer_metrics: ignoring {len(stray)} answers whose id is not in the queries file "
              f"(e.g. {stray[0]!r})", file=sys.stderr)

    answered = first_hits = any_hits = 0
    n_statements = first_chars = 0
    latencies = []
    for q in queries:
        qid = str(q["id"])
        a = by_id.get(qid)
        statements = list(a.get("statements") or []) if a else []
        is_answered = bool(a and a.get("answered")) and bool(statements)
        first = anyhit = False
        if a is not None and a.get("ms") is not None:
            latencies.append(float(a["ms"]))
        if is_answered:
            answered += 1
            n_statements += len(statements)
            first_chars += len(statements[0])
            golds = normalized_golds(q.get("answers") or [])
            hits = [any(g in normalize(s) for g in golds) for s in statements]
            first, anyhit = hits[0], any(hits)
        first_hits += first
        any_hits += anyhit
        if details is not None:
            details.append({"id": qid, "first": first, "any": anyhit,
                            "first_statement": statements[0] if is_answered else None})

    n = max(len(queries), 1)
    latencies.sort()
    return {
        "questions": len(queries),
        "answered_rate": answered / n,
        "first": first_hits / n,
        "any": any_hits / n,
        "statements_per_answer": n_statements / answered if answered else 0.0,
        "first_statement_chars": first_chars / answered if answered else 0.0,
        "ms_p50": percentile(latencies, 0.5) if latencies else None,
        "ms_p99": percentile(latencies, 0.99) if latencies else None,
    }


def write_jsonl(path: str, rows: list) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", required=True, help="queries JSONL {id,question,answers,positive_ids}")
    ap.add_argument("--answers", required=True, help="answers JSONL {id,answered,statements,ms}")
    ap.add_argument("--details", help="also write per-query lines {id,first,any,first_statement}")
    args = ap.parse_args(argv)
    details = [] if args.details else None
    report = score(read_jsonl(args.queries), read_jsonl(args.answers), details)
    if args.details:
        write_jsonl(args.details, details)
    json.dump(report, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
