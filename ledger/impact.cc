#include "ledger/impact.h"

#include <algorithm>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/storage_map.h"

namespace touchstone {
namespace {

// A node to visit: what it is and how the walk reached it.
struct Step {
  std::string kind;  // "lot", "piece" or "account"
  std::string id;
  std::vector<uint64_t> path;
};

std::vector<uint64_t> Then(const std::vector<uint64_t>& path, uint64_t index) {
  std::vector<uint64_t> out = path;
  out.push_back(index);
  return out;
}

// The breadth-first walk; each item reported once, by its first (shortest) path.
class Walk {
 public:
  Walk(const Ledger& ledger, uint64_t size) : ledger_(ledger), size_(size) {}

  void Reach(std::string kind, std::string id, std::vector<uint64_t> path,
             std::string participant = "") {
    if (!seen_.insert({kind, id}).second) return;
    v1::ImpactItem* item = answer_.add_items();
    item->set_kind(kind);
    item->set_id(id);
    for (uint64_t i : path) item->add_path(i);
    item->set_participant(std::move(participant));
    if (kind != "transformation")
      queue_.push_back({std::move(kind), std::move(id), std::move(path)});
  }

  [[nodiscard]] absl::Status Run() {
    while (!queue_.empty()) {
      Step s = std::move(queue_.front());
      queue_.pop_front();
      if (s.kind == "lot") {
        RETURN_IF_ERROR(FromLot(s));
      } else if (s.kind == "piece") {
        RETURN_IF_ERROR(FromPiece(s));
      } else {
        RETURN_IF_ERROR(FromAccount(s));
      }
    }
    return absl::OkStatus();
  }

  // Reaches what a record makes, by `path`: a created lot; a transformation and
  // its outputs; an opened account. False (nothing reached) for other records.
  bool ReachMaterialOf(const v1::Record& r, const std::vector<uint64_t>& path) {
    if (r.has_lot_created()) {
      Reach("lot", r.lot_created().lot_id(), path, r.signer());
    } else if (r.has_transformation()) {
      Reach("transformation", r.transformation().transformation_id(), path, r.signer());
      for (const auto& out : r.transformation().outputs()) {
        Reach("lot", out.lot_id(), path, r.signer());
      }
    } else if (r.has_credit_account_opened()) {
      Reach("account", r.credit_account_opened().account_id(), path, r.signer());
    } else {
      return false;
    }
    return true;
  }

  // The records a certificate's reliance starts from.
  // `path`: how the walk reached the certificate (empty when it is the root).
  [[nodiscard]] absl::Status FromCertificate(const v1::CertificateState& cert,
                                             const std::vector<uint64_t>& path = {}) {
    if (!cert.subject_lot().empty()) {
      Reach("lot", cert.subject_lot(),
            path.empty() ? std::vector<uint64_t>{cert.issued_index()} : path);
    }
    for (uint64_t index : cert.relied_by()) {
      if (index >= size_) continue;
      ASSIGN_OR_RETURN(v1::Record r, ledger_.ReadRecord(index));
      ReachMaterialOf(r, Then(path, index));
    }
    return absl::OkStatus();
  }

  // What a participant made or vouched for, from the records it signed (the
  // record id index, so the cost is its records): the lots it created, its
  // transformations and their outputs, the pieces it registered, the accounts
  // it opened, and what relied on the certificates it issued. Custody it held
  // and records about others' objects are not roots. Earliest first.
  [[nodiscard]] absl::Status FromParticipant(const std::string& participant) {
    std::vector<uint64_t> signed_records;
    RETURN_IF_ERROR(ledger_.ScanRecordsSignedBy(
        participant, [&](std::string_view, uint64_t index) -> absl::Status {
          if (index < size_) signed_records.push_back(index);
          return absl::OkStatus();
        }));
    std::sort(signed_records.begin(), signed_records.end());
    for (uint64_t index : signed_records) {
      ASSIGN_OR_RETURN(v1::Record r, ledger_.ReadRecord(index));
      if (ReachMaterialOf(r, {index})) continue;
      if (r.has_piece_registered()) {
        Reach("piece", r.piece_registered().piece_id(), {index}, r.signer());
      } else if (r.has_certificate_issued()) {
        ASSIGN_OR_RETURN(v1::CertificateState cert,
                         ledger_.GetCertificate(r.certificate_issued().certificate_id()));
        RETURN_IF_ERROR(FromCertificate(cert, {index}));
      }
    }
    return absl::OkStatus();
  }

  v1::ImpactAnswer& answer() { return answer_; }

