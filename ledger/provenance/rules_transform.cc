// Rules for transformations: custody and balances of the inputs, draws from
// stone parcels (parcels.h), conservation of the material's fine weight in
// parts per ten thousand (fineness.h; the legacy equation unchanged), the
// outputs' traces (material_trace.h) kept in their state, and the owner's
// material (heirloom.h) followed to the outputs.
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/lot_trace_state.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/parcels.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

std::string Int128Text(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string s;
  for (; v != 0; v /= 10)
    s.insert(s.begin(), static_cast<char>('0' + (negative ? -(v % 10) : v % 10)));
  return negative ? "-" + s : s;
}

// A parcel draw's fields on an input that is not a parcel: INVALID_ARGUMENT.
[[nodiscard]] absl::Status RequireNoDraw(const v1::LotQuantity& in) {
  if (in.stones() != 0 || in.stones_left() != 0 || in.quantity_left() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lot '", in.lot_id(), "' is not a parcel: stones, stones_left and quantity_left are 0"));
  }
  return absl::OkStatus();
}

// The inputs as the rules read them.
struct Inputs {
  std::deque<LotTrace> traces;  // stable addresses for TracedQuantity
  std::vector<TracedQuantity> same, alloying;
  std::vector<HeirloomLot> heirloom_same, heirloom_alloying;  // heirloom.h
  std::set<std::string> ids;
  __int128 fine = 0;             // of the material, in ptt fine units
  std::optional<v1::Unit> unit;  // of the material
  bool any_parcel = false, all_parcels = true;
  int64_t stones_drawn = 0;
};

[[nodiscard]] absl::Status TakeInputs(const Env& env, const v1::Transformation& t, Inputs& in) {
  for (const v1::LotQuantity& q : t.inputs()) {
    if (!in.ids.insert(q.lot_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", q.lot_id(), "' is listed twice"));
    }
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, q.lot_id()));
    RETURN_IF_ERROR(RequireCustody(env, lot, "transformed"));
    if (q.quantity() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("input quantity of lot '", q.lot_id(), "' must be positive"));
    }
    if (q.quantity() > lot.balance()) {
      return absl::FailedPreconditionError(
          absl::StrCat("balance rule: lot '", q.lot_id(), "' holds ", lot.balance(),
                       "; the transformation takes ", q.quantity()));
    }
    if (lot.stones() > 0) {
      if (q.stones() <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("lot '", q.lot_id(),
                         "' is a parcel: a draw states the stones it takes "
                         "and the stones and weight it leaves"));
      }
      ASSIGN_OR_RETURN(ParcelBalance left,
                       DrawFromParcel({lot.stones_balance(), lot.balance()}, q, q.lot_id()));
      lot.set_stones_balance(left.stones);
      lot.set_parcel_last_draw(env.index());
      in.any_parcel = true;
      in.stones_drawn += q.stones();
    } else {
      RETURN_IF_ERROR(RequireNoDraw(q));
      in.all_parcels = false;
    }
    in.traces.push_back(TraceOfLot(lot));
    const TracedQuantity traced{&in.traces.back(), q.quantity(), q.stones()};
    const HeirloomLot heirloom = HeirloomOfLot(lot, q.quantity(), q.quantity() == lot.balance());
    if (lot.material() == t.material()) {
      if (in.unit && *in.unit != lot.unit()) {
        return absl::InvalidArgumentError("inputs of the same material must share a unit");
      }
      in.unit = lot.unit();
      in.fine += static_cast<__int128>(q.quantity()) * lot.fineness_ptt();
      in.same.push_back(traced);
      in.heirloom_same.push_back(heirloom);
    } else if (t.process() == v1::PROCESS_ALLOY) {
      in.alloying.push_back(traced);  // the other metals of an alloy
      in.heirloom_alloying.push_back(heirloom);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("lot '", q.lot_id(), "' is ", lot.material(),
                                                     ", not ", t.material(),
                                                     "; only an alloy takes other materials"));
    }
    lot.set_balance(lot.balance() - q.quantity());
    lot.set_last_event_micros(env.t());
    lot.add_history(env.index());
    env.state.Put(LotKey(lot.lot_id()), lot);
  }
  if (in.same.empty())
    return absl::InvalidArgumentError(absl::StrCat("no input is ", t.material()));
  return absl::OkStatus();
}

