// A fixture for the provenance rule tests: a ledger in a temporary directory,
// participants registered with roles, and builders for every kind of record,
// signed with strictly increasing event times.
#ifndef TOUCHSTONE_TESTS_RULES_TEST_UTIL_H_
#define TOUCHSTONE_TESTS_RULES_TEST_UTIL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/provenance/state_view.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"
#include "tests/test_util.h"

namespace touchstone::testing {

// One output of a transformation.
struct Out {
  std::string lot_id;
  int64_t quantity = 0;
  int32_t fineness_ppt = 1000;
  std::string form = "grain";
};

// A lot and how much of it a transformation or a piece takes.
using Take = std::pair<std::string, int64_t>;

inline constexpr int64_t kHourMicros = 3600LL * 1'000'000;

// Each test gets a fresh ledger. Building records and submitting them is
// thread-safe once the participants are registered (the race tests rely on it);
// registering is not.
class RulesFixture : public ::testing::Test {
 protected:
  // `configure`, if set, changes the ledger's options before it is created.
  explicit RulesFixture(RuleOptions rules = RuleOptions(),
                        const std::function<void(LedgerOptions&)>& configure = nullptr) {
    options_.data_dir = dir_.path();
    options_.origin = "rules.test/ledger";
    options_.rules = rules;
    options_.now_micros = [this] { return NowMicros() + server_clock_offset_.load(); };
    // The builders below make records in the legacy form (fineness_ppt, legacy
    // claims): the fixture's log keeps the legacy rules unless `configure` puts
    // the trade rules in force (tests/trade_test_util.h does).
    options_.rules_version = 0;
    if (configure) configure(options_);
    ledger_ = Ledger::Open(options_).value();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    keys_.emplace(op_.key.public_key().Fingerprint(), op_.key);
  }

  Ledger& ledger() { return *ledger_; }
  const Identity& op() const { return op_; }
  const std::string& data_dir() const { return dir_.path(); }
  // The log's origin, which record signatures bind (ledger/provenance/record.h).
  const std::string& origin() const { return options_.origin; }
  // Stops the ledger and closes its database (for tests that open the store themselves).
  void CloseLedger() { ledger_.reset(); }
  // Opens the ledger again after CloseLedger.
  void ReopenLedger() { ledger_ = Ledger::Open(options_).value(); }
  // Closes the ledger and opens it again with options changed by `change`.
  void ReopenLedger(const std::function<void(LedgerOptions&)>& change) {
    ledger_.reset();
    change(options_);
    ledger_ = Ledger::Open(options_).value();
  }
  // Moves the ledger's clock (recorded_at of new entries) `micros` ahead of
  // the real clock, which event times (NextTime) follow: records then claim
  // event times that far before the log records them.
  void AdvanceServerClock(int64_t micros) { server_clock_offset_ += micros; }
  // The ledger's clock now.
  int64_t ServerNow() const { return NowMicros() + server_clock_offset_.load(); }

  // ------------------------------------------------------------ time and ids

  // Strictly increasing event times: now, or one microsecond after the last one
  // handed out if the clock has not moved.
  int64_t NextTime() {
    absl::MutexLock lock(&mu_);
    last_time_ = std::max(NowMicros(), last_time_ + 1);
    return last_time_;
  }
  std::string NextRecordId() {
    absl::MutexLock lock(&mu_);
    return "r-" + std::to_string(++record_counter_);
  }

  // A record header: a fresh record id, the signer and its key, event time NextTime().
  v1::Record NewRecord(const Identity& who) {
    v1::Record r;
    r.set_record_id(NextRecordId());
    r.set_signer(who.id);
    r.set_key_id(who.key.public_key().Fingerprint());
    r.set_event_time_micros(NextTime());
    return r;
  }

  // ------------------------------------------------------------ submitting

  // Makes `who`'s key known to Sign (done by Register; call it for an added key).
  void LearnKey(const Identity& who) {
    absl::MutexLock lock(&mu_);
    keys_.emplace(who.key.public_key().Fingerprint(), who.key);
  }

