// Who may read an opening (opening_access.h).
#include "ledger/provenance/opening_access.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/registry.h"

namespace touchstone {
namespace {

ReadDecision Refused(std::string why) { return ReadDecision{false, std::move(why)}; }

bool IsKeyId(std::string_view id) {
  return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// AuthenticateReadRequest, also handing back the reader's state when allowed.
absl::StatusOr<ReadDecision> Authenticate(const ReadRequest& request, std::string_view origin,
                                          std::string_view what, int64_t now_micros,
                                          const ParticipantLookup& lookup,
                                          v1::ParticipantState* reader_out) {
  // Ids with a newline or other bytes could make two requests one message.
  if (!IsValidParticipantId(request.reader) || !IsKeyId(request.key_id)) {
    return Refused("malformed reader or key id");
  }
  // Compared against now +- the window (a server clock cannot overflow that),
  // never by subtracting the client's number.
  if (request.micros < now_micros - kReadRequestWindowMicros ||
      request.micros > now_micros + kReadRequestWindowMicros) {
    return Refused("request time outside the window");
  }
  absl::StatusOr<v1::ParticipantState> reader = lookup(request.reader);
  if (absl::IsNotFound(reader.status())) return Refused("unknown reader");
  if (!reader.ok()) return reader.status();
  if (reader->suspended()) return Refused("reader is suspended");
  const v1::KeyState* key_state = FindKey(*reader, request.key_id);
  if (key_state == nullptr) return Refused("unknown key");
  if (key_state->revoked()) return Refused("revoked key");
  absl::StatusOr<PublicKey> key = PublicKey::FromRaw(key_state->ed25519());
  if (!key.ok()) return Refused("unusable key");
  if (!key->Verify(ReadRequestMessage(origin, request.reader, request.key_id, what, request.micros),
                   request.signature)) {
    return Refused("signature does not verify");
  }
  *reader_out = *std::move(reader);
  return ReadDecision{true, ""};
}

}  // namespace

std::string OpeningWhat(uint64_t index) { return absl::StrCat("opening ", index); }

std::string ReadRequestMessage(std::string_view origin, std::string_view reader,
                               std::string_view key_id, std::string_view what, int64_t micros) {
  std::string m(kReadRequestContext);
  absl::StrAppend(&m, Sv(origin), "\n", Sv(reader), "\n", Sv(key_id), "\n", Sv(what), "\n", micros,
                  "\n");
  return m;
}

ReadRequest SignReadRequest(const PrivateKey& key, std::string_view origin, std::string_view reader,
                            std::string_view what, int64_t micros) {
  ReadRequest r;
  r.reader = std::string(reader);
  r.key_id = key.public_key().Fingerprint();
  r.micros = micros;
  r.signature = key.Sign(ReadRequestMessage(origin, r.reader, r.key_id, what, micros));
  return r;
}

std::vector<std::string> Counterparties(const v1::Record& record) {
  std::vector<std::string> out;
  if (record.has_custody_shipped() && !record.custody_shipped().to_participant().empty()) {
    out.push_back(record.custody_shipped().to_participant());
  }
  return out;
}

absl::StatusOr<ReadDecision> AuthenticateReadRequest(const ReadRequest& request,
                                                     std::string_view origin, std::string_view what,
                                                     int64_t now_micros,
                                                     const ParticipantLookup& lookup) {
  v1::ParticipantState reader;
  return Authenticate(request, origin, what, now_micros, lookup, &reader);
}

absl::StatusOr<ReadDecision> DecideOpeningRead(const ReadRequest& request, std::string_view origin,
                                               uint64_t index, const v1::Record& record,
                                               int64_t now_micros,
                                               const ParticipantLookup& lookup) {
  v1::ParticipantState reader;
  ASSIGN_OR_RETURN(ReadDecision good,
                   Authenticate(request, origin, OpeningWhat(index), now_micros, lookup, &reader));
  if (!good.allowed) return good;
  if (!record.signer().empty() && request.reader == record.signer()) {
    return ReadDecision{true, "signer"};
  }
  for (const std::string& party : Counterparties(record)) {
    if (request.reader == party) return ReadDecision{true, "counterparty"};
  }
  if (HasRole(reader, v1::ROLE_AUDITOR)) return ReadDecision{true, "auditor"};
  return Refused("not the signer, a counterparty or an auditor");
}

absl::Status OpeningReadDenied() {
  return absl::PermissionDeniedError(std::string(kOpeningReadDenied));
}

}  // namespace touchstone
