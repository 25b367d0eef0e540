// State is a function of the log alone: after a long randomized run of every
// kind of record (some invalid on purpose, each checked against a model of what
// the rules should decide), state rebuilt from the entries equals the state the
// ledger kept, and a key altered or added behind the ledger's back is named.
#include "ledger/provenance/rebuild.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/store/store.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using testing::kHourMicros;
using testing::Out;
using testing::Take;
using Code = absl::StatusCode;

constexpr int64_t kDayMicros = 24 * kHourMicros;
constexpr size_t kBatch = 100;

// TOUCHSTONE_RULES_SEED replays a run; otherwise a fresh seed (printed).
uint64_t Seed() {
  if (const char* s = std::getenv("TOUCHSTONE_RULES_SEED")) return std::strtoull(s, nullptr, 10);
  std::random_device rd;
  return (uint64_t{rd()} << 32) | rd();
}

bool IsRecycled(v1::OriginClass c) {
  return c == v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER ||
         c == v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER || c == v1::ORIGIN_CLASS_RECYCLED_MIXED;
}

// The origin of a mix, as the domain defines it.
v1::OriginClass Combine(v1::OriginClass a, v1::OriginClass b) {
  if (a == b) return a;
  if (IsRecycled(a) && IsRecycled(b)) return v1::ORIGIN_CLASS_RECYCLED_MIXED;
  return v1::ORIGIN_CLASS_MIXED;
}

v1::StoneOrigin StoneOriginOf(v1::OriginClass c) {
  if (c == v1::ORIGIN_CLASS_LAB_GROWN) return v1::STONE_ORIGIN_LAB_GROWN;
  if (c == v1::ORIGIN_CLASS_MINED) return v1::STONE_ORIGIN_NATURAL;
  return v1::STONE_ORIGIN_UNSPECIFIED;
}

// Generates records against a model of the world and checks the ledger
// decides each one as the model predicts.
class RebuildTest : public testing::RulesFixture {
 protected:
  struct Actor {
    Identity who;  // the key it signs with
    std::vector<v1::Role> roles;
    bool suspended = false;
    bool fresh = false;               // reinstated in this batch: signs from the next one
    std::optional<Identity> new_key;  // added in this batch: signs with it from the next one
    std::optional<Identity> old_key;  // replaced, not yet revoked
    std::optional<Identity> revoked;  // a key it must not sign with any more
    bool Has(v1::Role r) const { return std::find(roles.begin(), roles.end(), r) != roles.end(); }
  };
  struct LotM {
    std::string material;
    v1::Unit unit = v1::UNIT_MILLIGRAM;
    int32_t fineness = 1000;
    v1::OriginClass origin = v1::ORIGIN_CLASS_UNSPECIFIED;
    int64_t quantity = 0, balance = 0;
    std::string custodian, shipment, to;
    bool certified = false;
    std::string grading, piece;
  };
  enum class Status { kActive, kSuspended, kRevoked };
  struct Cert {
    std::string issuer;
    std::string subject;  // a participant; empty for grading reports
    Status status = Status::kActive;
    bool expired = false;
    bool grading = false;
  };
  struct PieceM {
    std::string jeweler;
    std::vector<std::string> stones;
    v1::PieceEvent last = v1::PIECE_EVENT_UNSPECIFIED;
  };
  struct Planned {
    std::pair<std::string, std::string> signed_record;
    v1::Record record;
    Code expect;
    bool duplicate;
    std::string what;
  };
  struct Committed {
    uint64_t index;
    v1::Record record;
    std::pair<std::string, std::string> signed_record;
  };

  // ---------------------------------------------------------------- the run

  void Populate(uint64_t seed, size_t records) {
    seed_ = seed;
    rng_.seed(seed);
    AddActor("operator", op(), {v1::ROLE_OPERATOR});
    const std::vector<std::pair<std::string, std::vector<v1::Role>>> cast = {
        {"miner-1", {v1::ROLE_MINER}},
        {"miner-2", {v1::ROLE_MINER}},
        {"refiner-1", {v1::ROLE_REFINER}},
        {"refiner-2", {v1::ROLE_REFINER}},
        {"recycler-1", {v1::ROLE_RECYCLER}},
        {"recycler-2", {v1::ROLE_RECYCLER}},
        {"grower-1", {v1::ROLE_GROWER}},
        {"cutter-1", {v1::ROLE_CUTTER}},
        {"maker-1", {v1::ROLE_MANUFACTURER}},
        {"jeweler-1", {v1::ROLE_JEWELER}},
        {"jeweler-2", {v1::ROLE_JEWELER}},
        {"jeweler-3", {v1::ROLE_JEWELER}},
        {"lab-1", {v1::ROLE_CERTIFIER}},
        {"lab-2", {v1::ROLE_CERTIFIER}},
        {"auditor-1", {v1::ROLE_AUDITOR}},
        {"atelier-1", {v1::ROLE_JEWELER, v1::ROLE_MANUFACTURER, v1::ROLE_REFINER}},
    };
    for (const auto& [id, roles] : cast) AddActor(id, Register(id, roles), roles);
    base_size_ = ledger().Size();

    struct Op {
      int weight;
      bool (RebuildTest::*run)();
    };
    const std::vector<Op> ops = {
        {10, &RebuildTest::MetalLot},     {5, &RebuildTest::StoneLot},
        {5, &RebuildTest::Grade},         {3, &RebuildTest::SchemeCertificate},
        {3, &RebuildTest::StatusChanged}, {18, &RebuildTest::Transformation},
        {12, &RebuildTest::Shipment},     {12, &RebuildTest::Receipt_},
        {10, &RebuildTest::NewPiece},     {6, &RebuildTest::PieceEvent},
        {3, &RebuildTest::StoneSwap},     {3, &RebuildTest::Error},
        {1, &RebuildTest::Suspension},    {1, &RebuildTest::KeyRotation},
        {2, &RebuildTest::Replay},        {1, &RebuildTest::OutOfTime},
    };
    int total = 0;
    for (const Op& op : ops) total += op.weight;
    while (planned_ < records && !diverged_) {
      int pick = Uniform(0, total - 1);
      for (const Op& op : ops) {
        if ((pick -= op.weight) < 0) {
          (this->*op.run)();
          break;
        }
      }
      if (batch_.size() >= kBatch) Flush();
    }
    Flush();
  }

