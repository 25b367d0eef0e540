// touchstone owner key new|show, owner accept|transfer|report|replace-key|
// prove|check-proof|show: a piece's owner, known on the log by a key alone,
// acts for the piece with records the owner key signs (docs/owners.md). The
// shared pieces are in cli_owner.h.
#include "services/cli_owner.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/owner_signature.h"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli_sign.h"
#include "services/status_convert.h"

namespace touchstone::cli {

std::string OwnerKeysDir(const std::string& dir) {
  if (!dir.empty()) return dir;
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.touchstone/owner-keys");
}

absl::Status CheckOwnerKeyName(std::string_view name_view) {
  const std::string name(name_view);
  const bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
                  });
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("owner key name '", name,
                     "' must be 1 to 64 of A-Z a-z 0-9 . _ - (a label on this machine only)"));
  }
  return absl::OkStatus();
}

namespace {

std::string KeyPath(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(OwnerKeysDir(dir)) / (name + ".pem")).string();
}

}  // namespace

absl::StatusOr<PrivateKey> NewOwnerKey(const std::string& dir, const std::string& name) {
  RETURN_IF_ERROR(CheckOwnerKeyName(name));
  const std::string d = OwnerKeysDir(dir);
  std::error_code ec;
  if (std::filesystem::create_directories(d, ec)) chmod(d.c_str(), 0700);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", d, ": ", ec.message()));
  const std::string path = KeyPath(dir, name);
  if (std::filesystem::exists(path)) {
    return absl::AlreadyExistsError(
        absl::StrCat("owner key '", name, "' exists (", path, "); a key is never overwritten"));
  }
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate());
  RETURN_IF_ERROR(key.SavePemFile(path));
  return key;
}

absl::StatusOr<PrivateKey> LoadOwnerKey(const std::string& dir, const std::string& name) {
  RETURN_IF_ERROR(CheckOwnerKeyName(name));
  const std::string path = KeyPath(dir, name);
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat("no owner key '", name, "' in ", OwnerKeysDir(dir),
                                            ": make one with `touchstone owner key new ", name,
                                            "`"));
  }
  RETURN_IF_ERROR(CheckKeyFileIsPrivate(path));
  return PrivateKey::LoadPemFile(path);
}

std::string OwnerKeyString(const v1::OwnerKey& key) {
  std::string bytes;
  key.SerializeToString(&bytes);  // one field (or a nested message in field order): canonical
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<v1::OwnerKey> ParseOwnerKeyString(std::string_view flag_view,
                                                 std::string_view text_view) {
  const std::string flag(flag_view), text(text_view);
  std::string bytes;
  v1::OwnerKey key;
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  if (trimmed.empty() || trimmed.find('=') != std::string::npos ||
      !absl::WebSafeBase64Unescape(trimmed, &bytes) || !key.ParseFromString(bytes) ||
      key.key_case() == v1::OwnerKey::KEY_NOT_SET || OwnerKeyString(key) != trimmed) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " '", text,
        "' is not an owner-key string (unpadded base64url of an OwnerKey, as `touchstone owner "
        "key show` and the page print it)"));
  }
  RETURN_IF_ERROR(ValidateOwnerKey(key, flag));
  return key;
}

absl::StatusOr<v1::PieceState> FetchPiece(const Context& ctx, const std::string& id) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(id);
  v1::PieceState piece;
  RETURN_IF_ERROR(FromGrpc(stub->GetPiece(ctx.Call().get(), req, &piece)));
  return piece;
}

std::string OwnerKeyLabel(const v1::OwnerKey& key) {
  return absl::StrCat("owner key ", OwnerKeyId(key));
}

namespace {

// Options of the commands that sign as an owner.
struct OwnerFlags {
  Signer signer;  // --as only where a participant may act (insurer, recovery agent)
  std::string dir;
  std::string piece, key, recovery_key, recovery_agent, insurer, to, event, note, new_key, proof,
      nonce;
};

void AddDirOption(CLI::App* cmd, std::string& dir) {
  cmd->add_option("--owner_keys_dir", dir,
                  "where owner keys are kept (default ~/.touchstone/owner-keys; env "
                  "TOUCHSTONE_OWNER_KEYS)")
      ->envname("TOUCHSTONE_OWNER_KEYS");
}

// The origin of the log the client talks to (what ownership proofs bind).
[[nodiscard]] absl::StatusOr<std::string> Origin(const Context& ctx) {
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetLogInfo(ctx.Call().get(), {}, &info)));
  return info.origin();
}

