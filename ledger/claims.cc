// Claim derivation from a piece's inputs.
#include "ledger/claims.h"

#include "absl/strings/str_cat.h"
#include "ledger/origin.h"

namespace touchstone {

DerivedClaims DeriveClaims(std::span<const ClaimInput> metal, std::span<const ClaimInput> stones) {
  DerivedClaims c;
  // why_not keeps the first reason given for a claim (emplace).
  if (metal.empty()) c.why_not.emplace(v1::CLAIM_RECYCLED_METAL, "the piece has no metal");
  if (stones.empty()) {
    c.why_not.emplace(v1::CLAIM_LAB_GROWN_DIAMONDS, "the piece has no stones");
    c.why_not.emplace(v1::CLAIM_NATURAL_DIAMONDS, "the piece has no stones");
  }
  for (const ClaimInput& m : metal) {
    if (!IsRecycledOrigin(m.origin)) {
      c.why_not.emplace(v1::CLAIM_RECYCLED_METAL,
                        absl::StrCat("lot '", m.lot_id, "' is ", v1::OriginClass_Name(m.origin)));
    }
    if (!m.certified) {
      c.why_not.emplace(v1::CLAIM_CERTIFIED_CHAIN,
                        absl::StrCat("lot '", m.lot_id, "' is not certified all the way back"));
    }
  }
  for (const ClaimInput& s : stones) {
    const std::string is =
        absl::StrCat("stone '", s.lot_id, "' is ", v1::StoneOrigin_Name(s.stone_origin));
    if (s.stone_origin != v1::STONE_ORIGIN_LAB_GROWN) {
      c.why_not.emplace(v1::CLAIM_LAB_GROWN_DIAMONDS, is);
    }
    if (s.stone_origin != v1::STONE_ORIGIN_NATURAL) c.why_not.emplace(v1::CLAIM_NATURAL_DIAMONDS, is);
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
