// touchstone epcis import FILE... --as P: GS1 EPCIS 2.0 documents become signed
// records (ledger/epcis/epcis_import.h maps them). Each record is signed by the
// participant its event names (touchstone:entry's signer, a shipment's source,
// a receipt's destination) or, where it names none, by --as; a participant
// other than --as only if --sign-for names it, with <keys_dir>/<id>.pem (the
// document says who signs, the user says whom they sign for). A record an owner key signed (an
// heirloom intake, a piece's owners' records) is signed again, for this log, by the key of
// --owner_keys_dir with that id, and only if the document carries that key's signature of the
// record on the log it came from (CheckOwnerSignedBefore). Records go one by one through Submit,
// every receipt checked against the log's key; an error declaration is signed once the records it
// names have their indices. --dry-run sends them through Ledger.CheckStream instead: the server's
// rules, nothing appended. An event that maps to no record, or a record the log refuses, is
// reported with its position and eventID; the others go ahead. Importing the same document again
// appends nothing twice (record ids come from the document).
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/epcis/epcis_import.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "services/cli.h"
#include "services/cli_sign.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

// Documents larger than this are refused before parsing.
constexpr size_t kMaxDocumentBytes = size_t{256} << 20;

struct ImportFlags {
  std::vector<std::string> files;
  Signer signer;
  bool dry_run = false;
  bool history_import = false;
  // Participants other than --as this import may sign for (<keys_dir>/<id>.pem).
  std::vector<std::string> sign_for;
  // Owner keys that sign again, on this log, what they signed on the other.
  std::string owner_keys_dir;
};

// What became of the document.
struct Tally {
  size_t appended = 0, duplicates = 0, refused = 0, unmapped = 0, skipped = 0;
};

// `s` with control characters and DEL written as \xNN: text from a document
// never reaches the terminal as escape sequences.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// "FILE: event N (eventID): what", on stderr.
void Report(const ImportFlags& f, size_t document, size_t event, const std::string& event_id,
            std::string_view what) {
  std::cerr << f.files[document] << ": event " << event << " (" << Printable(event_id)
            << "): " << Printable(what) << "\n";
}

// The keys that sign, loaded once each: --as's (--key, else <keys_dir>/<as>.pem)
// and, for the participants --sign-for names and no others, <keys_dir>/<id>.pem.
// The document says who signs each record; the user says whom they sign for.
class Keys {
 public:
  Keys(const Signer& s, const std::vector<std::string>& sign_for)
      : s_(s), sign_for_(sign_for.begin(), sign_for.end()) {}

  // The key for `participant`; nullptr with `why` set if this import does not
  // sign for it or holds no key for it.
  const PrivateKey* For(const std::string& participant, std::string* why) {
    auto it = keys_.find(participant);
    if (it != keys_.end()) return &it->second;
    Signer one = s_;
    one.as = participant;
    if (participant != s_.as) {
      if (!sign_for_.contains(participant)) {
        *why = absl::StrCat("the document says ", participant, " signs it; this import signs as ",
                            s_.as, " (add --sign-for ", participant,
                            " to sign for it with its key from --keys_dir)");
        return nullptr;
      }
      one.key_file.clear();
      const std::string file = absl::StrCat(s_.keys_dir, "/", participant, ".pem");
      if (s_.keys_dir.empty() || !std::filesystem::exists(file)) {
        *why =
            absl::StrCat("no key for ", participant, ": --keys_dir holds no ", participant, ".pem");
        return nullptr;
      }
    }
    absl::StatusOr<PrivateKey> key = LoadSignerKey(one);
    if (!key.ok()) {
      *why = std::string(key.status().message());
      return nullptr;
    }
    return &keys_.emplace(participant, std::move(*key)).first->second;
  }

 private:
  const Signer& s_;
  const std::set<std::string> sign_for_;
  std::map<std::string, PrivateKey> keys_;
};

// The owner keys of --owner_keys_dir (each *.pem, an Ed25519 owner key), by key
// id, loaded on first use: an owner signs again only if the user hands over
// the owner's keys.
class OwnerKeys {
 public:
  explicit OwnerKeys(std::string dir) : dir_(std::move(dir)) {}

