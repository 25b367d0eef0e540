// A fixture for the trade rules' tests (rules version 2,
// ledger/provenance/log_policy.h): a RulesFixture whose log is under the trade
// rules, the trade's participants and registered schemes, and builders for
// the trade's records (fineness in parts per ten thousand, parcels and draws,
// System of Warranties shipments, mass-balance accounts, material claims).
#ifndef TOUCHSTONE_TESTS_TRADE_TEST_UTIL_H_
#define TOUCHSTONE_TESTS_TRADE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/log_policy.h"
#include "tests/rules_test_util.h"

namespace touchstone::testing {

// A draw or a plain take of a transformation input.
struct In {
  std::string lot_id;
  int64_t quantity = 0;
  int64_t stones = 0, stones_left = 0, quantity_left = 0;
};
// An output in parts per ten thousand.
struct OutT {
  std::string lot_id;
  int64_t quantity = 0;
  int32_t fineness_ptt = 10000;
  int64_t stones = 0;
  std::string form = "grain";
};

inline v1::MaterialClaim Claim(const std::string& material, v1::Attribute attribute,
                               v1::CustodyModel model, uint32_t share_bp,
                               const std::string& scheme = "", const std::string& account = "") {
  v1::MaterialClaim c;
  c.set_material(material);
  c.set_attribute(attribute);
  c.set_model(model);
  c.set_share_bp(share_bp);
  c.set_scheme(scheme);
  c.set_account_id(account);
  return c;
}

class TradeFixture : public RulesFixture {
 protected:
  TradeFixture()
      : RulesFixture(RuleOptions(),
                     [](LedgerOptions& o) { o.rules_version = kTradeRulesVersion; }) {}

  // Registers the trade's four schemes (as the demo does).
  void SetUp() override {
    Accept(Scheme("rjc-coc", rjc.id, v1::SCHEME_KIND_CHAIN_OF_CUSTODY));
    Accept(Scheme("scs-recycled", scs.id, v1::SCHEME_KIND_RECYCLED_CONTENT));
    Accept(Scheme("igi", igi.id, v1::SCHEME_KIND_GRADING_LABORATORY));
    Accept(Scheme("kp-bw", kp.id, v1::SCHEME_KIND_KIMBERLEY_PROCESS));
  }

  v1::Record Scheme(const std::string& name, const std::string& issuer, v1::SchemeKind kind) {
    v1::Record r = NewRecord(op());
    auto* s = r.mutable_scheme_registered();
    s->set_scheme(name);
    s->set_issuer(issuer);
    s->set_kind(kind);
    s->set_display_name("scheme " + name);
    return r;
  }

  // A certificate under `scheme` about participant `subject`, with its document anchored.
  v1::Record Cert(const Identity& signer, const std::string& id, const std::string& scheme,
                  const std::string& subject) {
    v1::Record r = Certificate(signer, id, subject, NextTime() - kHourMicros);
    r.mutable_certificate_issued()->set_scheme(scheme);
    r.mutable_certificate_issued()->set_document_hash_algorithm("sha-256");
    r.mutable_certificate_issued()->set_document_media_type("application/pdf");
    return r;
  }
  // A Kimberley Process certificate of `carats` thousandths about participant `subject`.
  v1::Record KpCert(const std::string& id, const std::string& subject, int64_t carats) {
    v1::Record r = Cert(kp, id, "kp-bw", subject);
    auto* k = r.mutable_certificate_issued()->mutable_kimberley_process();
    k->set_certificate_number("BW-" + id);
    k->set_country_of_origin("BW");
    k->set_carats_thousandths(carats);
    k->set_parcels(1);
    return r;
  }
  // A grading report by the registered laboratory "igi".
  v1::Record Report(const std::string& id, const std::string& lot, v1::StoneOrigin origin,
                    int64_t carats) {
    v1::Record r = Grading(igi, id, lot, origin, carats);
    r.mutable_certificate_issued()->set_scheme("igi");
    return r;
  }

  v1::Record LotT(const Identity& who, const std::string& id, const std::string& material,
                  v1::OriginClass origin, int64_t quantity, int32_t ptt,
                  std::vector<std::string> certs = {}) {
    const bool stone = material == "diamond" || material == "ruby";
    v1::Record r = Lot(who, id, material, origin, quantity,
                       stone ? v1::UNIT_CARAT_THOUSANDTH : v1::UNIT_MILLIGRAM, 0, std::move(certs));
    r.mutable_lot_created()->set_fineness_ptt(ptt);
    return r;
  }
  // A parcel of `stones` stones weighing `carats` thousandths.
  v1::Record ParcelLot(const Identity& who, const std::string& id, v1::OriginClass origin,
                       int64_t stones, int64_t carats, std::vector<std::string> certs = {}) {
    v1::Record r = LotT(who, id, "diamond", origin, carats, 10000, std::move(certs));
    r.mutable_lot_created()->set_form("melee");
    r.mutable_lot_created()->mutable_parcel()->set_stone_count(stones);
    r.mutable_lot_created()->mutable_parcel()->set_size_class("+6.5-7.0");
    return r;
  }

