// The storage map: every column family of the database and every key layout in
// it, each with the one function that builds that key (and parses it, where
// something parses it). Nothing else builds or parses a stored key. The byte
// layouts below are what existing logs hold: changing one orphans their data.
//
// Integers are 8-byte big-endian (EncodeU64, ledger/base/big_endian.h), so keys
// sort numerically; "||" is concatenation; text is stored as its bytes.
//
//   CF "default"      (unused; RocksDB requires it)
//   CF "entries"      EntryKey:       index                    -> entry bytes
//                                                                 (ledger/log/entry_format.h)
//   CF "tree"         TreeNodeKey:    level (1 byte) || index  -> 32-byte hash of the complete
//                                                                 node (level, index); level 0
//                                                                 holds the leaf hashes
//   CF "checkpoints"  CheckpointKey:  tree size                -> signed checkpoint note,
//                                                                 verbatim (a cosigned one
//                                                                 replaces it: PublishCosigned)
//   CF "index"        LeafIndexKey:   "leaf/" || leaf hash (32)                -> index (8)
//                     RecordIdKey:    "rid/" || signer || 0x00 || record_id    -> index (8)
//   CF "state"        derived state (values are serialized protos, proto/state.proto):
//                     ParticipantStateKey: "participant/" || id      -> ParticipantState
//                     CertificateKey:      "cert/" || id             -> CertificateState
//                     LotKey:              "lot/" || id              -> LotState
//                     PieceKey:            "piece/" || id            -> PieceState
//                     ErrorKey:            "error/" || index (8)     -> ErrorState
//                     ReportNumberKey:     "report/" || number       -> StoneIdentity (a
//                                                                     grading report number)
//                     InscriptionKey:      "inscription/" || text    -> StoneIdentity (a
//                                                                     laser inscription)
//                     ReportNumberKey:     "report/" || scheme || "/" || number, and
//                     InscriptionKey:      "inscription/" || scheme || "/" || text: the same
//                                          per laboratory (entries under the trade rules)
//                     IdentifierKey:       "identifier/" || scheme || 0x00 || value
//                                          -> IndexedName (a participant's external
//                                          identifier: LEI, GLN, ...; the registration)
//                     GtinKey:             "gtin/" || GTIN-14 || "/" || serial
//                                          -> IndexedName (a piece; its registration)
//                     SchemeKey:           "scheme/" || name         -> SchemeState
//                     CreditAccountKey:    "account/" || id          -> CreditAccountState
//                     IntakeKey:           "intake/" || id           -> IntakeState
//                     kCheckpointKeyStateKey: "log/checkpoint_key"   -> CheckpointKeyState
//                     kLogPolicyStateKey:     "log/policy"           -> LogPolicyState
//   CF "meta"         kTreeSizeMetaKey:      "tree_size"     -> size committed (8)
//                     kOriginMetaKey:        "origin"        -> the log's origin (text)
//                     kCosignedSizeMetaKey:  "cosigned_size" -> size of the newest cosigned
//                                                               checkpoint (8)
//                     kStateFormatMetaKey:   "state_format"  -> kStateFormat (text): the
//                                                               layout of CF "state" (absent:
//                                                               written before the trade rules)
//                     AuditedCheckpointMetaKey: "audited/" || size (8) -> the checkpoint
//                                          note issued at that size with every auditor
//                                          cosignature line handed in for it
//                                          (ledger/log/audit_note.h; Ledger::AddAuditCosignature)
//                     kAuditedSizeMetaKey: "audited_size" -> size of the newest audited
//                                          checkpoint that reached the auditor quorum (8)
//   CF "openings"     OpeningKey:     index -> the Opening (proto/record.proto) of the
//                                                   sealed record at that index, written in
//                                                   the entry's batch; never in an entry or tile
//   CF "opening_reads" OpeningReadKey: signer || 0x00 || micros (8) || index (8) || reader
//                                      -> OpeningRead (proto/state.proto): every attempt to
//                                         read an opening of the signer's records
//
// Values marked (8) are EncodeU64 integers, read back with DecodeU64Value.
// Header-only (no RocksDB): the storage-free rooms may name state keys too.
#ifndef TOUCHSTONE_LEDGER_STORE_STORAGE_MAP_H_
#define TOUCHSTONE_LEDGER_STORE_STORAGE_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/base/big_endian.h"
#include "ledger/log/hash.h"

