// The conformance corpus (tests/conformance/) in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core): for every manifest entry, the
// real page of the piece the entry expects (GET /p/ID from the running
// touchstoned) is loaded, its /p/ID/bundle.json answered with the entry's
// bundle through page.route, and the page's verdict read back from
// document.body.dataset.state ('verified' | 'failed') and .check (the rule).
// The page's pins (verifier key, witness keys, quorum) must be the manifest's.
// Prints {name: {ok, rule, detail}} as JSON.
//
// Usage: node conformance_page.mjs --base http://127.0.0.1:PORT --corpus DIR
//          [--chromium PATH] [--verify-js FILE]
// (--verify-js: serve FILE as /static/verify.js instead of the server's copy, to
// check that the corpus catches a verifier with a check taken out.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { base: { type: 'string' }, corpus: { type: 'string' },
  chromium: { type: 'string', default: '/usr/bin/chromium' }, 'verify-js': { type: 'string' } } });
const manifest = JSON.parse(readFileSync(join(args.corpus, 'manifest.json'), 'utf8'));
const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });

// One page per worker, navigated to each entry's piece in turn (a fresh document
// each time); its bundle.json is answered with the entry's bundle.
async function worker(queue, results) {
  const context = await browser.newContext();
  const page = await context.newPage();
  let body = null, served = 0, errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.route('**/bundle.json', async (route) => {
    served++;
    await route.fulfill({ status: 200, contentType: 'application/json', body });
  });
  if (args['verify-js']) {
    const js = readFileSync(args['verify-js']);
    await page.route('**/static/verify.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: js }));
  }
  for (let e; (e = queue.shift());) {
    body = readFileSync(join(args.corpus, e.json));
    served = 0;
    errors = [];
    results[e.name] = await check(page, e, () => served, () => errors);
  }
  await context.close();
}

async function check(page, e, served, errors) {
  try {
    await page.goto(`${args.base}/p/${encodeURIComponent(e.piece)}`);
    await page.waitForSelector('body[data-state]', { timeout: 30000 });
    const pins = await page.evaluate(() => ({
      vkey: document.querySelector('meta[name="touchstone-verifier-key"]').content,
      witnessKeys: [...document.querySelectorAll('meta[name="touchstone-witness-key"]')].map((m) => m.content),
      quorum: Number(document.querySelector('meta[name="touchstone-witness-quorum"]')?.content || 0),
      state: document.body.dataset.state, check: document.body.dataset.check,
      detail: document.getElementById('verdict-summary').innerText }));
    if (served() !== 1) return { ok: false, rule: '?', detail: `the page fetched bundle.json ${served()} times` };
    if (pins.vkey !== manifest.vkey || JSON.stringify(pins.witnessKeys) !== JSON.stringify(manifest.witness_keys) ||
        pins.quorum !== manifest.quorum) {
      return { ok: false, rule: '?', detail: `the page pins ${JSON.stringify(pins)}, not the manifest's` };
    }
    if (errors().length) return { ok: false, rule: '?', detail: `page errors: ${errors().join('; ')}` };
    return { ok: pins.state === 'verified', rule: pins.check, detail: pins.state === 'verified' ? '' : pins.detail };
  } catch (err) {
    return { ok: false, rule: '?', detail: `the page gave no verdict: ${err.message}` };
  }
}

// A few pages at a time: each mostly waits on the server, WebCrypto and rendering.
const results = {};
const queue = [...manifest.entries];
await Promise.all(Array.from({ length: 3 }, () => worker(queue, results)));
await browser.close();
const ordered = Object.fromEntries(manifest.entries.map((e) => [e.name, results[e.name]]));
console.log(JSON.stringify(ordered, null, 1));
