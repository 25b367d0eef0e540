// `touchstone piece qr`: a QR code of a piece's page URL, or of its GS1 Digital
// Link URI when it has a GTIN and serial, as an SVG or PNG file (e.g. for a tag
// or a certificate card). Offline: it only encodes the URL.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/provenance/gs1.h"
#include "services/cli.h"
#include "services/qr_code.h"

namespace touchstone::cli {
namespace {

struct QrFlags {
  std::string piece_id;
  std::string base_url;
  std::string out;
  std::string gtin, serial;  // the piece's, as registered: the QR code carries its Digital Link
};

[[nodiscard]] absl::Status WriteQr(const QrFlags& f) {
  if (!(f.base_url.starts_with("http://") || f.base_url.starts_with("https://"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--base_url must start with http:// or https://, not '", f.base_url, "'"));
  }
  std::string base = f.base_url;
  while (base.ends_with("/")) base.pop_back();
  const bool png = f.out.ends_with(".png");
  if (!png && !f.out.ends_with(".svg")) {
    return absl::InvalidArgumentError(
        absl::StrCat("-o must name a .svg or .png file, not '", f.out, "'"));
  }
  std::string gtin14;
  if (!f.gtin.empty() || !f.serial.empty()) {
    if (f.gtin.empty() || f.serial.empty()) {
      return absl::InvalidArgumentError("--gtin and --serial go together");
    }
    absl::StatusOr<std::string> g = Gtin14(f.gtin);
    if (!g.ok()) return g.status();
    if (absl::Status s = CheckGs1Serial(f.serial); !s.ok()) return s;
    gtin14 = *g;
  }
  const std::string url = PieceQrUrl(base, f.piece_id, gtin14, f.serial);
  absl::StatusOr<QrCode> qr = EncodeQr(url);
  if (!qr.ok()) return qr.status();
  absl::Status s =
      WriteFile(f.out, png ? QrToPng(*qr) : QrToSvg(*qr, absl::StrCat("QR code: ", url)));
  if (!s.ok()) return s;
  std::cout << "wrote " << f.out << ": QR code of " << url << " (" << qr->size << "x" << qr->size
            << " modules)" << std::endl;
  return absl::OkStatus();
}

}  // namespace

void AddPieceQrCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<QrFlags>();
  CLI::App* piece = app.get_subcommand("piece");
  auto* qr = piece->add_subcommand("qr", "write a QR code of a piece's page URL (offline)");
  qr->add_option("piece_id", flags->piece_id, "the piece")->required();
  qr->add_option("--base_url", flags->base_url,
                 "where touchstoned's pages are reached (its --http_public_url), e.g. "
                 "https://touchstone.example")
      ->required();
  qr->add_option("--gtin", flags->gtin,
                 "the piece's GTIN, with --serial: the code carries the GS1 Digital Link URI "
                 "BASE_URL/01/<gtin>/21/<serial>, which touchstoned resolves to the page");
  qr->add_option("--serial", flags->serial, "the piece's serial (with --gtin)");
  qr->add_option("-o,--out", flags->out, "output file, FILE.svg or FILE.png (never overwritten)")
      ->required();
  qr->callback([exit_code, flags] {
    if (absl::Status s = WriteQr(*flags); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