 private:
  [[nodiscard]] absl::Status FromLot(const Step& s) {
    ASSIGN_OR_RETURN(v1::LotState lot, ledger_.GetLot(s.id));
    for (uint64_t index : lot.history()) {
      if (index >= size_) continue;
      ASSIGN_OR_RETURN(v1::Record r, ledger_.ReadRecord(index));
      const std::vector<uint64_t> path = Then(s.path, index);
      if (r.has_transformation()) {
        bool consumed = false;
        for (const auto& in : r.transformation().inputs()) consumed |= in.lot_id() == s.id;
        if (!consumed) continue;
        Reach("transformation", r.transformation().transformation_id(), path, r.signer());
        for (const auto& out : r.transformation().outputs()) {
          Reach("lot", out.lot_id(), path, r.signer());
        }
      } else if (r.has_piece_registered()) {
        const v1::PieceRegistered& p = r.piece_registered();
        bool used = false;
        for (const std::string& stone : p.stone_lot_ids()) used |= stone == s.id;
        for (const auto& m : p.metal_inputs()) used |= m.lot_id() == s.id;
        for (const auto& ps : p.parcel_stones()) used |= ps.lot_id() == s.id;
        if (used) Reach("piece", p.piece_id(), path, r.signer());
      } else if (r.has_stone_replaced() && r.stone_replaced().new_stone_lot_id() == s.id) {
        Reach("piece", r.stone_replaced().piece_id(), path, r.signer());
      } else if (r.has_credit_booked() && r.credit_booked().lot_id() == s.id) {
        Reach("account", r.credit_booked().account_id(), path, r.signer());
      }
    }
    return absl::OkStatus();
  }

  // A piece repurposed by an heirloom intake became that intake's lot.
  [[nodiscard]] absl::Status FromPiece(const Step& s) {
    ASSIGN_OR_RETURN(v1::PieceState piece, ledger_.GetPiece(s.id));
    if (piece.repurposed_intake().empty() || piece.repurposed_index() >= size_) {
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                     ledger_.GetState(IntakeKey(piece.repurposed_intake())));
    v1::IntakeState intake;
    if (!bytes || !intake.ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("piece '", s.id, "' names intake '",
                                              piece.repurposed_intake(),
                                              "', which the state does not hold"));
    }
    Reach("lot", intake.lot_id(), Then(s.path, piece.repurposed_index()), intake.jeweler());
    return absl::OkStatus();
  }

  // A mass-balance account's credit went to the lots it allocated to.
  [[nodiscard]] absl::Status FromAccount(const Step& s) {
    ASSIGN_OR_RETURN(v1::CreditAccountState account, ledger_.GetCreditAccount(s.id));
    for (uint64_t index : account.history()) {
      if (index >= size_) continue;
      ASSIGN_OR_RETURN(v1::Record r, ledger_.ReadRecord(index));
      if (r.has_credit_allocated()) {
        Reach("lot", r.credit_allocated().lot_id(), Then(s.path, index), r.signer());
      }
    }
    return absl::OkStatus();
  }

  const Ledger& ledger_;
  const uint64_t size_;
  std::set<std::pair<std::string, std::string>> seen_;
  std::deque<Step> queue_;
  v1::ImpactAnswer answer_;
};

}  // namespace

absl::StatusOr<v1::ImpactAnswer> Impact(const Ledger& ledger, const v1::ImpactQuery& query) {
  if (query.root_case() == v1::ImpactQuery::ROOT_NOT_SET) {
    return absl::InvalidArgumentError(
        "give the lot, the certificate or the participant a recall starts from");
  }
  uint64_t size;
  std::string checkpoint;
  if (query.at_size() == 0) {
    std::tie(size, checkpoint) = ledger.LatestCheckpoint();
  } else {
    size = query.at_size();
    ASSIGN_OR_RETURN(checkpoint, ledger.GetCheckpoint(size));
  }
  Walk walk(ledger, size);
  if (query.has_certificate()) {
    ASSIGN_OR_RETURN(v1::CertificateState cert, ledger.GetCertificate(query.certificate()));
    if (cert.issued_index() >= size) {
      return absl::NotFoundError(
          absl::StrCat("certificate '", query.certificate(), "' is not in the log at size ", size));
    }
    RETURN_IF_ERROR(walk.FromCertificate(cert));
  } else if (query.has_participant()) {
    ASSIGN_OR_RETURN(v1::ParticipantState p, ledger.GetParticipant(query.participant()));
    if (p.registered_index() >= size) {
      return absl::NotFoundError(
          absl::StrCat("participant '", query.participant(), "' is not in the log at size ", size));
    }
    RETURN_IF_ERROR(walk.FromParticipant(p.participant_id()));
  } else {
    ASSIGN_OR_RETURN(v1::LotState lot, ledger.GetLot(query.lot()));
    if (lot.created_index() >= size) {
      return absl::NotFoundError(
          absl::StrCat("lot '", query.lot(), "' is not in the log at size ", size));
    }
    walk.Reach("lot", lot.lot_id(), {});
  }
  RETURN_IF_ERROR(walk.Run());
  v1::ImpactAnswer answer = std::move(walk.answer());
  answer.set_size(size);
  answer.set_checkpoint(std::move(checkpoint));
  return answer;
}

}  // namespace touchstone
