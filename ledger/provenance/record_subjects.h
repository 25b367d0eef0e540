// What a record concerns, read from the record alone: the one reading that
// subscriptions filter by (ledger/watch.h) and that a client checks a watched
// entry against (ledger/bundle/watch_check.h).
//
// A record concerns its signer and every participant, lot, piece and
// certificate id its body names (the table is RecordSubjectsOf in the .cc, one
// case per Record.body field). What only the log can tell (the record an
// ErrorDeclared corrects, the pieces a certificate's status change reaches) is
// added by the watcher, not here.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_RECORD_SUBJECTS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_RECORD_SUBJECTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "proto/record.pb.h"

namespace touchstone {

// Ids a record concerns, by kind. Thread-compatible value.
struct RecordSubjects {
  absl::flat_hash_set<std::string> participants;
  absl::flat_hash_set<std::string> lots;
  absl::flat_hash_set<std::string> pieces;
  absl::flat_hash_set<std::string> certificates;

  // Adds every id of `other`.
  void Merge(const RecordSubjects& other);
};

// The ids `record` concerns (see above). Empty ids are left out.
RecordSubjects RecordSubjectsOf(const v1::Record& record);

// The record's body field name ("lot_created", "custody_shipped", ...); "" if
// no body is set.
std::string RecordTypeName(const v1::Record& record);

// True if `name` is a Record.body field name.
bool IsRecordTypeName(std::string_view name);

// Every Record.body field name, in field-number order (for error messages).
std::vector<std::string> RecordTypeNames();

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_RECORD_SUBJECTS_H_
