// The client's scratch copy of a log: entries in, tree nodes computed here.
#include "ledger/log_mirror.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"

namespace touchstone {
namespace {

// Entries buffered before a write to the scratch store.
constexpr uint64_t kFlushEvery = 10000;

}  // namespace

LogMirror::LogMirror(std::string dir, std::unique_ptr<Store> store)
    : dir_(std::move(dir)), store_(std::move(store)), batch_(store_->NewBatch()) {}

LogMirror::~LogMirror() {
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::StatusOr<std::unique_ptr<LogMirror>> LogMirror::Create() {
  std::string dir = (std::filesystem::temp_directory_path() / "touchstone-mirror-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot make a temporary directory ", dir));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.path = dir + "/db"});
  if (!store.ok()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return store.status();
  }
  return std::unique_ptr<LogMirror>(new LogMirror(dir, *std::move(store)));
}

absl::Status LogMirror::Append(std::string_view entry) {
  const uint64_t index = tree_.size();
  batch_.PutEntry(index, entry);
  std::vector<NewNode> nodes;
  tree_.Append(LeafHash(entry), &nodes);
  for (const NewNode& n : nodes) batch_.PutNode(n.level, n.index, n.hash);
  if (++buffered_ >= kFlushEvery) return Flush();
  return absl::OkStatus();
}

absl::Status LogMirror::Flush() {
  if (buffered_ == 0) return absl::OkStatus();
  RETURN_IF_ERROR(store_->Commit(batch_));
  batch_ = store_->NewBatch();
  buffered_ = 0;
  return absl::OkStatus();
}

NodeReader LogMirror::Nodes() const {
  return [this](int level, uint64_t index) { return store_->GetNode(level, index); };
}

absl::StatusOr<Hash> LogMirror::RootAt(uint64_t size) const {
  if (size > tree_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("the mirror holds ", tree_.size(), " entries, not ", size));
  }
  if (size == tree_.size()) return tree_.Root();
  return RootFromNodes(size, Nodes());
}

absl::StatusOr<std::vector<Hash>> LogMirror::InclusionProof(uint64_t index, uint64_t size) const {
  if (index >= size || size > tree_.size()) {
    return absl::OutOfRangeError(absl::StrCat("no entry ", index, " in a tree of ", size,
                                              " (the mirror holds ", tree_.size(), ")"));
  }
  return touchstone::InclusionProof(index, size, Nodes());
}

}  // namespace touchstone
