// The customer page in the customer's language, in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core): a browser asking for Swiss
// French (Accept-Language) gets the page in French (<html lang="fr">, the
// verdict, dates and weights the French way, with a decimal comma); the
// switcher turns it Japanese without fetching or verifying the bundle again,
// and the choice outlives a reload; every language's page verifies and shows
// no message key; a language no file has falls back to English. Screenshots of
// the French and the Japanese page go to --screenshots DIR: ring-fr.png and
// ring-ja.png (the verdict), ring-fr-story.png and ring-ja-story.png (the story).
//
// Usage: node page_i18n_test.mjs --base http://127.0.0.1:PORT --prefix P --screenshots DIR --web DIR
// (DIR of --web: services/web, for the messages the page must show)
// Run by tests/page_e2e_test.py against a real touchstoned seeded by `touchstone demo`.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { base: { type: 'string' }, prefix: { type: 'string' },
  screenshots: { type: 'string' }, web: { type: 'string' }, chromium: { type: 'string', default: '/usr/bin/chromium' } } });
const P = args.prefix;
mkdirSync(args.screenshots, { recursive: true });
const messages = (code) => JSON.parse(readFileSync(join(args.web, 'i18n', `${code}.json`), 'utf8'));
const LANGUAGES = ['en', 'fr', 'de', 'it', 'es', 'ja', 'zh-Hans'];
const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
let failures = 0;

async function test(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}

// A page of the ring opened by a browser whose Accept-Language is `acceptLanguage`; counts its
// bundle fetches (each one a verification).
async function openRing(acceptLanguage, { query = '', viewport = { width: 900, height: 1150 } } = {}) {
  const context = await browser.newContext({ viewport, extraHTTPHeaders: { 'Accept-Language': acceptLanguage } });
  const page = await context.newPage();
  const errors = [];
  const fetched = { bundles: 0 };
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => { if (r.url().endsWith('/bundle.json')) fetched.bundles++; });
  await page.goto(`${args.base}/p/${P}-RING-1${query}`);
  await page.waitForSelector('body[data-state]', { timeout: 30000 });
  return { page, context, errors, fetched };
}

// The story's first screenful (the piece, its stones, its metal: dates, weights, carats).
async function storyShot(page, name) {
  const box = await page.locator('#story').boundingBox();
  await page.screenshot({ path: join(args.screenshots, name), fullPage: true,
    clip: { x: 0, y: Math.max(0, box.y - 16), width: page.viewportSize().width, height: 1000 } });
}

const MONTHS_FR = 'janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre';

