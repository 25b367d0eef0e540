// The customer page: fetches the piece's bundle (exact bytes, as JSON),
// verifies it in this browser (verify.js) and tells the piece's story from the
// verified records only, in the customer's language (i18n.js): a change of
// language with the switcher redraws the page from the same verified result.
// Text is added with DOM calls, never parsed as HTML.
import { caratText, massText, metalFinenessText, quantityText, shareText, SYSTEM_OF_WARRANTIES } from './trade.js';
import { certificateStatusAt, verifyBundle } from './verify.js';
import { heirloomGramsText } from './heirloom.js';
import { showOwner } from './owner.js';
import { chosenLanguage, currentLanguage, formatDate, LANGUAGES, localNumbers, rememberLanguage, t, tk, tn, tNodes,
  translateStatic, useLanguage } from './i18n.js';

const main = document.getElementById('main');
const pieceId = main.dataset.pieceId;
const vkey = document.querySelector('meta[name="touchstone-verifier-key"]').content;
// Witnesses' cosignature keys, pinned in the page like the log's key (none if the server has no witnesses).
const witnessKeys = [...document.querySelectorAll('meta[name="touchstone-witness-key"]')].map((m) => m.content);
// How many of them must have cosigned for "Verified" (touchstoned's --witness_quorum).
const quorum = Number(document.querySelector('meta[name="touchstone-witness-quorum"]')?.content || 0);
// Auditors' cosignature keys (touchstoned's --auditor), pinned like the witnesses'; and how many of
// them must have cosigned the audited checkpoint (--auditor_quorum).
const auditorKeys = [...document.querySelectorAll('meta[name="touchstone-auditor-key"]')].map((m) => m.content);
const auditorQuorum = Number(document.querySelector('meta[name="touchstone-auditor-quorum"]')?.content || 0);
const base = `/p/${encodeURIComponent(pieceId)}`;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

// ---------------------------------------------------------------- plain words

// Words for the ledger's numbered values, as message keys (looked up when shown).
const ROLES = ['', tk('role.operator'), tk('role.miner'), tk('role.refiner'), tk('role.recycler'), tk('role.grower'),
  tk('role.cutter'), tk('role.manufacturer'), tk('role.jeweler'), tk('role.certifier'), tk('role.auditor')];
const ORIGIN = ['', tk('origin.mined'), tk('origin.recycledPre'), tk('origin.recycledPost'), tk('origin.labGrown'),
  tk('origin.recycledMixed'), tk('origin.mixed')];
const PROCESS = ['', tk('process.refined'), tk('process.alloyed'), tk('process.cast'), tk('process.cutPolished'),
  tk('process.split'), tk('process.merged')];
// The same processes named as steps ("refined by ...", the owner's material).
const STEP = ['', tk('step.refined'), tk('step.alloyed'), tk('step.cast'), tk('step.cutPolished'), tk('step.split'), tk('step.merged')];
const CLAIMS = ['', tk('claim.recycledMetal'), tk('claim.labGrown'), tk('claim.natural'), tk('claim.chainOfCustody')];
const EVENTS = ['', tk('event.sold'), tk('event.repaired'), tk('event.lost'), tk('event.stolen'), tk('event.recovered')];
const OWNER_EVENTS = ['', '', '', tk('ownerEvent.lost'), tk('ownerEvent.stolen'), tk('ownerEvent.recovered')];
const STATUS = ['', tk('status.suspended'), tk('status.revoked'), tk('status.reinstated')];
const STONE = ['', tk('stone.natural'), tk('stone.labGrown')];
const GROWTH = ['', 'CVD', 'HPHT'];
const ASSAY = ['', 'XRF', tk('assay.fire')];
const SCHEME_KIND = ['', tk('schemeKind.chainOfCustody'), tk('schemeKind.recycledContent'), tk('schemeKind.responsibleSourcing'),
  tk('schemeKind.gradingLab'), tk('schemeKind.kimberley')];
const ATTRIBUTE = ['', tk('attribute.recycled'), tk('attribute.labGrown'), tk('attribute.natural')];
// A certificate's status as verify.js's certificateStatusAt names it.
const CERT_STATUS = { valid: tk('certStatus.valid'), 'not yet valid': tk('certStatus.notYetValid'),
  suspended: tk('certStatus.suspended'), revoked: tk('certStatus.revoked'), expired: tk('certStatus.expired') };
// Materials as records name them; another is shown as written.
const MATERIALS = { gold: tk('material.gold'), silver: tk('material.silver'), platinum: tk('material.platinum'),
  palladium: tk('material.palladium'), diamond: tk('material.diamond'), metal: tk('material.metal') };
// The word for `table[i]`, or `fallback` if the table has none.
const word = (table, i, fallback = '') => (table[i] ? t(table[i]) : fallback);
const certStatus = (s) => word(CERT_STATUS, s, s);
const material = (name) => word(MATERIALS, name, name);

const date = (micros) => new Date(micros / 1000);
const dateText = (micros) => formatDate(micros);
const timeEl = (micros) => el('time', { datetime: date(micros).toISOString() }, dateText(micros));
// A record dated more than this before the ledger recorded it is marked.
const LATE_MICROS = 86400e6;
// A list in the page's language ("a, b" / "a、b"), and one of clauses ("a; b" / "a ; b" / "a；b").
const list = (items) => items.join(t('list.separator'));

