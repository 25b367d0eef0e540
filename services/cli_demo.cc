// touchstone demo: seeds a running touchstoned with a small, true-to-life supply
// chain under the trade rules (rules version 2). Old gold jewellery goes from a
// recycler through a refiner and a manufacturer to a jeweler; lab-grown
// diamonds go from a grower through a cutter and a grading laboratory to the
// same jeweler, who makes and sells pieces; then a pavé ring takes melee from a
// parcel, an 18k piece alloys recycled gold with mined silver and copper, a
// mass-balance refiner allocates credit, and a natural diamond travels with its
// Kimberley Process certificate and the System of Warranties (cli_demo.h).
// Every scheme and laboratory is a participant that signs its own
// certificates, pinned by the operator's SchemeRegistered. Every record is
// signed by the participant it speaks for, with an event time of now, and its
// receipt is checked (checkpoint signature, inclusion proof, the exact bytes
// signed) before the next record is sent; an owner's record is signed by the
// owner key alone (owner keys live in <keys_dir>/owner-keys under local labels
// that never reach the log). A legacy sale records its owner only as
// SHA-256(salt || owner) with a fresh random salt per sale, so two sales to
// one customer do not link; the jeweler keeps each salt and owner in
// <keys_dir>/<prefix>-jeweler-sales.txt, as a jeweler must to prove a sale later.
#include "services/cli_demo.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/units.h"
#include "openssl/rand.h"
#include "services/cli_sign.h"
#include "services/cli_trade_flags.h"
#include "services/cli_trade_state.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct PartyInfo {
  const char* who;  // short name; the participant id is <prefix>-<who>
  const char* legal_name;
  v1::Role role;
  const char* id_scheme;
  const char* id_value;
};

// Fictional companies, one per role of the story, and the bodies whose schemes
// the demo registers (demo keys: none of them signs anything real).
constexpr PartyInfo kParties[] = {
    {"recycler", "Greenloop Metals Recovery Ltd", v1::ROLE_RECYCLER, "GLN", "5061234500011"},
    {"refiner", "Alpenrand Refining SA", v1::ROLE_REFINER, "LEI", "5299009DEMOREFINE042"},
    {"grower", "Kaveri Lab-Grown Diamonds Pvt Ltd", v1::ROLE_GROWER, "GLN", "8904321000016"},
    {"cutter", "Scheldt Brilliant Cutting BV", v1::ROLE_CUTTER, "GLN", "5412345000013"},
    {"maker", "Berici Oro Manifattura Srl", v1::ROLE_MANUFACTURER, "GLN", "8012345000019"},
    {"jeweler", "Marlowe & Daughters Jewellers Ltd", v1::ROLE_JEWELER, "GLN", "5098765000014"},
    {"miner", "Tsodilo Minerals (Pty) Ltd", v1::ROLE_MINER, "GLN", "6009876000017"},
    {"rjc", "Responsible Jewellery Council (demo key)", v1::ROLE_CERTIFIER, "LEI",
     "5299009DEMORJC00077"},
    {"scs", "SCS Global Services (demo key)", v1::ROLE_CERTIFIER, "LEI", "5299009DEMOSCS00021"},
    {"igi", "International Gemological Institute (demo key)", v1::ROLE_CERTIFIER, "LEI",
     "5299009DEMOIGI00015"},
    {"kp-bw", "Kimberley Process Authority of Botswana (demo key)", v1::ROLE_CERTIFIER, "LEI",
     "5299009DEMOKPBW0033"},
};

std::string Sha(const std::string& s) { return HashBytes(Sha256(s)); }
}  // namespace

Demo::Demo(const Context& ctx, std::string prefix, bool sealed)
    : ctx_(ctx), stub_(ctx.Stub()), p_(std::move(prefix)), sealed_demo_(sealed) {}

std::string Demo::Id(const std::string& name) const { return absl::StrCat(p_, "-", name); }

int64_t Demo::Now() { return last_t_ = std::max(absl::ToUnixMicros(absl::Now()), last_t_ + 1); }

