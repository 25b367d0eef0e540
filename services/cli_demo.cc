// touchstone demo: seeds a running touchstoned with a small, true-to-life supply
// chain. Old gold jewellery goes from a recycler through a refiner and a
// manufacturer to a jeweler; a lab-grown diamond goes from a grower through a
// cutter and a grading lab to the same jeweler, who makes and sells pieces.
// Every record is signed by the participant it speaks for, with an event time
// of now, and its receipt is checked (checkpoint signature, inclusion proof, the
// exact bytes signed) before the next record is sent. A sale records its owner
// only as SHA-256(salt || owner) with a fresh random salt per sale, so two sales
// to one customer do not link; the jeweler keeps each salt and owner in
// <keys_dir>/<prefix>-jeweler-sales.txt, as a jeweler must to prove a sale later.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/provenance/record.h"
#include "openssl/rand.h"
#include "services/cli.h"
#include "services/cli_progress.h"
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

// Fictional companies, one per role of the story.
constexpr PartyInfo kParties[] = {
    {"recycler", "Greenloop Metals Recovery Ltd", v1::ROLE_RECYCLER, "GLN", "5061234500011"},
    {"refiner", "Alpenrand Refining SA", v1::ROLE_REFINER, "LEI", "5299009DEMOREFINE042"},
    {"grower", "Kaveri Lab-Grown Diamonds Pvt Ltd", v1::ROLE_GROWER, "GLN", "8904321000016"},
    {"cutter", "Scheldt Brilliant Cutting BV", v1::ROLE_CUTTER, "GLN", "5412345000013"},
    {"maker", "Berici Oro Manifattura Srl", v1::ROLE_MANUFACTURER, "GLN", "8012345000019"},
    {"jeweler", "Marlowe & Daughters Jewellers Ltd", v1::ROLE_JEWELER, "GLN", "5098765000014"},
    {"scheme", "Ethical Metals Assurance Scheme", v1::ROLE_CERTIFIER, "LEI",
     "5299009DEMOSCHEME077"},
    {"lab", "Meridian Gem Grading Laboratory", v1::ROLE_CERTIFIER, "LEI", "5299009DEMOGEMLAB015"},
};

std::string Grams(int64_t mg) { return absl::StrFormat("%d.%03d g", mg / 1000, mg % 1000); }
std::string Carats(int64_t th) { return absl::StrFormat("%d.%03d ct", th / 1000, th % 1000); }
std::string Amount(bool stone, int64_t q) { return stone ? Carats(q) : Grams(q); }
std::string Sha(const std::string& s) { return HashBytes(Sha256(s)); }
// "250.000 g gold bar @651", "0.520 ct polished diamond".
std::string Desc(const std::string& material, const std::string& form, int64_t q, int32_t f) {
  if (material == "diamond") return absl::StrCat(Carats(q), " ", form, " diamond");
  return absl::StrCat(Grams(q), " ", material, " ", form, " @", f);
}
std::string Lower(const std::string& enum_name, size_t prefix_len) {
  return absl::AsciiStrToLower(enum_name.substr(prefix_len));
}

// How many records Demo::Run appends (for the progress line; test_1 of
// tests/demo_e2e_test.py checks the story has exactly this many).
constexpr uint64_t kDemoRecords = 50;

struct Out {
  std::string lot_id, form;
  int64_t quantity;
  int32_t fineness_ppt;
};
using Inputs = std::vector<std::pair<std::string, int64_t>>;  // lot, quantity

class Demo {
 public:
  Demo(const Context& ctx, std::string prefix)
      : ctx_(ctx), stub_(ctx.Stub()), p_(std::move(prefix)) {}

