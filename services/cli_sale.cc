// touchstone piece sold|repair: the jeweler's lifecycle records of a piece.
// A sale names the buyer's owner key (an owner-key string the buyer hands
// over: `touchstone owner key show`, or the page): from then on the owner key
// acts for the piece (docs/owners.md) and the jeweler records only repairs,
// which the owner key may co-sign.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/owner_signature.h"
#include "services/cli.h"
#include "services/cli_owner.h"
#include "services/cli_sign.h"

namespace touchstone::cli {
namespace {

struct SaleFlags {
  Signer signer;
  std::string piece, buyer, note, owner_key, dir;
};

[[nodiscard]] absl::Status Sold(const Context& ctx, const SaleFlags& f) {
  ASSIGN_OR_RETURN(v1::OwnerKey buyer, ParseOwnerKeyString("--buyer-key", f.buyer));
  v1::Record r;
  v1::PieceLifecycle* l = r.mutable_piece_lifecycle();
  l->set_piece_id(f.piece);
  l->set_event(v1::PIECE_EVENT_SOLD);
  l->set_note(f.note);
  std::cerr << "touchstone: the sale names " << OwnerKeyLabel(buyer)
            << ": from now on that key acts for " << f.piece << "\n";
  *l->mutable_buyer() = std::move(buyer);
  return SignAndSubmit(ctx, f.signer, std::move(r));
}

[[nodiscard]] absl::Status Repair(const Context& ctx, const SaleFlags& f) {
  std::optional<PrivateKey> owner;
  if (!f.owner_key.empty()) {
    ASSIGN_OR_RETURN(owner, LoadOwnerKey(f.dir, f.owner_key));
  }
  v1::Record r;
  v1::PieceLifecycle* l = r.mutable_piece_lifecycle();
  l->set_piece_id(f.piece);
  l->set_event(v1::PIECE_EVENT_REPAIRED);
  l->set_note(f.note);
  return SignAndSubmit(ctx, f.signer, std::move(r), owner ? &*owner : nullptr);
}

}  // namespace

void AddPieceSaleCommands(CLI::App& app, Context& ctx, int* exit_code) {
  CLI::App* piece = app.get_subcommand("piece");
  auto sf = std::make_shared<SaleFlags>();
  auto* sold = piece->add_subcommand(
      "sold", "the jeweler sells a piece to an owner key (the buyer's owner-key string)");
  AddSignerOptions(sold, sf->signer);
  AddSealOption(sold, sf->signer);
  sold->add_option("piece", sf->piece, "the piece")->required();
  sold->add_option("--buyer-key", sf->buyer,
                   "the buyer's owner-key string (`touchstone owner key show NAME`, or the page)")
      ->required();
  sold->add_option("--note", sf->note, "about the sale, never the buyer's name");
  sold->callback([&ctx, exit_code, sf] {
    if (absl::Status s = Sold(ctx, *sf); !s.ok()) *exit_code = Fail(s);
  });

  auto rf = std::make_shared<SaleFlags>();
  auto* repair = piece->add_subcommand(
      "repair", "the jeweler records a repair; the owner key may co-sign it (--owner-key)");
  AddSignerOptions(repair, rf->signer);
  AddSealOption(repair, rf->signer);
  repair->add_option("piece", rf->piece, "the piece")->required();
  repair->add_option("--note", rf->note, "what was done")->required();
  repair->add_option("--owner-key", rf->owner_key,
                     "the owner key's name, if the owner co-signs (on a piece sold to a key: its "
                     "current owner)");
  repair
      ->add_option("--owner_keys_dir", rf->dir,
                   "where owner keys are kept (default ~/.touchstone/owner-keys; env "
                   "TOUCHSTONE_OWNER_KEYS)")
      ->envname("TOUCHSTONE_OWNER_KEYS");
  repair->callback([&ctx, exit_code, rf] {
    if (absl::Status s = Repair(ctx, *rf); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
