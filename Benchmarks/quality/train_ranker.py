#!/usr/bin/env python3
"""Trains Sift's answer ranker (Models/answer-ranker-v1.json) from candidate-statement dumps.

    python3 Benchmarks/quality/train_ranker.py DUMP.jsonl [DUMP.jsonl ...] [--out Models/answer-ranker-v1.json] [--folds 5]

Each DUMP comes from `sift eval --passages P --queries Q --answers --dump-statements DUMP` on a set whose
queries carry gold answers (cmrc2018, drcd, xquad_zh, xquad_en of ../shared/datasets): its first line names the
features, every other line is one candidate statement of one question: {"q": query id, "label": 1 when the
statement contains a gold answer, "rank": passage rank, "f": [features]}.

The model picks, for each question, the candidate with the highest score, so it is trained for that choice: a
conditional logit (softmax over each question's candidates; the questions whose candidates include an answer are
the training data), with an L2 penalty. Features are standardised first (mean and scale stored in the model).

Nothing is tuned on the total alone: the questions are split into folds by a hash of their id (sha1, as the data
sets' own hold-out split does), the penalty is chosen by the mean of the per-fold accuracy (first statement contains
an answer, over all questions) of models trained on the other folds, and every fold's figure is printed, so that a
feature is kept only if it helps across folds. numpy only; deterministic.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np


def load(paths):
    names = None
    questions = {}  # qid -> (X rows, labels)
    for path in paths:
        set_name = os.path.basename(path).split(".")[0]
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline())
            if names is None:
                names = header["features"]
            elif names != header["features"]:
                sys.exit(f"train_ranker: {path} has other features than the first dump")
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                key = f"{set_name}/{r['q']}"
                xs, ys = questions.setdefault(key, ([], []))
                xs.append(r["f"])
                ys.append(r["label"])
    keys = sorted(questions)
    return names, keys, [np.array(questions[k][0], dtype=np.float64) for k in keys], [np.array(questions[k][1]) for k in keys]


def fold_of(key, folds):
    return int(hashlib.sha1(key.split("/", 1)[1].encode()).hexdigest()[:8], 16) % folds


def train(Xs, Ys, mean, scale, penalty, iterations=400):
    """Conditional logit by gradient descent with a backtracking step (convex; deterministic).

    All questions' candidates are stacked into one matrix; each question's softmax is taken with
    numpy's reduceat over its block of rows."""
    keep = [i for i, Y in enumerate(Ys) if Y.any()]
    Z = (np.concatenate([Xs[i] for i in keep]) - mean) / scale
    pos = np.concatenate([Ys[i] for i in keep]) > 0
    sizes = np.array([len(Xs[i]) for i in keep])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    group = np.repeat(np.arange(len(keep)), sizes)
    n = len(keep)
    w = np.zeros(Z.shape[1])

    def loss_grad(w):
        s = Z @ w
        s = s - np.maximum.reduceat(s, starts)[group]
        e = np.exp(s)
        total = np.add.reduceat(e, starts)
        positive = np.add.reduceat(e * pos, starts)
        p = e / total[group]
        q = e * pos / positive[group]
        loss = -np.log(positive / total).sum() / n + 0.5 * penalty * w @ w
        grad = Z.T @ (p - q) / n + penalty * w
        return loss, grad

    step = 1.0
    loss, grad = loss_grad(w)
    for _ in range(iterations):
        while True:
            w2 = w - step * grad
            l2, g2 = loss_grad(w2)
            if l2 <= loss - 0.5 * step * (grad @ grad) or step < 1e-10:
                break
            step *= 0.5
        converged = loss - l2 < 1e-10
        w, loss, grad = w2, l2, g2
        if converged:
            break
        step *= 1.5
    return w


def accuracy(Xs, Ys, w, mean, scale):
    hit = 0
    for X, Y in zip(Xs, Ys):
        if len(X) == 0:
            continue
        s = ((X - mean) / scale) @ w
        # Ties: the earlier candidate (better passage, earlier statement), as the composer.
        hit += int(Y[int(np.argmax(s))] > 0)
    return hit / max(1, len(Xs))


def compare_trees(sizes, keys, Xs, Ys, folds, nfolds, sets):
    """Boosted regression trees (LambdaRank over each question's candidates) on the same folds: they capture feature
    interactions the linear model cannot. Printed only: on the bundled corpus's golden questions they chose off-topic
    bullets (their scores separate a question's candidates less there), so the linear model stays released."""
    try:
        import lightgbm as lgb
    except ImportError:
        sys.exit("train_ranker: --compare-trees needs lightgbm (pip install lightgbm==4.7.0)")
    for size in sizes.split(","):
        leaves, rounds = (int(v) for v in size.split("x"))
        params = dict(objective="lambdarank", metric="ndcg", ndcg_eval_at=[1], lambdarank_truncation_level=10, learning_rate=0.05,
                      num_leaves=leaves, min_data_in_leaf=50, feature_fraction=0.9, bagging_fraction=0.8, bagging_freq=1,
                      verbose=-1, seed=1, deterministic=True, num_threads=1)
        per_fold, per_set = [], {s: [] for s in sets}
        for k in range(nfolds):
            tr = [i for i in range(len(keys)) if folds[i] != k and Ys[i].any()]
            te = [i for i in range(len(keys)) if folds[i] == k]
            booster = lgb.train(params, lgb.Dataset(np.concatenate([Xs[i] for i in tr]), np.concatenate([Ys[i] for i in tr]),
                                                    group=[len(Xs[i]) for i in tr]), num_boost_round=rounds)
            hit = {i: int(Ys[i][int(np.argmax(booster.predict(Xs[i])))] > 0) for i in te if len(Xs[i])}
            per_fold.append(sum(hit.values()) / max(1, len(te)))
            for s in sets:
                idx = [i for i in te if keys[i].startswith(s + "/")]
                per_set[s].append(sum(hit.get(i, 0) for i in idx) / max(1, len(idx)))
        print(f"trees {leaves} leaves x {rounds}: first {np.mean(per_fold):.4f} (folds {' '.join(f'{a:.4f}' for a in per_fold)})",
              file=sys.stderr)
        for s in sets:
            print(f"    {s:10s} {np.mean(per_set[s]):.4f} (folds {' '.join(f'{a:.4f}' for a in per_set[s])})", file=sys.stderr)


