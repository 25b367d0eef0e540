// The customer page: fetches the piece's bundle (exact bytes, as JSON),
// verifies it in this browser (verify.js) and tells the piece's story from the
// verified records only. Text is added with DOM calls, never parsed as HTML.
import { caratText, massText, metalFinenessText, quantityText, shareText, SYSTEM_OF_WARRANTIES } from './trade.js';
import { certificateStatusAt, verifyBundle } from './verify.js';
import { heirloomGramsText } from './heirloom.js';
import { showOwner } from './owner.js';

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

const ROLES = ['', 'ledger operator', 'miner', 'refiner', 'recycler', 'lab-grown diamond grower', 'cutter',
  'manufacturer', 'jeweler', 'certifier', 'auditor'];
const ORIGIN = ['', 'mined', 'recycled (pre-consumer)', 'recycled (post-consumer)', 'lab-grown', 'recycled (mixed)', 'mixed origins'];
const PROCESS = ['', 'refined', 'alloyed', 'cast', 'cut and polished', 'split', 'merged'];
const CLAIMS = ['', 'recycled metal', 'lab-grown diamonds', 'natural diamonds', 'certified chain of custody'];
const EVENTS = ['', 'sold', 'repaired', 'reported lost', 'reported stolen', 'recovered'];
const STATUS = ['', 'suspended', 'revoked', 'reinstated'];
const STONE = ['', 'natural', 'lab-grown'];
const GROWTH = ['', 'CVD', 'HPHT'];
const ASSAY = ['', 'XRF', 'fire assay'];

