// Rebuild equals live for a randomized log of the trade's records (rules
// version 2): parcels drawn by random counts (some past their count, some with
// a misstated remainder), recycled and mined gold, mass-balance bookings and
// allocations (some over the balance), transformations at the account's site,
// pieces taking whole parcels with material claims, and shipments of natural
// rough. Accepted and refused records interleave; the state rebuilt from the
// log alone must equal the state the ledger kept, key for key.
// TOUCHSTONE_RULES_SEED replays a run.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/store/store.h"
#include "tests/trade_test_util.h"

namespace touchstone::testing {
namespace {

class TradeRebuildTest : public TradeFixture {};

TEST_F(TradeRebuildTest, StateRebuiltFromARandomizedTradeLogEqualsTheLiveState) {
  uint64_t seed = std::random_device()();
  if (const char* s = std::getenv("TOUCHSTONE_RULES_SEED")) seed = std::strtoull(s, nullptr, 10);
  SCOPED_TRACE("TOUCHSTONE_RULES_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t start = NextTime() - kHourMicros;
  Accept(Cert(rjc, "coc", "rjc-coc", refiner.id));
  Accept(Cert(scs, "scs", "scs-recycled", refiner.id));
  Accept(KpCert("kp", miner.id, 1'000'000));
  Accept(AccountOpened(refiner, "acct", "site-S", "coc", start, start + 30 * 24 * kHourMicros));
  struct Parcel {
    std::string id;
    int64_t stones, weight;
  };
  std::vector<Parcel> parcels;
  std::vector<std::string> booked_lots, site_lots;
  uint64_t seq = 0;
  int64_t balance = 0;
  int accepted = 0, refused = 0, n = 0;
  auto submit = [&](const v1::Record& r) {
    absl::StatusOr<Receipt> receipt = Submit(r);
    receipt.ok() ? ++accepted : ++refused;
    return receipt.ok();
  };
  for (int step = 0; step < 160; ++step) {
    const std::string id = "x" + std::to_string(++n);
    switch (pick(0, 6)) {
      case 0: {  // a new lab-grown parcel
        const int64_t stones = pick(1, 60), weight = stones * pick(5, 30);
        if (submit(ParcelLot(grower, id, v1::ORIGIN_CLASS_LAB_GROWN, stones, weight))) {
          parcels.push_back({id, stones, weight});
        }
        break;
      }
      case 1: {  // a draw: sometimes past the count, sometimes misstated
        if (parcels.empty()) break;
        Parcel& p = parcels[pick(0, parcels.size() - 1)];
        const int64_t k = pick(1, p.stones + 2);
        const int64_t w =
            k >= p.stones ? p.weight : std::max<int64_t>(1, p.weight * k / p.stones - pick(0, 1));
        const int64_t lie = pick(0, 5) == 0 ? 1 : 0;
        const bool ok = submit(TransformT(grower, "t" + id, v1::PROCESS_SPLIT, "diamond",
                                          {{p.id, w, k, p.stones - k + lie, p.weight - w}},
                                          {{id, w, 10000, k}}));
        if (ok) {
          p.stones -= k;
          p.weight -= w;
          parcels.push_back({id, k, w});
        }
        break;
      }
      case 2: {  // recycled gold, booked (or a booking misstated)
        const int64_t mg = pick(100, 5000);
        if (!submit(LotT(refiner, id, "gold", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, mg, 10000,
                         {"scs"}))) {
          break;
        }
        const int64_t wrong = pick(0, 4) == 0 ? 1 : 0;
        if (submit(
                Booked(refiner, "acct", id, mg * 10000, seq + 1, balance + mg * 10000 + wrong))) {
          ++seq;
          balance += mg * 10000;
          booked_lots.push_back(id);
        }
        break;
      }
      case 3: {  // mined gold refined at the site with booked gold
        const int64_t mg = pick(100, 5000);
        if (!submit(LotT(refiner, "m" + id, "gold", v1::ORIGIN_CLASS_MINED, mg, 10000))) break;
        std::vector<In> in = {{"m" + id, mg}};
        int64_t total = mg;
        if (!booked_lots.empty()) {
          const std::string b = booked_lots.back();
          booked_lots.pop_back();
          const int64_t q = GetLot(b).balance();
          in.push_back({b, q});
          total += q;
        }
        if (submit(TransformT(refiner, "t" + id, v1::PROCESS_REFINE, "gold", in,
                              {{id, total, 10000}}, 0, "site-S"))) {
          site_lots.push_back(id);
        }
        break;
      }
      case 4: {  // an allocation, sometimes more than the balance
        if (site_lots.empty()) break;
        const std::string lot = site_lots[pick(0, site_lots.size() - 1)];
        const int64_t lot_fine = GetLot(lot).quantity() * 10000;
        const int64_t fine =
            std::min(lot_fine, pick(1, std::max<int64_t>(1, balance + balance / 4)));
        if (submit(Allocated(refiner, "acct", lot, fine, seq + 1, balance - fine))) {
          ++seq;
          balance -= fine;
        }
        break;
      }
      case 5: {  // a piece with a whole parcel (or part of one: refused)
        if (parcels.empty()) break;
        const size_t i = pick(0, parcels.size() - 1);
        Parcel p = parcels[i];
        if (p.stones == 0) break;
        Transfer(grower, jeweler, p.id);
        const int64_t k = pick(0, 3) == 0 ? p.stones - 1 : p.stones;
        if (submit(PieceT(
                jeweler, "P" + id, "lab-grown pave", {}, {}, {{p.id, k}},
                {Claim("diamond", v1::ATTRIBUTE_LAB_GROWN, v1::CUSTODY_MODEL_SEGREGATED, 10000)},
                ""))) {
          parcels.erase(parcels.begin() + i);
        } else {
          parcels.erase(parcels.begin() + i);  // held by the jeweler now
        }
        break;
      }
      case 6: {  // natural rough shipped with or without the statement
        if (!submit(
                LotT(miner, id, "diamond", v1::ORIGIN_CLASS_MINED, pick(1, 900), 10000, {"kp"}))) {
          break;
        }
        if (submit(ShipT(miner, "s" + id, id, cutter.id,
                         pick(0, 2) == 0 ? "" : kSystemOfWarranties))) {
          EXPECT_TRUE(submit(Receive(cutter, "s" + id, id)));
        }
        break;
      }
    }
  }
  EXPECT_GT(accepted, 60);
  EXPECT_GT(refused, 5);
  EXPECT_EQ(GetAccount("acct").balance(), balance);
  EXPECT_EQ(GetAccount("acct").seq(), seq);
  const uint64_t size = ledger().Size();
  CloseLedger();
  auto store = Store::Open({.path = data_dir() + "/db"}).value();
  absl::StatusOr<MemoryState> rebuilt = RebuildState(*store, size, RuleOptions());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  const absl::Status same = CompareState(*rebuilt, *store);
  EXPECT_TRUE(same.ok()) << same;
}

}  // namespace
}  // namespace touchstone::testing
