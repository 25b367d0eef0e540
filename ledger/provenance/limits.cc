// Field length limits of records, checked by reflection over every set field.
#include "ledger/provenance/limits.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/owner_signature.h"

namespace touchstone {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool IsIdentifier(const FieldDescriptor& f) {
  const std::string& n = f.name();
  return absl::EndsWith(n, "_id") || absl::EndsWith(n, "_ids") || n == "signer" ||
         n == "to_participant" || n == "subject_participant" || n == "subject_lot";
}

[[nodiscard]] absl::Status TooLong(const std::string& path, size_t size, std::string_view what,
                                   size_t limit) {
  return absl::InvalidArgumentError(absl::StrCat("record limit: field ", path, " is ", size,
                                                 " bytes; the limit for ", std::string(what),
                                                 " is ", limit));
}

// An owner signature: Ed25519 64 bytes, a DER ECDSA P-256 signature at most 72.
constexpr size_t kMaxOwnerSignatureSize = 72;

// The limit of a bytes field whose format sets its own size, above the
// general bytes limit: an owner's passkey and its signatures
// (ledger/provenance/owner_signature.h); 0 for any other field.
size_t FormatBinaryLimit(const FieldDescriptor& f) {
  const std::string& n = f.full_name();
  if (n == "touchstone.v1.WebAuthnKey.p256") return kP256PointSize;
  if (n == "touchstone.v1.WebAuthnKey.credential_id") return kMaxCredentialIdSize;
  if (n == "touchstone.v1.OwnerSignature.signature") return kMaxOwnerSignatureSize;
  if (n == "touchstone.v1.OwnerSignature.authenticator_data") return kMaxAuthenticatorDataSize;
  if (n == "touchstone.v1.OwnerSignature.client_data_json") return kMaxClientDataJsonSize;
  return 0;
}

[[nodiscard]] absl::Status CheckString(const FieldDescriptor& f, const std::string& path,
                                       const std::string& v, const FieldLimits& limits) {
  if (f.type() == FieldDescriptor::TYPE_BYTES) {
    if (const size_t format = FormatBinaryLimit(f); format != 0) {
      if (v.size() > format) return TooLong(path, v.size(), f.full_name(), format);
    } else if (v.size() > limits.max_binary_bytes) {
      return TooLong(path, v.size(), "a bytes field", limits.max_binary_bytes);
    }
  } else if (IsIdentifier(f)) {
    if (v.size() > limits.max_id_bytes) {
      return TooLong(path, v.size(), "an identifier", limits.max_id_bytes);
    }
  } else if (v.size() > limits.max_text_bytes) {
    return TooLong(path, v.size(), "free text", limits.max_text_bytes);
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckMessage(const Message& m, const std::string& prefix,
                                        const FieldLimits& limits) {
  const auto* reflection = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    const bool is_string = f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    const bool is_message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (f->is_repeated()) {
      const size_t n = static_cast<size_t>(reflection->FieldSize(m, f));
      if (n > limits.max_repeated) {
        return absl::InvalidArgumentError(absl::StrCat("record limit: field ", path, " has ", n,
                                                       " elements; the limit is ",
                                                       limits.max_repeated));
      }
      for (size_t i = 0; i < n; ++i) {
        const std::string item = absl::StrCat(path, "[", i, "]");
        if (is_string) {
          std::string scratch;
          RETURN_IF_ERROR(CheckString(
              *f, item, reflection->GetRepeatedStringReference(m, f, static_cast<int>(i), &scratch),
              limits));
        } else if (is_message) {
          RETURN_IF_ERROR(CheckMessage(reflection->GetRepeatedMessage(m, f, static_cast<int>(i)),
                                       item, limits));
        }
      }
    } else if (is_string) {
      std::string scratch;
      RETURN_IF_ERROR(
          CheckString(*f, path, reflection->GetStringReference(m, f, &scratch), limits));
    } else if (is_message) {
      RETURN_IF_ERROR(CheckMessage(reflection->GetMessage(m, f), path, limits));
    }
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status CheckFieldLimits(const v1::Record& record, const FieldLimits& limits) {
  return CheckMessage(record, "", limits);
}

}  // namespace touchstone
