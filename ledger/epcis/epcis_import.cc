#include "ledger/epcis/epcis_import.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/epcis/epcis_reader.h"
#include "ledger/epcis/epcis_records.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/gs1.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"

namespace touchstone {
namespace {

// How deep a document's values may nest (an export's go 6 deep).
constexpr int kMaxDepth = 32;

using epcis_internal::Json;
using epcis_internal::Micros;
using epcis_internal::Or;
using epcis_internal::Reader;
using epcis_internal::Refusal;
using epcis_internal::S;

// Points `r`'s references to other records (positions in a plan's records) at
// where those records moved: position p is now moved[p].
void Renumber(EpcisImportRecord& r, const std::vector<size_t>& moved) {
  for (std::optional<size_t>* ref : {&r.wrong, &r.replacement, &r.prev}) {
    if (*ref) *ref = moved[**ref];
  }
}

class Planner {
 public:
  explicit Planner(const Json& doc) : r_(doc.contains("@context") ? doc["@context"] : Json()) {}

  void Plan(const Json& events, EpcisImportPlan& plan) {
    plan.events = events.size();
    // Group the events of one record: same touchstone:index, or same eventID stem.
    size_t i = 0;
    while (i < events.size()) {
      size_t j = i + 1;
      const std::string key = GroupKey(events[i]);
      while (j < events.size() && !key.empty() && GroupKey(events[j]) == key) ++j;
      std::vector<const Json*> group;
      for (size_t k = i; k < j; ++k) group.push_back(&events[k]);
      PlanGroup(group, i + 1, plan);
      i = j;
    }
    PlaceDeclarations(plan);
  }

 private:
  std::string GroupKey(const Json& e) const {
    if (const Json* entry = r_.T(e, "entry")) {
      if (const Json* index = r_.T(*entry, "index"); index != nullptr && index->is_number()) {
        return absl::StrCat("index:", index->dump());
      }
    }
    const std::string id = S(e, "eventID");
    return id.empty() ? "" : "id:" + id.substr(0, id.find('#'));
  }

