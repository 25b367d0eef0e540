#include "ledger/search.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/gs1.h"
#include "ledger/store/storage_map.h"

namespace touchstone {
namespace {

// A match under construction: what it names and the indices of its evidence.
struct Found {
  std::string kind;
  std::string id;
  std::vector<uint64_t> indices;
};

template <typename T>
[[nodiscard]] absl::StatusOr<std::optional<T>> Indexed(const Ledger& ledger,
                                                       const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ledger.GetState(key));
  if (!bytes) return std::nullopt;
  T value;
  if (!value.ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("the stored index value at '", key, "' does not parse"));
  }
  return value;
}

// The entry among the piece's history that set `lot` in it: its registration
// listing the stone, or the newest StoneReplaced naming it as the new stone.
[[nodiscard]] absl::StatusOr<uint64_t> SettingEntry(const Ledger& ledger,
                                                    const v1::PieceState& piece,
                                                    const std::string& lot) {
  std::optional<uint64_t> found;
  for (uint64_t index : piece.history()) {
    ASSIGN_OR_RETURN(v1::Record r, ledger.ReadRecord(index));
    if (r.has_piece_registered()) {
      for (const std::string& s : r.piece_registered().stone_lot_ids()) {
        if (s == lot) found = index;
      }
    } else if (r.has_stone_replaced() && r.stone_replaced().new_stone_lot_id() == lot) {
      found = index;
    }
  }
  if (!found) {
    return absl::DataLossError(absl::StrCat("piece '", piece.piece_id(), "' holds stone lot '", lot,
                                            "' but no entry of its history sets it"));
  }
  return *found;
}

// A stone query: the graded lot (and the piece it is set in, if any).
[[nodiscard]] absl::StatusOr<std::vector<Found>> FindStone(const Ledger& ledger,
                                                           const v1::StoneQuery& q,
                                                           bool inscription) {
  const char* what = inscription ? "inscription" : "grading report number";
  if (q.lab().empty() || q.value().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a search by ", what, " needs the laboratory (its scheme name, e.g. \"igi\") and the ",
        inscription ? "inscription's text" : "report number"));
  }
  // Per laboratory under the trade rules; log-wide in a log kept under the legacy rules.
  const std::string keyed =
      inscription ? InscriptionKey(q.lab(), q.value()) : ReportNumberKey(q.lab(), q.value());
  const std::string legacy = inscription ? InscriptionKey(q.value()) : ReportNumberKey(q.value());
  ASSIGN_OR_RETURN(std::optional<v1::StoneIdentity> id, Indexed<v1::StoneIdentity>(ledger, keyed));
  if (!id) {
    ASSIGN_OR_RETURN(id, Indexed<v1::StoneIdentity>(ledger, legacy));
    if (id) {
      ASSIGN_OR_RETURN(v1::CertificateState cert, ledger.GetCertificate(id->certificate_id()));
      if (cert.scheme() != q.lab()) id.reset();
    }
  }
  if (!id) {
    return absl::NotFoundError(
        absl::StrCat("nothing in the log has ", q.lab(), " ", what, " '", q.value(), "'"));
  }
  ASSIGN_OR_RETURN(v1::CertificateState cert, ledger.GetCertificate(id->certificate_id()));
  std::vector<Found> out = {{"lot", id->lot_id(), {cert.issued_index()}}};
  ASSIGN_OR_RETURN(v1::LotState lot, ledger.GetLot(id->lot_id()));
  if (!lot.active_piece().empty()) {
    ASSIGN_OR_RETURN(v1::PieceState piece, ledger.GetPiece(lot.active_piece()));
    ASSIGN_OR_RETURN(uint64_t set_at, SettingEntry(ledger, piece, lot.lot_id()));
    out.push_back({"piece", piece.piece_id(), {cert.issued_index(), set_at}});
  }
  return out;
}

