"""The conformance corpus's bundles: the honest bundle of every demo piece, a
control forged with the same machinery but breaking no rule, and, for every rule
of ledger/bundle/bundle_rules.h, bundles that break that rule and nothing else. Each
forged record is signed by a participant's real key (the one its signer field
names, unless the forgery is the signature); the chain, tree, proofs and
checkpoint are made again and signed by the operator's real key, and the
checkpoint cosigned by the pinned witness's real key (tests/forge_bundle.py).

Each function below returns corpus entries: dicts with name, piece (short demo
name of the piece the verifier is told to expect), rule ("" for bundles that
must verify) and description (one line), and bundle (the JSON bundle).
Field numbers are those of proto/record.proto."""
import base64
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import demo_log
import forge_bundle as fb
from e2e_support import encode_fields, encode_varint

# proto/record.proto field numbers used below.
RECORD_ID, SIGNER, KEY_ID, EVENT_TIME = 1, 2, 3, 4  # Record
CLAIMS, METAL_INPUTS = 6, 4                         # PieceRegistered
SEALED = 99                                         # Record.sealed
LIFECYCLE_NOTE = 4                                  # PieceLifecycle
SOLD, REPAIRED = 1, 2                               # PieceEvent
CLAIM_RECYCLED_METAL, CLAIM_LAB_GROWN, CLAIM_NATURAL = 1, 2, 3
ROLE_CUTTER = 6
PROCESS_CAST = 3
VALID_FROM, VALID_UNTIL, GRADING_REPORT, STONE_ORIGIN_NATURAL = 7, 8, 20, 1

ALL = []


def corpus_entries(fn):
    ALL.append(fn)
    return fn


def entry(name, piece, rule, description, bundle):
    return {"name": name, "piece": piece, "rule": rule, "description": description,
            "bundle": bundle}


class Forger:
    """Forges bundles of a started demo_log.DemoLog."""

    def __init__(self, log):
        self.log = log
        self.now = int(time.time())

    def honest(self, piece):
        return self.log.honest[self.log.piece(piece)][0]

    def id(self, short):
        return self.log.piece(short).encode()

    def find(self, kind, **want):
        """The log index of the one `kind` record whose body has field number N = value
        for each fN=value of `want` (values: str, bytes or int)."""
        def test(body):
            return all(fb.field(body, int(k[1:]), 0) ==
                       (v.encode() if isinstance(v, str) else v) for k, v in want.items())
        return self.log.find(kind, test)

    def signer(self, record):
        """The demo name ("jeweler", "operator") of a record's signer."""
        who = fb.field(record, SIGNER).decode()
        return who[len(demo_log.PREFIX) + 1:] if who.startswith(demo_log.PREFIX + "-") else who

    def forge(self, piece, index, record=None, signer=None, keep=None, cosign=True, **kw):
        """The bundle of `piece` with entry `index`'s record replaced by `record` (fields or
        bytes; default: unchanged) signed by `signer`'s key (default: the one the record
        names), the log made again (forge_bundle.forge) and cosigned by the witness.
        `keep`: only these indices of the bundle's entries are kept."""
        bundle = self.honest(piece)
        if keep is not None:
            bundle = dict(bundle, entries=[e for e in bundle["entries"] if e["index"] in keep])
        if record is None:
            record = self.log.record(index)
        raw = record if isinstance(record, bytes) else encode_fields(record)
        key = self.log.key(signer or self.signer(fb.parse_fields(raw)))
        witnesses = [(demo_log.WITNESS_NAME, self.log.witness_key, self.now)] if cosign else []
        forged, _ = fb.forge(bundle, self.log.log, index, raw, key, self.log.operator_key,
                             witnesses=witnesses, **kw)
        return forged

    def as_signer(self, index, who):
        """The record of log entry `index` with signer and key ID those of demo participant `who`."""
        record = fb.replace_field(self.log.record(index), SIGNER, self.id(who))
        return fb.replace_field(record, KEY_ID, fb.key_id(self.log.key(who)).encode())

    def edit(self, index, edit):
        """The record of log entry `index` with its body's fields replaced by edit(fields)."""
        return fb.edit_body(self.log.record(index), edit)


# ---------------------------------------------------------------- bundles that verify

@corpus_entries
def honest(f):
    return [entry("honest-" + p, p, "", "the honest bundle of %s, as /p/ID/bundle.json serves it"
                  % f.log.piece(p), f.honest(p)) for p in demo_log.PIECES]


