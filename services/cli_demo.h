// touchstone demo's story teller (services/cli_demo*.cc): the participants,
// and one helper per kind of record, each signing as the participant it speaks
// for, submitting, checking the receipt and printing one line. The story is
// told by Demo::Run in four parts: the recycled-gold and lab-grown-diamond
// pieces (cli_demo_story.cc), the trade's pieces (cli_demo_trade.cc: pavé,
// 18k with a recycled-gold claim, mass balance, natural diamonds), an
// heirloom (cli_demo_heirloom.cc: a bracelet sold to an owner key, inherited,
// remade into a ring from the owner's own gold) and the summary.
// Thread-compatible.
#ifndef TOUCHSTONE_SERVICES_CLI_DEMO_H_
#define TOUCHSTONE_SERVICES_CLI_DEMO_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/keys.h"
#include "ledger/log/note.h"
#include "proto/record.pb.h"
#include "services/cli.h"
#include "services/cli_progress.h"

namespace touchstone::cli {

// How many records Demo::Run appends (for the progress line; test_1 of
// tests/demo_e2e_test.py checks the story has exactly this many; a later run
// on the same log appends 5 fewer: the schemes are registered already).
inline constexpr uint64_t kDemoRecords = 128;

// A lot a transformation makes.
struct DemoOut {
  std::string lot_id, form;
  int64_t quantity = 0;
  int32_t fineness_ptt = 0;
  int64_t stones = 0;  // a parcel
  std::string size_class;
};

// A lot a transformation takes; `stones` > 0 draws that many from a parcel
// (the remainder the draw states is read from the parcel's state).
struct DemoIn {
  std::string lot_id;
  int64_t quantity = 0;
  int64_t stones = 0;
};

// A lot entering the ledger.
struct DemoLot {
  std::string who, lot, material, form;
  v1::OriginClass origin = v1::ORIGIN_CLASS_UNSPECIFIED;
  int64_t quantity = 0;
  int32_t fineness_ptt = 0;
  std::string facility;
  std::vector<std::string> certs;  // full ids
  std::string note;
  int64_t parcel_stones = 0;
  std::string size_class;
};

// A piece the jeweler registers.
struct DemoPiece {
  std::string piece, description, hallmark;
  std::vector<std::string> stones;   // graded stones' lots
  std::vector<DemoIn> metal;         // lot and milligrams
  std::vector<std::string> parcels;  // parcel lots taken whole
  std::vector<std::string> claims;   // as `piece register --claim` reads them, ids unprefixed
  bool heirloom_claim = false;       // claim the owner's material its inputs carry
  // Seal the registration and open its inputs in the piece's bundle
  // (PieceRegistered.disclose_inputs): the jeweler's choice for its customers.
  bool disclose_inputs = false;
};

class Demo {
 public:
  // `sealed`: the gold's suppliers seal their records and RING-1 opens its
  // inputs in its bundle (touchstone demo --sealed).
  Demo(const Context& ctx, std::string prefix, bool sealed = false);

  // Reads the log's key and operator, loads or creates every participant's key
  // in `dir`. The server's errors; UNAVAILABLE if `dir` cannot be made.
  [[nodiscard]] absl::Status Start(const std::string& operator_key, const std::string& dir);
  // Tells the whole story; the first refused record's status, naming its step.
  // `participants_only`: only the participants, the schemes and the
  // certificates about participants, the records an EPCIS document has no
  // event for (a log to import the story's documents into, docs/epcis.md).
  [[nodiscard]] absl::Status Run(bool participants_only = false);

 private:
  struct Party {
    std::string id;
    PrivateKey key;
  };

  // The schemes and the certificates about participants (cli_demo_story.cc).
  [[nodiscard]] absl::Status RunSetup();
  [[nodiscard]] absl::Status RunStory();     // cli_demo_story.cc
  [[nodiscard]] absl::Status RunTrade();     // cli_demo_trade.cc
  [[nodiscard]] absl::Status RunHeirloom();  // cli_demo_heirloom.cc
  // The owner key a local label names (<keys_dir>/owner-keys/<prefix>-<label>.pem,
  // made on first use); the label never leaves this machine.
  [[nodiscard]] absl::StatusOr<PrivateKey> OwnerKey(const std::string& label);
  void PrintSummary(uint64_t size) const;

  std::string Id(const std::string& name) const;
  const std::string& Who(const std::string& who) const { return parties_.at(who).id; }
  // Real now, strictly increasing from record to record.
  int64_t Now();

