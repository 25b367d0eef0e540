// touchstone demo's record helpers for lots, stones and pieces (cli_demo.h):
// Kimberley Process certificates, grading reports, lots (parcels too),
// transformations (parcel draws state the remainder read from the parcel's
// state), shipments (natural diamonds with the System of Warranties
// statement), pieces with material claims, and mass-balance credit (seq and
// balance from the account's state, as `touchstone account` does).
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/substitute.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/units.h"
#include "services/cli_demo.h"
#include "services/cli_heirloom.h"
#include "services/cli_trade_flags.h"
#include "services/cli_trade_state.h"

namespace touchstone::cli {
namespace {

std::string Sha(const std::string& s) { return HashBytes(Sha256(s)); }
std::string Amount(bool stone, int64_t q) { return stone ? CaratText(q) : MassText(q); }
// "250.000 g (...) gold bar @651 (15.6k)", "0.520 ct polished diamond", "100 stones, 1.000 ct
// melee diamond".
std::string Desc(const std::string& material, const std::string& form, int64_t q, int32_t ptt,
                 int64_t stones) {
  if (stones > 0) {
    return absl::StrCat(stones, " stones, ", CaratText(q), " ", form, " ", material);
  }
  if (material == "diamond") return absl::StrCat(CaratText(q), " ", form, " diamond");
  return absl::StrCat(MassText(q), " ", material, " ", form, " @",
                      MetalFinenessText(material, ptt));
}

}  // namespace

absl::Status Demo::KimberleyProcess(int n, int64_t carats) {
  const int64_t t = Now(), ninety_days = int64_t{90} * 86400 * 1'000'000;
  const std::string id = Id(absl::StrCat("kp-", n)),
                    number = absl::StrCat("BW-", serial_ % 10000000 + n);
  return Put("kp-bw",
             absl::Substitute(
                 R"(certificate_issued { certificate_id: "$0" scheme: "kp-bw"
                    subject_participant: "$1" scope: "export of rough diamonds"
                    valid_from_micros: $2 valid_until_micros: $3 external_number: "$4"
                    document_sha256: "$5" document_hash_algorithm: "sha-256"
                    document_media_type: "application/pdf" kimberley_process {
                    certificate_number: "$4" country_of_origin: "BW" exporter: "$6"
                    importer: "$7" carats_thousandths: $8 parcels: 1 } })",
                 id, Who("miner"), t, t + ninety_days, number,
                 absl::CEscape(Sha("KP certificate " + number)), "Tsodilo Minerals (Pty) Ltd",
                 "Scheldt Brilliant Cutting BV", carats),
             absl::StrCat("issues Kimberley Process certificate ", id, " (", number, ") to ",
                          Who("miner"), ": ", CaratText(carats), " of rough, Botswana"),
             t);
}

absl::Status Demo::Grade(int n, v1::StoneOrigin origin, int64_t carats, const std::string& colour,
                         const std::string& clarity, const std::string& measurements) {
  const int64_t t = Now();
  const bool grown = origin == v1::STONE_ORIGIN_LAB_GROWN;
  const std::string id = Id(absl::StrCat("report-", n)), stone = Id(absl::StrCat("stone-", n)),
                    number = absl::StrCat(grown ? "LG" : "", serial_ + n);
  v1::Record r;
  v1::CertificateIssued* c = r.mutable_certificate_issued();
  c->set_certificate_id(id);
  c->set_scheme("igi");
  c->set_subject_lot(stone);
  c->set_scope("diamond grading report");
  c->set_valid_from_micros(t);
  c->set_external_number(number);
  c->set_document_sha256(Sha("grading report " + number));
  c->set_document_hash_algorithm("sha-256");
  c->set_document_media_type("application/pdf");
  v1::GradingReport* g = c->mutable_grading_report();
  g->set_lab(Who("igi"));
  g->set_report_number(number);
  g->set_inscription("IGI " + number);
  g->set_origin(origin);
  if (grown) g->set_growth_method(v1::GROWTH_METHOD_CVD);
  g->set_treatment("none");
  g->set_carats_thousandths(carats);
  g->set_colour(colour);
  g->set_clarity(clarity);
  g->set_cut("Excellent");
  g->set_measurements(measurements);
  return PutRecord(
      "igi", std::move(r),
      absl::StrCat("grades ", stone, ": report ", id, " (", number, ", inscription \"IGI ", number,
                   "\"), ", grown ? "lab-grown CVD, " : "natural, ", CaratText(carats), " ", colour,
                   " ", clarity, " Excellent"),
      t);
}