  // Serialized bytes and signature, signed with the key the record names for
  // this log's origin (or in the legacy form: SignLegacy).
  std::pair<std::string, std::string> Sign(const v1::Record& r) {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(r.key_id());
    if (it == keys_.end()) {
      ADD_FAILURE() << "no private key for key id " << r.key_id();
      return {SerializeRecord(r), std::string(64, '\0')};
    }
    if (legacy_signatures_) {
      std::string bytes = SerializeRecord(r);
      std::string sig = SignLegacyRecord(it->second, bytes);
      return {std::move(bytes), std::move(sig)};
    }
    return Signed(Identity{r.signer(), it->second}, r, options_.origin);
  }
  // From now on Sign signs in the legacy form (ledger/provenance/record.h), as clients of
  // logs made before LogPolicy did; or again in the origin-bound form.
  void SignLegacy(bool on) {
    absl::MutexLock lock(&mu_);
    legacy_signatures_ = on;
  }

  [[nodiscard]] absl::StatusOr<Receipt> Submit(const v1::Record& r) {
    auto [bytes, sig] = Sign(r);
    return ledger_->Submit(std::move(bytes), std::move(sig));
  }

  // Submits and expects the record to be appended; returns its receipt.
  Receipt Accept(const v1::Record& r,
                 std::source_location where = std::source_location::current()) {
    ::testing::ScopedTrace trace(where.file_name(), static_cast<int>(where.line()),
                                 "record " + r.record_id() + " should be accepted");
    absl::StatusOr<Receipt> receipt = Submit(r);
    EXPECT_TRUE(receipt.ok()) << receipt.status() << "\n" << r.DebugString();
    return receipt.ok() ? *std::move(receipt) : Receipt{};
  }

  // Submits and expects a refusal with `code` and a message containing
  // `substring`, with nothing appended: the size and the latest checkpoint stay.
  void ExpectRefused(const v1::Record& r, absl::StatusCode code, std::string_view substring,
                     std::source_location where = std::source_location::current()) {
    auto [bytes, sig] = Sign(r);
    ExpectRefusedBytes(std::move(bytes), std::move(sig), code, substring, where);
  }
  void ExpectRefusedBytes(std::string bytes, std::string sig, absl::StatusCode code,
                          std::string_view substring,
                          std::source_location where = std::source_location::current()) {
    ::testing::ScopedTrace trace(where.file_name(), static_cast<int>(where.line()),
                                 "a record that should be refused");
    const uint64_t size = ledger_->Size();
    const auto checkpoint = ledger_->LatestCheckpoint();
    absl::StatusOr<Receipt> receipt = ledger_->Submit(std::move(bytes), std::move(sig));
    EXPECT_EQ(receipt.status().code(), code) << receipt.status();
    EXPECT_THAT(std::string(receipt.status().message()),
                ::testing::HasSubstr(std::string(substring)));
    EXPECT_EQ(ledger_->Size(), size) << "a refused record was appended";
    EXPECT_TRUE(ledger_->LatestCheckpoint() == checkpoint) << "a refusal moved the checkpoint";
  }

  // ------------------------------------------------------------ participants

  // A ParticipantRegistered record for `who` signed by `signer`.
  v1::Record Registration(const Identity& signer, const Identity& who,
                          const std::vector<v1::Role>& roles) {
    v1::Record r = NewRecord(signer);
    auto* p = r.mutable_participant_registered();
    p->set_participant_id(who.id);
    p->set_legal_name("Legal name of " + who.id);
    for (v1::Role role : roles) p->add_roles(role);
    p->add_keys()->set_ed25519(who.key.public_key().raw());
    return r;
  }

  // Registers `id` holding `roles` (signed by the operator) and returns it.
  Identity Register(const std::string& id, std::vector<v1::Role> roles,
                    std::source_location where = std::source_location::current()) {
    Identity who = NewIdentity(id);
    LearnKey(who);
    Accept(Registration(op_, who, roles), where);
    return who;
  }
  Identity Register(const std::string& id, v1::Role role,
                    std::source_location where = std::source_location::current()) {
    return Register(id, std::vector<v1::Role>{role}, where);
  }