// Quantities as trade.js writes them, their numbers in the page's locale: "1 000,000 g (32,151 ozt, 643,015 dwt)".
const mass = (mg) => localNumbers(massText(mg));
const carats = (thousandths) => localNumbers(caratText(thousandths));
const grams = (fine) => localNumbers(heirloomGramsText(fine));
const share = (bp) => localNumbers(shareText(bp));
// A quantity in the units the trade reads: "1,000.000 g (32.151 ozt, 643.015 dwt)", "1.250 ct".
function quantity(lot, q) {
  if (!lot) return String(q);
  return localNumbers(quantityText(lot.unit, BigInt(q)));
}
// A lot's fineness in ptt (the legacy ppt x 10), as the trade states it: "750 (18k)", "950".
const finenessPtt = (l) => l.fineness_ptt || l.fineness_ppt * 10;
const fineness = (materialName, ptt) => localNumbers(metalFinenessText(materialName, ptt));
const finenessWords = (l) => (finenessPtt(l) && l.unit === 1 ? t('lot.fine', { fineness: fineness(l.material, finenessPtt(l)) }) : '');
// Fine units (milligrams x ptt) as grams of fine metal.
const fineText = (fine) => mass(BigInt(fine) / 10000n);

// ---------------------------------------------------------------- the story model

function model(result) {
  const m = { participants: result.participants, lots: new Map(), certs: new Map(), wrong: new Map(),
    piece: null, stones: [], lifecycle: [] };
  const name = (id) => m.participants.get(id)?.name || id;
  m.name = name;
  m.keyIds = result.ownerKeyIds ?? new Map();
  // Who signed: a participant's name, or for a record an owner key signs alone, that key (never a name).
  m.signerText = (r) => (r.signer === '' && r.owner_signature ? t('owner.signer', { key: r.owner_signature.key_id }) : name(r.signer));
  // Entries whose committed values the bundle does not open: their quantities read as 0.
  const hidden = new Set((result.sealed ?? []).map(String));
  for (const e of result.entries) {
    const r = e.record, b = r[e.kind];
    if (e.kind === 'lot_created') {
      m.lots.set(b.lot_id, { ...b, by: r.signer, entry: e, inputs: [], sealed: hidden.has(String(e.index)) });
    } else if (e.kind === 'transformation') {
      const first = m.lots.get(b.inputs[0]?.lot_id);
      for (const o of b.outputs) {
        m.lots.set(o.lot_id, { lot_id: o.lot_id, material: b.material, form: o.form, quantity: o.quantity,
          fineness_ppt: o.fineness_ppt, fineness_ptt: o.fineness_ptt, stones: o.stones, unit: first ? first.unit : 1, by: r.signer, entry: e,
          inputs: b.inputs.map((i) => i.lot_id), process: b.process });
      }
    } else if (e.kind === 'certificate_issued') {
      m.certs.set(b.certificate_id, { ...b, by: r.signer, entry: e, changes: [] });
    } else if (e.kind === 'certificate_status_changed') {
      m.certs.get(b.certificate_id)?.changes.push({ ...b, entry: e });
    } else if (e.kind === 'piece_registered' && b.piece_id === pieceId) {
      m.piece = { ...b, by: r.signer, entry: e };
      m.stones = [...b.stone_lot_ids];
    } else if (e.kind === 'stone_replaced' && b.piece_id === pieceId) {
      m.stones = m.stones.map((s) => (s === b.old_stone_lot_id ? b.new_stone_lot_id : s));
    } else if (e.kind === 'piece_lifecycle' && b.piece_id === pieceId) {
      m.lifecycle.push({ ...b, entry: e });
    } else if (e.kind === 'error_declared') {
      m.wrong.set(Number(b.wrong_index), { ...b, entry: e });
    } else if (e.kind === 'heirloom_received') {
      // The owner's own metal, as received: recycled post-consumer, of no scheme.
      m.lots.set(b.lot_id, { lot_id: b.lot_id, material: b.material, form: 'heirloom', quantity: b.metal_mg,
        fineness_ptt: b.fineness_ptt, fineness_ppt: 0, unit: 1, origin_class: 3, by: r.signer, entry: e, inputs: [],
        heirloom: b.intake_id });
    }
  }
  // A lot's origin class, as the verifier derived it through the transformations.
  m.origin = (id) => result.graph.lots.get(id)?.trace.origin ?? 0;
  // The lots a lot came from with no inputs of their own (where it entered the ledger).
  m.sources = (id, seen = new Set()) => {
    const lot = m.lots.get(id);
    if (!lot || seen.has(id)) return [];
    seen.add(id);
    return lot.inputs.length ? lot.inputs.flatMap((i) => m.sources(i, seen)) : [lot];
  };
  // A certificate's status at a time, from its status changes in the bundle (the verifier's rule).
  m.statusAt = (cert, micros) => certificateStatusAt({ validFrom: cert.valid_from_micros, validUntil: cert.valid_until_micros,
    changes: cert.changes.map((c) => ({ status: c.status, effective: c.effective_micros })) }, micros);
  return m;
}

function certLine(m, id, atMicros) {
  const c = m.certs.get(id);
  if (!c) return t('cert.bare', { id });
  const now = m.statusAt(c, Date.now() * 1000);
  const then = atMicros ? m.statusAt(c, atMicros) : null;
  const change = c.changes.filter((x) => x.status !== 3).at(-1);
  const status = then ? t('cert.thenNow', { then: certStatus(then), now: certStatus(now) }) : t('cert.now', { now: certStatus(now) });
  let text = t('cert.line', { scheme: c.scheme, id, issuer: m.name(c.by), status });
  if (now !== 'valid' && change) {
    text = t('cert.change', { text, status: word(STATUS, change.status), date: dateText(change.effective_micros), reason: change.reason });
  }
  return text;
}

