#include "ledger/bundle/search_check.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/gs1.h"
#include "ledger/provenance/record.h"

namespace touchstone {
namespace {

absl::Status Forged(std::string_view match, std::string_view what) {
  return absl::DataLossError(absl::StrCat("search answer: ", Sv(match), ": ", Sv(what)));
}

// The record of one evidence entry, after proving the entry is at its index in
// the tree of `cp`.
[[nodiscard]] absl::StatusOr<v1::Record> ProvenRecord(const v1::SearchEvidence& e,
                                                      const Checkpoint& cp,
                                                      std::string_view match) {
  const std::string where = absl::StrCat(Sv(match), ": entry ", e.index());
  ASSIGN_OR_RETURN(EntryView view, DecodeEntry(e.entry()));
  if (absl::Status s = CheckEntryIndex(view, e.index()); !s.ok()) {
    return absl::DataLossError(absl::StrCat("search answer: ", where, s.message()));
  }
  std::vector<Hash> proof;
  for (const std::string& h : e.inclusion_proof()) {
    absl::StatusOr<Hash> hash = HashFromBytes(h);
    if (!hash.ok()) return Forged(where, "its inclusion proof holds a malformed hash");
    proof.push_back(*hash);
  }
  if (e.index() >= cp.size) {
    return Forged(where, absl::StrCat("is beyond the checkpoint (size ", cp.size, ")"));
  }
  if (absl::Status s = VerifyInclusion(e.index(), cp.size, LeafHash(e.entry()), proof, cp.root);
      !s.ok()) {
    return Forged(where,
                  absl::StrCat("is not in the tree the checkpoint signs (", s.message(), ")"));
  }
  return RecordOfEntry(e.index(), e.entry());
}

// What a stone query's certificate entry must say: that `lab` gave `lot` the
// report number (or inscription) `value`.
[[nodiscard]] absl::Status CheckCertificate(const v1::Record& r, const v1::StoneQuery& q,
                                            bool inscription, const std::string& lot,
                                            std::string_view match) {
  if (!r.has_certificate_issued()) return Forged(match, "its first entry is not a certificate");
  const v1::CertificateIssued& c = r.certificate_issued();
  if (c.scheme() != q.lab()) {
    return Forged(match,
                  absl::StrCat("the certificate is by '", c.scheme(), "', not '", q.lab(), "'"));
  }
  if (c.subject_lot() != lot) {
    return Forged(match, absl::StrCat("the certificate is about lot '", c.subject_lot(), "', not '",
                                      lot, "'"));
  }
  const bool says =
      inscription ? c.has_grading_report() && c.grading_report().inscription() == q.value()
                  : (c.has_grading_report() && c.grading_report().report_number() == q.value()) ||
                        (c.has_parcel_report() && c.parcel_report().report_number() == q.value());
  if (!says) {
    return Forged(match,
                  absl::StrCat("the certificate does not give ",
                               inscription ? "inscription '" : "report number '", q.value(), "'"));
  }
  return absl::OkStatus();
}

// What the entry setting a stone must say: `lot` goes into piece `piece`.
[[nodiscard]] absl::Status CheckSetting(const v1::Record& r, const std::string& piece,
                                        const std::string& lot, std::string_view match) {
  if (r.has_piece_registered() && r.piece_registered().piece_id() == piece) {
    const auto& stones = r.piece_registered().stone_lot_ids();
    if (std::find(stones.begin(), stones.end(), lot) != stones.end()) return absl::OkStatus();
  }
  if (r.has_stone_replaced() && r.stone_replaced().piece_id() == piece &&
      r.stone_replaced().new_stone_lot_id() == lot) {
    return absl::OkStatus();
  }
  return Forged(
      match, absl::StrCat("its second entry does not set lot '", lot, "' in piece '", piece, "'"));
}

[[nodiscard]] absl::Status CheckStone(const v1::StoneQuery& q, bool inscription,
                                      const std::vector<v1::Record>& records, CheckedMatch& m,
                                      std::string_view match) {
  if (m.kind != "lot" && m.kind != "piece") {
    return Forged(match, "a stone query names a lot or a piece");
  }
  const size_t want = m.kind == "lot" ? 1 : 2;
  if (records.size() != want) {
    return Forged(match, absl::StrCat("needs ", want, " evidence entries, has ", records.size()));
  }
  m.lot = m.kind == "lot" ? m.id : records[0].certificate_issued().subject_lot();
  RETURN_IF_ERROR(CheckCertificate(records[0], q, inscription, m.lot, match));
  if (m.kind == "piece") RETURN_IF_ERROR(CheckSetting(records[1], m.id, m.lot, match));
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckGtin(const std::string& gtin14, const std::string& serial,
                                     const std::vector<v1::Record>& records, const CheckedMatch& m,
                                     std::string_view match) {
  if (m.kind != "piece" || records.size() != 1) {
    return Forged(match, "a GTIN names one piece, backed by its registration");
  }
  const v1::Record& r = records[0];
  if (!r.has_piece_registered() || r.piece_registered().piece_id() != m.id ||
      r.piece_registered().gtin() != gtin14 || r.piece_registered().serial() != serial) {
    return Forged(match, absl::StrCat("the entry does not register piece '", m.id, "' as GTIN ",
                                      gtin14, " serial '", serial, "'"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckIdentifier(const v1::ExternalIdQuery& q,
                                           const std::vector<v1::Record>& records,
                                           const CheckedMatch& m, std::string_view match) {
  if (m.kind != "participant" || records.size() != 1) {
    return Forged(match, "an identifier names one participant, backed by its registration");
  }
  const v1::Record& r = records[0];
  const v1::ParticipantRegistered* reg = r.has_participant_registered()
                                             ? &r.participant_registered()
                                         : r.has_genesis() ? &r.genesis().operator_()
                                                           : nullptr;
  bool says = reg != nullptr && reg->participant_id() == m.id;
  if (says) {
    says = std::any_of(reg->identifiers().begin(), reg->identifiers().end(), [&](const auto& id) {
      return id.scheme() == q.scheme() && id.value() == q.value();
    });
  }
  if (!says) {
    return Forged(match, absl::StrCat("the entry does not register participant '", m.id, "' with ",
                                      q.scheme(), " '", q.value(), "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SearchCheck> CheckSearchAnswer(const v1::SearchQuery& query,
                                              const v1::SearchAnswer& answer,
                                              const NoteVerifier& log_key) {
  std::string gtin14, serial;
  if (query.has_gtin()) {
    ASSIGN_OR_RETURN(gtin14, Gtin14(query.gtin().gtin()));
    serial = query.gtin().serial();
  } else if (query.has_digital_link()) {
    ASSIGN_OR_RETURN(auto link, ParseDigitalLink(query.digital_link()));
    gtin14 = std::move(link.first);
    serial = std::move(link.second);
  } else if (query.query_case() == v1::SearchQuery::QUERY_NOT_SET) {
    return absl::InvalidArgumentError("the search query is empty");
  }
  ASSIGN_OR_RETURN(const Checkpoint cp, VerifyCheckpoint(answer.checkpoint(), log_key));
  if (answer.matches().empty()) return Forged("the answer", "it has no match");
  SearchCheck out;
  out.size = cp.size;
  for (const v1::SearchMatch& sm : answer.matches()) {
    CheckedMatch m{.kind = sm.kind(), .id = sm.id()};
    const std::string match = absl::StrCat(sm.kind(), " '", sm.id(), "'");
    std::vector<v1::Record> records;
    for (const v1::SearchEvidence& e : sm.evidence()) {
      ASSIGN_OR_RETURN(v1::Record r, ProvenRecord(e, cp, match));
      records.push_back(std::move(r));
      m.indices.push_back(e.index());
    }
    switch (query.query_case()) {
      case v1::SearchQuery::kGradingReport:
        RETURN_IF_ERROR(CheckStone(query.grading_report(), false, records, m, match));
        break;
      case v1::SearchQuery::kInscription:
        RETURN_IF_ERROR(CheckStone(query.inscription(), true, records, m, match));
        break;
      case v1::SearchQuery::kGtin:
      case v1::SearchQuery::kDigitalLink:
        RETURN_IF_ERROR(CheckGtin(gtin14, serial, records, m, match));
        break;
      case v1::SearchQuery::kIdentifier:
        RETURN_IF_ERROR(CheckIdentifier(query.identifier(), records, m, match));
        break;
      case v1::SearchQuery::QUERY_NOT_SET:
        break;
    }
    out.matches.push_back(std::move(m));
  }
  return out;
}

}  // namespace touchstone