absl::Status Demo::Start(const std::string& operator_key, const std::string& dir) {
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(stub_->GetLogInfo(ctx_.Call().get(), {}, &info)));
  ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(info.verifier_key()));
  verifier_ = std::move(v);
  vkey_ = info.verifier_key();
  // The operator's participant id is in the genesis record (entry 0).
  v1::GetEntryRequest req;
  v1::Entry entry;
  RETURN_IF_ERROR(FromGrpc(stub_->GetEntry(ctx_.Call().get(), req, &entry)));
  ASSIGN_OR_RETURN(v1::Record genesis, RecordOfEntry(0, entry.data()));
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(operator_key));
  parties_.emplace("operator", Party{genesis.genesis().operator_().participant_id(), key});
  std::cout << "touchstone demo on " << ctx_.server << ": log " << info.origin() << ", size "
            << info.size() << ", prefix " << p_ << "\n";
  // <dir>/<participant>.pem for every participant: loaded if there, else created (0600).
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) chmod(dir.c_str(), 0700);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  int created = 0;
  for (const PartyInfo& party : kParties) {
    const std::string id = Id(party.who);
    const std::string path = (std::filesystem::path(dir) / (id + ".pem")).string();
    const bool exists = std::filesystem::exists(path);
    ASSIGN_OR_RETURN(PrivateKey k, exists ? PrivateKey::LoadPemFile(path) : PrivateKey::Generate());
    if (!exists) RETURN_IF_ERROR(k.SavePemFile(path));
    created += exists ? 0 : 1;
    parties_.emplace(party.who, Party{id, k});
  }
  keys_dir_ = dir;
  sales_path_ = (std::filesystem::path(dir) / (p_ + "-jeweler-sales.txt")).string();
  if (absl::StatusOr<std::string> kept = ReadWholeFile(sales_path_); kept.ok()) sales_ = *kept;
  std::cout << "keys in " << dir << " (<participant>.pem, mode 0600): " << created << " created, "
            << std::size(kParties) - created << " reused\n"
            << "index  signer            what\n";
  return absl::OkStatus();
}

absl::Status Demo::PutRecord(const std::string& who, v1::Record r, const std::string& what,
                             int64_t t, const PrivateKey* owner, bool seal) {
  const Party* party = who.empty() ? nullptr : &parties_.at(who);
  r.set_record_id(absl::StrCat("demo-", p_, "-", serial_, "-", ++count_));
  r.set_signer(party != nullptr ? party->id : "");
  r.set_key_id(party != nullptr ? party->key.public_key().Fingerprint() : "");
  r.set_event_time_micros(t != 0 ? t : Now());
  const bool supplier = party != nullptr && who != "operator" && who != "jeweler";
  v1::SubmitRequest req;
  if (seal || (seal_suppliers_ && supplier && IsSealableBody(RecordKind(r)))) {
    ASSIGN_OR_RETURN(std::string salt, FreshSalt());
    ASSIGN_OR_RETURN(SealedRecord sealed, SealRecord(r, std::move(salt)));
    r = std::move(sealed.record);
    *req.mutable_opening() = std::move(sealed.opening);
    ++sealed_;
  }
  std::string bytes = SerializeRecord(r);
  std::string signer = party != nullptr ? party->id : "";
  if (owner != nullptr) {  // owner_signature.h: over the bytes before field 100
    bytes = AppendOwnerSignature(bytes,
                                 SignAsOwner(*owner, OwnerSigningMessage(verifier_->name, bytes)));
    if (party == nullptr) {
      signer = absl::StrCat("owner key ", OwnerKeyId(Ed25519OwnerKey(owner->public_key())));
    }
  }
  req.set_record(bytes);
  if (party != nullptr) {
    req.set_signature(SignRecord(party->key, verifier_->name, bytes));  // for this log's origin
  }
  absl::StatusOr<CheckedReceipt> checked = SubmitAndCheck(ctx_, *stub_, req, *verifier_);
  if (!checked.ok()) {
    return absl::Status(checked.status().code(),
                        absl::StrCat("step ", count_, " (", signer, " ", what,
                                     ") refused: ", checked.status().message()));
  }
  last_ = checked->receipt.index();
  progress_.Clear();
  std::cout << absl::StrFormat("%5d  %-17s %s\n", last_, signer, what) << std::flush;
  progress_.Update(count_, kDemoRecords - skipped_);
  return absl::OkStatus();
}

