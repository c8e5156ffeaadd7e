# SPDX-License-Identifier: GPL-2.0
"""json_shapes.py - checks real `fwctl -j` output against the shapes block
in docs/usage.md (section "JSON output"), both ways: every documented field
is there (unless marked `?`), no field is there that the block does not name,
enumerations hold their documented words, times are ISO 8601 with a zone.

usage: python3 json_shapes.py TESTNAME USAGE.md DIR
DIR holds NAME.json for each document name of the block (one JSON document
per line). Prints the lines of tests/lib.sh's protocol; exits 1 on a failure.
"""
import json
import re
import sys

ISO8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def shapes_block(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^### JSON output\n(.*?)(?=^### )", text, re.S | re.M)
    if not m:
        raise SystemExit(f"FAIL {TEST}/docs_block: no '### JSON output' section in {path}")
    fence = re.search(r"^```\n(.*?)^```", m.group(1), re.S | re.M)
    if not fence:
        raise SystemExit(f"FAIL {TEST}/docs_block: no fenced block in '### JSON output'")
    return [l for l in fence.group(1).splitlines() if l.strip()]


def walk(docs, path):
    """The values at PATH ("doc.a[].b") in every document."""
    segs = path.split(".")[1:]
    vals = list(docs)
    for s in segs:
        nxt = []
        key = s[:-2] if s.endswith("[]") else s
        for v in vals:
            if not isinstance(v, dict) or key not in v:
                continue
            x = v[key]
            if s.endswith("[]"):
                nxt.extend(x if isinstance(x, list) else [])
            else:
                nxt.append(x)
        vals = nxt
    return vals


TEST = sys.argv[1]
lines = shapes_block(sys.argv[2])
outdir = sys.argv[3]
fails = 0
fields = {}  # path -> (required, optional)
enums = []  # (path, field, words)
times = []  # (path, field)
for l in lines:
    if " = " in l:
        p, words = l.split(" = ", 1)
        enums.append((p.rsplit(".", 1)[0], p.rsplit(".", 1)[1], words.split("|")))
    elif " ~ " in l:
        p, kind = l.split(" ~ ", 1)
        assert kind == "iso8601", l
        times.append((p.rsplit(".", 1)[0], p.rsplit(".", 1)[1]))
    else:
        p, names = l.split(": ", 1)
        req, opt = set(), set()
        for n in names.split():
            optional = n.endswith("?")  # "errors[]?": an array, only sometimes
            n = n.rstrip("?")
            n = n[:-2] if n.endswith("[]") else n
            (opt if optional else req).add(n)
        fields[p] = (req, opt)

docs = {}
for name in sorted({p.split(".")[0] for p in fields}):
    try:
        with open(f"{outdir}/{name}.json", encoding="utf-8") as f:
            docs[name] = [json.loads(x) for x in f if x.strip()]
    except (OSError, ValueError) as e:
        docs[name] = []
        print(f"FAIL {TEST}/{name}_parses: {e}")
        fails += 1


def fail(name, why, detail=""):
    global fails
    fails += 1
    print(f"FAIL {TEST}/{name}: {why}")
    if detail:
        print("\n".join("  " + d for d in detail.splitlines()[:20]))


for name, ds in docs.items():
    bad = []
    if not ds:
        fail(f"{name}_shape", "no output to check")
        continue
    for path, (req, opt) in fields.items():
        if path.split(".")[0] != name:
            continue
        objs = [o for o in walk(ds, path) if o is not None]
        if not objs:
            bad.append(f"{path}: no such object in the output: the test does not exercise it")
        for o in objs:
            if not isinstance(o, dict):
                bad.append(f"{path}: not an object: {json.dumps(o)[:80]}")
                continue
            keys = set(o)
            if req - keys:
                bad.append(f"{path}: documented, missing: {sorted(req - keys)}")
            if keys - req - opt:
                bad.append(f"{path}: not documented: {sorted(keys - req - opt)}")
            for k, v in o.items():
                nested = isinstance(v, dict) or (
                    isinstance(v, list) and any(isinstance(x, dict) for x in v))
                sub = f"{path}.{k}" + ("[]" if isinstance(v, list) else "")
                if nested and sub not in fields:
                    bad.append(f"{sub}: an object the block does not describe")
    for path, field, words in enums:
        if path.split(".")[0] != name:
            continue
        for o in walk(ds, path):
            if isinstance(o, dict) and field in o:
                v = "null" if o[field] is None else o[field]
                if v not in words:
                    bad.append(f"{path}.{field}: '{v}' is none of {'|'.join(words)}")
    for path, field in times:
        if path.split(".")[0] != name:
            continue
        for o in walk(ds, path):
            if isinstance(o, dict) and not ISO8601.match(str(o.get(field))):
                bad.append(f"{path}.{field}: '{o.get(field)}' is not ISO 8601 with a zone")
    if bad:
        fail(f"{name}_shape", f"{len(set(bad))} difference(s) from docs/usage.md",
             "\n".join(sorted(set(bad))))
    else:
        print(f"ok {TEST}/{name}_shape")

sys.exit(1 if fails else 0)
