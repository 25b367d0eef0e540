// Writing and verifying a C2SP tlog-tiles export.
#include "ledger/tiles.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

namespace fs = std::filesystem;

std::string WidthSuffix(uint64_t width) {
  return width < kTileWidth ? absl::StrCat(".p/", width) : std::string();
}

// Writes `data` to `path` durably (ledger/base/files.h), creating its directory.
[[nodiscard]] absl::Status WriteAtomically(const std::string& path, std::string_view data) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the directory of ", Sv(path), ": ", Sv(ec.message())));
  }
  return ReplaceFileDurably(path, data, 0644);
}

bool IsRegularFileOfSize(const std::string& path, uintmax_t size) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) == size && !ec;
}

// Checks that entry 0 is the genesis of the log `verifier` names, signed by
// the key it registers; returns the log's checkpoint keys from there.
[[nodiscard]] absl::StatusOr<CheckpointKeys> CheckGenesis(std::string_view entry,
                                                          const EntryView& e,
                                                          const NoteVerifier& verifier,
                                                          const std::string& bundle) {
  v1::Record r;
  if (!r.ParseFromArray(e.record.data(), static_cast<int>(e.record.size())) || !r.has_genesis()) {
    return absl::DataLossError(absl::StrCat(Sv(bundle), ": entry 0 is not a genesis record"));
  }
  if (r.genesis().origin() != verifier.name) {
    return absl::DataLossError(absl::StrCat(Sv(bundle), ": entry 0 is the genesis of log \"",
                                            r.genesis().origin(), "\", not of ",
                                            Sv(verifier.name)));
  }
  absl::StatusOr<CheckpointKeys> keys = CheckpointKeys::FromGenesisEntry(entry);
  if (!keys.ok())
    return absl::DataLossError(absl::StrCat(Sv(bundle), ": ", keys.status().message()));
  // In the form its own policy sets (ledger/provenance/log_policy.h).
  if (!keys->Latest().key.Verify(
          RecordSigningMessage(SignatureVersion(CarriedPolicy(r)), r.genesis().origin(), e.record),
          e.signature)) {
    return absl::DataLossError(
        absl::StrCat(Sv(bundle), ": entry 0 is not signed by the operator key it registers"));
  }
  return keys;
}

}  // namespace

std::string TileIndexPath(uint64_t n) {
  std::vector<uint64_t> groups;
  do {
    groups.push_back(n % 1000);
    n /= 1000;
  } while (n > 0);
  std::string out;
  char buf[8];
  for (size_t i = groups.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%s%03u", i > 0 ? "x" : "", static_cast<unsigned>(groups[i]));
    absl::StrAppend(&out, buf, i > 0 ? "/" : "");
  }
  return out;
}

std::string TilePath(int level, uint64_t n, uint64_t width) {
  return absl::StrCat("tile/", level, "/", TileIndexPath(n), WidthSuffix(width));
}

std::string EntryBundlePath(uint64_t n, uint64_t width) {
  return absl::StrCat("tile/entries/", TileIndexPath(n), WidthSuffix(width));
}

std::string TileRef::Path() const {
  return level < 0 ? EntryBundlePath(index, width) : TilePath(level, index, width);
}

std::vector<TileRef> HashTilesForSize(uint64_t size) {
  std::vector<TileRef> out;
  for (int level = 0; level * kTileHeight < 64 && (size >> (level * kTileHeight)) > 0; ++level) {
    const uint64_t nodes = size >> (level * kTileHeight);
    for (uint64_t n = 0; n < nodes / kTileWidth; ++n) out.push_back({level, n, kTileWidth});
    if (nodes % kTileWidth) out.push_back({level, nodes / kTileWidth, nodes % kTileWidth});
  }
  return out;
}

std::vector<TileRef> EntryBundlesForSize(uint64_t size) {
  std::vector<TileRef> out;
  for (uint64_t n = 0; n < size / kTileWidth; ++n) out.push_back({-1, n, kTileWidth});
  if (size % kTileWidth) out.push_back({-1, size / kTileWidth, size % kTileWidth});
  return out;
}

[[nodiscard]] absl::StatusOr<std::string> EncodeEntryBundle(std::span<const std::string> entries) {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].size() > kMaxBundledEntryBytes) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", i, " of the bundle is ",
                                                     entries[i].size(),
                                                     " bytes; a bundle entry holds at most 65535"));
    }
    char len[2];
    StoreBE(len, entries[i].size(), 2);
    out.append(len, 2);
    out.append(entries[i]);
  }
  return out;
}

[[nodiscard]] absl::StatusOr<std::vector<std::string_view>> DecodeEntryBundle(
    std::string_view bundle) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < bundle.size()) {
    if (bundle.size() - pos < 2) {
      return absl::DataLossError(absl::StrCat("truncated length of entry ", out.size()));
    }
    const size_t len = LoadBE(bundle.data() + pos, 2);
    pos += 2;
    if (bundle.size() - pos < len) {
      return absl::DataLossError(absl::StrCat("entry ", out.size(), " is truncated"));
    }
    out.push_back(bundle.substr(pos, len));
    pos += len;
  }
  return out;
}

