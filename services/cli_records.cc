// touchstone participant / submit: build a record, sign it with a participant's
// key, submit it, and check the receipt that comes back.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "openssl/rand.h"
#include "services/cli.h"
#include "services/cli_log_reader.h"
#include "services/cli_sign.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

std::string RandomRecordId() {
  std::random_device rd;
  std::string bytes(12, '\0');
  for (char& c : bytes) c = static_cast<char>(rd());
  return absl::BytesToHexString(bytes);
}

}  // namespace

absl::StatusOr<std::string> ReceiptKey(const Context& ctx, const Signer& s) {
  if (!s.vkey.empty()) return s.vkey;
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetLogInfo(ctx.Call().get(), {}, &info)));
  const TrustedHeadStore heads = TrustedHeads(s.state_dir);
  const std::optional<std::string> pinned = heads.PinnedKey(info.origin());
  GrpcLogReader log(ctx);
  absl::StatusOr<TrustedHeadUpdate> head = heads.Update(log, pinned ? "" : info.verifier_key());
  const auto refused = [&](const std::string& why) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server reports the log key ", info.verifier_key(), " for ", info.origin(),
        ", but this client pinned ", *pinned,
        " on first use: refusing its receipts (a man in "
        "the middle, or another log under the same origin); give --vkey to check against another "
        "key",
        why.empty() ? "" : " (", why, why.empty() ? "" : ")"));
  };
  if (!head.ok()) {
    if (pinned && *pinned != info.verifier_key() && !absl::IsDataLoss(head.status())) {
      return refused(std::string(head.status().message()));
    }
    return head.status();
  }
  if (head->checkpoint_key != info.verifier_key()) {
    if (pinned) return refused("");
    return absl::PermissionDeniedError(
        absl::StrCat("the server reports the log key ", info.verifier_key(),
                     " but its checkpoint is signed by ", head->checkpoint_key));
  }
  if (!pinned) {
    std::cerr << "touchstone: WARNING: trusting the server's key " << info.verifier_key() << " for "
              << info.origin() << " on first use; pass --vkey to pin it. It is pinned from now on "
              << "(with this client's trusted head of the log, --state_dir); receipts under "
              << "another key will be refused.\n";
  }
  return head->checkpoint_key;
}

absl::StatusOr<std::string> FreshSalt() {
  std::string salt(kOpeningSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    return absl::InternalError("no random bytes for the opening's salt (OpenSSL RAND_bytes)");
  }
  return salt;
}

void AddSealOption(CLI::App* cmd, Signer& s) {
  cmd->add_flag("--seal", s.seal,
                "seal the record: its volumes, counterparty, references and notes are committed, "
                "not published; only its signer, its counterparties and auditors can open them "
                "(docs/confidential.md)");
}

void AddSignerOptions(CLI::App* cmd, Signer& s, bool optional) {
  auto* as = cmd->add_option("--as", s.as,
                             optional ? "participant id that signs; none for a record the owner "
                                        "key signs alone"
                                      : "participant id that signs (env TOUCHSTONE_AS)");
  // An owner command never picks up a participant from the environment.
  if (!optional) as->envname("TOUCHSTONE_AS")->required();
  // Owner commands use --key for the owner key's name: the participant's key
  // comes from --keys_dir there.
  if (!optional) {
    cmd->add_option("--key", s.key_file, "the participant's PEM key (env TOUCHSTONE_KEY)")
        ->envname("TOUCHSTONE_KEY");
  }
  cmd->add_option("--keys_dir", s.keys_dir,
                  "without --key, use <keys_dir>/<participant>.pem, as `touchstone demo` "
                  "writes them (env TOUCHSTONE_KEYS_DIR)")
      ->envname("TOUCHSTONE_KEYS_DIR");
  cmd->add_option("--record_id", s.record_id, "record id (default: random)");
  cmd->add_option("--receipt", s.receipt_out,
                  "write the receipt as a c2sp tlog-proof file (never overwrites)");
  cmd->add_option("--vkey", s.vkey,
                  "the log's verifier key to check the receipt against (env TOUCHSTONE_VKEY); "
                  "without it, the key pinned with this client's trusted head of the log (the "
                  "first time: the key the server reports, pinned on first use)")
      ->envname("TOUCHSTONE_VKEY");
  cmd->add_option("--state_dir", s.state_dir,
                  "without --vkey: where trusted heads and their pinned keys are kept "
                  "(default ~/.touchstone/trusted, as `log update`)");
}

absl::StatusOr<PrivateKey> LoadSignerKey(const Signer& s) {
  std::string key_file = s.key_file;
  if (key_file.empty() && !s.keys_dir.empty()) {
    key_file = absl::StrCat(s.keys_dir, "/", s.as, ".pem");
  }
  if (key_file.empty()) {
    return absl::InvalidArgumentError("say which key signs: --key FILE or --keys_dir DIR");
  }
  return PrivateKey::LoadPemFile(key_file);
}

