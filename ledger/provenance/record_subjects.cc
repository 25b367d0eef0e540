#include "ledger/provenance/record_subjects.h"

#include "google/protobuf/descriptor.h"

namespace touchstone {
namespace {

void Add(absl::flat_hash_set<std::string>& set, const std::string& id) {
  if (!id.empty()) set.insert(id);
}

template <typename Ids>
void AddAll(absl::flat_hash_set<std::string>& set, const Ids& ids) {
  for (const std::string& id : ids) Add(set, id);
}

const google::protobuf::OneofDescriptor& Body() {
  return *v1::Record::descriptor()->FindOneofByName("body");
}

}  // namespace

void RecordSubjects::Merge(const RecordSubjects& other) {
  participants.insert(other.participants.begin(), other.participants.end());
  lots.insert(other.lots.begin(), other.lots.end());
  pieces.insert(other.pieces.begin(), other.pieces.end());
  certificates.insert(other.certificates.begin(), other.certificates.end());
}

RecordSubjects RecordSubjectsOf(const v1::Record& r) {
  RecordSubjects s;
  Add(s.participants, r.signer());
  switch (r.body_case()) {
    case v1::Record::kGenesis:
      Add(s.participants, r.genesis().operator_().participant_id());
      break;
    case v1::Record::kParticipantRegistered:
      Add(s.participants, r.participant_registered().participant_id());
      break;
    case v1::Record::kKeyAdded:
      Add(s.participants, r.key_added().participant_id());
      break;
    case v1::Record::kKeyRevoked:
      Add(s.participants, r.key_revoked().participant_id());
      break;
    case v1::Record::kRoleGranted:
      Add(s.participants, r.role_granted().participant_id());
      break;
    case v1::Record::kParticipantSuspended:
      Add(s.participants, r.participant_suspended().participant_id());
      break;
    case v1::Record::kParticipantReinstated:
      Add(s.participants, r.participant_reinstated().participant_id());
      break;
    case v1::Record::kSchemeRegistered:
      Add(s.participants, r.scheme_registered().issuer());
      break;
    case v1::Record::kCertificateIssued: {
      const v1::CertificateIssued& c = r.certificate_issued();
      Add(s.certificates, c.certificate_id());
      Add(s.participants, c.subject_participant());
      Add(s.lots, c.subject_lot());
      break;
    }
    case v1::Record::kCertificateStatusChanged:
      Add(s.certificates, r.certificate_status_changed().certificate_id());
      break;
    case v1::Record::kLotCreated:
      Add(s.lots, r.lot_created().lot_id());
      AddAll(s.certificates, r.lot_created().certificate_ids());
      break;
    case v1::Record::kTransformation: {
      const v1::Transformation& t = r.transformation();
      for (const v1::LotQuantity& in : t.inputs()) Add(s.lots, in.lot_id());
      for (const v1::OutputLot& out : t.outputs()) Add(s.lots, out.lot_id());
      AddAll(s.certificates, t.certificate_ids());
      break;
    }
    case v1::Record::kCustodyShipped:
      Add(s.lots, r.custody_shipped().lot_id());
      Add(s.participants, r.custody_shipped().to_participant());
      break;
    case v1::Record::kCustodyReceived:
      Add(s.lots, r.custody_received().lot_id());
      break;
    case v1::Record::kPieceRegistered: {
      const v1::PieceRegistered& p = r.piece_registered();
      Add(s.pieces, p.piece_id());
      AddAll(s.lots, p.stone_lot_ids());
      for (const v1::MetalInput& m : p.metal_inputs()) Add(s.lots, m.lot_id());
      for (const v1::ParcelStones& ps : p.parcel_stones()) Add(s.lots, ps.lot_id());
      break;
    }
    case v1::Record::kPieceLifecycle:
      Add(s.pieces, r.piece_lifecycle().piece_id());
      break;
    case v1::Record::kStoneReplaced:
      Add(s.pieces, r.stone_replaced().piece_id());
      Add(s.lots, r.stone_replaced().old_stone_lot_id());
      Add(s.lots, r.stone_replaced().new_stone_lot_id());
      break;
    case v1::Record::kCreditAccountOpened:
      Add(s.certificates, r.credit_account_opened().certificate_id());
      break;
    case v1::Record::kCreditBooked:
      Add(s.lots, r.credit_booked().lot_id());
      break;
    case v1::Record::kCreditAllocated:
      Add(s.lots, r.credit_allocated().lot_id());
      break;
    case v1::Record::kOwnershipAccepted:
      Add(s.pieces, r.ownership_accepted().piece_id());
      Add(s.participants, r.ownership_accepted().terms().recovery_agent());
      Add(s.participants, r.ownership_accepted().terms().insurer());
      break;
    case v1::Record::kOwnershipTransferred:
      Add(s.pieces, r.ownership_transferred().piece_id());
      break;
    case v1::Record::kOwnerReport:
      Add(s.pieces, r.owner_report().piece_id());
      break;
    case v1::Record::kOwnerKeyReplaced:
      Add(s.pieces, r.owner_key_replaced().piece_id());
      break;
    case v1::Record::kHeirloomReceived: {
      const v1::HeirloomReceived& h = r.heirloom_received();
      Add(s.lots, h.lot_id());
      Add(s.pieces, h.repurposed_piece_id());
      AddAll(s.lots, h.stone_lot_ids());
      break;
    }
    case v1::Record::kErrorDeclared:  // what it corrects: added by the watcher
    case v1::Record::kOperatorKeyRotated:
    case v1::Record::kLogPolicy:
    case v1::Record::BODY_NOT_SET:
      break;
  }
  return s;
}

std::string RecordTypeName(const v1::Record& record) {
  const google::protobuf::FieldDescriptor* f =
      v1::Record::GetReflection()->GetOneofFieldDescriptor(record, &Body());
  return f == nullptr ? "" : f->name();
}

bool IsRecordTypeName(std::string_view name) {
  const google::protobuf::OneofDescriptor& body = Body();
  for (int i = 0; i < body.field_count(); ++i) {
    if (body.field(i)->name() == name) return true;
  }
  return false;
}

std::vector<std::string> RecordTypeNames() {
  const google::protobuf::OneofDescriptor& body = Body();
  std::vector<std::string> names;
  for (int i = 0; i < body.field_count(); ++i) names.push_back(body.field(i)->name());
  return names;
}

}  // namespace touchstone