@corpus_entries
def control(f):
    sold = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=SOLD)
    record = f.edit(sold, lambda b: fb.set_field(b, LIFECYCLE_NOTE, b"sold in the Bath shop, gift-wrapped"))
    return [entry("control-reforged", "RING-1", "",
                  "the forger's machinery breaking no rule: the sale's note reworded, re-signed by "
                  "the jeweler, log, proofs, checkpoint and cosignature made again",
                  f.forge("RING-1", sold, record))]


# ---------------------------------------------------------------- format, piece, checkpoint, witnesses

@corpus_entries
def format_(f):
    return [entry("format-v2", "RING-1", "format", "the bundle's format says touchstone-bundle/v2",
                  dict(f.honest("RING-1"), format="touchstone-bundle/v2"))]


@corpus_entries
def piece(f):
    return [entry("piece-pendant-as-ring", "RING-1", "piece",
                  "the pendant's honest bundle, offered as the ring's", f.honest("PENDANT-1"))]


def operator_line(note):
    """(text, the log's signature line, the cosignature lines) of a checkpoint note."""
    text = fb.note_text(note)
    lines = note[len(text) + 1:].splitlines(keepends=True)
    return text, lines[0], "".join(lines[1:])


@corpus_entries
def checkpoint(f):
    bundle = f.honest("RING-1")
    text, line, cosignatures = operator_line(bundle["checkpoint"])
    name, b64 = line.split(" ")[1:]
    # Another key claiming the pinned key's ID; the witness's cosignature (of the same text) kept.
    sig = Ed25519PrivateKey.generate().sign(text.encode())
    other = "%s\n\u2014 %s %s\n" % (text, name, base64.b64encode(base64.b64decode(b64)[:4] + sig).decode())
    return [entry("checkpoint-other-key", "RING-1", "checkpoint",
                  "the checkpoint signed by another key under the log's name and key ID",
                  fb.with_checkpoint(bundle, other + cosignatures)),
            entry("checkpoint-unsigned", "RING-1", "checkpoint",
                  "the log's signature line dropped from the checkpoint (the witness's kept)",
                  fb.with_checkpoint(bundle, text + "\n" + cosignatures))]


@corpus_entries
def witnesses(f):
    bundle = f.honest("RING-1")
    text, line, cosignatures = operator_line(bundle["checkpoint"])
    dash, name, b64 = cosignatures.strip("\n").split(" ")
    sig = bytearray(base64.b64decode(b64))
    sig[-1] ^= 1
    altered = "%s %s %s\n" % (dash, name, base64.b64encode(bytes(sig)).decode())
    sold = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=SOLD)
    reforged = f.forge("RING-1", sold, f.edit(sold, lambda b: fb.set_field(
        b, LIFECYCLE_NOTE, b"sold in the Bath shop, gift-wrapped")), cosign=False)
    return [entry("witnesses-altered", "RING-1", "witnesses",
                  "one byte of the pinned witness's cosignature flipped (quorum 1)",
                  fb.with_checkpoint(bundle, text + "\n" + line + altered)),
            entry("witnesses-none", "RING-1", "witnesses",
                  "the pinned witness's cosignature dropped (quorum 1)",
                  fb.with_checkpoint(bundle, text + "\n" + line)),
            entry("witnesses-stale", "RING-1", "witnesses",
                  "the control's forged log with the witness's honest cosignature (of the true "
                  "checkpoint) copied onto it",
                  fb.with_checkpoint(reforged, reforged["checkpoint"] + cosignatures))]


@corpus_entries
def auditors(f):
    """The honest bundle carries the checkpoint the pinned auditor audited and cosigned
    (ledger/log/audit_note.h); each verifier pins the auditor's key with quorum 1."""
    bundle = f.honest("RING-1")
    note = bundle["audited_checkpoint"]
    text = fb.note_text(note)
    lines = note[len(text) + 1:].splitlines(keepends=True)
    mine = [i for i, l in enumerate(lines) if l.split(" ")[1] == demo_log.AUDITOR_NAME]
    assert len(mine) == 1, note
    dash, name, b64 = lines[mine[0]].strip("\n").split(" ")
    sig = bytearray(base64.b64decode(b64))
    sig[-1] ^= 1
    altered = list(lines)
    altered[mine[0]] = "%s %s %s\n" % (dash, name, base64.b64encode(bytes(sig)).decode())
    dropped = [l for i, l in enumerate(lines) if i != mine[0]]
    return [entry("auditors-altered", "RING-1", "auditors",
                  "one byte of the pinned auditor's cosignature on the audited checkpoint flipped",
                  dict(bundle, audited_checkpoint=text + "\n" + "".join(altered))),
            entry("auditors-none", "RING-1", "auditors",
                  "the pinned auditor's cosignature dropped from the audited checkpoint "
                  "(auditor quorum 1)",
                  dict(bundle, audited_checkpoint=text + "\n" + "".join(dropped)))]