namespace touchstone {

// ---- Column families, in the order the store opens them (its handles' order).
enum ColumnFamily : int {
  kDefaultFamily = 0,
  kEntriesFamily = 1,
  kTreeFamily = 2,
  kCheckpointsFamily = 3,
  kIndexFamily = 4,
  kStateFamily = 5,
  kMetaFamily = 6,
  kOpeningsFamily = 7,
  kOpeningReadsFamily = 8,
};
inline constexpr const char* kColumnFamilyNames[] = {"default",     "entries",  "tree",
                                                     "checkpoints", "index",    "state",
                                                     "meta",        "openings", "opening_reads"};
inline constexpr int kColumnFamilyCount = 9;

// ---- Integer values (8-byte big-endian): the index CF's values, meta sizes.
// The integer in `value`; nullopt unless it is exactly 8 bytes.
inline std::optional<uint64_t> DecodeU64Value(std::string_view value) {
  if (value.size() != 8) return std::nullopt;
  return LoadBE(value.data(), 8);
}

// ---- CF "entries".
inline std::string EntryKey(uint64_t index) { return EncodeU64(index); }
// The index an entry key names; nullopt unless it is 8 bytes.
inline std::optional<uint64_t> ParseEntryKey(std::string_view key) { return DecodeU64Value(key); }

// ---- CF "tree".
inline std::string TreeNodeKey(int level, uint64_t index) {
  std::string k(9, '\0');
  k[0] = static_cast<char>(level);
  StoreBE(k.data() + 1, index, 8);
  return k;
}

// ---- CF "checkpoints".
inline std::string CheckpointKey(uint64_t size) { return EncodeU64(size); }
// The tree size a checkpoint key names; nullopt unless it is 8 bytes.
inline std::optional<uint64_t> ParseCheckpointKey(std::string_view key) {
  return DecodeU64Value(key);
}

// ---- CF "openings".
inline std::string OpeningKey(uint64_t index) { return EncodeU64(index); }

// ---- CF "opening_reads".
inline std::string OpeningReadKeyPrefix(std::string_view signer) {
  std::string k(signer);
  k.push_back('\0');
  return k;
}
inline std::string OpeningReadKey(std::string_view signer, uint64_t micros, uint64_t index,
                                  std::string_view reader) {
  std::string k = OpeningReadKeyPrefix(signer);
  k.append(EncodeU64(micros));
  k.append(EncodeU64(index));
  k.append(reader);
  return k;
}

// ---- CF "index".
inline std::string LeafIndexKey(const Hash& leaf_hash) {
  std::string k = "leaf/";
  k.append(reinterpret_cast<const char*>(leaf_hash.data()), leaf_hash.size());
  return k;
}
inline std::string RecordIdKey(std::string_view signer, std::string_view record_id) {
  std::string k = "rid/";
  k.append(signer);
  k.push_back('\0');
  k.append(record_id);
  return k;
}

// ---- CF "state".
inline std::string StateKey(std::string_view prefix, std::string_view id) {
  std::string k(prefix);
  k.append(id);
  return k;
}
inline std::string ParticipantStateKey(std::string_view participant_id) {
  return StateKey("participant/", participant_id);
}
// Every participant's key starts with this (StateView::Publish scans for them).
inline std::string ParticipantStateKeyPrefix() { return ParticipantStateKey(""); }
inline std::string CertificateKey(std::string_view id) { return StateKey("cert/", id); }
inline std::string LotKey(std::string_view id) { return StateKey("lot/", id); }
inline std::string PieceKey(std::string_view id) { return StateKey("piece/", id); }
inline std::string ErrorKey(uint64_t index) { return StateKey("error/", EncodeU64(index)); }
inline std::string ReportNumberKey(std::string_view number) { return StateKey("report/", number); }
inline std::string InscriptionKey(std::string_view inscription) {
  return StateKey("inscription/", inscription);
}
// Per laboratory (the certificate's scheme), as the trade rules keep them.
inline std::string ReportNumberKey(std::string_view scheme, std::string_view number) {
  std::string k = StateKey("report/", scheme);
  k.push_back('/');
  k.append(number);
  return k;
}
inline std::string InscriptionKey(std::string_view scheme, std::string_view inscription) {
  std::string k = StateKey("inscription/", scheme);
  k.push_back('/');
  k.append(inscription);
  return k;
}
// A participant's external identifier (ParticipantRegistered.identifiers).
inline std::string IdentifierKey(std::string_view scheme, std::string_view value) {
  std::string k = StateKey("identifier/", scheme);
  k.push_back('\0');
  k.append(value);
  return k;
}
// A piece's GS1 identification (PieceRegistered.gtin, .serial).
inline std::string GtinKey(std::string_view gtin14, std::string_view serial) {
  std::string k = StateKey("gtin/", gtin14);
  k.push_back('/');
  k.append(serial);
  return k;
}
inline std::string SchemeKey(std::string_view name) { return StateKey("scheme/", name); }
inline std::string CreditAccountKey(std::string_view id) { return StateKey("account/", id); }
// An heirloom intake (HeirloomReceived; ledger/provenance/heirloom.h).
inline std::string IntakeKey(std::string_view id) { return StateKey("intake/", id); }
// The CheckpointKeyState the rules keep (ledger/provenance/key_handover.h).
inline constexpr std::string_view kCheckpointKeyStateKey = "log/checkpoint_key";
// The LogPolicyState the rules keep (ledger/provenance/log_policy.h).
inline constexpr std::string_view kLogPolicyStateKey = "log/policy";

// ---- CF "meta".
inline constexpr std::string_view kTreeSizeMetaKey = "tree_size";
inline constexpr std::string_view kOriginMetaKey = "origin";
inline constexpr std::string_view kCosignedSizeMetaKey = "cosigned_size";
inline constexpr std::string_view kStateFormatMetaKey = "state_format";
inline constexpr std::string_view kAuditedSizeMetaKey = "audited_size";
inline std::string AuditedCheckpointMetaKey(uint64_t size) {
  std::string k = "audited/";
  k.append(EncodeU64(size));
  return k;
}
// The layout of CF "state" this version writes: "2" holds the trade rules'
// lot traces (proto/state.proto LotState fields 23..36); "3" adds the search
// indexes IdentifierKey and GtinKey. A data directory
// whose state was written by an older version (no state_format, or another
// value) has its state rebuilt from the log when it is opened (ledger_open.cc).
inline constexpr std::string_view kStateFormat = "3";

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_STORAGE_MAP_H_
