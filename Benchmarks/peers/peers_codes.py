#!/usr/bin/env python3
"""faiss peers of Sift's first stage, on the vectors and queries that Sift exported (the same vectors, same run).

    python peers_codes.py --dir DIR [--threads T] [--out FILE] [--max-rows N] [--queries Q]
                          [--skip flat,binary,sq8,hnsw] [--hnsw-m 32] [--hnsw-ef-construction 40]
                          [--hnsw-ef 16,32,64,128,256,512,1024] [--hnsw-target-recall 0.99]
                          [--binary-depths 400,1000,4000,10000] [--batch-repeats 3]

The export (written by Sift; `make_test_vectors.py` beside this file writes a synthetic one):
  DIR/vectors.f32  raw little-endian float32, row-major, rows x dim, L2-normalised rows (read with np.memmap)
  DIR/queries.f32  raw little-endian float32, queries x dim, L2-normalised
  DIR/meta.json    {"rows": R, "dim": D, "queries": Q, "k": 10, "candidates": 400}
  DIR/exact.i32    optional, raw little-endian int32, queries x candidates: the exact top-`candidates` row ids by
                   inner product, best first; a shorter list is padded with -1 (as Sift writes it), and padding is
                   left out of every recall. Absent (or --max-rows below the export's rows): computed here with
                   faiss IndexFlatIP. Present: the first 4 queries' lists are compared with a float32 numpy scan
                   ("exact_check"; Sift's exact stage ranks its stored rows, which may be bfloat16).

What is measured, one index at a time (built, measured, deleted), in this order:
  flat    IndexFlatIP (exact reference): add time; single-query p50 / p99 for top-k and top-candidates; batch
          (faiss 1.15 uses sgemm for a batch when queries x dim >= distance_compute_blas_threshold = 128,000,
          e.g. >= 125 queries at dim 1024, else its own SIMD loop; "batch_uses_blas" in the JSON).
  binary  IndexBinaryFlat(dim) on sign codes: Sift's own (signcodes.u8 + querysigns.u8, the bits of the randomly
          rotated rows and queries) when the export has them; else bit i of a row is 1 when component i > 0 (strictly), packed
          little-endian within bytes (np.packbits(x > 0, axis=1, bitorder="little")), dim / 8 bytes a row; the
          query's code is made the same way. Encode time (numpy) and add time; single-query p50 / p99 for the
          top-`candidates` by Hamming distance and for each refine depth N of --binary-depths; batch per depth.
          Recall: of the exact top-k among its top-N (what an exact re-scoring of N binary candidates could keep:
          the refined recall@k), and of the exact top-`candidates` among its top-N, for every N. Hamming distances
          are integers and tie often: faiss breaks ties at the N-th distance its own way; `*_ties_upper` counts
          every exact id whose distance is <= the N-th distance (the most any tie-breaking could include).
  sq8     IndexScalarQuantizer(dim, QT_8bit, METRIC_INNER_PRODUCT) (per-dimension min / max ranges, 1 byte a
          component): train + add time; single p50 / p99 for top-k and top-candidates; batch; recall of the exact
          top-k in its top-k and of the exact top-candidates in its top-candidates.
  hnsw    IndexHNSWFlat(dim, M, METRIC_INNER_PRODUCT), efConstruction from --hnsw-ef-construction: build time; for
          each efSearch of --hnsw-ef (stopping once recall@k saturates: it reaches 1, or it is >= the target and
          the last step gained < 0.001, or two steps running gained < 0.001), single-query p50 / p99 and batch of
          top-k and recall of the exact top-k; the smallest efSearch whose recall@k >= --hnsw-target-recall.

Times are wall-clock (time.perf_counter_ns). Single query: index.search(x[i:i+1], k) for each query after one
warm-up query, p50 / p99 as `sift bench` defines them (element round((n-1)·p) of the sorted times);
`cpu_per_wall` is the process's CPU time over the loop / its wall time (about 1: one thread works; OpenMP
threads that spin-wait count as busy). Batch: all
the queries in one index.search, median of --batch-repeats after a warm-up, divided by the number of queries.
Memory: the index's own payload (codes, vectors, graph) in bytes, and the process's anonymous RSS (RssAnon,
/proc/self/status) after the build minus before it (the memory-mapped export is file-backed: it counts in
RssFile, not RssAnon; the delta can read below the payload when malloc reuses memory an earlier section
freed); VmHWM (peak RSS, file-backed pages included) at the end.
Noise: for each section, its wall seconds and the share of the machine's CPU time that other processes used
meanwhile (/proc/stat busy jiffies minus this process's own), in "sections"; on a shared machine, distrust a
section where that share is well above 0.
Threads: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS = T before numpy and faiss load,
threadpoolctl.threadpool_limits(T) and faiss.omp_set_num_threads(T) (--single-threads N: N for the single-query
loops only). faiss parallelises a batch over its queries and an HNSW build over the rows added. A single query
(faiss 1.15 source): IndexFlatIP splits the rows over the T threads when nq < T and rows >= max(10,000,
T x 1,024) (its "database-parallel" search, since 1.14.2: sgemm per 1,024-row block, then a heap merge), so it
is a T-thread number; the other three compute one query on one thread: IndexHNSW forks no threads for nq = 1,
IndexScalarQuantizer forks T threads of which one works, IndexBinaryFlat forks T threads of which one works once
per 65,536 rows. On a busy machine every fork/join can wait for an idle thread to be scheduled, which inflates
binary and SQ8 single-query times (check "sections"; --single-threads 1 removes the joins).

Output: one JSON object on stdout (or --out FILE); progress and a short table on stderr.
"""

