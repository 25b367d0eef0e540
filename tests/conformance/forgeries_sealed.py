"""Conformance entries for sealed records (issue 16; ledger/provenance/commitments.h,
bundle rule 'sealed'): records of a demo piece's lineage sealed in Python the way
SealRecord seals them (committed fields moved into an opening, Record.sealed = the
SHA-256 commitment), re-signed by their signers' real keys, the log made again
(tests/forge_bundle.py). The demo log holds no sealed record of its own, so each
sealed record here is such a re-signed one.

  sealed-opening-altered   the ring's registration sealed with disclose_inputs, its
                           opening in the bundle with a metal weight changed: refused
                           for 'sealed' by every verifier;
  control-sealed-opened    the same with the true opening: verifies;
  control-sealed-lineage   a transformation of the ring's lineage sealed, no opening:
                           verifies, that transformation's checks reported as vouched."""
import base64
import hashlib

import forge_bundle as fb
from e2e_support import encode_fields, parse_fields
from forgeries import corpus_entries, entry

SEALED = 99                                 # Record.sealed
DOMAIN = b"touchstone-opening/v1\n"
PIECE_METAL_INPUTS, PIECE_DISCLOSE_INPUTS = 4, 10    # PieceRegistered
METAL_QUANTITY = 2                                    # MetalInput
T_INPUTS, T_OUTPUTS = 4, 5                            # Transformation
# The committed fields (commitments.h kTable) of the bodies sealed here, by field number:
# {body field: (scalars of the body, {repeated message field: scalars of each element})}.
COMMITTED = {
    fb.BODY["piece_registered"]: ((), {PIECE_METAL_INPUTS: (METAL_QUANTITY,)}),
    # declared_loss_fine, location, note, declared_loss_fine_ptt; inputs' quantity,
    # stones, stones_left, quantity_left; outputs' quantity and stones.
    fb.BODY["transformation"]: ((6, 7, 9, 10), {T_INPUTS: (2, 3, 4, 5), T_OUTPUTS: (3, 6)}),
}


def seal(record, salt, set_fields=()):
    """(the record's fields sealed, the opening {salt, fields} as bytes): the committed fields
    of its body moved into the opening; `set_fields` (number, wire, value) set in the body first."""
    number, body = fb.body_of(record)
    for n, w, v in set_fields:
        body = fb.set_field(body, n, v, wire=w)
    scalars, repeated = COMMITTED[number]
    public, values = [], []
    for n, w, v in body:
        if n in scalars:
            values.append((n, w, v))
        elif n in repeated:
            element = parse_fields(v)
            values.append((n, w, encode_fields([f for f in element if f[0] in repeated[n]])))
            public.append((n, w, encode_fields([f for f in element if f[0] not in repeated[n]])))
        else:
            public.append((n, w, v))
    fields = encode_fields([(number, 2, encode_fields(values))])
    commitment = hashlib.sha256(DOMAIN + salt + fields).digest()
    sealed = fb.replace_field(record, number, encode_fields(public))
    sealed = fb.set_field(sealed, SEALED, encode_fields([(1, 2, commitment)]))
    return sealed, {"salt": salt, "fields": fields}


def with_opening(bundle, index, opening):
    return dict(bundle, openings=[{"index": index, "salt": base64.b64encode(opening["salt"]).decode(),
                                   "fields": base64.b64encode(opening["fields"]).decode()}])


@corpus_entries
def sealed(f):
    registered = f.find("piece_registered", f1=f.id("RING-1"))
    record, opening = seal(f.log.record(registered), bytes(range(32)),
                           set_fields=[(PIECE_DISCLOSE_INPUTS, 0, 1)])
    forged = f.forge("RING-1", registered, record)
    # The opening with its first metal input's weight one milligram more: the values a
    # customer would read are not those the jeweler committed to.
    number, values = fb.body_of(parse_fields(opening["fields"]))
    inputs = [i for i, x in enumerate(values) if x[0] == PIECE_METAL_INPUTS]
    element = parse_fields(values[inputs[0]][2])
    element = fb.set_field(element, METAL_QUANTITY, fb.field(element, METAL_QUANTITY) + 1, wire=0)
    values[inputs[0]] = (PIECE_METAL_INPUTS, 2, encode_fields(element))
    altered = dict(opening, fields=encode_fields([(number, 2, encode_fields(values))]))

    # A transformation of the ring's lineage (the one making its metal) sealed, no opening.
    _, body = fb.body_of(f.log.record(registered))
    metal = fb.field(parse_fields(fb.field(body, PIECE_METAL_INPUTS)), 1)
    made = f.log.find("transformation", lambda t: any(
        fb.field(parse_fields(v), 1) == metal for n, _, v in t if n == T_OUTPUTS))
    sealed_t, _ = seal(f.log.record(made), bytes(range(1, 33)))
    return [entry("sealed-opening-altered", "RING-1", "sealed",
                  "the ring's registration (entry %d) sealed with disclose_inputs and re-signed by "
                  "the jeweler; the bundle's opening of it states a metal weight 1 mg more than "
                  "the committed one" % registered,
                  with_opening(forged, registered, altered)),
            entry("control-sealed-opened", "RING-1", "",
                  "the ring's registration (entry %d) sealed with disclose_inputs, re-signed by "
                  "the jeweler, with its true opening in the bundle" % registered,
                  with_opening(forged, registered, opening)),
            entry("control-sealed-lineage", "RING-1", "",
                  "the transformation making the ring's metal (entry %d) sealed and re-signed "
                  "by its signer, no opening: its quantities are vouched for, everything else "
                  "checked" % made,
                  f.forge("RING-1", made, sealed_t))]
