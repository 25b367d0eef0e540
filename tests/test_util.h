// Helpers shared by the ledger and service tests: temporary directories and
// signed records.
#ifndef TOUCHSTONE_TESTS_TEST_UTIL_H_
#define TOUCHSTONE_TESTS_TEST_UTIL_H_

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/log/keys.h"
#include "ledger/provenance/record.h"
#include "proto/record.pb.h"

namespace touchstone::testing {

// A fresh directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "touchstone-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A participant identity for tests: id and key.
struct Identity {
  std::string id;
  PrivateKey key;
};

inline Identity NewIdentity(std::string id) {
  return Identity{std::move(id), PrivateKey::Generate().value()};
}

// Now, as an event time.
inline int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// A lot record of realistic size, unsigned, with event time now: a mined gold
// lot in parts per ten thousand, which a refiner may record under the legacy
// rules and the trade rules alike (no certificate needed).
inline v1::Record LotRecord(const Identity& who, const std::string& record_id) {
  v1::Record r;
  r.set_record_id(record_id);
  r.set_signer(who.id);
  r.set_key_id(who.key.public_key().Fingerprint());
  r.set_event_time_micros(NowMicros());
  auto* lot = r.mutable_lot_created();
  lot->set_lot_id("lot-" + record_id);
  lot->set_material("gold");
  lot->set_form("grain");
  lot->set_origin_class(v1::ORIGIN_CLASS_MINED);
  lot->set_quantity(1'000'000);
  lot->set_unit(v1::UNIT_MILLIGRAM);
  lot->set_fineness_ptt(9999);
  lot->set_facility("Refinery 7, Pforzheim, DE");
  lot->set_note("Mined gold from doré, refined and assayed");
  return r;
}

inline v1::Record RegisterRecord(const Identity& op, const Identity& who, v1::Role role,
                                 const std::string& record_id) {
  v1::Record r;
  r.set_record_id(record_id);
  r.set_signer(op.id);
  r.set_key_id(op.key.public_key().Fingerprint());
  r.set_event_time_micros(NowMicros());
  auto* p = r.mutable_participant_registered();
  p->set_participant_id(who.id);
  p->set_legal_name("Legal name of " + who.id);
  p->add_roles(role);
  p->add_keys()->set_ed25519(who.key.public_key().raw());
  return r;
}

// Serialized bytes and signature of a record signed by `who` for the log
// `origin` (ledger/provenance/record.h; a new log's default origin is kDefaultOrigin).
inline std::pair<std::string, std::string> Signed(const Identity& who, const v1::Record& r,
                                                  std::string_view origin) {
  std::string bytes = SerializeRecord(r);
  std::string sig = SignRecord(who.key, origin, bytes);
  return {std::move(bytes), std::move(sig)};
}

// A clock (for LedgerOptions::now_micros) the test can stop: while stalled,
// the ledger's sequencer waits in it and commits nothing. Thread-safe.
class StallableClock {
 public:
  int64_t Now() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* s) { return !*s; }, &stalled_));
    return NowMicros();
  }
  void Stall(bool on) {
    absl::MutexLock lock(&mu_);
    stalled_ = on;
  }

 private:
  absl::Mutex mu_;
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_TEST_UTIL_H_
