// The reading side of EPCIS import (ledger/epcis/epcis_import.h), internal to
// ledger/epcis: a mapping refusal as a value (Or<T>), our namespaced keys
// under whatever prefix a document binds, identifiers from URIs, amounts and
// units. Reader is thread-compatible; the free functions are pure.
#ifndef TOUCHSTONE_LEDGER_EPCIS_EPCIS_READER_H_
#define TOUCHSTONE_LEDGER_EPCIS_EPCIS_READER_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/epcis/epcis_export.h"
#include "nlohmann/json.hpp"
#include "proto/record.pb.h"

namespace touchstone::epcis_internal {

using Json = nlohmann::json;

// Percent-decodes `s` (RFC 3986); nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s);

// A mapping failure of one event: its message.
struct Refusal {
  std::string message;
};

template <typename T>
using Or = std::variant<T, Refusal>;

// The enum value named `word` after `prefix` ("recycled_post_consumer" with
// "ORIGIN_CLASS_"), or nullopt (also for the unspecified value 0).
std::optional<int> EnumValue(const google::protobuf::EnumDescriptor* d, std::string_view prefix,
                             std::string_view word);

// One document's reading context: the prefixes its @context binds to our
// namespace, and the Digital Links its piece registrations name (learnt as
// they are read). Thread-compatible.
class Reader {
 public:
  explicit Reader(const Json& context) {
    // Every prefix the @context binds to our namespace.
    std::vector<const Json*> parts;
    if (context.is_array()) {
      for (const Json& c : context) parts.push_back(&c);
    } else {
      parts.push_back(&context);
    }
    for (const Json* c : parts) {
      if (!c->is_object()) continue;
      for (const auto& [k, v] : c->items()) {
        if (v.is_string() && v.get<std::string>() == kEpcisNamespace) prefixes_.insert(k);
      }
    }
  }

  // Our key `local` in object `o` (prefixed with any bound prefix, or the
  // namespace written out); nullptr if absent. An object that holds the key
  // under two of its names is ambiguous: the first in sorted prefix order is
  // returned and Ambiguity() names the key until cleared, so that the event is
  // refused rather than read one way or the other.
  const Json* T(const Json& o, std::string_view local) const {
    if (!o.is_object()) return nullptr;
    const Json* found = nullptr;
    auto take = [&](const std::string& key) {
      auto it = o.find(key);
      if (it == o.end()) return;
      if (found != nullptr && ambiguity_.empty()) ambiguity_ = std::string(local);
      if (found == nullptr) found = &*it;
    };
    for (const std::string& p : prefixes_) take(absl::StrCat(p, ":", Sv(local)));
    take(absl::StrCat(Sv(kEpcisNamespace), Sv(local)));
    return found;
  }
  // The first key found under two names since the last call, "" if none; clears it.
  std::string TakeAmbiguity() const { return std::exchange(ambiguity_, std::string()); }
  // A string of ours, "" if absent or not a string.
  std::string Str(const Json& o, std::string_view local) const {
    const Json* v = T(o, local);
    return v != nullptr && v->is_string() ? v->get<std::string>() : "";
  }
  // An integer of ours from 0 to `max`, 0 if absent; a refusal if present and
  // not such an integer (so no value is wrapped or cut to fit its field).
  Or<int64_t> Int(const Json& o, std::string_view local,
                  int64_t max = std::numeric_limits<int64_t>::max()) const {
    const Json* v = T(o, local);
    if (v == nullptr) return int64_t{0};
    const bool fits = v->is_number_unsigned() ? v->get<uint64_t>() <= static_cast<uint64_t>(max)
                                              : v->is_number_integer() && v->get<int64_t>() >= 0 &&
                                                    v->get<int64_t>() <= max;
    if (!fits) {
      return Refusal{
          absl::StrCat("touchstone:", Sv(local), " must be a whole number from 0 to ", max)};
    }
    return v->is_number_unsigned() ? static_cast<int64_t>(v->get<uint64_t>()) : v->get<int64_t>();
  }

  // The name under `kind` ("lot", "piece", ...) of a URI of ours
  // (https://<host>/<kind>/<percent-encoded name>), or nullopt; also nullopt
  // if the decoded name is not valid UTF-8 or holds a control character, or,
  // for "participant", is not a participant id ([a-z0-9][a-z0-9._-]{0,63}).
  static std::optional<std::string> Named(std::string_view uri, std::string_view kind);
  // A lot's id from its URI: ours, or the URI itself (an LGTIN class, ...).
  static std::string LotId(std::string_view uri) {
    std::optional<std::string> id = Named(uri, "lot");
    return id ? *id : std::string(uri);
  }

  // The piece a URI names: ours, or a Digital Link a registration in this
  // document gave a piece id.
  Or<std::string> PieceId(std::string_view uri) const {
    if (std::optional<std::string> id = Named(uri, "piece")) return *id;
    if (auto it = digital_links_.find(std::string(uri)); it != digital_links_.end())
      return it->second;
    return Refusal{absl::StrCat(Sv(uri),
                                " names no piece: a piece is https://<log>/piece/<id>, "
                                "or the Digital Link of a piece registered earlier in "
                                "this document")};
  }
  void LearnDigitalLink(std::string uri, std::string piece) {
    digital_links_[std::move(uri)] = std::move(piece);
  }

  // The participant a URI names.
  static Or<std::string> Party(std::string_view uri) {
    if (std::optional<std::string> id = Named(uri, "participant")) return *id;
    return Refusal{absl::StrCat(Sv(uri), " names no participant (https://<log>/participant/<id>)")};
  }

 private:
  std::set<std::string> prefixes_;  // sorted: the order T() reads them in
  mutable std::string ambiguity_;
  absl::flat_hash_map<std::string, std::string> digital_links_;
};

// In a function returning Or<U>: evaluates `expr` (an Or<T>), returns its
// refusal if it is one, else declares `var` holding its value.
#define EPCIS_TAKE(var, expr)                                          \
  auto var##_or = (expr);                                              \
  if (auto* r = std::get_if<Refusal>(&var##_or)) return std::move(*r); \
  auto var = std::move(std::get<0>(var##_or))

// A standard (unprefixed) string field of `o`, "" if absent or not a string.
std::string S(const Json& o, const char* key);

// An amount in a record's units.
struct Amount {
  int64_t quantity = 0;
  v1::Unit unit = v1::UNIT_UNSPECIFIED;
};

// A quantity element's amount: milligrams (MGM, or GRM / KGM converted) or
// thousandths of a carat (CTM). Without a quantity: Amount{} unless
// `required`; a refusal for another unit or a fraction of the unit.
Or<Amount> AmountOf(const Json& q, bool required);

// Hex to bytes, or a refusal naming `what`.
Or<std::string> Hex(const std::string& hex, std::string_view what);

// An RFC 3339 time as Unix microseconds, or a refusal naming `what`: for text
// that is not RFC 3339, absl's "infinite-past" / "infinite-future", and a time
// before 1970 or past 9999 (a record's times are microseconds since 1970).
Or<int64_t> Micros(const std::string& text, std::string_view what);

}  // namespace touchstone::epcis_internal

#endif  // TOUCHSTONE_LEDGER_EPCIS_EPCIS_READER_H_
