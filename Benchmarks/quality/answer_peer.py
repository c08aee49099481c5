#!/usr/bin/env python3
"""BM25-sentence answer peer for the Sift quality benchmark (see shared/notes/answer-evaluation.md).

For every question of a SQuAD-style queries file ({"id","question","answers","positive_ids"}):
  1. bm25s (BM25, method "lucene", k1=1.5, b=0.75) over the passages ({"id","title","text"}, indexed as
     title + "\\n" + text), with bm25_peer.py's tokenizer (imported, not copied), retrieves the top 3 passages
     (score > 0 only; ties keep corpus order, as in bm25_peer.py);
  2. each passage's text (not its title) is split, once at index time, into sentences after 。！？；!? and
     after a "." followed by whitespace (so ". " "! " "? "; ASCII ";" does not split), punctuation kept,
     surrounding whitespace stripped, empty pieces dropped; each sentence is tokenised on its own;
  3. a sentence's score = summed IDF of the question's distinct tokens that occur among the sentence's tokens,
     IDF = ln(1 + (N - df + 0.5) / (df + 0.5)) with df counted over the indexed passages (bm25s/Lucene IDF);
  4. FIRST statement = the best sentence of the top-1 passage (ties -> earlier sentence); the other statements
     = the best remaining sentences of the top 3 passages (ties -> higher-ranked passage, then earlier
     sentence; identical texts once), up to five statements in all.
A question that shares no token with any passage is left unanswered (none do in the four SQuAD-style sets).
"ms" = wall time of tokenising the question, BM25 scoring, top 3, and scoring/ranking the (pre-split,
pre-tokenised) sentences of those passages, one query at a time, single-threaded; building the index (BM25,
IDF table, sentences) is not included and is printed as "peer": {"passages", "index_seconds"}.

Output: --out ANSWERS.jsonl ({"id","answered","statements","ms"}, the format answer_metrics.py reads) and/or
--metrics (print answer_metrics.py's JSON). --ceilings adds, under "ceilings", for the GOLD passage (first
positive id) of each question: the share where some sentence contains a gold answer, the share where its
max-IDF sentence (same scoring) does, and the share where the whole passage text does (diagnostic).
On the shared split these reproduce the note's table except for one question on each XQuAD set (max-IDF
0.807 vs 0.805 en, 0.792 vs 0.791 zh): plain ln(N/df) IDF instead of Lucene's reproduces all four exactly.

Run (from the repo root):
  Benchmarks/quality/.venv/bin/python Benchmarks/quality/answer_peer.py \\
      --passages ../shared/datasets/xquad_en/passages.jsonl --queries ../shared/datasets/xquad_en/queries.jsonl \\
      --metrics --ceilings [--out answers.jsonl]
Deterministic: no randomness, ties broken by order as described.
"""

import argparse
import json
import math
import re
import sys
import time
from collections import Counter

import numpy as np

import bm25s
from answer_metrics import normalize, normalized_golds, score, write_jsonl
from bm25_peer import read_jsonl, tokenize

TOP_PASSAGES = 3
MAX_STATEMENTS = 5

# split after 。！？；!? (fullwidth or not), and after a full stop that is followed by whitespace
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=\.)(?=\s)")


def split_sentences(text: str) -> list:
    return [s for s in (piece.strip() for piece in _SENTENCE_END.split(text or "")) if s]


def indexed_text(p: dict) -> str:
    return (p.get("title") or "") + "\n" + (p.get("text") or "")


