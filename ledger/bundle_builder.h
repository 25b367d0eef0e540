// Builds a piece's provenance bundle (proto/bundle.proto): every record in the
// piece's provenance graph with its inclusion proof against one checkpoint.
//
// The graph: the piece's own records; each stone and metal lot it holds or held,
// back to origin (the record that created each lot, the transformation inputs
// it came from, its custody transfers, its grading report); every certificate
// those records cite, with its status changes; every signer's registration and
// key records; every error declaration about any of these records; and, for
// the whole log, every checkpoint key handover and every entry that set the
// log's policy (the genesis and the LogPolicy entries: ledger/provenance/log_policy.h).
// Under the trade rules also: the registration of every scheme a certificate
// of the graph names (and its issuer's records); every draw from a parcel of
// the graph up to the piece's registration (the draw alone, unless its output
// is in the graph); for every mass-balance account a lot of the graph got
// credit from or was booked into, its opening and its records 1..k (k: the
// largest seq of an allocation to or a booking of a lot of the graph), and the
// graph of each lot it booked. Owners (issue 15): the piece's ownership
// records (in its history: the sale naming the buyer's key, acceptances,
// transfers, reports, key replacements, repairs), the participants its
// owner's terms name, the heirloom intake of every heirloom lot of the graph
// (a lot's creating record), the intake that closed the piece if one did, and
// for an intake that repurposed an older piece, that piece's registration and
// history (not its lots). Sealed records (ledger/provenance/commitments.h)
// go in as they are in the log, committed fields hidden; the one opening a
// bundle carries (PieceBundle.openings) is that of the piece's own
// PieceRegistered, when it is sealed and its jeweler set disclose_inputs (so a
// customer reads the piece's inputs; upstream volumes stay committed).
#ifndef TOUCHSTONE_LEDGER_BUNDLE_BUILDER_H_
#define TOUCHSTONE_LEDGER_BUNDLE_BUILDER_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/bundle/bundle_verify.h"  // kBundleFormat
#include "ledger/ledger.h"
#include "ledger/log_mirror.h"
#include "ledger/store/state_reader.h"
#include "proto/bundle.pb.h"

namespace touchstone {

// What a bundle is built from: a log's derived state as of some tree size,
// its entries, and inclusion proofs. Implementations say their thread safety.
class BundleSource {
 public:
  virtual ~BundleSource() = default;
  // The derived state (ledger/provenance/state_view.h keys) the graph walk reads.
  virtual const StateReader& State() const = 0;
  // The entry bytes at index; NOT_FOUND / OUT_OF_RANGE if absent.
  [[nodiscard]] virtual absl::StatusOr<std::string> Entry(uint64_t index) const = 0;
  // Inclusion proof of `entry` (the bytes at `index`, as the bundle holds
  // them) in the tree of the checkpoint `note` (of `size` entries), verified
  // against that checkpoint's root before it is returned: DATA_LOSS if it does
  // not verify; OUT_OF_RANGE if impossible.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Hash>> Proof(uint64_t index,
                                                                std::string_view entry,
                                                                uint64_t size,
                                                                std::string_view note) const = 0;
  // The opening of the sealed record at `index` (ledger/provenance/commitments.h):
  // nullopt for an unsealed record, or a source that holds no openings (the
  // default: a mirror of the public log). Errors as the source's store.
  [[nodiscard]] virtual absl::StatusOr<std::optional<v1::Opening>> Opening(uint64_t index) const {
    (void)index;
    return std::nullopt;
  }
};

// A running ledger as a source: its committed state, and its proofs, each
// checked by the ledger (Ledger::InclusionProof). Thread-safe (as Ledger).
class LedgerBundleSource : public BundleSource {
 public:
  explicit LedgerBundleSource(const Ledger& ledger) : ledger_(ledger) {}
  const StateReader& State() const override { return ledger_.store(); }
  [[nodiscard]] absl::StatusOr<std::string> Entry(uint64_t index) const override;
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> Proof(uint64_t index, std::string_view entry,
                                                        uint64_t size,
                                                        std::string_view note) const override;
  // The ledger's stored opening (Ledger::GetOpening).
  [[nodiscard]] absl::StatusOr<std::optional<v1::Opening>> Opening(uint64_t index) const override;

 private:
  const Ledger& ledger_;
};

// A client's mirror (ledger/log_mirror.h) as a source, with `state` rebuilt
// from the mirror's first `size` entries (RebuildState). Thread-compatible.
class MirrorBundleSource : public BundleSource {
 public:
  MirrorBundleSource(const LogMirror& mirror, const StateReader& state)
      : mirror_(mirror), state_(state) {}
  const StateReader& State() const override { return state_; }
  [[nodiscard]] absl::StatusOr<std::string> Entry(uint64_t index) const override;
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> Proof(uint64_t index, std::string_view entry,
                                                        uint64_t size,
                                                        std::string_view note) const override;

 private:
  const LogMirror& mirror_;
  const StateReader& state_;
};

// The log indices of the piece's provenance graph in `source`'s state.
// NOT_FOUND if there is no such piece; DATA_LOSS if the state is inconsistent.
[[nodiscard]] absl::StatusOr<std::set<uint64_t>> PieceGraphIndices(const BundleSource& source,
                                                                   const std::string& piece_id);

// The bundle for `piece_id` against the checkpoint `note` of tree `size`:
// records of the graph at indices below `size`, each with its proof (checked
// by the source against `note`). RESOURCE_EXHAUSTED, as soon as it is known, if
// `max_bytes` is not 0 and the serialized bundle would be bigger (the building
// stops there). Otherwise errors as PieceGraphIndices, and the source's:
// DATA_LOSS for a proof that does not verify.
[[nodiscard]] absl::StatusOr<v1::PieceBundle> BuildPieceBundle(const BundleSource& source,
                                                               const std::string& piece_id,
                                                               uint64_t size,
                                                               const std::string& note,
                                                               size_t max_bytes = 0);

// The bundle for `piece_id` against the ledger's latest checkpoint (or its
// newest cosigned one when that covers the graph). Errors as PieceGraphIndices;
// DATA_LOSS for a proof that fails its check (Ledger::InclusionProof).
[[nodiscard]] absl::StatusOr<v1::PieceBundle> BuildPieceBundle(const Ledger& ledger,
                                                               const std::string& piece_id,
                                                               size_t max_bytes = 0);

// Checks that `bundle` holds every record of its piece's graph as of its
// checkpoint, against `source`, whose state must be that of the first
// bundle-size entries of the same log (e.g. a mirror of an export). The caller
// has verified the bundle (VerifyPieceBundle) and that the source's root at the
// bundle's size is the bundle checkpoint's root. FAILED_PRECONDITION naming
// the first omitted index and its record kind; errors as PieceGraphIndices.
[[nodiscard]] absl::Status CheckBundleComplete(const v1::PieceBundle& bundle, uint64_t bundle_size,
                                               const BundleSource& source);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUILDER_H_