// `text` followed by `more` when there is more ("; hallmark 750" after the piece).
const and = (text, ...more) => more.filter(Boolean).reduce((a, b) => a + b, text);

function describe(m, e) {
  const r = e.record, b = r[e.kind];
  const lot = (id) => m.lots.get(id);
  const parcel = (l) => (l.parcel ? (l.parcel.size_class ? t('lot.parcelSized', { count: l.parcel.stone_count, size: l.parcel.size_class })
    : t('lot.parcel', { count: l.parcel.stone_count })) : '');
  const lotWords = (l) => [material(l.material), l.form, finenessWords(l), parcel(l)].filter(Boolean).join(' ');
  const keyId = () => m.keyIds.get(e.index) ?? '';
  switch (e.kind) {
    case 'genesis': return t('record.genesis', { origin: b.origin });
    case 'participant_registered':
      return and(t('record.participantRegistered', { name: b.legal_name, id: b.participant_id, roles: list(b.roles.map((x) => word(ROLES, x, x))) }),
        b.identifiers.length && t('more.identifiers', { identifiers: list(b.identifiers.map((i) => `${i.scheme} ${i.value}`)) }));
    case 'key_added': return t('record.keyAdded', { name: m.name(b.participant_id) });
    case 'key_revoked': return t('record.keyRevoked', { key: b.key_id, name: m.name(b.participant_id), reason: b.reason });
    case 'operator_key_rotated':
      return and(t('record.operatorKeyRotated', { key: r.key_id }), b.reason && t('more.reason', { reason: b.reason }));
    case 'role_granted': return t('record.roleGranted', { name: m.name(b.participant_id), role: word(ROLES, b.role, b.role) });
    case 'participant_suspended': return t('record.participantSuspended', { name: m.name(b.participant_id), reason: b.reason });
    case 'participant_reinstated': return t('record.participantReinstated', { name: m.name(b.participant_id), reason: b.reason });
    case 'certificate_issued': {
      const subject = b.subject_participant ? m.name(b.subject_participant) : b.subject_lot ? t('lot.named', { id: b.subject_lot }) : b.subject_facility;
      const valid = b.valid_until_micros
        ? t('more.validFromUntil', { from: dateText(b.valid_from_micros), until: dateText(b.valid_until_micros) })
        : t('more.validFrom', { from: dateText(b.valid_from_micros) });
      let text = and(t('record.certificateIssued', { scheme: b.scheme, id: b.certificate_id, subject }), b.scope && t('more.scope', { scope: b.scope }), valid);
      if (b.grading_report) {
        const g = b.grading_report;
        text += t('more.gradingReport', { lab: m.name(g.lab), number: g.report_number, origin: word(STONE, g.origin),
          growth: GROWTH[g.growth_method] || '', carats: carats(g.carats_thousandths), colour: g.colour, clarity: g.clarity, cut: g.cut,
          inscription: g.inscription });
      }
      return text;
    }
    case 'certificate_status_changed':
      return t('record.certificateStatusChanged', { id: b.certificate_id, status: word(STATUS, b.status), date: dateText(b.effective_micros), reason: b.reason });
    case 'lot_created':
      return and(t('record.lotCreated', { id: b.lot_id, quantity: quantity(b, b.quantity), what: lotWords(b), origin: word(ORIGIN, b.origin_class) }),
        b.facility && t('more.at', { place: b.facility }), b.note && t('more.note', { note: b.note }));
    case 'transformation': {
      const ins = b.inputs.map((i) => t('transform.input', { quantity: quantity(lot(i.lot_id), i.quantity), id: i.lot_id })).join(t('transform.and'));
      const outs = list(b.outputs.map((o) => t('transform.output', { id: o.lot_id, quantity: quantity(lot(o.lot_id), o.quantity), form: o.form })));
      const ct = lot(b.outputs[0]?.lot_id)?.unit === 2;
      const legacyLoss = b.declared_loss_fine && `${localNumbers((b.declared_loss_fine / 1e6).toFixed(3))} ${ct ? 'ct' : t('transform.gFine')}`;
      const loss = b.declared_loss_fine_ptt && (ct ? carats(BigInt(b.declared_loss_fine_ptt) / 10000n) : t('transform.fine', { quantity: fineText(b.declared_loss_fine_ptt) }));
      return and(t('record.transformation', { process: word(PROCESS, b.process, t('process.transformed')), material: material(b.material),
        at: b.location ? t('more.atPlace', { place: b.location }) : '', inputs: ins, outputs: outs }),
      legacyLoss && t('more.declaredLoss', { loss: legacyLoss }), loss && t('more.declaredLoss', { loss }));
    }
    case 'custody_shipped':
      return and(t('record.custodyShipped', { id: b.lot_id, to: m.name(b.to_participant) }),
        b.warranty_statement === SYSTEM_OF_WARRANTIES && t('more.warranty'));
    case 'scheme_registered':
      return t('record.schemeRegistered', { scheme: b.display_name ? t('scheme.named', { scheme: b.scheme, name: b.display_name }) : b.scheme,
        kind: word(SCHEME_KIND, b.kind, t('schemeKind.other')), issuer: m.name(b.issuer) });
    case 'credit_account_opened':
      return t('record.creditAccountOpened', { id: b.account_id, attribute: word(ATTRIBUTE, b.attribute), material: material(b.material), site: b.site,
        from: dateText(b.period_start_micros), to: dateText(b.period_end_micros), certificate: b.certificate_id });
    case 'credit_booked':
      return t('record.creditBooked', { fine: fineText(b.fine), material: material(m.lots.get(b.lot_id)?.material || 'metal'), lot: b.lot_id,
        account: b.account_id, seq: b.seq, balance: fineText(b.balance_after) });
    case 'credit_allocated':
      return t('record.creditAllocated', { fine: fineText(b.fine), account: b.account_id, lot: b.lot_id, seq: b.seq, balance: fineText(b.balance_after) });
    case 'custody_received': return t('record.custodyReceived', { id: b.lot_id });
    case 'piece_registered':
      return and(t('record.pieceRegistered', { id: b.piece_id, description: b.description }), b.hallmark && t('more.hallmark', { hallmark: b.hallmark }),
        b.parcel_stones.length && t('more.sets', { stones: list(b.parcel_stones.map((ps) => t('more.parcelStones', { count: ps.stones, id: ps.lot_id }))) }),
        b.claims.length && t('more.claims', { claims: list(b.claims.map((c) => word(CLAIMS, c))) }));
    case 'piece_lifecycle':
      return and(t('record.pieceLifecycle', { event: word(EVENTS, b.event, t('event.other')) }),
        b.buyer ? t('more.toOwnerKey', { key: keyId() }) : b.event === 1 && t('more.ownerHashed'),
        r.owner_signature && t('more.coSigned', { key: r.owner_signature.key_id }), b.note && t('more.reason', { reason: b.note }));
    case 'ownership_accepted': {
      const terms = b.terms ?? {};
      const named = [terms.recovery_key && t('terms.recoveryKeyOwn'), terms.recovery_agent && t('terms.recoveryAgentAs', { name: m.name(terms.recovery_agent) }),
        terms.insurer && t('terms.insurerAs', { name: m.name(terms.insurer) })].filter(Boolean);
      return and(t('record.ownershipAccepted'), named.length && t('more.naming', { terms: list(named) }));
    }
    case 'ownership_transferred': return t('record.ownershipTransferred', { key: keyId() });
    case 'owner_report':
      return and(t('record.ownerReport', { event: word(OWNER_EVENTS, b.event, t('event.other')) }), b.note && t('more.reason', { reason: b.note }));
    case 'owner_key_replaced': return and(t('record.ownerKeyReplaced', { key: keyId() }), b.reason && t('more.reason', { reason: b.reason }));
    case 'heirloom_received':
      return and(t('record.heirloomReceived', { intake: b.intake_id, description: b.description, mass: mass(b.metal_mg), material: material(b.material),
        fineness: fineness(b.material, b.fineness_ptt), assay: word(ASSAY, b.assay_method, t('assay.other')), lot: b.lot_id, key: keyId() }),
      b.repurposed_piece_id && t('more.wasPiece', { id: b.repurposed_piece_id }));
    case 'stone_replaced': return t('record.stoneReplaced', { old: b.old_stone_lot_id, new: b.new_stone_lot_id, reason: b.reason });
    case 'error_declared':
      return and(t('record.errorDeclared', { index: b.wrong_index, reason: b.reason }), b.replacement_index && t('more.replacedBy', { index: b.replacement_index }));
    default: return e.kind;
  }
}

