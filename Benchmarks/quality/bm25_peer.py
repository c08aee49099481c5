#!/usr/bin/env python3
"""BM25 peer for the Sift quality benchmark.

Indexes every passage of a JSONL file ({"id","title","text"}, indexed as title + "\\n" + text, like Sift)
with bm25s (BM25, method "lucene", k1=1.5, b=0.75) and evaluates the labelled queries
({"id","question","positive_ids"}). Prints the same JSON keys as `sift eval --format json`:

  queries, passages, recall@1, recall@5, recall@10, mrr@10, index_seconds, query_ms_p50, query_ms_p99

Tokenisation (identical for passages and queries):
  * Unicode NFKC, then lower-case;
  * CJK runs (Han, kana, Hangul): every character as a unigram plus every adjacent pair inside the run as a bigram;
  * the rest: regex \\w+ words of length >= 2, bm25s's English stop words removed, Snowball English stem (PyStemmer).

recall@k: a query counts when any positive id is in the top k. MRR@10: 1/rank of the first positive in the top 10.
Only documents with a score > 0 (sharing at least one token with the query) are ranked; ties keep corpus order.
Latency: wall time per query (tokenise + score + top-k), one query at a time, single-threaded.
"""

import argparse
import json
import re
import sys
import time
import unicodedata

import numpy as np

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# Han (CJK unified ideographs + extensions A-G, compatibility ideographs, 々 〇), kana (hiragana, katakana,
# katakana phonetic extensions, halfwidth katakana), Hangul (syllables, jamo, compatibility jamo, halfwidth).
_CJK_CLASS = (
    "\u3005\u3007"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002ebef\U00030000-\U0003134f"
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
    "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uffa0-\uffdc"
)
_CJK_RUN = re.compile("[" + _CJK_CLASS + "]+")
_WORD = re.compile(r"\w+")
_STOP = frozenset(STOPWORDS_EN)
_STEMMER = Stemmer.Stemmer("english")
MIN_WORD_LEN = 2  # --min-word-len; 1 keeps one-letter words such as "r", "p", "k"


def tokenize(text: str) -> list:
    text = unicodedata.normalize("NFKC", text).lower()
    tokens = []
    words = []
    pos = 0

    def flush_words(segment: str):
        for w in _WORD.findall(segment):
            if len(w) >= MIN_WORD_LEN and w not in _STOP:
                words.append(w)

    for m in _CJK_RUN.finditer(text):
        flush_words(text[pos:m.start()])
        run = m.group()
        tokens.extend(run)  # unigrams
        tokens.extend(run[i:i + 2] for i in range(len(run) - 1))  # adjacent bigrams
        pos = m.end()
    flush_words(text[pos:])
    if words:
        tokens.extend(_STEMMER.stemWords(words))
    return tokens


def read_jsonl(path: str) -> list:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def percentile(sorted_values, p):
    # same rule as sift eval: nearest rank on (n-1)*p, rounded half up
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, int((len(sorted_values) - 1) * p + 0.5))
    return sorted_values[i]


def evaluate(passages_path: str, queries_path: str, k: int = 10, k1: float = 1.5, b: float = 0.75,
             method: str = "lucene", with_title: bool = True, details: str = None) -> dict:
    passages = read_jsonl(passages_path)
    queries = read_jsonl(queries_path)
    ids = [str(p["id"]) for p in passages]

    t0 = time.perf_counter()
    corpus_tokens = [
        tokenize((p.get("title") or "") + "\n" + (p.get("text") or "") if with_title else (p.get("text") or ""))
        for p in passages
    ]
    retriever = bm25s.BM25(k1=k1, b=b, method=method)
    retriever.index(corpus_tokens, show_progress=False)
    index_seconds = time.perf_counter() - t0
    vocab = retriever.vocab_dict
    n_docs = len(passages)
    order_key = np.arange(n_docs)

    hits1 = hits5 = hits10 = 0
    mrr = 0.0
    latencies = []
    detail_rows = []
    for q in queries:
        positives = {str(x) for x in q["positive_ids"]}
        start = time.perf_counter()
        token_ids = [vocab[t] for t in tokenize(q["question"]) if t in vocab]
        if token_ids:
            scores = retriever.get_scores(token_ids)
            cand = np.flatnonzero(scores > 0)
            if len(cand) > k:
                # the k best, with ties broken by corpus order (lexsort: last key is primary)
                part = cand[np.argpartition(-scores[cand], k - 1)[:k]]
                kth = scores[part].min()
                cand = cand[scores[cand] >= kth]
            top = cand[np.lexsort((order_key[cand], -scores[cand]))][:k]
        else:
            top = np.empty(0, dtype=np.int64)
        latencies.append((time.perf_counter() - start) * 1000.0)
        if details is not None:
            top_ids = [ids[d] for d in top.tolist()]
            first = next((i + 1 for i, x in enumerate(top_ids) if x in positives), None)
            detail_rows.append({"id": str(q.get("id")), "rank": first, "top": top_ids})
        for rank, doc in enumerate(top.tolist()):
            if ids[doc] in positives:
                if rank < 1:
                    hits1 += 1
                if rank < 5:
                    hits5 += 1
                if rank < 10:
                    hits10 += 1
                    mrr += 1.0 / (rank + 1)
                break

    latencies.sort()
    if details is not None:
        with open(details, "w", encoding="utf-8") as f:
            for row in detail_rows:
                f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    n = max(len(queries), 1)
    return {
        "queries": len(queries),
        "passages": n_docs,
        "recall@1": hits1 / n,
        "recall@5": hits5 / n,
        "recall@10": hits10 / n,
        "mrr@10": mrr / n,
        "index_seconds": index_seconds,
        "query_ms_p50": percentile(latencies, 0.5),
        "query_ms_p99": percentile(latencies, 0.99),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", required=True, help="passages JSONL {id,title,text}")
    ap.add_argument("--queries", required=True, help="queries JSONL {id,question,positive_ids}")
    ap.add_argument("-k", type=int, default=10, help="results per query (>= 10)")
    ap.add_argument("--k1", type=float, default=1.5)
    ap.add_argument("--b", type=float, default=0.75)
    ap.add_argument("--method", default="lucene", choices=["lucene", "robertson", "atire", "bm25l", "bm25+"])
    ap.add_argument("--no-title", action="store_true", help="index text only (diagnostics; default is title + text)")
    ap.add_argument("--min-word-len", type=int, default=2, help="shortest non-CJK word kept (default 2)")
    ap.add_argument("--details", help="also write one JSON line per query (id, rank of the first positive or null, top-k ids)")
    args = ap.parse_args(argv)
    if args.k < 10:
        ap.error("-k must be >= 10")
    global MIN_WORD_LEN
    MIN_WORD_LEN = max(1, args.min_word_len)
    report = evaluate(args.passages, args.queries, k=args.k, k1=args.k1, b=args.b, method=args.method,
                      with_title=not args.no_title, details=args.details)
    json.dump(report, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
