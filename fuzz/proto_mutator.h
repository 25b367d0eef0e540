// A small structure-aware mutator for protobuf messages (in the spirit of
// libprotobuf-mutator, which Debian does not package): it changes one field of a
// message, found by reflection through set sub-messages, to a value a byte-level
// mutator would rarely produce in a valid encoding: a boundary integer (0, -1,
// 2^63-1, 10^12, ...), another enum value, a string seen elsewhere in the input,
// a repeated element copied or dropped. fuzz_records uses it so that records stay
// parseable while their fields take hostile values.
#ifndef TOUCHSTONE_FUZZ_PROTO_MUTATOR_H_
#define TOUCHSTONE_FUZZ_PROTO_MUTATOR_H_

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace touchstone::fuzz {

// Thread-compatible.
class ProtoMutator {
 public:
  explicit ProtoMutator(uint64_t seed) : rng_(seed) {}

  // Strings the mutator may put into string fields (ids seen in the input, say).
  void AddString(std::string s) { strings_.push_back(std::move(s)); }
  // Every string field of `m`, recursively, goes into the pool.
  void CollectStrings(const google::protobuf::Message& m);

  // Changes one field of `m` (possibly one not set yet), recursively.
  void Mutate(google::protobuf::Message* m, int depth = 0);

  uint64_t Next(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  int64_t Integer(int64_t current);

 private:
  std::string String(const std::string& current);
  void MutateField(google::protobuf::Message* m, const google::protobuf::FieldDescriptor* f,
                   int depth);

  std::mt19937_64 rng_;
  std::vector<std::string> strings_;
};

inline void ProtoMutator::CollectStrings(const google::protobuf::Message& m) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) AddString(r->GetRepeatedString(m, f, i));
      } else {
        AddString(r->GetString(m, f));
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) CollectStrings(r->GetRepeatedMessage(m, f, i));
      } else {
        CollectStrings(r->GetMessage(m, f));
      }
    }
  }
}

inline int64_t ProtoMutator::Integer(int64_t current) {
  static constexpr int64_t kInteresting[] = {0,
                                             1,
                                             -1,
                                             2,
                                             999,
                                             1000,
                                             1001,
                                             1'000'000,
                                             1'000'000'000'000,
                                             1'000'000'000'001,
                                             std::numeric_limits<int32_t>::max(),
                                             std::numeric_limits<int32_t>::min(),
                                             std::numeric_limits<int64_t>::max(),
                                             std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max() - 1,
                                             std::numeric_limits<int64_t>::max() / 1000 + 1,
                                             int64_t{1} << 62,
                                             1'767'225'600'000'000 /* 2026 in micros */};
  switch (Next(6)) {
    case 0:
    case 1:
    case 2:
      return kInteresting[Next(std::size(kInteresting))];
    case 3:
      return static_cast<int64_t>(static_cast<uint64_t>(current) + Next(2001) - 1000);
    case 4:
      return static_cast<int64_t>(static_cast<uint64_t>(current) * 2);
    default:
      return static_cast<int64_t>(rng_());
  }
}

inline std::string ProtoMutator::String(const std::string& current) {
  switch (Next(4)) {
    case 0:
      return strings_.empty() ? std::string() : strings_[Next(strings_.size())];
    case 1:
      return "";
    case 2:
      return current + static_cast<char>('a' + Next(26));
    default:
      return current.empty() ? current : current.substr(0, Next(current.size()));
  }
}

inline void ProtoMutator::Mutate(google::protobuf::Message* m, int depth) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d->field_count() == 0) return;
  // Half the time a field that is set (the record's body, a transformation's
  // inputs), so that mutations go deep; otherwise any field.
  std::vector<const google::protobuf::FieldDescriptor*> set;
  m->GetReflection()->ListFields(*m, &set);
  if (!set.empty() && Next(2) == 0) {
    MutateField(m, set[Next(set.size())], depth);
  } else {
    MutateField(m, d->field(static_cast<int>(Next(d->field_count()))), depth);
  }
}

inline void ProtoMutator::MutateField(google::protobuf::Message* m,
                                      const google::protobuf::FieldDescriptor* f, int depth) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m->GetReflection();
  if (f->is_repeated()) {
    const int n = r->FieldSize(*m, f);
    if (n > 0 && Next(4) == 0) {  // drop the last element
      r->RemoveLast(m, f);
      return;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (n == 0 || Next(3) == 0) {
        google::protobuf::Message* added = r->AddMessage(m, f);
        if (n > 0) added->CopyFrom(r->GetRepeatedMessage(*m, f, static_cast<int>(Next(n))));
        if (depth < 8) Mutate(added, depth + 1);
      } else if (depth < 8) {
        Mutate(r->MutableRepeatedMessage(m, f, static_cast<int>(Next(n))), depth + 1);
      }
      return;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        r->AddString(m, f, String(""));
        return;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* e = f->enum_type();
        r->AddEnumValue(m, f, e->value(static_cast<int>(Next(e->value_count())))->number());
        return;
      }
      case FieldDescriptor::CPPTYPE_INT64:
        r->AddInt64(m, f, Integer(0));
        return;
      case FieldDescriptor::CPPTYPE_UINT64:
        r->AddUInt64(m, f, static_cast<uint64_t>(Integer(0)));
        return;
      default:
        return;  // no other repeated scalar types in the schema
    }
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (depth < 8) Mutate(r->MutableMessage(m, f), depth + 1);
      return;
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(m, f, String(r->GetString(*m, f)));
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      r->SetEnumValue(m, f,
                      Next(8) == 0 ? static_cast<int>(Integer(0))
                                   : e->value(static_cast<int>(Next(e->value_count())))->number());
      return;
    }
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(m, f, Integer(r->GetInt64(*m, f)));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      r->SetUInt64(m, f, static_cast<uint64_t>(Integer(static_cast<int64_t>(r->GetUInt64(*m, f)))));
      return;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(m, f, static_cast<int32_t>(Integer(r->GetInt32(*m, f))));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      r->SetUInt32(m, f, static_cast<uint32_t>(Integer(r->GetUInt32(*m, f))));
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      r->SetBool(m, f, !r->GetBool(*m, f));
      return;
    default:
      return;
  }
}

}  // namespace touchstone::fuzz

#endif  // TOUCHSTONE_FUZZ_PROTO_MUTATOR_H_