# ---------------------------------------------------------------- entries, inclusion, chain

@corpus_entries
def entries(f):
    bundle = f.honest("RING-1")
    swapped = list(bundle["entries"])
    swapped[20], swapped[21] = swapped[21], swapped[20]
    received = f.find("custody_received", f2=f.id("melt-1"))
    return [entry("entries-swapped", "RING-1", "entries", "two adjacent entries swapped",
                  dict(bundle, entries=swapped)),
            entry("entries-none", "RING-1", "entries", "no entries at all",
                  dict(bundle, entries=[])),
            entry("entries-wrong-index", "RING-1", "entries",
                  "the refiner's receipt's entry bytes say index %d, not %d (tree made over them)"
                  % (received + 1, received), f.forge("RING-1", received, claimed_index=received + 1))]


@corpus_entries
def inclusion(f):
    bundle = f.honest("RING-1")
    flipped_proof, flipped_entry = dict(bundle), dict(bundle)
    es = [dict(e) for e in bundle["entries"]]
    lines = es[5]["tlog_proof"].split("\n")
    h = bytearray(base64.b64decode(lines[2]))
    h[0] ^= 1
    lines[2] = base64.b64encode(bytes(h)).decode()
    es[5]["tlog_proof"] = "\n".join(lines)
    flipped_proof["entries"] = es
    es = [dict(e) for e in bundle["entries"]]
    raw = bytearray(base64.b64decode(es[5]["entry"]))
    raw[-80] ^= 1  # inside the record
    es[5]["entry"] = base64.b64encode(bytes(raw)).decode()
    flipped_entry["entries"] = es
    return [entry("inclusion-proof-hash", "RING-1", "inclusion",
                  "one bit of the first hash of entry %d's inclusion proof flipped" % es[5]["index"],
                  flipped_proof),
            entry("inclusion-entry-byte", "RING-1", "inclusion",
                  "one bit of entry %d's record flipped, nothing made again" % es[5]["index"],
                  flipped_entry)]


@corpus_entries
def chain(f):
    received = f.find("custody_received", f2=f.id("melt-1"))
    return [entry("chain-prev", "RING-1", "chain",
                  "entry %d's previous-leaf hash is entry %d's, not %d's (tree made over it)"
                  % (received, received - 2, received - 1),
                  f.forge("RING-1", received, prev=fb.leaf_hash(f.log.log[received - 2])))]


# ---------------------------------------------------------------- encoding

@corpus_entries
def encoding(f):
    repaired = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=REPAIRED)
    record = f.log.record(repaired)
    head = [x for x in record if x[0] < 10]
    lifecycle = fb.field(record, fb.BODY["piece_lifecycle"])
    fake = encode_fields([(1, 2, f.id("RING-1")), (2, 2, b"1.00 ct NATURAL diamond, recycled gold"),
                          (CLAIMS, 2, bytes([CLAIM_RECYCLED_METAL, CLAIM_NATURAL]))])
    two_bodies = head + [(fb.BODY["piece_registered"], 2, fake), (fb.BODY["piece_lifecycle"], 2, lifecycle)]
    twice = head + [(fb.BODY["piece_lifecycle"], 2,
                     lifecycle + encode_fields([(LIFECYCLE_NOTE, 2, b"again")]))]
    default = head + [(fb.BODY["piece_lifecycle"], 2, encode_fields(
        [(x, w, v) for x, w, v in fb.parse_fields(lifecycle) if x < 3] + [(3, 2, b"")] +
        [(x, w, v) for x, w, v in fb.parse_fields(lifecycle) if x > 3]))]
    out_of_order = [record[1], record[0]] + record[2:]
    # The event time's varint with one needless byte: its last byte continued, then 0x00.
    t = encode_varint(fb.field(record, EVENT_TIME))
    long_varint = encode_varint(EVENT_TIME << 3) + t[:-1] + bytes([t[-1] | 0x80, 0])
    padded = encode_fields([x for x in record if x[0] < EVENT_TIME]) + long_varint + \
        encode_fields([x for x in record if x[0] > EVENT_TIME])
    # The ring's registration marked sealed (Record.sealed = 99, ledger/provenance/commitments.h)
    # while its metal inputs' committed quantities stay in the open: two readings of one record.
    registered = f.find("piece_registered", f1=f.id("RING-1"))
    sealed_open = fb.set_field(f.log.record(registered), SEALED,
                               encode_fields([(1, 2, bytes(range(32)))]))
    where = "the ring's repair (entry %d), re-signed by the jeweler," % repaired
    return [entry("encoding-sealed-shows-committed", "RING-1", "encoding",
                  "the ring's registration (entry %d), re-signed by the jeweler, sealed with a "
                  "commitment yet showing its metal inputs' committed quantities" % registered,
                  f.forge("RING-1", registered, sealed_open)),
            entry("encoding-two-bodies", "RING-1", "encoding",
                  where + " holding two bodies: a fake piece_registered (1.00 ct NATURAL diamond, "
                  "recycled gold; no inputs) then the genuine piece_lifecycle REPAIRED",
                  f.forge("RING-1", repaired, two_bodies)),
            entry("encoding-field-twice", "RING-1", "encoding", where + " its note written twice",
                  f.forge("RING-1", repaired, twice)),
            entry("encoding-default-written", "RING-1", "encoding",
                  where + " with an empty owner_salted_sha256 written out",
                  f.forge("RING-1", repaired, default)),
            entry("encoding-out-of-order", "RING-1", "encoding",
                  where + " its signer written before its record_id",
                  f.forge("RING-1", repaired, out_of_order)),
            entry("encoding-long-varint", "RING-1", "encoding",
                  where + " its event time a varint one byte longer than needed",
                  f.forge("RING-1", repaired, padded))]


