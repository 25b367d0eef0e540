// The claims a piece's inputs support (recycled metal, lab-grown or natural
// diamonds, a certified chain), and why not for each claim they do not. One
// definition shared by the rules (rules_pieces.cc, from the ledger's state) and
// the offline bundle verifier (bundle_graph.cc, from the bundle's records), so
// both always derive the same claims.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_CLAIMS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_CLAIMS_H_

#include <map>
#include <set>
#include <span>
#include <string>

#include "proto/record.pb.h"

namespace touchstone {

// A lot a piece is made of, as far as claims care.
struct ClaimInput {
  std::string lot_id;
  v1::OriginClass origin = v1::ORIGIN_CLASS_UNSPECIFIED;        // metal
  v1::StoneOrigin stone_origin = v1::STONE_ORIGIN_UNSPECIFIED;  // stones
  bool certified = false;  // backed by a valid certificate all the way back
};

struct DerivedClaims {
  std::set<v1::Claim> held;
  // For each claim not held: why, naming the first input (in the order given)
  // that breaks it, or "the piece has no metal" / "no stones".
  std::map<v1::Claim, std::string> why_not;
};

// What each claim asks of one input: the table DeriveClaims applies, and that
// the page's verifier gets generated from (services/web_tables_main.cc).
// True if a metal input of origin class `c` keeps `claim` (claims about stones
// ignore metal: true).
bool MetalKeeps(v1::Claim claim, v1::OriginClass c);
// True if a stone of origin `o` keeps `claim` (claims about metal: true).
bool StoneKeeps(v1::Claim claim, v1::StoneOrigin o);
// True if `claim` needs some metal (recycled metal) or some stone (diamond claims).
bool NeedsMetal(v1::Claim claim);
bool NeedsStones(v1::Claim claim);

// Recycled metal: every metal input recycled (and some metal). Lab-grown /
// natural diamonds: every stone so (and some stone). Certified chain: every
// input certified. Pure; never fails.
DerivedClaims DeriveClaims(std::span<const ClaimInput> metal, std::span<const ClaimInput> stones);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_CLAIMS_H_