  [[nodiscard]] absl::Status Start(const std::string& operator_key, const std::string& dir) {
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
    for (const PartyInfo& info : kParties) {
      const std::string id = Id(info.who);
      const std::string path = (std::filesystem::path(dir) / (id + ".pem")).string();
      const bool exists = std::filesystem::exists(path);
      ASSIGN_OR_RETURN(PrivateKey key,
                       exists ? PrivateKey::LoadPemFile(path) : PrivateKey::Generate());
      if (!exists) RETURN_IF_ERROR(key.SavePemFile(path));
      created += exists ? 0 : 1;
      parties_.emplace(info.who, Party{id, key});
    }
    sales_path_ = (std::filesystem::path(dir) / (p_ + "-jeweler-sales.txt")).string();
    if (absl::StatusOr<std::string> kept = ReadWholeFile(sales_path_); kept.ok()) sales_ = *kept;
    std::cout << "keys in " << dir << " (<participant>.pem, mode 0600): " << created << " created, "
              << std::size(kParties) - created << " reused\n"
              << "index  signer            what\n";
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status Run();

 private:
  struct Party {
    std::string id;
    PrivateKey key;
  };

  std::string Id(const std::string& name) const { return absl::StrCat(p_, "-", name); }
  const std::string& Who(const std::string& who) const { return parties_.at(who).id; }
  // Real now, strictly increasing from record to record.
  int64_t Now() { return last_t_ = std::max(absl::ToUnixMicros(absl::Now()), last_t_ + 1); }

  // Signs a record (protobuf text of a touchstone.v1.Record body) as `who`, submits it,
  // checks the receipt and prints one line; last_ is then the record's index.
  [[nodiscard]] absl::Status Put(const std::string& who, const std::string& text,
                                 const std::string& what, int64_t t = 0) {
    const Party& party = parties_.at(who);
    v1::Record r;
    if (!google::protobuf::TextFormat::ParseFromString(text, &r)) {
      return absl::InternalError("demo record does not parse: " + text);
    }
    r.set_record_id(absl::StrCat("demo-", p_, "-", serial_, "-", ++count_));
    r.set_signer(party.id);
    r.set_key_id(party.key.public_key().Fingerprint());
    r.set_event_time_micros(t != 0 ? t : Now());
    const std::string bytes = SerializeRecord(r);
    v1::SubmitRequest req;
    req.set_record(bytes);
    req.set_signature(SignRecord(party.key, verifier_->name, bytes));  // for this log's origin
    absl::StatusOr<CheckedReceipt> checked = SubmitAndCheck(ctx_, *stub_, req, *verifier_);
    if (!checked.ok()) {
      return absl::Status(checked.status().code(),
                          absl::StrCat("step ", count_, " (", party.id, " ", what,
                                       ") refused: ", checked.status().message()));
    }
    const v1::Receipt& receipt = checked->receipt;
    last_ = receipt.index();
    progress_.Clear();
    std::cout << absl::StrFormat("%5d  %-17s %s\n", last_, party.id, what) << std::flush;
    progress_.Update(count_, kDemoRecords);
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status Register(const PartyInfo& info) {
    return Put("operator",
               absl::Substitute(R"(participant_registered { participant_id: "$0"
                                   legal_name: "$1" roles: $2 keys { ed25519: "$3" } identifiers
                                   { scheme: "$4" value: "$5" } })",
                                Who(info.who), info.legal_name, v1::Role_Name(info.role),
                                absl::CEscape(parties_.at(info.who).key.public_key().raw()),
                                info.id_scheme, info.id_value),
               absl::StrCat("registers ", Who(info.who), " (", Lower(v1::Role_Name(info.role), 5),
                            "): ", info.legal_name, ", ", info.id_scheme, " ", info.id_value));
  }

