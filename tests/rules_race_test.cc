// Concurrent submitters racing for the same lot: the single sequencer accepts
// exactly the takes that fit, a balance never goes negative, and what is left
// is the quantity minus what was accepted.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iostream>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;

constexpr v1::OriginClass kPostConsumer = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
constexpr int kThreads = 16;

class RulesRaceTest : public testing::RulesFixture {
 protected:
  // One racing record and what became of it.
  struct Attempt {
    std::string lot;
    int64_t take = 0;  // 0 for a shipment
    v1::Record record;
    absl::StatusOr<Receipt> result = absl::UnknownError("not submitted");
  };

  // Submits every attempt, thread t taking attempts t, t + kThreads, ...,
  // all released at once, while a watcher reads the lots' balances.
  void Race(std::vector<Attempt>& attempts, const std::vector<std::string>& watched) {
    std::vector<std::pair<std::string, std::string>> signed_records;
    for (const Attempt& a : attempts) signed_records.push_back(Sign(a.record));
    std::latch start(kThreads + 1);
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      std::map<std::string, int64_t> last;
      while (!done.load()) {
        for (const std::string& id : watched) {
          const v1::LotState lot = GetLot(id);
          EXPECT_GE(lot.balance(), 0) << id;
          EXPECT_LE(lot.balance(), lot.quantity()) << id;
          auto [it, fresh] = last.emplace(id, lot.balance());
          EXPECT_LE(lot.balance(), it->second) << id << ": a balance grew back";
          it->second = lot.balance();
        }
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (size_t i = t; i < attempts.size(); i += kThreads) {
          attempts[i].result = ledger().Submit(signed_records[i].first, signed_records[i].second);
        }
      });
    }
    start.arrive_and_wait();
    for (auto& th : threads) th.join();
    done = true;
    watcher.join();
  }

  // The indices of the accepted attempts on `lot`, checking every refusal is
  // FAILED_PRECONDITION naming `refusal`.
  std::vector<uint64_t> Accepted(const std::vector<Attempt>& attempts, const std::string& lot,
                                 const std::string& refusal) {
    std::vector<uint64_t> indices;
    for (const Attempt& a : attempts) {
      if (a.lot != lot) continue;
      if (a.result.ok()) {
        EXPECT_FALSE(a.result->duplicate);
        indices.push_back(a.result->index);
      } else {
        EXPECT_EQ(a.result.status().code(), absl::StatusCode::kFailedPrecondition)
            << a.result.status();
        EXPECT_THAT(std::string(a.result.status().message()), HasSubstr(refusal));
      }
    }
    return indices;
  }

  // Every index of the lot's history from `since` on.
  std::vector<uint64_t> HistorySince(const std::string& lot, uint64_t since) {
    std::vector<uint64_t> out;
    const v1::LotState state = GetLot(lot);
    for (uint64_t i : state.history()) {
      if (i >= since) out.push_back(i);
    }
    return out;
  }
};

TEST_F(RulesRaceTest, RacersForMoreThanHalfOfALotGetExactlyOneTake) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  std::vector<Identity> recipients;
  for (int i = 0; i < 4; ++i) {
    recipients.push_back(Register("recipient-" + std::to_string(i), v1::ROLE_JEWELER));
  }
  for (const char* lot : {"half", "parcel"}) {
    Accept(GoldLot(refiner, lot, kPostConsumer, 1000));
    Transfer(refiner, jeweler, lot);
  }

  // Every racer dates its record the same instant, so only the balance and
  // custody rules decide.
  const int64_t t = NextTime();
  std::vector<Attempt> attempts;
  for (int i = 0; i < 2 * kThreads; ++i) {
    Attempt a{.lot = "half", .take = 600};
    const std::string n = std::to_string(i);
    a.record = i % 2 == 0 ? Piece(jeweler, "ring-" + n, {}, {{"half", 600}})
                          : Split(jeweler, "t-" + n, "half", 600, "half-" + n);
    a.record.set_event_time_micros(t);
    attempts.push_back(std::move(a));
    Attempt s{.lot = "parcel"};
    s.record = Ship(jeweler, "race-" + n, "parcel", recipients[i % recipients.size()].id);
    s.record.set_event_time_micros(t);
    attempts.push_back(std::move(s));
  }
  const uint64_t base = ledger().Size();
  Race(attempts, {"half", "parcel"});

  const std::vector<uint64_t> takes = Accepted(attempts, "half", "balance rule: lot 'half'");
  ASSERT_EQ(takes.size(), 1u);
  EXPECT_EQ(GetLot("half").balance(), 400);
  EXPECT_EQ(HistorySince("half", base), takes);

  const std::vector<uint64_t> shipments =
      Accepted(attempts, "parcel", "custody rule: lot 'parcel' is in transit");
  ASSERT_EQ(shipments.size(), 1u);
  for (const Attempt& a : attempts) {
    if (a.lot != "parcel" || !a.result.ok()) continue;
    const v1::LotState parcel = GetLot("parcel");
    EXPECT_EQ(parcel.shipment_id(), a.record.custody_shipped().shipment_id());
    EXPECT_EQ(parcel.in_transit_to(), a.record.custody_shipped().to_participant());
    EXPECT_EQ(parcel.balance(), 1000);
  }
  EXPECT_EQ(ledger().Size(), base + 2);
}

TEST_F(RulesRaceTest, RacersWithMixedTakesAcceptExactlyThoseThatFit) {
  const uint64_t seed = std::random_device()();
  std::cout << "[ race     ] seed " << seed << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);

  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  constexpr int64_t kQuantity = 10'000;
  Accept(GoldLot(refiner, "pool", kPostConsumer, kQuantity));
  Transfer(refiner, jeweler, "pool");

  const int64_t t = NextTime();
  std::vector<Attempt> attempts;
  int64_t asked = 0;
  for (int i = 0; i < 4 * kThreads; ++i) {
    Attempt a{.lot = "pool", .take = std::uniform_int_distribution<int64_t>(100, 900)(rng)};
    const std::string n = std::to_string(i);
    a.record = i % 2 == 0 ? Piece(jeweler, "ring-" + n, {}, {{"pool", a.take}})
                          : Split(jeweler, "t-" + n, "pool", a.take, "pool-" + n);
    a.record.set_event_time_micros(t);
    asked += a.take;
    attempts.push_back(std::move(a));
  }
  ASSERT_GT(asked, kQuantity);  // not everyone fits
  const uint64_t base = ledger().Size();
  Race(attempts, {"pool"});

  const std::vector<uint64_t> accepted = Accepted(attempts, "pool", "balance rule: lot 'pool'");
  int64_t taken = 0;
  for (const Attempt& a : attempts) {
    if (a.result.ok()) taken += a.take;
  }
  const int64_t balance = GetLot("pool").balance();
  EXPECT_LE(taken, kQuantity);
  EXPECT_EQ(balance, kQuantity - taken);
  EXPECT_EQ(ledger().Size(), base + accepted.size());
  EXPECT_EQ(std::set<uint64_t>(accepted.begin(), accepted.end()).size(), accepted.size());
  // The balance only ever shrank, so a refused take that would fit in what is
  // left now would have fit when it was checked: none may exist.
  for (const Attempt& a : attempts) {
    if (!a.result.ok()) {
      EXPECT_GT(a.take, balance) << "a take that fits was refused";
    }
  }
  // The lot's history holds exactly the accepted takes, in log order.
  std::vector<uint64_t> sorted = accepted;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(HistorySince("pool", base), sorted);
}

}  // namespace
}  // namespace touchstone