absl::Status SignAndSubmit(const Context& ctx, const Signer& s, v1::Record record,
                           const PrivateKey* owner) {
  if (!s.receipt_out.empty() && std::filesystem::exists(s.receipt_out)) {
    return absl::AlreadyExistsError(
        absl::StrCat(s.receipt_out, " exists; refusing to overwrite it with the receipt"));
  }
  std::optional<PrivateKey> key;
  if (!s.as.empty()) {
    ASSIGN_OR_RETURN(key, LoadSignerKey(s));
    record.set_signer(s.as);
    record.set_key_id(key->public_key().Fingerprint());
  } else if (owner == nullptr) {
    return absl::InvalidArgumentError("say who signs: --as PARTICIPANT");
  } else {
    record.set_signer("");  // an owner-only record (owner_signature.h)
    record.set_key_id("");
  }
  record.clear_owner_signature();
  if (!s.record_id.empty()) record.set_record_id(s.record_id);
  if (record.record_id().empty()) record.set_record_id(RandomRecordId());
  if (record.event_time_micros() == 0) {
    record.set_event_time_micros(absl::ToUnixMicros(absl::Now()));
  }
  auto stub = ctx.Stub();
  ASSIGN_OR_RETURN(const std::string vkey, ReceiptKey(ctx, s));
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  v1::SubmitRequest req;
  if (s.seal) {
    // Everything the record says is in place: the committed fields go to the
    // opening, the public record (with the commitment) is what is signed.
    ASSIGN_OR_RETURN(std::string salt, FreshSalt());
    ASSIGN_OR_RETURN(SealedRecord sealed, SealRecord(record, std::move(salt)));
    record = std::move(sealed.record);
    *req.mutable_opening() = std::move(sealed.opening);
  }
  // The signature binds the log's origin, the name of its key (ledger/provenance/record.h):
  // with --vkey, a record is signed only for the log the user pinned.
  std::string bytes = SerializeRecord(record);
  if (owner != nullptr) {
    // The owner signs the bytes before its signature field; the participant, if
    // any, signs the whole record, owner signature included.
    bytes =
        AppendOwnerSignature(bytes, SignAsOwner(*owner, OwnerSigningMessage(verifier.name, bytes)));
  }
  req.set_record(bytes);
  if (key) req.set_signature(SignRecord(*key, verifier.name, bytes));
  ASSIGN_OR_RETURN(CheckedReceipt checked, SubmitAndCheck(ctx, *stub, req, verifier));
  const v1::Receipt& receipt = checked.receipt;
  std::cout << "record_id " << record.record_id() << "\n"
            << "index " << receipt.index() << "\n"
            << "leaf_hash " << absl::Base64Escape(receipt.leaf_hash()) << "\n"
            << "tree_size " << checked.checkpoint.size << "\n"
            << (receipt.duplicate() ? "duplicate true (idempotent retry)\n" : "")
            << (s.seal ? "sealed true (the opening went to the ledger, not the log)\n" : "")
            << "receipt verified: included under a checkpoint signed by " << vkey
            << (s.vkey.empty() ? " (the key pinned with this client's trusted head)" : "") << "\n";
  if (!s.receipt_out.empty()) {
    RETURN_IF_ERROR(WriteFile(s.receipt_out, checked.proof.ToText()));
  }
  return absl::OkStatus();
}

namespace {

[[nodiscard]] absl::StatusOr<std::string> PublicKeyFromPem(const std::string& file) {
  ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(file));
  if (pem.find("PRIVATE KEY") != std::string::npos) {
    ASSIGN_OR_RETURN(PrivateKey k, PrivateKey::FromPem(pem));
    return k.public_key().raw();
  }
  ASSIGN_OR_RETURN(PublicKey k, PublicKey::FromPem(pem));
  return k.raw();
}

// `participant register` options.
struct RegisterFlags {
  Signer signer;
  std::string id;
  std::string legal_name;
  std::vector<std::string> roles;
  std::vector<std::string> pubkeys;      // key files
  std::vector<std::string> identifiers;  // SCHEME=VALUE
};

// `participant add-key` options.
struct AddKeyFlags {
  Signer signer;
  std::string id;
  std::string pubkey;  // key file
};

// `participant revoke-key` options.
struct RevokeKeyFlags {
  Signer signer;
  std::string id;
  std::string key_id;
  std::string reason;
};

// `submit` options.
struct SubmitFlags {
  Signer signer;
  std::string json_file;  // "-" = stdin
};

}  // namespace

