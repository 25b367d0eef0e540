// Rules for certificates: who issues them, what they may say (a grading report
// can never call a lab-grown stone natural), and their validity over time.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/rules_internal.h"
#include "ledger/provenance/schemes.h"

namespace touchstone::rules {
namespace {

std::string Time(int64_t micros) { return absl::FormatTime(absl::FromUnixMicros(micros)); }

// The trade rules' checks of who issues a certificate (schemes.h): its scheme
// is registered, the record's signer is the scheme's pinned issuer, the
// scheme's kind may issue it, and a document's hash names its algorithm and
// the document its media type.
[[nodiscard]] absl::Status CheckIssuer(const Env& env, const v1::CertificateIssued& c) {
  ASSIGN_OR_RETURN(std::optional<v1::SchemeState> scheme, FindScheme(env, c.scheme()));
  if (!scheme) {
    return absl::FailedPreconditionError(
        absl::StrCat("scheme rule: scheme '", c.scheme(),
                     "' is not registered in the log (SchemeRegistered, by the operator)"));
  }
  if (scheme->issuer() != env.record().signer()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "scheme rule: certificate under scheme '", c.scheme(), "' is signed by '",
        env.record().signer(), "'; the log pins '", scheme->issuer(), "' as its issuer"));
  }
  RETURN_IF_ERROR(CheckSchemeMayIssue(scheme->kind(), c));
  if (!c.document_sha256().empty() &&
      (c.document_hash_algorithm() != "sha-256" || c.document_media_type().empty())) {
    return absl::InvalidArgumentError(
        "a certificate's document is anchored by document_sha256 with document_hash_algorithm "
        "\"sha-256\" and its document_media_type (\"application/pdf\")");
  }
  return absl::OkStatus();
}

// Binds each identifier (report number, inscription: `keys`) to `lot`;
// FAILED_PRECONDITION "stone rule: ..." if one identifies another lot.
[[nodiscard]] absl::Status BindIdentities(
    const Env& env, const std::vector<std::pair<std::string, const char*>>& keys,
    const std::string& lot_id, const std::string& certificate_id, std::string_view prefix_of) {
  for (const auto& [key, what] : keys) {
    ASSIGN_OR_RETURN(std::optional<v1::StoneIdentity> bound, env.state.Get<v1::StoneIdentity>(key));
    if (bound && bound->lot_id() != lot_id) {
      const size_t name_at = key.find('/') + 1 + prefix_of.size();
      return absl::FailedPreconditionError(absl::StrCat(
          "stone rule: ", what, " '", key.substr(name_at), "' already identifies lot '",
          bound->lot_id(), "' (certificate '", bound->certificate_id(), "')"));
    }
    v1::StoneIdentity id;
    id.set_lot_id(lot_id);
    id.set_certificate_id(certificate_id);
    env.state.Put(key, id);
  }
  return absl::OkStatus();
}

