// touchstone_web_tables: writes verify_tables.js, the page verifier's copy of
// the record schema and the ledger's rule tables, at build time. Nothing in
// services/web/verify.js that says what a record holds or who may write it is
// written by hand: the field table comes from proto/record.proto's descriptors,
// the roles from ledger/provenance/writer_roles.h, origin classes from ledger/provenance/origin.h,
// what claims ask of inputs from ledger/provenance/claims.h, the trade's constants (fineness,
// disclosures, which scheme kinds may issue and back what: fineness.h, disclosure.h, schemes.h,
// material_trace.h) and the bundle rules' names (ledger/bundle/bundle_rules.h).
//
// Usage: touchstone_web_tables OUT.js   (exit 1 if OUT.js cannot be written)
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/provenance/claims.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/origin.h"
#include "ledger/provenance/schemes.h"
#include "ledger/provenance/writer_roles.h"
#include "nlohmann/json.hpp"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::ordered_json;

std::string TypeOf(const FieldDescriptor& f) {
  switch (f.type()) {
    case FieldDescriptor::TYPE_MESSAGE:
      return f.message_type()->name();
    case FieldDescriptor::TYPE_ENUM:
      return "enum";
    default:
      return f.type_name();  // "string", "bytes", "int64", "uint64", "int32", "bool", ...
  }
}

// Every message reachable from `d`: {Name: {number: {name, type, repeated, packed, presence,
// oneof}}}.
void AddMessage(const Descriptor& d, ordered_json& schema) {
  if (schema.contains(d.name())) return;
  schema[d.name()] = ordered_json::object();  // claimed before recursing
  ordered_json fields = ordered_json::object();
  std::vector<const Descriptor*> nested;
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor& f = *d.field(i);
    ordered_json spec = {{"name", f.name()},
                         {"type", TypeOf(f)},
                         {"repeated", f.is_repeated()},
                         {"packed", f.is_packed()},
                         {"presence", f.has_presence()}};
    if (f.real_containing_oneof() != nullptr) spec["oneof"] = f.real_containing_oneof()->name();
    fields[std::to_string(f.number())] = spec;
    if (f.type() == FieldDescriptor::TYPE_MESSAGE) nested.push_back(f.message_type());
  }
  schema[d.name()] = std::move(fields);  // (a reference into `schema` would not survive inserts)
  for (const Descriptor* n : nested) AddMessage(*n, schema);
}

// {number: name} of an enum's values.
ordered_json EnumNames(const google::protobuf::EnumDescriptor& e) {
  ordered_json out = ordered_json::object();
  for (int i = 0; i < e.value_count(); ++i)
    out[std::to_string(e.value(i)->number())] = e.value(i)->name();
  return out;
}

std::vector<int> Numbers(const std::vector<v1::Role>& roles) {
  return {roles.begin(), roles.end()};
}

// {body: [roles]} or, where the roles depend on the lot's origin class,
// {body: {"by_origin_class": {class: [roles]}}}.
ordered_json WriterRoleTable() {
  ordered_json table = ordered_json::object();
  const google::protobuf::OneofDescriptor& body =
      *v1::Record::descriptor()->FindOneofByName("body");
  for (int i = 0; i < body.field_count(); ++i) {
    const FieldDescriptor& f = *body.field(i);
    v1::Record r;
    r.GetReflection()->MutableMessage(&r, &f);
    if (r.has_lot_created()) {
      ordered_json by = ordered_json::object();
      for (int c = 0; c < v1::OriginClass_descriptor()->value_count(); ++c) {
        const int number = v1::OriginClass_descriptor()->value(c)->number();
        r.mutable_lot_created()->set_origin_class(static_cast<v1::OriginClass>(number));
        by[std::to_string(number)] = Numbers(WriterRoles(r));
      }
      table[f.name()] = {{"by_origin_class", by}};
    } else {
      table[f.name()] = Numbers(WriterRoles(r));
    }
  }
  return table;
}

ordered_json OriginTables() {
  const auto& classes = *v1::OriginClass_descriptor();
  ordered_json combine = ordered_json::object(), stone = ordered_json::object(),
               recycled = ordered_json::array();
  for (int i = 0; i < classes.value_count(); ++i) {
    const auto a = static_cast<v1::OriginClass>(classes.value(i)->number());
    ordered_json row = ordered_json::object();
    for (int j = 0; j < classes.value_count(); ++j) {
      const auto b = static_cast<v1::OriginClass>(classes.value(j)->number());
      row[std::to_string(b)] = static_cast<int>(CombineOrigins(a, b));
    }
    combine[std::to_string(a)] = row;
    stone[std::to_string(a)] = static_cast<int>(StoneOriginOf(a));
    if (IsRecycledOrigin(a)) recycled.push_back(static_cast<int>(a));
  }
  return {{"combine", combine}, {"stone_origin_of", stone}, {"recycled", recycled}};
}

// {claim: {needs_metal, needs_stones, metal_keeps: [classes], stone_keeps: [origins]}}.
ordered_json ClaimTable() {
  ordered_json table = ordered_json::object();
  for (v1::Claim claim :
       {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS, v1::CLAIM_NATURAL_DIAMONDS}) {
    ordered_json metal = ordered_json::array(), stones = ordered_json::array();
    for (int i = 0; i < v1::OriginClass_descriptor()->value_count(); ++i) {
      const int c = v1::OriginClass_descriptor()->value(i)->number();
      if (MetalKeeps(claim, static_cast<v1::OriginClass>(c))) metal.push_back(c);
    }
    for (int i = 0; i < v1::StoneOrigin_descriptor()->value_count(); ++i) {
      const int o = v1::StoneOrigin_descriptor()->value(i)->number();
      if (StoneKeeps(claim, static_cast<v1::StoneOrigin>(o))) stones.push_back(o);
    }
    table[std::to_string(claim)] = {{"needs_metal", NeedsMetal(claim)},
                                    {"needs_stones", NeedsStones(claim)},
                                    {"metal_keeps", metal},
                                    {"stone_keeps", stones}};
  }
  return table;
}

