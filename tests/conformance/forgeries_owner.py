"""The conformance corpus's forgeries of owners and heirlooms (issue 15:
ledger/bundle/bundle_owners.cc, bundle_heirloom.cc; the page's verifier): an
ownership record signed by a key that is not the owner's, a piece reported
stolen and then transferred, a gap in the ownership chain, an heirloom claim of
more of the owner's gold than the intake held after the losses, and an intake
the owner key did not co-sign. Forged from the demo's real log (BRACELET-1 sold
to the key "grandmother", passed on to "granddaughter", brought back as an
heirloom intake that closes it; HEIRLOOM-RING-1 made from it:
services/cli_demo_heirloom.cc) with the machinery of forgeries.py; a record an
owner key signs alone is signed again by the demo's real owner keys
(python3-cryptography Ed25519) and has an empty entry signature."""
import os

import demo_log
import forge_bundle as fb
from e2e_support import encode_fields, parse_fields
from forgeries import RECORD_ID, corpus_entries, entry

# proto/record.proto field numbers used below.
PIECE_ID, PREV_INDEX = 1, 2          # every ownership record
TERMS, INSURER = 3, 3                # OwnershipAccepted.terms, OwnerTerms.insurer
REPORT_EVENT, REPORT_NOTE = 3, 4     # OwnerReport
PIECE_EVENT_STOLEN = 4
PIECE_HEIRLOOM, CLAIM_OWNER_FINE = 9, 3  # PieceRegistered.heirloom, HeirloomClaim.owner_fine
INTAKE_METAL_MG, INTAKE_FINENESS = 7, 8  # HeirloomReceived


def owner_key(f, label):
    """The demo's owner key `label` ("grandmother"), kept under <keys_dir>/owner-keys."""
    return fb.load_key(os.path.join(f.log.keys_dir, "owner-keys", f.log.piece(label) + ".pem"))


def origin(f, piece):
    return fb.note_text(f.honest(piece)["checkpoint"]).split("\n")[0]


def ownership(f, kind, **want):
    """The index of BRACELET-1's one `kind` ownership record matching `want` (as Forger.find)."""
    return f.find(kind, f1=f.id("BRACELET-1"), **want)


def forge_records(f, piece, replaced):
    """The bundle of `piece` with each (index, record bytes, signer key or None for a
    record an owner key signs alone) of `replaced` in the log, made again and cosigned."""
    (index, record, key), rest = replaced[0], list(replaced[1:])
    witnesses = [(demo_log.WITNESS_NAME, f.log.witness_key, f.now)]
    forged, _ = fb.forge(f.honest(piece), f.log.log, index, record, key, f.log.operator_key,
                         witnesses=witnesses, more=rest)
    return forged


def with_body(record, body):
    """`record` (fields) with its body's fields replaced by `body` (fields)."""
    number, _ = fb.body_of(record)
    return fb.replace_field(record, number, encode_fields(body))


