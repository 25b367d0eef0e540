// What the trade commands read back before they sign (see cli_trade_state.h).
#include "services/cli_trade_state.h"

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/units.h"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli_trade_flags.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

std::string Date(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<v1::LotState> FetchLot(const Context& ctx, const std::string& id) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(id);
  v1::LotState lot;
  RETURN_IF_ERROR(FromGrpc(stub->GetLot(ctx.Call().get(), req, &lot)));
  return lot;
}

absl::StatusOr<v1::CreditAccountState> FetchAccount(const Context& ctx, const std::string& id) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(id);
  v1::CreditAccountState account;
  RETURN_IF_ERROR(FromGrpc(stub->GetCreditAccount(ctx.Call().get(), req, &account)));
  return account;
}

absl::StatusOr<v1::SchemeState> FetchScheme(const Context& ctx, const std::string& name) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(name);
  v1::SchemeState scheme;
  RETURN_IF_ERROR(FromGrpc(stub->GetScheme(ctx.Call().get(), req, &scheme)));
  return scheme;
}

absl::Status SealedStateError(const std::string& subject, const std::string& values,
                              const std::string& field) {
  return absl::FailedPreconditionError(
      absl::StrCat(subject, " is sealed: its ", values, " committed and not read back here; state ",
                   field, " with the record itself (touchstone submit)"));
}

absl::Status StateRemainder(const v1::LotState& parcel, v1::LotQuantity& draw) {
  if (parcel.stones() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lot '", parcel.lot_id(), "' is not a parcel: take stones only from a parcel"));
  }
  if (parcel.sealed()) {
    return SealedStateError(absl::StrCat("parcel '", parcel.lot_id(), "'"), "balance is",
                            "the remainder");
  }
  if (draw.stones() > parcel.stones_balance() || draw.quantity() > parcel.balance()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parcel '", parcel.lot_id(), "' holds ", parcel.stones_balance(), " stones, ",
                     CaratText(parcel.balance()), "; the draw takes ", draw.stones(), " stones, ",
                     CaratText(draw.quantity())));
  }
  draw.set_stones_left(parcel.stones_balance() - draw.stones());
  draw.set_quantity_left(parcel.balance() - draw.quantity());
  return absl::OkStatus();
}

std::string FineText(int64_t fine) { return FineMassText(fine) + " fine"; }

absl::StatusOr<v1::Record> NextCreditRecord(const v1::CreditAccountState& account,
                                            const v1::LotState& lot, bool allocation,
                                            uint32_t share_bp) {
  if (account.sealed() || lot.sealed()) {
    return SealedStateError(account.sealed() ? absl::StrCat("account '", account.account_id(), "'")
                                             : absl::StrCat("lot '", lot.lot_id(), "'"),
                            "balance is", "the booking");
  }
  const int64_t ptt = lot.fineness_ptt() != 0 ? lot.fineness_ptt() : lot.fineness_ppt() * 10;
  int64_t fine = lot.balance() * ptt;
  if (allocation) {
    const absl::int128 lot_fine = absl::int128(lot.quantity()) * ptt;
    fine = static_cast<int64_t>((lot_fine * share_bp + (kFullShareBp - 1)) / kFullShareBp);
  }
  const uint64_t seq = account.seq() + 1;
  const int64_t after = allocation ? account.balance() - fine : account.balance() + fine;
  if (allocation && after < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("account '", account.account_id(), "' holds ", FineText(account.balance()),
                     " of credit; allocating ", FineText(fine), " to lot '", lot.lot_id(),
                     "' would overdraw it"));
  }
  v1::Record r;
  const auto fill = [&](auto* c) {
    c->set_account_id(account.account_id());
    c->set_lot_id(lot.lot_id());
    c->set_fine(fine);
    c->set_seq(seq);
    c->set_balance_after(after);
  };
  if (allocation) {
    fill(r.mutable_credit_allocated());
  } else {
    fill(r.mutable_credit_booked());
  }
  return r;
}

std::string LotText(const v1::LotState& lot) {
  const bool stone = lot.unit() == v1::UNIT_CARAT_THOUSANDTH;
  const int32_t ptt = lot.fineness_ptt() != 0 ? lot.fineness_ptt() : lot.fineness_ppt() * 10;
  std::string out = absl::StrCat(
      "lot ", lot.lot_id(), ": ", lot.material(), " ", lot.form(), ", ",
      EnumWord(v1::OriginClass_descriptor(), "ORIGIN_CLASS_", lot.origin_class()), "\n");
  if (lot.sealed()) {
    // Redacted (ledger/provenance/redaction.h): the quantities read back as 0.
    absl::StrAppend(&out,
                    "  quantities      committed (a sealed record made, drew or shipped it)\n");
  } else {
    absl::StrAppend(&out, "  made            ", QuantityText(lot.unit(), lot.quantity()), "\n",
                    "  left            ", QuantityText(lot.unit(), lot.balance()), "\n");
  }
  if (!stone) {
    absl::StrAppend(&out, "  fineness        ", MetalFinenessText(lot.material(), ptt), "\n");
  }
  if (lot.stones() > 0 && !lot.sealed()) {
    absl::StrAppend(&out, "  parcel          ", lot.stones_balance(), " of ", lot.stones(),
                    " stones left", lot.size_class().empty() ? "" : ", size " + lot.size_class(),
                    "\n");
  }
  for (const v1::AlloyPart& part : lot.alloy()) {
    absl::StrAppend(&out, "  alloyed with    ", part.material(), " ", FinenessText(part.ptt()),
                    " parts per thousand, ",
                    EnumWord(v1::OriginClass_descriptor(), "ORIGIN_CLASS_", part.origin_class()),
                    "\n");
  }
  absl::StrAppend(&out, "  custodian       ", lot.custodian(),
                  lot.in_transit_to().empty() ? "" : " (in transit to " + lot.in_transit_to() + ")",
                  "\n");
  if (!lot.site().empty()) absl::StrAppend(&out, "  made at         ", lot.site(), "\n");
  absl::StrAppend(&out, "  created         ", Date(lot.created_micros()), " (entry ",
                  lot.created_index(), ")\n");
  if (!lot.certificate_ids().empty()) {
    absl::StrAppend(&out, "  certificates    ", absl::StrJoin(lot.certificate_ids(), ", "), "\n");
  }
  if (!lot.grading_report_id().empty()) {
    absl::StrAppend(&out, "  grading report  ", lot.grading_report_id(), "\n");
  }
  if (lot.mb_share_bp() > 0) {
    absl::StrAppend(&out, "  mass balance    ", ShareText(lot.mb_share_bp()),
                    " of its fine weight carries credit from ",
                    absl::StrJoin(lot.mb_accounts(), ", "), "\n");
  }
  if (lot.credit_booked()) {
    absl::StrAppend(&out, "  credit booked   its recycled gold became mass-balance credit\n");
  }
  if (!lot.active_piece().empty()) {
    absl::StrAppend(&out, "  set in          ", lot.active_piece(), "\n");
  }
  return out;
}

}  // namespace touchstone::cli