absl::Status Demo::Put(const std::string& who, const std::string& text, const std::string& what,
                       int64_t t) {
  v1::Record r;
  if (!google::protobuf::TextFormat::ParseFromString(text, &r)) {
    return absl::InternalError("demo record does not parse: " + text);
  }
  return PutRecord(who, std::move(r), what, t);
}

absl::Status Demo::Register(const std::string& who, const char* legal_name, v1::Role role,
                            const char* id_scheme, const char* id_value) {
  // An identifier names one participant in a log (the identifier rule), and
  // each demo run registers its own participants: the value carries the prefix.
  const std::string value = absl::StrCat(id_value, "-", p_);
  return Put(
      "operator",
      absl::Substitute(R"(participant_registered { participant_id: "$0"
                                 legal_name: "$1" roles: $2 keys { ed25519: "$3" } identifiers
                                 { scheme: "$4" value: "$5" } })",
                       Who(who), legal_name, v1::Role_Name(role),
                       absl::CEscape(parties_.at(who).key.public_key().raw()), id_scheme, value),
      absl::StrCat("registers ", Who(who), " (", EnumWord(v1::Role_descriptor(), "ROLE_", role),
                   "): ", legal_name, ", ", id_scheme, " ", value));
}

absl::Status Demo::RegisterScheme(const std::string& scheme, const std::string& issuer,
                                  v1::SchemeKind kind, const std::string& display_name) {
  // A scheme is registered once per log: a later run signs its certificates
  // with the issuer an earlier run registered, whose key is in the keys dir.
  absl::StatusOr<v1::SchemeState> known = FetchScheme(ctx_, scheme);
  if (known.ok()) {
    const std::string path =
        (std::filesystem::path(keys_dir_) / (known->issuer() + ".pem")).string();
    absl::StatusOr<PrivateKey> key = PrivateKey::LoadPemFile(path);
    if (!key.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("scheme '", scheme, "' is registered on this log already, signed for by '",
                       known->issuer(), "', whose key ", path,
                       " is not in --keys_dir: ", key.status().message()));
    }
    parties_.insert_or_assign(issuer, Party{known->issuer(), *std::move(key)});
    ++skipped_;
    std::cout << "       scheme " << scheme << " is registered already: " << known->issuer()
              << " signs for it\n";
    return absl::OkStatus();
  }
  if (!absl::IsNotFound(known.status())) return known.status();
  v1::Record r;
  v1::SchemeRegistered* s = r.mutable_scheme_registered();
  s->set_scheme(scheme);
  s->set_issuer(Who(issuer));
  s->set_kind(kind);
  s->set_display_name(display_name);
  return PutRecord("operator", std::move(r),
                   absl::StrCat("registers scheme ", scheme, " (",
                                EnumWord(v1::SchemeKind_descriptor(), "SCHEME_KIND_", kind),
                                "): only ", Who(issuer), " signs its certificates"));
}

absl::Status Demo::Certify(const std::string& issuer, const std::string& scheme,
                           const std::string& who, const std::string& scope) {
  const int64_t t = Now(), three_years = int64_t{3} * 365 * 86400 * 1'000'000;
  const std::string id = Id("cert-" + who);
  return Put(issuer,
             absl::Substitute(R"(certificate_issued { certificate_id: "$0" scheme: "$1"
                                 subject_participant: "$2" scope: "$3" valid_from_micros: $4
                                 valid_until_micros: $5 external_number: "$6-$7"
                                 document_sha256: "$8" document_hash_algorithm: "sha-256"
                                 document_media_type: "application/pdf" })",
                              id, scheme, Who(who), scope, t, t + three_years,
                              absl::AsciiStrToUpper(scheme), serial_ % 100000,
                              absl::CEscape(Sha("certificate document " + id))),
             absl::StrCat("certifies ", Who(who), ": ", scheme, " certificate ", id, ", 3 years (",
                          scope, ")"),
             t);
}

