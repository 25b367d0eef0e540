#!/usr/bin/env python3
"""Runs the C++ verifier over the conformance corpus: `touchstone piece verify
NAME.tsbundle --vkey K --witness W --quorum Q --auditor-key A --auditor-quorum N --piece ID
--json` for every
manifest entry. Prints (or returns) {name: {"ok", "rule", "detail"}}.

Usage: cli_runner.py --touchstone PATH --corpus DIR"""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from e2e_support import clean_env  # noqa: E402


def verify(touchstone, corpus, manifest, e):
    args = [touchstone, "piece", "verify", os.path.join(corpus, e["binary"]),
            "--vkey", manifest["vkey"], "--quorum", str(manifest["quorum"]),
            "--piece", e["piece"], "--json"]
    for w in manifest["witness_keys"]:
        args += ["--witness", w]
    for a in manifest.get("auditor_keys", []):
        args += ["--auditor-key", a]
    if manifest.get("auditor_keys"):
        args += ["--auditor-quorum", str(manifest["auditor_quorum"])]
    proc = subprocess.run(args, capture_output=True, env=clean_env(), timeout=120)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        return {"ok": False, "rule": "?", "detail": "exit %d, no JSON: %s%s" % (
            proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))}
    if out["verdict"] != (proc.returncode == 0):
        return {"ok": False, "rule": "?",
                "detail": "exit %d with verdict %s" % (proc.returncode, out["verdict"])}
    return {"ok": out["verdict"], "rule": out.get("rule", ""), "detail": out["reason"]}


def run(touchstone, corpus):
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda e: verify(touchstone, corpus, manifest, e), manifest["entries"])
        return {e["name"]: r for e, r in zip(manifest["entries"], results)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--touchstone", required=True)
    parser.add_argument("--corpus", required=True)
    args = parser.parse_args()
    json.dump(run(os.path.abspath(args.touchstone), args.corpus), sys.stdout, indent=1)
    print()
