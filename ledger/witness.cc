// A tlog-witness: add-checkpoint checks, cosigning and the persisted state.
#include "ledger/witness.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/trusted_head.h"
#include "ledger/provenance/key_handover.h"

namespace touchstone {
namespace {

constexpr std::string_view kStateHeader = "touchstone-witness-state/v1";

// A decimal with no leading zeros ("0" alone is fine).
bool ParseCanonicalU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(Sv(s), out);
}

AddCheckpointResult Result(AddCheckpointResult::Kind kind, std::string message) {
  AddCheckpointResult r;
  r.kind = kind;
  r.message = std::move(message);
  return r;
}

uint64_t SystemClock() { return static_cast<uint64_t>(std::time(nullptr)); }

}  // namespace

std::string AddCheckpointRequest::ToText() const {
  std::string out = absl::StrCat("old ", old_size, "\n");
  for (const Hash& h : proof) absl::StrAppend(&out, HashToBase64(h), "\n");
  absl::StrAppend(&out, "\n", Sv(checkpoint_note));
  return out;
}

absl::StatusOr<AddCheckpointRequest> AddCheckpointRequest::FromText(std::string_view body) {
  AddCheckpointRequest req;
  auto next_line = [&body](std::string_view* line) {
    const size_t nl = body.find('\n');
    if (nl == std::string_view::npos) return false;
    *line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    return true;
  };
  std::string_view line;
  if (!next_line(&line) || line.substr(0, 4) != "old " ||
      !ParseCanonicalU64(line.substr(4), &req.old_size)) {
    return absl::InvalidArgumentError(
        "add-checkpoint body must start with \"old <size>\\n\" (decimal, no leading zeros)");
  }
  while (true) {
    if (!next_line(&line)) {
      return absl::InvalidArgumentError("add-checkpoint body has no empty line before the note");
    }
    if (line.empty()) break;
    if (req.proof.size() == kMaxWitnessProofLines) {
      return absl::InvalidArgumentError("more than 63 consistency proof lines");
    }
    absl::StatusOr<Hash> h = HashFromBase64(line);
    if (!h.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("consistency proof line is not a base64 hash: ", h.status().message()));
    }
    req.proof.push_back(*h);
  }
  if (body.empty()) return absl::InvalidArgumentError("add-checkpoint body has no checkpoint");
  req.checkpoint_note = std::string(body);
  return req;
}

int AddCheckpointResult::HttpStatus() const {
  switch (kind) {
    case Kind::kCosigned:
      return 200;
    case Kind::kMalformed:
    case Kind::kOldSizeTooLarge:
      return 400;
    case Kind::kBadSignature:
      return 403;
    case Kind::kUnknownOrigin:
      return 404;
    case Kind::kStaleOldSize:
    case Kind::kRootMismatch:
      return 409;
    case Kind::kInconsistent:
      return 422;
    case Kind::kInternal:
      return 500;
  }
  return 500;
}

std::string AddCheckpointResult::HttpBody() const {
  if (kind == Kind::kCosigned) return cosignature;
  if (kind == Kind::kStaleOldSize) return absl::StrCat(witness_size, "\n");
  return message + "\n";
}

std::string AddCheckpointResult::ContentType() const {
  if (kind == Kind::kStaleOldSize) return std::string(kTlogSizeContentType);
  return "text/plain; charset=utf-8";
}

Witness::Witness(CosignatureSigner signer, std::vector<NoteVerifier> logs, std::string state_path,
                 Clock clock)
    : signer_(std::move(signer)),
      state_path_(std::move(state_path)),
      clock_(clock ? std::move(clock) : Clock(SystemClock)) {
  for (NoteVerifier& v : logs) {
    std::string origin = v.name;
    logs_[origin].push_back(std::move(v));
  }
}

absl::StatusOr<std::unique_ptr<Witness>> Witness::Create(CosignatureSigner signer,
                                                         std::vector<NoteVerifier> logs,
                                                         std::string state_path, Clock clock) {
  if (logs.empty()) return absl::InvalidArgumentError("a witness needs at least one log key");
  if (state_path.empty()) return absl::InvalidArgumentError("a witness needs a state file");
  std::unique_ptr<Witness> w(
      new Witness(std::move(signer), std::move(logs), std::move(state_path), std::move(clock)));
  RETURN_IF_ERROR(w->Load());
  RETURN_IF_ERROR(w->LoadHandovers());
  return w;
}