def write_swift(model, path):
    """Compiles `model` into the library: AnswerRanker.v1."""
    floats = lambda xs: ",\n            ".join(", ".join(repr(float(x)) for x in xs[i:i + 6]) for i in range(0, len(xs), 6))
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""// Generated by Benchmarks/quality/train_ranker.py from Models/answer-ranker-v1.json; do not edit.
// Cross-validated "first statement contains an answer": {model["cross_validated_first"]} ({model["folds"]} folds).

extension AnswerRanker {{
    /// The released ranker (`Models/answer-ranker-v1.json`), trained on {", ".join(model["trained_on"])}.
    static let v1 = AnswerRanker(
        name: "answer-ranker", version: 1, features: StatementFeatures.names,
        mean: [
            {floats(model["mean"])}],
        scale: [
            {floats(model["scale"])}],
        weights: [
            {floats(model["weights"])}],
        bias: {float(model["bias"])!r})
}}
""")
    print(f"wrote {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dumps", nargs="*")
    ap.add_argument("--swift-from", metavar="MODEL_JSON", help="only write the Swift file from an existing model file")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Models", "answer-ranker-v1.json"))
    ap.add_argument("--swift", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "Sift",
                                                   "Answering", "AnswerRanker+v1.swift"),
                    help="the Swift file that compiles the model into the library (a test keeps it equal to --out)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--penalties", default="0.001,0.01,0.1,1")
    ap.add_argument("--compare-trees", metavar="LEAVESxTREES", default=None,
                    help="also cross-validate boosted trees (LightGBM LambdaRank, e.g. 15x300; needs lightgbm==4.7.0) on "
                         "the same folds, for comparison only: nothing is written for them (see Benchmarks/quality/LEVERS.md)")
    args = ap.parse_args()
    if args.swift_from:
        with open(args.swift_from, encoding="utf-8") as f:
            write_swift(json.load(f), args.swift)
        return
    if not args.dumps:
        ap.error("give the dump files")

    names, keys, Xs, Ys = load(args.dumps)
    allX = np.concatenate([X for X in Xs if len(X)])
    mean = allX.mean(axis=0)
    scale = allX.std(axis=0)
    scale[scale < 1e-6] = 1.0
    folds = np.array([fold_of(k, args.folds) for k in keys])
    sets = sorted({k.split("/")[0] for k in keys})
    ceiling = np.mean([Y.any() for Y in Ys])
    print(f"{len(keys)} questions, {len(allX)} candidates, {len(names)} features; a candidate contains an answer for "
          f"{ceiling:.4f} of the questions", file=sys.stderr)

    best = None
    for penalty in [float(x) for x in args.penalties.split(",")]:
        per_fold = []
        per_set = {s: [] for s in sets}
        for k in range(args.folds):
            tr = [i for i in range(len(keys)) if folds[i] != k]
            te = [i for i in range(len(keys)) if folds[i] == k]
            w = train([Xs[i] for i in tr], [Ys[i] for i in tr], mean, scale, penalty)
            per_fold.append(accuracy([Xs[i] for i in te], [Ys[i] for i in te], w, mean, scale))
            for s in sets:
                idx = [i for i in te if keys[i].startswith(s + "/")]
                per_set[s].append(accuracy([Xs[i] for i in idx], [Ys[i] for i in idx], w, mean, scale))
        mean_acc = float(np.mean(per_fold))
        print(f"penalty {penalty:g}: first {mean_acc:.4f} (folds {' '.join(f'{a:.4f}' for a in per_fold)}; "
              f"spread {max(per_fold) - min(per_fold):.4f})", file=sys.stderr)
        for s in sets:
            print(f"    {s:10s} {np.mean(per_set[s]):.4f} (folds {' '.join(f'{a:.4f}' for a in per_set[s])})", file=sys.stderr)
        if best is None or mean_acc > best[0] + 1e-9:
            best = (mean_acc, penalty)

    if args.compare_trees:
        compare_trees(args.compare_trees, keys, Xs, Ys, folds, args.folds, sets)

    penalty = best[1]
    w = train(Xs, Ys, mean, scale, penalty)
    print(f"chosen penalty {penalty:g}; trained on all {len(keys)} questions: first {accuracy(Xs, Ys, w, mean, scale):.4f}",
          file=sys.stderr)
    for n, x in sorted(zip(names, w), key=lambda t: -abs(t[1])):
        print(f"    {n:20s} {x:+.4f}", file=sys.stderr)
    model = {
        "name": "answer-ranker", "version": 1, "features": names,
        "mean": [round(float(x), 6) for x in mean], "scale": [round(float(x), 6) for x in scale],
        "weights": [round(float(x), 6) for x in w], "bias": 0.0,
        "trained_on": [os.path.basename(p) for p in args.dumps], "penalty": penalty, "folds": args.folds,
        "cross_validated_first": round(best[0], 4),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(model, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)
    write_swift(model, args.swift)


if __name__ == "__main__":
    main()