@corpus_entries
def owner(f):
    o = origin(f, "BRACELET-1")
    grandmother, granddaughter = owner_key(f, "grandmother"), owner_key(f, "granddaughter")
    sold = f.find("piece_lifecycle", f1=f.id("BRACELET-1"))
    accepted = ownership(f, "ownership_accepted", f2=sold)
    transferred = ownership(f, "ownership_transferred", f2=accepted)
    accepted_2 = ownership(f, "ownership_accepted", f2=transferred)

    # Control: the granddaughter's acceptance re-signed by her key, naming the jeweler
    # (a registered participant of the bundle) her insurer too: it must verify.
    record = f.log.record(accepted_2)
    _, body = fb.body_of(record)
    terms = parse_fields(fb.field(body, TERMS, b""))
    terms = fb.set_field(terms, INSURER, f.id("jeweler"))
    control = fb.owner_signed(with_body(record, fb.set_field(body, TERMS, encode_fields(terms))),
                              granddaughter, o)

    # The transfer signed by the granddaughter's key, which did not own the bracelet then.
    not_owner = fb.owner_signed(f.log.record(transferred), granddaughter, o)

    # The grandmother reports the bracelet stolen (in place of her transfer), then transfers it
    # (in place of the granddaughter's acceptance, chaining to the report).
    head = [x for x in f.log.record(transferred) if x[0] < 10]
    report = fb.owner_signed(
        fb.replace_field(head, RECORD_ID, b"forged-report-1") +
        [(fb.BODY["owner_report"], 2, encode_fields(
            [(PIECE_ID, 2, f.id("BRACELET-1")), (PREV_INDEX, 0, accepted),
             (REPORT_EVENT, 0, PIECE_EVENT_STOLEN), (REPORT_NOTE, 2, b"taken from a locker")]))],
        grandmother, o)
    record = f.log.record(transferred)
    head_2 = [x for x in f.log.record(accepted_2) if x[0] < 10]
    _, body = fb.body_of(record)
    transfer = fb.owner_signed(
        fb.replace_field(head_2, RECORD_ID, b"forged-transfer-1") +
        [(fb.BODY["ownership_transferred"], 2,
          encode_fields(fb.set_field(body, PREV_INDEX, transferred, wire=0)))],
        grandmother, o)

    # The granddaughter's acceptance names the sale's acceptance, not the transfer to her.
    record = f.log.record(accepted_2)
    _, body = fb.body_of(record)
    gap = fb.owner_signed(with_body(record, fb.set_field(body, PREV_INDEX, accepted, wire=0)),
                          granddaughter, o)
    return [
        entry("control-owner-reforged", "BRACELET-1", "",
              "the granddaughter's acceptance (entry %d) re-signed by her owner key alone, naming "
              "the jeweler her insurer too; the log, proofs and checkpoint made again"
              % accepted_2, forge_records(f, "BRACELET-1", [(accepted_2, control, None)])),
        entry("owner-transfer-not-owner", "BRACELET-1", "owner",
              "the transfer of BRACELET-1 (entry %d) signed by the granddaughter's key, which "
              "the transfer names as the new owner: the grandmother's key owned it then"
              % transferred, forge_records(f, "BRACELET-1", [(transferred, not_owner, None)])),
        entry("owner-stolen-transferred", "BRACELET-1", "owner",
              "the grandmother's key reports BRACELET-1 stolen (entry %d) and then transfers it "
              "(entry %d, chained to the report): a stolen piece is not transferred"
              % (transferred, accepted_2),
              forge_records(f, "BRACELET-1", [(transferred, report, None),
                                              (accepted_2, transfer, None)])),
        entry("owner-chain-gap", "BRACELET-1", "owner",
              "the granddaughter's acceptance (entry %d) names entry %d as the piece's newest "
              "ownership record, skipping the transfer to her (entry %d)"
              % (accepted_2, accepted, transferred),
              forge_records(f, "BRACELET-1", [(accepted_2, gap, None)])),
    ]


@corpus_entries
def heirloom(f):
    ring = f.find("piece_registered", f1=f.id("HEIRLOOM-RING-1"))
    intake = f.find("heirloom_received", f1=f.id("intake-1"))
    _, received = fb.body_of(f.log.record(intake))
    whole = fb.field(received, INTAKE_METAL_MG) * fb.field(received, INTAKE_FINENESS)

    def claim_whole(body):
        claim = parse_fields(fb.field(body, PIECE_HEIRLOOM))
        claim = fb.set_field(claim, CLAIM_OWNER_FINE, whole, wire=0)
        return fb.set_field(body, PIECE_HEIRLOOM, encode_fields(claim))

    beyond = f.edit(ring, claim_whole)
    not_cosigned = [x for x in f.log.record(intake) if x[0] != fb.OWNER_SIGNATURE]
    return [
        entry("heirloom-claim-beyond-intake", "HEIRLOOM-RING-1", "heirloom",
              "the ring's registration (entry %d) re-signed by the jeweler claiming %d fine units "
              "of the owner's gold, all the intake held, as if refining, alloying and casting "
              "lost none" % (ring, whole), f.forge("HEIRLOOM-RING-1", ring, beyond)),
        entry("heirloom-intake-not-cosigned", "HEIRLOOM-RING-1", "heirloom",
              "the heirloom intake (entry %d) without the owner key's co-signature, re-signed by "
              "the jeweler" % intake, f.forge("HEIRLOOM-RING-1", intake, not_cosigned)),
    ]