  void PlanGroup(const std::vector<const Json*>& group, size_t position, EpcisImportPlan& plan) {
    const Json& first = *group.front();
    const std::string event_id = S(first, "eventID");
    auto refuse = [&](std::string message) {
      // Owners' records that follow this one (by its index) are refused with it.
      if (const Json* entry = r_.T(first, "entry")) {
        if (const Json* i = r_.T(*entry, "index"); i != nullptr && i->is_number_unsigned()) {
          refused_.insert(i->get<uint64_t>());
        }
      }
      plan.errors.push_back(
          {.event = position, .event_id = event_id, .message = std::move(message)});
    };
    if (!first.is_object()) return refuse("not a JSON object");
    r_.TakeAmbiguity();  // what earlier events left
    if (event_id.empty()) {
      return refuse(
          "no eventID: an imported event needs one, so that importing it again "
          "appends nothing twice");
    }
    if (r_.T(first, "sealed") != nullptr) {
      return refuse(
          "a sealed record: its committed fields (amounts) are not in the log, so not in "
          "the document; it cannot be re-created from it");
    }
    Or<v1::Record> mapped = Map(group);
    if (auto* no = std::get_if<Refusal>(&mapped)) {
      return refuse(absl::StrCat(Shape(first), ": ", no->message));
    }
    v1::Record& record = std::get<v1::Record>(mapped);
    // Time, id, import marker.
    Or<int64_t> when = Micros(S(first, "eventTime"), "eventTime");
    if (auto* no = std::get_if<Refusal>(&when)) return refuse(no->message);
    record.set_event_time_micros(std::get<int64_t>(when));
    const Json* entry = r_.T(first, "entry");
    std::string record_id = entry != nullptr ? r_.Str(*entry, "recordId") : "";
    if (record_id.empty()) {
      record_id = absl::StrCat("epcis-", HashToHex(Sha256(event_id)).substr(0, 32));
    }
    record.set_record_id(record_id);
    if (const Json* h = r_.T(first, "historyImport"); h != nullptr && h->is_boolean()) {
      record.set_history_import(h->get<bool>());
    }
    EpcisImportRecord out{.event = position, .event_id = event_id, .record = std::move(record)};
    // An owner's record follows the piece's ownership record it names by its
    // index in the log the document came from: a record of this document.
    if (const std::optional<uint64_t> prev = OwnerPrevIndex(out.record)) {
      auto it = at_original_.find(*prev);
      if (it == at_original_.end()) {
        return refuse(absl::StrCat(
            "the ownership record it follows (entry ", *prev, " of the log it came from) ",
            refused_.contains(*prev) ? "was refused: see its event" : "is not in this document"));
      }
      out.prev = it->second;
      out.original_prev_index = *prev;
      SetOwnerPrevIndex(out.record, 0);
    }
    if (entry != nullptr) {
      out.owner_key_id = r_.Str(*entry, "ownerKeyId");
      out.original_key_id = r_.Str(*entry, "keyId");
      std::string bytes;
      v1::OwnerSignature sig;
      if (const std::string b = r_.Str(*entry, "ownerSignature");
          !b.empty() && absl::Base64Unescape(b, &bytes) && sig.ParseFromString(bytes)) {
        out.original_owner_signature = std::move(sig);
      }
    }
    // Who signs: the entry's signer, which must agree with the party the
    // standard's fields name as acting (a shipment's source, a receipt's destination).
    const std::string named = entry != nullptr ? r_.Str(*entry, "signer") : "";
    const std::string acting = NamedParty(first);
    if (!named.empty() && !acting.empty() && named != acting) {
      return refuse(absl::StrCat("touchstone:signer ", named, " is not ", acting,
                                 ", whom the event names as acting"));
    }
    if (const std::string signer_uri = named.empty() ? acting : named; !signer_uri.empty()) {
      Or<std::string> signer = Reader::Party(signer_uri);
      if (auto* no = std::get_if<Refusal>(&signer)) return refuse(no->message);
      out.signer = std::get<std::string>(signer);
    }
    // A record an owner key signed alone: an owner's record naming the owner
    // key and no participant.
    out.owner_only =
        IsOwnerBody(out.record) && !out.owner_key_id.empty() && named.empty() && acting.empty();
    if (const std::string twice = r_.TakeAmbiguity(); !twice.empty()) {
      return refuse(absl::StrCat("touchstone:", twice,
                                 " is given twice, under two names of the namespace; which one "
                                 "is meant is not said"));
    }
    if (out.record.has_piece_registered() && !out.record.piece_registered().gtin().empty()) {
      const v1::PieceRegistered& p = out.record.piece_registered();
      r_.LearnDigitalLink(absl::StrCat("https://id.gs1.org", DigitalLinkPath(p.gtin(), p.serial())),
                          p.piece_id());
    }
    const size_t at = plan.records.size();
    plan.records.push_back(std::move(out));
    by_event_id_[event_id] = at;
    if (entry != nullptr) {
      if (const Json* index = r_.T(*entry, "index"); index && index->is_number_unsigned()) {
        original_index_[at] = index->get<uint64_t>();
        at_original_.emplace(index->get<uint64_t>(), at);
        plan.records[at].original_index = index->get<uint64_t>();
        if (const size_t stem = event_id.rfind("/entry/"); stem != std::string::npos) {
          plan.records[at].original_log = event_id.substr(0, stem + 7);
        }
      }
    }
    if (auto d = first.find("errorDeclaration"); d != first.end()) {
      declarations_.push_back({at, position, &*d});
    }
  }

  // "ObjectEvent OBSERVE shipping", for messages.
  static std::string Shape(const Json& e) {
    std::string s = S(e, "type");
    if (!S(e, "action").empty()) absl::StrAppend(&s, " ", S(e, "action"));
    if (!S(e, "bizStep").empty()) absl::StrAppend(&s, " ", S(e, "bizStep"));
    return s;
  }

  // The party a custody event names as acting: the shipper (source), or the
  // receiver (destination) of a receipt; "" if none.
  static std::string NamedParty(const Json& e) {
    const std::string step = S(e, "bizStep");
    const char* list = step == "shipping"    ? "sourceList"
                       : step == "receiving" ? "destinationList"
                                             : nullptr;
    if (list == nullptr || !e.contains(list) || !e[list].is_array()) return "";
    const char* field = step == "shipping" ? "source" : "destination";
    for (const Json& p : e[list]) {
      if (S(p, "type") == "possessing_party") return S(p, field);
    }
    return "";
  }

