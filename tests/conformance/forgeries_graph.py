"""The conformance corpus's forgeries of the provenance graph's rules
(completeness, custody, certificates, origin, material, claims), replayed by the
verifiers in index order (ledger/bundle/bundle_links.cc, bundle_graph.cc). Same
machinery and entry form as forgeries.py."""
import forge_bundle as fb
from e2e_support import encode_fields
from forgeries import (EVENT_TIME, GRADING_REPORT, METAL_INPUTS, PROCESS_CAST, SOLD,
                       STONE_ORIGIN_NATURAL, VALID_FROM, VALID_UNTIL, corpus_entries, entry)

HISTORY_IMPORT = 5  # Record.history_import


def without(bundle, *indices):
    return dict(bundle, entries=[e for e in bundle["entries"] if e["index"] not in indices])


@corpus_entries
def completeness(f):
    ring = f.honest("RING-1")
    lot = f.find("lot_created", f1=f.id("scrap-14k"))
    report = f.find("certificate_issued", f1=f.id("report-1"))
    registered = f.find("piece_registered", f1=f.id("RING-1"))
    pendant = f.find("piece_registered", f1=f.id("PENDANT-1"))
    extra = next(e for e in f.honest("PENDANT-1")["entries"] if e["index"] == pendant)
    return [entry("completeness-lot-dropped", "RING-1", "completeness",
                  "the record creating lot c-scrap-14k (entry %d) left out of the bundle" % lot,
                  without(ring, lot)),
            entry("completeness-report-dropped", "RING-1", "completeness",
                  "the grading report of the ring's stone (entry %d) left out of the bundle" % report,
                  without(ring, report)),
            entry("completeness-piece-dropped", "RING-1", "completeness",
                  "the ring's registration (entry %d) left out of the bundle" % registered,
                  without(ring, registered)),
            entry("completeness-unlinked", "RING-1", "completeness",
                  "the pendant's registration (entry %d, its honest bytes and proof) added to the "
                  "ring's bundle" % pendant,
                  dict(ring, entries=sorted(ring["entries"] + [extra], key=lambda e: e["index"])))]


@corpus_entries
def custody(f):
    received = f.find("custody_received", f2=f.id("melt-1"))
    shipped = f.find("custody_shipped", f2=f.id("stone-1"))
    return [entry("custody-wrong-receiver", "RING-1", "custody",
                  "the receipt of c-melt-1 (entry %d), shipped to the refiner, signed as and by the "
                  "maker" % received, f.forge("RING-1", received, f.as_signer(received, "maker"))),
            entry("custody-not-holder", "RING-1", "custody",
                  "the shipment of c-stone-1 (entry %d), held by the cutter, signed as and by the "
                  "grower" % shipped, f.forge("RING-1", shipped, f.as_signer(shipped, "grower")))]


@corpus_entries
def certificates(f):
    scheme = f.find("certificate_issued", f1=f.id("cert-recycler"))
    report = f.find("certificate_issued", f1=f.id("report-1"))
    ring_time = fb.field(f.log.record(f.find("piece_registered", f1=f.id("RING-1"))), EVENT_TIME)

    def expired(body):  # valid for one microsecond
        return fb.set_field(body, VALID_UNTIL, fb.field(body, VALID_FROM) + 1, wire=0)

    def late(body):  # valid only from after the ring was made
        return fb.set_field(body, VALID_FROM, ring_time + 1, wire=0)
    # The ring's registration relies on its stone's grading report, and nothing
    # else in the ring's bundle does: its event time, and the later time the log
    # recorded it (entry header, ledger/log/entry_format.h).
    registered = f.find("piece_registered", f1=f.id("RING-1"))
    recorded = int.from_bytes(fb.entry_parts(f.log.log[registered])["recorded_at"], "big",
                              signed=True)
    assert recorded > ring_time, "the ring was recorded in the microsecond it claims"

    def until_the_ring(body):  # in force when the ring was made, expired when the log recorded it
        return fb.set_field(body, VALID_UNTIL, ring_time, wire=0)
    return [entry("certificates-expired-when-recorded", "RING-1", "certificates",
                  "c-report-1 (entry %d) re-issued by the lab valid until the ring's event time, "
                  "so expired when the log recorded the ring (entry %d), which relies on it"
                  % (report, registered), f.forge("RING-1", report, f.edit(report, until_the_ring))),
            entry("certificates-expired", "RING-1", "certificates",
                  "c-cert-recycler (entry %d) re-issued by the scheme valid for 1 us, expired before "
                  "the recycler's lots cite it" % scheme, f.forge("RING-1", scheme, f.edit(scheme, expired))),
            entry("certificates-not-yet-valid", "RING-1", "certificates",
                  "c-report-1 (entry %d) re-issued by the lab valid only from after the ring was made"
                  % report, f.forge("RING-1", report, f.edit(report, late)))]


@corpus_entries
def time(f):
    sold = f.find("piece_lifecycle", f1=f.id("RING-1"), f2=SOLD)
    imported = fb.set_field(f.log.record(sold), HISTORY_IMPORT, 1, wire=0)
    return [entry("time-import-not-allowed", "RING-1", "time",
                  "the ring's sale (entry %d) marked history_import, re-signed by the jeweler, in a "
                  "log whose policy allows no imports of history" % sold,
                  f.forge("RING-1", sold, imported))]


