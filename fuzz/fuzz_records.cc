// Fuzzes record decoding and the provenance rules (ledger/provenance/record.h,
// ledger/provenance/rules.h) on a fresh in-memory state. The input is a tlog-tiles entry bundle
// (u16 length
// || entry bytes, ...; the seeds are the fixture's log): each entry is decoded,
// its record parsed, and the first genesis record and every record after it run
// through the rules as one commit group (ApplyGenesis, CheckAndApply), with the
// entry's recorded-at time as the server clock. Signatures are not checked (a
// fuzzer cannot forge them; ledger/provenance/rebuild.cc and the tests check them): the key
// the signer registered under the record's key_id stands in for a verified one.
//
// A custom mutator (fuzz/proto_mutator.h) changes one field of one record, or the
// order of records, or an entry's recorded-at time, and re-encodes the entries,
// so that mutated records still parse and reach the rules with hostile values;
// one mutation in four is libFuzzer's own, on the raw bytes.
//
// Invariants: ParseRecord accepts only what its header promises; a refused record
// leaves the group's state as it was and fails with a documented code; every
// state value parses and no lot holds more than it was made with or less than
// nothing; and replaying the accepted records one commit at a time (as
// ledger/provenance/rebuild.cc does) derives exactly the group's state.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fixture.h"
#include "fuzz/proto_mutator.h"
#include "google/protobuf/stubs/logging.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/registry.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "ledger/store/storage_map.h"
#include "ledger/tiles.h"

