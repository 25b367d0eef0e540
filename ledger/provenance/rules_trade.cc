// Rules for the trade's own records, accepted under every rules version (they
// have no legacy meaning): SchemeRegistered (which certifier speaks for a
// scheme name: schemes.h) and the mass-balance credit accounts
// (CreditAccountOpened, CreditBooked, CreditAllocated: mass_balance.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/mass_balance.h"
#include "ledger/provenance/origin.h"
#include "ledger/provenance/rules_internal.h"
#include "ledger/provenance/schemes.h"

namespace touchstone::rules {
namespace {

[[nodiscard]] absl::Status ApplySchemeRegistered(const Env& env) {
  const v1::SchemeRegistered& s = env.record().scheme_registered();
  RETURN_IF_ERROR(RequireRole(env, "registering a scheme"));
  RETURN_IF_ERROR(ValidSchemeName(s.scheme()));
  if (s.kind() == v1::SCHEME_KIND_UNSPECIFIED || !v1::SchemeKind_IsValid(s.kind())) {
    return absl::InvalidArgumentError("a scheme needs a known kind");
  }
  ASSIGN_OR_RETURN(auto issuer, env.state.Participant(s.issuer()));
  if (!HasRole(*issuer, v1::ROLE_CERTIFIER)) {
    return absl::FailedPreconditionError(
        absl::StrCat("scheme rule: the issuer of scheme '", s.scheme(), "' must hold the role ",
                     RoleName(v1::ROLE_CERTIFIER), "; '", s.issuer(), "' does not"));
  }
  RETURN_IF_ERROR(RequireNotBefore(env, issuer->registered_micros(),
                                   absl::StrCat("the registration of '", s.issuer(), "'")));
  ASSIGN_OR_RETURN(std::optional<v1::SchemeState> existing, FindScheme(env, s.scheme()));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("scheme '", s.scheme(),
                                                 "' is already registered (entry ",
                                                 existing->registered_index(), ")"));
  }
  v1::SchemeState state;
  state.set_scheme(s.scheme());
  state.set_issuer(s.issuer());
  state.set_kind(s.kind());
  state.set_display_name(s.display_name());
  state.set_registered_index(env.index());
  env.state.Put(SchemeKey(s.scheme()), state);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyAccountOpened(const Env& env) {
  const v1::CreditAccountOpened& a = env.record().credit_account_opened();
  RETURN_IF_ERROR(RequireRole(env, "opening a credit account"));
  RETURN_IF_ERROR(ValidId(a.account_id(), "account_id"));
  if (a.site().empty() || a.material().empty()) {
    return absl::InvalidArgumentError("a credit account needs a site and a material");
  }
  if (a.attribute() != v1::ATTRIBUTE_RECYCLED) {
    return absl::InvalidArgumentError("only recycled credit is supported (attribute RECYCLED)");
  }
  if (a.period_start_micros() <= 0 || a.period_start_micros() >= a.period_end_micros()) {
    return absl::InvalidArgumentError(
        "a credit account's period needs period_start_micros > 0 and before period_end_micros");
  }
  ASSIGN_OR_RETURN(std::optional<v1::CreditAccountState> existing,
                   env.state.Get<v1::CreditAccountState>(CreditAccountKey(a.account_id())));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("account '", a.account_id(), "' already exists"));
  }
  ASSIGN_OR_RETURN(v1::CertificateState cert, GetCertificate(env, a.certificate_id()));
  RETURN_IF_ERROR(
      RequireNotBefore(env, cert.issued_micros(),
                       absl::StrCat("the issuance of certificate '", cert.certificate_id(), "'")));
  const bool about_signer = cert.subject_participant() == env.record().signer();
  const bool about_site = !cert.subject_facility().empty() && cert.subject_facility() == a.site();
  if (!about_signer && !about_site) {
    return absl::PermissionDeniedError(
        absl::StrCat("mass balance rule: certificate '", cert.certificate_id(), "' is not about '",
                     env.record().signer(), "' or site '", a.site(), "'"));
  }
  ASSIGN_OR_RETURN(std::optional<v1::SchemeState> scheme, FindScheme(env, cert.scheme()));
  if (!scheme || !BacksMassBalance(scheme->kind())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass balance rule: certificate '", cert.certificate_id(), "' is under scheme '",
        cert.scheme(), "', not a registered chain-of-custody scheme"));
  }
  RETURN_IF_ERROR(CertificateInForce(env, cert));
  cert.add_relied_by(env.index());
  env.state.Put(CertificateKey(cert.certificate_id()), cert);
  v1::CreditAccountState s;
  s.set_account_id(a.account_id());
  s.set_owner(env.record().signer());
  s.set_site(a.site());
  s.set_material(a.material());
  s.set_attribute(a.attribute());
  s.set_period_start_micros(a.period_start_micros());
  s.set_period_end_micros(a.period_end_micros());
  s.set_certificate_id(a.certificate_id());
  s.set_scheme(cert.scheme());
  s.set_opened_index(env.index());
  s.add_history(env.index());
  env.state.Put(CreditAccountKey(a.account_id()), s);
  return absl::OkStatus();
}

