#!/usr/bin/env python3
"""Writes the conformance corpus (ledger/bundle/bundle_rules.h, issue 12): the honest
bundle of every demo piece and bundles forged to break one rule each
(forgeries.py, forgeries_graph.py, forgeries_trade.py, forgeries_owner.py,
forgeries_sealed.py), from a real touchstoned seeded by
`touchstone demo` and cosigned by a real witness (demo_log.py).

In OUT: NAME.json (the bundle as /p/ID/bundle.json serves it), NAME.tsbundle
(the binary PieceBundle `touchstone piece verify` reads) for every entry, and
manifest.json:
  {"vkey": the log's verifier key, "witness_keys": [the pinned witness's key],
   "quorum": 1, "auditor_keys": [the pinned auditor's key], "auditor_quorum": 1, "log_size": N,
   "entries": [{"name", "piece" (the piece the verifier is told to expect), "rule"
                (the rule it must name; "" for a bundle that must verify),
                "description", "json", "binary" (file names in OUT)}]}

Usage: generate_corpus.py --touchstone PATH --touchstoned PATH --out DIR
(the driver, conformance_test.py, calls generate() with the server still up)."""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_log  # noqa: E402  (puts tests/ on the path)
import forge_bundle  # noqa: E402
import forgeries  # noqa: E402
import forgeries_graph  # noqa: E402,F401  (registers its forgeries)
import forgeries_trade  # noqa: E402,F401  (registers its forgeries)
import forgeries_owner  # noqa: E402,F401  (registers its forgeries)
import forgeries_sealed  # noqa: E402,F401  (registers its forgeries)

RULES_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ledger", "bundle",
                       "bundle_rules.h")


def rules():
    """The rule names ledger/bundle/bundle_rules.h declares (a new rule needs a forgery here)."""
    with open(RULES_H) as f:
        return re.findall(r'inline constexpr std::string_view k\w+ = "([\w-]+)";', f.read())


def generate(log, out):
    """Writes the corpus of a started demo_log.DemoLog into directory `out` (emptied
    first if it holds a corpus; it must be new, empty or a corpus); returns the manifest."""
    marker = os.path.join(out, ".touchstone-corpus")  # written first: a run cut short leaves it
    if os.path.isdir(out) and os.listdir(out):
        assert os.path.exists(marker), "%s is not a corpus" % out
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)
    open(marker, "w").close()
    forger = forgeries.Forger(log)
    honest_binary = {id(bundle): binary for bundle, binary in log.honest.values()}
    manifest = {"vkey": log.vkey, "witness_keys": [log.witness.vkey], "quorum": 1,
                "auditor_keys": [log.auditor_vkey], "auditor_quorum": 1,
                "log_size": log.size, "entries": []}
    names = set()
    for fn in forgeries.ALL:
        for e in fn(forger):
            assert e["name"] not in names, e["name"]
            names.add(e["name"])
            bundle = e.pop("bundle")
            binary = honest_binary.get(id(bundle)) or forge_bundle.encode_bundle(bundle)
            e.update(piece=log.piece(e["piece"]), json=e["name"] + ".json",
                     binary=e["name"] + ".tsbundle")
            with open(os.path.join(out, e["json"]), "w") as f:
                json.dump(bundle, f, indent=1)
            with open(os.path.join(out, e["binary"]), "wb") as f:
                f.write(binary)
            manifest["entries"].append(e)
    missing = set(rules()) - {e["rule"] for e in manifest["entries"]}
    assert not missing, "no forgery breaks %s" % sorted(missing)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--touchstone", required=True)
    parser.add_argument("--touchstoned", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="touchstone-corpus-")
    log = demo_log.DemoLog(os.path.abspath(args.touchstone), os.path.abspath(args.touchstoned), tmp)
    try:
        log.start()
        manifest = generate(log, os.path.abspath(args.out))
        log.stop()
    finally:
        log.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d corpus entries in %s" % (len(manifest["entries"]), args.out))


if __name__ == "__main__":
    main()