namespace touchstone {
namespace {

constexpr size_t kMaxRecords = 64;

struct Accepted {
  v1::Record record;
  int64_t now_micros;
};

bool IsLowerHex16(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void CheckParsedRecord(const v1::Record& r) {
  if (r.record_id().empty() || r.record_id().size() > 128) fuzz::Fail("record_id length");
  if (r.signer().empty()) {
    // Signed by an owner key alone (ledger/provenance/record.h IsOwnerOnly).
    if (!r.key_id().empty() || !r.has_owner_signature() || !IsOwnerBody(r)) {
      fuzz::Fail("ParseRecord accepted an empty signer on a record that is not owner-only");
    }
  } else {
    if (!IsValidParticipantId(r.signer())) fuzz::Fail("ParseRecord accepted a bad signer id");
    if (!IsLowerHex16(r.key_id())) fuzz::Fail("ParseRecord accepted a bad key_id");
  }
  if (r.event_time_micros() < 0) fuzz::Fail("ParseRecord accepted a negative event time");
  if (r.body_case() == v1::Record::BODY_NOT_SET) fuzz::Fail("ParseRecord accepted no body");
}

// The key the signer registered under the record's key_id (what a verified
// signature would have been checked with), or a stand-in if there is none.
PublicKey SignerKey(const StateView& state, const v1::Record& r) {
  static const PublicKey stand_in = fuzz::FixedKey("stand-in").public_key();
  absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> p = state.Participant(r.signer());
  if (!p.ok()) return stand_in;
  const v1::KeyState* ks = FindKey(**p, r.key_id());
  if (ks == nullptr) return stand_in;
  absl::StatusOr<PublicKey> key = PublicKey::FromRaw(ks->ed25519());
  return key.ok() ? *key : stand_in;
}

// Runs `records` through the rules. With `per_record_commit`, each accepted
// record's state is committed to memory before the next (as rebuild does);
// otherwise all share one StateView (as a sequencer commit group does).
// Returns the derived state; `accepted` gets the records the rules accepted.
std::map<std::string, std::string> Apply(const std::vector<Accepted>& records,
                                         bool per_record_commit, std::vector<Accepted>* accepted) {
  MemoryState memory;
  Registry registry(&memory);
  auto state = std::make_unique<StateView>(&memory, &registry);
  const RuleOptions options;
  std::vector<v1::Record> log;
  const RecordReader record_at = [&log](uint64_t index) -> absl::StatusOr<v1::Record> {
    if (index >= log.size()) return absl::NotFoundError("no such entry");
    return log[index];
  };
  for (const Accepted& a : records) {
    const v1::Record& r = a.record;
    const std::map<std::string, std::string> before = state->changes();
    absl::Status s;
    if (log.empty()) {
      if (!r.has_genesis()) continue;
      s = ApplyGenesis(r, 0, *state);
    } else {
      const PublicKey key = SignerKey(*state, r);
      const RecordContext ctx{r, &key, log.size(), a.now_micros, record_at};
      s = CheckAndApply(ctx, options, *state);
    }
    if (!s.ok()) {
      switch (s.code()) {
        case absl::StatusCode::kPermissionDenied:
        case absl::StatusCode::kNotFound:
        case absl::StatusCode::kAlreadyExists:
        case absl::StatusCode::kFailedPrecondition:
        case absl::StatusCode::kInvalidArgument:
          break;
        default:
          fuzz::Fail("a rule refused with an undocumented code: " + s.ToString());
      }
      state->RollbackRecord();
      if (state->changes() != before) fuzz::Fail("a refused record changed the state");
      continue;
    }
    state->CommitRecord();
    log.push_back(r);
    if (accepted != nullptr) accepted->push_back(a);
    if (per_record_commit) {
      for (const auto& [k, v] : state->changes()) memory.Put(k, v);
      state->Publish(&registry);
      state = std::make_unique<StateView>(&memory, &registry);
    }
  }
  if (per_record_commit) return memory.values();
  return state->changes();
}

template <typename T>
T ParseState(const std::string& key, const std::string& value) {
  T t;
  if (!t.ParseFromString(value)) fuzz::Fail("state value '" + key + "' does not parse");
  return t;
}

void CheckState(const std::map<std::string, std::string>& values) {
  for (const auto& [k, v] : values) {
    if (k.starts_with(ParticipantStateKeyPrefix())) {
      ParseState<v1::ParticipantState>(k, v);
    } else if (k.starts_with(CertificateKey(""))) {
      ParseState<v1::CertificateState>(k, v);
    } else if (k.starts_with(PieceKey(""))) {
      ParseState<v1::PieceState>(k, v);
    } else if (k.starts_with(LotKey(""))) {
      const v1::LotState lot = ParseState<v1::LotState>(k, v);
      if (lot.balance() < 0 || lot.balance() > lot.quantity()) {
        fuzz::Fail("lot '" + lot.lot_id() + "' balance outside [0, quantity]");
      }
    }
  }
}

// One structure-aware mutation of the entry bundle `bytes`; false if it is not one.
bool MutateEntries(std::string_view bytes, uint64_t seed, std::string* out) {
  absl::StatusOr<std::vector<std::string_view>> raw = DecodeEntryBundle(bytes);
  if (!raw.ok() || raw->empty()) return false;
  struct Entry {
    EntryView view;
    std::string record;
  };
  std::vector<Entry> entries;
  fuzz::ProtoMutator mutator(seed);
  for (std::string_view e : *raw) {
    absl::StatusOr<EntryView> v = DecodeEntry(e);
    if (!v.ok()) continue;
    entries.push_back({*v, std::string(v->record)});
    v1::Record r;
    if (r.ParseFromString(entries.back().record)) mutator.CollectStrings(r);
  }
  if (entries.empty()) return false;
  Entry& target = entries[mutator.Next(entries.size())];
  switch (mutator.Next(8)) {
    case 0:  // a record repeated later
      entries.push_back(entries[mutator.Next(entries.size())]);
      break;
    case 1:  // a record dropped
      entries.erase(entries.begin() + static_cast<long>(mutator.Next(entries.size())));
      break;
    case 2:  // two records swapped
      std::swap(target, entries[mutator.Next(entries.size())]);
      break;
    case 3:  // another server clock
      target.view.recorded_at_micros = mutator.Integer(target.view.recorded_at_micros);
      break;
    default: {  // one field of one record
      v1::Record r;
      if (!r.ParseFromString(target.record)) return false;
      mutator.Mutate(&r);
      target.record = r.SerializeAsString();
    }
  }
  std::vector<std::string> encoded;
  for (const Entry& e : entries) {
    if (encoded.size() == kMaxRecords) break;
    encoded.push_back(EncodeEntry(e.view.index, e.view.recorded_at_micros, e.view.prev_leaf_hash,
                                  e.record, e.view.signature));
  }
  absl::StatusOr<std::string> bundle = EncodeEntryBundle(encoded);
  if (!bundle.ok()) return false;
  *out = *std::move(bundle);
  return true;
}

}  // namespace
}  // namespace touchstone

// Records with invalid UTF-8 in string fields are refused; libprotobuf need not log each.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::string out;
  if (seed % 4 == 0 ||
      !touchstone::MutateEntries(std::string_view(reinterpret_cast<const char*>(data), size), seed,
                                 &out) ||
      out.size() > max_size) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  absl::StatusOr<std::vector<std::string_view>> entries =
      DecodeEntryBundle(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!entries.ok()) return 0;
  std::vector<Accepted> records;
  for (std::string_view bytes : *entries) {
    if (records.size() == kMaxRecords) break;
    absl::StatusOr<EntryView> e = DecodeEntry(bytes);
    if (!e.ok()) continue;
    absl::StatusOr<v1::Record> r = ParseRecord(e->record);
    if (!r.ok()) {
      if (r.status().code() != absl::StatusCode::kInvalidArgument) {
        fuzz::Fail("ParseRecord: not INVALID_ARGUMENT");
      }
      continue;
    }
    CheckParsedRecord(*r);
    records.push_back({*std::move(r), e->recorded_at_micros});
  }
  std::vector<Accepted> accepted;
  const std::map<std::string, std::string> group = Apply(records, false, &accepted);
  CheckState(group);
  // Replayed one commit at a time, the accepted records are all accepted again
  // and derive the same state.
  std::vector<Accepted> again;
  if (Apply(accepted, true, &again) != group || again.size() != accepted.size()) {
    fuzz::Fail("replaying the accepted records derives another state");
  }
  return 0;
}