import argparse
import gc
import json
import os
import sys
import time

SECTIONS = ("flat", "binary", "sq8", "hnsw")


def log(msg):
    print(f"[peers_codes] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Helpers (same definitions as peers.py)
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
    return None if x is None else round(float(x), 3)


def r4(x):
    return None if x is None else round(float(x), 4)


def proc_status():
    """VmRSS, RssAnon, RssFile, VmHWM in MiB."""
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                    out[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def cpu_snapshot():
    """(busy jiffies of the whole machine, this process's jiffies, wall seconds), from /proc."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = sum(v) - v[3] - (v[4] if len(v) > 4 else 0)  # minus idle and iowait
        with open("/proc/self/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        own = int(st[11]) + int(st[12])  # utime + stime (all threads)
        return busy, own, time.time()
    except (OSError, ValueError, IndexError):
        return None


def others_busy(snap0, snap1):
    """Wall seconds between two snapshots and the share of the machine's CPU time (0..1) that other processes
    used meanwhile: a noise gauge (a quiet machine reads about 0)."""
    if not snap0 or not snap1 or snap1[2] <= snap0[2]:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    other = (snap1[0] - snap0[0]) - (snap1[1] - snap0[1])
    wall = snap1[2] - snap0[2]
    return {"seconds": r3(wall), "others_cpu_share": r3(max(0.0, other / (hz * wall * (os.cpu_count() or 1))))}


def anon_mb():
    gc.collect()
    return proc_status().get("RssAnon", 0.0)


def mib(nbytes):
    return r3(nbytes / 1048576)


_OMP = {"threads": 1, "single": 1}  # set by run(): --threads and --single-threads


def single_times(search, xs, k):
    """search(x[i:i+1], k) per query after one warm-up, faiss at --single-threads OpenMP threads; sorted times
    in ms; also the results."""
    import faiss
    faiss.omp_set_num_threads(_OMP["single"])
    try:
        return _single_times(search, xs, k)
    finally:
        faiss.omp_set_num_threads(_OMP["threads"])


def _single_times(search, xs, k):
    search(xs[:1], k)
    times, ids = [], []
    c0 = time.process_time()
    for i in range(len(xs)):
        q = xs[i:i + 1]
        t0 = time.perf_counter_ns()
        _, I = search(q, k)
        times.append(now_ms(t0))
        ids.append(I[0])
    cpu_ms = (time.process_time() - c0) * 1000
    return Times(sorted(times), cpu_ms / max(1e-9, sum(times))), ids


class Times(list):
    """Sorted per-query times (ms), with the process's CPU time / wall time over the loop (threads busy)."""
    def __init__(self, xs, cpu_per_wall):
        super().__init__(xs)
        self.cpu_per_wall = cpu_per_wall


def single_stats(times):
    return {"p50_ms": r3(percentile(times, 0.5)), "p99_ms": r3(percentile(times, 0.99)),
            "mean_ms": r3(sum(times) / len(times)), "cpu_per_wall": r3(getattr(times, "cpu_per_wall", None))}


def batch_time(search, xs, k, repeats):
    search(xs, k)
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        res = search(xs, k)
        times.append(now_ms(t0))
    return median(times), res


def recall(result_ids, exact, k):
    """Mean over queries of |exact[:k] ∩ result| / |exact[:k]|, over the queries that have exact ids (exact.i32
    pads a short list with -1, and faiss fills missing results with -1: both are ignored)."""
    import numpy as np
    tot, n = 0.0, 0
    for res, ex in zip(result_ids, exact):
        ex = ex[:k][ex[:k] >= 0]
        if ex.size == 0:
            continue
        res = np.asarray(res)
        tot += np.intersect1d(res[res >= 0], ex).size / ex.size
        n += 1
    return tot / n if n else None


def ties_upper(dist, valid, kth):
    """Mean over queries (with exact ids) of the share of their exact ids whose Hamming distance is <= kth."""
    import numpy as np
    n = valid.sum(axis=1)
    ok = n > 0
    if not ok.any():
        return None
    return float(np.mean(((dist <= kth) & valid).sum(axis=1)[ok] / n[ok]))


# ---------------------------------------------------------------------------------------------------------------
# Main benchmark
# ---------------------------------------------------------------------------------------------------------------

def load_export(args):
    import numpy as np
    with open(os.path.join(args.dir, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    R, D, Qn = int(meta["rows"]), int(meta["dim"]), int(meta["queries"])
    K, C = int(meta.get("k", 10)), int(meta.get("candidates", 400))
    if D % 64:
        raise SystemExit(f"peers_codes: dim {D} is not a multiple of 64")
    vp, qp = os.path.join(args.dir, "vectors.f32"), os.path.join(args.dir, "queries.f32")
    for path, n in ((vp, R), (qp, Qn)):
        if os.path.getsize(path) != n * D * 4:
            raise SystemExit(f"peers_codes: {path} has {os.path.getsize(path)} bytes, meta.json says {n} x {D} x 4")
    X = np.memmap(vp, dtype="<f4", mode="r", shape=(R, D))
    rows = R if not args.max_rows else min(R, args.max_rows)
    if rows < C:
        raise SystemExit(f"peers_codes: {rows} rows is fewer than candidates = {C}")
    nq = Qn if not args.queries else min(Qn, args.queries)
    Xq = np.ascontiguousarray(np.memmap(qp, dtype="<f4", mode="r", shape=(Qn, D))[:nq], dtype=np.float32)
    exact, exact_source = None, None
    ep = os.path.join(args.dir, "exact.i32")
    if os.path.exists(ep) and rows == R:
        if os.path.getsize(ep) != Qn * C * 4:
            raise SystemExit(f"peers_codes: {ep} has {os.path.getsize(ep)} bytes, expected {Qn} x {C} x 4")
        exact = np.fromfile(ep, dtype="<i4").reshape(Qn, C)[:nq].astype(np.int64)
        exact_source = "exact.i32"
    return meta, X[:rows], Xq, exact, exact_source, K, C


def numpy_top(X, Qs, k, block_rows):
    """Exact top-k ids (best first) of a few queries by one blocked numpy pass over the memory map (to check
    exact.i32)."""
    import numpy as np
    m = Qs.shape[0]
    best_s, best_i = np.empty((m, 0), np.float32), np.empty((m, 0), np.int64)
    for s in range(0, X.shape[0], block_rows):
        sc = Qs @ np.asarray(X[s:s + block_rows]).T          # (m, block)
        kk = min(k, sc.shape[1])
        p = np.argpartition(-sc, kk - 1, axis=1)[:, :kk]
        best_s = np.concatenate([best_s, np.take_along_axis(sc, p, axis=1)], axis=1)
        best_i = np.concatenate([best_i, p + s], axis=1)
        o = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(best_s, o, axis=1), np.take_along_axis(best_i, o, axis=1)
    return best_i, best_s


def add_in_blocks(index, X, block_rows, progress=None):
    import numpy as np
    n = X.shape[0]
    t_start = time.perf_counter_ns()
    for s in range(0, n, block_rows):
        e = min(n, s + block_rows)
        index.add(np.ascontiguousarray(X[s:e], dtype=np.float32))  # a view of the map: no copy
        if progress:
            el = now_ms(t_start) / 1000
            log(f"  {progress}: {e}/{n} rows, {el:.0f} s, eta {el / e * (n - e):.0f} s")
    return now_ms(t_start)


def run(args):
    import numpy as np
    import threadpoolctl
    import faiss

    T = args.threads
    limiter = threadpoolctl.threadpool_limits(limits=T)  # noqa: F841 -- keep the limit for the whole run
    faiss.omp_set_num_threads(T)
    _OMP.update(threads=T, single=args.single_threads or T)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(SECTIONS)
    if unknown:
        raise SystemExit(f"peers_codes: --skip: unknown section(s) {sorted(unknown)}; known: {', '.join(SECTIONS)}")

    meta, X, Xq, exact, exact_source, K, C = load_export(args)
    R, D = X.shape
    nq = Xq.shape[0]
    block_rows = max(C, (64 << 20) // (D * 4))
    report = {"dir": os.path.abspath(args.dir), "meta": meta, "rows": R, "dim": D, "queries": nq, "k": K,
              "candidates": C, "threads": T, "single_query_omp_threads": _OMP["single"], "skipped": sorted(skip), "omp_max_threads": faiss.omp_get_max_threads(),
              "vectors_mib": mib(R * D * 4), "rss_start_mib": proc_status()}
    log(f"{args.dir}: {R} x {D} float32 ({R * D * 4 / 1048576:.0f} MiB), {nq} queries, k={K}, candidates={C}, "
        f"{T} thread(s)")

    # ---- read the map once (page cache), so that the first build does not pay the disk ------------------------
    t0 = time.perf_counter_ns()
    nz = pos = 0
    for s in range(0, R, block_rows):
        b = np.asarray(X[s:s + block_rows])
        if s == 0:
            sample = b[: min(len(b), 2000)]
            nz = float(np.count_nonzero(sample, axis=1).mean())
            pos = float((sample > 0).sum(axis=1).mean())
        b.sum()
    report["read_ms"] = r3(now_ms(t0))
    report["vectors_sample"] = {"nonzeros_per_row_mean": round(nz, 1), "positive_per_row_mean": round(pos, 1),
                                "query_nonzeros_mean": round(float(np.count_nonzero(Xq, axis=1).mean()), 1),
                                "zero_queries": int((~Xq.any(axis=1)).sum()),
                                "row_norm_first": r4(np.linalg.norm(np.asarray(X[0]))),
                                "query_norm_first": r4(np.linalg.norm(Xq[0]))}
    log(f"read the vectors once in {report['read_ms'] / 1000:.1f} s; {nz:.0f} non-zeros, {pos:.0f} positive a row")

    if exact is not None:
        # Sift's exact stage may rank bfloat16-stored rows, or skip removed rows: compare with a float32 scan.
        check = list(range(min(nq, 4)))
        ids, _ = numpy_top(X, Xq[check], C, block_rows)
        agree_k = recall(ids[:, :K], exact[check], K)
        agree_c = recall(ids, exact[check], C)
        report["exact_check"] = {"queries": check, "topk_overlap_with_numpy": r4(agree_k),
                                 "topcandidates_overlap_with_numpy": r4(agree_c)}
        if agree_k is not None and (agree_k < 1.0 or agree_c < 0.99):
            log(f"WARNING: exact.i32 overlaps a float32 numpy scan by {agree_k:.1%} (top-{K}) / {agree_c:.1%} "
                f"(top-{C}) on queries {check}")
    if exact is not None:
        report["queries_with_exact_ids"] = int((exact[:, 0] >= 0).sum())
        report["queries_with_padded_exact"] = int((exact < 0).any(axis=1).sum())

    def search_fn(index):
        return lambda x, k: index.search(x, k)

    # ---- flat (exact reference; also the ground truth when exact.i32 is missing) ---------------------------------
    noise = report["sections"] = {}
    snap = cpu_snapshot()
    if "flat" not in skip or exact is None:
        log("IndexFlatIP")
        a0 = anon_mb()
        index = faiss.IndexFlatIP(D)
        add_ms = add_in_blocks(index, X, block_rows)
        a1 = anon_mb()
        if exact is None:
            t0 = time.perf_counter_ns()
            _, I = index.search(Xq, C)
            exact = I.astype(np.int64)
            exact_source = "IndexFlatIP.search(queries, candidates) in this run"
            report["exact_compute_ms"] = r3(now_ms(t0))
        if "flat" not in skip:
            sf = search_fn(index)
            fr = {"index": "IndexFlatIP", "add_ms": r3(add_ms), "payload_mib": mib(R * D * 4),
                  "rss_anon_delta_mib": r3(a1 - a0)}
            t10, ids10 = single_times(sf, Xq, K)
            tC, idsC = single_times(sf, Xq, C)
            fr["single_top%d" % K] = single_stats(t10)
            fr["single_top%d" % C] = single_stats(tC)
            bt, (_, bI) = batch_time(sf, Xq, K, args.batch_repeats)
            btC, _ = batch_time(sf, Xq, C, args.batch_repeats)
            fr["batch_top%d_ms_per_query" % K] = r3(bt / nq)
            fr["batch_top%d_ms_per_query" % C] = r3(btC / nq)
            fr["recall%d_at_%d" % (K, K)] = r4(recall(ids10, exact, K))  # 1.0 unless exact.i32 disagrees
            fr["recall%d_at_%d" % (C, C)] = r4(recall(idsC, exact, C))
            thr = int(faiss.cvar.distance_compute_blas_threshold)
            fr["distance_compute_blas_threshold"] = thr
            # faiss 1.15: a batch goes through sgemm when nq * dim >= the threshold (else its SIMD loop over the
            # queries); a single query splits the rows over the threads when nq < T and rows >= max(10000, T * 1024)
            fr["batch_uses_blas"] = nq * D >= thr
            fr["single_database_parallel"] = bool(_OMP["single"] > 1 and R >= max(10000, _OMP["single"] * 1024))
            report["flat"] = fr
            log(f"  add {add_ms / 1000:.2f} s; single top-{K} p50 {fr['single_top%d' % K]['p50_ms']} ms, "
                f"batch {fr['batch_top%d_ms_per_query' % K]} ms/query")
        del index
        gc.collect()
    now = cpu_snapshot()
    if "flat" not in skip:
        noise["flat"] = others_busy(snap, now)
    snap = now
    report["exact_source"] = exact_source

    # ---- binary sign codes -----------------------------------------------------------------------------------
    if "binary" not in skip:
        log("IndexBinaryFlat on sign codes")
        try:
            a0 = anon_mb()
            t0 = time.perf_counter_ns()
            sift_codes = os.path.join(args.dir, "signcodes.u8")
            sift_qcodes = os.path.join(args.dir, "querysigns.u8")
            if os.path.isfile(sift_codes) and os.path.isfile(sift_qcodes):
                # Sift's own sign codes (of the randomly rotated rows and queries): the same bits Sift scans.
                codes = np.ascontiguousarray(np.fromfile(sift_codes, dtype=np.uint8).reshape(-1, D // 8)[:R])
                qcodes = np.ascontiguousarray(np.fromfile(sift_qcodes, dtype=np.uint8).reshape(-1, D // 8)[:nq])
                code_source = "sift (rotated sign codes, signcodes.u8 / querysigns.u8)"
            else:
                codes = np.empty((R, D // 8), dtype=np.uint8)
                for s in range(0, R, block_rows):
                    codes[s:s + block_rows] = np.packbits(np.asarray(X[s:s + block_rows]) > 0, axis=1, bitorder="little")
                qcodes = np.packbits(Xq > 0, axis=1, bitorder="little")
                code_source = "signs of the exported vectors (no rotation)"
            encode_ms = now_ms(t0)
            index = faiss.IndexBinaryFlat(D)
            t0 = time.perf_counter_ns()
            index.add(codes)
            add_ms = now_ms(t0)
            a1 = anon_mb()
            br = {"index": "IndexBinaryFlat", "code_source": code_source, "code_bytes_per_row": int(index.code_size),
                  "encode_ms": r3(encode_ms), "add_ms": r3(add_ms), "payload_mib": mib(R * index.code_size),
                  "rss_anon_delta_mib": r3(a1 - a0),
                  "note": "rss_anon_delta includes the numpy codes array (the index holds its own copy)",
                  "bits_set_per_row_mean": r3(np.bitwise_count(codes[: min(R, 2000)]).sum(axis=1).mean()),
                  "use_heap": bool(index.use_heap)}
            # Hamming distance of every exact id to its query, for the tie-inclusive upper bounds
            ex_valid = exact >= 0                                                     # -1: padding
            ex_dist = np.bitwise_count(codes[np.where(ex_valid, exact, 0)] ^ qcodes[:, None, :]).sum(
                axis=2, dtype=np.int64)                                               # (nq, C)
            del codes
            gc.collect()
            br["rss_anon_delta_after_freeing_numpy_codes_mib"] = r3(anon_mb() - a0)
            sf = search_fn(index)
            depths = sorted({n for n in [C] + [int(x) for x in args.binary_depths.split(",") if x] if n <= R})
            br["depths"] = {}
            for N in depths:
                tN, _ = single_times(sf, qcodes, N)
                bt, (Dn, In) = batch_time(sf, qcodes, N, args.batch_repeats)
                kth = Dn[:, -1:].astype(np.int64)
                d = {"single": single_stats(tN), "batch_ms_per_query": r3(bt / nq),
                     "recall%d" % K: r4(recall(In, exact, K)),
                     "recall%d" % C: r4(recall(In, exact, C)),
                     "recall%d_ties_upper" % K: r4(ties_upper(ex_dist[:, :K], ex_valid[:, :K], kth)),
                     "recall%d_ties_upper" % C: r4(ties_upper(ex_dist, ex_valid, kth)),
                     "nth_distance_mean": r3(kth.mean())}
                br["depths"][str(N)] = d
                log(f"  top-{N}: single p50 {d['single']['p50_ms']} ms, batch {d['batch_ms_per_query']} ms/query, "
                    f"recall of exact top-{K} {d['recall%d' % K]}, of exact top-{C} {d['recall%d' % C]}")
            br["single_top%d" % C] = br["depths"][str(C)]["single"]
            br["batch_top%d_ms_per_query" % C] = br["depths"][str(C)]["batch_ms_per_query"]
            br["stage1_recall%d_at_%d" % (K, C)] = br["depths"][str(C)]["recall%d" % K]
            br["exact_top%d_distance_mean" % K] = r3(ex_dist[:, :K][ex_valid[:, :K]].mean())
            report["binary"] = br
            del index
        except MemoryError as e:
            report["binary"] = {"error": f"MemoryError: {e}"}
        gc.collect()

    now = cpu_snapshot()
    if "binary" not in skip:
        noise["binary"] = others_busy(snap, now)
    snap = now
    # ---- scalar quantizer, 8 bits -----------------------------------------------------------------------------
    if "sq8" not in skip:
        log("IndexScalarQuantizer QT_8bit")
        try:
            a0 = anon_mb()
            index = faiss.IndexScalarQuantizer(D, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            train_rows = R if not args.sq_train_rows else min(R, args.sq_train_rows)
            t0 = time.perf_counter_ns()
            index.train(np.ascontiguousarray(X[:train_rows], dtype=np.float32))
            train_ms = now_ms(t0)
            add_ms = add_in_blocks(index, X, block_rows)
            a1 = anon_mb()
            sf = search_fn(index)
            sr = {"index": "IndexScalarQuantizer(QT_8bit, METRIC_INNER_PRODUCT)", "train_rows": train_rows,
                  "train_ms": r3(train_ms), "add_ms": r3(add_ms), "train_add_ms": r3(train_ms + add_ms),
                  "code_bytes_per_row": int(index.code_size),
                  "payload_mib": mib(R * index.code_size + 2 * D * 4), "rss_anon_delta_mib": r3(a1 - a0)}
            t10, ids10 = single_times(sf, Xq, K)
            tC, idsC = single_times(sf, Xq, C)
            sr["single_top%d" % K] = single_stats(t10)
            sr["single_top%d" % C] = single_stats(tC)
            bt, _ = batch_time(sf, Xq, K, args.batch_repeats)
            btC, _ = batch_time(sf, Xq, C, args.batch_repeats)
            sr["batch_top%d_ms_per_query" % K] = r3(bt / nq)
            sr["batch_top%d_ms_per_query" % C] = r3(btC / nq)
            sr["recall%d_at_%d" % (K, K)] = r4(recall(ids10, exact, K))
            sr["recall%d_at_%d" % (C, C)] = r4(recall(idsC, exact, C))
            sr["recall%d_at_%d" % (K, C)] = r4(recall(idsC, exact, K))
            report["sq8"] = sr
            log(f"  train {train_ms / 1000:.2f} s + add {add_ms / 1000:.2f} s; single top-{K} p50 "
                f"{sr['single_top%d' % K]['p50_ms']} ms; recall@{K} {sr['recall%d_at_%d' % (K, K)]}, "
                f"recall@{C} {sr['recall%d_at_%d' % (C, C)]}")
            del index
        except MemoryError as e:
            report["sq8"] = {"error": f"MemoryError: {e}"}
        gc.collect()

    now = cpu_snapshot()
    if "sq8" not in skip:
        noise["sq8"] = others_busy(snap, now)
    snap = now
    # ---- HNSW ---------------------------------------------------------------------------------------------------
    if "hnsw" not in skip:
        log(f"IndexHNSWFlat M={args.hnsw_m} efConstruction={args.hnsw_ef_construction}")
        try:
            a0 = anon_mb()
            index = faiss.IndexHNSWFlat(D, args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = args.hnsw_ef_construction
            add_ms = add_in_blocks(index, X, args.hnsw_add_block, progress="HNSW add")
            a1 = anon_mb()
            h = index.hnsw
            graph_bytes = h.neighbors.size() * 4 + h.levels.size() * 4 + h.offsets.size() * 8
            levels = faiss.vector_to_array(h.levels)
            hr = {"index": f"IndexHNSWFlat(M={args.hnsw_m}, METRIC_INNER_PRODUCT)", "M": args.hnsw_m,
                  "efConstruction": int(h.efConstruction), "build_ms": r3(add_ms),
                  "add_block_rows": args.hnsw_add_block, "payload_mib": mib(R * D * 4 + graph_bytes),
                  "graph_mib": mib(graph_bytes), "max_level": int(h.max_level),
                  "rows_above_level0": int((levels > 1).sum()), "rss_anon_delta_mib": r3(a1 - a0)}
            sf = search_fn(index)
            sweep, prev, gains_small, stopped = [], None, 0, "end of the --hnsw-ef list"
            for ef in [int(x) for x in args.hnsw_ef.split(",") if x]:
                h.efSearch = ef
                t10, ids10 = single_times(sf, Xq, K)
                bt, _ = batch_time(sf, Xq, K, args.batch_repeats)
                rec = recall(ids10, exact, K)
                row = {"efSearch": ef, "single": single_stats(t10), "batch_ms_per_query": r3(bt / nq),
                       "recall%d" % K: r4(rec)}
                sweep.append(row)
                log(f"  efSearch {ef}: single p50 {row['single']['p50_ms']} ms p99 {row['single']['p99_ms']} ms, "
                    f"batch {row['batch_ms_per_query']} ms/query, recall@{K} {row['recall%d' % K]}")
                gain = None if prev is None else rec - prev
                prev = rec
                if rec >= 1.0 - 1e-9:
                    stopped = f"recall@{K} reached 1 at efSearch {ef}"
                    break
                if gain is not None and gain < args.hnsw_saturation:
                    gains_small += 1
                    if rec >= args.hnsw_target_recall:
                        stopped = f"recall@{K} >= target and gained < {args.hnsw_saturation} at efSearch {ef}"
                        break
                    if gains_small >= 2:
                        stopped = f"two steps running gained < {args.hnsw_saturation} (at efSearch {ef})"
                        break
                else:
                    gains_small = 0
            hr["sweep"] = sweep
            hr["sweep_stopped"] = stopped
            hit = next((r for r in sweep if r["recall%d" % K] >= args.hnsw_target_recall), None)
            hr["target_recall"] = args.hnsw_target_recall
            hr["target"] = None if hit is None else {"efSearch": hit["efSearch"], "recall%d" % K: hit["recall%d" % K],
                                                     "single_p50_ms": hit["single"]["p50_ms"],
                                                     "single_p99_ms": hit["single"]["p99_ms"],
                                                     "batch_ms_per_query": hit["batch_ms_per_query"]}
            report["hnsw"] = hr
            log(f"  build {add_ms / 1000:.1f} s; target recall@{K} >= {args.hnsw_target_recall}: "
                + ("not reached" if hit is None else f"efSearch {hit['efSearch']}, p50 {hit['single']['p50_ms']} ms"))
            del index, h
        except MemoryError as e:
            report["hnsw"] = {"error": f"MemoryError: {e}"}
        gc.collect()

    now = cpu_snapshot()
    if "hnsw" not in skip:
        noise["hnsw"] = others_busy(snap, now)
    snap = now
    report["rss_end_mib"] = proc_status()
    report["peak_rss_mib"] = report["rss_end_mib"].get("VmHWM")
    return report


def environment():
    import platform
    import numpy as np
    import threadpoolctl
    import faiss
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), ""),
        "nproc": os.cpu_count(),
        "versions": {"numpy": np.__version__, "faiss-cpu": faiss.__version__,
                     "threadpoolctl": threadpoolctl.__version__},
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                                 "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "faiss_compile_options": faiss.get_compile_options(),
        "faiss_loader": getattr(faiss, "__file__", ""),
        "threadpools": [{k: p.get(k) for k in ("user_api", "internal_api", "prefix", "version", "architecture",
                                               "threading_layer", "num_threads", "filepath")}
                        for p in threadpoolctl.threadpool_info()],
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }
    return info


def table(rep):
    """A short human-readable table."""
    K, C = rep["k"], rep["candidates"]

    def f(x, w=9):
        return ("—" if x is None else (f"{x:.3f}" if abs(x) < 100 else f"{x:.1f}")).rjust(w)

    lines = [f"{rep['rows']:,} x {rep['dim']} ({rep['vectors_mib']:.0f} MiB float32), {rep['queries']} queries, "
             f"{rep['threads']} thread(s); times in ms; memory in MiB (payload / RssAnon delta)",
             f"{'index':<28}{'build s':>9}{'memory':>16}{'single p50':>11}{'p99':>9}{'batch/q':>9}  recall"]

    def row(name, build_ms, mem, single, batch, rec):
        m = "—" if mem[0] is None else f"{mem[0]:.0f} / {mem[1]:.0f}"
        lines.append(f"{name:<28}{f(None if build_ms is None else build_ms / 1000)}{m:>16}"
                     f"{f(single.get('p50_ms') if single else None, 11)}{f(single.get('p99_ms') if single else None)}"
                     f"{f(batch)}  {rec}")

    fr = rep.get("flat")
    if fr and "error" not in fr:
        row(f"flat IP top-{K}", fr["add_ms"], (fr["payload_mib"], fr["rss_anon_delta_mib"]), fr[f"single_top{K}"],
            fr[f"batch_top{K}_ms_per_query"], f"r{K}@{K} {fr[f'recall{K}_at_{K}']}")
        row(f"flat IP top-{C}", None, (None, None), fr[f"single_top{C}"], fr[f"batch_top{C}_ms_per_query"], "")
    br = rep.get("binary")
    if br and "error" not in br:
        first = True
        for N, d in br["depths"].items():
            row(f"binary top-{N}", (br["encode_ms"] + br["add_ms"]) if first else None,
                (br["payload_mib"], br["rss_anon_delta_after_freeing_numpy_codes_mib"]) if first else (None, None),
                d["single"], d["batch_ms_per_query"],
                f"r{K}@{N} {d[f'recall{K}']} (ties<= {d[f'recall{K}_ties_upper']}), "
                f"r{C}@{N} {d[f'recall{C}']} (ties<= {d[f'recall{C}_ties_upper']})")
            first = False
    sr = rep.get("sq8")
    if sr and "error" not in sr:
        row(f"sq8 top-{K}", sr["train_add_ms"], (sr["payload_mib"], sr["rss_anon_delta_mib"]), sr[f"single_top{K}"],
            sr[f"batch_top{K}_ms_per_query"], f"r{K}@{K} {sr[f'recall{K}_at_{K}']}")
        row(f"sq8 top-{C}", None, (None, None), sr[f"single_top{C}"], sr[f"batch_top{C}_ms_per_query"],
            f"r{C}@{C} {sr[f'recall{C}_at_{C}']}, r{K}@{C} {sr[f'recall{K}_at_{C}']}")
    hr = rep.get("hnsw")
    if hr and "error" not in hr:
        first = True
        for s in hr["sweep"]:
            row(f"hnsw M{hr['M']} efC{hr['efConstruction']} ef{s['efSearch']}", hr["build_ms"] if first else None,
                (hr["payload_mib"], hr["rss_anon_delta_mib"]) if first else (None, None), s["single"],
                s["batch_ms_per_query"], f"r{K}@{K} {s[f'recall{K}']}")
            first = False
        t = hr.get("target")
        lines.append(f"hnsw: smallest efSearch with recall@{K} >= {hr['target_recall']}: "
                     + ("not reached" if t is None else f"{t['efSearch']} (recall {t[f'recall{K}']}, "
                                                         f"p50 {t['single_p50_ms']} ms)") + f"; {hr['sweep_stopped']}")
    for name in SECTIONS:
        if isinstance(rep.get(name), dict) and "error" in rep[name]:
            lines.append(f"{name}: {rep[name]['error']}")
    sec = rep.get("sections", {})
    if sec:
        lines.append("sections (s, others' CPU share): " + ", ".join(
            f"{k} {v['seconds']:.1f} s, {v['others_cpu_share']:.0%}" for k, v in sec.items() if v))
    lines.append(f"exact top-{C} from {rep.get('exact_source')}; peak RSS {rep.get('peak_rss_mib', 0):.0f} MiB; "
                 f"wall {rep.get('wall_seconds', 0):.0f} s")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="the export directory (vectors.f32, queries.f32, meta.json)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", help="write the JSON here instead of stdout")
    ap.add_argument("--max-rows", type=int, default=0, help="use only the first N rows (0: all)")
    ap.add_argument("--queries", type=int, default=0, help="use only the first Q queries (0: all)")
    ap.add_argument("--skip", default="", help=f"comma-separated sections to skip: {','.join(SECTIONS)}")
    ap.add_argument("--single-threads", type=int, default=0,
                    help="faiss OpenMP threads for the single-query loops (0: --threads)")
    ap.add_argument("--batch-repeats", type=int, default=3)
    ap.add_argument("--binary-depths", default="400,1000,4000,10000")
    ap.add_argument("--sq-train-rows", type=int, default=0, help="train SQ8 on the first N rows (0: all)")
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--hnsw-ef-construction", type=int, default=40)
    ap.add_argument("--hnsw-ef", default="16,32,64,128,256,512,1024")
    ap.add_argument("--hnsw-target-recall", type=float, default=0.99)
    ap.add_argument("--hnsw-saturation", type=float, default=0.001,
                    help="a step of the efSearch sweep that gains less recall than this counts as saturated")
    ap.add_argument("--hnsw-add-block", type=int, default=100_000, help="rows per HNSW add call (progress)")
    args = ap.parse_args()
    for name in ("threads", "batch_repeats", "hnsw_m", "hnsw_ef_construction", "hnsw_add_block"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    # Thread counts must be in the environment before numpy / faiss load their BLAS and OpenMP runtimes.
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    t0 = time.time()
    env = environment()
    log("; ".join(f"{p['internal_api']} {p['version']} {p['architecture'] or ''} ({os.path.basename(p['filepath'] or '')})"
                  for p in env["threadpools"]) + f"; faiss {env['versions']['faiss-cpu']} "
        f"{env['faiss_compile_options'].strip()}")
    report = run(args)
    report["environment"] = env
    report["environment"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    report["wall_seconds"] = r3(time.time() - t0)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    print(table(report), file=sys.stderr)


if __name__ == "__main__":
    main()
