// QR codes (libqrencode) of a piece's page URL, drawn as SVG or PNG.
// No network or RPC: a pure function of the text.
#ifndef TOUCHSTONE_SERVICES_QR_CODE_H_
#define TOUCHSTONE_SERVICES_QR_CODE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace touchstone {

// The page URL of a piece under base_url (services/http_server.h):
// base_url + "/p/" + the id, percent-encoded but for [A-Za-z0-9._~-].
std::string PiecePageUrl(std::string_view base_url, std::string_view piece_id);

// What a piece's QR code carries: with a GTIN-14 and serial, the GS1 Digital
// Link URI base_url + "/01/<gtin>/21/<serial>" (ledger/provenance/gs1.h), which
// touchstoned's HTTP port resolves to the page; without, PiecePageUrl.
std::string PieceQrUrl(std::string_view base_url, std::string_view piece_id,
                       std::string_view gtin14, std::string_view serial);

// `s` with & < > " ' escaped as character references: safe inside HTML or SVG
// text and quoted attribute values.
std::string EscapeMarkup(std::string_view s);

// A QR symbol: size x size modules, row-major, true = dark. Value type.
struct QrCode {
  int size = 0;
  std::vector<bool> dark;
  bool Dark(int x, int y) const { return dark[static_cast<size_t>(y) * size + x]; }
};

// Encodes `text` (8-bit mode, error correction level M, smallest version that
// fits). INVALID_ARGUMENT if text is empty or too long for a QR code.
[[nodiscard]] absl::StatusOr<QrCode> EncodeQr(std::string_view text);

// An SVG image of the code: each module `module_px` user units, with the
// 4-module quiet zone the standard asks for; black on white; `title` (escaped)
// is the image's accessible name.
std::string QrToSvg(const QrCode& qr, std::string_view title, int module_px = 8);

// A PNG image of the code (8-bit greyscale, zlib-compressed), `module_px`
// pixels a module, with the 4-module quiet zone.
std::string QrToPng(const QrCode& qr, int module_px = 8);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_QR_CODE_H_