  // Signs `r` as `who`, submits it, checks the receipt and prints one line;
  // last_ is then the record's index. The record is sealed (its committed
  // fields sent as the opening, ledger/provenance/commitments.h) if
  // seal_suppliers_ is set, `who` is a supplier and its body has committed
  // fields, or if `seal`. With `owner`, the owner key signs too
  // (Record.owner_signature); `who` "" makes it the record's only signer.
  [[nodiscard]] absl::Status PutRecord(const std::string& who, v1::Record r,
                                       const std::string& what, int64_t t = 0,
                                       const PrivateKey* owner = nullptr, bool seal = false);
  // The same with the record's body as protobuf text.
  [[nodiscard]] absl::Status Put(const std::string& who, const std::string& text,
                                 const std::string& what, int64_t t = 0);

  [[nodiscard]] absl::Status Register(const std::string& who, const char* legal_name, v1::Role role,
                                      const char* id_scheme, const char* id_value);
  // The operator pins `issuer` as the scheme's signer.
  [[nodiscard]] absl::Status RegisterScheme(const std::string& scheme, const std::string& issuer,
                                            v1::SchemeKind kind, const std::string& display_name);
  // `issuer` certifies participant `who` under `scheme` for three years:
  // <prefix>-cert-<who>.
  [[nodiscard]] absl::Status Certify(const std::string& issuer, const std::string& scheme,
                                     const std::string& who, const std::string& scope);
  // The Botswana KP authority's certificate for the miner's export of rough:
  // <prefix>-kp-<n>.
  [[nodiscard]] absl::Status KimberleyProcess(int n, int64_t carats);
  // The laboratory grades polished stone n: report <prefix>-report-<n>.
  [[nodiscard]] absl::Status Grade(int n, v1::StoneOrigin origin, int64_t carats,
                                   const std::string& colour, const std::string& clarity,
                                   const std::string& measurements);
  [[nodiscard]] absl::Status Lot(const DemoLot& lot);
  // Inputs become outputs; prints "PROCESS in -> out; loss". `loss` in fine units (ptt).
  [[nodiscard]] absl::Status Transform(const std::string& who, v1::Process process,
                                       const std::string& material, const std::vector<DemoIn>& in,
                                       const std::vector<DemoOut>& out, int64_t loss,
                                       const std::string& location, const std::string& cert = "",
                                       bool heirloom = false);
  // Both sides of a custody transfer; natural diamonds carry the System of Warranties.
  [[nodiscard]] absl::Status Ship(const std::string& from, const std::string& to,
                                  const std::string& lot);
  [[nodiscard]] absl::Status Piece(const DemoPiece& piece);
  // The refiner's mass-balance account: book a lot, or allocate a share of one.
  [[nodiscard]] absl::Status Credit(const std::string& who, const std::string& account,
                                    const std::string& lot, bool allocation, uint32_t share_bp);
  [[nodiscard]] absl::Status Lifecycle(const std::string& piece, const std::string& event,
                                       const std::string& note, const std::string& what);
  // The jeweler sells `piece` to an owner key (PieceLifecycle.buyer).
  [[nodiscard]] absl::Status SellToKey(const std::string& piece, const PrivateKey& buyer,
                                       const std::string& note, const std::string& what);
  // The jeweler sells `piece` to `owner`, recording only SHA-256(salt || owner).
  [[nodiscard]] absl::Status Sell(const std::string& piece, const std::string& owner,
                                  const std::string& note, const std::string& what);

  const Context& ctx_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string p_, vkey_;
  std::string keys_dir_;
  std::string sales_path_, sales_;  // the jeweler's record of its sales' salts and owners
  std::optional<NoteVerifier> verifier_;
  std::map<std::string, Party> parties_;
  std::map<std::string, std::string> desc_;  // lot -> "250.000 g (...) gold bar @651"
  std::set<std::string> natural_;            // lots of natural diamonds (shipped with the SoW)
  Progress progress_{"demo:", "records appended and checked"};
  int64_t last_t_ = 0;
  int count_ = 0;
  int skipped_ = 0;  // scheme registrations an earlier run made
  // Part one's suppliers seal their records: volumes, counterparties,
  // facilities and notes stay off the public log (docs/confidential.md).
  const bool sealed_demo_;
  bool seal_suppliers_ = false;
  int sealed_ = 0;  // records sealed
  uint64_t last_ = 0, serial_ = 0;
};

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_DEMO_H_