[[nodiscard]] absl::StatusOr<std::vector<Found>> FindGtin(const Ledger& ledger,
                                                          const std::string& gtin,
                                                          const std::string& serial) {
  if (gtin.empty() || serial.empty()) {
    return absl::InvalidArgumentError("a search by GTIN needs the GTIN and the serial");
  }
  ASSIGN_OR_RETURN(std::string gtin14, Gtin14(gtin));
  ASSIGN_OR_RETURN(std::optional<v1::IndexedName> name,
                   Indexed<v1::IndexedName>(ledger, GtinKey(gtin14, serial)));
  if (!name) {
    return absl::NotFoundError(
        absl::StrCat("nothing in the log has GTIN ", gtin14, " serial '", serial, "'"));
  }
  return std::vector<Found>{{"piece", name->id(), {name->index()}}};
}

[[nodiscard]] absl::StatusOr<std::vector<Found>> FindIdentifier(const Ledger& ledger,
                                                                const v1::ExternalIdQuery& q) {
  if (q.scheme().empty() || q.value().empty()) {
    return absl::InvalidArgumentError(
        "a search by identifier needs its scheme (\"LEI\", \"GLN\", \"RJC\") and its value");
  }
  ASSIGN_OR_RETURN(std::optional<v1::IndexedName> name,
                   Indexed<v1::IndexedName>(ledger, IdentifierKey(q.scheme(), q.value())));
  if (!name) {
    return absl::NotFoundError(
        absl::StrCat("no participant in the log has ", q.scheme(), " '", q.value(), "'"));
  }
  return std::vector<Found>{{"participant", name->id(), {name->index()}}};
}

[[nodiscard]] absl::StatusOr<std::vector<Found>> Find(const Ledger& ledger,
                                                      const v1::SearchQuery& query) {
  switch (query.query_case()) {
    case v1::SearchQuery::kGradingReport:
      return FindStone(ledger, query.grading_report(), false);
    case v1::SearchQuery::kInscription:
      return FindStone(ledger, query.inscription(), true);
    case v1::SearchQuery::kGtin:
      return FindGtin(ledger, query.gtin().gtin(), query.gtin().serial());
    case v1::SearchQuery::kDigitalLink: {
      ASSIGN_OR_RETURN(auto link, ParseDigitalLink(query.digital_link()));
      return FindGtin(ledger, link.first, link.second);
    }
    case v1::SearchQuery::kIdentifier:
      return FindIdentifier(ledger, query.identifier());
    case v1::SearchQuery::QUERY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "give a query: grading_report, inscription, gtin, digital_link or identifier");
}

}  // namespace

absl::StatusOr<v1::SearchAnswer> Search(const Ledger& ledger, const v1::SearchQuery& query) {
  ASSIGN_OR_RETURN(std::vector<Found> found, Find(ledger, query));
  // The checkpoint is taken after the state was read, so it covers every entry
  // the state names, but for one committed in the instant between the two.
  auto [size, note] = ledger.LatestCheckpoint();
  v1::SearchAnswer answer;
  answer.set_checkpoint(note);
  for (const Found& f : found) {
    v1::SearchMatch* m = answer.add_matches();
    m->set_kind(f.kind);
    m->set_id(f.id);
    for (uint64_t index : f.indices) {
      if (index >= size) {
        return absl::UnavailableError(absl::StrCat(
            "the newest checkpoint (size ", size, ") does not cover entry ", index, " yet; retry"));
      }
      v1::SearchEvidence* e = m->add_evidence();
      e->set_index(index);
      ASSIGN_OR_RETURN(std::string entry, ledger.GetEntry(index));
      ASSIGN_OR_RETURN(std::vector<Hash> proof, ledger.InclusionProof(index, note));
      e->set_entry(std::move(entry));
      for (const Hash& h : proof) e->add_inclusion_proof(h.data(), h.size());
    }
  }
  return answer;
}

}  // namespace touchstone
