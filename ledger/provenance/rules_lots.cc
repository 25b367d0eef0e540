// Rules for lots entering the ledger (LotCreated): who may create which
// origin, the lot's fineness, its certificates, and under the trade rules
// (log_policy.h TradeRules) what the trade requires at entry: certified
// recycled material, a Kimberley Process certificate for natural rough, a
// coloured gemstone's disclosure. A parcel of stones is checked under every
// rules version (the field has no legacy meaning).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/lot_trace_state.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/origin.h"
#include "ledger/provenance/parcels.h"
#include "ledger/provenance/rules_internal.h"
#include "ledger/provenance/schemes.h"

namespace touchstone::rules {
namespace {

// What the certificates a new lot cites say: their schemes, whether one backs
// recycled material (a registered scheme of such a kind), and the largest
// Kimberley Process certificate among them (carats; -1 if none).
struct CitedCertificates {
  std::vector<std::string> schemes;
  bool backs_recycled = false;
  int64_t kp_carats = -1;
};

[[nodiscard]] absl::StatusOr<CitedCertificates> ReadCited(const Env& env, const v1::LotCreated& c) {
  CitedCertificates cited;
  for (const std::string& id : c.certificate_ids()) {
    ASSIGN_OR_RETURN(v1::CertificateState cert, GetCertificate(env, id));
    cited.schemes.push_back(cert.scheme());
    ASSIGN_OR_RETURN(std::optional<v1::SchemeState> scheme, FindScheme(env, cert.scheme()));
    if (scheme && BacksRecycled(scheme->kind())) cited.backs_recycled = true;
    ASSIGN_OR_RETURN(v1::Record issued, RecordAt(env, cert.issued_index()));
    if (issued.certificate_issued().has_kimberley_process()) {
      cited.kp_carats = std::max(
          cited.kp_carats, issued.certificate_issued().kimberley_process().carats_thousandths());
    }
  }
  return cited;
}

[[nodiscard]] absl::Status CheckParcel(const v1::LotCreated& c, int32_t fineness_ptt) {
  if (c.unit() != v1::UNIT_CARAT_THOUSANDTH) {
    return absl::InvalidArgumentError("a parcel of stones is weighed in thousandths of a carat");
  }
  if (fineness_ptt != kFullFinenessPtt) {
    return absl::InvalidArgumentError("a parcel of stones has fineness_ptt 10000");
  }
  return CheckNewParcel(c.parcel(), c.quantity());
}

// The trade rules at entry (file comment).
[[nodiscard]] absl::Status CheckTradeEntry(const v1::LotCreated& c,
                                           const CitedCertificates& cited) {
  if (IsRecycledOrigin(c.origin_class()) && !cited.backs_recycled) {
    return absl::FailedPreconditionError(absl::StrCat(
        "recycled rule: recycled lot '", c.lot_id(),
        "' must cite a certificate of a registered chain-of-custody or recycled-content scheme"));
  }
  if (NeedsWarranty(c.material(), c.origin_class())) {
    if (cited.kp_carats < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("kimberley process rule: natural diamond lot '", c.lot_id(),
                       "' must cite a Kimberley Process certificate"));
    }
    if (cited.kp_carats < c.quantity()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "kimberley process rule: the Kimberley Process certificate covers ", cited.kp_carats,
          " thousandths of a carat; lot '", c.lot_id(), "' weighs ", c.quantity()));
    }
  }
  if (c.unit() == v1::UNIT_CARAT_THOUSANDTH || c.has_gemstone()) {
    RETURN_IF_ERROR(CheckGemstoneDisclosure(c));
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status ApplyLotCreated(const Env& env) {
  const v1::LotCreated& c = env.record().lot_created();
  switch (c.origin_class()) {
    case v1::ORIGIN_CLASS_MINED:
      RETURN_IF_ERROR(RequireRole(env, "a mined lot"));
      break;
    case v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER:
    case v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER:
      RETURN_IF_ERROR(RequireRole(env, "a recycled lot"));
      break;
    case v1::ORIGIN_CLASS_LAB_GROWN:
      RETURN_IF_ERROR(RequireRole(env, "a lab-grown lot"));
      break;
    default:
      return absl::InvalidArgumentError(
          "origin_class must be mined, recycled pre- or post-consumer, or lab-grown");
  }
  if (c.material().empty()) return absl::InvalidArgumentError("a lot needs a material");
  if (c.unit() != v1::UNIT_MILLIGRAM && c.unit() != v1::UNIT_CARAT_THOUSANDTH) {
    return absl::InvalidArgumentError("unit must be milligrams or thousandths of a carat");
  }
  ASSIGN_OR_RETURN(const int32_t fineness,
                   StatedFinenessPtt(c.fineness_ppt(), c.fineness_ptt(), env.trade(), "lot"));
  RETURN_IF_ERROR(ValidQuantity(c.quantity(), fineness, c.unit(), "lot"));
  if (c.has_parcel()) RETURN_IF_ERROR(CheckParcel(c, fineness));
  RETURN_IF_ERROR(RequireNewLot(env, c.lot_id()));
  RETURN_IF_ERROR(RequireValidCertificates(env, c.certificate_ids(), {c.facility(), {}}));
  RETURN_IF_ERROR(NoteReliance(env, c.certificate_ids()));
  ASSIGN_OR_RETURN(const CitedCertificates cited, ReadCited(env, c));
  if (env.trade()) RETURN_IF_ERROR(CheckTradeEntry(c, cited));
  v1::LotState lot;
  lot.set_lot_id(c.lot_id());
  lot.set_material(c.material());
  lot.set_form(c.form());
  lot.set_unit(c.unit());
  lot.set_fineness_ppt(c.fineness_ppt());
  lot.set_quantity(c.quantity());
  lot.set_balance(c.quantity());
  lot.set_custodian(env.record().signer());
  lot.set_created_index(env.index());
  lot.set_created_micros(env.t());
  lot.set_last_event_micros(env.t());
  *lot.mutable_certificate_ids() = c.certificate_ids();
  lot.add_history(env.index());
  StoreTrace(TraceOfCreated(c, fineness, cited.schemes, cited.kp_carats >= 0), lot);
  if (c.has_parcel()) {
    lot.set_stones_balance(c.parcel().stone_count());
    lot.set_size_class(c.parcel().size_class());
  }
  env.state.Put(LotKey(lot.lot_id()), lot);
  return absl::OkStatus();
}

}  // namespace touchstone::rules
