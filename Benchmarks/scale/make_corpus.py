#!/usr/bin/env python3
"""Seeded, deterministic generator of a large real-text retrieval corpus (see README.md beside this file).

    python3 Benchmarks/scale/make_corpus.py --out DIR [--passages N] [--seed S] [--sets a,b,c]
                                            [--datasets DIR] [--zh-share P|chars] [--pool-sets a,b,c]

Writes to DIR:
  passages.jsonl          N passages {"id","title","text"}: every original passage of the selected sets
                          (id "<set>/<id>", title and text verbatim), in set order and file order, then
                          synthetic distractors "syn/0", "syn/1", ... up to N in total.
  queries-<set>.jsonl     one per selected set: the set's queries with "<set>/" in front of id and positive_ids.
  manifest.json           parameters, counts, sentence-pool sizes, sha1 of every file written and read.

Synthetic passages recombine real sentences: the passage texts of the pool sets (default: all seven) are split
into sentences, kept in one pool per language (zh = the sentence contains a CJK ideograph, en otherwise). For each
synthetic passage: pick the language (zh with probability --zh-share), draw a target length uniformly from
200..700 characters, then draw sentences uniformly with replacement from that pool until the text is at least
that long; title = the title of the passage the first sentence came from.

The only source of randomness is random.Random(seed).random() (Mersenne Twister doubles, the same on every
CPython version), so the output is byte-identical for the same seed, N, sets, pool sets, zh share and input files.
"""
import argparse
import hashlib
import json
import os
import random
import re
import sys
import time

ALL_SETS = ["cmrc2018", "drcd", "xquad_zh", "xquad_en", "cranfield", "ds_interviews_en", "llm_interview_note_zh"]
# Declared language of each set's original passages (used only for the per-language counts in the manifest).
SET_LANG = {"cmrc2018": "zh", "drcd": "zh", "xquad_zh": "zh", "xquad_en": "en", "cranfield": "en",
            "ds_interviews_en": "en", "llm_interview_note_zh": "zh"}
DEFAULT_SEED = 20261201
DEFAULT_PASSAGES = 1_000_000
MIN_TARGET, MAX_TARGET = 200, 700        # synthetic text length target, characters, uniform inclusive
MIN_SENTENCE = 6                         # shorter sentences are dropped
MAX_SENTENCE = 500                       # longer sentences are cut to this many characters
GENERATOR_VERSION = 1                    # bump when the output for a given seed changes

# CJK ideographs: unified + extension A, compatibility ideographs, extensions B..F (U+20000..U+2FFFF).
CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# Chinese sentence end: 。！？； plus any closing quotes/brackets right after it; split right after.
ZH_END = re.compile("([。！？；][」』”’）》〉\"')\\]]*)")
# Latin sentence end: . ! ? (plus closing quotes/brackets) followed by whitespace; the whitespace is dropped.
EN_END = re.compile("([.!?][\"'”’)\\]]*)\\s+")
SPLIT = "\x00"


def split_sentences(text):
    """Sentences of one passage text, in order, stripped. Lines are split first and the lines of fenced code
    blocks (``` or ~~~ fences, markdown in the FAQ sets) are skipped: they are code, not sentences."""
    out = []
    in_code = False
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("```") or line.startswith("~~~"):
            in_code = not in_code
            continue
        if in_code or not line:
            continue
        marked = EN_END.sub("\\1" + SPLIT, ZH_END.sub("\\1" + SPLIT, line))
        for s in marked.split(SPLIT):
            s = s.strip()
            if s:
                out.append(s)
    return out


def cut(s):
    """Cut a sentence longer than MAX_SENTENCE characters (at the last space after 400 characters if there is one)."""
    s = s[:MAX_SENTENCE]
    sp = s.rfind(" ")
    if sp >= MAX_SENTENCE - 100:
        s = s[:sp]
    return s.rstrip()


def sha1_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"make_corpus: {path}:{n}: invalid JSON ({e})")


def parse_sets(value, flag):
    sets = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in sets if s not in ALL_SETS]
    if unknown:
        sys.exit(f"make_corpus: {flag}: unknown set(s) {', '.join(unknown)}; known: {','.join(ALL_SETS)}")
    if len(set(sets)) != len(sets):
        sys.exit(f"make_corpus: {flag}: a set is named twice")
    if not sets:
        sys.exit(f"make_corpus: {flag}: no set named")
    return sets


class Pool:
    """Sentences of one language, with the index of the title of the passage each came from."""

    def __init__(self):
        self.sentences = []
        self.title_ix = []
        self.chars = 0
        self.per_set = {}

    def add(self, s, tix, set_name):
        self.sentences.append(s)
        self.title_ix.append(tix)
        self.chars += len(s)
        self.per_set[set_name] = self.per_set.get(set_name, 0) + 1