// Which outputs may be parcels (parcels.h): INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::Status CheckParcelOutputs(const v1::Transformation& t, const Inputs& in) {
  int64_t stones_out = 0;
  bool all_parcels = true;
  for (const v1::OutputLot& out : t.outputs()) {
    if (out.stones() < 0)
      return absl::InvalidArgumentError("an output's stones must not be negative");
    stones_out += out.stones();
    all_parcels = all_parcels && out.stones() > 0;
  }
  const bool drawn = in.all_parcels && in.any_parcel;
  if (drawn && !all_parcels) {
    return absl::InvalidArgumentError(
        "parcel rule: every output of a transformation that only draws from parcels is a parcel "
        "(stones > 0)");
  }
  if (stones_out == 0) return absl::OkStatus();
  if (*in.unit != v1::UNIT_CARAT_THOUSANDTH) {
    return absl::InvalidArgumentError("only stones (thousandths of a carat) make parcels");
  }
  const bool split = drawn &&
                     (t.process() == v1::PROCESS_SPLIT || t.process() == v1::PROCESS_MERGE) &&
                     stones_out == in.stones_drawn;
  const bool cut = t.process() == v1::PROCESS_CUT_AND_POLISH && !in.any_parcel;
  if (!split && !cut) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parcel rule: outputs with stones come from a split or merge of parcel draws with as "
        "many stones out (",
        stones_out, ") as drawn (", in.stones_drawn,
        "), or from cutting rough that is not a parcel"));
  }
  return absl::OkStatus();
}

}  // namespace

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
  Inputs in;
  RETURN_IF_ERROR(TakeInputs(env, t, in));
  RETURN_IF_ERROR(RequireValidCertificates(env, t.certificate_ids(), {t.location(), in.ids}));
  RETURN_IF_ERROR(NoteReliance(env, t.certificate_ids()));
  RETURN_IF_ERROR(CheckParcelOutputs(t, in));
  ASSIGN_OR_RETURN(const HeirloomFlow flow,
                   CombineHeirloomInputs(in.heirloom_same, in.heirloom_alloying));
  const bool carries = flow.heirloom > 0 || !flow.owner.empty();
  std::vector<int64_t> output_fine;

  // Outputs: new lots whose fine weight plus the declared loss equals the inputs'.
  const LotTrace common = TraceOfOutputs(t, in.same, in.alloying, env.trade());
  std::set<std::string> seen = in.ids;
  __int128 fine_out = 0;
  bool legacy_form = false;
  for (const v1::OutputLot& out : t.outputs()) {
    if (!seen.insert(out.lot_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", out.lot_id(), "' is listed twice"));
    }
    const std::string what = absl::StrCat("output '", out.lot_id(), "'");
    ASSIGN_OR_RETURN(const int32_t fineness,
                     StatedFinenessPtt(out.fineness_ppt(), out.fineness_ptt(), env.trade(), what));
    legacy_form = legacy_form || out.fineness_ppt() != 0;
    RETURN_IF_ERROR(ValidQuantity(out.quantity(), fineness, *in.unit, what));
    RETURN_IF_ERROR(RequireNewLot(env, out.lot_id()));
    fine_out += static_cast<__int128>(out.quantity()) * fineness;
    v1::LotState lot;
    lot.set_lot_id(out.lot_id());
    lot.set_material(t.material());
    lot.set_form(out.form());
    lot.set_unit(*in.unit);
    lot.set_fineness_ppt(out.fineness_ppt());
    lot.set_quantity(out.quantity());
    lot.set_balance(out.quantity());
    lot.set_custodian(env.record().signer());
    lot.set_created_index(env.index());
    lot.set_created_micros(env.t());
    lot.set_last_event_micros(env.t());
    *lot.mutable_certificate_ids() = t.certificate_ids();
    lot.add_inputs_from(env.index());
    lot.add_history(env.index());
    LotTrace trace = common;
    trace.lot_id = out.lot_id();
    trace.fineness_ptt = fineness;
    trace.stones = out.stones();
    trace.alloy = OutputAlloy(in.same, in.alloying, fineness);
    StoreTrace(trace, lot);
    // The owner's material: as the output states it (checked below); the
    // owner's stones only if every input is that owner's stone.
    output_fine.push_back(*in.unit == v1::UNIT_CARAT_THOUSANDTH ? 0 : out.quantity() * fineness);
    StoreHeirloom(out.heirloom_fine(), flow.stones_all_owner, flow.owner, flow.intakes, flow.mixed,
                  lot);
    if (out.stones() > 0) {
      lot.set_stones_balance(out.stones());
      lot.set_size_class(out.size_class());
    }
    env.state.Put(LotKey(lot.lot_id()), lot);
  }
  if (t.declared_loss_fine() < 0) {
    return absl::InvalidArgumentError("declared_loss_fine must not be negative");
  }
  // Legacy outputs (parts per thousand) are reported in their own units, as before.
  const int scale = legacy_form ? 10 : 1;
  auto units = [&](__int128 v) { return Int128Text(v / scale); };
  const __int128 fine_in = in.fine;
  // A legacy loss larger than the inputs is refused as before, even where it
  // would not fit in ptt units (DeclaredLossPtt refuses those as out of range).
  if (legacy_form && static_cast<__int128>(t.declared_loss_fine()) * 10 > fine_in) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass conservation: inputs hold ", units(fine_in), " fine units of ",
                     t.material(), "; the declared loss alone is ", t.declared_loss_fine()));
  }
  ASSIGN_OR_RETURN(const int64_t loss, DeclaredLossPtt(t));
  if (loss > fine_in) {  // (stated in ptt)
    return absl::FailedPreconditionError(
        absl::StrCat("mass conservation: inputs hold ", units(fine_in), " fine units of ",
                     t.material(), "; the declared loss alone is ", units(loss)));
  }
  if (fine_out + loss != fine_in) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass conservation: inputs hold ", units(fine_in), " fine units of ",
                     t.material(), "; outputs ", units(fine_out), " plus declared loss ",
                     units(loss), " make ", units(fine_out + loss)));
  }
  if (carries && legacy_form) {
    return absl::InvalidArgumentError(
        "heirloom rule: a transformation of the owner's material states its outputs' fineness "
        "in parts per ten thousand (fineness_ptt) and its loss in declared_loss_fine_ptt");
  }
  RETURN_IF_ERROR(CheckHeirloomOutputs(t, flow, loss, output_fine));
  const int64_t tolerance = env.options.loss_tolerance_ppt[t.process()];
  if (static_cast<__int128>(loss) * 1000 > static_cast<__int128>(tolerance) * fine_in) {
    return absl::FailedPreconditionError(absl::StrCat(
        "loss rule: a declared loss of ", units(loss), " of ", units(fine_in),
        " fine units exceeds the ", tolerance, " ppt allowed for ", v1::Process_Name(t.process())));
  }
  return absl::OkStatus();
}

}  // namespace touchstone::rules
