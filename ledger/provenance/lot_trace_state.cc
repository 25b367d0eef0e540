// LotState <-> LotTrace (see lot_trace_state.h).
#include "ledger/provenance/lot_trace_state.h"

namespace touchstone {

LotTrace TraceOfLot(const v1::LotState& lot) {
  LotTrace t;
  t.lot_id = lot.lot_id();
  t.material = lot.material();
  t.unit = lot.unit();
  t.fineness_ptt = lot.fineness_ptt();
  t.origin = lot.origin_class();
  t.certified = lot.certified();
  t.stone_origin = lot.stone_origin();
  t.graded = !lot.grading_report_id().empty();
  t.stones = lot.stones();
  t.site = lot.site();
  t.natural_chain = lot.natural_chain();
  t.credit_booked = lot.credit_booked();
  t.mb_share_bp = lot.mb_share_bp();
  t.mb_accounts.assign(lot.mb_accounts().begin(), lot.mb_accounts().end());
  t.mb_schemes.assign(lot.mb_schemes().begin(), lot.mb_schemes().end());
  t.origin_schemes.assign(lot.origin_schemes().begin(), lot.origin_schemes().end());
  t.sources.assign(lot.sources().begin(), lot.sources().end());
  for (const v1::AlloyPart& a : lot.alloy()) {
    t.alloy.push_back({a.material(), a.ptt(), a.origin_class()});
  }
  return t;
}

void StoreTrace(const LotTrace& trace, v1::LotState& lot) {
  lot.set_fineness_ptt(trace.fineness_ptt);
  lot.set_origin_class(trace.origin);
  lot.set_certified(trace.certified);
  lot.set_stone_origin(trace.stone_origin);
  lot.set_stones(trace.stones);
  lot.set_site(trace.site);
  lot.set_natural_chain(trace.natural_chain);
  lot.set_credit_booked(trace.credit_booked);
  lot.set_mb_share_bp(trace.mb_share_bp);
  lot.mutable_mb_accounts()->Assign(trace.mb_accounts.begin(), trace.mb_accounts.end());
  lot.mutable_mb_schemes()->Assign(trace.mb_schemes.begin(), trace.mb_schemes.end());
  lot.mutable_origin_schemes()->Assign(trace.origin_schemes.begin(), trace.origin_schemes.end());
  lot.mutable_sources()->Assign(trace.sources.begin(), trace.sources.end());
  lot.clear_alloy();
  for (const AlloyShare& a : trace.alloy) {
    v1::AlloyPart* part = lot.add_alloy();
    part->set_material(a.material);
    part->set_ptt(a.ptt);
    part->set_origin_class(a.origin);
  }
}

HeirloomLot HeirloomOfLot(const v1::LotState& lot, int64_t quantity, bool whole) {
  HeirloomLot h;
  h.lot_id = lot.lot_id();
  h.material = lot.material();
  h.stone = lot.unit() == v1::UNIT_CARAT_THOUSANDTH;
  h.fine = h.stone ? 0 : quantity * static_cast<int64_t>(lot.fineness_ptt());
  h.heirloom_fine = lot.heirloom_fine();
  h.whole = whole;
  h.owner = lot.heirloom_owner();
  h.intakes.assign(lot.heirloom_intakes().begin(), lot.heirloom_intakes().end());
  h.mixed = lot.heirloom_mixed();
  return h;
}

void StoreHeirloom(int64_t heirloom_fine, bool owner_stone, const std::string& owner,
                   const std::vector<std::string>& intakes, bool mixed, v1::LotState& lot) {
  lot.set_heirloom_fine(heirloom_fine);
  const bool carries = heirloom_fine > 0 || owner_stone;
  lot.set_heirloom_owner(carries ? owner : "");
  lot.clear_heirloom_intakes();
  if (carries) lot.mutable_heirloom_intakes()->Assign(intakes.begin(), intakes.end());
  lot.set_heirloom_mixed(carries && mixed);
}

}  // namespace touchstone