// The account `id`, opened by the signer, at the record's event time.
[[nodiscard]] absl::StatusOr<v1::CreditAccountState> OwnAccount(const Env& env,
                                                                const std::string& id) {
  RETURN_IF_ERROR(RequireRole(env, "a credit record"));
  ASSIGN_OR_RETURN(std::optional<v1::CreditAccountState> account,
                   env.state.Get<v1::CreditAccountState>(CreditAccountKey(id)));
  if (!account) return absl::NotFoundError(absl::StrCat("reference rule: no account '", id, "'"));
  if (account->owner() != env.record().signer()) {
    return absl::PermissionDeniedError(absl::StrCat("mass balance rule: account '", id,
                                                    "' belongs to '", account->owner(),
                                                    "'; only it books and allocates"));
  }
  RETURN_IF_ERROR(
      CheckPeriod(env.t(), account->period_start_micros(), account->period_end_micros(), id));
  return *std::move(account);
}

// The lot a credit record names: held by the signer, of the account's material.
[[nodiscard]] absl::StatusOr<v1::LotState> CreditLot(const Env& env,
                                                     const v1::CreditAccountState& account,
                                                     const std::string& lot_id,
                                                     std::string_view action) {
  ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, lot_id));
  RETURN_IF_ERROR(RequireCustody(env, lot, action));
  if (lot.material() != account.material()) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass balance rule: lot '", lot_id, "' is ", lot.material(), "; account '",
                     account.account_id(), "' is for ", account.material()));
  }
  if (lot.stones() > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass balance rule: lot '", lot_id, "' is a parcel of stones"));
  }
  return lot;
}

void Record(const Env& env, v1::CreditAccountState& account, v1::LotState& lot,
            const CreditBook& book) {
  account.set_seq(book.seq);
  account.set_balance(book.balance);
  account.add_history(env.index());
  env.state.Put(CreditAccountKey(account.account_id()), account);
  lot.set_last_event_micros(env.t());
  lot.add_history(env.index());
  env.state.Put(LotKey(lot.lot_id()), lot);
}

[[nodiscard]] absl::Status ApplyBooked(const Env& env) {
  const v1::CreditBooked& b = env.record().credit_booked();
  ASSIGN_OR_RETURN(v1::CreditAccountState account, OwnAccount(env, b.account_id()));
  ASSIGN_OR_RETURN(v1::LotState lot, CreditLot(env, account, b.lot_id(), "booked as credit"));
  if (!IsRecycledOrigin(lot.origin_class()) || lot.credit_booked() || !lot.certified()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass balance rule: only certified recycled material that was not booked before books "
        "credit; lot '",
        b.lot_id(), "' is ", v1::OriginClass_Name(lot.origin_class()),
        lot.credit_booked() ? ", already booked" : "", lot.certified() ? "" : ", not certified"));
  }
  const __int128 whole = static_cast<__int128>(lot.balance()) * lot.fineness_ptt();
  if (b.fine() != whole) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass balance rule: a booking takes the lot's whole remaining fine weight: lot '",
        b.lot_id(), "' holds ", static_cast<int64_t>(whole), " fine units; the booking states ",
        b.fine()));
  }
  ASSIGN_OR_RETURN(const CreditBook book,
                   ApplyCredit({account.seq(), account.balance()}, false, b.fine(), b.seq(),
                               b.balance_after(), b.account_id()));
  account.set_booked(account.booked() + b.fine());
  lot.set_credit_booked(true);
  Record(env, account, lot, book);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyAllocated(const Env& env) {
  const v1::CreditAllocated& a = env.record().credit_allocated();
  ASSIGN_OR_RETURN(v1::CreditAccountState account, OwnAccount(env, a.account_id()));
  ASSIGN_OR_RETURN(v1::LotState lot, CreditLot(env, account, a.lot_id(), "given credit"));
  if (lot.site() != account.site()) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass balance rule: lot '", a.lot_id(), "' was made at '", lot.site(),
                     "'; the account's site is '", account.site(), "'"));
  }
  if (lot.created_micros() < account.period_start_micros() ||
      lot.created_micros() >= account.period_end_micros()) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass balance rule: lot '", a.lot_id(),
                     "' was not made within the period of account '", a.account_id(), "'"));
  }
  if (lot.mb_share_bp() != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("mass balance rule: lot '", a.lot_id(), "' already carries allocated credit"));
  }
  // A lot made from booked input (credit_booked, inherited through
  // TraceOfOutputs) is what mass balance allocates to: it no longer carries
  // the attribute physically (material_trace.h), so the credit is not counted twice.
  const __int128 lot_fine = static_cast<__int128>(lot.quantity()) * lot.fineness_ptt();
  if (a.fine() > lot_fine) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass balance rule: lot '", a.lot_id(), "' holds ", static_cast<int64_t>(lot_fine),
        " fine units; the allocation gives it ", a.fine()));
  }
  ASSIGN_OR_RETURN(const CreditBook book,
                   ApplyCredit({account.seq(), account.balance()}, true, a.fine(), a.seq(),
                               a.balance_after(), a.account_id()));
  account.set_allocated(account.allocated() + a.fine());
  lot.set_mb_share_bp(AllocatedShareBp(a.fine(), static_cast<int64_t>(lot_fine)));
  lot.clear_mb_accounts();
  lot.add_mb_accounts(a.account_id());
  lot.clear_mb_schemes();
  lot.add_mb_schemes(account.scheme());
  Record(env, account, lot, book);
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status ApplyTradeRecord(const Env& env) {
  switch (env.record().body_case()) {
    case v1::Record::kSchemeRegistered:
      return ApplySchemeRegistered(env);
    case v1::Record::kCreditAccountOpened:
      return ApplyAccountOpened(env);
    case v1::Record::kCreditBooked:
      return ApplyBooked(env);
    case v1::Record::kCreditAllocated:
      return ApplyAllocated(env);
    default:
      return absl::InternalError("not a trade record");
  }
}

}  // namespace touchstone::rules