  // The scheme body certifies a participant for three years: <prefix>-cert-<who>.
  [[nodiscard]] absl::Status Certify(const std::string& who, const std::string& scheme,
                                     const std::string& scope) {
    const int64_t t = Now(), three_years = int64_t{3} * 365 * 86400 * 1'000'000;
    const std::string id = Id("cert-" + who);
    return Put("scheme",
               absl::Substitute(R"(certificate_issued { certificate_id: "$0" scheme: "$1"
                                   subject_participant: "$2" scope: "$3" valid_from_micros: $4
                                   valid_until_micros: $5 external_number: "$6-$7"
                                   document_sha256: "$8" })",
                                id, scheme, Who(who), scope, t, t + three_years,
                                absl::AsciiStrToUpper(scheme), serial_ % 100000,
                                absl::CEscape(Sha("certificate document " + id))),
               absl::StrCat("certifies ", Who(who), ": ", scheme, " certificate ", id,
                            ", 3 years (", scope, ")"),
               t);
  }

  // The lab grades polished stone n: report <prefix>-report-<n>, subject the stone's lot.
  [[nodiscard]] absl::Status Grade(int n, int64_t carats, const std::string& colour,
                                   const std::string& clarity, const std::string& measurements) {
    const int64_t t = Now();
    const std::string id = Id(absl::StrCat("report-", n)), stone = Id(absl::StrCat("stone-", n)),
                      number = absl::StrCat("LG", serial_ + n);
    return Put("lab",
               absl::Substitute(
                   R"(certificate_issued { certificate_id: "$0" scheme: "grading-report"
                      subject_lot: "$1" scope: "diamond grading report" valid_from_micros: $2
                      external_number: "$3" document_sha256: "$4" grading_report { lab: "$5"
                      report_number: "$3" inscription: "MGL $3" origin: STONE_ORIGIN_LAB_GROWN
                      growth_method: GROWTH_METHOD_CVD treatment: "none" carats_thousandths: $6
                      colour: "$7" clarity: "$8" cut: "Excellent" measurements: "$9" } })",
                   id, stone, t, number, absl::CEscape(Sha("grading report " + number)),
                   parties_.at("lab").id, carats, colour, clarity, measurements),
               absl::StrCat("grades ", stone, ": report ", id, " (", number, ", inscription \"MGL ",
                            number, "\"), lab-grown CVD, ", Carats(carats), " ", colour, " ",
                            clarity, " Excellent"),
               t);
  }

  [[nodiscard]] absl::Status Lot(const std::string& who, const std::string& lot,
                                 const std::string& material, const std::string& form,
                                 v1::OriginClass origin, int64_t quantity, int32_t fineness,
                                 const std::string& facility, const std::string& cert,
                                 const std::string& note) {
    const bool stone = material == "diamond";
    desc_[lot] = Desc(material, form, quantity, fineness);
    return Put(
        who,
        absl::Substitute(R"(lot_created { lot_id: "$0" material: "$1" form: "$2"
                            origin_class: $3 quantity: $4 unit: $5 fineness_ppt: $6
                            facility: "$7" note: "$8" $9 })",
                         Id(lot), material, form, v1::OriginClass_Name(origin), quantity,
                         stone ? "UNIT_CARAT_THOUSANDTH" : "UNIT_MILLIGRAM", fineness, facility,
                         note, cert.empty() ? "" : absl::StrCat("certificate_ids: \"", cert, "\"")),
        absl::StrCat("creates lot ", Id(lot), ": ", desc_[lot], ", ",
                     absl::StrReplaceAll(Lower(v1::OriginClass_Name(origin), 13),
                                         {{"post_", "post-"}, {"pre_", "pre-"}, {"_", " "}}),
                     " (", note, ")", cert.empty() ? "" : ", cites " + cert));
  }

  // Inputs become outputs; prints "PROCESS in -> out; loss". `loss` in fine units.
  [[nodiscard]] absl::Status Transform(const std::string& who, v1::Process process,
                                       const std::string& material, const Inputs& in,
                                       const std::vector<Out>& out, int64_t loss,
                                       const std::string& location, const std::string& cert = "") {
    const bool stone = material == "diamond";
    std::string text = absl::Substitute(
        R"(transformation_id: "$0" process: $1 material: "$2" declared_loss_fine: $3
           location: "$4")",
        Id(absl::StrCat("tx-", count_ + 1)), v1::Process_Name(process), material, loss, location);
    if (!cert.empty()) absl::StrAppend(&text, " certificate_ids: \"", cert, "\"");
    std::vector<std::string> ins, outs;
    for (const auto& [lot, q] : in) {
      absl::StrAppend(&text, " inputs { lot_id: \"", Id(lot), "\" quantity: ", q, " }");
      ins.push_back(absl::StrCat(Id(lot), " ", Amount(stone, q)));
    }
    for (const Out& o : out) {
      absl::StrAppend(
          &text,
          absl::Substitute(R"(outputs { lot_id: "$0" form: "$1" quantity: $2 fineness_ppt: $3 })",
                           Id(o.lot_id), o.form, o.quantity, o.fineness_ppt));
      desc_[o.lot_id] = Desc(material, o.form, o.quantity, o.fineness_ppt);
      outs.push_back(absl::StrCat(Id(o.lot_id), " ", Amount(stone, o.quantity),
                                  stone ? "" : absl::StrCat(" ", o.form, " @", o.fineness_ppt)));
    }
    return Put(who, "transformation { " + text + " }",
               absl::StrCat(v1::Process_Name(process).substr(8), " ", absl::StrJoin(ins, " + "),
                            " -> ", absl::StrJoin(outs, ", "),
                            loss == 0 ? "; no loss"
                                      : absl::StrCat("; declared loss ", Amount(stone, loss / 1000),
                                                     stone ? "" : " fine"),
                            cert.empty() ? "" : ", cites " + cert));
  }

  // Both sides of a custody transfer: shipped by `from`, received by `to`.
  [[nodiscard]] absl::Status Ship(const std::string& from, const std::string& to,
                                  const std::string& lot) {
    const std::string shipment = Id(absl::StrCat("shp-", count_ + 1));
    RETURN_IF_ERROR(Put(from,
                        absl::Substitute(R"(custody_shipped { shipment_id: "$0" lot_id: "$1"
                                            to_participant: "$2" business_reference_sha256: "$3"
                                            })",
                                         shipment, Id(lot), Who(to),
                                         absl::CEscape(Sha("invoice for shipment " + shipment))),
                        absl::StrCat("ships ", Id(lot), " (", desc_[lot], ") to ", Who(to),
                                     ", shipment ", shipment)));
    return Put(to,
               absl::Substitute(R"(custody_received { shipment_id: "$0" lot_id: "$1" })", shipment,
                                Id(lot)),
               absl::StrCat("receives ", Id(lot), " (shipment ", shipment, ")"));
  }

  [[nodiscard]] absl::Status Piece(const std::string& piece, const std::string& description,
                                   const std::vector<std::string>& stones, const Inputs& metal,
                                   const std::vector<v1::Claim>& claims) {
    std::string text = absl::Substitute(R"(piece_id: "$0" description: "$1" hallmark: "750")",
                                        Id(piece), description);
    std::vector<std::string> parts, names;
    for (const std::string& s : stones) {
      absl::StrAppend(&text, " stone_lot_ids: \"", Id(s), "\"");
      parts.push_back(Id(s));
    }
    for (const auto& [lot, mg] : metal) {
      absl::StrAppend(&text, " metal_inputs { lot_id: \"", Id(lot), "\" quantity: ", mg, " }");
      parts.push_back(absl::StrCat(Grams(mg), " of ", Id(lot)));
    }
    for (v1::Claim c : claims) {
      absl::StrAppend(&text, " claims: ", v1::Claim_Name(c));
      names.push_back(Lower(v1::Claim_Name(c), 6));
    }
    return Put("jeweler", "piece_registered { " + text + " }",
               absl::StrCat("registers piece ", Id(piece), ": ", description, " (",
                            absl::StrJoin(parts, " + "), "), hallmark 750; claims ",
                            absl::StrJoin(names, ", ")));
  }

  [[nodiscard]] absl::Status Lifecycle(const std::string& piece, const std::string& event,
                                       const std::string& note, const std::string& what) {
    return Put(
        "jeweler",
        absl::Substitute(R"(piece_lifecycle { piece_id: "$0" event: PIECE_EVENT_$1 note: "$2" })",
                         Id(piece), event, note),
        what);
  }

  // The jeweler sells `piece` to `owner`. The log gets only SHA-256(salt ||
  // owner) with a salt of 16 random bytes drawn for this sale alone: a salt
  // shared between sales would let anyone who learns one owner's hash find the
  // owner's other purchases. The jeweler keeps the salt and the owner
  // (sales_path_, mode 0600: "<index> <piece> <salt hex> <owner>" a line).
  [[nodiscard]] absl::Status Sell(const std::string& piece, const std::string& owner,
                                  const std::string& note, const std::string& what) {
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

  const Context& ctx_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string p_, vkey_;
  std::string sales_path_, sales_;  // the jeweler's record of its sales' salts and owners
  std::optional<NoteVerifier> verifier_;
  std::map<std::string, Party> parties_;
  std::map<std::string, std::string> desc_;  // lot -> "250.000 g gold bar @651"
  Progress progress_{"demo:", "records appended and checked"};
  int64_t last_t_ = 0;
  int count_ = 0;
  uint64_t last_ = 0, serial_ = 0;
};