[[nodiscard]] absl::StatusOr<ExportReport> ExportTiles(
    const Store& store, const std::string& dir,
    const std::function<void(uint64_t done, uint64_t total)>& progress) {
  ExportReport report;
  ASSIGN_OR_RETURN(report.size, store.ReadTreeSize());
  if (report.size == 0) return absl::FailedPreconditionError("the log is empty");
  ASSIGN_OR_RETURN(const std::string note, store.GetCheckpoint(report.size));
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::FromText(parsed.text));
  if (cp.size != report.size) {
    return absl::DataLossError(
        absl::StrCat("the checkpoint stored at size ", report.size, " says size ", cp.size));
  }
  report.origin = cp.origin;
  const std::vector<TileRef> bundles = EntryBundlesForSize(report.size);
  const std::vector<TileRef> tiles = HashTilesForSize(report.size);
  uint64_t done = 0;
  auto step = [&] {
    if (progress) progress(++done, bundles.size() + tiles.size());
  };

  for (const TileRef& t : bundles) {
    step();
    const std::string path = absl::StrCat(Sv(dir), "/", Sv(t.Path()));
    if (t.width == kTileWidth && fs::exists(path)) {
      ++report.unchanged;
      continue;
    }
    std::vector<std::string> entries;
    const uint64_t start = t.index * kTileWidth;
    RETURN_IF_ERROR(store.ScanEntries(start, start + t.width, [&](uint64_t i, std::string_view e) {
      if (i != start + entries.size()) {
        return absl::DataLossError(absl::StrCat("entry ", start + entries.size(), " is missing"));
      }
      entries.emplace_back(e);
      return absl::OkStatus();
    }));
    if (entries.size() != t.width) {
      return absl::DataLossError(absl::StrCat("entry ", start + entries.size(), " is missing"));
    }
    absl::StatusOr<std::string> bundle = EncodeEntryBundle(entries);
    if (!bundle.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(Sv(t.Path()), ": ", bundle.status().message()));
    }
    RETURN_IF_ERROR(WriteAtomically(path, *bundle));
    report.written.push_back(t.Path());
  }

  for (const TileRef& t : tiles) {
    step();
    const std::string path = absl::StrCat(Sv(dir), "/", Sv(t.Path()));
    if (t.width == kTileWidth && IsRegularFileOfSize(path, kTileWidth * 32)) {
      ++report.unchanged;
      continue;
    }
    std::string tile;
    tile.reserve(t.width * 32);
    for (uint64_t i = 0; i < t.width; ++i) {
      const uint64_t index = t.index * kTileWidth + i;
      absl::StatusOr<Hash> h = store.GetNode(t.level * kTileHeight, index);
      if (!h.ok()) {
        return absl::DataLossError(absl::StrCat("tree node level ", t.level * kTileHeight,
                                                " index ", index, ": ", h.status().message()));
      }
      tile.append(HashBytes(*h));
    }
    RETURN_IF_ERROR(WriteAtomically(path, tile));
    report.written.push_back(t.Path());
  }

  RETURN_IF_ERROR(WriteAtomically(absl::StrCat(Sv(dir), "/checkpoint"), note));
  report.written.push_back("checkpoint");
  return report;
}

