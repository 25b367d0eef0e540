// Mass-balance credit accounts (CreditAccountOpened, CreditBooked,
// CreditAllocated): the arithmetic and the period rule. One definition shared
// by the rules (rules_trade.cc, from the account's state) and the offline
// bundle verifier (replaying the account's records a bundle carries);
// services/web/verify.js mirrors it.
//
// An account's records are numbered from 1 (`seq`) and each states the
// balance after it. A booking adds its fine units; an allocation spends them
// and may never spend more than the balance. A bundle whose piece relies on an
// allocation carries the account's opening and its records 1..seq of that
// allocation, so "no credit was allocated twice" is re-checked offline.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_MASS_BALANCE_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_MASS_BALANCE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace touchstone {

// An account's running book. Value type.
struct CreditBook {
  uint64_t seq = 0;     // records so far
  int64_t balance = 0;  // fine units (milligrams x ptt)
};

// The book after a booking (`allocation` false) or an allocation of `fine`
// fine units stating `seq` and `balance_after`. INVALID_ARGUMENT if fine <= 0;
// FAILED_PRECONDITION "mass balance rule: ..." if seq is not the next one, an
// allocation exceeds the balance, or balance_after is not the true balance.
[[nodiscard]] absl::StatusOr<CreditBook> ApplyCredit(const CreditBook& book, bool allocation,
                                                     int64_t fine, uint64_t seq,
                                                     int64_t balance_after,
                                                     std::string_view account_id);

// OK if `t` lies in the account's period [start, end); FAILED_PRECONDITION
// "mass balance rule: ..." otherwise.
[[nodiscard]] absl::Status CheckPeriod(int64_t t, int64_t start, int64_t end,
                                       std::string_view account_id);

// The share of a lot's fine weight `lot_fine` that `fine` allocated credit
// covers, in basis points, rounded down.
int32_t AllocatedShareBp(int64_t fine, int64_t lot_fine);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_MASS_BALANCE_H_
