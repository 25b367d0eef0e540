// Runs the page's verifier (services/web/verify.js as built, with its generated
// verify_tables.js beside it) under Node's WebCrypto over the conformance
// corpus: verifyBundle(bundle, vkey, {witnessKeys, quorum, pieceId, auditorKeys, auditorQuorum}) for every
// manifest entry, with the pins and piece of the manifest. Prints
// {name: {ok, rule, detail}} as JSON.
//
// Usage: node node_runner.mjs --corpus DIR --verify PATH/verify.js
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { corpus: { type: 'string' }, verify: { type: 'string' } } });
const { verifyBundle } = await import(pathToFileURL(resolve(args.verify)).href);
const manifest = JSON.parse(readFileSync(join(args.corpus, 'manifest.json'), 'utf8'));
const results = {};
for (const e of manifest.entries) {
  const bundle = JSON.parse(readFileSync(join(args.corpus, e.json), 'utf8'));
  const r = await verifyBundle(bundle, manifest.vkey,
    { witnessKeys: manifest.witness_keys, quorum: manifest.quorum, pieceId: e.piece,
      auditorKeys: manifest.auditor_keys || [], auditorQuorum: manifest.auditor_quorum || 0 });
  results[e.name] = r.ok ? { ok: true, rule: '', detail: '' } : { ok: false, rule: r.check, detail: r.detail };
}
console.log(JSON.stringify(results, null, 1));
