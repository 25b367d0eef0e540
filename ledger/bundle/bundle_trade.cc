// The trade rules as the bundle's replay keeps them (bundle_verify_internal.h):
// registered schemes and the certificates they sign, what a lot needs to
// enter, the System of Warranties on shipments, and mass-balance accounts
// replayed from their records (parcels and the piece: bundle_piece.cc). Each step uses the
// shared definitions the ledger's rules use (ledger/provenance/schemes.h,
// disclosure.h, parcels.h, mass_balance.h), so both decide alike.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/origin.h"
#include "ledger/provenance/schemes.h"

namespace touchstone::bundle {
namespace {

// The longest account id (CreditAccountOpened.account_id).
constexpr size_t kMaxAccountIdBytes = 128;

std::string Day(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

[[nodiscard]] absl::Status MassBalance(const Item& item, std::string_view what) {
  return Broken(item, rule::kMassBalance, "mass balance", what);
}

// The account `id`, replayed so far; FAILED_PRECONDITION (completeness) if the
// bundle does not open it before `item`.
[[nodiscard]] absl::StatusOr<Account*> GetAccount(Graph& g, const Item& item,
                                                  const std::string& id) {
  auto it = g.accounts.find(id);
  if (it == g.accounts.end()) {
    return Broken(
        item, rule::kCompleteness, "reference",
        absl::StrCat("names mass-balance account '", id, "', opened by no earlier record"));
  }
  return &it->second;
}

// Only the account's owner writes its records, within its period.
[[nodiscard]] absl::Status OwnerInPeriod(const Item& item, const std::string& id,
                                         const Account& account) {
  if (item.record.signer() != account.owner) {
    return rule::Tag(rule::kMassBalance,
                     absl::PermissionDeniedError(absl::StrCat(
                         "mass balance rule: ", Where(item), " is signed by '",
                         item.record.signer(), "'; only '", account.owner,
                         "', who opened account '", id, "', books and allocates its credit")));
  }
  const v1::CreditAccountOpened& o = *account.opened;
  if (absl::Status s = CheckPeriod(item.record.event_time_micros(), o.period_start_micros(),
                                   o.period_end_micros(), id);
      !s.ok()) {
    return Refused(item, rule::kMassBalance, s);
  }
  return absl::OkStatus();
}

// The fine weight of a lot as made: quantity x fineness_ptt.
int64_t LotFine(const Lot& lot) { return lot.quantity * lot.trace.fineness_ptt; }

}  // namespace

[[nodiscard]] absl::Status RegisterScheme(const Item& item, const Participants& participants,
                                          Graph& g) {
  const v1::SchemeRegistered& s = item.record.scheme_registered();
  if (absl::Status valid = ValidSchemeName(s.scheme()); !valid.ok()) {
    return Refused(item, rule::kScheme, valid);
  }
  if (s.kind() == v1::SCHEME_KIND_UNSPECIFIED || !v1::SchemeKind_IsValid(s.kind())) {
    return Refused(item, rule::kScheme,
                   absl::InvalidArgumentError(
                       absl::StrCat("scheme '", s.scheme(), "' is registered without a kind")));
  }
  auto issuer = participants.find(s.issuer());
  if (issuer == participants.end() || issuer->second.registered_index > item.index) {
    return Broken(item, rule::kCompleteness, "scheme",
                  absl::StrCat("names '", s.issuer(), "' as the issuer of scheme '", s.scheme(),
                               "', registered by no earlier record of the bundle"));
  }
  if (!issuer->second.roles.count(v1::ROLE_CERTIFIER)) {
    return Broken(item, rule::kScheme, "scheme",
                  absl::StrCat("names '", s.issuer(), "' as the issuer of scheme '", s.scheme(),
                               "'; it does not hold the certifier role"));
  }
  if (!g.schemes.emplace(s.scheme(), Scheme{s.issuer(), s.kind(), s.display_name(), item.index})
           .second) {
    return Broken(item, rule::kOnce, "scheme",
                  absl::StrCat("registers scheme '", s.scheme(), "' again"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckCertificate(const Item& item, Graph& g) {
  const v1::CertificateIssued& c = item.record.certificate_issued();
  auto scheme = g.schemes.find(c.scheme());
  if (scheme == g.schemes.end()) {
    return Broken(item, rule::kCompleteness, "scheme",
                  absl::StrCat("issues certificate '", c.certificate_id(), "' under scheme '",
                               c.scheme(), "', which no earlier record of the bundle registers"));
  }
  if (scheme->second.issuer != item.record.signer()) {
    return rule::Tag(rule::kScheme, absl::PermissionDeniedError(absl::StrCat(
                                        "scheme rule: ", Where(item), " certificate under scheme '",
                                        c.scheme(), "' is signed by '", item.record.signer(),
                                        "'; the log pins '", scheme->second.issuer,
                                        "' as its issuer (entry ", scheme->second.index, ")")));
  }
  if (absl::Status s = CheckSchemeMayIssue(scheme->second.kind, c); !s.ok()) {
    return Refused(item, rule::kScheme, s);
  }
  if (!c.document_sha256().empty() &&
      (c.document_hash_algorithm() != "sha-256" || c.document_media_type().empty())) {
    return Refused(item, rule::kCertificates,
                   absl::InvalidArgumentError(
                       "a certificate's document names its hash algorithm (document_hash_algorithm "
                       "\"sha-256\") and its media type (document_media_type)"));
  }
  if (!c.has_parcel_report()) return absl::OkStatus();
  const v1::ParcelReport& r = c.parcel_report();
  ASSIGN_OR_RETURN(Lot * lot, GetLot(g, item, c.subject_lot()));
  if (lot->trace.stones == 0 && lot->sealed_at == 0) {
    return Broken(
        item, rule::kParcel, "parcel",
        absl::StrCat("reports on lot '", c.subject_lot(), "' as a parcel; it is not one"));
  }
  if (r.origin() != StoneOriginOf(lot->trace.origin)) {
    return Broken(
        item, rule::kOrigin, "origin",
        absl::StrCat("calls parcel '", c.subject_lot(), "' ", v1::StoneOrigin_Name(r.origin()),
                     "; its records make it ", v1::OriginClass_Name(lot->trace.origin)));
  }
  if (lot->sealed_at != 0) {
    Vouch(g, item,
          absl::StrCat("parcel report '", c.certificate_id(), "' gives parcel '", c.subject_lot(),
                       "' its count and weight", SealedAt(item, lot->sealed_at)));
    return absl::OkStatus();
  }
  if (r.stone_count() != lot->trace.stones || r.carats_thousandths() != lot->quantity) {
    return Broken(
        item, rule::kParcel, "parcel",
        absl::StrCat("reports ", r.stone_count(), " stones weighing ", r.carats_thousandths(),
                     " in parcel '", c.subject_lot(), "'; it was made of ", lot->trace.stones,
                     " weighing ", lot->quantity));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckLotEntry(const Item& item, Graph& g) {
  const v1::LotCreated& c = item.record.lot_created();
  if (IsRecycledOrigin(c.origin_class())) {
    const bool backed =
        std::any_of(c.certificate_ids().begin(), c.certificate_ids().end(), [&](const auto& id) {
          auto s = g.schemes.find(g.certificates.at(id).scheme());
          return s != g.schemes.end() && BacksRecycled(s->second.kind);
        });
    if (!backed) {
      return Broken(item, rule::kCertificates, "certificate",
                    absl::StrCat("creates recycled lot '", c.lot_id(),
                                 "' citing no certificate of a registered chain-of-custody or "
                                 "recycled-content scheme"));
    }
  }
  if (NeedsWarranty(c.material(), c.origin_class())) {
    int64_t covered = 0;
    bool kp = false;
    for (const std::string& id : c.certificate_ids()) {
      const v1::CertificateIssued& cert = *g.issued.at(id);
      if (!cert.has_kimberley_process()) continue;
      kp = true;
      covered += cert.kimberley_process().carats_thousandths();
    }
    if (!kp) {
      return Broken(item, rule::kWarranty, "warranty",
                    absl::StrCat("creates natural diamond lot '", c.lot_id(),
                                 "' citing no Kimberley Process certificate"));
    }
    if (item.Hidden()) {
      Vouch(g, item,
            absl::StrCat("the Kimberley Process certificates of lot '", c.lot_id(),
                         "' cover its weight"));
    } else if (covered < c.quantity()) {
      return Broken(item, rule::kWarranty, "warranty",
                    absl::StrCat("creates natural diamond lot '", c.lot_id(), "' of ", c.quantity(),
                                 " thousandths of a carat; its Kimberley Process "
                                 "certificates cover ",
                                 covered));
    }
  }
  if (absl::Status s = CheckGemstoneDisclosure(c); !s.ok()) {
    return Refused(item, rule::kDisclosure, s);
  }
  if (!c.has_parcel()) return absl::OkStatus();
  if (c.unit() != v1::UNIT_CARAT_THOUSANDTH || c.fineness_ptt() != kFullFinenessPtt) {
    return Refused(item, rule::kParcel,
                   absl::InvalidArgumentError(absl::StrCat(
                       "parcel '", c.lot_id(),
                       "' is weighed in thousandths of a carat with fineness_ptt 10000")));
  }
  if (item.Hidden()) {
    Vouch(g, item, absl::StrCat("parcel '", c.lot_id(), "' is consistent (its count and weight)"));
    return absl::OkStatus();
  }
  if (absl::Status s = CheckNewParcel(c.parcel(), c.quantity()); !s.ok()) {
    return Refused(item, rule::kParcel, s);
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckWarranty(const Item& item, Lot& lot) {
  const v1::CustodyShipped& s = item.record.custody_shipped();
  const bool natural = NeedsWarranty(lot.trace.material, lot.trace.origin);
  const bool stated = s.warranty_statement() == kSystemOfWarranties;
  if (!TradeRules(item.policy)) {
    // Legacy: never refused, but the natural chain breaks without it.
    if (natural && !stated) lot.trace.natural_chain = false;
    return absl::OkStatus();
  }
  if (natural && !stated) {
    return Broken(item, rule::kWarranty, "warranty",
                  absl::StrCat("ships natural diamonds (lot '", s.lot_id(), "') without the ",
                               s.warranty_statement().empty() ? "" : "exact ",
                               "System of Warranties statement"));
  }
  if (!natural && !s.warranty_statement().empty()) {
    return Refused(item, rule::kWarranty,
                   absl::InvalidArgumentError(absl::StrCat(
                       "lot '", s.lot_id(),
                       "' is not natural diamond: only such a shipment carries the System of "
                       "Warranties statement")));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status OpenAccount(const Item& item, Graph& g) {
  const v1::CreditAccountOpened& o = item.record.credit_account_opened();
  const std::string& id = o.account_id();
  auto invalid = [&](std::string_view why) {
    return Refused(item, rule::kMassBalance, absl::InvalidArgumentError(Sv(why)));
  };
  if (id.empty() || id.size() > kMaxAccountIdBytes) {
    return invalid("account_id must be 1 to 128 bytes");
  }
  if (g.accounts.count(id)) {
    return Broken(item, rule::kOnce, "mass balance",
                  absl::StrCat("opens account '", id, "' again"));
  }
  if (o.site().empty() || o.material().empty())
    return invalid("an account needs a site and a material");
  if (o.attribute() != v1::ATTRIBUTE_RECYCLED) return invalid("only recycled credit is supported");
  if (o.period_start_micros() >= o.period_end_micros()) {
    return invalid("an account's period starts before it ends");
  }
  google::protobuf::RepeatedPtrField<std::string> cert;
  cert.Add(std::string(o.certificate_id()));
  RETURN_IF_ERROR(Rely(g, item, cert));
  const v1::CertificateIssued& c = *g.issued.at(o.certificate_id());
  auto scheme = g.schemes.find(c.scheme());
  if (scheme == g.schemes.end()) {
    return Broken(item, rule::kCompleteness, "scheme",
                  absl::StrCat("rests on certificate '", c.certificate_id(), "' of scheme '",
                               c.scheme(), "', which no earlier record of the bundle registers"));
  }
  if (!BacksMassBalance(scheme->second.kind)) {
    return MassBalance(item,
                       absl::StrCat("rests on certificate '", c.certificate_id(), "' of scheme '",
                                    c.scheme(), "' (", v1::SchemeKind_Name(scheme->second.kind),
                                    "); only a chain-of-custody scheme backs an account"));
  }
  const bool about = c.subject_participant() == item.record.signer() ||
                     (c.has_subject_facility() && c.subject_facility() == o.site());
  if (!about) {
    return rule::Tag(
        rule::kMassBalance,
        absl::PermissionDeniedError(absl::StrCat(
            "mass balance rule: ", Where(item), " rests on certificate '", c.certificate_id(),
            "', which is about neither '", item.record.signer(), "' nor site '", o.site(), "'")));
  }
  g.accounts[id] = Account{&o, item.record.signer(), c.scheme(), {}, item.index};
  return absl::OkStatus();
}

namespace {

// Replays a booking or an allocation on its account (ApplyCredit): its seq
// and balance_after. Once a record of the account is sealed and not opened,
// its balance is hidden: from there on the replay is vouched for instead.
[[nodiscard]] absl::Status Replay(const Item& item, Graph& g, Account& account, bool allocation,
                                  int64_t fine, uint64_t seq, int64_t balance_after,
                                  const std::string& account_id) {
  if (item.Hidden() && account.sealed_at == 0) account.sealed_at = item.index;
  if (account.sealed_at != 0) {
    Vouch(g, item,
          absl::StrCat("record ", seq, " of account '", account_id,
                       "' states the account's balance", SealedAt(item, account.sealed_at)));
    return absl::OkStatus();
  }
  absl::StatusOr<CreditBook> book =
      ApplyCredit(account.book, allocation, fine, seq, balance_after, account_id);
  if (!book.ok()) return Refused(item, rule::kMassBalance, book.status());
  account.book = *book;
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status BookCredit(const Item& item, Graph& g) {
  const v1::CreditBooked& b = item.record.credit_booked();
  ASSIGN_OR_RETURN(Account * account, GetAccount(g, item, b.account_id()));
  RETURN_IF_ERROR(OwnerInPeriod(item, b.account_id(), *account));
  ASSIGN_OR_RETURN(Lot * lot, GetLot(g, item, b.lot_id()));
  RETURN_IF_ERROR(Hold(item, b.lot_id(), *lot));
  const LotTrace& t = lot->trace;
  if (t.material != account->opened->material() || t.stones > 0) {
    return MassBalance(item, absl::StrCat("books lot '", b.lot_id(), "' (", t.material,
                                          t.stones > 0 ? ", a parcel" : "", ") into account '",
                                          b.account_id(), "' of ", account->opened->material()));
  }
  if (!IsRecycledOrigin(t.origin) || t.credit_booked || !t.certified) {
    return MassBalance(item,
                       absl::StrCat("books lot '", b.lot_id(), "', which is ",
                                    !IsRecycledOrigin(t.origin) ? v1::OriginClass_Name(t.origin)
                                    : t.credit_booked           ? "booked already"
                                                                : "not certified all the way back",
                                    "; only certified recycled material earns credit"));
  }
  if (item.Hidden() || lot->sealed_at != 0) {
    Vouch(g, item,
          absl::StrCat("booking ", b.seq(), " of account '", b.account_id(),
                       "' takes at most lot '", b.lot_id(), "''s fine weight",
                       SealedAt(item, item.Hidden() ? item.index : lot->sealed_at)));
  } else if (b.fine() > LotFine(*lot)) {
    return MassBalance(item, absl::StrCat("books ", b.fine(), " fine units from lot '", b.lot_id(),
                                          "', whose fine weight is ", LotFine(*lot)));
  }
  RETURN_IF_ERROR(
      Replay(item, g, *account, false, b.fine(), b.seq(), b.balance_after(), b.account_id()));
  lot->trace.credit_booked = true;
  return absl::OkStatus();
}

[[nodiscard]] absl::Status AllocateCredit(const Item& item, Graph& g) {
  const v1::CreditAllocated& a = item.record.credit_allocated();
  ASSIGN_OR_RETURN(Account * account, GetAccount(g, item, a.account_id()));
  RETURN_IF_ERROR(OwnerInPeriod(item, a.account_id(), *account));
  const v1::CreditAccountOpened& o = *account->opened;
  // An allocation to a lot outside the piece's graph is only counted.
  auto it = g.lots.find(a.lot_id());
  Lot* lot = it == g.lots.end() ? nullptr : &it->second;
  if (lot != nullptr) {
    RETURN_IF_ERROR(Hold(item, a.lot_id(), *lot));
    const LotTrace& t = lot->trace;
    if (t.material != o.material()) {
      return MassBalance(item, absl::StrCat("allocates credit of ", o.material(), " to lot '",
                                            a.lot_id(), "' of ", t.material));
    }
    if (lot->sealed_at != 0) {
      Vouch(g, item,
            absl::StrCat("lot '", a.lot_id(), "' was made at site ", o.site(),
                         SealedAt(item, lot->sealed_at)));
    } else if (t.site != o.site()) {
      return MassBalance(item, absl::StrCat("allocates to lot '", a.lot_id(), "': lot made at ",
                                            t.site, ", the account's site is ", o.site()));
    }
    if (lot->created_micros < o.period_start_micros() ||
        lot->created_micros >= o.period_end_micros()) {
      return MassBalance(item, absl::StrCat("allocates to lot '", a.lot_id(), "', made on ",
                                            Day(lot->created_micros),
                                            ", outside the period of "
                                            "account '",
                                            a.account_id(), "' (", Day(o.period_start_micros()),
                                            " to ", Day(o.period_end_micros()), ")"));
    }
    if (t.mb_share_bp != 0) {
      return rule::Tag(rule::kMassBalance, absl::AlreadyExistsError(absl::StrCat(
                                               "mass balance rule: ", Where(item), " lot '",
                                               a.lot_id(), "' already carries allocated credit")));
    }
    // A lot made from booked input may receive credit, as the rules allow
    // (rules_trade.cc): it no longer carries the attribute physically.
    if (item.Hidden() || lot->sealed_at != 0) {
      Vouch(g, item,
            absl::StrCat("allocation ", a.seq(), " of account '", a.account_id(),
                         "' gives at most lot '", a.lot_id(), "''s fine weight",
                         SealedAt(item, item.Hidden() ? item.index : lot->sealed_at)));
    } else if (a.fine() > LotFine(*lot)) {
      return MassBalance(item, absl::StrCat("allocates ", a.fine(), " fine units to lot '",
                                            a.lot_id(), "', whose fine weight is ", LotFine(*lot)));
    }
  }
  RETURN_IF_ERROR(
      Replay(item, g, *account, true, a.fine(), a.seq(), a.balance_after(), a.account_id()));
  if (lot != nullptr) {
    // A share by weight: vouched for when the fine weights are hidden.
    if (item.Hidden() || lot->sealed_at != 0) {
      lot->shares_from = item.Hidden() ? item.index : lot->sealed_at;
    }
    lot->trace.mb_share_bp = AllocatedShareBp(a.fine(), LotFine(*lot));
    lot->trace.mb_accounts = {a.account_id()};
    lot->trace.mb_schemes = {account->scheme};
  }
  return absl::OkStatus();
}

}  // namespace touchstone::bundle
