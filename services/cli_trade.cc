// touchstone scheme register, lot create|show|transform|ship|receive, piece
// register: the trade's records from the command line, in the trade's units
// (cli_trade_flags.h), each signed and submitted through SignAndSubmit
// (cli_sign.h). What a record must state that follows from the ledger's state
// (a parcel draw's remainder, the System of Warranties statement on a natural
// diamond's shipment) is read back with the lookup RPCs and filled in.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/gs1.h"
#include "services/cli.h"
#include "services/cli_heirloom.h"
#include "services/cli_sign.h"
#include "services/cli_trade_flags.h"
#include "services/cli_trade_records.h"
#include "services/cli_trade_state.h"

namespace touchstone::cli {
namespace {

// Runs `build` and submits what it returns; sets *exit_code on any error.
template <typename Build>
void Submit(const Context& ctx, const Signer& signer, int* exit_code, Build build) {
  absl::StatusOr<v1::Record> r = build();
  absl::Status s = r.ok() ? SignAndSubmit(ctx, signer, *std::move(r)) : r.status();
  if (!s.ok()) *exit_code = Fail(s);
}

struct SchemeFlags {
  Signer signer;
  std::string scheme, issuer, kind, display_name;
};

struct TransformFlags {
  Signer signer;
  std::string id, process, material, location, note;
  std::vector<std::string> inputs, outputs, certificates, heirloom_fine;
  int64_t loss = 0;
};

// The server's lots, as the one-record commands read them.
LotLookup ServerLots(const Context& ctx) {
  return [&ctx](const std::string& id) { return FetchLot(ctx, id); };
}

// LOT:QUANTITY[:STONES]: a lot and how much of it; with STONES, a parcel draw
// whose remainder is read from the parcel's state.
[[nodiscard]] absl::StatusOr<v1::LotQuantity> ParseInput(const Context& ctx,
                                                         const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--in '", text, "': expected LOT:QUANTITY (\"grain-1:100 g\") or LOT:QUANTITY:STONES"));
  }
  v1::LotQuantity in;
  in.set_lot_id(parts[0]);
  ASSIGN_OR_RETURN(Quantity q, ParseQuantity("--in quantity", parts[1]));
  in.set_quantity(q.value);
  if (parts.size() == 3) {
    int64_t stones = 0;
    if (!absl::SimpleAtoi(parts[2], &stones) || stones <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--in '", text, "': STONES must be a count of at least 1"));
    }
    in.set_stones(stones);
    ASSIGN_OR_RETURN(v1::LotState parcel, FetchLot(ctx, in.lot_id()));
    RETURN_IF_ERROR(StateRemainder(parcel, in));
  }
  return in;
}

// LOT:FORM:QUANTITY:FINENESS[:STONES[:SIZE_CLASS]].
[[nodiscard]] absl::StatusOr<v1::OutputLot> ParseOutput(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 5));
  if (parts.size() < 4 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out '", text,
                     "': expected LOT:FORM:QUANTITY:FINENESS[:STONES[:SIZE_CLASS]] "
                     "(\"grain-2:grain:162.5 g:999.9\", \"melee-24:melee:0.240 ct:1000:24\")"));
  }
  v1::OutputLot out;
  out.set_lot_id(parts[0]);
  out.set_form(parts[1]);
  ASSIGN_OR_RETURN(Quantity q, ParseQuantity("--out quantity", parts[2]));
  out.set_quantity(q.value);
  ASSIGN_OR_RETURN(int32_t ptt, ParseFineness("--out fineness", parts[3]));
  out.set_fineness_ptt(ptt);
  if (parts.size() >= 5) {
    int64_t stones = 0;
    if (!absl::SimpleAtoi(parts[4], &stones) || stones <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--out '", text, "': STONES must be a count of at least 1"));
    }
    out.set_stones(stones);
  }
  if (parts.size() == 6) out.set_size_class(parts[5]);
  return out;
}