[[nodiscard]] absl::StatusOr<TilesVerifyReport> VerifyTilesDir(const std::string& dir,
                                                               const NoteVerifier& verifier,
                                                               const TilesEntryVisitor& on_entry) {
  TilesVerifyReport report;
  ASSIGN_OR_RETURN(const std::string note, ReadWholeFile(absl::StrCat(Sv(dir), "/checkpoint")));
  // Signed by the key in force at its size, known once the entries are read;
  // parsed now, so that a malformed one or another log's is refused at once.
  absl::StatusOr<ParsedNote> parsed = ParseNote(note);
  absl::StatusOr<Checkpoint> cp = parsed.ok() ? Checkpoint::FromText(parsed->text)
                                              : absl::StatusOr<Checkpoint>(parsed.status());
  if (cp.ok() && cp->origin != verifier.name) {
    cp = absl::PermissionDeniedError(
        absl::StrCat("the checkpoint is of log ", cp->origin, ", not of ", Sv(verifier.name)));
  }
  if (!cp.ok()) {
    return absl::Status(cp.status().code(), absl::StrCat("checkpoint: ", cp.status().message()));
  }
  if (cp->size == 0) return absl::DataLossError("checkpoint: the tree is empty");
  std::optional<CheckpointKeys> keys;
  report.origin = cp->origin;
  report.size = cp->size;

  // The entries: decoded, indexed, chained; their leaf hashes are level 0.
  std::vector<Hash> leaves;
  leaves.reserve(cp->size);
  std::vector<std::string> bundle_paths;
  for (const TileRef& t : EntryBundlesForSize(cp->size)) {
    const std::string rel = t.Path();
    bundle_paths.push_back(rel);
    ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(absl::StrCat(Sv(dir), "/", Sv(rel))));
    absl::StatusOr<std::vector<std::string_view>> entries = DecodeEntryBundle(bytes);
    if (!entries.ok()) {
      return absl::DataLossError(absl::StrCat(Sv(rel), ": ", entries.status().message()));
    }
    if (entries->size() != t.width) {
      return absl::DataLossError(
          absl::StrCat(Sv(rel), ": holds ", entries->size(), " entries, want ", t.width));
    }
    for (std::string_view e : *entries) {
      const uint64_t index = leaves.size();
      absl::StatusOr<EntryView> v = DecodeEntry(e);
      if (!v.ok()) {
        return absl::DataLossError(
            absl::StrCat(Sv(rel), ": entry ", index, ": ", v.status().message()));
      }
      const Hash prev = index == 0 ? Hash{} : leaves.back();
      if (absl::Status link = CheckEntryLink(*v, index, &prev); !link.ok()) {
        return absl::DataLossError(absl::StrCat(Sv(rel), ": entry ", index, link.message()));
      }
      if (index == 0) {
        ASSIGN_OR_RETURN(keys, CheckGenesis(e, *v, verifier, rel));
      } else if (absl::StatusOr<v1::Record> r = RecordOfEntry(index, e); r.ok()) {
        if (absl::Status s = keys->FollowIfHandover(index, e, *r); !s.ok()) {
          return absl::DataLossError(absl::StrCat(Sv(rel), ": ", s.message()));
        }
      }
      if (on_entry) RETURN_IF_ERROR(on_entry(index, e));
      leaves.push_back(LeafHash(e));
    }
    ++report.bundles;
  }
  report.entries = leaves.size();

  // Every hash tile against the tree recomputed level by level.
  std::vector<Hash> level_hashes = leaves;
  int level = 0;
  for (const TileRef& t : HashTilesForSize(cp->size)) {
    while (t.level > level) {
      std::vector<Hash> up;
      for (size_t i = 0; i + kTileWidth <= level_hashes.size(); i += kTileWidth) {
        up.push_back(
            RootFromLeafHashes(std::span<const Hash>(level_hashes).subspan(i, kTileWidth)));
      }
      level_hashes = std::move(up);
      ++level;
    }
    const std::string rel = t.Path();
    ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(absl::StrCat(Sv(dir), "/", Sv(rel))));
    if (bytes.size() != t.width * 32) {
      return absl::DataLossError(
          absl::StrCat(Sv(rel), ": ", bytes.size(), " bytes, want ", t.width * 32));
    }
    for (uint64_t i = 0; i < t.width; ++i) {
      const uint64_t node = t.index * kTileWidth + i;
      if (std::string_view(bytes).substr(i * 32, 32) != HashBytes(level_hashes[node])) {
        std::string where = absl::StrCat(Sv(rel), ": hash ", i, " (tree node height ",
                                         t.level * kTileHeight, " index ", node, ")");
        if (t.level == 0) {
          absl::StrAppend(&where, " is not the leaf hash of entry ", node, " in ",
                          Sv(bundle_paths[node / kTileWidth]));
        } else {
          absl::StrAppend(&where, " does not match the entries");
        }
        return absl::DataLossError(where);
      }
    }
    ++report.tiles;
  }

  const NoteVerifier& in_force = keys->ForSize(cp->size);
  if (absl::StatusOr<Checkpoint> v = keys->VerifyAtSize(note, cp->size); !v.ok()) {
    return absl::Status(v.status().code(), absl::StrCat("checkpoint: ", v.status().message()));
  }
  if (absl::Status pinned = keys->RequirePinned(verifier, cp->size); !pinned.ok()) {
    return absl::Status(pinned.code(), absl::StrCat("checkpoint: ", pinned.message()));
  }
  if (RootFromLeafHashes(leaves) != cp->root) {
    return absl::DataLossError("checkpoint: its root is not the root of the entries");
  }
  report.checkpoint_key = FormatVerifierKey(in_force.name, in_force.key);
  report.key_handovers = keys->Handovers();
  return report;
}

[[nodiscard]] absl::StatusOr<MirroredExport> MirrorTiles(const std::string& dir,
                                                         const NoteVerifier& verifier) {
  MirroredExport out;
  ASSIGN_OR_RETURN(out.mirror, LogMirror::Create());
  ASSIGN_OR_RETURN(const TilesVerifyReport report,
                   VerifyTilesDir(dir, verifier, [&](uint64_t, std::string_view entry) {
                     return out.mirror->Append(entry);
                   }));
  RETURN_IF_ERROR(out.mirror->Flush());
  ASSIGN_OR_RETURN(out.note, ReadWholeFile(absl::StrCat(Sv(dir), "/checkpoint")));
  ASSIGN_OR_RETURN(const NoteVerifier in_force, NoteVerifier::Parse(report.checkpoint_key));
  ASSIGN_OR_RETURN(out.checkpoint, VerifyCheckpoint(out.note, in_force));
  if (out.checkpoint.size != out.mirror->size()) {
    return absl::DataLossError("checkpoint: changed while the export was read");
  }
  return out;
}

}  // namespace touchstone