std::vector<NoteVerifier> Witness::LogKeys(std::string_view origin) const {
  absl::MutexLock lock(&keys_mu_);
  auto it = logs_.find(origin);
  return it == logs_.end() ? std::vector<NoteVerifier>() : it->second;
}

// Makes `adopted` the key trusted for its origin in place of `retired`.
void Witness::Adopt(const NoteVerifier& adopted, const NoteVerifier& retired) {
  std::vector<NoteVerifier>& keys = logs_[adopted.name];
  std::erase_if(keys, [&](const NoteVerifier& k) { return k.key.raw() == retired.key.raw(); });
  if (std::none_of(keys.begin(), keys.end(),
                   [&](const NoteVerifier& k) { return k.key.raw() == adopted.key.raw(); })) {
    keys.push_back(adopted);
  }
}

absl::Status Witness::LoadHandovers() {
  absl::StatusOr<std::string> text = ReadWholeFile(HandoversPath());
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  absl::MutexLock lock(&keys_mu_);
  const std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  for (const std::string& line : lines) {
    const std::vector<std::string> f = absl::StrSplit(line, ' ');
    absl::StatusOr<NoteVerifier> adopted =
        f.size() == 2 ? NoteVerifier::Parse(f[0])
                      : absl::StatusOr<NoteVerifier>(absl::DataLossError(""));
    absl::StatusOr<NoteVerifier> retired =
        f.size() == 2 ? NoteVerifier::Parse(f[1])
                      : absl::StatusOr<NoteVerifier>(absl::DataLossError(""));
    if (!adopted.ok() || !retired.ok()) {
      return absl::DataLossError(
          absl::StrCat("witness key handovers ", HandoversPath(), " are corrupt: '", line, "'"));
    }
    if (!logs_.count(adopted->name)) continue;  // a log no longer witnessed
    Adopt(*adopted, *retired);
    handovers_text_ += absl::StrCat(line, "\n");
  }
  return absl::OkStatus();
}

absl::Status Witness::AddKeyHandover(std::string_view body) {
  ASSIGN_OR_RETURN(KeyHandoverRequest req, KeyHandoverRequest::FromText(body));
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(req.checkpoint_note));
  ASSIGN_OR_RETURN(Checkpoint claimed, Checkpoint::FromText(parsed.text));
  const std::vector<NoteVerifier> keys = LogKeys(claimed.origin);
  if (keys.empty()) {
    return absl::NotFoundError(absl::StrCat("unknown log origin '", claimed.origin, "'"));
  }
  absl::Status why = absl::PermissionDeniedError("no key");
  for (const NoteVerifier& held : keys) {
    absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> followed =
        VerifyCheckpointWithHandovers(req.checkpoint_note, held, req.handovers);
    if (!followed.ok()) {
      why = followed.status();
      continue;
    }
    const NoteVerifier& next = followed->second;
    if (next.key.raw() == held.key.raw()) return absl::OkStatus();  // nothing to follow
    absl::MutexLock lock(&keys_mu_);
    const std::string line = absl::StrCat(FormatVerifierKey(next.name, next.key), " ",
                                          FormatVerifierKey(held.name, held.key), "\n");
    RETURN_IF_ERROR(ReplaceFileDurably(HandoversPath(), handovers_text_ + line, 0600));
    handovers_text_ += line;
    Adopt(next, held);
    return absl::OkStatus();
  }
  return why;
}

int KeyHandoverHttpStatus(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kDataLoss:
      return 422;
    default:
      return 500;
  }
}

std::string KeyHandoverRequest::ToText() const {
  std::string out;
  for (const HandoverProof& h : handovers) {
    absl::StrAppend(&out, "handover ", h.index, "\n", absl::Base64Escape(h.entry), "\n");
    for (const Hash& p : h.proof) absl::StrAppend(&out, HashToBase64(p), "\n");
  }
  return absl::StrCat(out, "\n", checkpoint_note);
}

