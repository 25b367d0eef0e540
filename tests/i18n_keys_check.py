#!/usr/bin/env python3
"""The customer page's translations (services/web/i18n/*.json) are complete.

English (en.json) is the reference. Fails, naming file and key, when:
- a language file lacks a key en.json has, or has one en.json lacks, or is not a
  flat JSON object of non-empty strings;
- a translation's {placeholders} differ from English's (a value would go missing
  or show as "{name}");
- the page uses a key en.json lacks: t('k'), tNodes('k'), tk('k') and tn('k')
  (which reads 'k.one' and 'k.other') in services/web/*.js, data-i18n="k" and
  data-i18n-alt="k" in piece.html; or en.json has a key nothing uses;
- the languages disagree: the files in i18n/, i18n.js's LANGUAGES (the switcher),
  services/page_language.h's kPageLanguages (the server's negotiation) and
  services/CMakeLists.txt's WEB_LANGUAGES (what is embedded and served).

Usage: i18n_keys_check.py --root REPO_ROOT
"""

import argparse
import glob
import json
import os
import re
import sys

PLACEHOLDER = re.compile(r"\{(\w+)\}")
JS_KEY = re.compile(r"\b(t|tn|tk|tNodes)\(\s*'([^']+)'")
HTML_KEY = re.compile(r'\bdata-i18n(?:-alt)?="([^"]+)"')


def load(path, problems):
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            messages = json.load(f)
    except (OSError, ValueError) as e:
        problems.append("%s: not JSON: %s" % (name, e))
        return {}
    if not isinstance(messages, dict):
        problems.append("%s: not a JSON object" % name)
        return {}
    for key, text in messages.items():
        if not isinstance(text, str) or not text.strip():
            problems.append("%s: %s is not a non-empty string" % (name, key))
    return messages


def used_keys(web):
    """{key: where} for every key the page's code and HTML use."""
    used = {}
    for path in sorted(glob.glob(os.path.join(web, "*.js"))):
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                for fn, key in JS_KEY.findall(line):
                    where = "%s:%d" % (os.path.basename(path), line_no)
                    for k in ([key + ".one", key + ".other"] if fn == "tn" else [key]):
                        used.setdefault(k, where)
    with open(os.path.join(web, "piece.html"), encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            for key in HTML_KEY.findall(line):
                used.setdefault(key, "piece.html:%d" % line_no)
    return used


def check(root):
    problems = []
    web = os.path.join(root, "services", "web")
    files = sorted(glob.glob(os.path.join(web, "i18n", "*.json")))
    languages = {os.path.basename(p)[:-len(".json")]: p for p in files}
    if "en" not in languages:
        return ["i18n/en.json, the reference, is missing"]
    english = load(languages["en"], problems)
    for code, path in sorted(languages.items()):
        if code == "en":
            continue
        messages = load(path, problems)
        for key in sorted(set(english) - set(messages)):
            problems.append("%s.json: missing key %s (English: %r)" % (code, key, english[key]))
        for key in sorted(set(messages) - set(english)):
            problems.append("%s.json: key %s is not in en.json" % (code, key))
        for key in sorted(set(english) & set(messages)):
            want = sorted(set(PLACEHOLDER.findall(english[key])))
            got = sorted(set(PLACEHOLDER.findall(str(messages[key]))))
            if want != got:
                problems.append("%s.json: %s has placeholders %s, English has %s" % (
                    code, key, got, want))

    used = used_keys(web)
    for key, where in sorted(used.items()):
        if key not in english:
            problems.append("%s uses key %s, which en.json lacks" % (where, key))
    for key in sorted(set(english) - set(used)):
        problems.append("en.json: key %s is used nowhere in services/web/" % key)

    with open(os.path.join(web, "i18n.js"), encoding="utf-8") as f:
        js = f.read()
    switcher = re.search(r"export const LANGUAGES = \[(.*?)\];", js, re.S)
    switcher = re.findall(r"code: '([^']+)'", switcher.group(1)) if switcher else []
    with open(os.path.join(root, "services", "page_language.h"), encoding="utf-8") as f:
        header = f.read()
    server = re.search(r"kPageLanguages = \{(.*?)\};", header, re.S)
    server = re.findall(r'"([^"]+)"', server.group(1)) if server else []
    with open(os.path.join(root, "services", "CMakeLists.txt"), encoding="utf-8") as f:
        cmake = re.search(r"set\(WEB_LANGUAGES ([^)]*)\)", f.read())
    served = cmake.group(1).split() if cmake else []
    lists = {"the files in services/web/i18n/": sorted(languages),
             "i18n.js LANGUAGES": sorted(switcher),
             "page_language.h kPageLanguages": sorted(server),
             "services/CMakeLists.txt WEB_LANGUAGES": sorted(served)}
    if len({tuple(v) for v in lists.values()}) != 1:
        problems.append("the page's languages disagree: " + "; ".join(
            "%s: %s" % (k, " ".join(v)) for k, v in lists.items()))
    for required in ("en", "fr", "de", "it", "es", "ja", "zh-Hans"):
        if required not in languages:
            problems.append("no translation for %s (i18n/%s.json)" % (required, required))
    if server[:1] != ["en"] or switcher[:1] != ["en"]:
        problems.append("English must come first (the fallback) in i18n.js and page_language.h")
    return problems, len(languages), len(english), len(used)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    result = check(args.root)
    if isinstance(result, list):
        problems, counts = result, None
    else:
        problems, counts = result[0], result[1:]
    for p in problems:
        print("FAIL " + p)
    if problems:
        print("%d problem(s) in the page's translations" % len(problems))
        return 1
    print("ok: %d languages, %d keys each, %d keys used by the page" % counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
