#!/usr/bin/env python3
"""Peers of `sift bench`, measured the same way on the same machine (see README.md beside this file).

    python peers.py --make-text FILE
        writes the embedding benchmark text (see below) to FILE, one piece per line, and prints a JSON
        description of it; run.sh passes the same FILE to `sift bench --text FILE`, so Sift and the peers
        embed byte-identical text.

    python peers.py [--rows N] [--dim D] [--queries Q] [--batch B] [--threads T] [--seed S] --text FILE
        runs every peer and prints one JSON object on stdout (progress goes to stderr).

What is measured (times are wall-clock, time.perf_counter_ns):
  matrix   seeded (numpy default_rng) uniform [-1, 1) float32, rows L2-normalised, C-contiguous rows × dim --
           the same shape and distribution as `sift bench` (whose values come from its own xorshift generator).
  floor    numpy read-only pass over the matrix, A.sum() (one thread: numpy reductions do not use BLAS),
           median of 7; also the same pass split into T row slices summed on T Python threads (numpy releases
           the GIL in the reduction), median of 7; ratios to the floor use the lower of the two.
  numpy    single query: s = A @ q (OpenBLAS sgemv), np.argpartition(s, -10)[-10:], then those 10 sorted by score;
           p50 / p99 over Q random queries after one warm-up query.
           batch: S = Qb @ A.T (OpenBLAS sgemm, B × rows), np.argpartition(S, -10, axis=1)[:, -10:], each row's 10
           sorted; median of 3 batches (after one warm-up), divided by B.
  faiss    IndexFlatIP (exact inner product) over the same matrix; single: index.search(q[None], 10), p50 / p99
           over the same Q queries; batch: index.search(Qb, 10), median of 3, divided by B.
  embed    scikit-learn HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=2**20,
           alternate_sign=True, norm="l2") and the same with analyzer="char", ngram_range=(1, 2);
           .transform(pieces) on the benchmark text; MB/s = UTF-8 bytes of the pieces (newlines not counted,
           as in Sift) / seconds, median of 3. "1 thread": in this process (HashingVectorizer is pure Python +
           scipy, single-threaded). "T procs": the pieces split into T contiguous slices of about equal bytes,
           transformed at once by T already-started worker processes (spawn), each of which loaded the text
           and built its vectorizer before the clock starts; the time is the parent's wall time from sending
           the T tasks to receiving T small results (nnz counts) -- the sparse matrices are not sent back.

The benchmark text (--make-text): every *.md file under Corpus/ (recursively, sorted by relative path, hidden
files skipped, like Sift's CorpusLoader), UTF-8 BOM dropped, YAML front matter removed (a first line "---" up to
the next line that is "---" or "..."), the body split at "\\n", lines that are empty or only whitespace dropped;
the list of lines is then repeated whole until the total reaches 8,000,000 UTF-8 bytes (the loop of
`sift bench`'s embeddingText()). Markdown markup is kept as written (it is the same for both sides).
"""

import argparse
import hashlib
import json
import os
import sys
import time

TARGET_BYTES = 8_000_000


def log(msg):
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Benchmark text
# ---------------------------------------------------------------------------------------------------------------

def strip_front_matter(text):
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[i + 1:])
    raise ValueError("front matter starts with '---' but has no closing line")


def corpus_lines(corpus):
    files = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(".md"):
                continue
            full = os.path.join(dirpath, name)
            files.append((os.path.relpath(full, corpus).replace(os.sep, "/"), full))
    files.sort()
    lines = []
    for _, full in files:
        with open(full, encoding="utf-8") as f:
            body = strip_front_matter(f.read().replace("\r\n", "\n"))
        lines.extend(line for line in body.split("\n") if line.strip())
    return [rel for rel, _ in files], lines


def repeat_to_target(lines, target=TARGET_BYTES):
    pieces, total = [], 0
    while total < target and lines:
        for line in lines:
            pieces.append(line)
            total += len(line.encode("utf-8"))
    return pieces, total