  v1::Record KeyAdded(const Identity& signer, const std::string& participant,
                      const PublicKey& key) {
    v1::Record r = NewRecord(signer);
    r.mutable_key_added()->set_participant_id(participant);
    r.mutable_key_added()->mutable_key()->set_ed25519(key.raw());
    return r;
  }
  v1::Record KeyRevoked(const Identity& signer, const std::string& participant,
                        const std::string& key_id) {
    v1::Record r = NewRecord(signer);
    r.mutable_key_revoked()->set_participant_id(participant);
    r.mutable_key_revoked()->set_key_id(key_id);
    r.mutable_key_revoked()->set_reason("key rotation");
    return r;
  }
  v1::Record RoleGranted(const Identity& signer, const std::string& participant, v1::Role role) {
    v1::Record r = NewRecord(signer);
    r.mutable_role_granted()->set_participant_id(participant);
    r.mutable_role_granted()->set_role(role);
    return r;
  }
  v1::Record Suspended(const Identity& signer, const std::string& participant) {
    v1::Record r = NewRecord(signer);
    r.mutable_participant_suspended()->set_participant_id(participant);
    r.mutable_participant_suspended()->set_reason("audit finding");
    return r;
  }
  v1::Record Reinstated(const Identity& signer, const std::string& participant) {
    v1::Record r = NewRecord(signer);
    r.mutable_participant_reinstated()->set_participant_id(participant);
    r.mutable_participant_reinstated()->set_reason("finding closed");
    return r;
  }

  // ------------------------------------------------------------ certificates

  // A scheme certificate about a participant, valid over [from, until] (0 = no expiry).
  v1::Record Certificate(const Identity& certifier, const std::string& cert_id,
                         const std::string& subject_participant, int64_t valid_from,
                         int64_t valid_until = 0) {
    v1::Record r = NewRecord(certifier);
    auto* c = r.mutable_certificate_issued();
    c->set_certificate_id(cert_id);
    c->set_scheme("rjc-coc");
    c->set_subject_participant(subject_participant);
    c->set_scope("chain of custody");
    c->set_valid_from_micros(valid_from);
    c->set_valid_until_micros(valid_until);
    c->set_external_number("EXT-" + cert_id);
    c->set_document_sha256(std::string(32, '\x42'));
    return r;
  }

  // A grading report about stone lot `lot_id`.
  v1::Record Grading(const Identity& lab, const std::string& cert_id, const std::string& lot_id,
                     v1::StoneOrigin origin, int64_t carats_thousandths) {
    v1::Record r = NewRecord(lab);
    auto* c = r.mutable_certificate_issued();
    c->set_certificate_id(cert_id);
    c->set_scheme("grading-report");
    c->set_subject_lot(lot_id);
    c->set_valid_from_micros(r.event_time_micros() - kHourMicros);
    auto* g = c->mutable_grading_report();
    g->set_lab("IGI");
    g->set_report_number("RN-" + cert_id);
    g->set_inscription("LG-" + cert_id);
    g->set_origin(origin);
    if (origin == v1::STONE_ORIGIN_LAB_GROWN) g->set_growth_method(v1::GROWTH_METHOD_CVD);
    g->set_treatment("none");
    g->set_carats_thousandths(carats_thousandths);
    g->set_colour("D");
    g->set_clarity("VS1");
    g->set_cut("excellent");
    return r;
  }

  v1::Record StatusChange(const Identity& certifier, const std::string& cert_id,
                          v1::CertificateStatus status, int64_t effective = 0) {
    v1::Record r = NewRecord(certifier);
    auto* c = r.mutable_certificate_status_changed();
    c->set_certificate_id(cert_id);
    c->set_status(status);
    c->set_reason("scheme decision");
    c->set_effective_micros(effective != 0 ? effective : r.event_time_micros());
    return r;
  }

  // ------------------------------------------------------------ material