@corpus_entries
def origin(f):
    report = f.find("certificate_issued", f1=f.id("report-1"))

    def natural(body):
        grading = fb.set_field(fb.parse_fields(fb.field(body, GRADING_REPORT)), 4,
                               STONE_ORIGIN_NATURAL, wire=0)
        return fb.set_field(body, GRADING_REPORT, encode_fields(grading))
    return [entry("origin-natural-report", "RING-1", "origin",
                  "c-report-1 (entry %d) re-issued by the lab calling the lab-grown c-stone-1 natural"
                  % report, f.forge("RING-1", report, f.edit(report, natural)))]


@corpus_entries
def material(f):
    def makes_18k_1(body):  # the alloying into c-18k-1 (GOLD18-1's is another)
        return any(fb.field(fb.parse_fields(v), 1) == f.id("18k-1") for n, _, v in body if n == 5)
    alloy = f.log.find("transformation", makes_18k_1)
    ring = f.find("piece_registered", f1=f.id("RING-1"))

    def stone_as_metal(body):
        metal = encode_fields([(1, 2, f.id("stone-1")), (2, 0, 520)])
        at = max(i for i, x in enumerate(body) if x[0] == METAL_INPUTS) + 1
        return body[:at] + [(METAL_INPUTS, 2, metal)] + body[at:]
    return [entry("material-cast-silver-copper", "RING-1", "material",
                  "the maker's alloying (entry %d) re-signed as a casting, which then takes the "
                  "silver-copper lot c-agcu-1 as gold" % alloy,
                  f.forge("RING-1", alloy,
                          f.edit(alloy, lambda b: fb.set_field(b, 2, PROCESS_CAST, wire=0)))),
            entry("material-stone-as-metal", "RING-1", "material",
                  "the ring's registration (entry %d) also taking its stone c-stone-1 as a metal input"
                  % ring, f.forge("RING-1", ring, f.edit(ring, stone_as_metal)))]


MATERIAL_CLAIMS, HALLMARK = 7, 5  # PieceRegistered
ATTRIBUTE_LAB_GROWN, ATTRIBUTE_NATURAL, IDENTITY_PRESERVED = 2, 3, 1


def material_claim(material, attribute, model=IDENTITY_PRESERVED, share_bp=10000):
    """A MaterialClaim (proto/record.proto) as bytes."""
    return encode_fields([(1, 2, material), (2, 0, attribute), (3, 0, model), (4, 0, share_bp)])


@corpus_entries
def claims(f):
    ring = f.find("piece_registered", f1=f.id("RING-1"))
    band = f.find("piece_registered", f1=f.id("BAND-1"))

    def claims_of(body, keep_material, *more):
        """The body with its material claims about `keep_material` only, then `more`."""
        kept = [x for x in body if x[0] != MATERIAL_CLAIMS or
                fb.field(fb.parse_fields(x[2]), 1) == keep_material]
        at = max(i for i, x in enumerate(kept) if x[0] <= MATERIAL_CLAIMS) + 1
        return kept[:at] + [(MATERIAL_CLAIMS, 2, c) for c in more] + kept[at:]

    def bare(body):  # no metal, so no hallmark either
        return fb.set_field(fb.set_field(body, METAL_INPUTS, b""), HALLMARK, b"")
    natural = material_claim(b"diamond", ATTRIBUTE_NATURAL)
    grown = material_claim(b"diamond", ATTRIBUTE_LAB_GROWN)
    # With no metal the band names no lot: only the records still linked to it are kept.
    # The control (below) is that bundle claiming nothing, which verifies.
    keep = [0, f.find("participant_registered", f1=f.id("jeweler")), band] + [
        e["index"] for e in f.honest("BAND-1")["entries"] if e["index"] > band]
    no_metal = f.edit(band, bare)
    no_claim = f.edit(band, lambda b: claims_of(bare(b), b"none"))
    return [entry("claims-natural-ring", "RING-1", "claims",
                  "the ring's registration (entry %d) claiming natural diamonds, identity "
                  "preserved, 100%%, instead of lab-grown, for its lab-grown stone" % ring,
                  f.forge("RING-1", ring, f.edit(ring, lambda b: claims_of(b, b"gold", natural)))),
            entry("claims-lab-grown-band", "BAND-1", "claims",
                  "the band's registration (entry %d) also claiming lab-grown diamonds; it has no "
                  "stones" % band,
                  f.forge("BAND-1", band, f.edit(band, lambda b: claims_of(b, b"gold", grown)))),
            entry("control-band-without-metal", "BAND-1", "",
                  "the band registered with no inputs, no hallmark and no claim (the bundle keeps "
                  "entries %s, all still linked to it): the next entry's bundle but for its claim"
                  % keep, f.forge("BAND-1", band, no_claim, keep=keep)),
            entry("claims-band-without-metal", "BAND-1", "claims",
                  "the band registered with no inputs and no hallmark, claiming recycled gold (the "
                  "bundle keeps entries %s, all still linked to it)" % keep,
                  f.forge("BAND-1", band, no_metal, keep=keep))]