  // Submits the planned batch and compares every result with the model's.
  void Flush() {
    if (batch_.empty() || diverged_) return;
    std::vector<std::pair<std::string, std::string>> records;
    for (const Planned& p : batch_) records.push_back(p.signed_record);
    absl::StatusOr<std::vector<absl::StatusOr<touchstone::Receipt>>> results =
        ledger().SubmitBatch(records);
    ASSERT_TRUE(results.ok()) << results.status();
    for (size_t i = 0; i < batch_.size(); ++i) {
      const Planned& p = batch_[i];
      const auto& r = (*results)[i];
      ++by_code_[absl::StatusCodeToString(r.status().code())];
      if (r.status().code() != p.expect) {
        ADD_FAILURE() << "seed " << seed_ << ": " << p.what << ": expected "
                      << absl::StatusCodeToString(p.expect) << ", got " << r.status() << "\n"
                      << p.record.DebugString();
        diverged_ = true;
        return;
      }
      if (!r.ok()) continue;
      EXPECT_EQ(r->duplicate, p.duplicate) << p.what;
      if (!p.duplicate) committed_.push_back({r->index, p.record, p.signed_record});
    }
    batch_.clear();
    // What changed in this batch is committed: keys and reinstatements count now.
    for (auto& [id, a] : actors_) {
      a.fresh = false;
      if (a.new_key) {
        a.old_key = a.who;
        a.who = *a.new_key;
        a.new_key.reset();
      }
      suspended_committed_[id] = a.suspended;
    }
    revoked_committed_ = revoked_now_;
  }

