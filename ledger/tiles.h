// A static C2SP tlog-tiles export of the log (c2sp.org/tlog-tiles), and its
// offline verification.
//
// Directory layout (paths relative to the export directory):
//   checkpoint                   the latest signed checkpoint note, verbatim
//   tile/<L>/<N>                 full tile: 256 hashes x 32 bytes = 8192 bytes
//   tile/<L>/<N>.p/<W>           partial tile: W (1..255) hashes, right edge only
//   tile/entries/<N>             full entry bundle: 256 entries
//   tile/entries/<N>.p/<W>       partial entry bundle: W entries
// <L> is decimal, no leading zeros. <N> is split in 3-digit groups, every group
// but the last prefixed with "x": 1234067 -> x001/x234/067, 5 -> 005.
// Hash i of tile N at level L is tree node (height 8*L, index N*256 + i); level 0
// tiles hold leaf hashes. An entry bundle is each entry as a big-endian uint16
// length followed by the entry bytes (ledger/log/entry_format.h), in index order;
// entry i of bundle N hashes (RFC 9162 leaf hash) to hash i of tile/0/N.
// Full tiles and bundles never change; partial ones are superseded as the log grows.
#ifndef TOUCHSTONE_LEDGER_TILES_H_
#define TOUCHSTONE_LEDGER_TILES_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/note.h"
#include "ledger/log_mirror.h"
#include "ledger/store/store.h"

namespace touchstone {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;  // hashes (or entries) in a full tile
inline constexpr size_t kMaxBundledEntryBytes = 0xFFFF;

// The <N> path elements of tile index n: 1234067 -> "x001/x234/067".
std::string TileIndexPath(uint64_t n);
// "tile/<level>/<N>", or with ".p/<width>" when width < 256.
// REQUIRES: 1 <= width <= 256, 0 <= level <= 63.
std::string TilePath(int level, uint64_t n, uint64_t width);
// "tile/entries/<N>", or with ".p/<width>" when width < 256. REQUIRES: 1 <= width <= 256.
std::string EntryBundlePath(uint64_t n, uint64_t width);

// One tile of a tree: level (-1 for an entry bundle), index and width (256 = full).
struct TileRef {
  int level = 0;
  uint64_t index = 0;
  uint64_t width = 0;
  std::string Path() const;
};
// Every hash tile of the tree of `size` leaves, level 0 first, left to right
// (full tiles, then the partial one if any). A tree of 256 has tile/0/000 and tile/1/000.p/1.
std::vector<TileRef> HashTilesForSize(uint64_t size);
// Every entry bundle of the tree of `size` leaves, left to right.
std::vector<TileRef> EntryBundlesForSize(uint64_t size);

// Encodes entries as an entry bundle. INVALID_ARGUMENT naming the entry (by
// position) if one is longer than 65535 bytes.
[[nodiscard]] absl::StatusOr<std::string> EncodeEntryBundle(std::span<const std::string> entries);
// Splits an entry bundle. DATA_LOSS if truncated.
[[nodiscard]] absl::StatusOr<std::vector<std::string_view>> DecodeEntryBundle(
    std::string_view bundle);

struct ExportReport {
  std::string origin;
  uint64_t size = 0;                 // tree size of the exported checkpoint
  std::vector<std::string> written;  // paths written (new full tiles, partial tiles, checkpoint)
  uint64_t unchanged = 0;            // full tiles and bundles already present, left alone
};

// Writes the tlog-tiles layout of `store`'s latest checkpoint into `dir`
// (created if missing). Incremental: full tiles and bundles already present are
// not rewritten; partial ones are. Every file is written to a temporary name,
// synced and renamed; the checkpoint last, so a reader never sees a checkpoint
// whose tiles are missing. FAILED_PRECONDITION for an empty log or an entry
// longer than 65535 bytes (the bundle format's limit); storage and file errors
// as they are (UNAVAILABLE for I/O), DATA_LOSS if the store lacks a node.
// `progress`, if set, is called after each entry bundle and each hash tile with
// (files done, files in all).
[[nodiscard]] absl::StatusOr<ExportReport> ExportTiles(
    const Store& store, const std::string& dir,
    const std::function<void(uint64_t done, uint64_t total)>& progress = nullptr);

struct TilesVerifyReport {
  std::string origin;
  uint64_t size = 0;
  uint64_t entries = 0;
  uint64_t bundles = 0;
  uint64_t tiles = 0;  // hash tiles compared
  // The key that signed the checkpoint, reached from the genesis key through
  // the handovers at these indices (ledger/provenance/key_handover.h).
  std::string checkpoint_key;
  std::vector<uint64_t> key_handovers;
};

// Verifies an export offline: every entry bundle of the checkpoint's size
// (each entry decodes, has its index and chains to its predecessor's leaf
// hash; entry 0 is the genesis of the log `verifier` names, signed by the key
// it registers); the checkpoint's signature by the key in force at its size,
// following every key handover from the genesis key, where `verifier` must be
// the genesis key or one a handover named; every level
// 0..k hash tile equals the tree recomputed from the entries; the recomputed
// root is the checkpoint's. The first problem is reported naming the file
// ("checkpoint", "tile/entries/...", "tile/<L>/...") and the entry index or hash
// position: PERMISSION_DENIED / INVALID_ARGUMENT for the checkpoint, NOT_FOUND
// for a missing file, DATA_LOSS otherwise.
// `on_entry`, if set, is called with each entry (index, bytes) once it has
// decoded and chained, in index order; an error from it stops the walk and is
// returned as it is. This is how a client copies an export into a LogMirror.
using TilesEntryVisitor = std::function<absl::Status(uint64_t index, std::string_view entry)>;
[[nodiscard]] absl::StatusOr<TilesVerifyReport> VerifyTilesDir(
    const std::string& dir, const NoteVerifier& verifier,
    const TilesEntryVisitor& on_entry = nullptr);

// An export copied into a client's mirror, with its verified checkpoint.
struct MirroredExport {
  std::unique_ptr<LogMirror> mirror;
  Checkpoint checkpoint;
  std::string note;  // the checkpoint note, verbatim
};

// Verifies the export as VerifyTilesDir does while copying every entry into a
// new LogMirror, so that the caller can audit it (AuditMirror) or build and
// check bundles from it. Errors as VerifyTilesDir and LogMirror.
[[nodiscard]] absl::StatusOr<MirroredExport> MirrorTiles(const std::string& dir,
                                                         const NoteVerifier& verifier);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_TILES_H_