absl::Status Demo::Lot(const DemoLot& l) {
  v1::Record r;
  v1::LotCreated* lot = r.mutable_lot_created();
  lot->set_lot_id(Id(l.lot));
  lot->set_material(l.material);
  lot->set_form(l.form);
  lot->set_origin_class(l.origin);
  lot->set_quantity(l.quantity);
  const bool stone = IsDiamond(l.material);
  lot->set_unit(stone ? v1::UNIT_CARAT_THOUSANDTH : v1::UNIT_MILLIGRAM);
  lot->set_fineness_ptt(l.fineness_ptt);
  lot->set_facility(l.facility);
  lot->set_note(l.note);
  for (const std::string& c : l.certs) lot->add_certificate_ids(c);
  if (l.parcel_stones > 0) {
    lot->mutable_parcel()->set_stone_count(l.parcel_stones);
    lot->mutable_parcel()->set_size_class(l.size_class);
  }
  if (NeedsWarranty(l.material, l.origin)) natural_.insert(l.lot);
  desc_[l.lot] = Desc(l.material, l.form, l.quantity, l.fineness_ptt, l.parcel_stones);
  return PutRecord(
      l.who, std::move(r),
      absl::StrCat(
          "creates lot ", Id(l.lot), ": ", desc_[l.lot], ", ",
          absl::StrReplaceAll(EnumWord(v1::OriginClass_descriptor(), "ORIGIN_CLASS_", l.origin),
                              {{"recycled-", "recycled "}, {"lab-grown", "lab grown"}}),
          " (", l.note, ")", l.certs.empty() ? "" : ", cites " + absl::StrJoin(l.certs, ", ")));
}

absl::Status Demo::Transform(const std::string& who, v1::Process process,
                             const std::string& material, const std::vector<DemoIn>& in,
                             const std::vector<DemoOut>& out, int64_t loss,
                             const std::string& location, const std::string& cert, bool heirloom) {
  const bool stone = IsDiamond(material);
  v1::Record r;
  v1::Transformation* t = r.mutable_transformation();
  t->set_transformation_id(Id(absl::StrCat("tx-", count_ + 1)));
  t->set_process(process);
  t->set_material(material);
  t->set_declared_loss_fine_ptt(loss);
  t->set_location(location);
  if (!cert.empty()) t->add_certificate_ids(cert);
  std::vector<std::string> ins, outs;
  for (const DemoIn& i : in) {
    v1::LotQuantity* q = t->add_inputs();
    q->set_lot_id(Id(i.lot_id));
    q->set_quantity(i.quantity);
    std::string drawn;
    if (i.stones > 0) {  // a parcel draw states what the parcel keeps, as its state says
      q->set_stones(i.stones);
      ASSIGN_OR_RETURN(v1::LotState parcel, FetchLot(ctx_, q->lot_id()));
      RETURN_IF_ERROR(StateRemainder(parcel, *q));
      drawn = absl::StrCat(" (", i.stones, " stones; ", q->stones_left(), " stones, ",
                           CaratText(q->quantity_left()), " left)");
    }
    ins.push_back(absl::StrCat(Id(i.lot_id), " ", Amount(stone, i.quantity), drawn));
  }
  for (const DemoOut& o : out) {
    v1::OutputLot* lot = t->add_outputs();
    lot->set_lot_id(Id(o.lot_id));
    lot->set_form(o.form);
    lot->set_quantity(o.quantity);
    lot->set_fineness_ptt(o.fineness_ptt);
    lot->set_stones(o.stones);
    lot->set_size_class(o.size_class);
    if (stone && natural_.count(in.front().lot_id) > 0) natural_.insert(o.lot_id);
    desc_[o.lot_id] = Desc(material, o.form, o.quantity, o.fineness_ptt, o.stones);
    outs.push_back(absl::StrCat(
        Id(o.lot_id), " ", o.stones > 0 ? absl::StrCat(o.stones, " stones, ") : "",
        Amount(stone, o.quantity),
        stone ? "" : absl::StrCat(" ", o.form, " @", MetalFinenessText(material, o.fineness_ptt))));
  }
  std::string owners;
  if (heirloom) {  // the owner's material out, as `lot transform --heirloom-fine auto`
    RETURN_IF_ERROR(FillHeirloomFine(ctx_, *t, {"auto"}));
    int64_t h = 0;
    for (const v1::OutputLot& o : t->outputs()) h += o.heirloom_fine();
    owners = absl::StrCat("; the owner's gold out: ", HeirloomGramsText(h), " fine");
  }
  const int64_t lost = loss / kFullFinenessPtt;
  return PutRecord(
      who, std::move(r),
      absl::StrCat(v1::Process_Name(process).substr(8), " ", absl::StrJoin(ins, " + "), " -> ",
                   absl::StrJoin(outs, ", "),
                   loss == 0 ? "; no loss"
                             : absl::StrCat("; declared loss ",
                                            stone ? CaratText(lost) : MassText(lost) + " fine"),
                   cert.empty() ? "" : ", cites " + cert, owners));
}

