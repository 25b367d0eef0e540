// What the trade rules know of a lot (its trace) and what a piece made of lots
// may claim, per material, under which chain-of-custody model (ISO 22095;
// docs/custody-models.md). One definition shared by the rules (rules_*.cc,
// which keep each lot's trace in its LotState) and the offline bundle verifier
// (bundle_graph.cc, which rebuilds the traces by replaying the bundle);
// services/web/verify.js mirrors it and tests/testdata/trade_vectors.json pins
// both to the same answers.
//
// A trace follows the lot's material (the one its fineness is of):
//   - origin: the origin class; through a transformation the classes of the
//     inputs of that material combine (origin.h). Under the trade rules an
//     alloy's other metals do not enter it (they are listed in `alloy`); under
//     the legacy rules they did, and a legacy log keeps that reading;
//   - sources: the lots that entered the ledger (LotCreated) it came from,
//     capped at kMaxSources + 1 ("many"); one source = identity preserved;
//   - natural_chain: a natural diamond that entered with a Kimberley Process
//     certificate and whose every shipment since carried the System of
//     Warranties statement (disclosure.h);
//   - credit_booked: some of its material was booked as mass-balance credit,
//     so it no longer carries the recycled attribute itself;
//   - mb_share_bp / mb_accounts / mb_schemes: the share of its fine weight that
//     carries allocated mass-balance credit, and from which accounts;
//   - origin_schemes: the schemes of the certificates every lot it came from
//     cited when it entered (intersection).
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_MATERIAL_TRACE_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_MATERIAL_TRACE_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "proto/record.pb.h"

namespace touchstone {

inline constexpr size_t kMaxSources = 16;
inline constexpr uint32_t kFullShareBp = 10000;

// A metal alloyed into a lot of another metal. Value type.
struct AlloyShare {
  std::string material;
  int32_t ptt = 0;  // of the lot's mass
  v1::OriginClass origin = v1::ORIGIN_CLASS_UNSPECIFIED;
  bool operator==(const AlloyShare&) const = default;
};

// A lot as the trade rules see it (file comment). Value type.
struct LotTrace {
  std::string lot_id;
  std::string material;
  v1::Unit unit = v1::UNIT_UNSPECIFIED;
  int32_t fineness_ptt = 0;
  v1::OriginClass origin = v1::ORIGIN_CLASS_UNSPECIFIED;
  bool certified = false;  // backed by a certificate all the way back (legacy claims)
  v1::StoneOrigin stone_origin = v1::STONE_ORIGIN_UNSPECIFIED;
  bool graded = false;  // a single stone with its own grading report
  int64_t stones = 0;   // a parcel's stone count when made (0: not a parcel)
  std::string site;
  bool natural_chain = false;
  bool credit_booked = false;
  int32_t mb_share_bp = 0;
  std::vector<std::string> mb_accounts;     // sorted
  std::vector<std::string> mb_schemes;      // sorted
  std::vector<std::string> origin_schemes;  // sorted
  std::vector<std::string> sources;         // sorted, at most kMaxSources + 1
  std::vector<AlloyShare> alloy;            // by material name
};

// The trace of a lot entering the ledger. `fineness_ptt` as fineness.h
// states it; `schemes` the schemes of the certificates it cites; `kp` true if
// one of them is a Kimberley Process certificate.
LotTrace TraceOfCreated(const v1::LotCreated& created, int32_t fineness_ptt,
                        std::vector<std::string> schemes, bool kp);

// A lot and how much of it a transformation or a piece takes.
struct TracedQuantity {
  const LotTrace* lot = nullptr;
  int64_t quantity = 0;  // in the lot's unit
  int64_t stones = 0;    // stones taken (a graded stone: 1; a parcel: its count)
};

// What every output of `t` inherits: `same` are its inputs of t.material(),
// `alloying` the other metals of an alloy. `trade_rules`: the reading of the
// log's rules version (file comment). lot_id, fineness_ptt, stones and
// alloy are left for the caller (OutputAlloy gives alloy).
LotTrace TraceOfOutputs(const v1::Transformation& t, std::span<const TracedQuantity> same,
                        std::span<const TracedQuantity> alloying, bool trade_rules);

// The other metals of an output of fineness `out_ptt`: the rest of its mass
// (10000 - out_ptt), shared by weight among the other metals that went in (the
// alloying inputs' fine weight, and the alloy parts of the inputs of the
// material), rounded down, by material name. Empty if none is known.
std::vector<AlloyShare> OutputAlloy(std::span<const TracedQuantity> same,
                                    std::span<const TracedQuantity> alloying, int32_t out_ptt);

// One material of a piece. Value type.
struct MaterialShare {
  std::string material;
  bool stone = false;
  int64_t amount = 0;     // milligrams of the material (metals) or thousandths of a carat (stones)
  int64_t stones = 0;     // stones of it
  int32_t share_ptt = 0;  // metals: of the piece's metal mass
};

// What a piece's inputs support. Value type.
struct PieceClaims {
  std::vector<MaterialShare> composition;  // metals first, by material name
  // The strongest claim per (material, attribute) that its records support
  // physically (identity preserved > segregated), and a mass-balance claim
  // per metal with allocated credit; scheme set when exactly one is possible.
  std::vector<v1::MaterialClaim> supported;
  // Why a physical claim does not hold: (material, attribute) -> reason.
  std::map<std::pair<std::string, v1::Attribute>, std::string> why_not;
  // Schemes a physical or mass-balance claim may name: (material, attribute, mass balance?).
  std::map<std::tuple<std::string, v1::Attribute, bool>, std::vector<std::string>> schemes;
  // Accounts that credit came from, per metal (mass balance).
  std::map<std::string, std::vector<std::string>> accounts;
};

// A piece's inputs: metal lots with milligrams taken; graded stones
// (quantity: the stone's weight) and whole parcels (quantity: their weight).
PieceClaims ComputePieceClaims(std::span<const TracedQuantity> metal,
                               std::span<const TracedQuantity> stones);

// OK if every claim in `asserted` holds (docs/custody-models.md):
// INVALID_ARGUMENT for a malformed or repeated claim; FAILED_PRECONDITION
// "claim rule: ..." for one the records do not support, or a model this
// ledger does not support (controlled blending, book and claim).
[[nodiscard]] absl::Status CheckMaterialClaims(
    const google::protobuf::RepeatedPtrField<v1::MaterialClaim>& asserted,
    const PieceClaims& computed);

// "recycled gold, segregated, 100% (scs-recycled)", "gold 62% recycled, mass
// balance, account a1 (rjc-coc)", "lab-grown diamond, identity preserved,
// 100%". `account_text` ("site S, 2026-10-01 to 2027-01-01"), when given,
// stands for "account <id>".
std::string MaterialClaimText(const v1::MaterialClaim& claim, std::string_view account_text = {});

// "62%", "62.5%", "0.05%": basis points as a percentage.
std::string ShareText(uint32_t bp);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_MATERIAL_TRACE_H_