absl::Status Demo::Lifecycle(const std::string& piece, const std::string& event,
                             const std::string& note, const std::string& what) {
  return Put(
      "jeweler",
      absl::Substitute(R"(piece_lifecycle { piece_id: "$0" event: PIECE_EVENT_$1 note: "$2" })",
                       Id(piece), event, note),
      what);
}

// The log gets only SHA-256(salt || owner) with a salt of 16 random bytes
// drawn for this sale alone: a salt shared between sales would let anyone who
// learns one owner's hash find the owner's other purchases. The jeweler keeps
// the salt and the owner (sales_path_, mode 0600: "<index> <piece> <salt hex>
// <owner>" a line).
absl::Status Demo::Sell(const std::string& piece, const std::string& owner, const std::string& note,
                        const std::string& what) {
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), salt.size()) != 1) {
    return absl::InternalError("no random bytes for an owner salt (OpenSSL RAND_bytes)");
  }
  RETURN_IF_ERROR(Put("jeweler",
                      absl::Substitute(R"(piece_lifecycle { piece_id: "$0" event: PIECE_EVENT_SOLD
                                          note: "$1" owner_salted_sha256: "$2" })",
                                       Id(piece), note, absl::CEscape(Sha(salt + owner))),
                      what));
  absl::StrAppend(&sales_, last_, " ", Id(piece), " ", absl::BytesToHexString(salt), " ", owner,
                  "\n");
  return ReplaceFileDurably(sales_path_, sales_, 0600);
}

absl::Status Demo::Run(bool participants_only) {
  std::random_device rd;
  serial_ = 100000000 + rd() % 800000000;  // 9-digit report and certificate numbers
  for (const PartyInfo& info : kParties) {
    RETURN_IF_ERROR(Register(info.who, info.legal_name, info.role, info.id_scheme, info.id_value));
  }
  RETURN_IF_ERROR(RunSetup());
  // The Kimberley Process certificate is about the miner too; the full story
  // issues it where the miner exports its rough (cli_demo_trade.cc).
  if (participants_only) RETURN_IF_ERROR(KimberleyProcess(1, 2100));
  if (!participants_only) {
    RETURN_IF_ERROR(RunStory());
    RETURN_IF_ERROR(RunTrade());
    RETURN_IF_ERROR(RunHeirloom());
  }
  progress_.Clear();
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(stub_->GetLogInfo(ctx_.Call().get(), {}, &info)));
  if (participants_only) {
    std::cout << count_ << " records appended, log size " << info.size()
              << ": participants, schemes and certificates about participants only\n";
    return absl::OkStatus();
  }
  PrintSummary(info.size());
  return absl::OkStatus();
}