// ---------------------------------------------------------------- rendering

// Draws the verdict afresh (a change of language draws it again from the same result).
function renderVerdict(result) {
  const box = document.getElementById('verdict');
  const title = document.getElementById('verdict-title');
  const summary = document.getElementById('verdict-summary');
  const checks = document.getElementById('verdict-checks');
  box.replaceChildren(title, summary, checks);
  box.classList.remove('pending', 'verified', 'failed');
  if (!result.ok) {
    box.classList.add('failed');
    title.textContent = t('verdict.failed');
    // The rule's name and the verifier's detail stay as the verifiers write them (tests/conformance/).
    summary.textContent = t('verdict.failedSummary', { check: result.check, detail: result.detail });
    checks.replaceChildren(el('li', {}, t('verdict.failedCheck', { check: result.check })));
    document.getElementById('log-state').textContent = t('about.logStateFailed');
    return;
  }
  const c = result.checkpoint;
  box.classList.add('verified');
  title.textContent = t('verdict.verified');
  summary.textContent = t('verdict.verifiedSummary');
  const n = result.checks.records;
  checks.replaceChildren(...[  // a line that does not apply is false, and left out
    el('li', {}, t('check.signed', { origin: c.origin, size: c.size })),
    el('li', {}, t('check.included', { count: n })),
    el('li', {}, t('check.links', { count: result.checks.links })),
    el('li', {}, t('check.encoded', { count: n })),
    el('li', {}, t('check.signatures', { count: n })),
    el('li', {}, t('check.complete')),
    el('li', {}, t('check.roles')),
    el('li', {}, t('check.custody', { count: result.checks.custody.received })),
    el('li', {}, t('check.certificates')),
    result.claims.length > 0 && el('li', {}, t('check.claims', { claims: list(result.claims.map((x) => word(CLAIMS, x))) })),
    result.owner && el('li', {}, t('check.owner')),
    result.heirloom && el('li', {}, t('check.heirloom', { material: result.heirloomText })),
    result.materialClaims.length > 0 && el('li', {}, t('check.materialClaims', { claims: result.materialClaims.map((x) => x.text).join(t('list.semicolon')) })),
  ].filter(Boolean));
  renderSealed(box, result);
  renderCosignatures(box, result);
  renderAuditors(box, result);
  box.append(el('p', { class: 'small' }, t('verdict.footnote')));
  document.getElementById('log-state').textContent = t('about.logStateChecked', { origin: c.origin, size: c.size, root: c.rootB64 });
}

