// Rules for material: lots entering the ledger, transformations (mass
// conservation, custody, balances, derived origin) and custody transfers.
#include <set>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/origin.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

// Bounds that keep fine-weight arithmetic (quantity x fineness) far from overflow.
constexpr int64_t kMaxQuantity = 1'000'000'000'000;  // a thousand tonnes in mg
constexpr size_t kMaxLots = 1000;

[[nodiscard]] absl::Status ValidId(const std::string& id, std::string_view what) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(what), " must be 1 to 128 bytes"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ValidQuantity(int64_t q, int32_t fineness, v1::Unit unit,
                                         std::string_view what) {
  if (q <= 0 || q > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), ": quantity must be 1 to ", kMaxQuantity));
  }
  if (unit == v1::UNIT_CARAT_THOUSANDTH && fineness != 1000) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(what), ": stones have fineness 1000"));
  }
  if (fineness <= 0 || fineness > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(what), ": fineness_ppt must be 1 to 1000"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status RequireNewLot(const Env& env, const std::string& id) {
  RETURN_IF_ERROR(ValidId(id, "lot_id"));
  ASSIGN_OR_RETURN(std::optional<v1::LotState> existing, env.state.Get<v1::LotState>(LotKey(id)));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("lot '", id, "' already exists"));
  return absl::OkStatus();
}

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
  RETURN_IF_ERROR(ValidQuantity(c.quantity(), c.fineness_ppt(), c.unit(), "lot"));
  RETURN_IF_ERROR(RequireNewLot(env, c.lot_id()));
  RETURN_IF_ERROR(RequireValidCertificates(env, c.certificate_ids(), {c.facility(), {}}));
  v1::LotState lot;
  lot.set_lot_id(c.lot_id());
  lot.set_material(c.material());
  lot.set_form(c.form());
  lot.set_origin_class(c.origin_class());
  lot.set_unit(c.unit());
  lot.set_fineness_ppt(c.fineness_ppt());
  lot.set_quantity(c.quantity());
  lot.set_balance(c.quantity());
  lot.set_custodian(env.record().signer());
  lot.set_created_index(env.index());
  lot.set_created_micros(env.t());
  lot.set_last_event_micros(env.t());
  *lot.mutable_certificate_ids() = c.certificate_ids();
  lot.set_certified(!c.certificate_ids().empty());
  lot.set_stone_origin(StoneOriginOf(c.origin_class()));
  lot.add_history(env.index());
  env.state.Put(LotKey(lot.lot_id()), lot);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyTransformation(const Env& env) {
  const v1::Transformation& t = env.record().transformation();
  RETURN_IF_ERROR(RequireRole(env, "a transformation"));
  RETURN_IF_ERROR(ValidId(t.transformation_id(), "transformation_id"));
  RETURN_IF_ERROR(UseIdOnce(env, "transformation", t.transformation_id()));
  if (t.process() == v1::PROCESS_UNSPECIFIED || !v1::Process_IsValid(t.process())) {
    return absl::InvalidArgumentError("a transformation needs a known process");
  }
  if (t.material().empty()) return absl::InvalidArgumentError("a transformation needs a material");
  if (t.inputs().empty() || t.outputs().empty()) {
    return absl::InvalidArgumentError("a transformation needs inputs and outputs");
  }
  if (static_cast<size_t>(t.inputs_size()) > kMaxLots ||
      static_cast<size_t>(t.outputs_size()) > kMaxLots) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxLots, " inputs and outputs"));
  }
  if (t.process() == v1::PROCESS_SPLIT && t.inputs_size() != 1) {
    return absl::InvalidArgumentError("a split has exactly one input");
  }
  if (t.process() == v1::PROCESS_MERGE && t.outputs_size() != 1) {
    return absl::InvalidArgumentError("a merge has exactly one output");
  }

  // Inputs: held by the signer, enough balance, same unit for the conserved material.
  std::set<std::string> seen;
  int64_t fine_in = 0;
  bool certified = true;
  std::optional<v1::OriginClass> origin;
  std::optional<v1::Unit> unit;
  std::vector<v1::OriginClass> alloying;
  for (const v1::LotQuantity& in : t.inputs()) {
    if (!seen.insert(in.lot_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", in.lot_id(), "' is listed twice"));
    }
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, in.lot_id()));
    RETURN_IF_ERROR(RequireCustody(env, lot, "transformed"));
    if (in.quantity() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("input quantity of lot '", in.lot_id(), "' must be positive"));
    }
    if (in.quantity() > lot.balance()) {
      return absl::FailedPreconditionError(
          absl::StrCat("balance rule: lot '", in.lot_id(), "' holds ", lot.balance(),
                       "; the transformation takes ", in.quantity()));
    }
    if (lot.material() == t.material()) {
      if (unit && *unit != lot.unit()) {
        return absl::InvalidArgumentError("inputs of the same material must share a unit");
      }
      unit = lot.unit();
      fine_in += in.quantity() * lot.fineness_ppt();
      origin = origin ? CombineOrigins(*origin, lot.origin_class()) : lot.origin_class();
      certified = certified && lot.certified();
    } else if (t.process() == v1::PROCESS_ALLOY) {
      // Alloying metal is part of the piece's metal: its origin counts too.
      alloying.push_back(lot.origin_class());
      certified = certified && lot.certified();
    } else {
      return absl::InvalidArgumentError(absl::StrCat("lot '", in.lot_id(), "' is ", lot.material(),
                                                     ", not ", t.material(),
                                                     "; only an alloy takes other materials"));
    }
    lot.set_balance(lot.balance() - in.quantity());
    lot.set_last_event_micros(env.t());
    lot.add_history(env.index());
    env.state.Put(LotKey(lot.lot_id()), lot);
  }
  if (!origin) {
    return absl::InvalidArgumentError(absl::StrCat("no input is ", t.material()));
  }
  for (v1::OriginClass c : alloying) origin = CombineOrigins(*origin, c);
  RETURN_IF_ERROR(RequireValidCertificates(
      env, t.certificate_ids(), {t.location(), std::set<std::string>(seen.begin(), seen.end())}));

  // Outputs: new lots whose fine weight plus the declared loss equals the inputs'.
  int64_t fine_out = 0;
  for (const v1::OutputLot& out : t.outputs()) {
    if (!seen.insert(out.lot_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", out.lot_id(), "' is listed twice"));
    }
    RETURN_IF_ERROR(ValidQuantity(out.quantity(), out.fineness_ppt(), *unit,
                                  absl::StrCat("output '", out.lot_id(), "'")));
    RETURN_IF_ERROR(RequireNewLot(env, out.lot_id()));
    fine_out += out.quantity() * out.fineness_ppt();
    v1::LotState lot;
    lot.set_lot_id(out.lot_id());
    lot.set_material(t.material());
    lot.set_form(out.form());
    lot.set_origin_class(*origin);
    lot.set_unit(*unit);
    lot.set_fineness_ppt(out.fineness_ppt());
    lot.set_quantity(out.quantity());
    lot.set_balance(out.quantity());
    lot.set_custodian(env.record().signer());
    lot.set_created_index(env.index());
    lot.set_created_micros(env.t());
    lot.set_last_event_micros(env.t());
    *lot.mutable_certificate_ids() = t.certificate_ids();
    lot.set_certified(certified);
    lot.set_stone_origin(StoneOriginOf(*origin));
    lot.add_inputs_from(env.index());
    lot.add_history(env.index());
    env.state.Put(LotKey(lot.lot_id()), lot);
  }
  const int64_t loss = t.declared_loss_fine();
  if (loss < 0) return absl::InvalidArgumentError("declared_loss_fine must not be negative");
  // fine_in and fine_out are at most kMaxLots x kMaxQuantity x 1000 = 10^18, so once
  // loss <= fine_in their sum cannot overflow; the tolerance products can, so they
  // are compared in 128 bits.
  if (loss > fine_in) {
    return absl::FailedPreconditionError(absl::StrCat("mass conservation: inputs hold ", fine_in,
                                                      " fine units of ", t.material(),
                                                      "; the declared loss alone is ", loss));
  }
  if (fine_out + loss != fine_in) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass conservation: inputs hold ", fine_in, " fine units of ", t.material(), "; outputs ",
        fine_out, " plus declared loss ", loss, " make ", fine_out + loss));
  }
  const int64_t tolerance = env.options.loss_tolerance_ppt[t.process()];
  if (static_cast<__int128>(loss) * 1000 > static_cast<__int128>(tolerance) * fine_in) {
    return absl::FailedPreconditionError(absl::StrCat(
        "loss rule: a declared loss of ", loss, " of ", fine_in, " fine units exceeds the ",
        tolerance, " ppt allowed for ", v1::Process_Name(t.process())));
  }
  return absl::OkStatus();
}

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

[[nodiscard]] absl::StatusOr<v1::LotState> GetLot(const Env& env, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<v1::LotState> lot, env.state.Get<v1::LotState>(LotKey(id)));
  if (!lot) return absl::NotFoundError(absl::StrCat("reference rule: no lot '", id, "'"));
  return std::move(*lot);
}

[[nodiscard]] absl::Status RequireCustody(const Env& env, const v1::LotState& lot,
                                          std::string_view action) {
  if (!lot.shipment_id().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "custody rule: lot '", lot.lot_id(), "' is in transit to '", lot.in_transit_to(),
        "' (shipment '", lot.shipment_id(), "') and cannot be ", Sv(action)));
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