[[nodiscard]] absl::StatusOr<v1::Record> TransformRecord(const Context& ctx,
                                                         const TransformFlags& f) {
  v1::Record r;
  v1::Transformation* t = r.mutable_transformation();
  t->set_transformation_id(f.id);
  ASSIGN_OR_RETURN(int process,
                   ParseEnumWord("--process", v1::Process_descriptor(), "PROCESS_", f.process));
  t->set_process(static_cast<v1::Process>(process));
  t->set_material(f.material);
  for (const std::string& in : f.inputs) {
    ASSIGN_OR_RETURN(*t->add_inputs(), ParseInput(ctx, in));
  }
  for (const std::string& out : f.outputs) {
    ASSIGN_OR_RETURN(*t->add_outputs(), ParseOutput(out));
  }
  if (f.loss < 0) return absl::InvalidArgumentError("--loss must not be negative");
  t->set_declared_loss_fine_ptt(f.loss);
  t->set_location(f.location);
  for (const std::string& c : f.certificates) t->add_certificate_ids(c);
  t->set_note(f.note);
  RETURN_IF_ERROR(FillHeirloomFine(ctx, *t, f.heirloom_fine));
  return r;
}

}  // namespace

void AddTradeCommands(CLI::App& app, Context& ctx, int* exit_code) {
  // touchstone scheme register
  auto* scheme = app.add_subcommand("scheme", "registered schemes and laboratories");
  scheme->require_subcommand(1);
  auto* sreg = scheme->add_subcommand(
      "register", "pin which certifier signs for a scheme name (operator only)");
  auto sf = std::make_shared<SchemeFlags>();
  AddSignerOptions(sreg, sf->signer);
  sreg->add_option("--scheme", sf->scheme, "the name certificates use: rjc-coc, igi, kp-bw")
      ->required();
  sreg->add_option("--issuer", sf->issuer, "the certifier participant that signs for it")
      ->required();
  sreg->add_option("--kind", sf->kind,
                   "chain-of-custody, recycled-content, responsible-sourcing, "
                   "grading-laboratory, kimberley-process")
      ->required();
  sreg->add_option("--name", sf->display_name, "its full name");
  sreg->callback([&ctx, exit_code, sf] {
    Submit(ctx, sf->signer, exit_code, [&]() -> absl::StatusOr<v1::Record> {
      v1::Record r;
      v1::SchemeRegistered* s = r.mutable_scheme_registered();
      s->set_scheme(sf->scheme);
      s->set_issuer(sf->issuer);
      ASSIGN_OR_RETURN(
          int kind, ParseEnumWord("--kind", v1::SchemeKind_descriptor(), "SCHEME_KIND_", sf->kind));
      s->set_kind(static_cast<v1::SchemeKind>(kind));
      s->set_display_name(sf->display_name);
      return r;
    });
  });

  auto* lot = app.add_subcommand("lot", "lots: create, show, transform, ship, receive");
  lot->require_subcommand(1);

  // touchstone lot create
  auto* create = lot->add_subcommand("create", "a lot enters the ledger (its producer signs)");
  auto lf = std::make_shared<LotFlags>();
  AddSignerOptions(create, lf->signer);
  AddSealOption(create, lf->signer);
  create->add_option("--id", lf->id, "the new lot's id")->required();
  create->add_option("--material", lf->material, "gold, silver, platinum, diamond, ruby, ...")
      ->required();
  create->add_option("--form", lf->form, "scrap, grain, bar, rough, polished, melee, ...")
      ->required();
  create
      ->add_option("--origin", lf->origin,
                   "mined, recycled-pre-consumer, recycled-post-consumer, lab-grown")
      ->required();
  create->add_option("--quantity", lf->quantity, "with its unit: \"150 g\", \"3.420 ct\"")
      ->required();
  create->add_option("--fineness", lf->fineness,
                     "parts per thousand, one decimal: 999.9, 750 (stones: 1000, the default)");
  create->add_option("--facility", lf->facility, "where it was made")->required();
  create->add_option("--cert", lf->certificates, "a certificate it cites (repeat)");
  create->add_option("--note", lf->note, "a note");
  create->add_option("--parcel-stones", lf->parcel_stones, "a parcel: how many stones");
  create->add_option("--size-class", lf->size_class, "a parcel's sieve class or size range");
  create->add_option("--min-stone", lf->min_stone, "a parcel's smallest stone, carats");
  create->add_option("--max-stone", lf->max_stone, "a parcel's largest stone, carats");
  create->add_option("--species", lf->species,
                     "a coloured gemstone's species: \"corundum (ruby)\"");
  create->add_option("--treatment", lf->treatment, "a coloured gemstone's treatment: none, heated");
  create->add_option("--country", lf->country,
                     "a coloured gemstone's country of origin (ISO 3166)");
  create->callback([&ctx, exit_code, lf] {
    Submit(ctx, lf->signer, exit_code, [&] { return LotRecord(*lf); });
  });

  // touchstone lot show
  auto* show = lot->add_subcommand("show", "a lot now, in the trade's units");
  auto show_id = std::make_shared<std::string>();
  show->add_option("id", *show_id, "the lot's id")->required();
  show->callback([&ctx, exit_code, show_id] {
    absl::StatusOr<v1::LotState> found = FetchLot(ctx, *show_id);
    if (!found.ok()) {
      *exit_code = Fail(found.status());
      return;
    }
    std::cout << LotText(*found);
  });

  // touchstone lot transform
  auto* transform =
      lot->add_subcommand("transform", "inputs become outputs (refine, alloy, cast, split, ...)");
  auto tf = std::make_shared<TransformFlags>();
  AddSignerOptions(transform, tf->signer);
  AddSealOption(transform, tf->signer);
  transform->add_option("--id", tf->id, "the transformation's id")->required();
  transform
      ->add_option("--process", tf->process, "refine, alloy, cast, cut-and-polish, split, merge")
      ->required();
  transform->add_option("--material", tf->material, "the material whose fine weight is conserved")
      ->required();
  transform
      ->add_option("--in", tf->inputs,
                   "LOT:QUANTITY, or LOT:QUANTITY:STONES to draw stones from a parcel (the "
                   "remainder is read from the parcel's state) (repeat)")
      ->required();
  transform
      ->add_option("--out", tf->outputs,
                   "LOT:FORM:QUANTITY:FINENESS[:STONES[:SIZE_CLASS]] (repeat)")
      ->required();
  transform->add_option("--loss", tf->loss,
                        "declared loss in fine units of ten-thousandths: mg x fineness in parts "
                        "per ten thousand (stones: thousandths of a carat x 10000)");
  transform->add_option("--heirloom-fine", tf->heirloom_fine,
                        "the owner's material each output carries (docs/heirlooms.md): auto "
                        "(computed from the inputs and the loss), or LOT=FINE in fine units "
                        "(mg x ptt) (repeat)");
  transform->add_option("--location", tf->location, "the site")->required();
  transform->add_option("--cert", tf->certificates, "a certificate it cites (repeat)");
  transform->add_option("--note", tf->note, "a note");
  transform->callback([&ctx, exit_code, tf] {
    Submit(ctx, tf->signer, exit_code, [&] { return TransformRecord(ctx, *tf); });
  });

  // touchstone lot ship / receive
  auto* ship = lot->add_subcommand("ship", "ship a lot to another participant");
  auto shf = std::make_shared<ShipFlags>();
  AddSignerOptions(ship, shf->signer);
  AddSealOption(ship, shf->signer);
  ship->add_option("--shipment", shf->shipment, "the shipment's id")->required();
  ship->add_option("--lot", shf->lot, "the lot")->required();
  ship->add_option("--to", shf->to, "the receiving participant")->required();
  ship->add_option("--invoice", shf->invoice, "the invoice file; only its SHA-256 is recorded");
  ship->callback([&ctx, exit_code, shf] {
    Submit(ctx, shf->signer, exit_code, [&]() -> absl::StatusOr<v1::Record> {
      ASSIGN_OR_RETURN(v1::Record r, ShipRecord(ServerLots(ctx), *shf));
      if (!r.custody_shipped().warranty_statement().empty()) {
        std::cerr << "touchstone: natural diamonds: the System of Warranties statement is added "
                     "to the shipment and signed with it\n";
      }
      return r;
    });
  });
  auto* receive = lot->add_subcommand("receive", "receive a shipment (the receiver signs)");
  auto rf = std::make_shared<ShipFlags>();
  AddSignerOptions(receive, rf->signer);
  receive->add_option("--shipment", rf->shipment, "the shipment's id")->required();
  receive->add_option("--lot", rf->lot, "the lot")->required();
  receive->callback([&ctx, exit_code, rf] {
    Submit(ctx, rf->signer, exit_code, [&] { return ReceiveRecord(*rf); });
  });

  // touchstone piece register (AddPieceCommands added `piece`).
  CLI::App* piece = app.get_subcommand("piece");
  auto* preg = piece->add_subcommand("register", "register a finished piece (its jeweler signs)");
  auto pf = std::make_shared<PieceFlags>();
  AddSignerOptions(preg, pf->signer);
  AddSealOption(preg, pf->signer);
  preg->add_option("--id", pf->id, "the piece's id")->required();
  preg->add_option("--description", pf->description,
                   "what it is; a lab-grown stone needs its qualifier (\"laboratory-grown\")")
      ->required();
  preg->add_option("--hallmark", pf->hallmark, "750, 999.9, 18K: checked against its metal");
  preg->add_option("--stone", pf->stones, "a graded stone's lot (repeat)");
  preg->add_option("--metal", pf->metal,
                   "LOT:QUANTITY of metal taken, \"cast-1:3.850 g\" (repeat)");
  preg->add_option("--parcel", pf->parcels, "a parcel lot whose stones it takes, all of them");
  preg->add_option("--claim", pf->claims,
                   "MATERIAL:ATTRIBUTE:MODEL:PERCENT[:SCHEME], e.g. gold:recycled:segregated:100"
                   ", or gold:recycled:mass-balance:62:ACCOUNT[:SCHEME] (repeat)");
  preg->add_option("--heirloom-claim", pf->heirloom_claim,
                   "auto: claim the owner's material its inputs carry (\"made from the owner's "
                   "gold: X g of its Y g fine gold\"), computed from the lots' states");
  preg->add_option("--gtin", pf->gtin,
                   "the piece's GTIN (8, 12, 13 or 14 digits; recorded as GTIN-14), with --serial: "
                   "its QR code then carries the GS1 Digital Link URI");
  preg->add_option("--serial", pf->serial, "the piece's serial (GS1 AI 21: 1 to 20 characters)");
  preg->add_flag("--disclose-inputs", pf->disclose_inputs,
                 "with --seal: the piece's bundle carries this record's opening, so its customers "
                 "read how much metal it took from each lot (upstream records stay sealed)");
  preg->callback([&ctx, exit_code, pf] {
    Submit(ctx, pf->signer, exit_code, [&]() -> absl::StatusOr<v1::Record> {
      ASSIGN_OR_RETURN(v1::Record r, PieceRecord(ServerLots(ctx), *pf));
      v1::PieceRegistered* p = r.mutable_piece_registered();
      if (pf->heirloom_claim == "auto") {
        ASSIGN_OR_RETURN(*p->mutable_heirloom(), ComputeClaimOf(ctx, *p));
        std::cerr << "touchstone: heirloom claim: " << HeirloomClaimText(p->heirloom()) << "\n";
      } else if (!pf->heirloom_claim.empty()) {
        return absl::InvalidArgumentError(
            "--heirloom-claim auto is the only form: the claim is what the lineage gives");
      }
      return r;
    });
  });
}

}  // namespace touchstone::cli
