// touchstone account open|book|allocate|show: mass-balance credit accounts
// (proto/record.proto CreditAccountOpened, CreditBooked, CreditAllocated;
// ledger/provenance/mass_balance.h). A booking and an allocation state the
// account's next seq and its balance after them: the CLI reads both from the
// account's state (Provenance.GetCreditAccount) and the fine weight from the
// lot's, so the user names only the account, the lot and the share.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "services/cli.h"
#include "services/cli_sign.h"
#include "services/cli_trade_flags.h"
#include "services/cli_trade_state.h"

namespace touchstone::cli {
namespace {

struct OpenFlags {
  Signer signer;
  std::string id, site, material, attribute = "recycled", from, until, certificate;
};

struct CreditFlags {
  Signer signer;
  std::string account, lot, share;
};

// "2026-10-01" (midnight UTC) or RFC 3339, as Unix microseconds.
[[nodiscard]] absl::StatusOr<int64_t> ParseDate(const std::string& flag, const std::string& text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err) ||
      absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::ToUnixMicros(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " '", text, "': expected a date (2026-10-01) or RFC 3339 time"));
}

std::string Date(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

[[nodiscard]] absl::StatusOr<v1::Record> OpenRecord(const OpenFlags& f) {
  v1::Record r;
  v1::CreditAccountOpened* a = r.mutable_credit_account_opened();
  a->set_account_id(f.id);
  a->set_site(f.site);
  a->set_material(f.material);
  ASSIGN_OR_RETURN(int attribute, ParseEnumWord("--attribute", v1::Attribute_descriptor(),
                                                "ATTRIBUTE_", f.attribute));
  a->set_attribute(static_cast<v1::Attribute>(attribute));
  ASSIGN_OR_RETURN(int64_t start, ParseDate("--from", f.from));
  ASSIGN_OR_RETURN(int64_t end, ParseDate("--until", f.until));
  a->set_period_start_micros(start);
  a->set_period_end_micros(end);
  a->set_certificate_id(f.certificate);
  return r;
}

// The account's next record about the lot (NextCreditRecord), said on stderr.
[[nodiscard]] absl::StatusOr<v1::Record> CreditRecord(const Context& ctx, const CreditFlags& f,
                                                      bool allocation) {
  ASSIGN_OR_RETURN(v1::CreditAccountState account, FetchAccount(ctx, f.account));
  ASSIGN_OR_RETURN(v1::LotState lot, FetchLot(ctx, f.lot));
  uint32_t bp = 0;
  if (allocation) {
    ASSIGN_OR_RETURN(bp, ParseSharePercent("--share", f.share));
  }
  ASSIGN_OR_RETURN(v1::Record r, NextCreditRecord(account, lot, allocation, bp));
  const bool booked = r.has_credit_booked();
  const int64_t fine = booked ? r.credit_booked().fine() : r.credit_allocated().fine();
  const int64_t after =
      booked ? r.credit_booked().balance_after() : r.credit_allocated().balance_after();
  std::cerr << "touchstone: account " << f.account << " record " << account.seq() + 1 << ": "
            << (booked ? "books " : "allocates ") << FineText(fine)
            << (booked ? " from lot " : " to lot ") << f.lot << "; balance after "
            << FineText(after) << "\n";
  return r;
}

std::string AccountText(const v1::CreditAccountState& a) {
  return absl::StrCat(
      "account ", a.account_id(), ": ", a.material(), ", ",
      EnumWord(v1::Attribute_descriptor(), "ATTRIBUTE_", a.attribute()), ", mass balance\n",
      "  owner           ", a.owner(), "\n", "  site            ", a.site(), "\n",
      "  period          ", Date(a.period_start_micros()), " to ", Date(a.period_end_micros()),
      " (end excluded)\n", "  certificate     ", a.certificate_id(),
      a.scheme().empty() ? "" : " (" + a.scheme() + ")", "\n", "  records         ", a.seq(), "\n",
      "  booked          ", FineText(a.booked()), "\n", "  allocated       ",
      FineText(a.allocated()), "\n", "  balance         ", FineText(a.balance()), "\n");
}

}  // namespace

void AddAccountCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* account = app.add_subcommand("account", "mass-balance credit accounts");
  account->require_subcommand(1);

  auto* open = account->add_subcommand(
      "open", "open a credit account for a site, material and period (refiner or manufacturer)");
  auto of = std::make_shared<OpenFlags>();
  AddSignerOptions(open, of->signer);
  open->add_option("--id", of->id, "the account's id")->required();
  open->add_option("--site", of->site, "the facility; credit goes only to lots made there")
      ->required();
  open->add_option("--material", of->material, "gold, silver, ...")->required();
  open->add_option("--attribute", of->attribute, "recycled (the only one supported)");
  open->add_option("--from", of->from, "first day of the period (2026-10-01)")->required();
  open->add_option("--until", of->until, "end of the period, excluded (2027-01-01)")->required();
  open->add_option("--cert", of->certificate,
                   "the site's chain-of-custody certificate (a registered scheme of that kind)")
      ->required();
  open->callback([&ctx, exit_code, of] {
    absl::StatusOr<v1::Record> r = OpenRecord(*of);
    absl::Status s = r.ok() ? SignAndSubmit(ctx, of->signer, *std::move(r)) : r.status();
    if (!s.ok()) *exit_code = Fail(s);
  });

  const auto credit = [&](const char* name, const char* what, bool allocation) {
    auto* cmd = account->add_subcommand(name, what);
    auto cf = std::make_shared<CreditFlags>();
    AddSignerOptions(cmd, cf->signer);
    AddSealOption(cmd, cf->signer);
    cmd->add_option("--account", cf->account, "the account")->required();
    cmd->add_option("--lot", cf->lot, "the lot")->required();
    if (allocation) {
      cmd->add_option("--share", cf->share, "percent of the lot's fine weight: 62")->required();
    }
    cmd->callback([&ctx, exit_code, cf, allocation] {
      absl::StatusOr<v1::Record> r = CreditRecord(ctx, *cf, allocation);
      absl::Status s = r.ok() ? SignAndSubmit(ctx, cf->signer, *std::move(r)) : r.status();
      if (!s.ok()) *exit_code = Fail(s);
    });
  };
  credit("book",
         "book a certified recycled lot's whole remaining fine weight as credit (seq and "
         "balance from the account's state)",
         false);
  credit("allocate", "allocate credit to a lot made at the account's site in its period", true);

  auto* show = account->add_subcommand("show", "an account now: period, seq, balance");
  auto id = std::make_shared<std::string>();
  show->add_option("id", *id, "the account's id")->required();
  show->callback([&ctx, exit_code, id] {
    absl::StatusOr<v1::CreditAccountState> a = FetchAccount(ctx, *id);
    if (!a.ok()) {
      *exit_code = Fail(a.status());
      return;
    }
    std::cout << AccountText(*a);
  });
}

}  // namespace touchstone::cli
