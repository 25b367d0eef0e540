// Two small macros for early return on error (Debian's abseil predates its own).
#ifndef TOUCHSTONE_LEDGER_BASE_STATUS_MACROS_H_
#define TOUCHSTONE_LEDGER_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TS_CONCAT_INNER_(a, b) a##b
#define TS_CONCAT_(a, b) TS_CONCAT_INNER_(a, b)

// Evaluates an expression returning absl::Status; returns it from the caller if not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status ts_status_ = (expr);      \
    if (!ts_status_.ok()) return ts_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, StatusOrExpr()); returns the error status if not OK.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(TS_CONCAT_(ts_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // TOUCHSTONE_LEDGER_BASE_STATUS_MACROS_H_
