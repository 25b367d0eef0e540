#include "ledger/provenance/commitments.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/canonical.h"
#include "ledger/provenance/record.h"

namespace touchstone {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The table (commitments.h). Keep in Record body field order; docs/confidential.md prints it.
constexpr std::array kTable = {
    CommittedField{"lot_created", "quantity"},
    CommittedField{"lot_created", "facility"},
    CommittedField{"lot_created", "note"},
    CommittedField{"lot_created", "parcel.stone_count"},
    CommittedField{"transformation", "inputs.quantity"},
    CommittedField{"transformation", "inputs.stones"},
    CommittedField{"transformation", "inputs.stones_left"},
    CommittedField{"transformation", "inputs.quantity_left"},
    CommittedField{"transformation", "outputs.quantity"},
    CommittedField{"transformation", "outputs.stones"},
    CommittedField{"transformation", "declared_loss_fine"},
    CommittedField{"transformation", "location"},
    CommittedField{"transformation", "note"},
    CommittedField{"transformation", "declared_loss_fine_ptt"},
    CommittedField{"custody_shipped", "to_participant"},
    CommittedField{"custody_shipped", "business_reference_sha256"},
    CommittedField{"piece_registered", "metal_inputs.quantity"},
    CommittedField{"piece_lifecycle", "note"},
    CommittedField{"credit_booked", "fine"},
    CommittedField{"credit_booked", "balance_after"},
    CommittedField{"credit_allocated", "fine"},
    CommittedField{"credit_allocated", "balance_after"},
};

// The dotted path's field names.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// True if some committed field of `body` lies inside the message at `path`.
bool LeadsToCommitted(std::string_view body, std::string_view path) {
  const std::string prefix = absl::StrCat(Sv(path), ".");
  return std::any_of(kTable.begin(), kTable.end(), [&](const CommittedField& f) {
    return f.body == body && f.path.substr(0, prefix.size()) == prefix;
  });
}

const FieldDescriptor* BodyField(std::string_view body) {
  return v1::Record::descriptor()->FindFieldByName(std::string(body));
}

// True if any instance of the field at `segments` (below `m`) holds a value.
bool AnySet(const Message& m, std::span<const std::string_view> segments) {
  const Reflection* refl = m.GetReflection();
  const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByName(std::string(segments[0]));
  if (fd == nullptr) return false;  // the table names only real fields (tested)
  if (segments.size() == 1) {
    return fd->is_repeated() ? refl->FieldSize(m, fd) > 0 : refl->HasField(m, fd);
  }
  if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
  if (fd->is_repeated()) {
    for (int i = 0; i < refl->FieldSize(m, fd); ++i) {
      if (AnySet(refl->GetRepeatedMessage(m, fd, i), segments.subspan(1))) return true;
    }
    return false;
  }
  return refl->HasField(m, fd) && AnySet(refl->GetMessage(m, fd), segments.subspan(1));
}

// Moves every instance of the field at `segments` from `from` into `to` (same
// type), creating in `to` the messages and elements that lead to it.
void MoveField(Message& from, Message& to, std::span<const std::string_view> segments) {
  const Reflection* refl = from.GetReflection();
  const FieldDescriptor* fd = from.GetDescriptor()->FindFieldByName(std::string(segments[0]));
  if (fd == nullptr) return;
  if (segments.size() == 1) {
    refl->SwapFields(&from, &to, {fd});
    return;
  }
  if (fd->is_repeated()) {
    const int n = refl->FieldSize(from, fd);
    while (refl->FieldSize(to, fd) < n) refl->AddMessage(&to, fd);
    for (int i = 0; i < n; ++i) {
      MoveField(*refl->MutableRepeatedMessage(&from, fd, i),
                *refl->MutableRepeatedMessage(&to, fd, i), segments.subspan(1));
    }
  } else if (refl->HasField(from, fd)) {
    MoveField(*refl->MutableMessage(&from, fd), *refl->MutableMessage(&to, fd),
              segments.subspan(1));
  }
}

// Puts the values of `opening` (a body message of kind `body`, below `path`)
// into `into`. See OpenRecord for the errors.
absl::Status FillIn(std::string_view body, const std::string& path, Message& opening,
                    Message& into) {
  const Reflection* refl = opening.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(opening, &fields);
  for (const FieldDescriptor* fd : fields) {
    const std::string here = path.empty() ? fd->name() : absl::StrCat(path, ".", fd->name());
    const std::string named = absl::StrCat(Sv(body), ".", here);
    if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (fd->is_repeated() || !IsCommittedField(body, here)) {
        return absl::InvalidArgumentError(
            absl::StrCat("opening: ", named, " is not a committed field"));
      }
      refl->SwapFields(&opening, &into, {fd});  // into holds the default (CheckSealedPublicPart)
      continue;
    }
    if (!LeadsToCommitted(body, here)) {
      return absl::InvalidArgumentError(
          absl::StrCat("opening: ", named, " holds no committed field"));
    }
    if (fd->is_repeated()) {
      const int n = refl->FieldSize(opening, fd);
      const int m = into.GetReflection()->FieldSize(into, fd);
      if (n != m) {
        return absl::InvalidArgumentError(absl::StrCat("opening: ", named, " has ", n,
                                                       " elements and the record ", m));
      }
      for (int i = 0; i < n; ++i) {
        RETURN_IF_ERROR(FillIn(body, here, *refl->MutableRepeatedMessage(&opening, fd, i),
                               *into.GetReflection()->MutableRepeatedMessage(&into, fd, i)));
      }
    } else {
      if (!into.GetReflection()->HasField(into, fd)) {
        return absl::InvalidArgumentError(
            absl::StrCat("opening: ", named, " is not in the record"));
      }
      RETURN_IF_ERROR(FillIn(body, here, *refl->MutableMessage(&opening, fd),
                             *into.GetReflection()->MutableMessage(&into, fd)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::span<const CommittedField> CommittedFields() { return kTable; }

bool IsSealableBody(std::string_view body) {
  return std::any_of(kTable.begin(), kTable.end(),
                     [&](const CommittedField& f) { return f.body == body; });
}

bool IsCommittedField(std::string_view body, std::string_view path) {
  return std::any_of(kTable.begin(), kTable.end(),
                     [&](const CommittedField& f) { return f.body == body && f.path == path; });
}

Hash OpeningCommitment(std::string_view salt, std::string_view fields) {
  return Sha256(absl::StrCat(Sv(kOpeningDomain), Sv(salt), Sv(fields)));
}

absl::Status CheckSealedPublicPart(const v1::Record& record) {
  if (!record.has_sealed()) return absl::OkStatus();
  if (record.sealed().commitment().size() != 32) {
    return absl::InvalidArgumentError("sealed.commitment must be 32 bytes");
  }
  const std::string body = RecordKind(record);
  if (!IsSealableBody(body)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sealed: a ", body, " record has no committed fields to seal"));
  }
  const Message& message = record.GetReflection()->GetMessage(record, BodyField(body));
  for (const CommittedField& f : kTable) {
    if (f.body != body) continue;
    const std::vector<std::string_view> segments = Segments(f.path);
    if (AnySet(message, segments)) {
      return absl::InvalidArgumentError(absl::StrCat("sealed: ", body, ".", Sv(f.path),
                                                      " is committed and must be left out of "
                                                      "a sealed record"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Record> OpenRecord(const v1::Record& public_record,
                                      const v1::Opening& opening, size_t max_bytes) {
  if (!public_record.has_sealed()) {
    return absl::InvalidArgumentError("opening: the record is not sealed");
  }
  if (opening.salt().size() != kOpeningSaltBytes) {
    return absl::InvalidArgumentError("opening: the salt must be 32 bytes");
  }
  if (opening.fields().size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("opening: its fields are ",
                                                   opening.fields().size(),
                                                   " bytes, more than the limit of ", max_bytes));
  }
  if (HashBytes(OpeningCommitment(opening.salt(), opening.fields())) !=
      public_record.sealed().commitment()) {
    return absl::InvalidArgumentError("opening: does not match the record's commitment");
  }
  // The commitment matches, so these are the submitter's bytes: still, only
  // canonical bytes have one reading.
  absl::Status canonical = CheckCanonicalEncoding(*v1::Record::descriptor(), opening.fields());
  if (!canonical.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("opening: ", canonical.message()));
  }
  v1::Record values;
  if (!values.ParseFromString(opening.fields())) {
    return absl::InvalidArgumentError("opening: fields are not a touchstone.v1.Record");
  }
  const std::string body = RecordKind(public_record);
  std::vector<const FieldDescriptor*> top;
  values.GetReflection()->ListFields(values, &top);
  if (top.size() != 1 || top[0]->name() != body) {
    return absl::InvalidArgumentError(
        absl::StrCat("opening: must hold only the record's ", body, " body"));
  }
  v1::Record full = public_record;
  const FieldDescriptor* body_field = BodyField(body);
  RETURN_IF_ERROR(FillIn(body, "", *values.GetReflection()->MutableMessage(&values, body_field),
                         *full.GetReflection()->MutableMessage(&full, body_field)));
  return full;
}

absl::StatusOr<SealedRecord> SealRecord(const v1::Record& full, std::string salt) {
  if (salt.size() != kOpeningSaltBytes) {
    return absl::InvalidArgumentError("seal: the salt must be 32 bytes");
  }
  const std::string body = RecordKind(full);
  if (!IsSealableBody(body)) {
    return absl::InvalidArgumentError(
        absl::StrCat("seal: a ", body, " record has no committed fields"));
  }
  SealedRecord out;
  out.record = full;
  out.record.clear_sealed();
  const FieldDescriptor* body_field = BodyField(body);
  Message& from = *out.record.GetReflection()->MutableMessage(&out.record, body_field);
  v1::Record values;
  Message& to = *values.GetReflection()->MutableMessage(&values, body_field);
  for (const CommittedField& f : kTable) {
    if (f.body != body) continue;
    const std::vector<std::string_view> segments = Segments(f.path);
    MoveField(from, to, segments);
  }
  std::string fields = SerializeRecord(values);
  out.record.mutable_sealed()->set_commitment(HashBytes(OpeningCommitment(salt, fields)));
  out.opening.set_salt(std::move(salt));
  out.opening.set_fields(std::move(fields));
  return out;
}

}  // namespace touchstone
