// Rules for material: custody transfers (with the System of Warranties
// statement natural diamonds carry under the trade rules), the lookups and
// checks the material rules share, and their dispatch (lots entering the
// ledger: rules_lots.cc; transformations: rules_transform.cc).
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

[[nodiscard]] absl::Status ApplyShipped(const Env& env) {
  const v1::CustodyShipped& s = env.record().custody_shipped();
  RETURN_IF_ERROR(ValidId(s.shipment_id(), "shipment_id"));
  ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, s.lot_id()));
  RETURN_IF_ERROR(RequireCustody(env, lot, "shipped"));
  if (lot.balance() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("balance rule: lot '", s.lot_id(), "' is used up"));
  }
  if (s.to_participant() == env.record().signer()) {
    return absl::InvalidArgumentError("a lot cannot be shipped to its own custodian");
  }
  ASSIGN_OR_RETURN(auto to, env.state.Participant(s.to_participant()));
  RETURN_IF_ERROR(RequireNotBefore(env, to->registered_micros(),
                                   absl::StrCat("the registration of '", s.to_participant(), "'")));
  RETURN_IF_ERROR(UseIdOnce(env, "shipment", s.shipment_id()));
  if (to->suspended()) {
    return absl::FailedPreconditionError(
        absl::StrCat("participant '", s.to_participant(), "' is suspended"));
  }
  if (!s.business_reference_sha256().empty() && s.business_reference_sha256().size() != 32) {
    return absl::InvalidArgumentError("business_reference_sha256 must be 32 bytes");
  }
  // Natural diamonds change hands with the System of Warranties statement
  // (disclosure.h). Under the legacy rules a shipment without it is accepted
  // and breaks the lot's natural chain; a statement on other lots is refused
  // under the trade rules only (the field has no legacy meaning).
  const bool natural = NeedsWarranty(lot.material(), lot.origin_class());
  const bool stated = s.warranty_statement() == kSystemOfWarranties;
  if (env.trade()) {
    if (natural && !stated) {
      return absl::FailedPreconditionError(absl::StrCat(
          "warranty rule: lot '", s.lot_id(),
          "' is natural diamond; its shipment must carry the System of Warranties statement "
          "word for word (warranty_statement)"));
    }
    if (!natural && !s.warranty_statement().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lot '", s.lot_id(),
          "' is not natural diamond; only natural diamonds carry a System of Warranties "
          "statement"));
    }
  }
  if (natural && !stated) lot.set_natural_chain(false);
  lot.set_shipment_id(s.shipment_id());
  lot.set_in_transit_to(s.to_participant());
  lot.set_last_event_micros(env.t());
  lot.add_history(env.index());
  lot.add_custody(env.index());
  env.state.Put(LotKey(lot.lot_id()), lot);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyReceived(const Env& env) {
  const v1::CustodyReceived& r = env.record().custody_received();
  ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, r.lot_id()));
  if (lot.shipment_id().empty() || lot.shipment_id() != r.shipment_id()) {
    return absl::FailedPreconditionError(absl::StrCat("custody rule: lot '", r.lot_id(),
                                                      "' is not in transit under shipment '",
                                                      r.shipment_id(), "'"));
  }
  if (lot.in_transit_to() != env.record().signer()) {
    // A sealed shipment's addressee is committed: not told to whoever else claims it.
    if (lot.sealed()) {
      return absl::PermissionDeniedError(absl::StrCat("custody rule: shipment '", r.shipment_id(),
                                                      "' is not addressed to '",
                                                      env.record().signer(), "'"));
    }
    return absl::PermissionDeniedError(absl::StrCat("custody rule: shipment '", r.shipment_id(),
                                                    "' is addressed to '", lot.in_transit_to(),
                                                    "', not '", env.record().signer(), "'"));
  }
  RETURN_IF_ERROR(RequireNotBefore(env, lot.last_event_micros(), "the shipment"));
  lot.set_custodian(env.record().signer());
  lot.clear_shipment_id();
  lot.clear_in_transit_to();
  lot.set_last_event_micros(env.t());
  lot.add_history(env.index());
  lot.add_custody(env.index());
  env.state.Put(LotKey(lot.lot_id()), lot);
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status ValidId(const std::string& id, std::string_view what) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(what), " must be 1 to 128 bytes"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ValidQuantity(int64_t q, int32_t fineness_ptt, v1::Unit unit,
                                         std::string_view what) {
  if (q <= 0 || q > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), ": quantity must be 1 to ", kMaxQuantity));
  }
  if (unit == v1::UNIT_CARAT_THOUSANDTH && fineness_ptt != kFullFinenessPtt) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(what), ": stones have full fineness (fineness_ptt 10000, legacy fineness_ppt 1000)"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status RequireNewLot(const Env& env, const std::string& id) {
  RETURN_IF_ERROR(ValidId(id, "lot_id"));
  ASSIGN_OR_RETURN(std::optional<v1::LotState> existing, env.state.Get<v1::LotState>(LotKey(id)));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("lot '", id, "' already exists"));
  return absl::OkStatus();
}