// Sealed records (issue 16): the list above is what this browser checked itself; what it could
// not check, because it reads values a supplier keeps committed (and the bundle does not open),
// is listed apart, on the word of the ledger, which checked it on the opened record, and of
// auditors who read openings (`piece verify` prints the same split).
function renderSealed(box, result) {
  if (!result.sealed?.length && !result.opened?.length) return;
  const parts = [];
  const entries = (indices) => list(indices.map((i) => t('sealed.entry', { index: i })));
  if (result.opened.length) {
    parts.push(el('p', { id: 'sealed-opened' }, t('sealed.opened', { entries: entries(result.opened) })));
  }
  if (result.sealed.length) {
    parts.push(el('p', { id: 'sealed-summary' }, tn('sealed.summary', result.sealed.length, { entries: entries(result.sealed) })));
    parts.push(result.vouched.length
      ? el('ul', { id: 'vouched-list' }, result.vouched.map((f) => el('li', {}, t('sealed.vouched', { index: f.index, kind: f.kind, what: f.what }))))
      : el('p', { id: 'vouched-list' }, t('sealed.none')));
  }
  box.append(el('section', { class: 'sealed', 'aria-labelledby': 'sealed-title' },
    el('h3', { id: 'sealed-title' }, t('sealed.title')), ...parts));
}

// Witnesses that cosigned the checkpoint: checked with a pinned key, or said plainly not to be.
function renderCosignatures(box, result) {
  const items = result.cosignatures.map((c) => el('li', {},
    c.checked
      ? t('witness.checked', { name: c.name, date: new Date(c.time * 1000).toISOString().slice(0, 10) })
      : t('witness.unchecked', { name: c.name })));
  const vouched = new Set(result.cosignatures.filter((c) => c.checked).map((c) => c.key)).size;
  const summary = !witnessKeys.length
    ? t('witness.noneNamed')
    : quorum > 0
      ? tn('witness.quorum', quorum, { vouched, total: witnessKeys.length })
      : t('witness.noQuorum', { vouched, total: witnessKeys.length });
  box.append(el('section', { class: 'witnesses', 'aria-labelledby': 'witnesses-title' },
    el('h3', { id: 'witnesses-title' }, t('witness.title')),
    el('p', { id: 'witness-summary' }, summary),
    items.length ? el('ul', { id: 'witness-list' }, items)
      : el('p', { id: 'witness-list' }, t('witness.noneYet'))));
}

// Auditors who re-checked the whole log (sealed records opened) and cosigned a checkpoint the
// bundle's extends: what this page cannot check alone rests on them. (Who re-checked what is the
// verifier's own text, verify.js's auditorsText, in English.)
function renderAuditors(box, result) {
  const text = result.auditorsText
    ? t('auditor.cosigned', { auditors: `${result.auditorsText[0].toUpperCase()}${result.auditorsText.slice(1)}`, size: result.auditedSize })
    : auditorKeys.length ? t('auditor.none') : t('auditor.noneNamed');
  box.append(el('section', { class: 'auditors', 'aria-labelledby': 'auditors-title' },
    el('h3', { id: 'auditors-title' }, t('auditor.title')),
    el('p', { id: 'auditor-summary' }, text)));
}

function section(id, title, ...content) {
  return el('section', { 'aria-labelledby': id }, el('h2', { id }, title), ...content);
}

// An owner's report as verify_owners.js names it.
const OWNER_STATUS = { lost: tk('ownerEvent.lost'), stolen: tk('ownerEvent.stolen') };

// The piece's owner: a key, never a name, and what the owner's records say.
function renderOwner(result, m) {
  const o = result.owner;
  const facts = [];
  if (o) {
    facts.push(el('dt', {}, t('owner.key')), el('dd', {}, el('span', { class: 'id', id: 'owner-key' }, o.keyId),
      o.kind === 'passkey' ? t('owner.passkey', { rp: o.rpId }) : t('owner.ed25519')));
    facts.push(el('dt', {}, t('owner.ownership')), el('dd', { id: 'owner-accepted' }, o.accepted ? t('owner.accepted') : t('owner.notAccepted')));
    facts.push(el('dt', {}, t('owner.reported')), el('dd', { id: 'owner-status' },
      o.status === 'none' ? t('owner.notReported') : t('owner.reportedStatus', { status: word(OWNER_STATUS, o.status, o.status) })));
    const terms = o.terms;
    const named = [terms.recoveryKeyId && t('terms.recoveryKey', { key: terms.recoveryKeyId }),
      terms.recoveryAgent && t('terms.recoveryAgent', { name: m.name(terms.recoveryAgent) }),
      terms.insurer && t('terms.insurer', { name: m.name(terms.insurer) })].filter(Boolean);
    facts.push(el('dt', {}, t('owner.terms')), el('dd', {}, named.join(t('list.semicolon')) || t('owner.noTerms')));
    facts.push(el('dt', {}, t('owner.newest')), el('dd', {}, t('owner.newestText', { index: o.sinceIndex })));
  }
  if (result.repurposed) {
    facts.push(el('dt', {}, t('owner.repurposed')), el('dd', { id: 'owner-repurposed' },
      t('owner.repurposedText', { intake: result.repurposed.intake, index: result.repurposed.index })));
  }
  return section('owner-title', t('owner.title'), el('dl', { class: 'facts', id: 'owner' }, facts),
    el('p', { class: 'small' }, t('owner.note')));
}

