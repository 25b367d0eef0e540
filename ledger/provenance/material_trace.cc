// Lot traces and per-material claims (see material_trace.h).
#include "ledger/provenance/material_trace.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/origin.h"

namespace touchstone {
namespace {

std::vector<std::string> Sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }

__int128 Fine(const TracedQuantity& q) {
  return static_cast<__int128>(q.quantity) * q.lot->fineness_ptt;
}

std::string AttributeText(v1::Attribute a) {
  switch (a) {
    case v1::ATTRIBUTE_RECYCLED:
      return "recycled";
    case v1::ATTRIBUTE_LAB_GROWN:
      return "lab-grown";
    case v1::ATTRIBUTE_NATURAL:
      return "natural";
    default:
      return "unspecified";
  }
}

std::string ModelText(v1::CustodyModel m) {
  switch (m) {
    case v1::CUSTODY_MODEL_IDENTITY_PRESERVED:
      return "identity preserved";
    case v1::CUSTODY_MODEL_SEGREGATED:
      return "segregated";
    case v1::CUSTODY_MODEL_CONTROLLED_BLENDING:
      return "controlled blending";
    case v1::CUSTODY_MODEL_MASS_BALANCE:
      return "mass balance";
    case v1::CUSTODY_MODEL_BOOK_AND_CLAIM:
      return "book and claim";
    default:
      return "unspecified";
  }
}

// Why input `q` does not carry attribute `a` ("" if it does).
std::string Lacks(const TracedQuantity& q, v1::Attribute a) {
  const LotTrace& l = *q.lot;
  const std::string what =
      absl::StrCat(q.lot->unit == v1::UNIT_CARAT_THOUSANDTH ? "stone" : "lot", " '", l.lot_id, "'");
  switch (a) {
    case v1::ATTRIBUTE_RECYCLED:
      if (!IsRecycledOrigin(l.origin)) {
        return absl::StrCat(what, " is ", v1::OriginClass_Name(l.origin));
      }
      if (l.credit_booked) return absl::StrCat(what, " was booked as mass-balance credit");
      if (!l.certified) return absl::StrCat(what, " is not certified all the way back");
      return "";
    case v1::ATTRIBUTE_LAB_GROWN:
      if (l.stone_origin != v1::STONE_ORIGIN_LAB_GROWN) {
        return absl::StrCat(what, " is ", v1::StoneOrigin_Name(l.stone_origin));
      }
      return "";
    case v1::ATTRIBUTE_NATURAL:
      if (l.stone_origin != v1::STONE_ORIGIN_NATURAL) {
        return absl::StrCat(what, " is ", v1::StoneOrigin_Name(l.stone_origin));
      }
      if (IsDiamond(l.material) && !l.natural_chain) {
        return absl::StrCat(what,
                            " has no unbroken Kimberley Process and System of Warranties chain");
      }
      return "";
    default:
      return "unknown attribute";
  }
}

// The inputs of `material` among `inputs`.
std::vector<TracedQuantity> Of(std::span<const TracedQuantity> inputs,
                               const std::string& material) {
  std::vector<TracedQuantity> out;
  for (const TracedQuantity& q : inputs) {
    if (q.lot->material == material) out.push_back(q);
  }
  return out;
}

// The schemes every input cited at its origin.
std::vector<std::string> CommonSchemes(std::span<const TracedQuantity> inputs) {
  std::vector<std::string> common;
  bool first = true;
  for (const TracedQuantity& q : inputs) {
    if (first) {
      common = q.lot->origin_schemes;
      first = false;
      continue;
    }
    std::vector<std::string> both;
    std::set_intersection(common.begin(), common.end(), q.lot->origin_schemes.begin(),
                          q.lot->origin_schemes.end(), std::back_inserter(both));
    common = std::move(both);
  }
  return common;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

LotTrace TraceOfCreated(const v1::LotCreated& created, int32_t fineness_ptt,
                        std::vector<std::string> schemes, bool kp) {
  LotTrace t;
  t.lot_id = created.lot_id();
  t.material = created.material();
  t.unit = created.unit();
  t.fineness_ptt = fineness_ptt;
  t.origin = created.origin_class();
  t.certified = !created.certificate_ids().empty();
  t.stone_origin = StoneOriginOf(created.origin_class());
  t.stones = created.has_parcel() ? created.parcel().stone_count() : 0;
  t.site = created.facility();
  t.natural_chain = kp && NeedsWarranty(created.material(), created.origin_class());
  t.origin_schemes = Sorted({schemes.begin(), schemes.end()});
  t.sources = {created.lot_id()};
  return t;
}

LotTrace TraceOfOutputs(const v1::Transformation& t, std::span<const TracedQuantity> same,
                        std::span<const TracedQuantity> alloying, bool trade_rules) {
  LotTrace out;
  out.material = t.material();
  out.site = t.location();
  out.certified = true;
  out.natural_chain = !same.empty();
  std::optional<v1::OriginClass> origin;
  __int128 fine = 0, credited = 0;
  std::set<std::string> accounts, mb_schemes, sources;
  for (const TracedQuantity& q : same) {
    const LotTrace& l = *q.lot;
    out.unit = l.unit;
    origin = origin ? CombineOrigins(*origin, l.origin) : l.origin;
    out.certified = out.certified && l.certified;
    out.natural_chain = out.natural_chain && l.natural_chain;
    out.credit_booked = out.credit_booked || l.credit_booked;
    fine += Fine(q);
    credited += Fine(q) * l.mb_share_bp;
    accounts.insert(l.mb_accounts.begin(), l.mb_accounts.end());
    mb_schemes.insert(l.mb_schemes.begin(), l.mb_schemes.end());
    sources.insert(l.sources.begin(), l.sources.end());
  }
  for (const TracedQuantity& q : alloying) {
    if (!trade_rules) {
      origin = origin ? CombineOrigins(*origin, q.lot->origin) : q.lot->origin;
      out.certified = out.certified && q.lot->certified;
    }
  }
  out.origin = origin.value_or(v1::ORIGIN_CLASS_UNSPECIFIED);
  out.stone_origin = StoneOriginOf(out.origin);
  out.mb_share_bp = fine > 0 ? static_cast<int32_t>(credited / fine) : 0;
  out.mb_accounts = Sorted(std::move(accounts));
  out.mb_schemes = Sorted(std::move(mb_schemes));
  out.origin_schemes = CommonSchemes(same);
  out.sources = Sorted(std::move(sources));
  if (out.sources.size() > kMaxSources + 1) out.sources.resize(kMaxSources + 1);
  return out;
}

std::vector<AlloyShare> OutputAlloy(std::span<const TracedQuantity> same,
                                    std::span<const TracedQuantity> alloying, int32_t out_ptt) {
  // Weight of each other metal that went in (milligrams x ptt), and its origin.
  std::map<std::string, std::pair<__int128, std::optional<v1::OriginClass>>> parts;
  auto add = [&](const std::string& material, __int128 weight, v1::OriginClass origin) {
    auto& [w, o] = parts[material];
    w += weight;
    o = o ? CombineOrigins(*o, origin) : origin;
  };
  for (const TracedQuantity& q : alloying) add(q.lot->material, Fine(q), q.lot->origin);
  for (const TracedQuantity& q : same) {
    for (const AlloyShare& a : q.lot->alloy) {
      add(a.material, static_cast<__int128>(q.quantity) * a.ptt, a.origin);
    }
  }
  __int128 total = 0;
  for (const auto& [m, p] : parts) total += p.first;
  std::vector<AlloyShare> out;
  if (total <= 0 || out_ptt >= kFullFinenessPtt) return out;
  const int32_t rest = kFullFinenessPtt - out_ptt;
  for (const auto& [m, p] : parts) {
    out.push_back({m, static_cast<int32_t>(rest * p.first / total), *p.second});
  }
  return out;
}

PieceClaims ComputePieceClaims(std::span<const TracedQuantity> metal,
                               std::span<const TracedQuantity> stones) {
  PieceClaims c;
  // Composition: metals by mass of each material, then stones.
  std::map<std::string, __int128> metal_mass;  // milligrams x ptt
  __int128 total = 0, stated = 0;
  for (const TracedQuantity& q : metal) {
    total += static_cast<__int128>(q.quantity) * kFullFinenessPtt;
    metal_mass[q.lot->material] += Fine(q);
    stated += Fine(q);
    for (const AlloyShare& a : q.lot->alloy) {
      metal_mass[a.material] += static_cast<__int128>(q.quantity) * a.ptt;
      stated += static_cast<__int128>(q.quantity) * a.ptt;
    }
  }
  if (total > stated) metal_mass["other metals (not stated)"] += total - stated;
  for (const auto& [m, mass] : metal_mass) {
    c.composition.push_back(
        {.material = m,
         .amount = static_cast<int64_t>(mass / kFullFinenessPtt),
         // No metal mass (a malformed record's 0 mg): no share.
         .share_ptt = total > 0 ? static_cast<int32_t>(mass * kFullFinenessPtt / total) : 0});
  }
  std::map<std::string, std::pair<int64_t, int64_t>> stone_mass;
  for (const TracedQuantity& q : stones) {
    stone_mass[q.lot->material].first += q.quantity;
    stone_mass[q.lot->material].second += q.stones;
  }
  for (const auto& [m, ws] : stone_mass) {
    c.composition.push_back(
        {.material = m, .stone = true, .amount = ws.first, .stones = ws.second});
  }

  // Physical claims: every input of the material carries the attribute.
  auto physical = [&](const std::string& m, std::span<const TracedQuantity> inputs,
                      v1::Attribute a) {
    std::string why;
    bool identity = true;
    for (const TracedQuantity& q : inputs) {
      if (why.empty()) why = Lacks(q, a);
      identity = identity && q.lot->sources.size() == 1;
    }
    if (!why.empty()) {
      c.why_not[{m, a}] = why;
      return;
    }
    std::vector<std::string> schemes = CommonSchemes(inputs);
    v1::MaterialClaim claim;
    claim.set_material(m);
    claim.set_attribute(a);
    claim.set_model(identity ? v1::CUSTODY_MODEL_IDENTITY_PRESERVED : v1::CUSTODY_MODEL_SEGREGATED);
    claim.set_share_bp(kFullShareBp);
    if (schemes.size() == 1) claim.set_scheme(schemes[0]);
    c.schemes[{m, a, false}] = std::move(schemes);
    c.supported.push_back(std::move(claim));
  };
  std::set<std::string> metals, gems;
  for (const TracedQuantity& q : metal) metals.insert(q.lot->material);
  for (const TracedQuantity& q : stones) gems.insert(q.lot->material);
  for (const std::string& m : metals) {
    const std::vector<TracedQuantity> inputs = Of(metal, m);
    physical(m, inputs, v1::ATTRIBUTE_RECYCLED);
    // Mass balance: the fine-weighted share of allocated credit.
    __int128 fine = 0, credited = 0;
    std::set<std::string> accounts, schemes;
    for (const TracedQuantity& q : inputs) {
      fine += Fine(q);
      credited += Fine(q) * q.lot->mb_share_bp;
      accounts.insert(q.lot->mb_accounts.begin(), q.lot->mb_accounts.end());
      schemes.insert(q.lot->mb_schemes.begin(), q.lot->mb_schemes.end());
    }
    const auto share = static_cast<uint32_t>(fine > 0 ? credited / fine : 0);
    if (share == 0) continue;
    v1::MaterialClaim claim;
    claim.set_material(m);
    claim.set_attribute(v1::ATTRIBUTE_RECYCLED);
    claim.set_model(v1::CUSTODY_MODEL_MASS_BALANCE);
    claim.set_share_bp(share);
    if (accounts.size() == 1) claim.set_account_id(*accounts.begin());
    if (schemes.size() == 1) claim.set_scheme(*schemes.begin());
    c.accounts[m] = Sorted(std::move(accounts));
    c.schemes[{m, v1::ATTRIBUTE_RECYCLED, true}] = Sorted(std::move(schemes));
    c.supported.push_back(std::move(claim));
  }
  for (const std::string& m : gems) {
    const std::vector<TracedQuantity> inputs = Of(stones, m);
    physical(m, inputs, v1::ATTRIBUTE_LAB_GROWN);
    physical(m, inputs, v1::ATTRIBUTE_NATURAL);
  }
  return c;
}

[[nodiscard]] absl::Status CheckMaterialClaims(
    const google::protobuf::RepeatedPtrField<v1::MaterialClaim>& asserted,
    const PieceClaims& computed) {
  std::set<std::tuple<std::string, int, int>> seen;
  for (const v1::MaterialClaim& claim : asserted) {
    const std::string& m = claim.material();
    const v1::Attribute a = claim.attribute();
    if (m.empty() || a == v1::ATTRIBUTE_UNSPECIFIED || !v1::Attribute_IsValid(a) ||
        claim.model() == v1::CUSTODY_MODEL_UNSPECIFIED ||
        !v1::CustodyModel_IsValid(claim.model())) {
      return absl::InvalidArgumentError(
          "a material claim needs a material, an attribute and a chain-of-custody model");
    }
    if (!seen.insert({m, a, claim.model()}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("the claim '", MaterialClaimText(claim), "' is made twice"));
    }
    if (claim.share_bp() == 0 || claim.share_bp() > kFullShareBp) {
      return absl::InvalidArgumentError("a claim's share_bp must be 1 to 10000");
    }
    const std::string text = MaterialClaimText(claim);
    auto broken = [&](std::string_view why) {
      return absl::FailedPreconditionError(
          absl::StrCat("claim rule: '", text, "' does not hold: ", Sv(why)));
    };
    if (claim.model() == v1::CUSTODY_MODEL_CONTROLLED_BLENDING ||
        claim.model() == v1::CUSTODY_MODEL_BOOK_AND_CLAIM) {
      return broken("this ledger does not support " + ModelText(claim.model()) +
                    " claims (docs/custody-models.md)");
    }
    const auto part = std::find_if(computed.composition.begin(), computed.composition.end(),
                                   [&](const MaterialShare& s) { return s.material == m; });
    if (part == computed.composition.end()) return broken(absl::StrCat("the piece has no ", m));
    const bool about_stones = a != v1::ATTRIBUTE_RECYCLED;
    if (part->stone != about_stones) {
      return broken(
          about_stones
              ? absl::StrCat(m, " is a metal; ", AttributeText(a), " claims are about stones")
              : absl::StrCat(m, " is a stone; recycled claims are about metals"));
    }
    if (claim.model() == v1::CUSTODY_MODEL_MASS_BALANCE) {
      const auto mb = std::find_if(
          computed.supported.begin(), computed.supported.end(), [&](const v1::MaterialClaim& s) {
            return s.material() == m && s.model() == v1::CUSTODY_MODEL_MASS_BALANCE;
          });
      if (mb == computed.supported.end()) {
        return broken(absl::StrCat("no mass-balance credit was allocated to the piece's ", m));
      }
      if (mb->share_bp() != claim.share_bp()) {
        return broken(absl::StrCat("its records give ", m, " a mass-balance share of ",
                                   ShareText(mb->share_bp())));
      }
      if (!Contains(computed.accounts.at(m), claim.account_id())) {
        return broken(
            absl::StrCat("the credit did not come from account '", claim.account_id(), "'"));
      }
      if (!claim.scheme().empty() && !Contains(computed.schemes.at({m, a, true}), claim.scheme())) {
        return broken(absl::StrCat("the account is not backed by scheme '", claim.scheme(), "'"));
      }
      continue;
    }
    if (!claim.account_id().empty()) {
      return absl::InvalidArgumentError("only a mass-balance claim names an account");
    }
    if (auto why = computed.why_not.find({m, a}); why != computed.why_not.end()) {
      return broken(why->second);
    }
    const auto held = std::find_if(computed.supported.begin(), computed.supported.end(),
                                   [&](const v1::MaterialClaim& s) {
                                     return s.material() == m && s.attribute() == a &&
                                            s.model() != v1::CUSTODY_MODEL_MASS_BALANCE;
                                   });
    if (held == computed.supported.end()) return broken("its records do not support it");
    if (claim.share_bp() != kFullShareBp) {
      return broken("a segregated or identity-preserved claim covers all of the material (100%)");
    }
    if (claim.model() == v1::CUSTODY_MODEL_IDENTITY_PRESERVED &&
        held->model() != v1::CUSTODY_MODEL_IDENTITY_PRESERVED) {
      return broken(absl::StrCat("the piece's ", m, " comes from more than one source lot"));
    }
    if (!claim.scheme().empty() && !Contains(computed.schemes.at({m, a, false}), claim.scheme())) {
      return broken(absl::StrCat("scheme '", claim.scheme(), "' did not certify every lot of ", m,
                                 " when it entered"));
    }
  }
  return absl::OkStatus();
}

std::string ShareText(uint32_t bp) {
  if (bp % 100 == 0) return absl::StrCat(bp / 100, "%");
  if (bp % 10 == 0) return absl::StrCat(bp / 100, ".", (bp % 100) / 10, "%");
  return absl::StrCat(bp / 100, ".", (bp % 100) / 10, bp % 10, "%");
}

std::string MaterialClaimText(const v1::MaterialClaim& claim, std::string_view account_text) {
  const std::string scheme = claim.scheme().empty() ? "" : absl::StrCat(" (", claim.scheme(), ")");
  if (claim.model() == v1::CUSTODY_MODEL_MASS_BALANCE) {
    const std::string account = account_text.empty() ? absl::StrCat("account ", claim.account_id())
                                                     : std::string(Sv(account_text));
    return absl::StrCat(claim.material(), " ", ShareText(claim.share_bp()), " ",
                        AttributeText(claim.attribute()), ", mass balance, ", account, scheme);
  }
  return absl::StrCat(AttributeText(claim.attribute()), " ", claim.material(), ", ",
                      ModelText(claim.model()), ", ", ShareText(claim.share_bp()), scheme);
}

}  // namespace touchstone