# ---------------------------------------------------------------- signature, roles, once

@corpus_entries
def signature(f):
    sold = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=SOLD)
    maker_kid = fb.key_id(f.log.key("maker")).encode()
    return [entry("signature-other-key", "RING-1", "signature",
                  "the ring's sale (entry %d), its fields untouched, signed by the maker's key" % sold,
                  f.forge("RING-1", sold, signer="maker")),
            entry("signature-other-key-id", "RING-1", "signature",
                  "the ring's sale naming and signed by the maker's key, signer still the jeweler",
                  f.forge("RING-1", sold, fb.replace_field(f.log.record(sold), KEY_ID, maker_kid),
                          signer="maker")),
            entry("signature-unregistered-signer", "RING-1", "signature",
                  "the ring's sale signed by the jeweler's key as 'c-stranger', registered nowhere",
                  f.forge("RING-1", sold, fb.replace_field(f.log.record(sold), SIGNER, b"c-stranger"),
                          signer="jeweler"))]


@corpus_entries
def roles(f):
    reg = f.find("participant_registered", f1=f.id("recycler"))
    sold = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=SOLD)
    maker = f.as_signer(sold, "maker")
    revoked = f.find("certificate_status_changed", f1=f.id("report-2"))
    declared = f.find("error_declared")
    return [entry("roles-recycler-as-cutter", "RING-1", "roles",
                  "the recycler registered (entry %d, by the operator) as a cutter only; its "
                  "recycled lots then lack the role" % reg,
                  f.forge("RING-1", reg, f.edit(reg, lambda b: fb.set_field(b, 4, bytes([ROLE_CUTTER]))))),
            entry("roles-sale-by-maker", "RING-1", "roles",
                  "the ring's sale signed by the maker, as the maker, with its own key (no jeweler role)",
                  f.forge("RING-1", sold, maker)),
            entry("roles-revoked-by-rjc", "PENDANT-1", "roles",
                  "the revocation of report c-report-2 (entry %d) signed by c-rjc, a certifier "
                  "but not its issuer (c-igi)" % revoked,
                  f.forge("PENDANT-1", revoked, f.as_signer(revoked, "rjc"))),
            entry("roles-error-by-maker", "BAND-1", "roles",
                  "the band's error declaration (entry %d) signed by the maker, who wrote neither "
                  "record" % declared, f.forge("BAND-1", declared, f.as_signer(declared, "maker")))]


@corpus_entries
def once(f):
    sold = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=SOLD)

    def again(kind, **want):  # a copy of a record, under a record ID of its own
        return fb.replace_field(f.log.record(f.find(kind, **want)), RECORD_ID, b"forged-" + kind.encode())
    ring = again("piece_registered", f1=f.id("RING-1"))
    lot = again("lot_created", f1=f.id("scrap-14k"))
    maker = again("participant_registered", f1=f.id("maker"))
    return [entry("once-piece-twice", "RING-1", "once",
                  "the ring's sale replaced by a second registration of the ring (by the jeweler)",
                  f.forge("RING-1", sold, ring)),
            entry("once-lot-twice", "RING-1", "once",
                  "the ring's sale replaced by the recycler creating lot c-scrap-14k again",
                  f.forge("RING-1", sold, lot)),
            entry("once-participant-twice", "RING-1", "once",
                  "the ring's sale replaced by the operator registering c-maker again",
                  f.forge("RING-1", sold, maker))]
