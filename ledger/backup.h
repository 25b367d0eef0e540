// Backups of a running ledger, and restoring one. A backup is a complete data
// directory: "db/" (a RocksDB checkpoint of the database, consistent at one
// commit) and "operator.pem" (the operator key, mode 0600), so that a server
// started on a restored copy continues the same log.
#ifndef TOUCHSTONE_LEDGER_BACKUP_H_
#define TOUCHSTONE_LEDGER_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/audit.h"
#include "ledger/log/keys.h"
#include "ledger/store/store.h"

namespace touchstone {

struct BackupInfo {
  std::string path;        // the new backup directory
  uint64_t size = 0;       // the log size it holds
  std::string checkpoint;  // the signed checkpoint at that size
};

// Writes a backup of `store` and `operator_key` into a new directory under
// `root` (created with mode 0700 if missing), named
// "backup-<UTC time of `now`>-size-<N>"; commits may continue meanwhile. The
// directory appears only once complete. RESOURCE_EXHAUSTED / UNAVAILABLE if it
// cannot be written (nothing is left behind); DATA_LOSS if the copy does not
// hold a checkpoint at its size.
[[nodiscard]] absl::StatusOr<BackupInfo> WriteBackup(const Store& store,
                                                     const PrivateKey& operator_key,
                                                     const std::string& root, absl::Time now);

// Restores the backup in `backup_dir` as the data directory `data_dir`, which
// must not exist or be empty (ALREADY_EXISTS otherwise): audits the backup from
// genesis first (AuditStore; its DATA_LOSS if it fails, and nothing is written),
// then copies it. NOT_FOUND if the backup lacks db/ or operator.pem;
// FAILED_PRECONDITION if its key file is readable by others. Returns the audit.
[[nodiscard]] absl::StatusOr<AuditReport> RestoreBackup(const std::string& backup_dir,
                                                        const std::string& data_dir);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BACKUP_H_