// A parcel report (subject: the parcel lot) agrees with the parcel.
[[nodiscard]] absl::Status CheckParcelReport(const v1::ParcelReport& r,
                                             const std::optional<v1::LotState>& lot) {
  if (!lot || lot->stones() == 0) {
    return absl::InvalidArgumentError("a parcel report's subject must be a parcel lot");
  }
  if (r.report_number().empty()) return absl::InvalidArgumentError("report_number is required");
  if (r.origin() != lot->stone_origin() || r.stone_count() != lot->stones() ||
      r.carats_thousandths() != lot->quantity()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "parcel rule: the report says ", r.stone_count(), " ", v1::StoneOrigin_Name(r.origin()),
        " stones weighing ", r.carats_thousandths(), "; parcel '", lot->lot_id(), "' is ",
        lot->stones(), " ", v1::StoneOrigin_Name(lot->stone_origin()), " stones weighing ",
        lot->quantity()));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyIssued(const Env& env) {
  const v1::CertificateIssued& c = env.record().certificate_issued();
  RETURN_IF_ERROR(RequireRole(env, "issuing a certificate"));
  if (c.certificate_id().empty() || c.certificate_id().size() > 128) {
    return absl::InvalidArgumentError("certificate_id must be 1 to 128 bytes");
  }
  if (c.scheme().empty()) return absl::InvalidArgumentError("a certificate needs a scheme");
  if (c.valid_from_micros() <= 0) {
    return absl::InvalidArgumentError("a certificate needs valid_from_micros");
  }
  if (c.valid_until_micros() != 0 && c.valid_until_micros() < c.valid_from_micros()) {
    return absl::InvalidArgumentError("valid_until_micros is before valid_from_micros");
  }
  if (!c.document_sha256().empty() && c.document_sha256().size() != 32) {
    return absl::InvalidArgumentError("document_sha256 must be 32 bytes");
  }
  if (env.trade()) RETURN_IF_ERROR(CheckIssuer(env, c));
  const std::string key = CertificateKey(c.certificate_id());
  ASSIGN_OR_RETURN(std::optional<v1::CertificateState> existing,
                   env.state.Get<v1::CertificateState>(key));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("certificate '", c.certificate_id(), "' already exists"));
  }
  v1::CertificateState s;
  s.set_certificate_id(c.certificate_id());
  s.set_issuer(env.record().signer());
  s.set_scheme(c.scheme());
  s.set_valid_from_micros(c.valid_from_micros());
  s.set_valid_until_micros(c.valid_until_micros());
  s.set_issued_index(env.index());
  s.set_issued_micros(env.t());
  s.add_history(env.index());

  std::optional<v1::LotState> lot;
  switch (c.subject_case()) {
    case v1::CertificateIssued::kSubjectParticipant: {
      ASSIGN_OR_RETURN(auto p, env.state.Participant(c.subject_participant()));
      RETURN_IF_ERROR(RequireNotBefore(env, p->registered_micros(),
                                       "the registration of the certified participant"));
      s.set_subject_participant(c.subject_participant());
      break;
    }
    case v1::CertificateIssued::kSubjectLot: {
      ASSIGN_OR_RETURN(lot, GetLot(env, c.subject_lot()));
      RETURN_IF_ERROR(RequireNotBefore(env, lot->created_micros(), "the certified lot's creation"));
      s.set_subject_lot(c.subject_lot());
      break;
    }
    case v1::CertificateIssued::kSubjectFacility:
      if (c.subject_facility().empty()) return absl::InvalidArgumentError("empty facility");
      s.set_subject_facility(c.subject_facility());
      break;
    case v1::CertificateIssued::SUBJECT_NOT_SET:
      return absl::InvalidArgumentError("a certificate needs a subject");
  }

  if (c.has_grading_report()) {
    const v1::GradingReport& g = c.grading_report();
    if (!lot || lot->unit() != v1::UNIT_CARAT_THOUSANDTH) {
      return absl::InvalidArgumentError("a grading report's subject must be a stone lot (carats)");
    }
    if (g.report_number().empty()) return absl::InvalidArgumentError("report_number is required");
    if (g.origin() == v1::STONE_ORIGIN_UNSPECIFIED) {
      return absl::InvalidArgumentError("a grading report must say natural or lab-grown");
    }
    if (g.origin() == v1::STONE_ORIGIN_LAB_GROWN &&
        g.growth_method() == v1::GROWTH_METHOD_UNSPECIFIED) {
      return absl::InvalidArgumentError("a lab-grown stone's report needs its growth method");
    }
    // The ledger knows where the stone came from; the report cannot say otherwise.
    const v1::StoneOrigin known =
        lot->origin_class() == v1::ORIGIN_CLASS_LAB_GROWN ? v1::STONE_ORIGIN_LAB_GROWN
        : lot->origin_class() == v1::ORIGIN_CLASS_MINED   ? v1::STONE_ORIGIN_NATURAL
                                                          : v1::STONE_ORIGIN_UNSPECIFIED;
    if (g.origin() != known) {
      return absl::FailedPreconditionError(absl::StrCat(
          "origin rule: lot '", lot->lot_id(), "' is ", v1::OriginClass_Name(lot->origin_class()),
          " in the ledger; a grading report cannot call it ", v1::StoneOrigin_Name(g.origin())));
    }
    if (g.carats_thousandths() != lot->quantity()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the report's weight ", g.carats_thousandths(), " differs from lot '",
                       lot->lot_id(), "' (", lot->quantity(), " thousandths of a carat)"));
    }
    // A report number or inscription identifies one stone, never two: in the
    // whole log under the legacy rules, per laboratory (scheme) under the trade rules.
    const std::string scheme = env.trade() ? c.scheme() : "";
    const std::string prefix = env.trade() ? scheme + "/" : "";
    std::vector<std::pair<std::string, const char*>> ids = {
        {env.trade() ? ReportNumberKey(scheme, g.report_number())
                     : ReportNumberKey(g.report_number()),
         "report number"}};
    if (!g.inscription().empty()) {
      ids.push_back(
          {env.trade() ? InscriptionKey(scheme, g.inscription()) : InscriptionKey(g.inscription()),
           "inscription"});
    }
    RETURN_IF_ERROR(BindIdentities(env, ids, lot->lot_id(), c.certificate_id(), prefix));
    s.set_stone_origin(g.origin());
    s.set_report_number(g.report_number());
    s.set_inscription(g.inscription());
    lot->set_grading_report_id(c.certificate_id());
    lot->set_stone_origin(g.origin());
  } else if (c.has_parcel_report()) {
    const v1::ParcelReport& r = c.parcel_report();
    RETURN_IF_ERROR(CheckParcelReport(r, lot));
    const std::string prefix = c.scheme() + "/";
    RETURN_IF_ERROR(
        BindIdentities(env, {{ReportNumberKey(c.scheme(), r.report_number()), "report number"}},
                       lot->lot_id(), c.certificate_id(), prefix));
    s.set_stone_origin(r.origin());
    s.set_report_number(r.report_number());
  } else if (c.has_kimberley_process()) {
    if (c.kimberley_process().certificate_number().empty()) {
      return absl::InvalidArgumentError("a Kimberley Process certificate needs its number");
    }
  }
  if (lot) {
    lot->add_history(env.index());
    env.state.Put(LotKey(lot->lot_id()), *lot);
  }
  env.state.Put(key, s);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyStatusChanged(const Env& env) {
  const v1::CertificateStatusChanged& c = env.record().certificate_status_changed();
  RETURN_IF_ERROR(RequireRole(env, "changing a certificate's status"));
  ASSIGN_OR_RETURN(v1::CertificateState s, GetCertificate(env, c.certificate_id()));
  if (s.issuer() != env.record().signer()) {
    return absl::PermissionDeniedError(absl::StrCat("only the issuer '", s.issuer(),
                                                    "' may change the status of certificate '",
                                                    c.certificate_id(), "'"));
  }
  if (c.status() == v1::CERTIFICATE_STATUS_UNSPECIFIED ||
      !v1::CertificateStatus_IsValid(c.status())) {
    return absl::InvalidArgumentError("status must be suspended, revoked or reinstated");
  }
  if (c.effective_micros() <= 0) return absl::InvalidArgumentError("effective_micros is required");
  // History is not rewritten: records that relied on the certificate before this
  // change was recorded stay valid.
  if (c.effective_micros() < env.t()) {
    return absl::FailedPreconditionError(
        "certificate rule: a status change cannot take effect before its own event time");
  }
  RETURN_IF_ERROR(RequireNotBefore(env, s.issued_micros(), "the certificate's issuance"));
  if (!s.changes().empty()) {
    const auto& last = *s.changes().rbegin();
    if (last.status() == v1::CERTIFICATE_STATUS_REVOKED) {
      return absl::FailedPreconditionError(
          absl::StrCat("certificate '", c.certificate_id(), "' is revoked for good"));
    }
    if (c.effective_micros() < last.effective_micros()) {
      return absl::FailedPreconditionError(
          "a status change cannot take effect before the last one");
    }
  }
  auto* e = s.add_changes();
  e->set_status(c.status());
  e->set_effective_micros(c.effective_micros());
  e->set_index(env.index());
  e->set_reason(c.reason());
  s.add_history(env.index());
  env.state.Put(CertificateKey(c.certificate_id()), s);
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::StatusOr<v1::CertificateState> GetCertificate(const Env& env,
                                                                  const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<v1::CertificateState> c,
                   env.state.Get<v1::CertificateState>(CertificateKey(id)));
  if (!c) return absl::NotFoundError(absl::StrCat("reference rule: no certificate '", id, "'"));
  return std::move(*c);
}

}  // namespace touchstone::rules