  Or<v1::Record> Map(const std::vector<const Json*>& g) const {
    const Json& e = *g.front();
    const std::string type = S(e, "type"), action = S(e, "action"), step = S(e, "bizStep");
    // A piece's making names the piece's id in its master data.
    const bool piece = e.contains("ilmd") && r_.T(e["ilmd"], "pieceId") != nullptr;
    if (piece && ((type == "TransformationEvent" && e.contains("outputEPCList")) ||
                  (type == "ObjectEvent" && action == "ADD" && e.contains("epcList")))) {
      return PieceOf(r_, g);
    }
    if (e.contains("ilmd") && r_.T(e["ilmd"], "heirloom") != nullptr && !piece &&
        type == "ObjectEvent" && action == "ADD") {
      return HeirloomOf(r_, g);
    }
    if (g.size() > 1 && !(type == "AggregationEvent" && step == "replacing")) {
      return Refusal{absl::StrCat(g.size(),
                                  " events share one entry; only a piece registration "
                                  "or a stone replacement has two")};
    }
    if (type == "ObjectEvent" && action == "ADD" && step == "commissioning")
      return LotCreatedOf(r_, e);
    if (type == "TransformationEvent") {
      if (r_.T(e, "process") == nullptr) {
        return Refusal{
            "neither a transformation (touchstone:process, lots in inputQuantityList "
            "and outputQuantityList) nor a piece's making (one piece in "
            "outputEPCList, touchstone:pieceId in ilmd)"};
      }
      return TransformationOf(r_, e);
    }
    if (type == "TransactionEvent" && action == "ADD") {
      if (r_.T(e, "account") != nullptr) return AccountOpenedOf(r_, e);
      if (r_.T(e, "credit") != nullptr) return CreditOf(r_, e);
    }
    if (type == "ObjectEvent" && action == "OBSERVE") {
      if (r_.T(e, "owner") != nullptr) return OwnerRecordOf(r_, e);
      if (step == "shipping") return ShippedOf(r_, e);
      if (step == "receiving") return ReceivedOf(r_, e);
      if (step == "inspecting" && r_.T(e, "certificateStatus") != nullptr) {
        return StatusChangedOf(r_, e);
      }
      if (step == "inspecting") return InspectedOf(r_, e);
      if (r_.T(e, "event") != nullptr) return LifecycleOf(r_, e);
    }
    if (type == "AggregationEvent" && step == "replacing") return ReplacedOf(r_, g);
    return Refusal{
        "no Touchstone record has this shape (supported: ObjectEvent ADD commissioning of a lot, "
        "TransformationEvent, ObjectEvent OBSERVE shipping / receiving / inspecting, a piece's "
        "registration and lifecycle, its owners' records, an heirloom intake, AggregationEvent "
        "replacing, TransactionEvent ADD of a mass-balance account; docs/epcis.md)"};
  }

  // Turns each errorDeclaration into an error_declared record, placed where
  // the original log had it (touchstone:declaredIn against the records'
  // touchstone:index), or else after the records it names.
  void PlaceDeclarations(EpcisImportPlan& plan) {
    struct Placed {
      size_t before;  // insert before this record position (plan.records.size() = at the end)
      EpcisImportRecord record;
    };
    std::vector<Placed> placed;
    for (const Declaration& d : declarations_) {
      const Json& decl = *d.json;
      const EpcisImportRecord& wrong = plan.records[d.record];
      r_.TakeAmbiguity();
      auto refuse = [&](std::string message) {
        plan.errors.push_back({.event = d.position,
                               .event_id = wrong.event_id,
                               .message = absl::StrCat("errorDeclaration: ", message)});
      };
      EpcisImportRecord out{.event = d.position, .event_id = wrong.event_id};
      out.wrong = d.record;
      if (auto c = decl.find("correctiveEventIDs"); c != decl.end() && c->is_array()) {
        for (const Json& id : *c) {
          if (!id.is_string()) continue;
          if (auto it = by_event_id_.find(id.get<std::string>()); it != by_event_id_.end()) {
            out.replacement = it->second;
            break;
          }
        }
        if (!out.replacement && !c->empty()) {
          refuse("its correctiveEventIDs name no record of this document");
          continue;
        }
      }
      if (const Json* n = r_.T(decl, "replacementIndex"); n != nullptr && !out.replacement) {
        // Without its replacement the declaration would say something else.
        refuse(absl::StrCat("the record that replaced it (entry ", n->dump(),
                            " of the log it came from) is not in this document"));
        continue;
      }
      Or<int64_t> when = Micros(S(decl, "declarationTime"), "declarationTime");
      if (auto* no = std::get_if<Refusal>(&when)) {
        refuse(no->message);
        continue;
      }
      v1::Record& rec = out.record;
      rec.set_event_time_micros(std::get<int64_t>(when));
      std::string id = r_.Str(decl, "declarationRecordId");
      if (id.empty()) {
        id = absl::StrCat("epcis-",
                          HashToHex(Sha256("errorDeclaration\n" + wrong.event_id)).substr(0, 32));
      }
      rec.set_record_id(id);
      // The declaration's own reason when the document gives one (even empty),
      // else the standard's reason code.
      const Json* reason = r_.T(decl, "reason");
      rec.mutable_error_declared()->set_reason(reason != nullptr && reason->is_string()
                                                   ? reason->get<std::string>()
                                                   : S(decl, "reason"));
      out.signer = wrong.signer;
      if (const std::string s = r_.Str(decl, "declarationSigner"); !s.empty()) {
        Or<std::string> who = Reader::Party(s);
        if (auto* no = std::get_if<Refusal>(&who)) {
          refuse(no->message);
          continue;
        }
        out.signer = std::get<std::string>(who);
      }
      // Where: before the first record whose original index is past declaredIn;
      // never before the records it names.
      size_t before = std::max(d.record, out.replacement.value_or(0)) + 1;
      const Json* in = r_.T(decl, "declaredIn");
      if (in != nullptr && in->is_number_unsigned()) {
        const uint64_t at = in->get<uint64_t>();
        out.original_index = at;
        out.original_log = wrong.original_log;
        while (before < plan.records.size()) {
          auto it = original_index_.find(before);
          if (it != original_index_.end() && it->second > at) break;
          ++before;
        }
      }
      if (const std::string twice = r_.TakeAmbiguity(); !twice.empty()) {
        refuse(absl::StrCat("touchstone:", twice, " is given twice, under two names"));
        continue;
      }
      placed.push_back({before, std::move(out)});
    }
    // Insert, fixing up the positions `wrong` and `replacement` refer to.
    std::stable_sort(placed.begin(), placed.end(),
                     [](const Placed& a, const Placed& b) { return a.before < b.before; });
    std::vector<size_t> moved(plan.records.size());
    std::vector<EpcisImportRecord> all;
    size_t p = 0;
    for (size_t i = 0; i <= plan.records.size(); ++i) {
      while (p < placed.size() && placed[p].before == i)
        all.push_back(std::move(placed[p++].record));
      if (i == plan.records.size()) break;
      moved[i] = all.size();
      all.push_back(std::move(plan.records[i]));
    }
    for (EpcisImportRecord& r : all) Renumber(r, moved);
    plan.records = std::move(all);
  }

