"""The conformance corpus's forgeries of the trade rules (issue 14: ledger/bundle/bundle_trade.cc,
bundle_piece.cc; services/web/verify_trade.js): registered schemes and the issuers
that sign for them, parcels and their draws, mass-balance accounts, the Kimberley
Process and the System of Warranties, the hallmark and the lab-grown qualifier.
Forged from the demo's real log (PAVE-1, GOLD18-1, MB-1, NATURAL-1) with the same
machinery and entry form as forgeries.py."""
import demo_log
import forge_bundle as fb
from e2e_support import encode_fields
from forgeries import RECORD_ID, corpus_entries, entry
from forgeries_graph import without

# proto/record.proto field numbers used below.
LOT_CERTIFICATES = 9                                      # LotCreated.certificate_ids
TX_ID, TX_PROCESS, TX_MATERIAL, TX_INPUTS, TX_OUTPUTS = 1, 2, 3, 4, 5  # Transformation
TX_LOCATION = 7
PROCESS_SPLIT = 5
WARRANTY_STATEMENT = 5                                    # CustodyShipped
CREDIT_FINE, CREDIT_SEQ, CREDIT_BALANCE_AFTER = 3, 4, 5  # CreditBooked, CreditAllocated
DESCRIPTION, HALLMARK = 2, 5                              # PieceRegistered


def in_bundle(bundle, index):
    return any(e["index"] == index for e in bundle["entries"])


def with_entries(bundle, *indices):
    """The bundle with entries for log indices `indices` added (their bytes and proofs are
    made by the forgery, which makes every entry of the bundle again)."""
    template = bundle["entries"][0]
    added = [dict(template, index=i) for i in indices if not in_bundle(bundle, i)]
    return dict(bundle, entries=sorted(bundle["entries"] + added, key=lambda e: e["index"]))


def forge_many(f, piece, replaced, bundle=None):
    """The bundle of `piece` (or `bundle`) with each (index, record fields, signer) of
    `replaced` re-signed by that demo participant's key; see Forger.forge."""
    (index, record, who), rest = replaced[0], replaced[1:]
    raw = lambda r: r if isinstance(r, bytes) else encode_fields(r)  # noqa: E731
    more = [(i, raw(r), f.log.key(w)) for i, r, w in rest]
    witnesses = [(demo_log.WITNESS_NAME, f.log.witness_key, f.now)]
    forged, _ = fb.forge(bundle or f.honest(piece), f.log.log, index, raw(record), f.log.key(who),
                         f.log.operator_key, witnesses=witnesses, more=more)
    return forged


def draw(f, tx_id, parcel, stones, quantity, stones_left, quantity_left, out, size_class):
    """A cutter's SPLIT of `stones` stones (`quantity` thousandths of a carat) from
    `parcel`, stating what the parcel keeps, into a new parcel `out`."""
    q = [(1, 2, f.id(parcel)), (2, 0, quantity), (3, 0, stones)]
    q += [(4, 0, stones_left)] if stones_left else []
    q += [(5, 0, quantity_left)] if quantity_left else []
    o = [(1, 2, f.id(out)), (2, 2, b"melee"), (3, 0, quantity), (5, 0, 10000), (6, 0, stones),
         (7, 2, size_class)]
    return [(TX_ID, 2, f.id(tx_id)), (TX_PROCESS, 0, PROCESS_SPLIT), (TX_MATERIAL, 2, b"diamond"),
            (TX_INPUTS, 2, encode_fields(q)), (TX_OUTPUTS, 2, encode_fields(o)),
            (TX_LOCATION, 2, b"Scheldt, Antwerp")]


def as_record(f, index, record_id, who, body_kind, body):
    """A record of demo participant `who` with `body` (fields) of kind `body_kind`,
    replacing log entry `index` (its event time kept)."""
    head = f.as_signer(index, who)
    head = fb.replace_field([x for x in head if x[0] < 10], RECORD_ID, record_id)
    return head + [(fb.BODY[body_kind], 2, encode_fields(body))]