void Demo::PrintSummary(uint64_t size) const {
  std::cout << count_ << " records appended, log size " << size
            << "; every receipt checked against " << vkey_ << "\n"
            << "pieces to look at (touchstone piece show ID, touchstone lookup piece ID):\n";
  const std::pair<const char*, std::string> pieces[] = {
      {"RING-1", absl::StrCat("solitaire ring, stone ", Id("stone-1"), "; sold, then repaired")},
      {"PENDANT-1", absl::StrCat("pendant; stone ", Id("stone-2"), " replaced by ", Id("stone-3"))},
      {"BAND-1",
       "wedding band; sold to the same customer (another owner hash), a repair booked on it "
       "declared wrong"},
      {"PAVE-1", absl::StrCat("pave ring: centre stone ", Id("stone-4"), " (IGI report) and 24 ",
                              "melee drawn from the 100-stone parcel ", Id("melee-1"))},
      {"GOLD18-1",
       "18k signet: recycled gold 100% (scs-recycled), alloyed with mined silver and "
       "copper"},
      {"MB-1", absl::StrCat("999.9 bangle: gold 62% recycled, mass balance, account ",
                            Id("mb-account"), " (rjc-coc)")},
      {"NATURAL-1", "natural diamond ring: Kimberley Process (kp-bw) and System of Warranties"},
      {"BRACELET-1",
       "14k bracelet sold to an owner key, passed on to another key by inheritance, then "
       "repurposed: melted down for the ring below"},
      {"HEIRLOOM-RING-1",
       "18k ring made from the owner's own gold (the bracelet's), with a lab-grown stone; "
       "sold to the owner's key"},
  };
  for (const auto& [piece, what] : pieces) {
    std::cout << absl::StrFormat("  piece %-16s %s\n", Id(piece), what);
  }
  if (sealed_demo_) {
    std::cout << "sealed: " << sealed_ << " records (the gold suppliers' of " << Id("RING-1")
              << ", " << Id("PENDANT-1") << " and " << Id("BAND-1")
              << ", and the ring's registration, which its bundle opens): their volumes, "
                 "counterparties, facilities and notes are committed on the log, their openings "
                 "kept by the ledger (docs/confidential.md)\n";
  }
  std::cout << "owner keys (local labels, never on the log): " << keys_dir_ << "/owner-keys\n"
            << "owner salts the jeweler keeps: " << sales_path_ << "\n"
            << "revoked certificate: " << Id("report-2") << " (grading report of " << Id("stone-2")
            << ", revoked after it was used in " << Id("PENDANT-1") << ")\n";
}

namespace {

std::string RandomPrefix() {
  std::random_device rd;
  const std::string alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  std::string p(1, alphabet[rd() % 24]);  // a letter first
  for (int i = 0; i < 3; ++i) p.push_back(alphabet[rd() % alphabet.size()]);
  return p;
}

bool IsValidPrefix(const std::string& p) {
  return !p.empty() && p.size() <= 16 && p[0] != '-' && std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// `demo` options.
struct DemoFlags {
  std::string operator_key;
  std::string keys_dir;
  std::string prefix;  // default: random
  bool sealed = false;
  bool participants_only = false;
};

}  // namespace

void AddDemoCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* demo = app.add_subcommand("demo",
                                  "seed a running server with a small supply chain of recycled "
                                  "gold, lab-grown and natural diamonds under the trade rules");
  auto flags = std::make_shared<DemoFlags>();
  demo->add_option("--operator_key", flags->operator_key, "the log operator's PEM key")->required();
  demo->add_option("--keys_dir", flags->keys_dir,
                   "directory of the participants' keys, <participant>.pem (existing ones are "
                   "reused)")
      ->required();
  demo->add_option("--prefix", flags->prefix,
                   "prefix of every id: 1 to 16 of a-z 0-9 - (default: 4 random characters)");
  demo->add_flag("--sealed", flags->sealed,
                 "the gold's suppliers seal their records (volumes, counterparties, facilities and "
                 "notes committed, docs/confidential.md) and RING-1's registration opens its "
                 "inputs in its bundle");
  demo->add_flag("--participants_only", flags->participants_only,
                 "register only the participants, the schemes and the certificates about "
                 "participants: a log to import the story's EPCIS documents into (docs/epcis.md)");
  demo->callback([&ctx, exit_code, flags] {
    std::string& prefix = flags->prefix;
    if (prefix.empty()) prefix = RandomPrefix();
    if (!IsValidPrefix(prefix)) {
      *exit_code = Fail(absl::InvalidArgumentError(absl::StrCat(
          "--prefix '", prefix, "' must be 1 to 16 of a-z 0-9 -, not starting with -")));
      return;
    }
    Demo d(ctx, prefix, flags->sealed);
    absl::Status s = d.Start(flags->operator_key, flags->keys_dir);
    if (s.ok()) s = d.Run(flags->participants_only);
    if (absl::IsAlreadyExists(s)) {
      s = absl::AlreadyExistsError(absl::StrCat(s.message(), " (prefix '", prefix,
                                                "' was used on this log before: pick another)"));
    }
    if (!s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