  struct Declaration {
    size_t record;    // the record it corrects, in plan.records (before placing)
    size_t position;  // its event's position
    const Json* json;
  };

  Reader r_;
  absl::flat_hash_map<std::string, size_t> by_event_id_;
  absl::flat_hash_map<size_t, uint64_t> original_index_;
  absl::flat_hash_map<uint64_t, size_t> at_original_;  // the inverse, before placing declarations
  absl::flat_hash_set<uint64_t> refused_;              // original indices of refused events
  std::vector<Declaration> declarations_;
};

}  // namespace

absl::Status CheckOwnerSignedBefore(const EpcisImportRecord& r, const v1::OwnerKey& owner) {
  auto no = [&r](const std::string& why) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the document does not show that owner key ", r.owner_key_id, " signed this record on ",
        "the log it came from (", why, "); the owner signs again only what it signed there"));
  };
  if (!r.original_owner_signature) return no("it carries no touchstone:ownerSignature");
  constexpr std::string_view kScheme = "https://", kEntry = "/entry/";
  const std::string_view log = r.original_log;
  if (log.size() <= kScheme.size() + kEntry.size() || log.substr(0, kScheme.size()) != kScheme ||
      log.substr(log.size() - kEntry.size()) != kEntry) {
    return no("its eventID names no log: https://<origin>/entry/<index>");
  }
  const std::optional<std::string> origin = epcis_internal::PercentDecode(
      log.substr(kScheme.size(), log.size() - kScheme.size() - kEntry.size()));
  if (!origin) return no("its eventID's origin is not percent-encoded text");
  v1::Record there = r.record;
  there.set_signer(r.owner_only ? "" : r.signer);
  there.set_key_id(r.owner_only ? "" : r.original_key_id);
  if (r.prev) SetOwnerPrevIndex(there, r.original_prev_index);
  there.clear_owner_signature();
  const absl::Status s = VerifyOwnerSignature(owner, *r.original_owner_signature,
                                              OwnerSigningMessage(*origin, SerializeRecord(there)));
  if (!s.ok()) return no(std::string(s.message()));
  return absl::OkStatus();
}