// Whose the owner's material is: the intakes' owner key need not be the piece's
// owner now (a jeweler could take metal in under a key of its own), so say which.
function whoseMaterial(result) {
  if (!result.owner) return t('heirloom.noOwner');
  return result.owner.keyId === result.heirloom.owner_key_id
    ? t('heirloom.currentOwner') : t('heirloom.otherOwner', { key: result.owner.keyId });
}

// An assay method as verify_owners.js names it.
const assayWord = (name) => (name === 'fire assay' ? t('assay.fire') : name || t('assay.other'));

// The owner's material: the old piece as received, each step with the owner's grams, and the new piece.
function renderHeirloom(result, m) {
  const h = result.heirloom, lots = result.graph.lots;
  const intakes = result.intakes.filter((i) => h.intake_ids.includes(i.intakeId));
  const old = intakes.map((i) => el('li', { class: 'card' },
    el('h3', {}, i.repurposedPieceId ? t('heirloom.oldPieceId', { id: i.repurposedPieceId }) : t('heirloom.oldPiece')),
    el('dl', { class: 'facts' },
      el('dt', {}, t('heirloom.described')), el('dd', {}, i.repurposedPieceDescription
        ? t('heirloom.registeredAs', { description: i.description, registered: i.repurposedPieceDescription }) : i.description),
      el('dt', {}, t('heirloom.received')), el('dd', {}, t('heirloom.receivedText', { name: m.name(i.jeweler), intake: i.intakeId, index: i.index, key: i.ownerKeyId })),
      el('dt', {}, t('heirloom.gross')), el('dd', {}, mass(i.grossWeightMg)),
      el('dt', {}, t('heirloom.metal')), el('dd', {}, t('heirloom.metalText', { mass: mass(i.metalMg), material: material(i.material),
        fineness: fineness(i.material, i.finenessPtt), assay: assayWord(i.assayMethod), fine: grams(i.metalMg * BigInt(i.finenessPtt)) })),
      i.stoneLotIds.length > 0 && [el('dt', {}, t('heirloom.stones')), el('dd', {}, t('heirloom.ownerStones', { stones: list(i.stoneLotIds) }))],
      el('dt', {}, t('heirloom.photos')), el('dd', {}, i.photoSha256.length
        ? el('ul', { class: 'plain' }, i.photoSha256.map((x) => el('li', {}, el('code', { class: 'wrap' }, x))))
        : t('heirloom.noPhotos')),
    )));
  // Each transformation the owner's material went through, in order.
  const ownerFine = (id) => lots.get(id)?.heirloomFine ?? 0n;
  const steps = result.entries.filter((e) => e.kind === 'transformation' &&
    e.body.inputs.some((i) => ownerFine(i.lot_id) > 0n || lots.get(i.lot_id)?.heirloomOwner === h.owner_key_id)).map((e) => {
    const b = e.body;
    const inFine = b.inputs.reduce((n, i) => n + ownerFine(i.lot_id), 0n);
    const outFine = b.outputs.reduce((n, o) => n + ownerFine(o.lot_id), 0n);
    const others = b.inputs.filter((i) => lots.get(i.lot_id)?.trace.material !== b.material);
    const loss = BigInt(b.declared_loss_fine_ptt || 0);
    const outs = list(b.outputs.map((o) => (ownerFine(o.lot_id) > 0n
      ? t('heirloom.outOwner', { id: o.lot_id, fine: grams(ownerFine(o.lot_id)) }) : t('heirloom.outNone', { id: o.lot_id }))));
    return el('li', {},
      el('strong', {}, word(STEP, b.process, t('step.transformed'))), t('heirloom.stepBy', { name: m.name(e.record.signer), index: e.index }),
      t('heirloom.stepFine', { material: material(b.material), in: grams(inFine), out: grams(outFine) }),
      loss > 0n ? t('heirloom.stepLoss', { loss: grams(loss), share: grams(inFine - outFine) }) : '',
      others.length ? t('heirloom.alloyed', { inputs: list(others.map((i) => t('transform.input', { quantity: quantity(m.lots.get(i.lot_id), i.quantity),
        id: material(lots.get(i.lot_id)?.trace.material) || i.lot_id }))) }) : '',
      t('heirloom.into', { outputs: outs }));
  });
  return section('heirloom-title', t('heirloom.title', { material: material(h.material || 'metal') }),
    el('p', {}, t('heirloom.intro')),
    el('ul', { class: 'cards', id: 'heirloom-intakes' }, old),
    steps.length > 0 && el('ol', { class: 'timeline', id: 'heirloom-steps' }, steps),
    el('p', { id: 'heirloom-piece' }, el('strong', {}, t('heirloom.newPiece', { id: pieceId })), result.heirloomText));
}

