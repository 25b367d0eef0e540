// The canonical-encoding walk (see canonical.h). Mirrored line for line by
// decodeMessage() in services/web/verify.js: a change here changes the
// conformance corpus (tests/conformance/), which both must pass.
#include "ledger/provenance/canonical.h"

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;

constexpr int kMaxDepth = 64;

int VarintSize(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads a varint at `pos`; false if truncated or longer than ten bytes.
bool ReadVarint(std::string_view b, size_t& pos, uint64_t& v, int& len) {
  v = 0;
  len = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= b.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(b[pos++]);
    ++len;
    if (shift == 63 && byte > 1) return false;
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// The wire type of one value of the field.
int ValueWireType(const FieldDescriptor& f) {
  switch (f.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return 1;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return 5;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return 2;
    default:
      return 0;
  }
}

// The wire type a field is written with (packed repeated numbers: 2).
int WireTypeOf(const FieldDescriptor& f) { return f.is_packed() ? 2 : ValueWireType(f); }

// The varint a field of this type holds once parsed and written again.
uint64_t CanonicalVarint(const FieldDescriptor& f, uint64_t v) {
  switch (f.type()) {
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_ENUM:
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)));
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_SINT32:
      return static_cast<uint32_t>(v);
    case FieldDescriptor::TYPE_BOOL:
      return v != 0 ? 1 : 0;
    default:
      return v;
  }
}

std::string Name(const FieldDescriptor& f) { return absl::StrCat(f.name(), " (", f.number(), ")"); }

[[nodiscard]] absl::Status Offence(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("non-canonical encoding: ", Sv(where), ": ", Sv(what)));
}

[[nodiscard]] absl::Status Walk(const Descriptor& type, std::string_view b,
                                const std::string& where, int depth) {
  if (depth > kMaxDepth) return Offence(where, "messages nested too deep");
  const FieldDescriptor* last = nullptr;
  std::map<const OneofDescriptor*, const FieldDescriptor*> oneofs;
  size_t pos = 0;
  while (pos < b.size()) {
    uint64_t key;
    int len;
    if (!ReadVarint(b, pos, key, len)) return Offence(where, "a field key is truncated");
    if (len != VarintSize(key)) return Offence(where, "a field key is not in its shortest form");
    const uint64_t number = key >> 3;
    const int wire = static_cast<int>(key & 7);
    const FieldDescriptor* f =
        number > 0x1fffffff ? nullptr : type.FindFieldByNumber(static_cast<int>(number));
    if (f == nullptr) {
      return Offence(where,
                     absl::StrCat("field ", number, " is not in the schema of ", type.name()));
    }
    const std::string at = absl::StrCat(where, ".", f->name());
    if (last != nullptr && f->number() < last->number()) {
      return Offence(where, absl::StrCat(Name(*f), " comes after ", Name(*last),
                                         "; fields must be in increasing number order"));
    }
    if (last == f && (!f->is_repeated() || f->is_packed())) {
      return Offence(where, absl::StrCat(Name(*f), " appears more than once"));
    }
    if (const OneofDescriptor* o = f->real_containing_oneof(); o != nullptr) {
      auto [it, fresh] = oneofs.emplace(o, f);
      if (!fresh && it->second != f) {
        return Offence(where, absl::StrCat("fields ", Name(*it->second), " and ", Name(*f),
                                           " of oneof ", o->name(), " are both set"));
      }
    }
    if (wire != WireTypeOf(*f)) {
      return Offence(at, absl::StrCat("wire type ", wire, "; its type is written with wire type ",
                                      WireTypeOf(*f)));
    }
    const bool implicit = !f->is_repeated() && !f->has_presence();
    if (wire == 0) {
      uint64_t v;
      if (!ReadVarint(b, pos, v, len)) return Offence(at, "its value is truncated");
      if (CanonicalVarint(*f, v) != v || len != VarintSize(v)) {
        return Offence(at, "its value is not in its shortest form");
      }
      if (implicit && v == 0) {
        return Offence(at, "holds its default value, which the canonical encoding leaves out");
      }
    } else if (wire == 1 || wire == 5) {
      const size_t n = wire == 1 ? 8 : 4;
      if (b.size() - pos < n) return Offence(at, "its value is truncated");
      if (implicit && b.substr(pos, n).find_first_not_of('\0') == std::string_view::npos) {
        return Offence(at, "holds its default value, which the canonical encoding leaves out");
      }
      pos += n;
    } else {
      uint64_t n;
      if (!ReadVarint(b, pos, n, len)) return Offence(at, "its length is truncated");
      if (len != VarintSize(n)) return Offence(at, "its length is not in its shortest form");
      if (n > b.size() - pos) return Offence(at, "its value is truncated");
      const std::string_view value = b.substr(pos, n);
      pos += n;
      if (f->is_packed()) {
        if (value.empty()) {
          return Offence(at, "an empty packed run, which the canonical encoding leaves out");
        }
        const int value_wire = ValueWireType(*f);
        if (value_wire != 0 && value.size() % (value_wire == 1 ? 8 : 4) != 0) {
          return Offence(at, "a packed value is truncated");
        }
        size_t p = 0;
        while (value_wire == 0 && p < value.size()) {
          uint64_t v;
          if (!ReadVarint(value, p, v, len)) return Offence(at, "a packed value is truncated");
          if (CanonicalVarint(*f, v) != v || len != VarintSize(v)) {
            return Offence(at, "a packed value is not in its shortest form");
          }
        }
      } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
        RETURN_IF_ERROR(Walk(*f->message_type(), value, at, depth + 1));
      } else {
        if (f->type() == FieldDescriptor::TYPE_STRING && !IsUtf8(value)) {
          return Offence(at, "is not valid UTF-8");
        }
        if (implicit && value.empty()) {
          return Offence(at, "holds its default value, which the canonical encoding leaves out");
        }
      }
    }
    last = f;
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status CheckCanonicalEncoding(const Descriptor& type, std::string_view bytes) {
  return Walk(type, bytes, type.name(), 0);
}

[[nodiscard]] absl::Status CheckReserializesTo(const google::protobuf::Message& parsed,
                                               std::string_view bytes) {
  std::string again;
  if (!parsed.SerializePartialToString(&again)) {
    return absl::InvalidArgumentError("non-canonical encoding: the message does not serialize");
  }
  if (again == bytes) return absl::OkStatus();
  size_t i = 0;
  while (i < again.size() && i < bytes.size() && again[i] == bytes[i]) ++i;
  return absl::InvalidArgumentError(absl::StrCat(
      "non-canonical encoding: ", parsed.GetDescriptor()->name(),
      ": not the serialization of what it parses to (first difference at byte ", i, ")"));
}

}  // namespace touchstone