# ---------------------------------------------------------------- scheme

@corpus_entries
def scheme(f):
    cert = f.find("certificate_issued", f1=f.id("cert-refiner"))
    return [entry("scheme-rjc-coc-signed-by-scs", "MB-1", "scheme",
                  "the rjc-coc certificate c-cert-refiner (entry %d), which MB-1's account rests "
                  "on, signed as and by c-scs, a certifier but not the issuer the log pins for "
                  "rjc-coc (c-rjc)" % cert, f.forge("MB-1", cert, f.as_signer(cert, "scs")))]


# ---------------------------------------------------------------- parcel

@corpus_entries
def parcel(f):
    pave = f.find("piece_registered", f1=f.id("PAVE-1"))
    honest = f.honest("PAVE-1")
    # The two entries after the ring's registration are not in its bundle; the cutter,
    # who still holds the parcel c-melee-1 (100 stones, 24 drawn: 76 left), draws there.
    a, b = pave + 1, pave + 2
    assert not in_bundle(honest, a) and not in_bundle(honest, b)
    sieve = b"+6.5-7.0 (1.3 mm)"
    again = as_record(f, a, b"forged-draw-1", "cutter", "transformation",
                      draw(f, "tx-forged-1", "melee-1", 100, 1000, 0, 0, "melee-100", sieve))
    ten = as_record(f, a, b"forged-draw-1", "cutter", "transformation",
                    draw(f, "tx-forged-1", "melee-1", 10, 100, 66, 660, "melee-10", sieve))
    six = as_record(f, b, b"forged-draw-2", "cutter", "transformation",
                    draw(f, "tx-forged-2", "melee-1", 6, 60, 60, 600, "melee-6", sieve))
    return [entry("parcel-second-draw-past-count", "PAVE-1", "parcel",
                  "after the ring's registration (entry %d), entry %d replaced by the cutter's "
                  "second SPLIT of parcel c-melee-1 taking all 100 stones (1.000 ct) and stating "
                  "none left; the first draw took 24, so 76 are left" % (pave, a),
                  forge_many(f, "PAVE-1", [(a, again, "cutter")], with_entries(honest, a))),
            entry("control-third-draw", "PAVE-1", "",
                  "entries %d and %d replaced by two more honest SPLITs of c-melee-1 (10 stones, "
                  "66 left; 6 stones, 60 left), both in the bundle" % (a, b),
                  forge_many(f, "PAVE-1", [(a, ten, "cutter"), (b, six, "cutter")],
                             with_entries(honest, a, b))),
            entry("parcel-draw-missing", "PAVE-1", "parcel",
                  "the same two draws in the log, the first (entry %d) left out of the bundle: "
                  "the second states 60 stones left, the bundle's draws leave 70" % a,
                  forge_many(f, "PAVE-1", [(a, ten, "cutter"), (b, six, "cutter")],
                             with_entries(honest, b)))]


# ---------------------------------------------------------------- mass balance