absl::Status Demo::Run() {
  std::random_device rd;
  serial_ = 100000000 + rd() % 800000000;  // 9-digit report and certificate numbers

  // 1. The operator registers everyone; the scheme body certifies the suppliers.
  for (const PartyInfo& info : kParties) RETURN_IF_ERROR(Register(info));
  RETURN_IF_ERROR(Certify("recycler", "recycled-content", "post-consumer gold scrap, Birmingham"));
  RETURN_IF_ERROR(Certify("refiner", "rjc-coc", "refining of recycled gold, Mendrisio"));
  RETURN_IF_ERROR(Certify("grower", "rjc-cop", "CVD lab-grown diamonds, Surat"));

  // 2. Recycled gold: old jewellery melted, refined, split, alloyed to 18k, cast.
  const auto post = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
  const std::string yard = "Greenloop, Birmingham", refinery = "Alpenrand, Mendrisio",
                    factory = "Berici Oro, Vicenza";
  RETURN_IF_ERROR(Lot("recycler", "scrap-14k", "gold", "scrap", post, 150000, 585, yard,
                      Id("cert-recycler"), "old 14k jewellery"));
  RETURN_IF_ERROR(Lot("recycler", "scrap-18k", "gold", "scrap", post, 100000, 750, yard,
                      Id("cert-recycler"), "old 18k jewellery"));
  // 150000 x 585 + 100000 x 750 = 162 750 000 = 250000 x 651: one bar, nothing lost.
  RETURN_IF_ERROR(Transform("recycler", v1::PROCESS_MERGE, "gold",
                            {{"scrap-14k", 150000}, {"scrap-18k", 100000}},
                            {{"melt-1", "bar", 250000, 651}}, 0, yard));
  RETURN_IF_ERROR(Ship("recycler", "refiner", "melt-1"));
  // In 162 750 000 fine units; out 162500 x 999 = 162 337 500; loss 412 500 (2.5 ppt).
  RETURN_IF_ERROR(Transform("refiner", v1::PROCESS_REFINE, "gold", {{"melt-1", 250000}},
                            {{"grain-1", "grain", 162500, 999}}, 412500, refinery,
                            Id("cert-refiner")));
  RETURN_IF_ERROR(Transform("refiner", v1::PROCESS_SPLIT, "gold", {{"grain-1", 162500}},
                            {{"grain-1a", "grain", 100000, 999}, {"grain-1b", "grain", 62500, 999}},
                            0, refinery, Id("cert-refiner")));
  // Only miners, refiners, recyclers and growers create lots: the refiner supplies
  // the silver-copper that turns fine gold into 18k yellow gold.
  RETURN_IF_ERROR(Lot("refiner", "agcu-1", "silver-copper", "grain",
                      v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER, 40000, 1000, refinery,
                      Id("cert-refiner"), "master alloy for 18k yellow"));
  RETURN_IF_ERROR(Ship("refiner", "maker", "grain-1a"));
  RETURN_IF_ERROR(Ship("refiner", "maker", "agcu-1"));
  // In 100000 x 999 = 99 900 000; out 133100 x 750 = 99 825 000; loss 75 000.
  RETURN_IF_ERROR(Transform("maker", v1::PROCESS_ALLOY, "gold",
                            {{"grain-1a", 100000}, {"agcu-1", 33300}},
                            {{"18k-1", "grain", 133100, 750}}, 75000, factory));
  // In 99 825 000; out 132900 x 750 = 99 675 000; loss 150 000.
  RETURN_IF_ERROR(Transform("maker", v1::PROCESS_CAST, "gold", {{"18k-1", 133100}},
                            {{"cast-1", "castings", 132900, 750}}, 150000, factory));
  RETURN_IF_ERROR(Ship("maker", "jeweler", "cast-1"));

  // 3. A lab-grown diamond: grown, cut into three stones, graded.
  RETURN_IF_ERROR(Lot("grower", "rough-1", "diamond", "rough", v1::ORIGIN_CLASS_LAB_GROWN, 3420,
                      1000, "Kaveri reactor hall 2, Surat", Id("cert-grower"), "CVD-grown"));
  RETURN_IF_ERROR(Ship("grower", "cutter", "rough-1"));
  // 3420 in; 520 + 510 + 505 = 1535 out; 1885 lost (551 ppt, within the 700 allowed).
  RETURN_IF_ERROR(Transform("cutter", v1::PROCESS_CUT_AND_POLISH, "diamond", {{"rough-1", 3420}},
                            {{"stone-1", "polished", 520, 1000},
                             {"stone-2", "polished", 510, 1000},
                             {"stone-3", "polished", 505, 1000}},
                            1885 * 1000, "Scheldt, Antwerp"));
  RETURN_IF_ERROR(Grade(1, 520, "E", "VS1", "5.16 - 5.19 x 3.19 mm"));
  RETURN_IF_ERROR(Grade(2, 510, "F", "VS2", "5.12 - 5.15 x 3.17 mm"));
  RETURN_IF_ERROR(Grade(3, 505, "F", "VS1", "5.10 - 5.13 x 3.16 mm"));
  for (const char* stone : {"stone-1", "stone-2", "stone-3"}) {
    RETURN_IF_ERROR(Ship("cutter", "jeweler", stone));
  }

  // 4. The jeweler makes three pieces and sells one; the story goes on after the sale.
  RETURN_IF_ERROR(Piece(
      "RING-1", "18k solitaire ring, 0.52 ct lab-grown diamond", {"stone-1"}, {{"cast-1", 3850}},
      {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS, v1::CLAIM_CERTIFIED_CHAIN}));
  RETURN_IF_ERROR(Piece("PENDANT-1", "18k pendant, 0.51 ct lab-grown diamond", {"stone-2"},
                        {{"cast-1", 2100}},
                        {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS}));
  RETURN_IF_ERROR(Piece("BAND-1", "18k wedding band, 4 mm", {}, {{"cast-1", 5600}},
                        {v1::CLAIM_RECYCLED_METAL}));
  const std::string customer = absl::StrCat("customer ", serial_);
  RETURN_IF_ERROR(Sell("RING-1", customer, "sold in the Bath shop",
                       "sells " + Id("RING-1") + "; owner recorded only as a salted SHA-256"));
  RETURN_IF_ERROR(Sell("BAND-1", customer, "sold in the Bath shop",
                       absl::StrCat("sells ", Id("BAND-1"), " to the same customer; a fresh ",
                                    "salt, so the two sales do not link")));
  // The lab re-examines stone 2 after it was set: its report is revoked from now
  // on; the pendant's registration stays valid (the report was valid then).
  const int64_t t = Now();
  RETURN_IF_ERROR(Put("lab",
                      absl::Substitute(R"(certificate_status_changed { certificate_id: "$0"
                                          status: CERTIFICATE_STATUS_REVOKED
                                          reason: "re-examination: colour is G, not F"
                                          effective_micros: $1 })",
                                       Id("report-2"), t),
                      absl::StrCat("revokes report ", Id("report-2"), " of ", Id("stone-2"),
                                   " (colour is G, not F), already used in ", Id("PENDANT-1")),
                      t));
  RETURN_IF_ERROR(Put("jeweler",
                      absl::Substitute(R"(stone_replaced { piece_id: "$0" old_stone_lot_id: "$1"
                                          new_stone_lot_id: "$2" reason: "report revoked" })",
                                       Id("PENDANT-1"), Id("stone-2"), Id("stone-3")),
                      absl::StrCat("replaces ", Id("stone-2"), " in ", Id("PENDANT-1"), " with ",
                                   Id("stone-3"), "; ", Id("stone-2"), " is released")));
  // A repair booked on the wrong piece, booked again on the right one, and the
  // first record declared wrong: records are never edited or deleted.
  RETURN_IF_ERROR(Lifecycle("BAND-1", "REPAIRED", "resized from 52 to 54",
                            "books a repair (resized from 52 to 54) on " + Id("BAND-1")));
  const uint64_t wrong = last_;
  RETURN_IF_ERROR(Lifecycle("RING-1", "REPAIRED", "resized from 52 to 54",
                            "books the same repair on " + Id("RING-1") + ", the right piece"));
  RETURN_IF_ERROR(Put("jeweler",
                      absl::Substitute(R"(error_declared { wrong_index: $0 replacement_index: $1
                                          reason: "repair booked on the wrong piece" })",
                                       wrong, last_),
                      absl::StrCat("declares entry ", wrong, " wrong (wrong piece); entry ", last_,
                                   " replaces it")));

  progress_.Clear();
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(stub_->GetLogInfo(ctx_.Call().get(), {}, &info)));
  std::cout << count_ << " records appended, log size " << info.size()
            << "; every receipt checked against " << vkey_ << "\n"
            << "pieces to look at (touchstone lookup piece ID):\n"
            << absl::StrFormat("  piece %-16s solitaire ring, stone %s; sold, then repaired\n",
                               Id("RING-1"), Id("stone-1"))
            << absl::StrFormat("  piece %-16s pendant; stone %s replaced by %s\n", Id("PENDANT-1"),
                               Id("stone-2"), Id("stone-3"))
            << absl::StrFormat(
                   "  piece %-16s wedding band; sold to the same customer (another "
                   "owner hash), a repair booked on it declared wrong\n",
                   Id("BAND-1"))
            << "owner salts the jeweler keeps: " << sales_path_ << "\n"
            << "revoked certificate: " << Id("report-2") << " (grading report of " << Id("stone-2")
            << ", revoked after it was used in " << Id("PENDANT-1") << ")\n";
  return absl::OkStatus();
}

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
};

}  // namespace

void AddDemoCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* demo = app.add_subcommand(
      "demo", "seed a running server with a small recycled-gold / lab-grown-diamond supply chain");
  auto flags = std::make_shared<DemoFlags>();
  demo->add_option("--operator_key", flags->operator_key, "the log operator's PEM key")->required();
  demo->add_option("--keys_dir", flags->keys_dir,
                   "directory of the participants' keys, <participant>.pem (existing ones are "
                   "reused)")
      ->required();
  demo->add_option("--prefix", flags->prefix,
                   "prefix of every id: 1 to 16 of a-z 0-9 - (default: 4 random characters)");
  demo->callback([&ctx, exit_code, flags] {
    std::string& prefix = flags->prefix;
    if (prefix.empty()) prefix = RandomPrefix();
    if (!IsValidPrefix(prefix)) {
      *exit_code = Fail(absl::InvalidArgumentError(absl::StrCat(
          "--prefix '", prefix, "' must be 1 to 16 of a-z 0-9 -, not starting with -")));
      return;
    }
    Demo d(ctx, prefix);
    absl::Status s = d.Start(flags->operator_key, flags->keys_dir);
    if (s.ok()) s = d.Run();
    if (absl::IsAlreadyExists(s)) {
      s = absl::AlreadyExistsError(absl::StrCat(s.message(), " (prefix '", prefix,
                                                "' was used on this log before: pick another)"));
    }
    if (!s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
