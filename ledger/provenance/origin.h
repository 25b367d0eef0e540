// Origin classes of material as the ledger derives them: what a mix of inputs
// is, and what a diamond lot's origin says about the stone. One definition,
// shared by the rules (rules_material.cc) and the offline bundle verifier
// (bundle_graph.cc), so both always derive the same thing.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_ORIGIN_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_ORIGIN_H_

#include "proto/record.pb.h"

namespace touchstone {

// Recycled pre-consumer, post-consumer, or a mix of the two.
inline bool IsRecycledOrigin(v1::OriginClass c) {
  return c == v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER ||
         c == v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER || c == v1::ORIGIN_CLASS_RECYCLED_MIXED;
}

// The origin class of a mix of inputs: the same class if all agree, recycled
// (mixed) if all are recycled, otherwise mixed.
inline v1::OriginClass CombineOrigins(v1::OriginClass a, v1::OriginClass b) {
  if (a == b) return a;
  if (IsRecycledOrigin(a) && IsRecycledOrigin(b)) return v1::ORIGIN_CLASS_RECYCLED_MIXED;
  return v1::ORIGIN_CLASS_MIXED;
}

// What a lot's origin class says about a stone cut from it: natural if mined,
// lab-grown if grown, otherwise unspecified.
inline v1::StoneOrigin StoneOriginOf(v1::OriginClass c) {
  if (c == v1::ORIGIN_CLASS_LAB_GROWN) return v1::STONE_ORIGIN_LAB_GROWN;
  if (c == v1::ORIGIN_CLASS_MINED) return v1::STONE_ORIGIN_NATURAL;
  return v1::STONE_ORIGIN_UNSPECIFIED;
}

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_ORIGIN_H_