absl::Status Demo::Ship(const std::string& from, const std::string& to, const std::string& lot) {
  const std::string shipment = Id(absl::StrCat("shp-", count_ + 1));
  v1::Record r;
  v1::CustodyShipped* s = r.mutable_custody_shipped();
  s->set_shipment_id(shipment);
  s->set_lot_id(Id(lot));
  s->set_to_participant(Who(to));
  s->set_business_reference_sha256(Sha("invoice for shipment " + shipment));
  const bool natural = natural_.count(lot) > 0;
  if (natural) s->set_warranty_statement(std::string(kSystemOfWarranties));
  RETURN_IF_ERROR(PutRecord(
      from, std::move(r),
      absl::StrCat("ships ", Id(lot), " (", desc_[lot], ") to ", Who(to), ", shipment ", shipment,
                   natural ? "; the invoice carries the System of Warranties statement" : "")));
  return Put(
      to,
      absl::Substitute(R"(custody_received { shipment_id: "$0" lot_id: "$1" })", shipment, Id(lot)),
      absl::StrCat("receives ", Id(lot), " (shipment ", shipment, ")"));
}

absl::Status Demo::Piece(const DemoPiece& piece) {
  v1::Record r;
  v1::PieceRegistered* p = r.mutable_piece_registered();
  p->set_piece_id(Id(piece.piece));
  p->set_description(piece.description);
  p->set_hallmark(piece.hallmark);
  std::vector<std::string> parts, claims;
  for (const std::string& s : piece.stones) {
    p->add_stone_lot_ids(Id(s));
    parts.push_back(Id(s));
  }
  for (const std::string& lot : piece.parcels) {
    ASSIGN_OR_RETURN(v1::LotState parcel, FetchLot(ctx_, Id(lot)));
    v1::ParcelStones* ps = p->add_parcel_stones();
    ps->set_lot_id(Id(lot));
    ps->set_stones(parcel.stones_balance());
    parts.push_back(absl::StrCat(parcel.stones_balance(), " stones of ", Id(lot)));
  }
  for (const DemoIn& m : piece.metal) {
    v1::MetalInput* in = p->add_metal_inputs();
    in->set_lot_id(Id(m.lot_id));
    in->set_quantity(m.quantity);
    parts.push_back(absl::StrCat(MassText(m.quantity), " of ", Id(m.lot_id)));
  }
  for (const std::string& text : piece.claims) {
    ASSIGN_OR_RETURN(v1::MaterialClaim claim, ParseMaterialClaim(text));
    if (!claim.account_id().empty()) claim.set_account_id(Id(claim.account_id()));
    claims.push_back(MaterialClaimText(claim));
    *p->add_material_claims() = std::move(claim);
  }
  if (piece.heirloom_claim) {  // as `piece register --heirloom-claim auto`
    ASSIGN_OR_RETURN(*p->mutable_heirloom(), ComputeClaimOf(ctx_, *p));
    claims.push_back(HeirloomClaimText(p->heirloom()));
  }
  p->set_disclose_inputs(piece.disclose_inputs);
  return PutRecord(
      "jeweler", std::move(r),
      absl::StrCat("registers piece ", Id(piece.piece), ": ", piece.description, " (",
                   absl::StrJoin(parts, " + "), "), hallmark ", piece.hallmark, "; claims ",
                   claims.empty() ? "none" : absl::StrJoin(claims, "; "),
                   piece.disclose_inputs ? "; sealed, its inputs opened in its bundle" : ""),
      0, nullptr, piece.disclose_inputs);
}

absl::Status Demo::Credit(const std::string& who, const std::string& account,
                          const std::string& lot, bool allocation, uint32_t share_bp) {
  ASSIGN_OR_RETURN(v1::CreditAccountState a, FetchAccount(ctx_, Id(account)));
  ASSIGN_OR_RETURN(v1::LotState l, FetchLot(ctx_, Id(lot)));
  ASSIGN_OR_RETURN(v1::Record r, NextCreditRecord(a, l, allocation, share_bp));
  const int64_t fine = allocation ? r.credit_allocated().fine() : r.credit_booked().fine();
  const int64_t after =
      allocation ? r.credit_allocated().balance_after() : r.credit_booked().balance_after();
  return PutRecord(
      who, std::move(r),
      absl::StrCat(allocation ? "allocates " : "books ", FineText(fine),
                   allocation ? absl::StrCat(" (", ShareText(share_bp), " of its fine weight) to ")
                              : " of certified recycled gold from ",
                   Id(lot), allocation ? " from " : " into ", "account ", Id(account), " (record ",
                   a.seq() + 1, "; balance ", FineText(after), ")"));
}

}  // namespace touchstone::cli