@corpus_entries
def mass_balance(f):
    booked = f.find("credit_booked", f1=f.id("mb-account"))
    allocated = f.find("credit_allocated", f1=f.id("mb-account"))
    alloc_fine = fb.field(fb.body_of(f.log.record(allocated))[1], CREDIT_FINE)
    less = alloc_fine // 2  # the booking books half of what is then allocated

    def book(body):
        body = fb.set_field(body, CREDIT_FINE, less, wire=0)
        return fb.set_field(body, CREDIT_BALANCE_AFTER, less, wire=0)

    def spend(body):  # the balance left after the allocation, as a two's-complement varint
        return fb.set_field(body, CREDIT_BALANCE_AFTER, (less - alloc_fine) % (1 << 64), wire=0)
    over = forge_many(f, "MB-1", [(booked, f.edit(booked, book), "refiner"),
                                  (allocated, f.edit(allocated, spend), "refiner")])
    mb = f.honest("MB-1")
    # Without the booking, what only the booking linked goes too: the scrap lot's graph
    # (its creation and custody, its recycled-content certificate, that scheme, the
    # recycler and the scheme's issuer).
    scrap = [f.find("lot_created", f1=f.id("scrap-mb")),
             f.find("custody_shipped", f2=f.id("scrap-mb")),
             f.find("custody_received", f2=f.id("scrap-mb")),
             f.find("certificate_issued", f1=f.id("cert-recycler")),
             f.find("scheme_registered", f1="scs-recycled"),
             f.find("participant_registered", f1=f.id("recycler")),
             f.find("participant_registered", f1=f.id("scs"))]
    return [entry("mass-balance-over-allocated", "MB-1", "mass-balance",
                  "the refiner's booking into c-mb-account (entry %d) books %d fine units (less "
                  "than the scrap's fine weight, which the verifiers let pass and the ledger "
                  "refuses), and its allocation to c-grain-mb (entry %d) spends %d, leaving %d" % (
                      booked, less, allocated, alloc_fine, less - alloc_fine), over),
            entry("mass-balance-record-missing", "MB-1", "mass-balance",
                  "the booking into c-mb-account (record 1, entry %d) left out of the bundle with "
                  "what only it linked (entries %s); the allocation is record 2"
                  % (booked, scrap), without(mb, booked, *scrap))]


# ---------------------------------------------------------------- warranty (Kimberley Process, System of Warranties)

@corpus_entries
def warranty(f):
    rough = f.find("lot_created", f1=f.id("rough-n1"))
    shipped = f.find("custody_shipped", f2=f.id("stone-5"))
    no_kp = f.edit(rough, lambda b: fb.set_field(b, LOT_CERTIFICATES, b""))
    # What only the KP certificate linked: it, its scheme and the scheme's issuer.
    kp = [f.find("certificate_issued", f1=f.id("kp-1")), f.find("scheme_registered", f1="kp-bw"),
          f.find("participant_registered", f1=f.id("kp-bw"))]
    return [entry("warranty-rough-without-kp", "NATURAL-1", "warranty",
                  "the 18k NATURAL-1 claims natural diamonds; its rough c-rough-n1 (entry %d) "
                  "re-created by the miner citing no certificate, and what only the KP certificate "
                  "c-kp-1 linked left out (entries %s)" % (rough, kp),
                  without(f.forge("NATURAL-1", rough, no_kp), *kp)),
            entry("warranty-shipment-without-statement", "NATURAL-1", "warranty",
                  "the cutter's shipment of the natural c-stone-5 to the jeweler (entry %d) "
                  "re-signed without the System of Warranties statement" % shipped,
                  f.forge("NATURAL-1", shipped,
                          f.edit(shipped, lambda b: fb.set_field(b, WARRANTY_STATEMENT, b""))))]


# ---------------------------------------------------------------- hallmark, disclosure

@corpus_entries
def hallmark(f):
    gold = f.find("piece_registered", f1=f.id("GOLD18-1"))
    return [entry("hallmark-916-on-18k", "GOLD18-1", "hallmark",
                  "GOLD18-1's registration (entry %d) hallmarked 916 (22k); its gold is 750"
                  % gold, f.forge("GOLD18-1", gold,
                                  f.edit(gold, lambda b: fb.set_field(b, HALLMARK, b"916"))))]


@corpus_entries
def disclosure(f):
    pave = f.find("piece_registered", f1=f.id("PAVE-1"))
    text = b"18k pave ring, 0.75 ct diamond centre stone and 24 diamond melee (0.24 ct)"
    return [entry("disclosure-no-lab-grown-qualifier", "PAVE-1", "disclosure",
                  "PAVE-1's registration (entry %d) described as '%s': lab-grown stones without "
                  "the qualifier" % (pave, text.decode()),
                  f.forge("PAVE-1", pave, f.edit(pave, lambda b: fb.set_field(b, DESCRIPTION, text))))]