  // ---------------------------------------------------------------- randomness

  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int64_t>(v.size()) - 1)];
  }
  std::string NewId(const std::string& prefix) { return prefix + "-" + std::to_string(++ids_); }

  // ---------------------------------------------------------------- the model

  void AddActor(const std::string& id, const Identity& who, std::vector<v1::Role> roles) {
    actors_.insert_or_assign(id, Actor{.who = who, .roles = std::move(roles)});
    suspended_committed_[id] = false;
  }
  bool CanSign(const Actor& a) const { return !a.suspended && !a.fresh; }
  // Actors that can sign now and hold one of `roles` (any actor if empty).
  std::vector<std::string> Signers(std::initializer_list<v1::Role> roles = {}) const {
    std::vector<std::string> out;
    for (const auto& [id, a] : actors_) {
      if (!CanSign(a)) continue;
      bool ok = roles.size() == 0;
      for (v1::Role r : roles) ok = ok || a.Has(r);
      if (ok) out.push_back(id);
    }
    return out;
  }
  bool Available(const LotM& l, const std::string& holder) const {
    return l.custodian == holder && l.shipment.empty() && l.piece.empty() && l.balance > 0;
  }
  std::vector<std::string> AvailableLots(const std::string& holder,
                                         std::optional<v1::Unit> unit = std::nullopt) const {
    std::vector<std::string> out;
    for (const auto& [id, l] : lots_) {
      if (Available(l, holder) && (!unit || l.unit == *unit)) out.push_back(id);
    }
    return out;
  }
  // Scheme certificates about `subject` that are (or are not) valid now.
  std::vector<std::string> SchemeCertificates(bool valid, const std::string& subject) const {
    std::vector<std::string> out;
    for (const auto& [id, c] : certs_) {
      if (c.grading || c.subject != subject) continue;
      if ((c.status == Status::kActive && !c.expired) == valid) out.push_back(id);
    }
    return out;
  }
  bool SetsAStone(const LotM& l) const {
    if (l.unit != v1::UNIT_CARAT_THOUSANDTH || l.grading.empty()) return false;
    return certs_.at(l.grading).status == Status::kActive;
  }

  void Plan(const v1::Record& r, Code expect, std::string what, bool duplicate = false) {
    batch_.push_back({Sign(r), r, expect, duplicate, std::move(what)});
    ++planned_;
    if (expect == Code::kOk && !duplicate) ++expected_appended_;
  }
  void PlanSigned(std::pair<std::string, std::string> signed_record, const v1::Record& r,
                  Code expect, std::string what, bool duplicate) {
    batch_.push_back({std::move(signed_record), r, expect, duplicate, std::move(what)});
    ++planned_;
    if (expect == Code::kOk && !duplicate) ++expected_appended_;
  }

  // ---------------------------------------------------------------- operations

  bool MetalLot() {
    const auto who = Signers({v1::ROLE_MINER, v1::ROLE_REFINER, v1::ROLE_RECYCLER});
    if (who.empty()) return false;
    const Actor& a = actors_.at(Pick(who));
    std::vector<v1::OriginClass> origins;
    if (a.Has(v1::ROLE_MINER) || a.Has(v1::ROLE_REFINER)) origins.push_back(v1::ORIGIN_CLASS_MINED);
    if (a.Has(v1::ROLE_RECYCLER) || a.Has(v1::ROLE_REFINER)) {
      origins.push_back(v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER);
      origins.push_back(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
    }
    const v1::OriginClass origin = Pick(origins);
    const bool silver = Chance(0.2);
    const int32_t fineness =
        silver ? Pick<int32_t>({925, 999}) : Pick<int32_t>({999, 995, 750, 585});
    const int64_t quantity = Uniform(20'000, 200'000);
    const std::string id = NewId("lot");
    const std::string material = silver ? "silver" : "gold";
    if (Chance(0.05)) {
      const auto invalid = SchemeCertificates(false, a.who.id);
      if (!invalid.empty()) {
        Plan(Lot(a.who, id, material, origin, quantity, v1::UNIT_MILLIGRAM, fineness,
                 {Pick(invalid)}),
             Code::kFailedPrecondition, "a lot citing an invalid certificate");
        return true;
      }
    }
    if (Chance(0.03)) {
      const auto jewelers = Signers({v1::ROLE_JEWELER});
      const auto it = std::find_if(jewelers.begin(), jewelers.end(), [&](const std::string& j) {
        return !actors_.at(j).Has(v1::ROLE_REFINER);
      });
      if (it != jewelers.end()) {
        Plan(Lot(actors_.at(*it).who, id, material, origin, quantity, v1::UNIT_MILLIGRAM, fineness),
             Code::kPermissionDenied, "a jeweler creating a lot");
        return true;
      }
    }
    if (Chance(0.03)) {
      for (const auto& [cid, c] : certs_) {
        if (c.grading || c.subject == a.who.id) continue;
        Plan(Lot(a.who, id, material, origin, quantity, v1::UNIT_MILLIGRAM, fineness, {cid}),
             Code::kPermissionDenied, "a lot citing a certificate about someone else");
        return true;
      }
    }
    std::vector<std::string> certs;
    if (Chance(0.5)) {
      const auto valid = SchemeCertificates(true, a.who.id);
      if (!valid.empty()) certs.push_back(Pick(valid));
    }
    Plan(Lot(a.who, id, material, origin, quantity, v1::UNIT_MILLIGRAM, fineness, certs), Code::kOk,
         "a metal lot");
    lots_[id] = LotM{.material = material,
                     .unit = v1::UNIT_MILLIGRAM,
                     .fineness = fineness,
                     .origin = origin,
                     .quantity = quantity,
                     .balance = quantity,
                     .custodian = a.who.id,
                     .certified = !certs.empty()};
    return true;
  }

  bool StoneLot() {
    const auto who = Signers({v1::ROLE_GROWER, v1::ROLE_MINER});
    if (who.empty()) return false;
    const Actor& a = actors_.at(Pick(who));
    const v1::OriginClass origin =
        a.Has(v1::ROLE_GROWER) ? v1::ORIGIN_CLASS_LAB_GROWN : v1::ORIGIN_CLASS_MINED;
    const int64_t quantity = Uniform(200, 3000);
    const std::string id = NewId("stone");
    Plan(RulesFixture::StoneLot(a.who, id, origin, quantity), Code::kOk, "a stone lot");
    lots_[id] = LotM{.material = "diamond",
                     .unit = v1::UNIT_CARAT_THOUSANDTH,
                     .fineness = 1000,
                     .origin = origin,
                     .quantity = quantity,
                     .balance = quantity,
                     .custodian = a.who.id};
    return true;
  }

  bool Grade() {
    const auto labs = Signers({v1::ROLE_CERTIFIER});
    std::vector<std::string> gradable, mixed;
    for (const auto& [id, l] : lots_) {
      if (l.unit != v1::UNIT_CARAT_THOUSANDTH || !l.grading.empty()) continue;
      (StoneOriginOf(l.origin) == v1::STONE_ORIGIN_UNSPECIFIED ? mixed : gradable).push_back(id);
    }
    if (labs.empty() || gradable.empty()) return false;
    const Actor& lab = actors_.at(Pick(labs));
    const std::string cert = NewId("gr");
    if (Chance(0.15)) {
      const std::string& id = mixed.empty() || Chance(0.5) ? Pick(gradable) : Pick(mixed);
      const v1::StoneOrigin wrong = StoneOriginOf(lots_[id].origin) == v1::STONE_ORIGIN_NATURAL
                                        ? v1::STONE_ORIGIN_LAB_GROWN
                                        : v1::STONE_ORIGIN_NATURAL;
      Plan(Grading(lab.who, cert, id, wrong, lots_[id].quantity), Code::kFailedPrecondition,
           "a grading report with the wrong origin");
      return true;
    }
    const std::string& id = Pick(gradable);
    LotM& l = lots_[id];
    Plan(Grading(lab.who, cert, id, StoneOriginOf(l.origin), l.quantity), Code::kOk,
         "a grading report");
    l.grading = cert;
    certs_[cert] = Cert{.issuer = lab.who.id, .grading = true};
    return true;
  }

  bool SchemeCertificate() {
    const auto labs = Signers({v1::ROLE_CERTIFIER});
    if (labs.empty()) return false;
    const Actor& lab = actors_.at(Pick(labs));
    std::vector<std::string> subjects;
    for (const auto& [id, a] : actors_) subjects.push_back(id);
    const std::string subject = Pick(subjects);
    const int64_t now = NextTime();
    const bool expired = Chance(0.15);
    const std::string cert = NewId("cert");
    Plan(expired ? Certificate(lab.who, cert, subject, now - 2 * kDayMicros, now - kDayMicros)
                 : Certificate(lab.who, cert, subject, now - kDayMicros,
                               Chance(0.5) ? 0 : now + 30 * kDayMicros),
         Code::kOk, "a scheme certificate");
    certs_[cert] = Cert{.issuer = lab.who.id, .subject = subject, .expired = expired};
    return true;
  }

  bool StatusChanged() {
    std::vector<std::string> open;
    for (const auto& [id, c] : certs_) {
      if (c.status != Status::kRevoked && CanSign(actors_.at(c.issuer))) open.push_back(id);
    }
    if (open.empty()) return false;
    const std::string& id = Pick(open);
    Cert& c = certs_[id];
    if (Chance(0.1)) {
      for (const std::string& other : Signers({v1::ROLE_CERTIFIER})) {
        if (other == c.issuer) continue;
        Plan(StatusChange(actors_.at(other).who, id, v1::CERTIFICATE_STATUS_SUSPENDED),
             Code::kPermissionDenied, "a status change by another certifier");
        return true;
      }
    }
    const bool revoke = Chance(0.2);
    const v1::CertificateStatus status = revoke ? v1::CERTIFICATE_STATUS_REVOKED
                                         : c.status == Status::kActive
                                             ? v1::CERTIFICATE_STATUS_SUSPENDED
                                             : v1::CERTIFICATE_STATUS_REINSTATED;
    Plan(StatusChange(actors_.at(c.issuer).who, id, status), Code::kOk, "a status change");
    c.status = revoke                                       ? Status::kRevoked
               : status == v1::CERTIFICATE_STATUS_SUSPENDED ? Status::kSuspended
                                                            : Status::kActive;
    return true;
  }

  bool Transformation() {
    std::vector<std::string> holders;
    for (const std::string& id :
         Signers({v1::ROLE_REFINER, v1::ROLE_RECYCLER, v1::ROLE_GROWER, v1::ROLE_CUTTER,
                  v1::ROLE_MANUFACTURER, v1::ROLE_JEWELER})) {
      if (!AvailableLots(id).empty()) holders.push_back(id);
    }
    if (holders.empty()) return false;
    const Actor& a = actors_.at(Pick(holders));
    const std::string tid = NewId("t");
    if (Chance(0.02)) {
      Plan(Transform(a.who, tid, v1::PROCESS_SPLIT, "gold", {{NewId("ghost"), 10}},
                     {{NewId("out"), 10}}),
           Code::kNotFound, "a transformation of an unknown lot");
      return true;
    }
    const auto metals = AvailableLots(a.who.id, v1::UNIT_MILLIGRAM);
    const auto stones = AvailableLots(a.who.id, v1::UNIT_CARAT_THOUSANDTH);
    std::vector<Take> inputs;
    std::vector<Out> outputs;
    v1::Process process = v1::PROCESS_UNSPECIFIED;
    int64_t loss = 0;
    const std::string first = Pick(Chance(0.5) && !stones.empty() ? stones
                                   : metals.empty()               ? stones
                                                                  : metals);
    const LotM& lot = lots_[first];
    const bool stone = lot.unit == v1::UNIT_CARAT_THOUSANDTH;
    const int kind = static_cast<int>(Uniform(0, 3));
    const std::string form = stone ? "polished" : "grain";
    if (kind == 0) {  // split in two
      process = v1::PROCESS_SPLIT;
      const int64_t q = Uniform(1, lot.balance);
      inputs = {{first, q}};
      if (q >= 2) {
        const int64_t q1 = Uniform(1, q - 1);
        outputs = {{NewId("lot"), q1, lot.fineness, form},
                   {NewId("lot"), q - q1, lot.fineness, form}};
      } else {
        outputs = {{NewId("lot"), q, lot.fineness, form}};
      }
    } else if (kind == 1) {  // merge lots alike
      process = v1::PROCESS_MERGE;
      int64_t total = 0;
      for (const std::string& id : AvailableLots(a.who.id, lot.unit)) {
        const LotM& o = lots_[id];
        if (o.material != lot.material || o.fineness != lot.fineness) continue;
        if (id != first && (inputs.size() >= 3 || Chance(0.5))) continue;
        const int64_t q = Uniform(1, o.balance);
        inputs.push_back({id, q});
        total += q;
      }
      outputs = {{NewId("lot"), total, lot.fineness, form}};
    } else if (stone) {  // cut and polish: keeps ceil(40%)
      process = v1::PROCESS_CUT_AND_POLISH;
      const int64_t q = Uniform(1, lot.balance);
      const int64_t out = (4 * q + 9) / 10;
      inputs = {{first, q}};
      outputs = {{NewId("lot"), out, 1000, "polished"}};
      loss = (q - out) * 1000;
    } else if (kind == 2) {  // cast, nothing lost
      process = v1::PROCESS_CAST;
      const int64_t q = Uniform(1, lot.balance);
      inputs = {{first, q}};
      outputs = {{NewId("lot"), q, lot.fineness, "sheet"}};
    } else {  // refine to fine metal, losing up to 3%
      process = v1::PROCESS_REFINE;
      int64_t fine = 0;
      for (const std::string& id : metals) {
        const LotM& o = lots_[id];
        if (o.material != lot.material || (id != first && (inputs.size() >= 2 || Chance(0.7)))) {
          continue;
        }
        const int64_t q = Uniform(std::min<int64_t>(o.balance, 1000), o.balance);
        inputs.push_back({id, q});
        fine += q * o.fineness;
      }
      int64_t out = fine / 1000 - Uniform(0, fine * 3 / 100 / 1000);
      if (out < 1 || (fine - out * 1000) * 1000 > 50 * fine) out = fine / 1000;
      if (out < 1 || (fine - out * 1000) * 1000 > 50 * fine) return false;
      outputs = {{NewId("lot"), out, 1000, "grain"}};
      loss = fine - out * 1000;
    }
    std::vector<std::string> certs;
    if (Chance(0.1)) {
      const auto valid = SchemeCertificates(true, a.who.id);
      if (!valid.empty()) certs.push_back(Pick(valid));
    }
    if (Chance(0.02)) {
      inputs[0].second = 0;
      Plan(Transform(a.who, tid, process, lot.material, inputs, outputs, loss, certs),
           Code::kInvalidArgument, "a transformation taking nothing of a lot");
      return true;
    }
    if (Chance(0.06)) {
      inputs[0].second = lots_[inputs[0].first].balance + 1;
      Plan(Transform(a.who, tid, process, lot.material, inputs, outputs, loss, certs),
           Code::kFailedPrecondition, "a transformation taking more than a lot holds");
      return true;
    }
    if (Chance(0.03)) {
      for (const std::string& other :
           Signers({v1::ROLE_REFINER, v1::ROLE_CUTTER, v1::ROLE_JEWELER})) {
        if (other == a.who.id) continue;
        Plan(Transform(actors_.at(other).who, tid, process, lot.material, inputs, outputs, loss),
             Code::kPermissionDenied, "a transformation by someone who does not hold the lot");
        return true;
      }
    }
    Plan(Transform(a.who, tid, process, lot.material, inputs, outputs, loss, certs), Code::kOk,
         "a transformation");
    std::optional<v1::OriginClass> origin;
    bool certified = true;
    for (const auto& [id, q] : inputs) {
      LotM& in = lots_[id];
      in.balance -= q;
      origin = origin ? Combine(*origin, in.origin) : in.origin;
      certified = certified && in.certified;
    }
    for (const Out& o : outputs) {
      lots_[o.lot_id] = LotM{.material = lot.material,
                             .unit = lot.unit,
                             .fineness = o.fineness_ppt,
                             .origin = *origin,
                             .quantity = o.quantity,
                             .balance = o.quantity,
                             .custodian = a.who.id,
                             .certified = certified};
    }
    return true;
  }

  bool Shipment() {
    std::vector<std::string> holders;
    for (const std::string& id : Signers()) {
      if (!AvailableLots(id).empty()) holders.push_back(id);
    }
    if (holders.empty()) return false;
    const Actor& a = actors_.at(Pick(holders));
    const std::string lot = Pick(AvailableLots(a.who.id));
    std::vector<std::string> to, suspended;
    for (const auto& [id, r] : actors_) {
      if (id == a.who.id || r.Has(v1::ROLE_OPERATOR) || r.Has(v1::ROLE_AUDITOR)) continue;
      (r.suspended ? suspended : to).push_back(id);
    }
    if (to.empty()) return false;
    const std::string sid = NewId("ship");
    if (Chance(0.02)) {
      Plan(Ship(a.who, sid, NewId("ghost"), Pick(to)), Code::kNotFound,
           "a shipment of an unknown lot");
      return true;
    }
    if (Chance(0.04)) {
      for (const std::string& other : Signers()) {
        if (other == a.who.id) continue;
        Plan(Ship(actors_.at(other).who, sid, lot, Pick(to)), Code::kPermissionDenied,
             "a shipment by someone who does not hold the lot");
        return true;
      }
    }
    if (Chance(0.03) && !suspended.empty()) {
      Plan(Ship(a.who, sid, lot, Pick(suspended)), Code::kFailedPrecondition,
           "a shipment to a suspended participant");
      return true;
    }
    const std::string& dest = Pick(to);
    Plan(Ship(a.who, sid, lot, dest), Code::kOk, "a shipment");
    lots_[lot].shipment = sid;
    lots_[lot].to = dest;
    return true;
  }

  bool Receipt_() {
    std::vector<std::string> in_transit;
    for (const auto& [id, l] : lots_) {
      if (!l.shipment.empty() && CanSign(actors_.at(l.to))) in_transit.push_back(id);
    }
    if (in_transit.empty()) return false;
    const std::string& id = Pick(in_transit);
    LotM& l = lots_[id];
    if (Chance(0.05)) {
      Plan(Receive(actors_.at(l.to).who, NewId("not-" + l.shipment), id), Code::kFailedPrecondition,
           "a receipt under the wrong shipment id");
      return true;
    }
    if (Chance(0.05)) {
      for (const std::string& other : Signers()) {
        if (other == l.to) continue;
        Plan(Receive(actors_.at(other).who, l.shipment, id), Code::kPermissionDenied,
             "a receipt by someone the shipment is not addressed to");
        return true;
      }
    }
    if (Chance(0.03) && CanSign(actors_.at(l.custodian))) {
      Plan(Ship(actors_.at(l.custodian).who, NewId("ship"), id, l.to), Code::kFailedPrecondition,
           "a shipment of a lot in transit");
      return true;
    }
    Plan(Receive(actors_.at(l.to).who, l.shipment, id), Code::kOk, "a receipt");
    l.custodian = l.to;
    l.shipment.clear();
    l.to.clear();
    return true;
  }

  bool NewPiece() {
    const auto jewelers = Signers({v1::ROLE_JEWELER});
    if (jewelers.empty()) return false;
    const Actor& j = actors_.at(Pick(jewelers));
    std::vector<std::string> metals = AvailableLots(j.who.id, v1::UNIT_MILLIGRAM), stones;
    for (const std::string& id : AvailableLots(j.who.id, v1::UNIT_CARAT_THOUSANDTH)) {
      if (SetsAStone(lots_[id])) stones.push_back(id);
    }
    if (metals.empty() && stones.empty()) return false;
    std::shuffle(metals.begin(), metals.end(), rng_);
    std::shuffle(stones.begin(), stones.end(), rng_);
    size_t ns = Uniform(0, std::min<int64_t>(2, stones.size()));
    size_t nm = Uniform(0, std::min<int64_t>(2, metals.size()));
    if (ns + nm == 0) (stones.empty() ? nm : ns) = 1;
    stones.resize(ns);
    metals.resize(nm);
    std::vector<Take> metal;
    bool recycled = nm > 0, lab = ns > 0, natural = ns > 0, certified = true;
    for (const std::string& id : metals) {
      const LotM& l = lots_[id];
      metal.push_back({id, Uniform(1, std::min<int64_t>(l.balance, 5000))});
      recycled = recycled && IsRecycled(l.origin);
      certified = certified && l.certified;
    }
    for (const std::string& id : stones) {
      const LotM& l = lots_[id];
      lab = lab && StoneOriginOf(l.origin) == v1::STONE_ORIGIN_LAB_GROWN;
      natural = natural && StoneOriginOf(l.origin) == v1::STONE_ORIGIN_NATURAL;
      certified = certified && l.certified;
    }
    std::vector<v1::Claim> held, missing;
    (recycled ? held : missing).push_back(v1::CLAIM_RECYCLED_METAL);
    (lab ? held : missing).push_back(v1::CLAIM_LAB_GROWN_DIAMONDS);
    (natural ? held : missing).push_back(v1::CLAIM_NATURAL_DIAMONDS);
    (certified ? held : missing).push_back(v1::CLAIM_CERTIFIED_CHAIN);
    std::vector<v1::Claim> claims;
    for (v1::Claim c : held) {
      if (Chance(0.5)) claims.push_back(c);
    }
    const std::string pid = NewId("piece");
    if (Chance(0.05) && !missing.empty()) {
      claims.push_back(Pick(missing));
      Plan(Piece(j.who, pid, stones, metal, claims), Code::kFailedPrecondition,
           "a piece asserting a claim its inputs do not support");
      return true;
    }
    if (Chance(0.03) && !metal.empty()) {
      metal[0].second = lots_[metal[0].first].balance + 1;
      Plan(Piece(j.who, pid, stones, metal, claims), Code::kFailedPrecondition,
           "a piece taking more metal than a lot holds");
      return true;
    }
    if (Chance(0.03)) {
      for (const auto& [id, l] : lots_) {
        if (l.piece.empty()) continue;
        std::vector<std::string> with = stones;
        with.push_back(id);
        Plan(Piece(j.who, pid, with, metal, claims), Code::kFailedPrecondition,
             "a piece with a stone set in another piece");
        return true;
      }
    }
    Plan(Piece(j.who, pid, stones, metal, claims), Code::kOk, "a piece");
    for (const auto& [id, q] : metal) lots_[id].balance -= q;
    for (const std::string& id : stones) lots_[id].piece = pid;
    pieces_[pid] = PieceM{.jeweler = j.who.id, .stones = stones};
    return true;
  }

  bool PieceEvent() {
    std::vector<std::string> candidates;
    for (const auto& [id, p] : pieces_) {
      if (CanSign(actors_.at(p.jeweler))) candidates.push_back(id);
    }
    if (candidates.empty()) return false;
    const std::string& id = Pick(candidates);
    PieceM& p = pieces_[id];
    const Identity& j = actors_.at(p.jeweler).who;
    const bool missing = p.last == v1::PIECE_EVENT_LOST || p.last == v1::PIECE_EVENT_STOLEN;
    const std::string owner = std::to_string(Uniform(0, 1'000'000)) + std::string(32, 'o');
    if (Chance(0.1)) {
      if (missing) {
        Plan(Lifecycle(j, id, v1::PIECE_EVENT_SOLD, owner.substr(0, 32)), Code::kFailedPrecondition,
             "a sale of a missing piece");
      } else if (Chance(0.5)) {
        Plan(Lifecycle(j, id, v1::PIECE_EVENT_SOLD, "A. Customer"), Code::kInvalidArgument,
             "a sale naming its owner");
      } else {
        Plan(Lifecycle(j, id, v1::PIECE_EVENT_RECOVERED), Code::kFailedPrecondition,
             "a recovery of a piece that is not missing");
      }
      return true;
    }
    v1::PieceEvent event = v1::PIECE_EVENT_RECOVERED;
    if (!missing) {
      event = Pick<v1::PieceEvent>({v1::PIECE_EVENT_SOLD, v1::PIECE_EVENT_SOLD,
                                    v1::PIECE_EVENT_REPAIRED, v1::PIECE_EVENT_LOST,
                                    v1::PIECE_EVENT_STOLEN});
    }
    Plan(Lifecycle(j, id, event, event == v1::PIECE_EVENT_SOLD ? owner.substr(0, 32) : ""),
         Code::kOk, "a lifecycle event");
    p.last = event;
    return true;
  }

  bool StoneSwap() {
    for (const auto& [id, p] : pieces_) {
      const Actor& j = actors_.at(p.jeweler);
      const bool missing = p.last == v1::PIECE_EVENT_LOST || p.last == v1::PIECE_EVENT_STOLEN;
      if (p.stones.empty() || missing || !CanSign(j) || !Chance(0.2)) continue;
      std::vector<std::string> spare;
      for (const std::string& s : AvailableLots(p.jeweler, v1::UNIT_CARAT_THOUSANDTH)) {
        if (SetsAStone(lots_[s])) spare.push_back(s);
      }
      if (spare.empty()) continue;
      const std::string piece_id = id;
      PieceM& piece = pieces_[piece_id];
      const size_t at = Uniform(0, piece.stones.size() - 1);
      const std::string old_stone = piece.stones[at], new_stone = Pick(spare);
      Plan(ReplaceStone(j.who, piece_id, old_stone, new_stone), Code::kOk, "a stone replacement");
      lots_[old_stone].piece.clear();
      lots_[new_stone].piece = piece_id;
      piece.stones[at] = new_stone;
      return true;
    }
    return false;
  }

  bool Error() {
    if (committed_.empty()) return false;
    const Committed& wrong = Pick(committed_);
    const std::string& signer = wrong.record.signer();
    if (Chance(0.1)) {
      for (const std::string& other : Signers()) {
        if (other == signer || actors_.at(other).Has(v1::ROLE_OPERATOR)) continue;
        Plan(DeclareError(actors_.at(other).who, wrong.index), Code::kPermissionDenied,
             "an error declared by a third party");
        return true;
      }
    }
    const Identity& by = CanSign(actors_.at(signer)) && Chance(0.7) ? actors_.at(signer).who
                                                                    : actors_.at("operator").who;
    std::optional<uint64_t> replacement;
    if (Chance(0.4)) {
      std::vector<uint64_t> later;
      for (const Committed& c : committed_) {
        if (c.index > wrong.index && c.record.signer() == signer) later.push_back(c.index);
      }
      if (!later.empty()) replacement = Pick(later);
    }
    Plan(DeclareError(by, wrong.index, replacement), Code::kOk, "an error declaration");
    return true;
  }

  bool Suspension() {
    std::vector<std::string> active, suspended;
    for (const auto& [id, a] : actors_) {
      if (a.Has(v1::ROLE_OPERATOR)) continue;
      (a.suspended ? suspended : active).push_back(id);
    }
    if (!suspended.empty() && Chance(0.2)) {
      Actor& s = actors_.at(Pick(suspended));
      Plan(GoldLot(s.who, NewId("lot"), v1::ORIGIN_CLASS_MINED, 100), Code::kPermissionDenied,
           "a record by a suspended participant");
      return true;
    }
    if (suspended.size() < 2 && (suspended.empty() || Chance(0.5))) {
      Actor& a = actors_.at(Pick(active));
      Plan(Suspended(op(), a.who.id), Code::kOk, "a suspension");
      a.suspended = true;
    } else {
      Actor& a = actors_.at(Pick(suspended));
      Plan(Reinstated(op(), a.who.id), Code::kOk, "a reinstatement");
      a.suspended = false;
      a.fresh = true;
    }
    return true;
  }

  bool KeyRotation() {
    std::vector<std::string> candidates;
    for (const std::string& id : Signers()) {
      const Actor& a = actors_.at(id);
      if (!a.Has(v1::ROLE_OPERATOR) && !a.new_key) candidates.push_back(id);
    }
    if (candidates.empty()) return false;
    Actor& a = actors_.at(Pick(candidates));
    if (a.revoked && Chance(0.3)) {
      Plan(GoldLot(*a.revoked, NewId("lot"), v1::ORIGIN_CLASS_MINED, 100), Code::kPermissionDenied,
           "a record signed with a revoked key");
      return true;
    }
    if (a.old_key) {
      const std::string key_id = a.old_key->key.public_key().Fingerprint();
      Plan(KeyRevoked(a.who, a.who.id, key_id), Code::kOk, "a key revocation");
      revoked_now_.insert(key_id);
      a.revoked = a.old_key;
      a.old_key.reset();
    } else {
      Identity next{a.who.id, PrivateKey::Generate().value()};
      LearnKey(next);
      Plan(KeyAdded(a.who, a.who.id, next.key.public_key()), Code::kOk, "a key addition");
      a.new_key = next;
    }
    return true;
  }

  // The log policy's time rules (ledger/provenance/log_policy.h): a lot dated further back
  // than the bound, or marked as an import of history the policy does not allow.
  bool OutOfTime() {
    const auto who = Signers({v1::ROLE_MINER, v1::ROLE_REFINER});
    if (who.empty()) return false;
    const Actor& a = actors_.at(Pick(who));
    v1::Record r = GoldLot(a.who, NewId("lot"), v1::ORIGIN_CLASS_MINED, 100);
    if (Chance(0.5)) {
      r.set_event_time_micros(r.event_time_micros() - 4 * kDayMicros);
      Plan(r, Code::kFailedPrecondition, "a lot dated past the backdating bound");
    } else {
      r.set_history_import(true);
      Plan(r, Code::kFailedPrecondition, "a lot marked as an import the policy does not allow");
    }
    return true;
  }

  bool Replay() {
    std::vector<const Committed*> candidates;
    for (const Committed& c : committed_) {
      if (!suspended_committed_.at(c.record.signer()) &&
          !revoked_committed_.count(c.record.key_id())) {
        candidates.push_back(&c);
      }
    }
    if (candidates.empty()) return false;
    const Committed& c = *Pick(candidates);
    if (Chance(0.5)) {
      PlanSigned(c.signed_record, c.record, Code::kOk, "an idempotent retry", true);
    } else {
      v1::Record other = c.record;
      other.set_event_time_micros(other.event_time_micros() + 1);
      Plan(other, Code::kAlreadyExists, "other bytes under a used record id");
    }
    return true;
  }

  // ---------------------------------------------------------------- checks

  // The ledger's state agrees with the model, object by object.
  void ExpectStateMatchesModel() {
    for (const auto& [id, m] : lots_) {
      const v1::LotState l = GetLot(id);
      ASSERT_EQ(l.lot_id(), id);
      EXPECT_EQ(l.balance(), m.balance) << id;
      EXPECT_EQ(l.custodian(), m.custodian) << id;
      EXPECT_EQ(l.shipment_id(), m.shipment) << id;
      EXPECT_EQ(l.in_transit_to(), m.to) << id;
      EXPECT_EQ(l.active_piece(), m.piece) << id;
      EXPECT_EQ(l.origin_class(), m.origin) << id;
      EXPECT_EQ(l.certified(), m.certified) << id;
      EXPECT_EQ(l.grading_report_id(), m.grading) << id;
      EXPECT_GE(l.balance(), 0) << id;
    }
    for (const auto& [id, m] : pieces_) {
      const v1::PieceState p = GetPiece(id);
      EXPECT_EQ(p.jeweler(), m.jeweler) << id;
      EXPECT_EQ(p.last_event(), m.last) << id;
      EXPECT_THAT(p.stone_lot_ids(), ::testing::ElementsAreArray(m.stones)) << id;
    }
    for (const auto& [id, a] : actors_) {
      EXPECT_EQ(GetParticipant(id).suspended(), a.suspended) << id;
    }
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  uint64_t ids_ = 0;
  std::map<std::string, Actor> actors_;
  std::map<std::string, LotM> lots_;
  std::map<std::string, Cert> certs_;
  std::map<std::string, PieceM> pieces_;
  std::vector<Planned> batch_;
  std::vector<Committed> committed_;
  std::map<std::string, bool> suspended_committed_;
  std::set<std::string> revoked_now_, revoked_committed_;
  std::map<std::string, int> by_code_;
  size_t planned_ = 0;
  uint64_t expected_appended_ = 0;
  uint64_t base_size_ = 0;
  bool diverged_ = false;
};

TEST_F(RebuildTest, StateRebuiltFromALongRandomizedLogEqualsTheStoredState) {
  const uint64_t seed = Seed();
  std::cout << "[ rebuild  ] seed " << seed << " (TOUCHSTONE_RULES_SEED=" << seed << " replays it)"
            << std::endl;
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  Populate(seed, 3000);
  ASSERT_FALSE(diverged_) << "the ledger decided a record otherwise than the rules predict";
  std::cout << "[ rebuild  ] " << planned_ << " records submitted:";
  for (const auto& [code, n] : by_code_) std::cout << " " << code << " " << n;
  std::cout << "; " << lots_.size() << " lots, " << pieces_.size() << " pieces, " << certs_.size()
            << " certificates" << std::endl;
  EXPECT_EQ(ledger().Size(), base_size_ + expected_appended_);
  for (const char* code : {"INVALID_ARGUMENT", "NOT_FOUND", "PERMISSION_DENIED",
                           "FAILED_PRECONDITION", "ALREADY_EXISTS"}) {
    EXPECT_GT(by_code_[code], 0) << "the run refused nothing with " << code;
  }
  ExpectStateMatchesModel();

  absl::StatusOr<MemoryState> rebuilt =
      RebuildState(ledger().store(), ledger().Size(), RuleOptions());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_GT(rebuilt->values().size(), lots_.size() + pieces_.size());
  absl::Status same = CompareState(*rebuilt, ledger().store());
  EXPECT_TRUE(same.ok()) << same;
}

TEST_F(RebuildTest, CompareStateNamesAKeyAlteredOrAddedBehindTheLedgersBack) {
  const uint64_t seed = Seed();
  std::cout << "[ rebuild  ] seed " << seed << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Populate(seed, 300);
  ASSERT_FALSE(diverged_);
  ASSERT_FALSE(lots_.empty());
  const std::string lot_id = lots_.begin()->first;
  CloseLedger();

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.path = data_dir() + "/db"});
  ASSERT_TRUE(store.ok()) << store.status();
  const uint64_t size = (*store)->ReadTreeSize().value();
  absl::StatusOr<MemoryState> rebuilt = RebuildState(**store, size, RuleOptions());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ASSERT_TRUE(CompareState(*rebuilt, **store).ok());

  // One lot's balance nudged up: the key is named.
  const std::string key = LotKey(lot_id);
  const std::string original = (*store)->GetState(key).value().value();
  v1::LotState altered;
  ASSERT_TRUE(altered.ParseFromString(original));
  altered.set_balance(altered.balance() + 1);
  StoreBatch alter = (*store)->NewBatch();
  alter.PutState(key, altered.SerializeAsString());
  ASSERT_TRUE((*store)->Commit(alter).ok());
  absl::Status compared = CompareState(*rebuilt, **store);
  EXPECT_EQ(compared.code(), Code::kDataLoss) << compared;
  EXPECT_THAT(std::string(compared.message()),
              HasSubstr("stored state '" + key + "' differs from what the log produces"));
  // Rebuilding again reads only the log, so it still disagrees with the store.
  absl::StatusOr<MemoryState> again = RebuildState(**store, size, RuleOptions());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(CompareState(*again, **store).code(), Code::kDataLoss);

  // Put back, then a key the log never made.
  StoreBatch restore = (*store)->NewBatch();
  restore.PutState(key, original);
  ASSERT_TRUE((*store)->Commit(restore).ok());
  ASSERT_TRUE(CompareState(*rebuilt, **store).ok());
  StoreBatch forge = (*store)->NewBatch();
  forge.PutState(LotKey("zz-forged"), altered.SerializeAsString());
  ASSERT_TRUE((*store)->Commit(forge).ok());
  compared = CompareState(*rebuilt, **store);
  EXPECT_EQ(compared.code(), Code::kDataLoss) << compared;
  EXPECT_THAT(std::string(compared.message()),
              HasSubstr("stored state has 'lot/zz-forged', which the log does not produce"));
}

}  // namespace
}  // namespace touchstone