  // The key whose id is `id`; nullptr with `why` set if there is none.
  const PrivateKey* For(const std::string& id, std::string* why) {
    if (dir_.empty()) {
      *why = absl::StrCat("owner key ", id,
                          " signed it, and an owner's signature names the log it was given for: "
                          "the owner must sign again on this log (--owner_keys_dir DIR with the "
                          "owner's key)");
      return nullptr;
    }
    if (!loaded_) {
      loaded_ = true;
      std::error_code ec;
      for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
        if (file.path().extension() != ".pem") continue;
        const std::string path = file.path().string();
        absl::Status mode = CheckKeyFileIsPrivate(path);
        absl::StatusOr<PrivateKey> key =
            mode.ok() ? PrivateKey::LoadPemFile(path) : absl::StatusOr<PrivateKey>(mode);
        if (!key.ok()) {
          problems_.push_back(absl::StrCat(path, ": ", key.status().message()));
          continue;
        }
        const std::string key_id = OwnerKeyId(Ed25519OwnerKey(key->public_key()));
        keys_.emplace(key_id, *std::move(key));
      }
      if (ec) problems_.push_back(absl::StrCat(dir_, ": ", ec.message()));
    }
    auto it = keys_.find(id);
    if (it != keys_.end()) return &it->second;
    *why = absl::StrCat("owner key ", id, " signed it; ", dir_, " holds no such key",
                        problems_.empty() ? "" : " (", absl::StrJoin(problems_, "; "),
                        problems_.empty() ? "" : ")");
    return nullptr;
  }

 private:
  const std::string dir_;
  bool loaded_ = false;
  std::map<std::string, PrivateKey> keys_;
  std::vector<std::string> problems_;
};

// Sends one record through the dry-run stream and reads its result.
class Checker {
 public:
  explicit Checker(const Context& ctx) : stub_(ctx.Stub()) {
    call_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(ctx.timeout_seconds)));
    stream_ = stub_->CheckStream(&call_);
  }
  [[nodiscard]] absl::StatusOr<v1::SubmitResult> Check(const v1::SubmitRequest& req) {
    v1::SubmitResult result;
    if (!stream_->Write(req) || !stream_->Read(&result)) {
      RETURN_IF_ERROR(FromGrpc(stream_->Finish()));
      return absl::UnavailableError("the server closed the check stream");
    }
    return result;
  }
  [[nodiscard]] absl::Status Finish() {
    stream_->WritesDone();
    return FromGrpc(stream_->Finish());
  }

 private:
  std::unique_ptr<v1::Ledger::Stub> stub_;
  grpc::ClientContext call_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::SubmitRequest, v1::SubmitResult>> stream_;
};