  v1::Record Lot(const Identity& who, const std::string& lot_id, const std::string& material,
                 v1::OriginClass origin, int64_t quantity, v1::Unit unit, int32_t fineness_ppt,
                 std::vector<std::string> certificate_ids = {}) {
    v1::Record r = NewRecord(who);
    auto* l = r.mutable_lot_created();
    l->set_lot_id(lot_id);
    l->set_material(material);
    l->set_form(unit == v1::UNIT_CARAT_THOUSANDTH ? "rough" : "grain");
    l->set_origin_class(origin);
    l->set_quantity(quantity);
    l->set_unit(unit);
    l->set_fineness_ppt(fineness_ppt);
    l->set_facility("facility of " + who.id);
    for (auto& id : certificate_ids) l->add_certificate_ids(id);
    return r;
  }
  // A gold lot in milligrams.
  v1::Record GoldLot(const Identity& who, const std::string& lot_id, v1::OriginClass origin,
                     int64_t mg, int32_t fineness_ppt = 1000,
                     std::vector<std::string> certificate_ids = {}) {
    return Lot(who, lot_id, "gold", origin, mg, v1::UNIT_MILLIGRAM, fineness_ppt,
               std::move(certificate_ids));
  }
  // A diamond lot in thousandths of a carat.
  v1::Record StoneLot(const Identity& who, const std::string& lot_id, v1::OriginClass origin,
                      int64_t carats_thousandths) {
    return Lot(who, lot_id, "diamond", origin, carats_thousandths, v1::UNIT_CARAT_THOUSANDTH, 1000);
  }

  v1::Record Transform(const Identity& who, const std::string& id, v1::Process process,
                       const std::string& material, const std::vector<Take>& inputs,
                       const std::vector<Out>& outputs, int64_t declared_loss_fine = 0,
                       std::vector<std::string> certificate_ids = {}) {
    v1::Record r = NewRecord(who);
    auto* t = r.mutable_transformation();
    t->set_transformation_id(id);
    t->set_process(process);
    t->set_material(material);
    for (const auto& [lot, q] : inputs) {
      auto* in = t->add_inputs();
      in->set_lot_id(lot);
      in->set_quantity(q);
    }
    for (const Out& o : outputs) {
      auto* out = t->add_outputs();
      out->set_lot_id(o.lot_id);
      out->set_form(o.form);
      out->set_quantity(o.quantity);
      out->set_fineness_ppt(o.fineness_ppt);
    }
    t->set_declared_loss_fine(declared_loss_fine);
    t->set_location("workshop of " + who.id);
    for (auto& c : certificate_ids) t->add_certificate_ids(c);
    return r;
  }
  // A split of `quantity` of a gold lot into one output of the same fineness.
  v1::Record Split(const Identity& who, const std::string& id, const std::string& from,
                   int64_t quantity, const std::string& to, int32_t fineness_ppt = 1000) {
    return Transform(who, id, v1::PROCESS_SPLIT, "gold", {{from, quantity}},
                     {{to, quantity, fineness_ppt}});
  }

  v1::Record Ship(const Identity& who, const std::string& shipment_id, const std::string& lot_id,
                  const std::string& to) {
    v1::Record r = NewRecord(who);
    auto* s = r.mutable_custody_shipped();
    s->set_shipment_id(shipment_id);
    s->set_lot_id(lot_id);
    s->set_to_participant(to);
    s->set_business_reference_sha256(std::string(32, '\x17'));
    return r;
  }
  v1::Record Receive(const Identity& who, const std::string& shipment_id,
                     const std::string& lot_id) {
    v1::Record r = NewRecord(who);
    r.mutable_custody_received()->set_shipment_id(shipment_id);
    r.mutable_custody_received()->set_lot_id(lot_id);
    return r;
  }
  // Ships a lot and has the addressee receive it.
  void Transfer(const Identity& from, const Identity& to, const std::string& lot_id,
                std::source_location where = std::source_location::current()) {
    const std::string shipment = "ship-" + NextRecordId();
    Accept(Ship(from, shipment, lot_id, to.id), where);
    Accept(Receive(to, shipment, lot_id), where);
  }

  // ------------------------------------------------------------ pieces

