// Writing and restoring backups (see backup.h).
#include "ledger/backup.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"

namespace touchstone {
namespace {

namespace fs = std::filesystem;

[[nodiscard]] absl::Status FsError(const std::error_code& ec, const char* what,
                                   const std::string& path) {
  const bool full = ec.value() == ENOSPC || ec.value() == EFBIG || ec.value() == EDQUOT;
  const std::string msg = absl::StrCat(what, " ", path, ": ", ec.message());
  return full ? absl::ResourceExhaustedError(msg) : absl::UnavailableError(msg);
}

// Removes a directory tree when it goes out of scope, unless released.
struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

[[nodiscard]] absl::StatusOr<BackupInfo> WriteBackup(const Store& store,
                                                     const PrivateKey& operator_key,
                                                     const std::string& root, absl::Time now) {
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    fs::create_directories(root, ec);
    if (ec) return FsError(ec, "cannot create backup directory", root);
    ::chmod(root.c_str(), 0700);
  }
  std::string partial = root + "/.partial-XXXXXX";
  if (::mkdtemp(partial.data()) == nullptr) {
    return FsError(std::error_code(errno, std::generic_category()), "cannot create a directory in",
                   root);
  }
  RemoveOnExit cleanup{partial};
  RETURN_IF_ERROR(store.CreateCheckpoint(partial + "/db"));
  RETURN_IF_ERROR(operator_key.SavePemFile(partial + "/operator.pem"));
  BackupInfo info;
  {
    ASSIGN_OR_RETURN(
        std::unique_ptr<Store> copy,
        Store::Open({.path = partial + "/db", .create_if_missing = false, .read_only = true}));
    ASSIGN_OR_RETURN(info.size, copy->ReadTreeSize());
    ASSIGN_OR_RETURN(info.checkpoint, copy->GetCheckpoint(info.size));
  }
  info.path =
      absl::StrCat(root, "/backup-", absl::FormatTime("%Y%m%dT%H%M%E3SZ", now, absl::UTCTimeZone()),
                   "-size-", info.size);
  fs::rename(partial, info.path, ec);
  if (ec) return FsError(ec, "cannot rename the backup to", info.path);
  cleanup.path.clear();
  SyncDir(root);
  return info;
}

[[nodiscard]] absl::StatusOr<AuditReport> RestoreBackup(const std::string& backup_dir,
                                                        const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !(fs::is_directory(data_dir, ec) && fs::is_empty(data_dir, ec))) {
    return absl::AlreadyExistsError(
        absl::StrCat(data_dir, " exists and is not empty; restore into a new directory"));
  }
  const std::string db = backup_dir + "/db";
  const std::string key = backup_dir + "/operator.pem";
  if (!fs::is_directory(db, ec)) {
    return absl::NotFoundError(absl::StrCat(backup_dir, " is not a backup: it has no db/"));
  }
  if (absl::Status s = CheckKeyFileIsPrivate(key); !s.ok()) {
    if (absl::IsNotFound(s)) {
      return absl::NotFoundError(
          absl::StrCat(backup_dir, " is not a backup: it has no operator.pem"));
    }
    return s;
  }
  AuditReport report;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                     Store::Open({.path = db, .create_if_missing = false, .read_only = true}));
    absl::StatusOr<AuditReport> audit = AuditStore(*store, AuditOptions());
    if (!audit.ok()) {
      return absl::Status(
          audit.status().code(),
          absl::StrCat("the backup fails its audit; nothing restored: ", audit.status().message()));
    }
    report = *std::move(audit);
  }
  const std::string partial = data_dir + ".restoring";
  fs::remove_all(partial, ec);
  RemoveOnExit cleanup{partial};
  fs::create_directories(partial, ec);
  if (ec) return FsError(ec, "cannot create", partial);
  ::chmod(partial.c_str(), 0700);
  fs::copy(db, partial + "/db", fs::copy_options::recursive, ec);
  if (ec) return FsError(ec, "cannot copy the backup to", partial);
  fs::copy_file(key, partial + "/operator.pem", ec);
  if (ec) return FsError(ec, "cannot copy the operator key to", partial);
  ::chmod((partial + "/operator.pem").c_str(), 0600);
  ::sync();  // every copied file durable before the directory takes its name
  if (fs::exists(data_dir, ec)) fs::remove(data_dir, ec);
  fs::rename(partial, data_dir, ec);
  if (ec) return FsError(ec, "cannot rename the restored copy to", data_dir);
  cleanup.path.clear();
  return report;
}

}  // namespace touchstone