function renderStory(result) {
  const m = model(result);
  const story = document.getElementById('story');
  const p = m.piece;
  const title = document.getElementById('title');
  delete title.dataset.i18n;  // the piece's own description from here on
  title.replaceChildren(p.description || t('story.pieceFallback', { id: pieceId }));
  const jeweler = m.participants.get(p.by);
  const latest = m.lifecycle.filter((l) => !m.wrong.has(l.entry.index));

  const pieceFacts = el('dl', { class: 'facts' },
    el('dt', {}, t('story.piece')), el('dd', {}, el('span', { class: 'id' }, pieceId)),
    el('dt', {}, t('story.madeBy')), el('dd', {}, tNodes('story.madeByText', { name: jeweler?.name || p.by, date: timeEl(p.entry.record.event_time_micros) })),
    result.heirloomText && [el('dt', {}, t('story.ownerMaterial')), el('dd', { id: 'heirloom-claim' },
      t('story.ownerMaterialText', { claim: result.heirloomText, key: result.heirloom.owner_key_id, whose: whoseMaterial(result) }))],
    p.hallmark && [el('dt', {}, t('story.hallmark')), el('dd', {}, p.hallmark)],
    el('dt', {}, t('story.claims')), el('dd', {}, [...p.claims.map((c) => t('story.checked', { claim: word(CLAIMS, c) })),
      ...result.materialClaims.map((c) => t('story.checked', { claim: c.text }))].join(t('list.semicolon')) || t('story.nothing')),
    result.composition.length > 0 && [el('dt', {}, t('story.madeOf')), el('dd', {}, el('ul', { id: 'composition', class: 'plain' }, result.composition.map((s) => el('li', {},
      s.stone ? tn('story.stones', s.stones, { material: material(s.material), carats: carats(s.amount) })
        : t('story.metalShare', { material: material(s.material), share: share(s.sharePtt), mass: mass(s.amount) })))))],
    latest.length > 0 && [el('dt', {}, t('story.since')), el('dd', {}, latest.map((l) =>
      t('story.eventOn', { event: word(EVENTS, l.event), date: dateText(l.entry.record.event_time_micros) })).join(t('list.semicolon')))],
  );
  const parts = [section('piece-title', t('story.pieceTitle'), pieceFacts)];
  // A recall: a certificate the piece's records relied on (each was in force then: the check
  // above) is revoked or suspended now. `touchstone impact certificate ID` lists every piece so.
  const recalled = [...m.certs.values()].map((c) => [c, m.statusAt(c, Date.now() * 1000)])
    .filter(([, now]) => now === 'revoked' || now === 'suspended');
  if (recalled.length) {
    parts.unshift(el('div', { id: 'recall', class: 'note warn' }, recalled.map(([c, now]) =>
      el('p', {}, t('story.recall', { status: certStatus(now), certificate: certLine(m, c.certificate_id) })))));
  }
  if (result.owner || result.repurposed) parts.push(renderOwner(result, m));
  if (result.heirloom) parts.push(renderHeirloom(result, m));

  // Stones: grading report and grower.
  const stoneItems = m.stones.map((id) => {
    const lot = m.lots.get(id);
    const report = [...m.certs.values()].find((c) => c.subject_lot === id && c.grading_report);
    const growers = m.sources(id).map((s) => t('story.grower', { source: `${m.name(s.by)}${s.facility ? `, ${s.facility}` : ''}`, origin: word(ORIGIN, s.origin_class) }));
    const g = report?.grading_report;
    return el('li', { class: 'card' },
      el('h3', {}, t('story.stone', { id })),
      el('dl', { class: 'facts' },
        g && [el('dt', {}, t('story.diamond')), el('dd', {}, t('story.diamondText', { origin: word(STONE, g.origin),
          growth: GROWTH[g.growth_method] ? `(${GROWTH[g.growth_method]})` : '', carats: carats(g.carats_thousandths), colour: g.colour, clarity: g.clarity, cut: g.cut }))],
        g && [el('dt', {}, t('story.gradingReport')), el('dd', {}, t('story.reportNumber', { lab: m.name(g.lab), number: g.report_number }))],
        g && [el('dt', {}, t('story.inscription')), el('dd', {}, t('story.quoted', { text: g.inscription }))],
        report && [el('dt', {}, t('story.reportStatus')), el('dd', {}, certLine(m, report.certificate_id))],
        el('dt', {}, t('story.grownBy')), el('dd', {}, growers.join(t('list.semicolon')) || t('story.unknown')),
        lot && lot.by && [el('dt', {}, t('story.cutBy')), el('dd', {}, m.name(lot.by))],
      ));
  });
  if (stoneItems.length) parts.push(section('stones-title', m.stones.length > 1 ? t('story.stonesTitle') : t('story.stoneTitle'), el('ul', { class: 'cards' }, stoneItems)));

  // Metal: back to where it entered the ledger.
  const metalItems = p.metal_inputs.map((mi) => {
    const sources = m.sources(mi.lot_id);
    return el('li', { class: 'card' },
      el('h3', {}, t('story.metalFrom', { quantity: quantity(m.lots.get(mi.lot_id), mi.quantity), id: mi.lot_id })),
      el('p', {}, t('story.origin', { origin: word(ORIGIN, m.origin(mi.lot_id), t('story.unknown')) })),
      el('ul', {}, sources.map((s) => el('li', {},
        and(t('story.source', { name: m.name(s.by), quantity: s.sealed ? t('story.sealedQuantity') : quantity(s, s.quantity),
          material: material(s.material), form: s.form, origin: word(ORIGIN, s.origin_class) }),
        s.facility && t('more.at', { place: s.facility }), s.note && t('more.note', { note: s.note }),
        s.heirloom && t('story.heirloomSource', { intake: s.heirloom }))))));
  });
  if (metalItems.length) parts.push(section('metal-title', t('story.metalTitle'), el('ul', { class: 'cards' }, metalItems)));

  // Who took part (their registrations stay out of the timeline).
  const who = [...m.participants.values()].filter((x) => !x.roles.includes(1)).map((x) => el('li', {},
    el('strong', {}, x.name), t('story.roles', { roles: list(x.roles.map((r) => word(ROLES, r, r))) }),
    x.identifiers.length ? t('story.identifiers', { identifiers: list(x.identifiers.map((i) => `${i.scheme} ${i.value}`)) }) : ''));
  parts.push(section('who-title', t('story.whoTitle'), el('ul', { class: 'certlist' }, who)));

  // Timeline, origin first. Participants' own key records stay out of it; a key
  // the operator added for someone else does not, nor does what was signed with it.
  const hidden = ['genesis', 'participant_registered', 'key_added', 'key_revoked', 'role_granted',
    'operator_key_rotated'];
  const byOperator = (e) => (e.kind === 'key_added' || e.kind === 'key_revoked') && e.body.participant_id !== e.record.signer;
  const items = result.entries.filter((e) => !hidden.includes(e.kind) || byOperator(e)).map((e) => {
    const r = e.record, b = r[e.kind];
    const wrong = m.wrong.get(e.index);
    const late = e.recordedAt - r.event_time_micros;
    const addedBy = e.signedWith?.addedBy && e.signedWith.addedBy !== r.signer ? e.signedWith.addedBy : null;
    return el('li', { class: wrong || byOperator(e) || addedBy ? 'wrong' : '' },
      el('p', { class: 'when' }, tNodes('timeline.when', { date: timeEl(r.event_time_micros), recorded: timeEl(e.recordedAt), index: e.index })),
      late > LATE_MICROS && el('p', { class: 'note late' }, tn('timeline.late', Math.floor(late / 86400e6))),
      el('p', {}, tNodes('timeline.action', { signer: el('strong', {}, m.signerText(r)), action: describe(m, e) })),
      byOperator(e) && el('p', { class: 'note operator-key' }, t('timeline.operatorKey', { name: m.name(b.participant_id) })),
      addedBy && el('p', { class: 'note operator-key' }, t('timeline.addedKey', { adder: m.name(addedBy), signer: m.name(r.signer), index: e.signedWith.addedIndex })),
      (b.certificate_ids || []).length > 0 && el('ul', { class: 'certs' }, b.certificate_ids.map((c) => el('li', {}, certLine(m, c, r.event_time_micros)))),
      wrong && el('p', { class: 'note' }, t('timeline.wrong', { index: wrong.entry.index, reason: wrong.reason })));
  });
  parts.push(section('timeline-title', t('story.timelineTitle'), el('ol', { class: 'timeline' }, items)));

  // Certificates.
  const certItems = [...m.certs.values()].map((c) => {
    const now = m.statusAt(c, Date.now() * 1000);
    return el('li', { class: now === 'valid' ? '' : 'warn' }, certLine(m, c.certificate_id));
  });
  parts.push(section('certs-title', t('story.certsTitle'), el('p', {}, t('story.certsNote')), el('ul', { class: 'certlist' }, certItems)));
  story.replaceChildren(...parts);
  story.hidden = false;
}