const date = (micros) => new Date(micros / 1000);
const dateText = (micros) => date(micros).toLocaleDateString('en-GB', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
const timeEl = (micros) => el('time', { datetime: date(micros).toISOString() }, dateText(micros));
// A record dated more than this before the ledger recorded it is marked.
const LATE_MICROS = 86400e6;

// A quantity in the units the trade reads: "1,000.000 g (32.151 ozt, 643.015 dwt)", "1.250 ct".
function quantity(lot, q) {
  if (!lot) return String(q);
  return quantityText(lot.unit, BigInt(q));
}
// A lot's fineness in ptt (the legacy ppt x 10), as the trade states it: "750 (18k)", "950".
const finenessPtt = (l) => l.fineness_ptt || l.fineness_ppt * 10;
const finenessWords = (l) => (finenessPtt(l) && l.unit === 1 ? `${metalFinenessText(l.material, finenessPtt(l))} fine` : '');
const SCHEME_KIND = ['', 'chain of custody', 'recycled content', 'responsible sourcing', 'grading laboratory', 'Kimberley Process authority'];
const ATTRIBUTE = ['', 'recycled', 'lab-grown', 'natural'];
// Fine units (milligrams x ptt) as grams of fine metal.
const fineText = (fine) => massText(BigInt(fine) / 10000n);

// ---------------------------------------------------------------- the story model

function model(result) {
  const m = { participants: result.participants, lots: new Map(), certs: new Map(), wrong: new Map(),
    piece: null, stones: [], lifecycle: [] };
  const name = (id) => m.participants.get(id)?.name || id;
  m.name = name;
  m.keyIds = result.ownerKeyIds ?? new Map();
  // Who signed: a participant's name, or for a record an owner key signs alone, that key (never a name).
  m.signerText = (r) => (r.signer === '' && r.owner_signature ? `The owner (key ${r.owner_signature.key_id})` : name(r.signer));
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
  if (!c) return `certificate ${id}`;
  const now = m.statusAt(c, Date.now() * 1000);
  const then = atMicros ? m.statusAt(c, atMicros) : null;
  const change = c.changes.filter((x) => x.status !== 3).at(-1);
  let text = `${c.scheme} certificate ${id} by ${m.name(c.by)}: ${then ? `${then} then, ` : ''}${now} now`;
  if (now !== 'valid' && change) text += ` (${STATUS[change.status]} from ${dateText(change.effective_micros)}: ${change.reason})`;
  return text;
}

function describe(m, e) {
  const r = e.record, b = r[e.kind];
  const lot = (id) => m.lots.get(id);
  const lotWords = (l) => [l.material, l.form, finenessWords(l), l.parcel ? `(a parcel of ${l.parcel.stone_count} stones${l.parcel.size_class ? `, ${l.parcel.size_class}` : ''})` : ''].filter(Boolean).join(' ');
  switch (e.kind) {
    case 'genesis': return `starts the ledger ${b.origin}`;
    case 'participant_registered':
      return `registers ${b.legal_name} (${b.participant_id}) as ${b.roles.map((x) => ROLES[x] || x).join(', ')}` +
        (b.identifiers.length ? `; ${b.identifiers.map((i) => `${i.scheme} ${i.value}`).join(', ')}` : '');
    case 'key_added': return `adds a signing key for ${m.name(b.participant_id)}`;
    case 'key_revoked': return `revokes signing key ${b.key_id} of ${m.name(b.participant_id)}: ${b.reason}`;
    case 'operator_key_rotated': return `hands the log's checkpoint key over from key ${r.key_id} to a new key${b.reason ? ': ' + b.reason : ''}`;
    case 'role_granted': return `makes ${m.name(b.participant_id)} a ${ROLES[b.role] || b.role}`;
    case 'participant_suspended': return `suspends ${m.name(b.participant_id)}: ${b.reason}`;
    case 'participant_reinstated': return `reinstates ${m.name(b.participant_id)}: ${b.reason}`;
    case 'certificate_issued': {
      const subject = b.subject_participant ? m.name(b.subject_participant) : b.subject_lot ? `lot ${b.subject_lot}` : b.subject_facility;
      let text = `issues ${b.scheme} certificate ${b.certificate_id} for ${subject}` + (b.scope ? ` (${b.scope})` : '') +
        `, valid from ${dateText(b.valid_from_micros)}` + (b.valid_until_micros ? ` until ${dateText(b.valid_until_micros)}` : '');
      if (b.grading_report) {
        const g = b.grading_report;
        text += `: ${m.name(g.lab)} report ${g.report_number}, ${STONE[g.origin] || ''} ${GROWTH[g.growth_method] || ''} diamond, ` +
          `${caratText(g.carats_thousandths)}, colour ${g.colour}, clarity ${g.clarity}, cut ${g.cut}; inscription "${g.inscription}"`;
      }
      return text;
    }
    case 'certificate_status_changed':
      return `marks certificate ${b.certificate_id} ${STATUS[b.status]} from ${dateText(b.effective_micros)}: ${b.reason}`;
    case 'lot_created':
      return `creates lot ${b.lot_id}: ${quantity(b, b.quantity)} of ${lotWords(b)}, ${ORIGIN[b.origin_class]}` +
        (b.facility ? `, at ${b.facility}` : '') + (b.note ? ` (${b.note})` : '');
    case 'transformation': {
      const ins = b.inputs.map((i) => `${quantity(lot(i.lot_id), i.quantity)} of ${i.lot_id}`).join(' and ');
      const outs = b.outputs.map((o) => `${o.lot_id} (${quantity(lot(o.lot_id), o.quantity)} ${o.form})`).join(', ');
      const unit = lot(b.outputs[0]?.lot_id)?.unit === 2 ? 'ct' : 'g fine';
      return `${PROCESS[b.process] || 'transformed'} ${b.material}` + (b.location ? ` at ${b.location}` : '') +
        `: ${ins} into ${outs}` + (b.declared_loss_fine ? `; declared loss ${(b.declared_loss_fine / 1e6).toFixed(3)} ${unit}` : '') +
        (b.declared_loss_fine_ptt ? `; declared loss ${unit === 'ct' ? caratText(BigInt(b.declared_loss_fine_ptt) / 10000n) : fineText(b.declared_loss_fine_ptt)}${unit === 'ct' ? '' : ' fine'}` : '');
    }
    case 'custody_shipped':
      return `ships lot ${b.lot_id} to ${m.name(b.to_participant)}` +
        (b.warranty_statement === SYSTEM_OF_WARRANTIES ? ', with the System of Warranties statement on the invoice' : '');
    case 'scheme_registered':
      return `registers scheme ${b.scheme}${b.display_name ? ` (${b.display_name})` : ''}, a ${SCHEME_KIND[b.kind] || 'scheme'}: only ${m.name(b.issuer)} signs its certificates`;
    case 'credit_account_opened':
      return `opens mass-balance account ${b.account_id} for ${ATTRIBUTE[b.attribute] || ''} ${b.material} at ${b.site}, ${dateText(b.period_start_micros)} to ${dateText(b.period_end_micros)}, under certificate ${b.certificate_id}`;
    case 'credit_booked':
      return `books ${fineText(b.fine)} of fine ${m.lots.get(b.lot_id)?.material || 'metal'} from lot ${b.lot_id} as credit in account ${b.account_id} (record ${b.seq}; balance ${fineText(b.balance_after)})`;
    case 'credit_allocated':
      return `allocates ${fineText(b.fine)} of credit from account ${b.account_id} to lot ${b.lot_id} (record ${b.seq}; balance ${fineText(b.balance_after)})`;
    case 'custody_received': return `receives lot ${b.lot_id}`;
    case 'piece_registered':
      return `makes piece ${b.piece_id}: ${b.description}` + (b.hallmark ? `; hallmark ${b.hallmark}` : '') +
        (b.parcel_stones.length ? `; sets ${b.parcel_stones.map((ps) => `${ps.stones} stones of parcel ${ps.lot_id}`).join(', ')}` : '') +
        (b.claims.length ? `; claims ${b.claims.map((c) => CLAIMS[c]).join(', ')}` : '');
    case 'piece_lifecycle':
      return `records the piece ${EVENTS[b.event] || 'event'}` +
        (b.buyer ? ` to owner key ${m.keyIds.get(e.index) ?? ''}: from now on the owner's key acts for the piece (a key, never a name)`
          : b.event === 1 ? ' (the owner is kept only as a salted hash, never a name)' : '') +
        (r.owner_signature ? `, co-signed by owner key ${r.owner_signature.key_id}` : '') + (b.note ? `: ${b.note}` : '');
    case 'ownership_accepted': {
      const t = b.terms ?? {};
      const terms = [t.recovery_key && 'a recovery key of its own', t.recovery_agent && `${m.name(t.recovery_agent)} as recovery agent`,
        t.insurer && `${m.name(t.insurer)} as insurer`].filter(Boolean);
      return `takes ownership of the piece${terms.length ? `, naming ${terms.join(', ')}` : ''}`;
    }
    case 'ownership_transferred': return `gives the piece to owner key ${m.keyIds.get(e.index) ?? ''}`;
    case 'owner_report': return `reports the piece ${['', '', '', 'lost', 'stolen', 'recovered'][b.event] || 'event'}${b.note ? `: ${b.note}` : ''}`;
    case 'owner_key_replaced': return `replaces the owner key with key ${m.keyIds.get(e.index) ?? ''}${b.reason ? `: ${b.reason}` : ''}`;
    case 'heirloom_received':
      return `receives the owner's old jewelry (intake ${b.intake_id}): ${b.description}; ${massText(b.metal_mg)} of ${b.material}, ` +
        `${metalFinenessText(b.material, b.fineness_ptt)} fine by ${ASSAY[b.assay_method] || 'assay'}, as lot ${b.lot_id}, co-signed by owner key ${m.keyIds.get(e.index) ?? ''}` +
        (b.repurposed_piece_id ? `; it was piece ${b.repurposed_piece_id}, now closed` : '');
    case 'stone_replaced': return `replaces stone ${b.old_stone_lot_id} with ${b.new_stone_lot_id}: ${b.reason}`;
    case 'error_declared':
      return `declares entry ${b.wrong_index} wrong: ${b.reason}` + (b.replacement_index ? `; entry ${b.replacement_index} replaces it` : '');
    default: return e.kind;
  }
}

// ---------------------------------------------------------------- rendering

function renderVerdict(result) {
  const box = document.getElementById('verdict');
  const title = document.getElementById('verdict-title');
  const summary = document.getElementById('verdict-summary');
  const list = document.getElementById('verdict-checks');
  box.classList.remove('pending');
  if (!result.ok) {
    box.classList.add('failed');
    title.textContent = 'Not verified';
    summary.textContent = `The check "${result.check}" failed: ${result.detail}. Do not rely on this page's story.`;
    list.replaceChildren(el('li', {}, `Failed check: ${result.check}`));
    document.getElementById('log-state').textContent = 'not verified';
    return;
  }
  const c = result.checkpoint;
  box.classList.add('verified');
  title.textContent = 'Verified';
  summary.textContent = 'Your browser checked every record below against the ledger\'s signed state, with nothing but the verifier key:';
  const n = result.checks.records;
  list.replaceChildren(...[  // a line that does not apply is false, and left out
    el('li', {}, `The ledger state (${c.origin}, ${c.size} records) is signed by the operator's key shown at the bottom of this page.`),
    el('li', {}, `All ${n} records of this piece are in that ledger: ${n} inclusion proofs lead to its signed root.`),
    el('li', {}, `${result.checks.links} links of the hash chain between consecutive records match.`),
    el('li', {}, `All ${n} records are encoded the one way the ledger accepts, so they read the same here as in the ledger.`),
    el('li', {}, `All ${n} record signatures are valid, each by a key its signer registered, and had not revoked, earlier in the ledger.`),
    el('li', {}, 'Every lot, certificate and piece a record names is among them, each created once.'),
    el('li', {}, 'Every signer held a role that may write its record, and none was suspended.'),
    el('li', {}, `Custody: every lot of the piece was shipped, transformed or set only by its holder, and each of the ${result.checks.custody.received} shipments was received by the participant it was sent to.`),
    el('li', {}, 'Every certificate a record relies on was in force at the record\'s date and when the ledger recorded it.'),
    result.claims.length > 0 && el('li', {}, `The claims ${result.claims.map((c) => CLAIMS[c]).join(', ')} follow from the origins recorded for its metal and stones.`),
    result.owner && el('li', {}, 'Every ownership record of the piece is signed by the owner key (or the participant) its owner\'s records allow, each names the one before it with none missing, and none transfers a piece reported lost or stolen.'),
    result.heirloom && el('li', {}, `The owner's material (${result.heirloomText}) follows from the heirloom intake, co-signed by the owner's key, through every step to the piece.`),
    result.materialClaims.length > 0 && el('li', {}, `Each material claim (${result.materialClaims.map((c) => c.text).join('; ')}) follows from the records: the origins and certificates of its material, and for mass balance the account's bookings and allocations, replayed.`),
  ].filter(Boolean));
  renderSealed(box, result);
  renderCosignatures(box, result);
  renderAuditors(box, result);
  box.append(el('p', { class: 'small' }, 'These are the checks the command-line verifier makes, in the same order. Weights and losses are checked by the ledger when it appends a record and by an audit of the whole log, not from this bundle.'));
  document.getElementById('log-state').textContent = `${c.origin} at ${c.size} records, root ${c.rootB64}`;
}

// Sealed records (issue 16): the list above is what this browser checked itself; what it could
// not check, because it reads values a supplier keeps committed (and the bundle does not open),
// is listed apart, on the word of the ledger, which checked it on the opened record, and of
// auditors who read openings (`piece verify` prints the same split).
function renderSealed(box, result) {
  if (!result.sealed?.length && !result.opened?.length) return;
  const parts = [];
  if (result.opened.length) {
    parts.push(el('p', { id: 'sealed-opened' }, `Opened for this page and checked against their commitments: ${result.opened.map((i) => `entry ${i}`).join(', ')}.`));
  }
  if (result.sealed.length) {
    parts.push(el('p', { id: 'sealed-summary' }, `${result.sealed.length} record${result.sealed.length === 1 ? ' keeps' : 's keep'} business values committed (${result.sealed.map((i) => `entry ${i}`).join(', ')}): their signatures, custody order, origins, certificates and claims are checked above; these checks read committed values and are not checked here:`));
    parts.push(result.vouched.length
      ? el('ul', { id: 'vouched-list' }, result.vouched.map((f) => el('li', {}, `entry ${f.index} (${f.kind}): ${f.what}`)))
      : el('p', { id: 'vouched-list' }, 'none: no check of this piece reads them.'));
  }
  box.append(el('section', { class: 'sealed', 'aria-labelledby': 'sealed-title' },
    el('h3', { id: 'sealed-title' }, 'Checked by this page, and not checked here'), ...parts));
}

// Witnesses that cosigned the checkpoint: checked with a pinned key, or said plainly not to be.
function renderCosignatures(box, result) {
  const items = result.cosignatures.map((c) => el('li', {},
    c.checked
      ? `Cosigned by witness ${c.name} on ${new Date(c.time * 1000).toISOString().slice(0, 10)}: signature checked with its pinned key.`
      : `Cosigned by ${c.name} (not checked: key not pinned).`));
  const vouched = new Set(result.cosignatures.filter((c) => c.checked).map((c) => c.key)).size;
  const summary = !witnessKeys.length
    ? 'No witness vouched for this checkpoint: this server names none, so the ledger operator alone signs what this page checked.'
    : quorum > 0
      ? `${vouched} of the ${witnessKeys.length} witnesses this page pins cosigned this checkpoint; ${quorum} ${quorum === 1 ? 'is' : 'are'} required for "Verified".`
      : `${vouched} of the ${witnessKeys.length} witnesses this page pins cosigned this checkpoint; none is required.`;
  box.append(el('section', { class: 'witnesses', 'aria-labelledby': 'witnesses-title' },
    el('h3', { id: 'witnesses-title' }, 'Witnesses'),
    el('p', { id: 'witness-summary' }, summary),
    items.length ? el('ul', { id: 'witness-list' }, items)
      : el('p', { id: 'witness-list' }, 'No witness has cosigned this checkpoint yet.')));
}

// Auditors who re-checked the whole log (sealed records opened) and cosigned a checkpoint the
// bundle's extends: what this page cannot check alone rests on them.
function renderAuditors(box, result) {
  const text = result.auditorsText
    ? `${result.auditorsText[0].toUpperCase()}${result.auditorsText.slice(1)}: their cosignatures on the log's checkpoint at size ${result.auditedSize} were checked with their pinned keys, and this bundle's checkpoint extends it.`
    : auditorKeys.length
      ? 'No auditor has cosigned a checkpoint of this log that this bundle carries yet: facts this page cannot check alone (sealed quantities) rest on the ledger operator.'
      : 'This server names no auditors.';
  box.append(el('section', { class: 'auditors', 'aria-labelledby': 'auditors-title' },
    el('h3', { id: 'auditors-title' }, 'Auditors'),
    el('p', { id: 'auditor-summary' }, text)));
}

function section(id, title, ...content) {
  return el('section', { 'aria-labelledby': id }, el('h2', { id }, title), ...content);
}

// The piece's owner: a key, never a name, and what the owner's records say.
function renderOwner(result, m) {
  const o = result.owner;
  const facts = [];
  if (o) {
    facts.push(el('dt', {}, 'Owner key'), el('dd', {}, el('span', { class: 'id', id: 'owner-key' }, o.keyId),
      o.kind === 'passkey' ? ` (a passkey for ${o.rpId})` : ' (an Ed25519 key)'));
    facts.push(el('dt', {}, 'Ownership'), el('dd', { id: 'owner-accepted' }, o.accepted
      ? 'taken: the owner key signed for the piece'
      : 'not yet taken: the sale or transfer named this key, which has not signed for the piece yet'));
    facts.push(el('dt', {}, 'Reported'), el('dd', { id: 'owner-status' }, o.status === 'none' ? 'neither lost nor stolen' : `${o.status}: it cannot be transferred until recovered`));
    const t = o.terms;
    const terms = [t.recoveryKeyId && `recovery key ${t.recoveryKeyId}`, t.recoveryAgent && `recovery agent ${m.name(t.recoveryAgent)}`,
      t.insurer && `insurer ${m.name(t.insurer)}`].filter(Boolean);
    facts.push(el('dt', {}, "The owner's terms"), el('dd', {}, terms.join('; ') || 'none: only the owner key acts for the piece'));
    facts.push(el('dt', {}, 'Newest ownership record'), el('dd', {}, `entry ${o.sinceIndex}; every earlier one is in this bundle, each naming the one before it`));
  }
  if (result.repurposed) {
    facts.push(el('dt', {}, 'Repurposed'), el('dd', { id: 'owner-repurposed' },
      `taken apart for its owner: heirloom intake ${result.repurposed.intake} (entry ${result.repurposed.index}) closed this piece; its metal and stones stay the owner's`));
  }
  return section('owner-title', 'Owner', el('dl', { class: 'facts', id: 'owner' }, facts),
    el('p', { class: 'small' }, 'The ledger knows an owner by key only, never by name. Checked: every ownership record is signed by the key (or the participant) the owner\'s records allow.'));
}

// Whose the owner's material is: the intakes' owner key need not be the piece's
// owner now (a jeweler could take metal in under a key of its own), so say which.
function whoseMaterial(result) {
  if (!result.owner) return '; the piece has no owner key';
  return result.owner.keyId === result.heirloom.owner_key_id
    ? ", the piece's current owner" : `; the piece now belongs to owner key ${result.owner.keyId}`;
}

// The owner's material: the old piece as received, each step with the owner's grams, and the new piece.
function renderHeirloom(result, m) {
  const h = result.heirloom, lots = result.graph.lots;
  const words = h.material || 'metal';
  const intakes = result.intakes.filter((i) => h.intake_ids.includes(i.intakeId));
  const old = intakes.map((i) => el('li', { class: 'card' },
    el('h3', {}, i.repurposedPieceId ? `The old piece: ${i.repurposedPieceId}` : 'The old piece'),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Described'), el('dd', {}, i.repurposedPieceDescription ? `${i.description} (registered as "${i.repurposedPieceDescription}")` : i.description),
      el('dt', {}, 'Received'), el('dd', {}, `by ${m.name(i.jeweler)} as intake ${i.intakeId} (entry ${i.index}), co-signed by owner key ${i.ownerKeyId}`),
      el('dt', {}, 'Gross weight'), el('dd', {}, massText(i.grossWeightMg)),
      el('dt', {}, 'Metal'), el('dd', {}, `${massText(i.metalMg)} of ${i.material}, ${metalFinenessText(i.material, i.finenessPtt)} fine by ${i.assayMethod || 'assay'}: ${heirloomGramsText(i.metalMg * BigInt(i.finenessPtt))} fine ${i.material}`),
      i.stoneLotIds.length > 0 && [el('dt', {}, 'Stones'), el('dd', {}, `${i.stoneLotIds.join(', ')}: the owner's stones`)],
      el('dt', {}, 'Photos'), el('dd', {}, i.photoSha256.length
        ? el('ul', { class: 'plain' }, i.photoSha256.map((x) => el('li', {}, el('code', { class: 'wrap' }, x))))
        : 'none recorded'),
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
    return el('li', {},
      el('strong', {}, `${PROCESS[b.process] || 'transformed'}`), ` by ${m.name(e.record.signer)} (entry ${e.index}): `,
      `the owner's ${b.material} ${heirloomGramsText(inFine)} fine in, ${heirloomGramsText(outFine)} fine out`,
      loss > 0n ? `; declared loss ${heirloomGramsText(loss)} fine, of which the owner's share ${heirloomGramsText(inFine - outFine)}` : '',
      others.length ? `; alloyed with ${others.map((i) => `${quantity(m.lots.get(i.lot_id), i.quantity)} of ${lots.get(i.lot_id)?.trace.material || i.lot_id}`).join(', ')}` : '',
      `; into ${b.outputs.map((o) => `${o.lot_id} (${ownerFine(o.lot_id) > 0n ? `${heirloomGramsText(ownerFine(o.lot_id))} the owner's` : 'none of the owner\'s'})`).join(', ')}`);
  });
  return section('heirloom-title', `The owner's ${words}`,
    el('p', {}, 'This piece is made from its owner\'s own jewelry. Your browser followed the owner\'s fine weight from what was received through every step below, each loss shared in proportion and rounded against the owner.'),
    el('ul', { class: 'cards', id: 'heirloom-intakes' }, old),
    steps.length > 0 && el('ol', { class: 'timeline', id: 'heirloom-steps' }, steps),
    el('p', { id: 'heirloom-piece' }, el('strong', {}, `The new piece ${pieceId}: `), result.heirloomText));
}

function renderStory(result) {
  const m = model(result);
  const story = document.getElementById('story');
  const p = m.piece;
  document.getElementById('title').replaceChildren(p.description || `Piece ${pieceId}`);
  const jeweler = m.participants.get(p.by);
  const latest = m.lifecycle.filter((l) => !m.wrong.has(l.entry.index));

  const pieceFacts = el('dl', { class: 'facts' },
    el('dt', {}, 'Piece'), el('dd', {}, el('span', { class: 'id' }, pieceId)),
    el('dt', {}, 'Made by'), el('dd', {}, `${jeweler?.name || p.by}, on `, timeEl(p.entry.record.event_time_micros)),
    result.heirloomText && [el('dt', {}, "The owner's material"), el('dd', { id: 'heirloom-claim' }, `${result.heirloomText} (checked; the owner: key ${result.heirloom.owner_key_id}${whoseMaterial(result)})`)],
    p.hallmark && [el('dt', {}, 'Hallmark'), el('dd', {}, p.hallmark)],
    el('dt', {}, 'The jeweler claims'), el('dd', {}, [...p.claims.map((c) => `${CLAIMS[c]} (checked)`), ...result.materialClaims.map((c) => `${c.text} (checked)`)].join('; ') || 'nothing'),
    result.composition.length > 0 && [el('dt', {}, 'Made of'), el('dd', {}, el('ul', { id: 'composition', class: 'plain' }, result.composition.map((s) => el('li', {},
      s.stone ? `${s.material}: ${s.stones} stone${s.stones === 1n ? '' : 's'}, ${caratText(s.amount)}` : `${s.material}: ${shareText(s.sharePtt)} of the metal, ${massText(s.amount)}`))))],
    latest.length > 0 && [el('dt', {}, 'Since then'), el('dd', {}, latest.map((l) => `${EVENTS[l.event]} on ${dateText(l.entry.record.event_time_micros)}`).join('; '))],
  );
  const parts = [section('piece-title', 'The piece', pieceFacts)];
  // A recall: a certificate the piece's records relied on (each was in force then: the check
  // above) is revoked or suspended now. `touchstone impact certificate ID` lists every piece so.
  const recalled = [...m.certs.values()].map((c) => [c, m.statusAt(c, Date.now() * 1000)])
    .filter(([, now]) => now === 'revoked' || now === 'suspended');
  if (recalled.length) {
    parts.unshift(el('div', { id: 'recall', class: 'note warn' }, recalled.map(([c, now]) =>
      el('p', {}, `A certificate this piece relied on was ${now} after it was made: ${certLine(m, c.certificate_id)}.`))));
  }
  if (result.owner || result.repurposed) parts.push(renderOwner(result, m));
  if (result.heirloom) parts.push(renderHeirloom(result, m));

  // Stones: grading report and grower.
  const stoneItems = m.stones.map((id) => {
    const lot = m.lots.get(id);
    const report = [...m.certs.values()].find((c) => c.subject_lot === id && c.grading_report);
    const growers = m.sources(id).map((s) => `${m.name(s.by)}${s.facility ? `, ${s.facility}` : ''} (${ORIGIN[s.origin_class]})`);
    const g = report?.grading_report;
    return el('li', { class: 'card' },
      el('h3', {}, `Stone ${id}`),
      el('dl', { class: 'facts' },
        g && [el('dt', {}, 'Diamond'), el('dd', {}, `${STONE[g.origin] || ''} ${GROWTH[g.growth_method] ? `(${GROWTH[g.growth_method]})` : ''}, ${caratText(g.carats_thousandths)}, colour ${g.colour}, clarity ${g.clarity}, cut ${g.cut}`)],
        g && [el('dt', {}, 'Grading report'), el('dd', {}, `${m.name(g.lab)} report number ${g.report_number}`)],
        g && [el('dt', {}, 'Girdle inscription'), el('dd', {}, `"${g.inscription}"`)],
        report && [el('dt', {}, 'Report status'), el('dd', {}, certLine(m, report.certificate_id))],
        el('dt', {}, 'Grown by'), el('dd', {}, growers.join('; ') || 'unknown'),
        lot && lot.by && [el('dt', {}, 'Cut by'), el('dd', {}, m.name(lot.by))],
      ));
  });
  if (stoneItems.length) parts.push(section('stones-title', m.stones.length > 1 ? 'The stones' : 'The stone', el('ul', { class: 'cards' }, stoneItems)));

  // Metal: back to where it entered the ledger.
  const metalItems = p.metal_inputs.map((mi) => {
    const sources = m.sources(mi.lot_id);
    return el('li', { class: 'card' },
      el('h3', {}, `${quantity(m.lots.get(mi.lot_id), mi.quantity)} from ${mi.lot_id}`),
      el('p', {}, `Origin: ${ORIGIN[m.origin(mi.lot_id)] || 'unknown'}. It came from:`),
      el('ul', {}, sources.map((s) => el('li', {},
        `${m.name(s.by)}: ${s.sealed ? 'a sealed quantity' : quantity(s, s.quantity)} of ${s.material} ${s.form}, ${ORIGIN[s.origin_class]}` +
        (s.facility ? `, at ${s.facility}` : '') + (s.note ? ` (${s.note})` : '') +
        (s.heirloom ? `: the owner's own metal, received as heirloom intake ${s.heirloom}` : '')))));
  });
  if (metalItems.length) parts.push(section('metal-title', 'The metal', el('ul', { class: 'cards' }, metalItems)));

  // Who took part (their registrations stay out of the timeline).
  const who = [...m.participants.values()].filter((x) => !x.roles.includes(1)).map((x) => el('li', {},
    el('strong', {}, x.name), ` (${x.roles.map((r) => ROLES[r] || r).join(', ')})`,
    x.identifiers.length ? `: ${x.identifiers.map((i) => `${i.scheme} ${i.value}`).join(', ')}` : ''));
  parts.push(section('who-title', 'Who took part', el('ul', { class: 'certlist' }, who)));

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
      el('p', { class: 'when' }, timeEl(r.event_time_micros), ` · recorded `, timeEl(e.recordedAt), ` · entry ${e.index}`),
      late > LATE_MICROS && el('p', { class: 'note late' }, `Recorded ${Math.floor(late / 86400e6)} day${late >= 2 * 86400e6 ? 's' : ''} after the date it gives: the date is the signer's word.`),
      el('p', {}, el('strong', {}, m.signerText(r)), ` ${describe(m, e)}`),
      byOperator(e) && el('p', { class: 'note operator-key' }, `The ledger operator, not ${m.name(b.participant_id)}, changed this participant's keys: records signed with such a key are theirs only on the operator's word.`),
      addedBy && el('p', { class: 'note operator-key' }, `Signed with a key that ${m.name(addedBy)} added for ${m.name(r.signer)} (entry ${e.signedWith.addedIndex}), not one ${m.name(r.signer)} registered itself.`),
      (b.certificate_ids || []).length > 0 && el('ul', { class: 'certs' }, b.certificate_ids.map((c) => el('li', {}, certLine(m, c, r.event_time_micros)))),
      wrong && el('p', { class: 'note' }, `Declared wrong by entry ${wrong.entry.index}: ${wrong.reason}`));
  });
  parts.push(section('timeline-title', 'From origin to the piece', el('ol', { class: 'timeline' }, items)));

  // Certificates.
  const certItems = [...m.certs.values()].map((c) => {
    const now = m.statusAt(c, Date.now() * 1000);
    return el('li', { class: now === 'valid' ? '' : 'warn' }, certLine(m, c.certificate_id));
  });
  parts.push(section('certs-title', 'Certificates', el('p', {}, 'Status now, as of the records in this bundle.'), el('ul', { class: 'certlist' }, certItems)));
  story.replaceChildren(...parts);
  story.hidden = false;
}