namespace touchstone::rules {

[[nodiscard]] absl::Status CertificateValidAt(const v1::CertificateState& cert, int64_t t) {
  if (t < cert.valid_from_micros()) {
    return absl::FailedPreconditionError(absl::StrCat("certificate rule: certificate '",
                                                      cert.certificate_id(), "' is valid from ",
                                                      Time(cert.valid_from_micros())));
  }
  if (cert.valid_until_micros() != 0 && t > cert.valid_until_micros()) {
    return absl::FailedPreconditionError(absl::StrCat("certificate rule: certificate '",
                                                      cert.certificate_id(), "' expired at ",
                                                      Time(cert.valid_until_micros())));
  }
  v1::CertificateStatus status = v1::CERTIFICATE_STATUS_UNSPECIFIED;
  int64_t since = 0;
  for (const auto& c : cert.changes()) {
    if (c.effective_micros() > t) break;
    status = c.status();
    since = c.effective_micros();
  }
  if (status == v1::CERTIFICATE_STATUS_SUSPENDED || status == v1::CERTIFICATE_STATUS_REVOKED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate rule: certificate '", cert.certificate_id(), "' was ",
        status == v1::CERTIFICATE_STATUS_REVOKED ? "revoked" : "suspended", " at ", Time(since)));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CertificateInForce(const Env& env, const v1::CertificateState& cert) {
  RETURN_IF_ERROR(CertificateValidAt(cert, env.t()));
  const int64_t now = env.ctx.now_micros;
  // Under a log policy a record relies only on certificates in force when it is
  // recorded too, so backdating within the bound cannot reach back to a window
  // that has closed (ledger/provenance/log_policy.h); an allowed import of history is exempt.
  if (CertificatesCheckedWhenRecorded(env.record(), env.policy())) {
    absl::Status recorded = CertificateValidAt(cert, now);
    if (recorded.ok()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        recorded.message(), ", and the log records this record at ", Time(now),
        ": a certificate a record relies on must be in force then too (only an import of "
        "history, while the log's policy allows imports, is exempt)"));
  }
  // A record cannot rely on a certificate already suspended or revoked in the log
  // by backdating its event time.
  const std::string status = CertificateStatusAt(cert, now);
  if (status == "suspended" || status == "revoked") {
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate rule: certificate '", cert.certificate_id(), "' is ", status, " now"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status RequireValidCertificates(
    const Env& env, const google::protobuf::RepeatedPtrField<std::string>& ids,
    const CertificateSubjects& subjects) {
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(v1::CertificateState c, GetCertificate(env, id));
    RETURN_IF_ERROR(RequireNotBefore(env, c.issued_micros(),
                                     absl::StrCat("the issuance of certificate '", id, "'")));
    const bool about_signer = c.subject_participant() == env.record().signer();
    const bool about_facility =
        !c.subject_facility().empty() && c.subject_facility() == subjects.facility;
    const bool about_lot = !c.subject_lot().empty() && subjects.lots.count(c.subject_lot()) > 0;
    if (!about_signer && !about_facility && !about_lot) {
      return absl::PermissionDeniedError(absl::StrCat(
          "certificate rule: certificate '", id, "' is about ",
          !c.subject_participant().empty()
              ? absl::StrCat("participant '", c.subject_participant(), "'")
          : !c.subject_lot().empty() ? absl::StrCat("lot '", c.subject_lot(), "'")
                                     : absl::StrCat("facility '", c.subject_facility(), "'"),
          ", not the signer, its facility or the lots of this record"));
    }
    RETURN_IF_ERROR(CertificateInForce(env, c));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status NoteReliance(
    const Env& env, const google::protobuf::RepeatedPtrField<std::string>& ids) {
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(v1::CertificateState c, GetCertificate(env, id));
    if (!c.relied_by().empty() && c.relied_by(c.relied_by_size() - 1) == env.index()) continue;
    c.add_relied_by(env.index());
    env.state.Put(CertificateKey(id), c);
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyCertificateRecord(const Env& env) {
  if (env.record().has_certificate_issued()) return ApplyIssued(env);
  return ApplyStatusChanged(env);
}

}  // namespace touchstone::rules