class Writer:
    """Buffered binary writer that hashes and counts exactly the bytes it writes."""

    def __init__(self, path):
        self.path = path
        self.tmp = path + ".tmp"
        self.f = open(self.tmp, "wb")
        self.h = hashlib.sha1()
        self.bytes = 0
        self.lines = 0
        self.buf = []

    def line(self, s):
        self.buf.append(s)
        self.lines += 1
        if len(self.buf) >= 8192:
            self.flush()

    def flush(self):
        if self.buf:
            b = ("\n".join(self.buf) + "\n").encode("utf-8")
            self.h.update(b)
            self.f.write(b)
            self.bytes += len(b)
            self.buf = []

    def close(self):
        self.flush()
        self.f.close()
        os.replace(self.tmp, self.path)
        return self.h.hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--passages", type=int, default=DEFAULT_PASSAGES,
                    help=f"total passages N, originals included (default {DEFAULT_PASSAGES})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--sets", default=",".join(ALL_SETS),
                    help="sets whose original passages and queries go in (default: all seven)")
    ap.add_argument("--datasets", default=os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "datasets")),
                    help="folder with one sub-folder per set (default: ../../../shared/datasets from this script)")
    ap.add_argument("--zh-share", default="0.5",
                    help="probability that a synthetic passage is Chinese, 0..1, or 'chars' for the zh pool's "
                         "share of all pool characters (default 0.5)")
    ap.add_argument("--pool-sets", default=",".join(ALL_SETS),
                    help="sets whose sentences feed the synthetic passages (default: all seven, whatever --sets says)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    sets = parse_sets(args.sets, "--sets")
    pool_sets = parse_sets(args.pool_sets, "--pool-sets")
    if not os.path.isdir(args.datasets):
        sys.exit(f"make_corpus: datasets directory '{args.datasets}' not found")
    if args.seed < 0:
        sys.exit("make_corpus: --seed must be >= 0")
    if args.zh_share != "chars":
        try:
            zh_share = float(args.zh_share)
        except ValueError:
            sys.exit(f"make_corpus: --zh-share must be a number in 0..1 or 'chars', not '{args.zh_share}'")
        if not 0.0 <= zh_share <= 1.0:
            sys.exit(f"make_corpus: --zh-share must be in 0..1, not {zh_share}")

    needed = sorted(set(sets) | set(pool_sets), key=ALL_SETS.index)
    inputs = {}
    for s in needed:
        for kind in ("passages", "queries"):
            p = os.path.join(args.datasets, s, kind + ".jsonl")
            if not os.path.isfile(p):
                sys.exit(f"make_corpus: missing input file {p}")
        inputs[s] = {k: sha1_file(os.path.join(args.datasets, s, k + ".jsonl")) for k in ("passages", "queries")}

    # 1. Sentence pools from the pool sets (always in ALL_SETS order, independent of --sets).
    titles, title_of = [], {}
    pools = {"zh": Pool(), "en": Pool()}
    dropped_short = cut_long = 0
    for s in [x for x in ALL_SETS if x in pool_sets]:
        for p in read_jsonl(os.path.join(args.datasets, s, "passages.jsonl")):
            title = p.get("title", "")
            tix = title_of.get(title)
            if tix is None:
                tix = title_of[title] = len(titles)
                titles.append(title)
            for sent in split_sentences(p.get("text", "")):
                if len(sent) > MAX_SENTENCE:
                    sent = cut(sent)
                    cut_long += 1
                if len(sent) < MIN_SENTENCE:
                    dropped_short += 1
                    continue
                pools["zh" if CJK.search(sent) else "en"].add(sent, tix, s)
    total_chars = pools["zh"].chars + pools["en"].chars
    if args.zh_share == "chars":
        zh_share = pools["zh"].chars / total_chars if total_chars else 0.0

    # 2. Count the originals (first pass, small) and validate N before writing anything.
    originals = {}
    for s in sets:
        originals[s] = sum(1 for _ in read_jsonl(os.path.join(args.datasets, s, "passages.jsonl")))
    n_orig = sum(originals.values())
    if args.passages < n_orig:
        sys.exit(f"make_corpus: --passages {args.passages} is less than the {n_orig} original passages of the "
                 f"selected sets ({', '.join(f'{s} {originals[s]}' for s in sets)}); use at least {n_orig} "
                 f"or select fewer sets")
    n_syn = args.passages - n_orig
    if n_syn:
        if zh_share > 0 and not pools["zh"].sentences:
            sys.exit("make_corpus: the zh sentence pool is empty (see --pool-sets); use --zh-share 0")
        if zh_share < 1 and not pools["en"].sentences:
            sys.exit("make_corpus: the en sentence pool is empty (see --pool-sets); use --zh-share 1")

    # The corpus holds third-party text (one set with no licence): never let it land inside the repository.
    repo = os.path.realpath(os.path.join(here, "..", ".."))
    out_real = os.path.realpath(args.out)
    if out_real == repo or out_real.startswith(repo + os.sep):
        sys.exit(f"make_corpus: --out {args.out} is inside the repository ({repo}); the generated corpus must "
                 f"never be committed, write it elsewhere (e.g. /tmp/sift-scale-1m)")
    os.makedirs(args.out, exist_ok=True)
    enc = json.JSONEncoder(ensure_ascii=False).encode   # == json.dumps(obj, ensure_ascii=False)

    # 3. Query files (every positive id must be a passage id of its set).
    out_files = {}
    queries = {}
    for s in sets:
        ids = set()
        for p in read_jsonl(os.path.join(args.datasets, s, "passages.jsonl")):
            ids.add(p["id"])
        w = Writer(os.path.join(args.out, f"queries-{s}.jsonl"))
        missing = 0
        for q in read_jsonl(os.path.join(args.datasets, s, "queries.jsonl")):
            q = dict(q)
            q["id"] = f"{s}/{q['id']}"
            missing += sum(1 for i in q["positive_ids"] if i not in ids)
            q["positive_ids"] = [f"{s}/{i}" for i in q["positive_ids"]]
            w.line(enc(q))
        if missing:
            sys.exit(f"make_corpus: {s}: {missing} positive_ids are not passage ids of the set")
        out_files[f"queries-{s}.jsonl"] = {"sha1": w.close(), "bytes": w.bytes, "lines": w.lines}
        queries[s] = w.lines

    # 4. passages.jsonl: originals in set order, then synthetic passages, streamed.
    w = Writer(os.path.join(args.out, "passages.jsonl"))
    orig_lang = {"zh": 0, "en": 0}
    for s in sets:
        for p in read_jsonl(os.path.join(args.datasets, s, "passages.jsonl")):
            w.line(enc({"id": f"{s}/{p['id']}", "title": p.get("title", ""), "text": p.get("text", "")}))
        orig_lang[SET_LANG[s]] += originals[s]

    rnd = random.Random(args.seed).random
    zh, en = pools["zh"], pools["en"]
    zh_s, zh_t, zh_n = zh.sentences, zh.title_ix, len(zh.sentences)
    en_s, en_t, en_n = en.sentences, en.title_ix, len(en.sentences)
    enc_title = [enc(t) for t in titles]
    syn_lang = {"zh": 0, "en": 0}
    draws = {"zh": 0, "en": 0}
    syn_chars = {"zh": 0, "en": 0}
    span = MAX_TARGET - MIN_TARGET + 1
    for n in range(n_syn):
        if rnd() < zh_share:
            lang, sents, tixs, size, sep = "zh", zh_s, zh_t, zh_n, ""
        else:
            lang, sents, tixs, size, sep = "en", en_s, en_t, en_n, " "
        target = MIN_TARGET + int(rnd() * span)
        i = int(rnd() * size)
        tix = tixs[i]
        parts = [sents[i]]
        length = len(sents[i])
        while length < target:
            i = int(rnd() * size)
            parts.append(sents[i])
            length += len(sep) + len(sents[i])
        text = sep.join(parts)
        w.line('{"id": "syn/%d", "title": %s, "text": %s}' % (n, enc_title[tix], enc(text)))
        syn_lang[lang] += 1
        draws[lang] += len(parts)
        syn_chars[lang] += length
    passages_sha1 = w.close()
    passages_bytes = w.bytes
    out_files["passages.jsonl"] = {"sha1": passages_sha1, "bytes": passages_bytes, "lines": w.lines}
    assert w.lines == args.passages

    manifest = {
        "generator": "Benchmarks/scale/make_corpus.py",
        "generator_version": GENERATOR_VERSION,
        "seed": args.seed,
        "passages": args.passages,
        "sets": sets,
        "pool_sets": [x for x in ALL_SETS if x in pool_sets],
        "zh_share": args.zh_share if args.zh_share == "chars" else zh_share,
        "zh_probability": zh_share,
        "passages_sha1": passages_sha1,
        "passages_bytes": passages_bytes,
        "counts": {
            "original": n_orig,
            "original_per_set": originals,
            "original_per_language": orig_lang,
            "synthetic": n_syn,
            "synthetic_per_language": syn_lang,
            "per_language": {k: orig_lang[k] + syn_lang[k] for k in ("zh", "en")},
            "queries_per_set": queries,
        },
        "sentence_pools": {
            k: {"sentences": len(pools[k].sentences), "chars": pools[k].chars, "sentences_per_set": pools[k].per_set}
            for k in ("zh", "en")
        },
        "sentence_rules": {
            "min_chars": MIN_SENTENCE, "max_chars": MAX_SENTENCE,
            "dropped_short": dropped_short, "cut_long": cut_long,
        },
        "synthetic_stats": {
            k: {
                "passages": syn_lang[k],
                "sentence_draws": draws[k],
                "mean_chars": round(syn_chars[k] / syn_lang[k], 1) if syn_lang[k] else 0,
                "mean_draws_per_pool_sentence": round(draws[k] / len(pools[k].sentences), 2)
                if pools[k].sentences else 0,
            } for k in ("zh", "en")
        },
        "target_chars": [MIN_TARGET, MAX_TARGET],
        "titles": len(titles),
        "files": out_files,
        "inputs": inputs,
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")

    secs = time.perf_counter() - t0
    print(f"make_corpus: wrote {args.passages} passages ({n_orig} original, {n_syn} synthetic: "
          f"{syn_lang['zh']} zh, {syn_lang['en']} en), {passages_bytes} bytes, sha1 {passages_sha1}, "
          f"{sum(queries.values())} queries in {len(sets)} file(s), to {args.out} in {secs:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