[[nodiscard]] absl::StatusOr<std::optional<v1::SchemeState>> FindScheme(const Env& env,
                                                                        const std::string& name) {
  return env.state.Get<v1::SchemeState>(SchemeKey(name));
}

[[nodiscard]] absl::StatusOr<v1::Record> RecordAt(const Env& env, uint64_t index) {
  return env.ctx.record_at(index);
}

[[nodiscard]] absl::StatusOr<v1::LotState> GetLot(const Env& env, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<v1::LotState> lot, env.state.Get<v1::LotState>(LotKey(id)));
  if (!lot) return absl::NotFoundError(absl::StrCat("reference rule: no lot '", id, "'"));
  return std::move(*lot);
}

[[nodiscard]] absl::Status RequireCustody(const Env& env, const v1::LotState& lot,
                                          std::string_view action) {
  if (!lot.shipment_id().empty()) {
    // A sealed shipment's addressee is named only to the parties of the shipment.
    const std::string& signer = env.record().signer();
    const bool named = !lot.sealed() || signer == lot.custodian() || signer == lot.in_transit_to();
    return absl::FailedPreconditionError(
        absl::StrCat("custody rule: lot '", lot.lot_id(), "' is in transit",
                     named ? absl::StrCat(" to '", lot.in_transit_to(), "'") : std::string(),
                     " (shipment '", lot.shipment_id(), "') and cannot be ", Sv(action)));
  }
  if (lot.custodian() != env.record().signer()) {
    return absl::PermissionDeniedError(absl::StrCat("custody rule: lot '", lot.lot_id(),
                                                    "' is held by '", lot.custodian(), "', not '",
                                                    env.record().signer(), "'"));
  }
  if (!lot.active_piece().empty()) {
    return absl::FailedPreconditionError(absl::StrCat("stone rule: lot '", lot.lot_id(),
                                                      "' is set in piece '", lot.active_piece(),
                                                      "' and cannot be ", Sv(action)));
  }
  return RequireNotBefore(env, lot.last_event_micros(),
                          absl::StrCat("the last event of lot '", lot.lot_id(), "'"));
}

[[nodiscard]] absl::Status UseIdOnce(const Env& env, std::string_view kind, const std::string& id) {
  const std::string key = absl::StrCat(Sv(kind), "/", id);
  ASSIGN_OR_RETURN(std::optional<v1::IdUse> used, env.state.Get<v1::IdUse>(key));
  if (used) {
    return absl::AlreadyExistsError(
        absl::StrCat(Sv(kind), " id '", id, "' was already used at entry ", used->index()));
  }
  v1::IdUse use;
  use.set_index(env.index());
  env.state.Put(key, use);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyMaterialRecord(const Env& env) {
  switch (env.record().body_case()) {
    case v1::Record::kLotCreated:
      return ApplyLotCreated(env);
    case v1::Record::kTransformation:
      return ApplyTransformation(env);
    case v1::Record::kCustodyShipped:
      return ApplyShipped(env);
    case v1::Record::kCustodyReceived:
      return ApplyReceived(env);
    default:
      return absl::InternalError("not a material record");
  }
}

}  // namespace touchstone::rules
