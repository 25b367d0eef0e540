// QR codes with libqrencode; SVG as path text, PNG with a minimal encoder over zlib.
#include "services/qr_code.h"

#include <qrencode.h>
#include <zlib.h>

#include <cstdint>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/gs1.h"

namespace touchstone {
namespace {

constexpr int kQuietZone = 4;  // modules of white around the symbol (ISO/IEC 18004)

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// A PNG chunk: length, type, data, CRC-32 of type and data.
void AppendChunk(std::string& out, std::string_view type, std::string_view data) {
  AppendU32(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.append(type);
  out.append(data);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(out.data() + type_at),
                          static_cast<uInt>(out.size() - type_at));
  AppendU32(out, static_cast<uint32_t>(crc));
}

}  // namespace

std::string EscapeMarkup(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string PiecePageUrl(std::string_view base_url, std::string_view piece_id) {
  std::string out = absl::StrCat(Sv(base_url), "/p/");
  for (unsigned char c : piece_id) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

std::string PieceQrUrl(std::string_view base_url, std::string_view piece_id,
                       std::string_view gtin14, std::string_view serial) {
  if (gtin14.empty()) return PiecePageUrl(base_url, piece_id);
  return absl::StrCat(Sv(base_url), DigitalLinkPath(gtin14, serial));
}

[[nodiscard]] absl::StatusOr<QrCode> EncodeQr(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("nothing to encode in a QR code");
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M),
      &QRcode_free);
  if (code == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot make a QR code of ", text.size(), " bytes (too long?)"));
  }
  QrCode qr;
  qr.size = code->width;
  qr.dark.resize(static_cast<size_t>(qr.size) * qr.size);
  for (size_t i = 0; i < qr.dark.size(); ++i) qr.dark[i] = (code->data[i] & 1) != 0;
  return qr;
}

std::string QrToSvg(const QrCode& qr, std::string_view title, int module_px) {
  const int full = (qr.size + 2 * kQuietZone) * module_px;
  std::string path;
  for (int y = 0; y < qr.size; ++y) {
    for (int x = 0; x < qr.size; ++x) {
      if (!qr.Dark(x, y)) continue;
      absl::StrAppend(&path, "M", (x + kQuietZone) * module_px, " ", (y + kQuietZone) * module_px,
                      "h", module_px, "v", module_px, "h-", module_px, "z");
    }
  }
  return absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", full, " ", full, "\" width=\"",
      full, "\" height=\"", full, "\" role=\"img\" shape-rendering=\"crispEdges\">", "<title>",
      EscapeMarkup(title), "</title>", "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>",
      "<path fill=\"#000\" d=\"", path, "\"/></svg>\n");
}

std::string QrToPng(const QrCode& qr, int module_px) {
  const int full = (qr.size + 2 * kQuietZone) * module_px;
  // Raw image: each row a filter byte (0, none) then one grey byte a pixel.
  std::string raw;
  raw.reserve(static_cast<size_t>(full) * (full + 1));
  for (int py = 0; py < full; ++py) {
    raw.push_back(0);
    const int y = py / module_px - kQuietZone;
    for (int px = 0; px < full; ++px) {
      const int x = px / module_px - kQuietZone;
      const bool dark = x >= 0 && y >= 0 && x < qr.size && y < qr.size && qr.Dark(x, y);
      raw.push_back(dark ? '\x00' : '\xff');
    }
  }
  uLongf zsize = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zsize, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &zsize, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), 9);
  z.resize(zsize);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  AppendU32(ihdr, static_cast<uint32_t>(full));
  AppendU32(ihdr, static_cast<uint32_t>(full));
  ihdr +=
      std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit, greyscale, deflate, filter 0, no interlace
  AppendChunk(png, "IHDR", ihdr);
  AppendChunk(png, "IDAT", z);
  AppendChunk(png, "IEND", "");
  return png;
}

}  // namespace touchstone
