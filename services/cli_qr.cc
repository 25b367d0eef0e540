// `touchstone piece qr`: a QR code of a piece's page URL, as an SVG or PNG file
// (e.g. for a tag or a certificate card). Offline: it only encodes the URL.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "services/cli.h"
#include "services/qr_code.h"

namespace touchstone::cli {
namespace {

struct QrFlags {
  std::string piece_id;
  std::string base_url;
  std::string out;
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
  const std::string url = PiecePageUrl(base, f.piece_id);
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
  qr->add_option("-o,--out", flags->out, "output file, FILE.svg or FILE.png (never overwritten)")
      ->required();
  qr->callback([exit_code, flags] {
    if (absl::Status s = WriteQr(*flags); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
