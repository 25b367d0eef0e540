// Claim derivation from a piece's inputs.
#include "ledger/provenance/claims.h"

#include "absl/strings/str_cat.h"
#include "ledger/provenance/origin.h"

namespace touchstone {

bool MetalKeeps(v1::Claim claim, v1::OriginClass c) {
  return claim != v1::CLAIM_RECYCLED_METAL || IsRecycledOrigin(c);
}

bool StoneKeeps(v1::Claim claim, v1::StoneOrigin o) {
  if (claim == v1::CLAIM_LAB_GROWN_DIAMONDS) return o == v1::STONE_ORIGIN_LAB_GROWN;
  if (claim == v1::CLAIM_NATURAL_DIAMONDS) return o == v1::STONE_ORIGIN_NATURAL;
  return true;
}

bool NeedsMetal(v1::Claim claim) { return claim == v1::CLAIM_RECYCLED_METAL; }

bool NeedsStones(v1::Claim claim) {
  return claim == v1::CLAIM_LAB_GROWN_DIAMONDS || claim == v1::CLAIM_NATURAL_DIAMONDS;
}

DerivedClaims DeriveClaims(std::span<const ClaimInput> metal, std::span<const ClaimInput> stones) {
  static constexpr v1::Claim kOrigins[] = {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS,
                                           v1::CLAIM_NATURAL_DIAMONDS};
  DerivedClaims c;
  // why_not keeps the first reason given for a claim (emplace).
  for (v1::Claim claim : kOrigins) {
    if (NeedsMetal(claim) && metal.empty()) c.why_not.emplace(claim, "the piece has no metal");
    if (NeedsStones(claim) && stones.empty()) c.why_not.emplace(claim, "the piece has no stones");
  }
  for (const ClaimInput& m : metal) {
    for (v1::Claim claim : kOrigins) {
      if (!MetalKeeps(claim, m.origin)) {
        c.why_not.emplace(claim,
                          absl::StrCat("lot '", m.lot_id, "' is ", v1::OriginClass_Name(m.origin)));
      }
    }
    if (!m.certified) {
      c.why_not.emplace(v1::CLAIM_CERTIFIED_CHAIN,
                        absl::StrCat("lot '", m.lot_id, "' is not certified all the way back"));
    }
  }
  for (const ClaimInput& s : stones) {
    const std::string is =
        absl::StrCat("stone '", s.lot_id, "' is ", v1::StoneOrigin_Name(s.stone_origin));
    for (v1::Claim claim : kOrigins) {
      if (!StoneKeeps(claim, s.stone_origin)) c.why_not.emplace(claim, is);
    }
    if (!s.certified) {
      c.why_not.emplace(v1::CLAIM_CERTIFIED_CHAIN,
                        absl::StrCat("stone '", s.lot_id, "' is not certified all the way back"));
    }
  }
  for (v1::Claim claim : {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS,
                          v1::CLAIM_NATURAL_DIAMONDS, v1::CLAIM_CERTIFIED_CHAIN}) {
    if (!c.why_not.contains(claim)) c.held.insert(claim);
  }
  return c;
}

}  // namespace touchstone