// The piece an owner record is about, checked as far as the client can: it
// must be owner-keyed (sold to a key) and not repurposed.
[[nodiscard]] absl::StatusOr<v1::PieceState> OwnedPiece(const Context& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(v1::PieceState piece, FetchPiece(ctx, id));
  if (!piece.has_owner()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "piece ", id, " has no owner key: its jeweler's sale names none (`touchstone piece sold ",
        id, " --buyer-key OWNERKEY`)"));
  }
  return piece;
}

// The proof string: base64url(nonce) "." base64url(OwnerSignature bytes).
std::string ProofString(const std::string& nonce, const v1::OwnerSignature& sig) {
  return absl::StrCat(absl::WebSafeBase64Escape(nonce), ".",
                      absl::WebSafeBase64Escape(sig.SerializeAsString()));
}

[[nodiscard]] absl::Status ParseProof(const std::string& text, std::string* nonce,
                                      v1::OwnerSignature* sig) {
  const std::vector<std::string> parts = absl::StrSplit(text, '.');
  std::string bytes;
  if (parts.size() != 2 || !absl::WebSafeBase64Unescape(parts[0], nonce) ||
      !absl::WebSafeBase64Unescape(parts[1], &bytes) || !sig->ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        "not an ownership proof (NONCE.SIGNATURE, as `touchstone owner prove` prints it)");
  }
  return absl::OkStatus();
}

std::string TermsText(const v1::PieceState& p) {
  std::vector<std::string> t;
  if (p.terms().has_recovery_key()) {
    t.push_back(absl::StrCat("recovery key ", OwnerKeyId(p.terms().recovery_key())));
  }
  if (!p.terms().recovery_agent().empty()) {
    t.push_back("recovery agent " + p.terms().recovery_agent());
  }
  if (!p.terms().insurer().empty()) t.push_back("insurer " + p.terms().insurer());
  return t.empty() ? "none (nobody but the owner key can act for the piece)"
                   : absl::StrJoin(t, ", ");
}

int Show(const Context& ctx, const std::string& id) {
  absl::StatusOr<v1::PieceState> p = FetchPiece(ctx, id);
  if (!p.ok()) return Fail(p.status());
  std::cout << "piece " << id << "\n";
  if (!p->has_owner()) {
    std::cout << "  owner       none on the log (not sold to an owner key)\n";
    return 0;
  }
  std::cout << "  owner       " << OwnerKeyLabel(p->owner()) << " ("
            << (p->owner().has_webauthn() ? "passkey" : "Ed25519") << ")\n"
            << "  owner key   " << OwnerKeyString(p->owner()) << "\n"
            << "  accepted    "
            << (p->owner_accepted() ? "yes" : "not yet (the owner key has not taken ownership)")
            << "\n"
            << "  terms       " << (p->owner_accepted() ? TermsText(*p) : "none") << "\n"
            << "  status      "
            << (p->owner_status() == v1::PIECE_EVENT_UNSPECIFIED
                    ? "no loss or theft reported"
                    : absl::StrCat(
                          "reported ",
                          absl::AsciiStrToLower(v1::PieceEvent_Name(p->owner_status()).substr(12))))
            << "\n"
            << "  last record entry " << p->owner_index() << " (the next one's prev_index)\n";
  if (p->repurposed_index() != 0) {
    std::cout << "  repurposed  by heirloom intake " << p->repurposed_intake() << " (entry "
              << p->repurposed_index() << "): it takes no more records\n";
  }
  return 0;
}

}  // namespace

void AddOwnerCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* owner = app.add_subcommand(
      "owner", "a piece's owner, known on the log by a key alone: keys, ownership, proofs");
  owner->require_subcommand(1);

  // touchstone owner key new|show NAME
  auto* key = owner->add_subcommand("key", "owner keys kept by this client");
  key->require_subcommand(1);
  auto kf = std::make_shared<OwnerFlags>();
  auto* knew = key->add_subcommand(
      "new", "make an Ed25519 owner key NAME (NAME is a label on this machine, never sent)");
  knew->add_option("name", kf->key, "a local label, e.g. the owner's first name")->required();
  AddDirOption(knew, kf->dir);
  knew->callback([exit_code, kf] {
    absl::StatusOr<PrivateKey> k = NewOwnerKey(kf->dir, kf->key);
    if (!k.ok()) {
      *exit_code = Fail(k.status());
      return;
    }
    const v1::OwnerKey ok = Ed25519OwnerKey(k->public_key());
    std::cout << "owner key " << kf->key << ": " << OwnerKeyLabel(ok) << ", kept in "
              << KeyPath(kf->dir, kf->key) << " (mode 0600)\n"
              << OwnerKeyString(ok) << "\n";
  });
  auto ks = std::make_shared<OwnerFlags>();
  auto* kshow = key->add_subcommand("show", "print owner key NAME's owner-key string");
  kshow->add_option("name", ks->key, "the local label")->required();
  AddDirOption(kshow, ks->dir);
  kshow->callback([exit_code, ks] {
    absl::StatusOr<PrivateKey> k = LoadOwnerKey(ks->dir, ks->key);
    if (!k.ok()) {
      *exit_code = Fail(k.status());
      return;
    }
    std::cout << OwnerKeyString(Ed25519OwnerKey(k->public_key())) << "\n";
  });

  // touchstone owner accept PIECE --key NAME [terms]
  auto af = std::make_shared<OwnerFlags>();
  auto* accept = owner->add_subcommand(
      "accept",
      "take ownership of a piece sold or transferred to your key, and set who else "
      "may act for it (nobody, unless you name them here)");
  accept->add_option("piece", af->piece, "the piece")->required();
  accept->add_option("--key", af->key, "your owner key's name")->required();
  accept->add_option("--recovery-key", af->recovery_key,
                     "a second owner key (its name) you keep apart: it may replace your key");
  accept->add_option("--recovery-agent", af->recovery_agent,
                     "a participant (e.g. the jeweler) that may replace your key");
  accept->add_option("--insurer", af->insurer,
                     "a participant that may report the piece lost, stolen or recovered");
  AddDirOption(accept, af->dir);
  AddSignerOptions(accept, af->signer, /*optional=*/true);
  accept->callback([&ctx, exit_code, af] {
    absl::Status s = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(PrivateKey k, LoadOwnerKey(af->dir, af->key));
      ASSIGN_OR_RETURN(v1::PieceState p, OwnedPiece(ctx, af->piece));
      v1::Record r;
      v1::OwnershipAccepted* a = r.mutable_ownership_accepted();
      a->set_piece_id(af->piece);
      a->set_prev_index(p.owner_index());
      if (!af->recovery_key.empty()) {
        ASSIGN_OR_RETURN(PrivateKey rk, LoadOwnerKey(af->dir, af->recovery_key));
        *a->mutable_terms()->mutable_recovery_key() = Ed25519OwnerKey(rk.public_key());
      }
      a->mutable_terms()->set_recovery_agent(af->recovery_agent);
      a->mutable_terms()->set_insurer(af->insurer);
      if (a->terms().ByteSizeLong() == 0) a->clear_terms();
      return SignAndSubmit(ctx, af->signer, std::move(r), &k);
    }();
    if (!s.ok()) *exit_code = Fail(s);
  });

  // touchstone owner transfer PIECE --key NAME --to OWNERKEY
  auto tf = std::make_shared<OwnerFlags>();
  auto* transfer = owner->add_subcommand(
      "transfer", "give the piece to another owner key (resale, gift, inheritance)");
  transfer->add_option("piece", tf->piece, "the piece")->required();
  transfer->add_option("--key", tf->key, "your owner key's name")->required();
  transfer->add_option("--to", tf->to, "the new owner's owner-key string")->required();
  AddDirOption(transfer, tf->dir);
  AddSignerOptions(transfer, tf->signer, /*optional=*/true);
  transfer->callback([&ctx, exit_code, tf] {
    absl::Status s = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(PrivateKey k, LoadOwnerKey(tf->dir, tf->key));
      ASSIGN_OR_RETURN(v1::OwnerKey to, ParseOwnerKeyString("--to", tf->to));
      ASSIGN_OR_RETURN(v1::PieceState p, OwnedPiece(ctx, tf->piece));
      v1::Record r;
      v1::OwnershipTransferred* t = r.mutable_ownership_transferred();
      t->set_piece_id(tf->piece);
      t->set_prev_index(p.owner_index());
      *t->mutable_new_owner() = std::move(to);
      return SignAndSubmit(ctx, tf->signer, std::move(r), &k);
    }();
    if (!s.ok()) *exit_code = Fail(s);
  });

  // touchstone owner report PIECE lost|stolen|recovered --key NAME | --as INSURER
  auto rf = std::make_shared<OwnerFlags>();
  auto* report = owner->add_subcommand(
      "report",
      "report the piece lost, stolen or recovered (the owner key, or the insurer "
      "the owner named: --as INSURER)");
  report->add_option("piece", rf->piece, "the piece")->required();
  report->add_option("event", rf->event, "lost, stolen or recovered")->required();
  report->add_option("--key", rf->key, "your owner key's name (not with --as)");
  report->add_option("--note", rf->note, "what happened, about the piece only: never a name");
  AddDirOption(report, rf->dir);
  AddSignerOptions(report, rf->signer, /*optional=*/true);
  report->callback([&ctx, exit_code, rf] {
    absl::Status s = [&]() -> absl::Status {
      v1::PieceEvent event;
      const std::string word = absl::AsciiStrToLower(rf->event);
      if (word == "lost") {
        event = v1::PIECE_EVENT_LOST;
      } else if (word == "stolen") {
        event = v1::PIECE_EVENT_STOLEN;
      } else if (word == "recovered") {
        event = v1::PIECE_EVENT_RECOVERED;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("report '", rf->event, "': say lost, stolen or recovered"));
      }
      if (rf->key.empty() == rf->signer.as.empty()) {
        return absl::InvalidArgumentError(
            "say who reports: --key NAME (the owner) or --as INSURER (a participant), not both");
      }
      std::optional<PrivateKey> k;
      if (!rf->key.empty()) {
        ASSIGN_OR_RETURN(k, LoadOwnerKey(rf->dir, rf->key));
      }
      ASSIGN_OR_RETURN(v1::PieceState p, OwnedPiece(ctx, rf->piece));
      v1::Record r;
      v1::OwnerReport* o = r.mutable_owner_report();
      o->set_piece_id(rf->piece);
      o->set_prev_index(p.owner_index());
      o->set_event(event);
      o->set_note(rf->note);
      return SignAndSubmit(ctx, rf->signer, std::move(r), k ? &*k : nullptr);
    }();
    if (!s.ok()) *exit_code = Fail(s);
  });

  // touchstone owner replace-key PIECE --new OWNERKEY (--recovery-key NAME | --as AGENT)
  auto xf = std::make_shared<OwnerFlags>();
  auto* replace = owner->add_subcommand(
      "replace-key",
      "replace a lost owner key, as the owner's terms allow: signed by the recovery key "
      "(--recovery-key NAME) or by the recovery agent (--as PARTICIPANT)");
  replace->add_option("piece", xf->piece, "the piece")->required();
  replace->add_option("--new", xf->new_key, "the new owner key's owner-key string")->required();
  replace->add_option("--recovery-key", xf->recovery_key, "the recovery key's name");
  replace->add_option("--reason", xf->note, "why, about the key only: never a name");
  AddDirOption(replace, xf->dir);
  AddSignerOptions(replace, xf->signer, /*optional=*/true);
  replace->callback([&ctx, exit_code, xf] {
    absl::Status s = [&]() -> absl::Status {
      if (xf->recovery_key.empty() == xf->signer.as.empty()) {
        return absl::InvalidArgumentError(
            "say who replaces the key: --recovery-key NAME or --as RECOVERY_AGENT, not both");
      }
      std::optional<PrivateKey> k;
      if (!xf->recovery_key.empty()) {
        ASSIGN_OR_RETURN(k, LoadOwnerKey(xf->dir, xf->recovery_key));
      }
      ASSIGN_OR_RETURN(v1::OwnerKey new_key, ParseOwnerKeyString("--new", xf->new_key));
      ASSIGN_OR_RETURN(v1::PieceState p, OwnedPiece(ctx, xf->piece));
      v1::Record r;
      v1::OwnerKeyReplaced* o = r.mutable_owner_key_replaced();
      o->set_piece_id(xf->piece);
      o->set_prev_index(p.owner_index());
      *o->mutable_new_key() = std::move(new_key);
      o->set_reason(xf->note);
      return SignAndSubmit(ctx, xf->signer, std::move(r), k ? &*k : nullptr);
    }();
    if (!s.ok()) *exit_code = Fail(s);
  });

  // touchstone owner prove PIECE --key NAME --nonce N
  auto pf = std::make_shared<OwnerFlags>();
  auto* prove = owner->add_subcommand(
      "prove", "sign the asker's challenge: prints a proof that your key owns the piece");
  prove->add_option("piece", pf->piece, "the piece")->required();
  prove->add_option("--key", pf->key, "your owner key's name")->required();
  prove->add_option("--nonce", pf->nonce, "the asker's challenge: 16 to 128 printable characters")
      ->required();
  AddDirOption(prove, pf->dir);
  prove->callback([&ctx, exit_code, pf] {
    absl::Status s = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(PrivateKey k, LoadOwnerKey(pf->dir, pf->key));
      ASSIGN_OR_RETURN(const std::string origin, Origin(ctx));
      ASSIGN_OR_RETURN(const std::string message,
                       OwnershipProofMessage(origin, pf->piece, pf->nonce));
      std::cout << ProofString(pf->nonce, SignAsOwner(k, message)) << "\n";
      return absl::OkStatus();
    }();
    if (!s.ok()) *exit_code = Fail(s);
  });

  // touchstone owner check-proof PIECE PROOF --nonce N
  auto cf = std::make_shared<OwnerFlags>();
  auto* check = owner->add_subcommand(
      "check-proof", "check a proof against the piece's current owner key on the log");
  check->add_option("piece", cf->piece, "the piece")->required();
  check->add_option("proof", cf->proof, "the proof `owner prove` printed")->required();
  check
      ->add_option("--nonce", cf->nonce,
                   "the challenge you gave: a proof of another challenge is refused (it may be "
                   "replayed)")
      ->required();
  check->callback([&ctx, exit_code, cf] {
    absl::Status s = [&]() -> absl::Status {
      std::string nonce;
      v1::OwnerSignature sig;
      RETURN_IF_ERROR(ParseProof(cf->proof, &nonce, &sig));
      if (nonce != cf->nonce) {
        return absl::PermissionDeniedError(absl::StrCat("the proof answers the challenge '", nonce,
                                                        "', not yours ('", cf->nonce, "')"));
      }
      ASSIGN_OR_RETURN(v1::PieceState p, OwnedPiece(ctx, cf->piece));
      ASSIGN_OR_RETURN(const std::string origin, Origin(ctx));
      ASSIGN_OR_RETURN(const std::string message,
                       OwnershipProofMessage(origin, cf->piece, cf->nonce));
      if (absl::Status v = VerifyOwnerSignature(p.owner(), sig, message); !v.ok()) {
        return absl::PermissionDeniedError(
            absl::StrCat("NOT the owner: the proof is not by piece ", cf->piece, "'s current ",
                         OwnerKeyLabel(p.owner()), " (", v.message(), ")"));
      }
      std::cout << "OWNER: the proof is signed by " << OwnerKeyLabel(p.owner()) << ", piece "
                << cf->piece << "'s current owner on " << origin
                << (p.owner_status() == v1::PIECE_EVENT_UNSPECIFIED
                        ? ""
                        : absl::StrCat("; the piece is reported ",
                                       absl::AsciiStrToLower(
                                           v1::PieceEvent_Name(p.owner_status()).substr(12))))
                << (p.repurposed_index() != 0 ? "; the piece was repurposed (melted down)" : "")
                << "\n";
      return absl::OkStatus();
    }();
    if (!s.ok()) *exit_code = Fail(s);
  });

  // touchstone owner show PIECE
  auto sf = std::make_shared<std::string>();
  auto* show = owner->add_subcommand("show", "a piece's owner key, terms and status on the log");
  show->add_option("piece", *sf, "the piece")->required();
  show->callback([&ctx, exit_code, sf] { *exit_code = Show(ctx, *sf); });
}

}  // namespace touchstone::cli