class SentencePeer:
    def __init__(self, passages: list, k1: float = 1.5, b: float = 0.75, method: str = "lucene"):
        self.passages = passages
        corpus_tokens = [tokenize(indexed_text(p)) for p in passages]
        self.retriever = bm25s.BM25(k1=k1, b=b, method=method)
        self.retriever.index(corpus_tokens, show_progress=False)
        self.vocab = self.retriever.vocab_dict
        n = len(passages)
        df = Counter(t for toks in corpus_tokens for t in set(toks))
        self.idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        # sentences of every passage text with their token sets, split once at index time
        self.sentences = [[(s, frozenset(tokenize(s))) for s in split_sentences(p.get("text"))] for p in passages]

    def question_terms(self, question: str) -> tuple:
        """(token ids for retrieval, repeats kept as in bm25_peer.py; distinct terms with their IDF, in order)."""
        tokens = tokenize(question)
        ids = [self.vocab[t] for t in tokens if t in self.vocab]
        weighted = [(t, self.idf[t]) for t in dict.fromkeys(tokens) if t in self.idf]
        return ids, weighted

    def top_passages(self, token_ids: list, k: int = TOP_PASSAGES) -> list:
        if not token_ids:
            return []
        scores = self.retriever.get_scores(token_ids)
        cand = np.flatnonzero(scores > 0)
        return cand[np.lexsort((cand, -scores[cand]))][:k].tolist()

    def scored_sentences(self, doc: int, weighted: list) -> list:
        """[(score, sentence)] of passage `doc`, in text order."""
        return [(sum(w for t, w in weighted if t in toks), s) for s, toks in self.sentences[doc]]

    @staticmethod
    def best(scored: list):
        """Index of the highest score, the earliest on ties (None when empty)."""
        best_i = None
        for i, (sc, _) in enumerate(scored):
            if best_i is None or sc > scored[best_i][0]:
                best_i = i
        return best_i

    def answer(self, question: str) -> list:
        """The statements for one question ([] when no passage shares a token with it)."""
        token_ids, weighted = self.question_terms(question)
        top = self.top_passages(token_ids)
        if not top:
            return []
        pool = []  # (-score, passage rank, sentence index, text)
        first = None
        for rank, doc in enumerate(top):
            scored = self.scored_sentences(doc, weighted)
            if rank == 0:
                i = self.best(scored)
                if i is None:  # top passage with empty text: nothing to say
                    return []
                first = scored[i][1]
            pool.extend((-sc, rank, i, s) for i, (sc, s) in enumerate(scored))
        pool.sort(key=lambda x: x[:3])
        statements = [first]
        for *_, s in pool:
            if len(statements) >= MAX_STATEMENTS:
                break
            if s not in statements:
                statements.append(s)
        return statements


def run(passages: list, queries: list) -> tuple:
    """(answer rows, the peer, index seconds)."""
    t0 = time.perf_counter()
    peer = SentencePeer(passages)
    index_seconds = time.perf_counter() - t0
    rows = []
    for q in queries:
        t0 = time.perf_counter()
        statements = peer.answer(q["question"])
        ms = (time.perf_counter() - t0) * 1000.0
        rows.append({"id": str(q["id"]), "answered": bool(statements), "statements": statements, "ms": ms})
    return rows, peer, index_seconds


def ceilings(peer: SentencePeer, queries: list) -> dict:
    doc_of = {str(p["id"]): i for i, p in enumerate(peer.passages)}
    any_sentence = max_idf = whole = 0
    for q in queries:
        doc = doc_of.get(str(q["positive_ids"][0])) if q.get("positive_ids") else None
        if doc is None:  # counts as a miss
            continue
        golds = normalized_golds(q.get("answers") or [])
        hit = lambda text: any(g in normalize(text) for g in golds)
        _, weighted = peer.question_terms(q["question"])
        scored = peer.scored_sentences(doc, weighted)
        any_sentence += any(hit(s) for _, s in scored)
        i = peer.best(scored)
        max_idf += i is not None and hit(scored[i][1])
        whole += hit(peer.passages[doc].get("text") or "")
    n = max(len(queries), 1)
    return {
        "gold_passage_has_answer_sentence": any_sentence / n,
        "gold_passage_max_idf_sentence": max_idf / n,
        "gold_passage_contains_answer": whole / n,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", required=True, help="passages JSONL {id,title,text}")
    ap.add_argument("--queries", required=True, help="queries JSONL {id,question,answers,positive_ids}")
    ap.add_argument("--out", help="write ANSWERS.jsonl {id,answered,statements,ms}")
    ap.add_argument("--metrics", action="store_true", help="print answer_metrics.py's JSON for these answers")
    ap.add_argument("--ceilings", action="store_true", help="add the gold-passage ceilings to the printed JSON")
    args = ap.parse_args(argv)
    if not (args.out or args.metrics or args.ceilings):
        ap.error("nothing to do: give --out, --metrics and/or --ceilings")

    passages = read_jsonl(args.passages)
    queries = read_jsonl(args.queries)
    rows, peer, index_seconds = run(passages, queries)
    if args.out:
        write_jsonl(args.out, rows)
    report = {}
    if args.metrics:
        report.update(score(queries, rows))
    if args.ceilings:
        report["ceilings"] = ceilings(peer, queries)
    if report:
        report["peer"] = {"passages": len(passages), "index_seconds": index_seconds}
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