// The trade's constants and scheme tables (fineness.h, disclosure.h, schemes.h,
// material_trace.h, log_policy.h's kTradeRulesVersion). may_issue: {kind: {detail: true if
// CheckSchemeMayIssue accepts a certificate with that detail ("none", "grading_report",
// "kimberley_process", "parcel_report")}}.
ordered_json TradeTables() {
  ordered_json qualifiers = ordered_json::array();
  for (std::string_view q : LabGrownQualifiers()) qualifiers.push_back(std::string(q));
  ordered_json may_issue = ordered_json::object(), backs_mb = ordered_json::array(),
               backs_recycled = ordered_json::array();
  const auto& kinds = *v1::SchemeKind_descriptor();
  for (int i = 0; i < kinds.value_count(); ++i) {
    const auto kind = static_cast<v1::SchemeKind>(kinds.value(i)->number());
    ordered_json row = ordered_json::object();
    for (const char* detail : {"none", "grading_report", "kimberley_process", "parcel_report"}) {
      v1::CertificateIssued cert;
      if (const FieldDescriptor* f = v1::CertificateIssued::descriptor()->FindFieldByName(detail)) {
        cert.GetReflection()->MutableMessage(&cert, f);
      }
      row[detail] = CheckSchemeMayIssue(kind, cert).ok();
    }
    may_issue[std::to_string(kind)] = row;
    if (BacksMassBalance(kind)) backs_mb.push_back(static_cast<int>(kind));
    if (BacksRecycled(kind)) backs_recycled.push_back(static_cast<int>(kind));
  }
  return {{"trade_rules_version", kTradeRulesVersion},
          {"full_fineness_ptt", kFullFinenessPtt},
          {"full_share_bp", kFullShareBp},
          {"max_sources", kMaxSources},
          {"system_of_warranties", std::string(kSystemOfWarranties)},
          {"lab_grown_qualifiers", qualifiers},
          {"scheme_may_issue", may_issue},
          {"backs_mass_balance", backs_mb},
          {"backs_recycled", backs_recycled}};
}

// {name: "rule"} of ledger/bundle/bundle_rules.h (name: the constant's, kMassBalance ->
// massBalance).
ordered_json RuleNames() {
  ordered_json rules = ordered_json::object();
  auto add = [&](const char* name, std::string_view rule) { rules[name] = std::string(rule); };
  add("format", rule::kFormat);
  add("piece", rule::kPiece);
  add("checkpoint", rule::kCheckpoint);
  add("witnesses", rule::kWitnesses);
  add("entries", rule::kEntries);
  add("inclusion", rule::kInclusion);
  add("chain", rule::kChain);
  add("encoding", rule::kEncoding);
  add("signature", rule::kSignature);
  add("roles", rule::kRoles);
  add("once", rule::kOnce);
  add("time", rule::kTime);
  add("completeness", rule::kCompleteness);
  add("custody", rule::kCustody);
  add("certificates", rule::kCertificates);
  add("origin", rule::kOrigin);
  add("material", rule::kMaterial);
  add("claims", rule::kClaims);
  add("scheme", rule::kScheme);
  add("parcel", rule::kParcel);
  add("massBalance", rule::kMassBalance);
  add("warranty", rule::kWarranty);
  add("hallmark", rule::kHallmark);
  add("disclosure", rule::kDisclosure);
  add("owner", rule::kOwner);
  add("heirloom", rule::kHeirloom);
  add("sealed", rule::kSealed);
  return rules;
}

// {body: [path, ...]}: the committed fields of ledger/provenance/commitments.h.
ordered_json CommittedTable() {
  ordered_json table = ordered_json::object();
  for (const CommittedField& f : CommittedFields()) {
    const std::string body(f.body);
    if (!table.contains(body)) table[body] = ordered_json::array();
    table[body].push_back(std::string(f.path));
  }
  return table;
}

}  // namespace
}  // namespace touchstone

int main(int argc, char** argv) {
  using namespace touchstone;
  if (argc != 2) {
    std::cerr << "usage: touchstone_web_tables OUT.js\n";
    return 2;
  }
  ordered_json schema = ordered_json::object();
  AddMessage(*v1::Record::descriptor(), schema);
  std::string js =
      "// Generated at build time by touchstone_web_tables (services/web_tables_main.cc) from\n"
      "// proto/record.proto and the ledger's tables; do not edit.\n";
  auto constant = [&](const char* name, const ordered_json& value) {
    js += "export const " + std::string(name) + " = " + value.dump() + ";\n";
  };
  constant("SCHEMA", schema);
  ordered_json enums = ordered_json::object();
  const google::protobuf::FileDescriptor& file = *v1::Record::descriptor()->file();
  for (int i = 0; i < file.enum_type_count(); ++i) {
    enums[file.enum_type(i)->name()] = EnumNames(*file.enum_type(i));
  }
  constant("ENUMS", enums);
  constant("WRITER_ROLES", WriterRoleTable());
  constant("ORIGINS", OriginTables());
  constant("CLAIMS", ClaimTable());
  constant("TRADE", TradeTables());
  constant("RULES", RuleNames());
  constant("COMMITTED", CommittedTable());
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << js;
  out.close();
  if (!out) {
    std::cerr << "touchstone_web_tables: cannot write " << argv[1] << "\n";
    return 1;
  }
  return 0;
}