// The pinned witness keys, shown beside the log's key for a careful customer to compare.
function showWitnessKeys() {
  const keys = document.getElementById('witness-keys');
  keys.replaceChildren(...(witnessKeys.length
    ? witnessKeys.map((k) => el('li', {}, el('code', { class: 'wrap' }, k)))
    : [el('li', {}, t('about.noWitnesses'))]));
}

// The page's fixed text, and (once verified) the verdict and story, in the current language.
function render(result) {
  translateStatic();
  document.title = t('page.title', { id: pieceId });
  showWitnessKeys();
  if (!result) return;
  renderVerdict(result);
  if (result.ok) {
    try { renderStory(result); } catch (e) { console.error(e); }
  }
}

// The language switcher: another language redraws the page from the same verified result
// (no new fetch of the bundle, no second verification) and is remembered.
function showSwitcher(current) {
  const select = document.getElementById('language');
  select.replaceChildren(...LANGUAGES.map((l) => el('option', { value: l.code, lang: l.code }, l.name)));
  select.value = currentLanguage();
  select.addEventListener('change', async () => {
    try {
      await useLanguage(select.value);
      rememberLanguage(currentLanguage());
      const result = current();
      render(result);
      if (result) await showOwner(result, pieceId);  // owner.js draws its section again (in English)
      document.body.dataset.language = currentLanguage();
    } catch (e) { console.error(e); }
  });
}

async function main_() {
  let result = null;
  try { await useLanguage(chosenLanguage()); } catch (e) { console.error(e); }  // the messages: else keys show
  showSwitcher(() => result);
  render(null);
  document.body.dataset.language = currentLanguage();
  document.getElementById('bundle-link').href = `${base}/bundle`;
  document.getElementById('qr').src = `${base}/qr.svg`;
  document.getElementById('qr-svg').href = `${base}/qr.svg`;
  document.getElementById('qr-png').href = `${base}/qr.png`;
  let verified;
  try {
    const response = await fetch(`${base}/bundle.json`, { cache: 'no-store' });
    if (!response.ok) throw new Error(t('error.serverAnswered', { status: response.status, text: (await response.text()).trim() }));
    verified = await verifyBundle(await response.json(), vkey, { witnessKeys, quorum, pieceId, auditorKeys, auditorQuorum });
  } catch (e) {
    verified = { ok: false, check: 'fetching the bundle', detail: e.message };
  }
  result = verified;
  render(result);
  try { await showOwner(result, pieceId); } catch (e) { console.error(e); }  // owner.js: the owner's actions
  document.body.dataset.state = result.ok ? 'verified' : 'failed';
  document.body.dataset.check = result.ok ? '' : result.check;  // the rule broken (ledger/bundle/bundle_rules.h)
}

main_();