absl::StatusOr<KeyHandoverRequest> KeyHandoverRequest::FromText(std::string_view body) {
  KeyHandoverRequest req;
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("malformed key handover request: ", Sv(why)));
  };
  for (;;) {
    const size_t nl = body.find('\n');
    if (nl == std::string_view::npos) return bad("no empty line before the checkpoint");
    const std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (line.empty()) break;
    if (line.substr(0, 9) == "handover ") {
      if (req.handovers.size() >= 64) return bad("more than 64 handovers");
      HandoverProof h;
      if (!ParseCanonicalU64(line.substr(9), &h.index)) return bad("bad handover index");
      const size_t enl = body.find('\n');
      std::string entry;
      if (enl == std::string_view::npos || !absl::Base64Unescape(Sv(body.substr(0, enl)), &entry) ||
          entry.empty()) {
        return bad("the entry line after a handover line is not base64");
      }
      body.remove_prefix(enl + 1);
      h.entry = std::move(entry);
      req.handovers.push_back(std::move(h));
      continue;
    }
    if (req.handovers.empty()) return bad("a proof line before any handover line");
    if (req.handovers.back().proof.size() >= kMaxWitnessProofLines)
      return bad("too many proof lines");
    absl::StatusOr<Hash> hash = HashFromBase64(line);
    if (!hash.ok()) return bad("a proof line is not a base64 hash");
    req.handovers.back().proof.push_back(*hash);
  }
  if (req.handovers.empty()) return bad("no handover");
  if (body.empty()) return bad("no checkpoint");
  req.checkpoint_note = std::string(body);
  return req;
}

absl::Status Witness::Load() {
  absl::StatusOr<std::string> read = ReadWholeFile(state_path_);
  if (absl::IsNotFound(read.status())) return absl::OkStatus();
  if (!read.ok()) {
    return absl::UnavailableError(absl::StrCat("witness state: ", read.status().message()));
  }
  const std::string data = *std::move(read);

  auto corrupt = [this](std::string_view why) {
    return absl::DataLossError(absl::StrCat("witness state ", state_path_, " is corrupt (", Sv(why),
                                            "); refusing to start without it"));
  };
  if (data.empty() || data.back() != '\n') return corrupt("no final newline");
  std::vector<std::string> lines =
      absl::StrSplit(absl::string_view(data.data(), data.size() - 1), '\n');
  if (lines.empty() || lines[0] != kStateHeader) {
    return corrupt("no header");
  }
  std::map<std::string, Checkpoint, std::less<>> loaded;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> parts = absl::StrSplit(lines[i], ' ');
    Checkpoint cp;
    if (parts.size() != 3 || !IsValidKeyName(parts[0]) || !ParseCanonicalU64(parts[1], &cp.size)) {
      return corrupt(absl::StrCat("line ", i + 1));
    }
    absl::StatusOr<Hash> root = HashFromBase64(parts[2]);
    if (!root.ok()) return corrupt(absl::StrCat("line ", i + 1));
    cp.origin = parts[0];
    cp.root = *root;
    if (!loaded.emplace(cp.origin, cp).second) {
      return corrupt(absl::StrCat("origin ", cp.origin, " twice"));
    }
  }
  absl::MutexLock lock(&mu_);
  latest_ = std::move(loaded);
  return absl::OkStatus();
}

absl::Status Witness::Persist(const std::map<std::string, Checkpoint, std::less<>>& state) const {
  std::string data(kStateHeader);
  data += "\n";
  for (const auto& [origin, cp] : state) {
    absl::StrAppend(&data, origin, " ", cp.size, " ", HashToBase64(cp.root), "\n");
  }
  return ReplaceFileDurably(state_path_, data, 0600);
}

std::optional<Checkpoint> Witness::Latest(std::string_view origin) const {
  absl::MutexLock lock(&mu_);
  auto it = latest_.find(origin);
  if (it == latest_.end()) return std::nullopt;
  return it->second;
}

AddCheckpointResult Witness::AddCheckpoint(std::string_view body) {
  absl::StatusOr<AddCheckpointRequest> req = AddCheckpointRequest::FromText(body);
  if (!req.ok()) {
    return Result(AddCheckpointResult::Kind::kMalformed, std::string(req.status().message()));
  }
  return AddCheckpoint(*req);
}