// The pinned witness keys, shown beside the log's key for a careful customer to compare.
function showWitnessKeys() {
  const list = document.getElementById('witness-keys');
  list.replaceChildren(...(witnessKeys.length
    ? witnessKeys.map((k) => el('li', {}, el('code', { class: 'wrap' }, k)))
    : [el('li', {}, 'none (this server names no witnesses)')]));
}

async function main_() {
  showWitnessKeys();
  document.getElementById('bundle-link').href = `${base}/bundle`;
  document.getElementById('qr').src = `${base}/qr.svg`;
  document.getElementById('qr-svg').href = `${base}/qr.svg`;
  document.getElementById('qr-png').href = `${base}/qr.png`;
  let result;
  try {
    const response = await fetch(`${base}/bundle.json`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`the server answered ${response.status}: ${(await response.text()).trim()}`);
    result = await verifyBundle(await response.json(), vkey, { witnessKeys, quorum, pieceId, auditorKeys, auditorQuorum });
  } catch (e) {
    result = { ok: false, check: 'fetching the bundle', detail: e.message };
  }
  renderVerdict(result);
  if (result.ok) {
    try { renderStory(result); } catch (e) { console.error(e); }
  }
  try { await showOwner(result, pieceId); } catch (e) { console.error(e); }  // owner.js: the owner's actions
  document.body.dataset.state = result.ok ? 'verified' : 'failed';
  document.body.dataset.check = result.ok ? '' : result.check;  // the rule broken (ledger/bundle/bundle_rules.h)
}

main_();