  v1::Record Piece(const Identity& jeweler, const std::string& piece_id,
                   const std::vector<std::string>& stones, const std::vector<Take>& metal,
                   const std::vector<v1::Claim>& claims = {}) {
    v1::Record r = NewRecord(jeweler);
    auto* p = r.mutable_piece_registered();
    p->set_piece_id(piece_id);
    p->set_description("ring " + piece_id);
    for (const auto& s : stones) p->add_stone_lot_ids(s);
    for (const auto& [lot, q] : metal) {
      auto* m = p->add_metal_inputs();
      m->set_lot_id(lot);
      m->set_quantity(q);
    }
    p->set_hallmark("750");
    for (v1::Claim c : claims) p->add_claims(c);
    return r;
  }
  v1::Record Lifecycle(const Identity& jeweler, const std::string& piece_id, v1::PieceEvent event,
                       std::string owner_salted_sha256 = "") {
    v1::Record r = NewRecord(jeweler);
    auto* l = r.mutable_piece_lifecycle();
    l->set_piece_id(piece_id);
    l->set_event(event);
    l->set_owner_salted_sha256(std::move(owner_salted_sha256));
    return r;
  }
  v1::Record ReplaceStone(const Identity& jeweler, const std::string& piece_id,
                          const std::string& old_stone, const std::string& new_stone) {
    v1::Record r = NewRecord(jeweler);
    auto* s = r.mutable_stone_replaced();
    s->set_piece_id(piece_id);
    s->set_old_stone_lot_id(old_stone);
    s->set_new_stone_lot_id(new_stone);
    s->set_reason("chipped");
    return r;
  }
  v1::Record DeclareError(const Identity& who, uint64_t wrong_index,
                          std::optional<uint64_t> replacement_index = std::nullopt) {
    v1::Record r = NewRecord(who);
    auto* e = r.mutable_error_declared();
    e->set_wrong_index(wrong_index);
    if (replacement_index) e->set_replacement_index(*replacement_index);
    e->set_reason("wrong quantity");
    return r;
  }

  // A graded polished diamond held by `holder`: created by `producer` (a miner
  // for natural stones, a grower for lab-grown ones), graded by `lab`, and
  // transferred to `holder` unless the producer is the holder.
  void GradedStone(const Identity& producer, const Identity& lab, const Identity& holder,
                   const std::string& lot_id, v1::OriginClass origin,
                   int64_t carats_thousandths = 1000,
                   std::source_location where = std::source_location::current()) {
    Accept(StoneLot(producer, lot_id, origin, carats_thousandths), where);
    const v1::StoneOrigin stone = origin == v1::ORIGIN_CLASS_LAB_GROWN ? v1::STONE_ORIGIN_LAB_GROWN
                                                                       : v1::STONE_ORIGIN_NATURAL;
    Accept(Grading(lab, "gr-" + lot_id, lot_id, stone, carats_thousandths), where);
    if (producer.id != holder.id) Transfer(producer, holder, lot_id, where);
  }

  // ------------------------------------------------------------ state

  template <typename T>
  std::optional<T> State(const std::string& key) {
    absl::StatusOr<std::optional<std::string>> raw = ledger_->GetState(key);
    EXPECT_TRUE(raw.ok()) << raw.status();
    if (!raw.ok() || !raw->has_value()) return std::nullopt;
    T value;
    EXPECT_TRUE(value.ParseFromString(**raw)) << key;
    return value;
  }
  // The committed state of a lot, piece, certificate or participant (empty if absent).
  v1::LotState GetLot(const std::string& id) {
    return State<v1::LotState>(LotKey(id)).value_or(v1::LotState());
  }
  v1::PieceState GetPiece(const std::string& id) {
    return State<v1::PieceState>(PieceKey(id)).value_or(v1::PieceState());
  }
  v1::CertificateState GetCertificate(const std::string& id) {
    return State<v1::CertificateState>(CertificateKey(id)).value_or(v1::CertificateState());
  }
  v1::ParticipantState GetParticipant(const std::string& id) {
    return State<v1::ParticipantState>(ParticipantStateKey(id)).value_or(v1::ParticipantState());
  }

 private:
  TempDir dir_;
  std::atomic<int64_t> server_clock_offset_{0};
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
  absl::Mutex mu_;
  int64_t last_time_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t record_counter_ ABSL_GUARDED_BY(mu_) = 0;
  bool legacy_signatures_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, PrivateKey> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_RULES_TEST_UTIL_H_
