// Words for what the trade rules add to a verified bundle (bundle_verify_internal.h):
// lots with their fineness and parcels, registered schemes, mass-balance
// accounts and their records, and the piece's material claims, with
// quantities in the units the trade reads (ledger/provenance/units.h).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/units.h"

namespace touchstone::bundle {
namespace {

std::string Day(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

// "account a1 record 3; balance after: 62.000 g (...) fine"
std::string Record(const std::string& account, uint64_t seq, int64_t balance_after) {
  return absl::StrCat("record ", seq, " of account ", account,
                      "; balance after: ", FineMassText(balance_after), " fine");
}

}  // namespace

std::string EnumText(const std::string& name, size_t prefix) {
  return absl::StrReplaceAll(
      absl::AsciiStrToLower(name.substr(std::min(prefix, name.size()))),
      {{"post_", "post-"}, {"pre_", "pre-"}, {"lab_grown", "lab-grown"}, {"_", " "}});
}

std::string ParticipantName(const Participants& participants, const std::string& id) {
  auto it = participants.find(id);
  return it == participants.end() ? absl::StrCat("'", id, "'")
                                  : absl::StrCat(it->second.legal_name, " (", id, ")");
}

std::string LotDescription(const Graph& g, const std::string& id) {
  auto it = g.lots.find(id);
  if (it == g.lots.end()) return id;
  const Lot& l = it->second;
  const LotTrace& t = l.trace;
  const std::string origin = EnumText(v1::OriginClass_Name(t.origin), 13);
  if (l.fineness_ppt != 0) {  // stated in the legacy form: as before the trade rules
    return absl::StrCat(id, " (", t.material, " ", l.form,
                        t.unit == v1::UNIT_MILLIGRAM ? absl::StrCat(" @", l.fineness_ppt) : "",
                        ", ", origin, ")");
  }
  std::string what = absl::StrCat(t.material, " ", l.form);
  if (t.unit == v1::UNIT_MILLIGRAM) {
    absl::StrAppend(&what, " ", MetalFinenessText(t.material, t.fineness_ptt));
  }
  if (t.stones > 0) absl::StrAppend(&what, ", parcel of ", t.stones, " stones");
  return absl::StrCat(id, " (", what, ", ", origin, ")");
}

std::string AccountText(const Graph& g, const std::string& id) {
  auto it = g.accounts.find(id);
  if (it == g.accounts.end()) return absl::StrCat("account ", id);
  const v1::CreditAccountOpened& o = *it->second.opened;
  return absl::StrCat("site ", o.site(), ", ", Day(o.period_start_micros()), " to ",
                      Day(o.period_end_micros()));
}

std::string DescribeTradeRecord(const Item& item, const Participants& participants,
                                const Graph& g) {
  const v1::Record& r = item.record;
  switch (r.body_case()) {
    case v1::Record::kSchemeRegistered: {
      const v1::SchemeRegistered& s = r.scheme_registered();
      return absl::StrCat("registers scheme ", s.scheme(),
                          s.display_name().empty() ? "" : " (" + s.display_name() + ")", ", a ",
                          EnumText(v1::SchemeKind_Name(s.kind()), 12),
                          " scheme: ", ParticipantName(participants, s.issuer()),
                          " signs its certificates with its own keys");
    }
    case v1::Record::kCreditAccountOpened: {
      const v1::CreditAccountOpened& o = r.credit_account_opened();
      auto cert = g.certificates.find(o.certificate_id());
      return absl::StrCat("opens mass-balance account ", o.account_id(), " for ",
                          EnumText(v1::Attribute_Name(o.attribute()), 10), " ", o.material(),
                          " at site ", o.site(), ", ", Day(o.period_start_micros()), " to ",
                          Day(o.period_end_micros()), ", on certificate ", o.certificate_id(),
                          cert == g.certificates.end() ? "" : " (" + cert->second.scheme() + ")");
    }
    case v1::Record::kCreditBooked: {
      const v1::CreditBooked& b = r.credit_booked();
      return absl::StrCat("books ", FineMassText(b.fine()), " fine of lot ",
                          LotDescription(g, b.lot_id()), " as recycled credit (",
                          Record(b.account_id(), b.seq(), b.balance_after()), ")");
    }
    case v1::Record::kCreditAllocated: {
      const v1::CreditAllocated& a = r.credit_allocated();
      auto lot = g.lots.find(a.lot_id());
      const std::string share =
          lot == g.lots.end()
              ? ""
              : absl::StrCat(ShareText(lot->second.trace.mb_share_bp), " of its fine weight; ");
      return absl::StrCat("allocates ", FineMassText(a.fine()), " fine of recycled credit to lot ",
                          LotDescription(g, a.lot_id()), " (", share,
                          Record(a.account_id(), a.seq(), a.balance_after()), ")");
    }
    default:
      return "";
  }
}

void DescribeMaterialClaims(const Graph& g, BundleReport* report) {
  for (const v1::MaterialClaim& c : g.piece->material_claims()) {
    const std::string account =
        c.model() == v1::CUSTODY_MODEL_MASS_BALANCE ? AccountText(g, c.account_id()) : "";
    report->material_claims.push_back({c, MaterialClaimText(c, account)});
  }
  report->composition = g.claims.composition;
}

}  // namespace touchstone::bundle