[[nodiscard]] absl::Status Import(const Context& ctx, const ImportFlags& f) {
  std::vector<EpcisImportPlan> plans;
  for (const std::string& file : f.files) {
    ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(file, kMaxDocumentBytes));
    absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(text);
    if (!plan.ok())
      return absl::Status(plan.status().code(), absl::StrCat(file, ": ", plan.status().message()));
    plans.push_back(*std::move(plan));
  }
  ASSIGN_OR_RETURN(const EpcisImportPlan plan, MergeEpcisPlans(std::move(plans)));
  Tally tally;
  for (const EpcisImportError& e : plan.errors) {
    Report(f, e.document, e.event, e.event_id, absl::StrCat("not imported: ", e.message));
    ++tally.unmapped;
  }
  auto report = [&f](const EpcisImportRecord& r, std::string_view what) {
    Report(f, r.document, r.event, r.event_id, what);
  };
  ASSIGN_OR_RETURN(const std::string vkey, ReceiptKey(ctx, f.signer));
  ASSIGN_OR_RETURN(const NoteVerifier verifier, NoteVerifier::Parse(vkey));
  Keys keys(f.signer, f.sign_for);
  OwnerKeys owner_keys(f.owner_keys_dir);
  std::map<std::string, size_t> signed_as;  // who signed how many records sent
  auto stub = ctx.Stub();
  // In a dry run, an index below the log's size when it started is a real entry.
  uint64_t size_at_start = 0;
  std::optional<Checker> checker;
  if (f.dry_run) {
    v1::CheckpointResponse latest;
    RETURN_IF_ERROR(FromGrpc(stub->GetCheckpoint(ctx.Call().get(), {}, &latest)));
    size_at_start = latest.size();
    checker.emplace(ctx);
  }
  // The log index each record of the plan got (or, in a dry run, would get).
  std::vector<std::optional<uint64_t>> index(plan.records.size());
  // In a dry run, whether that index is a real entry (in the log already).
  std::vector<bool> in_log(plan.records.size(), false);
  for (size_t i = 0; i < plan.records.size(); ++i) {
    const EpcisImportRecord& r = plan.records[i];
    v1::Record record = r.record;
    if (record.has_error_declared()) {
      const bool named = r.wrong && index[*r.wrong] && (!r.replacement || index[*r.replacement]);
      if (!named) {
        report(r, "error declaration not imported: the record it names was not imported");
        ++tally.skipped;
        continue;
      }
      if (f.dry_run && !(in_log[*r.wrong] && (!r.replacement || in_log[*r.replacement]))) {
        report(r,
               "error declaration checked only when appended: it names records by the "
               "indices they get");
        ++tally.skipped;
        continue;
      }
      record.mutable_error_declared()->set_wrong_index(*index[*r.wrong]);
      if (r.replacement)
        record.mutable_error_declared()->set_replacement_index(*index[*r.replacement]);
    }
    std::string why;
    const PrivateKey* owner = nullptr;
    if (!r.owner_key_id.empty() && (owner = owner_keys.For(r.owner_key_id, &why)) == nullptr) {
      report(r, absl::StrCat("not signed: ", why));
      ++tally.refused;
      continue;
    }
    if (owner != nullptr) {
      // The owner signs again only what it signed on the log the document came from.
      if (absl::Status s = CheckOwnerSignedBefore(r, Ed25519OwnerKey(owner->public_key()));
          !s.ok()) {
        report(r, absl::StrCat("not signed: ", s.message()));
        ++tally.refused;
        continue;
      }
    }
    if (r.prev) {
      // An owner's record names the piece's ownership record it follows by its index here.
      if (!index[*r.prev]) {
        report(r, "owner's record not imported: the ownership record it follows was not imported");
        ++tally.skipped;
        continue;
      }
      if (f.dry_run && !in_log[*r.prev]) {
        report(r,
               "owner's record checked only when appended: it names the ownership record it "
               "follows by the index that record gets");
        ++tally.skipped;
        continue;
      }
      SetOwnerPrevIndex(record, *index[*r.prev]);
    }
    const std::string who = r.owner_only ? "" : r.signer.empty() ? f.signer.as : r.signer;
    const PrivateKey* key = who.empty() ? nullptr : keys.For(who, &why);
    if (!who.empty() && key == nullptr) {
      report(r, absl::StrCat("not signed: ", why));
      ++tally.refused;
      continue;
    }
    if (owner != nullptr) {
      report(r, absl::StrCat("owner key ", r.owner_key_id, " signs its ", RecordKind(record),
                             " again, for this log (its signature there checked)"));
    }
    ++signed_as[who.empty() ? absl::StrCat("owner key ", r.owner_key_id) : who];
    record.set_signer(who);
    record.set_key_id(key != nullptr ? key->public_key().Fingerprint() : "");
    if (f.history_import) record.set_history_import(true);
    v1::SubmitRequest req;
    // The owner signs the bytes before its signature; the participant, if any,
    // signs the whole record (ledger/provenance/owner_signature.h).
    std::string bytes = SerializeRecord(record);
    if (owner != nullptr) {
      bytes = AppendOwnerSignature(bytes,
                                   SignAsOwner(*owner, OwnerSigningMessage(verifier.name, bytes)));
    }
    req.set_record(std::move(bytes));
    if (key != nullptr) req.set_signature(SignRecord(*key, verifier.name, req.record()));
    v1::Receipt receipt;
    if (f.dry_run) {
      ASSIGN_OR_RETURN(v1::SubmitResult result, checker->Check(req));
      if (result.code() != 0) {
        report(r,
               absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(result.code())),
                            ": ", result.message()));
        ++tally.refused;
        continue;
      }
      receipt = result.receipt();
      in_log[i] = receipt.duplicate() && receipt.index() < size_at_start;
    } else {
      absl::StatusOr<CheckedReceipt> checked = SubmitAndCheck(ctx, *stub, req, verifier);
      if (!checked.ok()) {
        const absl::StatusCode code = checked.status().code();
        // A receipt that does not check out, or a server gone, ends the import.
        if (code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kUnavailable ||
            code == absl::StatusCode::kInternal || code == absl::StatusCode::kDeadlineExceeded) {
          return checked.status();
        }
        report(r, absl::StrCat(absl::StatusCodeToString(code), ": ", checked.status().message()));
        ++tally.refused;
        continue;
      }
      receipt = checked->receipt;
    }
    index[i] = receipt.index();
    ++(receipt.duplicate() ? tally.duplicates : tally.appended);
  }
  if (checker) RETURN_IF_ERROR(checker->Finish());
  std::cout << (f.dry_run ? "dry run: " : "imported ") << f.files.size()
            << (f.files.size() == 1 ? " document, " : " documents, ") << plan.events << " events, "
            << plan.records.size() << " records: " << tally.appended
            << (f.dry_run ? " would be appended, " : " appended, ") << tally.duplicates
            << " in the log already, " << tally.refused << " refused, " << tally.skipped
            << " not checked; " << tally.unmapped << " events not imported"
            << (f.dry_run ? "; nothing was appended" : "") << "\n";
  if (!signed_as.empty()) {
    std::cout << "signed as " << absl::StrJoin(signed_as, ", ", absl::PairFormatter(" x")) << "\n";
  }
  if (!f.dry_run) {
    std::cout << "receipts verified: every record's entry is under a checkpoint signed by " << vkey
              << "\n";
  }
  if (tally.refused + tally.unmapped + (f.dry_run ? 0 : tally.skipped) > 0) {
    return absl::FailedPreconditionError(
        "some events were not imported (each named above); importing the same document again "
        "appends nothing twice");
  }
  return absl::OkStatus();
}

}  // namespace