await test('a browser asking for Swiss French gets the page in French, dates and weights the French way', async () => {
  const { page, context, errors } = await openRing('fr-CH, fr;q=0.9, en;q=0.5');
  const fr = messages('fr');
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await page.locator('body').getAttribute('data-state'), 'verified');
  assert.equal(await page.locator('#verdict h2').innerText(), 'Vérifié');
  const v = await page.locator('#verdict').innerText();
  // (French puts a no-break space before : and ; and inside « »: \s matches it.)
  assert.match(v, /Les 43 enregistrements de cette pièce figurent tous dans ce registre\s:\s43 preuves d'inclusion/);
  assert.match(await page.locator('#witness-summary').innerText(), /^1 des 1 témoins épinglés par cette page ont cosigné ce point de contrôle\s;\s1 est requis pour «\sVérifié\s»\.$/);
  assert.equal(await page.locator('#about-title').innerText(), fr['about.title']);
  assert.equal(await page.title(), `Pièce ${P}-RING-1\u00a0: d'où elle vient`);
  // The date the ring was made, in French ("le 12 mars 2026"), its <time> still ISO.
  const made = page.locator('dt', { hasText: /^Fabriquée par$/ }).locator('xpath=following-sibling::dd[1]');
  assert.match(await made.innerText(), new RegExp(`, le \\d{1,2}\\s(${MONTHS_FR})\\s\\d{4}$`));
  assert.match(await made.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  const text = await page.locator('main').innerText();
  // Weights with a decimal comma (and the same digits the English page shows: 150.000 g ...).
  assert.match(text, /150,000 g \(4,823 ozt, 96,452 dwt\)/);
  assert.doesNotMatch(text, /150\.000 g/);
  // Carats too, in the stone's card: "diamant ... 1,250 ct" style.
  assert.match(await page.locator('#story').innerText(), /\d,\d{3} ct/);
  assert.match(text, /De l'origine à la pièce/);
  assert.match(text, / · inscrit le \d{1,2}\s\S+\s\d{4} · entrée \d+/);
  await page.screenshot({ path: join(args.screenshots, 'ring-fr.png') });
  await storyShot(page, 'ring-fr-story.png');
  assert.deepEqual(errors, []);
  await context.close();
});

await test('the switcher turns the page Japanese without verifying the bundle again, and remembers', async () => {
  const { page, context, errors, fetched } = await openRing('fr-CH, fr;q=0.9');
  assert.equal(await page.locator('#verdict h2').innerText(), 'Vérifié');
  assert.equal(fetched.bundles, 1);
  assert.equal(await page.locator('#language').inputValue(), 'fr');
  await page.locator('#language').selectOption('ja');
  await page.waitForSelector('html[lang="ja"]');
  await page.waitForSelector('body[data-language="ja"]');
  assert.equal(await page.locator('#verdict h2').innerText(), '検証済み');
  assert.match(await page.locator('#verdict').innerText(), /このピースの記録 43 件はすべてその台帳に含まれています/);
  const text = await page.locator('main').innerText();
  assert.match(text, /\d{4}年\d{1,2}月\d{1,2}日/);              // dates the Japanese way
  assert.match(text, /150\.000 g \(4\.823 ozt, 96\.452 dwt\)/);  // Japanese writes a decimal point
  assert.doesNotMatch(text, /Vérifié|De l'origine/);            // nothing French left over
  assert.equal(fetched.bundles, 1, 'the switch fetched the bundle again');
  assert.equal(await page.locator('body').getAttribute('data-state'), 'verified');
  assert.ok(new URL(page.url()).searchParams.get('lang') === 'ja', page.url());
  await page.screenshot({ path: join(args.screenshots, 'ring-ja.png') });
  await storyShot(page, 'ring-ja-story.png');
  // A reload keeps the choice: ?lang= (the server serves lang="ja") and this browser's memory.
  const response = await page.reload();
  assert.equal(response.headers()['content-language'], 'ja');
  await page.waitForSelector('body[data-state]', { timeout: 30000 });
  assert.equal(await page.locator('#verdict h2').innerText(), '検証済み');
  await page.goto(`${args.base}/p/${P}-RING-1`);  // no ?lang=: the remembered choice still wins
  await page.waitForSelector('body[data-state]', { timeout: 30000 });
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  assert.equal(await page.locator('#verdict h2').innerText(), '検証済み');
  assert.deepEqual(errors, []);
  await context.close();
});

await test('every language verifies the ring and shows its own words, never a message key', async () => {
  const keys = Object.keys(messages('en'));
  for (const code of LANGUAGES) {
    const { page, context, errors } = await openRing('en', { query: `?lang=${code}` });
    const m = messages(code);
    assert.equal(await page.locator('html').getAttribute('lang'), code);
    assert.equal(await page.locator('body').getAttribute('data-state'), 'verified', code);
    assert.equal(await page.locator('#verdict h2').innerText(), m['verdict.verified'], code);
    assert.equal(await page.locator('#story h2').first().innerText(), m['story.pieceTitle'], code);
    const text = await page.locator('body').innerText();
    const shown = keys.filter((k) => text.includes(k));
    assert.deepEqual(shown, [], `${code} shows message keys`);
    assert.doesNotMatch(text, /\{\w+\}/, `${code} shows an unfilled placeholder`);
    assert.deepEqual(errors, [], code);
    await context.close();
  }
});

await test('a language the page lacks falls back to English; Chinese of China gets Simplified', async () => {
  let { page, context } = await openRing('nl-NL, nl;q=0.9');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.locator('#verdict h2').innerText(), 'Verified');
  await context.close();
  ({ page, context } = await openRing('zh-CN, zh;q=0.9'));
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-Hans');
  assert.equal(await page.locator('#verdict h2').innerText(), '已核验');
  assert.match(await page.locator('main').innerText(), /\d{4}年\d{1,2}月\d{1,2}日/);
  await context.close();
});

await browser.close();
if (failures) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log('all browser tests passed');