AddCheckpointResult Witness::AddCheckpoint(const AddCheckpointRequest& req) {
  using Kind = AddCheckpointResult::Kind;
  absl::StatusOr<ParsedNote> parsed = ParseNote(req.checkpoint_note);
  if (!parsed.ok()) return Result(Kind::kMalformed, std::string(parsed.status().message()));
  absl::StatusOr<Checkpoint> unverified = Checkpoint::FromText(parsed->text);
  if (!unverified.ok()) {
    return Result(Kind::kMalformed, std::string(unverified.status().message()));
  }
  const std::vector<NoteVerifier> keys = LogKeys(unverified->origin);
  if (keys.empty()) {
    return Result(Kind::kUnknownOrigin,
                  absl::StrCat("unknown log origin '", unverified->origin, "'"));
  }
  std::optional<Checkpoint> fresh;
  std::string why;
  for (const NoteVerifier& v : keys) {
    absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(req.checkpoint_note, v);
    if (cp.ok()) {
      fresh = std::move(*cp);
      break;
    }
    why = std::string(cp.status().message());
  }
  if (!fresh) {
    return Result(Kind::kBadSignature, absl::StrCat("checkpoint not signed by a trusted key for '",
                                                    unverified->origin, "': ", why));
  }
  if (req.old_size > fresh->size) {
    return Result(
        Kind::kOldSizeTooLarge,
        absl::StrCat("old size ", req.old_size, " exceeds the checkpoint size ", fresh->size));
  }

  absl::MutexLock lock(&mu_);
  auto prev_it = latest_.find(fresh->origin);
  const std::optional<Checkpoint> prev =
      prev_it == latest_.end() ? std::nullopt : std::optional<Checkpoint>(prev_it->second);
  const uint64_t prev_size = prev ? prev->size : 0;
  if (req.old_size != prev_size) {
    AddCheckpointResult r =
        Result(Kind::kStaleOldSize, absl::StrCat("the latest checkpoint cosigned for ",
                                                 fresh->origin, " has size ", prev_size));
    r.witness_size = prev_size;
    return r;
  }
  if (req.old_size == 0 && !req.proof.empty()) {
    return Result(Kind::kMalformed, "the consistency proof must be empty when the old size is 0");
  }
  if (fresh->size == 0 && fresh->root != EmptyRoot()) {
    return Result(Kind::kInconsistent, "a checkpoint of size 0 must have the empty tree's root");
  }
  if (prev && prev->size > 0) {
    // old_size == prev->size <= fresh->size here: the same tree, or an extension.
    absl::StatusOr<Checkpoint> advanced = AdvanceTrustedHead(*prev, *fresh, req.proof);
    if (!advanced.ok()) {
      const Kind kind = fresh->size == prev->size ? Kind::kRootMismatch : Kind::kInconsistent;
      std::string why(advanced.status().message());
      absl::StatusOr<std::string> kept = KeepEvidence(kind, why, *prev, req);
      absl::StrAppend(
          &why, kept.ok() ? absl::StrCat(" (evidence kept in ", *kept, ")")
                          : absl::StrCat(" (evidence not kept: ", kept.status().message(), ")"));
      return Result(kind, why);
    }
  }
  // (No prior state, or an empty tree: the proof from size 0 is empty by definition.)

  absl::StatusOr<std::string> line = signer_.SignatureLine(parsed->text, clock_());
  if (!line.ok()) return Result(Kind::kInternal, std::string(line.status().message()));
  std::map<std::string, Checkpoint, std::less<>> next = latest_;
  Checkpoint stored{fresh->origin, fresh->size, fresh->root, {}};
  next[fresh->origin] = stored;
  if (absl::Status s = Persist(next); !s.ok()) {
    return Result(Kind::kInternal, absl::StrCat("not cosigned: ", s.message()));
  }
  latest_ = std::move(next);
  latest_note_[fresh->origin] = req.checkpoint_note;
  AddCheckpointResult r;
  r.kind = Kind::kCosigned;
  r.cosignature = std::move(*line);
  return r;
}

absl::StatusOr<std::string> Witness::KeepEvidence(AddCheckpointResult::Kind kind,
                                                  std::string_view why, const Checkpoint& cosigned,
                                                  const AddCheckpointRequest& req) const {
  const std::string dir = EvidenceDir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
  }
  const auto note = latest_note_.find(cosigned.origin);
  const std::string data = absl::StrCat(
      "touchstone witness evidence v1\n", "kind ",
      kind == AddCheckpointResult::Kind::kRootMismatch ? "fork" : "inconsistent", "\n", "reason ",
      Sv(why), "\n", "cosigned ", cosigned.size, " ", HashToBase64(cosigned.root), "\n\n",
      note == latest_note_.end() ? std::string() : note->second, "\nrequest\n", req.ToText());
  // Unique per refusal: the time, the origin and the refused note's hash.
  const std::string path =
      absl::StrCat(dir, "/", clock_(), "-", HashToHex(Sha256(cosigned.origin)).substr(0, 16), "-",
                   HashToHex(Sha256(req.checkpoint_note)).substr(0, 16));
  RETURN_IF_ERROR(ReplaceFileDurably(path, data, 0600));
  return path;
}

}  // namespace touchstone
