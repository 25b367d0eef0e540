// Mass-balance credit arithmetic (see mass_balance.h).
#include "ledger/provenance/mass_balance.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/strings.h"

namespace touchstone {

absl::StatusOr<CreditBook> ApplyCredit(const CreditBook& book, bool allocation, int64_t fine,
                                       uint64_t seq, int64_t balance_after,
                                       std::string_view account_id) {
  if (fine <= 0) {
    return absl::InvalidArgumentError("a booking or allocation needs fine units greater than 0");
  }
  if (seq != book.seq + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass balance rule: account '", Sv(account_id), "' has ", book.seq,
                     " records; this one must be number ", book.seq + 1, ", not ", seq,
                     " (a record is missing or misnumbered)"));
  }
  if (allocation && fine > book.balance) {
    return absl::FailedPreconditionError(
        absl::StrCat("mass balance rule: account '", Sv(account_id), "' holds ", book.balance,
                     " fine units of credit; the allocation spends ", fine));
  }
  if (!allocation && fine > INT64_MAX - book.balance) {
    return absl::InvalidArgumentError("the booking overflows the account");
  }
  const CreditBook after{seq, allocation ? book.balance - fine : book.balance + fine};
  if (balance_after != after.balance) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass balance rule: record ", seq, " of account '", Sv(account_id),
        "' states a balance of ", balance_after, "; its records make ", after.balance));
  }
  return after;
}

absl::Status CheckPeriod(int64_t t, int64_t start, int64_t end, std::string_view account_id) {
  if (t < start || t >= end) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mass balance rule: account '", Sv(account_id), "' covers ",
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(start), absl::UTCTimeZone()), " to ",
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(end), absl::UTCTimeZone()),
        "; the record is dated ",
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(t), absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

int32_t AllocatedShareBp(int64_t fine, int64_t lot_fine) {
  if (lot_fine <= 0 || fine <= 0) return 0;
  return static_cast<int32_t>(static_cast<__int128>(fine) * 10000 / lot_fine);
}

}  // namespace touchstone