absl::StatusOr<EpcisImportPlan> PlanEpcisImport(std::string_view document) {
  // Values nested deeper than any document of ours are dropped while parsing
  // (the parser is iterative; copying or printing a deep value would not be).
  const Json::parser_callback_t shallow = [](int depth, Json::parse_event_t, Json&) {
    return depth <= kMaxDepth;
  };
  Json doc = Json::parse(document, shallow, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("the document is not JSON");
  if (!doc.is_object() || S(doc, "type") != "EPCISDocument") {
    return absl::InvalidArgumentError("the document is not an EPCISDocument (\"type\")");
  }
  if (!doc.contains("epcisBody") || !doc["epcisBody"].is_object() ||
      !doc["epcisBody"].contains("eventList") || !doc["epcisBody"]["eventList"].is_array()) {
    return absl::InvalidArgumentError("the document has no epcisBody.eventList");
  }
  EpcisImportPlan plan;
  Planner(doc).Plan(doc["epcisBody"]["eventList"], plan);
  return plan;
}

absl::StatusOr<EpcisImportPlan> MergeEpcisPlans(std::vector<EpcisImportPlan> plans) {
  EpcisImportPlan merged;
  // Each plan's positions become positions in `merged` (before sorting).
  absl::flat_hash_map<std::string, size_t> by_id;
  auto id_of = [](const std::vector<EpcisImportRecord>& rs, std::optional<size_t> p) {
    return p ? rs[*p].record.record_id() : std::string();
  };
  for (size_t d = 0; d < plans.size(); ++d) {
    EpcisImportPlan& plan = plans[d];
    merged.events += plan.events;
    for (EpcisImportError& e : plan.errors) {
      e.document = d;
      merged.errors.push_back(std::move(e));
    }
    for (EpcisImportRecord& r : plan.records) r.document = d;
    // Where each of this plan's records is in `merged`; which ones are new.
    std::vector<size_t> at(plan.records.size());
    std::vector<bool> fresh(plan.records.size(), false);
    size_t next = merged.records.size();
    for (size_t i = 0; i < plan.records.size(); ++i) {
      const EpcisImportRecord& r = plan.records[i];
      auto [it, added] = by_id.emplace(r.record.record_id(), next);
      at[i] = it->second;
      if (added) {
        fresh[i] = true;
        ++next;
        continue;
      }
      if (it->second >= merged.records.size()) {
        // Twice in one document: both go to the log, which takes the second as
        // a retry of the first or refuses it.
        at[i] = next++;
        fresh[i] = true;
        continue;
      }
      // Seen in an earlier document: the same record, naming the same records.
      const EpcisImportRecord& kept = merged.records[it->second];
      if (SerializeRecord(kept.record) != SerializeRecord(r.record) || kept.signer != r.signer ||
          kept.owner_key_id != r.owner_key_id || kept.owner_only != r.owner_only ||
          id_of(merged.records, kept.wrong) != id_of(plan.records, r.wrong) ||
          id_of(merged.records, kept.replacement) != id_of(plan.records, r.replacement) ||
          id_of(merged.records, kept.prev) != id_of(plan.records, r.prev)) {
        return absl::InvalidArgumentError(absl::StrCat("record id '", r.record.record_id(),
                                                       "' stands for two different records (event ",
                                                       kept.event,
                                                       " of one "
                                                       "document and event ",
                                                       r.event, " of another)"));
      }
    }
    for (size_t i = 0; i < plan.records.size(); ++i) {
      if (!fresh[i]) continue;
      EpcisImportRecord r = std::move(plan.records[i]);
      Renumber(r, at);
      merged.records.push_back(std::move(r));
    }
  }
  bool one_log = true;
  for (const EpcisImportRecord& r : merged.records) {
    one_log = one_log && r.original_index && r.original_log == merged.records[0].original_log;
  }
  if (!one_log || merged.records.empty()) return merged;
  std::vector<size_t> order(merged.records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // A declaration sorts no earlier than the records it names, whatever its
  // declaredIn says (the log appended it after them), and an owner's record no
  // earlier than the one it follows. Those come before it in the plan, so
  // their keys are final when it is reached; equal keys keep plan order.
  std::vector<uint64_t> key(merged.records.size());
  for (size_t i = 0; i < key.size(); ++i) {
    const EpcisImportRecord& r = merged.records[i];
    key[i] = *r.original_index;
    for (const std::optional<size_t>& ref : {r.wrong, r.replacement, r.prev}) {
      if (ref) {
        key[i] = std::max(key[i], *ref < i ? key[*ref] : *merged.records[*ref].original_index);
      }
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
  std::vector<size_t> moved(order.size());
  std::vector<EpcisImportRecord> sorted;
  for (size_t i = 0; i < order.size(); ++i) {
    moved[order[i]] = i;
    sorted.push_back(std::move(merged.records[order[i]]));
  }
  for (EpcisImportRecord& r : sorted) Renumber(r, moved);
  merged.records = std::move(sorted);
  return merged;
}

}  // namespace touchstone