void AddEpcisImportCommand(CLI::App* epcis, Context& ctx, int* exit_code) {
  auto f = std::make_shared<ImportFlags>();
  auto* cmd = epcis->add_subcommand(
      "import", "an EPCIS 2.0 document's events as signed records (docs/epcis.md#import)");
  cmd->add_option("files", f->files,
                  "EPCIS 2.0 JSON(-LD) documents; exports of one log are imported together in "
                  "that log's order")
      ->required();
  AddSignerOptions(cmd, f->signer);
  cmd->add_option("--sign-for", f->sign_for,
                  "participants besides --as whose records this import signs, each with "
                  "<keys_dir>/<id>.pem (default: none; the document names who signs each "
                  "record, you say whom you sign for)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--owner_keys_dir", f->owner_keys_dir,
                  "owner keys (*.pem) that sign again, for this log, the records they signed "
                  "on the log the document came from (an heirloom intake, a piece's owners' "
                  "records), each only if the document carries the owner's signature of it "
                  "there, and named as it is signed; default: none, and such records are not "
                  "imported");
  cmd->add_flag("--dry-run", f->dry_run,
                "check every record against the server's rules; append nothing");
  cmd->add_flag("--history-import", f->history_import,
                "mark every record as imported history (the log's policy must allow it)");
  cmd->callback([&ctx, exit_code, f] {
    if (!f->signer.record_id.empty() || !f->signer.receipt_out.empty()) {
      *exit_code = Fail(absl::InvalidArgumentError(
          "epcis import takes each record's id from the document and checks every receipt "
          "itself: --record_id and --receipt do not apply"));
      return;
    }
    if (absl::Status s = Import(ctx, *f); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