def read_pieces(path):
    """The text file as `sift bench --text FILE` reads it: split at \\n, empty lines dropped, repeated to ~8 MB."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = [line for line in text.split("\n") if line]
    return repeat_to_target(lines)


def make_text(out_path, corpus):
    files, lines = corpus_lines(corpus)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    pieces, total = read_pieces(out_path)
    raw = open(out_path, "rb").read()
    cjk = sum(1 for ch in raw.decode("utf-8") if "\u3400" <= ch <= "\u9fff")
    return {
        "corpus": os.path.abspath(corpus),
        "files": len(files),
        "file_list": files,
        "lines": len(lines),
        "file_bytes": len(raw),
        "file_sha256": hashlib.sha256(raw).hexdigest(),
        "cjk_chars_in_one_copy": cjk,
        "chars_in_one_copy": len(raw.decode("utf-8")),
        "repeats": len(pieces) / max(1, len(lines)),
        "pieces": len(pieces),
        "bytes": total,
        "recipe": "Corpus/**/*.md sorted by path; UTF-8 BOM dropped; YAML front matter removed; split at \\n; "
                  "empty/whitespace-only lines dropped; the line list repeated whole until >= 8,000,000 UTF-8 "
                  "bytes; each line is one piece; bytes exclude newlines; Markdown markup kept",
    }


# ---------------------------------------------------------------------------------------------------------------
# Embedding workers (module level so that spawned processes can import them)
# ---------------------------------------------------------------------------------------------------------------

HV_CONFIGS = {
    "hv_char_wb_3_5": {"analyzer": "char_wb", "ngram_range": (3, 5)},
    "hv_char_1_2": {"analyzer": "char", "ngram_range": (1, 2)},
}

_W = {}


def make_vectorizer(name):
    from sklearn.feature_extraction.text import HashingVectorizer
    cfg = HV_CONFIGS[name]
    return HashingVectorizer(analyzer=cfg["analyzer"], ngram_range=cfg["ngram_range"], n_features=2 ** 20,
                             alternate_sign=True, norm="l2", dtype=__import__("numpy").float32)


def _worker_init(text_path, nslices):
    # One BLAS / OpenMP thread per worker: the workers are the parallelism.
    pieces, _ = read_pieces(text_path)
    _W["slices"] = split_by_bytes(pieces, nslices)
    _W["vec"] = {name: make_vectorizer(name) for name in HV_CONFIGS}
    for v in _W["vec"].values():
        v.transform(pieces[:64])  # warm up imports and code paths


def _worker_ready(_):
    time.sleep(0.2)
    return os.getpid()


def _worker_transform(task):
    name, i = task
    t0 = time.perf_counter_ns()
    x = _W["vec"][name].transform(_W["slices"][i])
    return os.getpid(), int(x.nnz), (time.perf_counter_ns() - t0) / 1e6


def split_by_bytes(pieces, n):
    sizes = [len(p.encode("utf-8")) for p in pieces]
    total = sum(sizes)
    out, start, acc = [], 0, 0
    for k in range(1, n):
        goal = total * k / n
        end = start
        while end < len(pieces) and acc + sizes[end] <= goal:
            acc += sizes[end]
            end += 1
        out.append(pieces[start:end])
        start = end
    out.append(pieces[start:])
    return out


# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------

def now_ms(t0):
    return (time.perf_counter_ns() - t0) / 1e6


def percentile(sorted_xs, p):
    """Same definition as `sift bench`: element round((n-1)·p) of the sorted list."""
    if not sorted_xs:
        return 0.0
    return sorted_xs[min(len(sorted_xs) - 1, int(round((len(sorted_xs) - 1) * p + 1e-12)))]


def median(xs):
    return percentile(sorted(xs), 0.5)


def r3(x):
    return round(x, 3)


def rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# ---------------------------------------------------------------------------------------------------------------
# Main benchmark
# ---------------------------------------------------------------------------------------------------------------

def run(args):
    import numpy as np
    import threadpoolctl

    T = args.threads
    limiter = threadpoolctl.threadpool_limits(limits=T)  # noqa: F841 -- keep the limit for the whole run
    rng = np.random.default_rng(args.seed)
    report = {"rows": args.rows, "dim": args.dim, "queries": args.queries, "batch": args.batch, "threads": T,
              "seed": args.seed}

    def random_unit(n, d):
        x = rng.random((n, d), dtype=np.float32)
        x *= 2
        x -= 1
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.float32(1e-12))
        return x

    # ---- embedding first: the worker processes start while the process is small and BLAS is idle ----------
    embed = {"text": args.text_info}
    pieces, total = read_pieces(args.text)
    mb = total / 1e6
    embed["bytes"] = total
    embed["pieces"] = len(pieces)
    for name in HV_CONFIGS:
        vec = make_vectorizer(name)
        vec.transform(pieces[:64])
        times = []
        for _ in range(3):
            t0 = time.perf_counter_ns()
            x = vec.transform(pieces)
            times.append(now_ms(t0))
        embed[name] = {"params": {"analyzer": HV_CONFIGS[name]["analyzer"],
                                  "ngram_range": list(HV_CONFIGS[name]["ngram_range"]), "n_features": 2 ** 20,
                                  "alternate_sign": True, "norm": "l2", "dtype": "float32"},
                       "nnz": int(x.nnz), "ms_1thread": r3(median(times)), "mb_per_s_1thread": r3(mb / (median(times) / 1000))}
        log(f"{name}: 1 thread {embed[name]['mb_per_s_1thread']:.2f} MB/s")
        del x
    if T > 1:
        import multiprocessing as mp
        ctx = mp.get_context("spawn")
        env_backup = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        for k in env_backup:
            os.environ[k] = "1"
        try:
            with ctx.Pool(T, initializer=_worker_init, initargs=(args.text, T)) as pool:
                pids = set(pool.map(_worker_ready, range(4 * T), chunksize=1))
                for name in HV_CONFIGS:
                    times, distinct = [], True
                    for _ in range(3):
                        t0 = time.perf_counter_ns()
                        res = pool.map(_worker_transform, [(name, i) for i in range(T)], chunksize=1)
                        times.append(now_ms(t0))
                        distinct = distinct and len({pid for pid, _, _ in res}) == T
                    embed[name].update({"ms_parallel": r3(median(times)), "processes": T,
                                        "mb_per_s_parallel": r3(mb / (median(times) / 1000)),
                                        "parallel_tasks_on_distinct_processes": distinct,
                                        "workers_started": len(pids)})
                    log(f"{name}: {T} processes {embed[name]['mb_per_s_parallel']:.2f} MB/s")
        finally:
            for k, v in env_backup.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    report["embed"] = embed
    del pieces

    # ---- matrix -------------------------------------------------------------------------------------------
    log(f"building {args.rows} x {args.dim} float32 matrix (seed {args.seed})")
    t0 = time.perf_counter_ns()
    A = np.empty((args.rows, args.dim), dtype=np.float32)
    step = max(1, (16 << 20) // (args.dim * 4))
    for s in range(0, args.rows, step):
        e = min(args.rows, s + step)
        A[s:e] = random_unit(e - s, args.dim)
    report["matrix_build_ms"] = r3(now_ms(t0))
    report["matrix_mib"] = r3(A.nbytes / 1048576)
    singles = random_unit(args.queries, args.dim)
    batchq = random_unit(args.batch, args.dim)

    # ---- memory floor -------------------------------------------------------------------------------------
    def timed(fn, n):
        out = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            fn()
            out.append(now_ms(t0))
        return out

    A.sum()
    floor_1t = median(timed(lambda: A.sum(), 7))
    from concurrent.futures import ThreadPoolExecutor
    bounds = np.linspace(0, args.rows, T + 1).astype(int)
    slices = [A[bounds[i]:bounds[i + 1]] for i in range(T)]
    with ThreadPoolExecutor(T) as ex:
        def threaded_sum():
            return sum(ex.map(lambda a: float(a.sum()), slices))
        threaded_sum()
        floor_tt = median(timed(threaded_sum, 7))
    floor_best = min(floor_1t, floor_tt)
    numpy_r = {"floor_ms": r3(floor_1t), "floor_threaded_ms": r3(floor_tt), "floor_threads": T,
               "floor_best_ms": r3(floor_best)}
    log(f"numpy floor: A.sum() {floor_1t:.3f} ms, {T} threads {floor_tt:.3f} ms")

    # ---- numpy single / batch -----------------------------------------------------------------------------
    K = 10

    def np_single(q):
        s = A @ q
        idx = np.argpartition(s, -K)[-K:]
        return idx[np.argsort(-s[idx])]

    def np_batch(Qb):
        S = Qb @ A.T
        idx = np.argpartition(S, -K, axis=1)[:, -K:]
        top = np.take_along_axis(S, idx, axis=1)
        order = np.argsort(-top, axis=1)
        return np.take_along_axis(idx, order, axis=1)

    np_single(singles[0])
    single = sorted(timed_each(np_single, singles))
    np_batch(batchq)
    bt = median(timed(lambda: np_batch(batchq), 3))
    numpy_r.update({"single_ms_p50": r3(percentile(single, 0.5)), "single_ms_p99": r3(percentile(single, 0.99)),
                    "batch_ms": r3(bt), "batch_ms_per_query": r3(bt / args.batch)})
    numpy_r["ratio_to_floor"] = r3(numpy_r["single_ms_p50"] / floor_best)
    # The product alone (no selection): what any exact float32 batch search must at least
    # spend on this CPU with this BLAS (a lower bound for the batch rows of the table).
    St = median(timed(lambda: np.matmul(batchq, A.T), 3))
    numpy_r["batch_sgemm_only_ms_per_query"] = r3(St / args.batch)
    log(f"numpy single p50 {numpy_r['single_ms_p50']} ms, batch {numpy_r['batch_ms_per_query']} ms/query")
    np_top_single = np_single(singles[0])
    np_top_batch = np_batch(batchq)
    report["numpy"] = numpy_r

    # ---- faiss --------------------------------------------------------------------------------------------
    import faiss
    faiss.omp_set_num_threads(T)
    index = faiss.IndexFlatIP(args.dim)
    t0 = time.perf_counter_ns()
    index.add(A)
    add_ms = now_ms(t0)
    index.search(singles[:1], K)
    single = sorted(timed_each(lambda q: index.search(q.reshape(1, -1), K), singles))
    index.search(batchq, K)
    bt = median(timed(lambda: index.search(batchq, K), 3))
    _, f_single = index.search(singles[:1], K)
    _, f_batch = index.search(batchq, K)
    faiss_r = {"index": "IndexFlatIP", "add_ms": r3(add_ms), "omp_threads": faiss.omp_get_max_threads(),
               "distance_compute_blas_threshold": int(faiss.cvar.distance_compute_blas_threshold),
               "single_ms_p50": r3(percentile(single, 0.5)), "single_ms_p99": r3(percentile(single, 0.99)),
               "batch_ms": r3(bt), "batch_ms_per_query": r3(bt / args.batch)}
    faiss_r["ratio_to_floor"] = r3(faiss_r["single_ms_p50"] / floor_best)
    # For reference only (the targets use faiss's default): faiss 1.15 computes batches below
    # distance_compute_blas_threshold (128,000 queries by default) without BLAS; the same batch
    # with the BLAS path forced (threshold 20, the default of older faiss releases).
    default_threshold = faiss.cvar.distance_compute_blas_threshold
    faiss.cvar.distance_compute_blas_threshold = 20
    index.search(batchq, K)
    bt_blas = median(timed(lambda: index.search(batchq, K), 3))
    faiss.cvar.distance_compute_blas_threshold = default_threshold
    faiss_r["batch_blas_forced_ms_per_query"] = r3(bt_blas / args.batch)
    # Sanity: both peers find the same top-10 (ids; ties in float32 scores are vanishingly rare).
    faiss_r["top10_agrees_with_numpy"] = bool(np.array_equal(np.sort(f_single[0]), np.sort(np_top_single)) and
                                              np.array_equal(np.sort(f_batch, axis=1), np.sort(np_top_batch, axis=1)))
    log(f"faiss single p50 {faiss_r['single_ms_p50']} ms, batch {faiss_r['batch_ms_per_query']} ms/query")
    report["faiss"] = faiss_r
    report["rss_mb"] = r3(rss_mb())
    report["peak_rss_mb"] = r3(peak_rss_mb())
    del index
    return report


def timed_each(fn, items):
    out = []
    for q in items:
        t0 = time.perf_counter_ns()
        fn(q)
        out.append(now_ms(t0))
    return out


def environment():
    import numpy as np
    import platform
    import threadpoolctl
    import sklearn
    import scipy
    import faiss
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), ""),
        "nproc": os.cpu_count(),
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
                     "faiss-cpu": faiss.__version__, "threadpoolctl": threadpoolctl.__version__},
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                                 "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "faiss_compile_options": faiss.get_compile_options(),
        "faiss_loader": getattr(faiss, "__file__", ""),
        "threadpools": [{k: p.get(k) for k in ("user_api", "internal_api", "prefix", "version", "architecture",
                                               "threading_layer", "num_threads", "filepath")}
                        for p in threadpoolctl.threadpool_info()],
    }
    try:
        info["numpy_blas"] = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older numpy
        info["numpy_blas"] = None
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--text", help="benchmark text file written by --make-text")
    ap.add_argument("--make-text", metavar="FILE", help="write the benchmark text to FILE and exit")
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Corpus"))
    args = ap.parse_args()

    if args.make_text:
        print(json.dumps(make_text(args.make_text, args.corpus), ensure_ascii=False, indent=1))
        return
    if not args.text:
        ap.error("--text FILE is required (make one with --make-text FILE)")
    for name, v in (("rows", args.rows), ("dim", args.dim), ("queries", args.queries), ("batch", args.batch),
                    ("threads", args.threads)):
        if v < 1:
            ap.error(f"--{name} must be >= 1")
    if args.batch > args.rows or args.rows < 10:
        ap.error("--rows must be >= 10 and >= --batch")
    # Thread counts must be in the environment before numpy / faiss load their BLAS and OpenMP runtimes.
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    with open(args.text, "rb") as f:
        raw = f.read()
    args.text_info = {"file": os.path.abspath(args.text), "file_sha256": hashlib.sha256(raw).hexdigest()}
    env = environment()
    log(f"OPENBLAS_CORETYPE={env['env']['OPENBLAS_CORETYPE']!r}; "
        + "; ".join(f"{p['internal_api']} {p['version']} {p['architecture'] or ''} ({os.path.basename(p['filepath'] or '')})"
                    for p in env["threadpools"]))
    t0 = time.time()
    report = run(args)
    report["environment"] = env
    report["wall_seconds"] = r3(time.time() - t0)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