void AddRecordCommands(CLI::App& app, Context& ctx, int* exit_code) {
  // touchstone participant register ...
  auto* participant = app.add_subcommand("participant", "participant records");
  participant->require_subcommand(1);
  auto* reg = participant->add_subcommand("register", "register a participant (operator only)");
  auto rf = std::make_shared<RegisterFlags>();
  AddSignerOptions(reg, rf->signer);
  reg->add_option("--id", rf->id, "new participant id")->required();
  reg->add_option("--name", rf->legal_name, "legal name")->required();
  reg->add_option("--role", rf->roles, "role(s): refiner, recycler, grower, ...")->required();
  reg->add_option("--pubkey", rf->pubkeys, "the participant's key file(s) (PEM, public or private)")
      ->required();
  reg->add_option("--identifier", rf->identifiers, "SCHEME=VALUE, e.g. GLN=0614141000005");
  reg->callback([&ctx, exit_code, rf] {
    v1::Record r;
    auto* p = r.mutable_participant_registered();
    p->set_participant_id(rf->id);
    p->set_legal_name(rf->legal_name);
    for (const std::string& role : rf->roles) {
      v1::Role value;
      if (!v1::Role_Parse("ROLE_" + absl::AsciiStrToUpper(role), &value)) {
        *exit_code = Fail(absl::InvalidArgumentError(absl::StrCat("unknown role '", role, "'")));
        return;
      }
      p->add_roles(value);
    }
    for (const std::string& f : rf->pubkeys) {
      auto raw = PublicKeyFromPem(f);
      if (!raw.ok()) {
        *exit_code = Fail(raw.status());
        return;
      }
      p->add_keys()->set_ed25519(*raw);
    }
    for (const std::string& ident : rf->identifiers) {
      std::pair<std::string, std::string> kv = absl::StrSplit(ident, absl::MaxSplits('=', 1));
      if (kv.first.empty() || kv.second.empty()) {
        *exit_code = Fail(absl::InvalidArgumentError(
            absl::StrCat("identifier '", ident, "' is not SCHEME=VALUE")));
        return;
      }
      auto* i = p->add_identifiers();
      i->set_scheme(kv.first);
      i->set_value(kv.second);
    }
    if (auto s = SignAndSubmit(ctx, rf->signer, std::move(r)); !s.ok()) *exit_code = Fail(s);
  });

  // touchstone participant add-key / revoke-key
  auto* add_key = participant->add_subcommand("add-key", "add a key to a participant");
  auto af = std::make_shared<AddKeyFlags>();
  AddSignerOptions(add_key, af->signer);
  add_key->add_option("--id", af->id, "participant id")->required();
  add_key->add_option("--pubkey", af->pubkey, "key file (PEM)")->required();
  add_key->callback([&ctx, exit_code, af] {
    v1::Record r;
    r.mutable_key_added()->set_participant_id(af->id);
    auto raw = PublicKeyFromPem(af->pubkey);
    if (!raw.ok()) {
      *exit_code = Fail(raw.status());
      return;
    }
    r.mutable_key_added()->mutable_key()->set_ed25519(*raw);
    if (auto s = SignAndSubmit(ctx, af->signer, std::move(r)); !s.ok()) *exit_code = Fail(s);
  });
  auto* revoke = participant->add_subcommand("revoke-key", "revoke a participant's key");
  auto vf = std::make_shared<RevokeKeyFlags>();
  AddSignerOptions(revoke, vf->signer);
  revoke->add_option("--id", vf->id, "participant id")->required();
  revoke->add_option("--key_id", vf->key_id, "key id (16 hex) to revoke")->required();
  revoke->add_option("--reason", vf->reason, "why");
  revoke->callback([&ctx, exit_code, vf] {
    v1::Record r;
    r.mutable_key_revoked()->set_participant_id(vf->id);
    r.mutable_key_revoked()->set_key_id(vf->key_id);
    r.mutable_key_revoked()->set_reason(vf->reason);
    if (auto s = SignAndSubmit(ctx, vf->signer, std::move(r)); !s.ok()) *exit_code = Fail(s);
  });

  // touchstone submit --json FILE
  auto* submit = app.add_subcommand(
      "submit", "sign and submit a record given as protobuf JSON (touchstone.v1.Record)");
  auto sf = std::make_shared<SubmitFlags>();
  AddSignerOptions(submit, sf->signer);
  AddSealOption(submit, sf->signer);
  submit->add_option("--json", sf->json_file, "record JSON file ('-' = stdin)")->required();
  submit->callback([&ctx, exit_code, sf] {
    absl::StatusOr<std::string> json =
        sf->json_file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                             : ReadWholeFile(sf->json_file);
    if (!json.ok()) {
      *exit_code = Fail(json.status());
      return;
    }
    v1::Record r;
    auto st = google::protobuf::util::JsonStringToMessage(*json, &r);
    if (!st.ok()) {
      const std::string why =
          absl::StrReplaceAll(st.message().as_string(), {{"\n", " "}, {"^", ""}});
      *exit_code = Fail(absl::InvalidArgumentError(
          absl::StrCat("record JSON: ", absl::StripAsciiWhitespace(why))));
      return;
    }
    if (auto s = SignAndSubmit(ctx, sf->signer, std::move(r)); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
