#!/usr/bin/env python3
"""Writes a synthetic first-stage export in the format `peers_codes.py` reads, so that it can be run without Sift.

    python make_test_vectors.py --out DIR [--rows N] [--dim D] [--queries Q] [--nnz Z] [--seed S] [--no-exact]

The export (the same format as Sift's):
  DIR/vectors.f32  raw little-endian float32, row-major, rows x dim; rows L2-normalised, most components exactly 0
  DIR/queries.f32  raw little-endian float32, queries x dim, L2-normalised
  DIR/meta.json    {"rows": R, "dim": D, "queries": Q, "k": 10, "candidates": 400}
  DIR/exact.i32    raw little-endian int32, queries x candidates: the exact top-`candidates` row ids by inner
                   product, best first (ties, which do not occur in practice, by lower id); --no-exact leaves it out
                   so that peers_codes.py computes it itself with faiss IndexFlatIP.

The vectors imitate Sift's hashed-feature embeddings (features added with a hash-given sign into a hash-given
bucket, then L2-normalised) with graded neighbourhoods, so that the exact top-10 and top-400 mean something:
  - topics (rows / 2000 of them, at least 1), each with a vocabulary of 1500 components, each with a fixed sign
    and a log-normal weight (like an idf);
  - clusters (rows / 100, at least 1) inside a topic, each with 400 components drawn from its topic's vocabulary;
  - a row belongs to one cluster (uniformly drawn) and takes nnz = 300 components: 150 of its cluster's
    vocabulary, 100 of its topic's, 50 anywhere (random sign); value = sign x weight x log-normal "tf" noise.
    Components drawn twice are added (a hash collision), so a row has at most `nnz` non-zeros;
  - a query is a noisy copy of a random row: every value scaled by log-normal noise (sigma 0.35), 25% of the
    non-zeros dropped, 40 random components added; so its source row is (almost always) its top-1, cluster mates
    come next, then topic mates.
Generation is in blocks of rows (a 1,000,000 x 1024 export needs ~0.5 GB of memory besides the 4 GB file); the
exact top-k is computed in blocks of rows with numpy (queries x block products, a running top-k merge).
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def log(msg):
    print(f"[make_test_vectors] {msg}", file=sys.stderr, flush=True)


def choose(rng, n, pool, k):
    """n independent draws of k distinct indices out of range(pool) (argpartition of random keys)."""
    keys = rng.random((n, pool), dtype=np.float32)
    return np.argpartition(keys, k - 1, axis=1)[:, :k]


def normalise(x):
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.float32(1e-12))
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory to write (created if missing)")
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--nnz", type=int, default=300, help="components drawn per row (default 300)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--candidates", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-exact", action="store_true", help="do not write exact.i32")
    args = ap.parse_args()
    if args.dim % 64:
        ap.error("--dim must be a multiple of 64")
    if args.rows < args.candidates:
        ap.error("--rows must be >= --candidates")
    D, R, Q = args.dim, args.rows, args.queries
    n_cluster_vocab, n_topic_vocab = 400, 1500
    if n_topic_vocab > D:
        n_topic_vocab = D
        n_cluster_vocab = min(n_cluster_vocab, D)
    from_cluster = args.nnz // 2
    from_topic = args.nnz // 3
    from_any = args.nnz - from_cluster - from_topic
    if from_cluster > n_cluster_vocab or from_topic > n_topic_vocab or from_any > D:
        ap.error("--nnz too large for --dim")
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    rng = np.random.default_rng(args.seed)

    n_topics = max(1, R // 2000)
    n_clusters = max(1, R // 100)
    # topic vocabularies: component ids, signs, weights
    topic_comp = choose(rng, n_topics, D, n_topic_vocab).astype(np.int32)          # (T, 1500)
    topic_sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(n_topics, n_topic_vocab))
    topic_w = np.exp(rng.normal(0.0, 0.6, size=(n_topics, n_topic_vocab))).astype(np.float32)
    cluster_topic = rng.integers(0, n_topics, size=n_clusters)
    cluster_pos = choose(rng, n_clusters, n_topic_vocab, n_cluster_vocab).astype(np.int32)  # positions in topic vocab

    def make_rows(n, rng):
        cl = rng.integers(0, n_clusters, size=n)
        tp = cluster_topic[cl]
        x = np.zeros((n, D), dtype=np.float32)
        r = np.arange(n)[:, None]
        # from the cluster's vocabulary
        pos = np.take_along_axis(cluster_pos[cl], choose(rng, n, n_cluster_vocab, from_cluster), axis=1)
        comp = topic_comp[tp[:, None], pos]
        val = topic_sign[tp[:, None], pos] * topic_w[tp[:, None], pos]
        x[r, comp] += val * np.exp(rng.normal(0.0, 0.4, size=val.shape)).astype(np.float32)
        # from the topic's vocabulary
        pos = choose(rng, n, n_topic_vocab, from_topic)
        comp = topic_comp[tp[:, None], pos]
        val = topic_sign[tp[:, None], pos] * topic_w[tp[:, None], pos]
        x[r, comp] += val * np.exp(rng.normal(0.0, 0.4, size=val.shape)).astype(np.float32)
        # anywhere
        comp = choose(rng, n, D, from_any)
        val = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=comp.shape) * \
            np.exp(rng.normal(-0.3, 0.6, size=comp.shape)).astype(np.float32)
        x[r, comp] += val
        return normalise(x)

    # ---- vectors.f32 ---------------------------------------------------------------------------------------
    vec_path = os.path.join(args.out, "vectors.f32")
    X = np.memmap(vec_path, dtype="<f4", mode="w+", shape=(R, D))
    block = max(1, (64 << 20) // (D * 4))
    for s in range(0, R, block):
        e = min(R, s + block)
        X[s:e] = make_rows(e - s, rng)
    X.flush()
    log(f"vectors.f32: {R} x {D} ({R * D * 4 / 1e9:.2f} GB) in {time.time() - t_start:.1f} s")

    # ---- queries.f32: noisy copies of random rows ----------------------------------------------------------
    src = np.sort(rng.choice(R, size=Q, replace=Q > R))
    qx = np.array(X[src], dtype=np.float32)
    qx *= np.exp(rng.normal(0.0, 0.35, size=qx.shape)).astype(np.float32)
    qx[rng.random(qx.shape) < 0.25] = 0.0
    r = np.arange(Q)[:, None]
    comp = choose(rng, Q, D, 40)
    qx[r, comp] += rng.normal(0.0, 1.0, size=comp.shape).astype(np.float32) * np.float32(0.05)
    perm = rng.permutation(Q)
    qx, src = normalise(qx)[perm], src[perm]
    qx.astype("<f4").tofile(os.path.join(args.out, "queries.f32"))

    meta = {"rows": R, "dim": D, "queries": Q, "k": args.k, "candidates": args.candidates}
    with open(os.path.join(args.out, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f)
        f.write("\n")

    # ---- exact.i32 -----------------------------------------------------------------------------------------
    info = {"dir": os.path.abspath(args.out), **meta, "seed": args.seed, "nnz_drawn": args.nnz,
            "topics": n_topics, "clusters": n_clusters}
    exact_path = os.path.join(args.out, "exact.i32")
    if args.no_exact:
        if os.path.exists(exact_path):
            os.remove(exact_path)
    else:
        t0 = time.time()
        C = args.candidates
        best_s = np.full((Q, C), -np.inf, dtype=np.float32)
        best_i = np.zeros((Q, C), dtype=np.int64)
        eb = max(C, (128 << 20) // (D * 4))
        for s in range(0, R, eb):
            e = min(R, s + eb)
            S = qx @ np.asarray(X[s:e]).T                      # (Q, e - s)
            kk = min(C, e - s)
            part = np.argpartition(-S, kk - 1, axis=1)[:, :kk]
            cs = np.concatenate([best_s, np.take_along_axis(S, part, axis=1)], axis=1)
            ci = np.concatenate([best_i, part + s], axis=1)
            # keep the C best: score descending, then id ascending
            order = np.lexsort((ci, -cs), axis=1)[:, :C]
            best_s = np.take_along_axis(cs, order, axis=1)
            best_i = np.take_along_axis(ci, order, axis=1)
        best_i.astype("<i4").tofile(exact_path)
        top1_is_source = float(np.mean(best_i[:, 0] == src))
        info.update({"exact_seconds": round(time.time() - t0, 2), "top1_is_source_row": top1_is_source,
                     "score_top1_mean": round(float(best_s[:, 0].mean()), 4),
                     "score_top10_mean": round(float(best_s[:, 9].mean()), 4),
                     "score_top400_mean": round(float(best_s[:, C - 1].mean()), 4)})
        log(f"exact.i32: top-{C} for {Q} queries in {info['exact_seconds']} s; top-1 is the source row for "
            f"{top1_is_source:.1%}; mean score of #1 / #10 / #{C}: {info['score_top1_mean']} / "
            f"{info['score_top10_mean']} / {info['score_top400_mean']}")
    nz = np.count_nonzero(np.asarray(X[: min(R, 1000)]), axis=1)
    pos = (np.asarray(X[: min(R, 1000)]) > 0).sum(axis=1)
    info.update({"nonzeros_per_row_mean": round(float(nz.mean()), 1),
                 "positive_per_row_mean": round(float(pos.mean()), 1),
                 "seconds": round(time.time() - t_start, 2)})
    del X
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