  v1::Record TransformT(const Identity& who, const std::string& id, v1::Process process,
                        const std::string& material, const std::vector<In>& inputs,
                        const std::vector<OutT>& outputs, int64_t loss_ptt = 0,
                        const std::string& location = "") {
    v1::Record r = NewRecord(who);
    auto* t = r.mutable_transformation();
    t->set_transformation_id(id);
    t->set_process(process);
    t->set_material(material);
    for (const In& i : inputs) {
      auto* in = t->add_inputs();
      in->set_lot_id(i.lot_id);
      in->set_quantity(i.quantity);
      in->set_stones(i.stones);
      in->set_stones_left(i.stones_left);
      in->set_quantity_left(i.quantity_left);
    }
    for (const OutT& o : outputs) {
      auto* out = t->add_outputs();
      out->set_lot_id(o.lot_id);
      out->set_form(o.form);
      out->set_quantity(o.quantity);
      out->set_fineness_ptt(o.fineness_ptt);
      out->set_stones(o.stones);
      if (o.stones > 0) out->set_size_class("+6.5-7.0");
    }
    t->set_declared_loss_fine_ptt(loss_ptt);
    t->set_location(location.empty() ? "workshop of " + who.id : location);
    return r;
  }

  // A shipment carrying `statement` (the System of Warranties by default).
  v1::Record ShipT(const Identity& who, const std::string& shipment, const std::string& lot,
                   const std::string& to, std::string_view statement = kSystemOfWarranties) {
    v1::Record r = Ship(who, shipment, lot, to);
    r.mutable_custody_shipped()->set_warranty_statement(std::string(statement));
    return r;
  }

  v1::Record PieceT(const Identity& who, const std::string& id, const std::string& description,
                    const std::vector<std::string>& stones, const std::vector<Take>& metal,
                    const std::vector<std::pair<std::string, int64_t>>& parcels,
                    const std::vector<v1::MaterialClaim>& claims, const std::string& hallmark) {
    v1::Record r = Piece(who, id, stones, metal);
    auto* p = r.mutable_piece_registered();
    p->set_description(description);
    p->set_hallmark(hallmark);
    for (const auto& [lot, n] : parcels) {
      auto* ps = p->add_parcel_stones();
      ps->set_lot_id(lot);
      ps->set_stones(n);
    }
    for (const v1::MaterialClaim& c : claims) *p->add_material_claims() = c;
    return r;
  }

  v1::Record AccountOpened(const Identity& who, const std::string& id, const std::string& site,
                           const std::string& cert, int64_t start, int64_t end) {
    v1::Record r = NewRecord(who);
    auto* a = r.mutable_credit_account_opened();
    a->set_account_id(id);
    a->set_site(site);
    a->set_material("gold");
    a->set_attribute(v1::ATTRIBUTE_RECYCLED);
    a->set_period_start_micros(start);
    a->set_period_end_micros(end);
    a->set_certificate_id(cert);
    return r;
  }
  v1::Record Booked(const Identity& who, const std::string& account, const std::string& lot,
                    int64_t fine, uint64_t seq, int64_t balance_after) {
    v1::Record r = NewRecord(who);
    auto* b = r.mutable_credit_booked();
    b->set_account_id(account);
    b->set_lot_id(lot);
    b->set_fine(fine);
    b->set_seq(seq);
    b->set_balance_after(balance_after);
    return r;
  }
  v1::Record Allocated(const Identity& who, const std::string& account, const std::string& lot,
                       int64_t fine, uint64_t seq, int64_t balance_after) {
    v1::Record r = NewRecord(who);
    auto* a = r.mutable_credit_allocated();
    a->set_account_id(account);
    a->set_lot_id(lot);
    a->set_fine(fine);
    a->set_seq(seq);
    a->set_balance_after(balance_after);
    return r;
  }

  v1::SchemeState GetScheme(const std::string& name) {
    return State<v1::SchemeState>(SchemeKey(name)).value_or(v1::SchemeState());
  }
  v1::CreditAccountState GetAccount(const std::string& id) {
    return State<v1::CreditAccountState>(CreditAccountKey(id)).value_or(v1::CreditAccountState());
  }

  // The trade's participants, registered when the fixture is made.
  Identity miner = Register("miner", v1::ROLE_MINER);
  Identity refiner = Register("refiner", v1::ROLE_REFINER);
  Identity recycler = Register("recycler", v1::ROLE_RECYCLER);
  Identity grower = Register("grower", v1::ROLE_GROWER);
  Identity cutter = Register("cutter", v1::ROLE_CUTTER);
  Identity jeweler = Register("jeweler", v1::ROLE_JEWELER);
  Identity rjc = Register("rjc", v1::ROLE_CERTIFIER);
  Identity scs = Register("scs", v1::ROLE_CERTIFIER);
  Identity igi = Register("igi", v1::ROLE_CERTIFIER);
  Identity kp = Register("kp-botswana", v1::ROLE_CERTIFIER);
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_TRADE_TEST_UTIL_H_
