// QR codes of piece pages: the URL encoding, the symbol, and the SVG and PNG drawings.
#include "services/qr_code.h"

#include <zlib.h>

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

uint32_t U32(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | static_cast<uint8_t>(s[at + 3]);
}

TEST(QrCodeTest, PiecePageUrlPercentEncodesAllButUnreservedCharacters) {
  EXPECT_EQ(PiecePageUrl("https://t.example", "demo-RING-1"), "https://t.example/p/demo-RING-1");
  EXPECT_EQ(PiecePageUrl("http://h:8", "a b/c?\xc3\xa9"), "http://h:8/p/a%20b%2fc%3f%c3%a9");
}

TEST(QrCodeTest, EncodesTextIntoASquareSymbolWithFinderPatterns) {
  absl::StatusOr<QrCode> qr = EncodeQr("https://touchstone.example/p/demo-RING-1");
  ASSERT_TRUE(qr.ok()) << qr.status();
  EXPECT_EQ((qr->size - 17) % 4, 0);  // version v is 17 + 4v modules wide
  EXPECT_EQ(qr->dark.size(), static_cast<size_t>(qr->size * qr->size));
  for (int i = 0; i < 7; ++i) {  // the top-left finder's outer ring is dark, the next ring light
    EXPECT_TRUE(qr->Dark(i, 0) && qr->Dark(0, i) && qr->Dark(6, i) && qr->Dark(i, 6));
  }
  EXPECT_FALSE(qr->Dark(1, 1));
  EXPECT_TRUE(qr->Dark(3, 3));
}

TEST(QrCodeTest, RefusesEmptyAndOverlongText) {
  EXPECT_EQ(EncodeQr("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeQr(std::string(5000, 'x')).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QrCodeTest, SvgDrawsEveryDarkModuleWithAQuietZoneAndAnEscapedTitle) {
  absl::StatusOr<QrCode> qr = EncodeQr("https://t.example/p/x");
  ASSERT_TRUE(qr.ok());
  const std::string svg = QrToSvg(*qr, "QR <x> & \"y\"");
  const int full = (qr->size + 8) * 8;
  EXPECT_THAT(svg, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("viewBox=\"0 0 " + std::to_string(full) + " " + std::to_string(full)));
  EXPECT_THAT(svg, HasSubstr("<title>QR &lt;x&gt; &amp; &quot;y&quot;</title>"));
  size_t dark = 0, drawn = 0;
  for (bool d : qr->dark) dark += d;
  for (size_t at = svg.find("h8v8h-8z"); at != std::string::npos;
       at = svg.find("h8v8h-8z", at + 1)) {
    ++drawn;
  }
  EXPECT_EQ(drawn, dark);
  EXPECT_THAT(svg, HasSubstr("M32 32h8v8h-8z"));  // module (0,0) after 4 modules of quiet zone
}

TEST(QrCodeTest, PngIsAValidGreyscaleImageOfTheSymbol) {
  absl::StatusOr<QrCode> qr = EncodeQr("https://t.example/p/x");
  ASSERT_TRUE(qr.ok());
  const std::string png = QrToPng(*qr, 4);
  const uint32_t full = (qr->size + 8) * 4;
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // Chunks: length, type, data, CRC-32 (checked), up to IEND.
  std::string idat;
  size_t at = 8;
  std::string types;
  while (at < png.size()) {
    const uint32_t n = U32(png, at);
    const std::string type = png.substr(at + 4, 4), data = png.substr(at + 8, n);
    const uLong crc = crc32(crc32(0, reinterpret_cast<const Bytef*>(type.data()), 4),
                            reinterpret_cast<const Bytef*>(data.data()), n);
    EXPECT_EQ(U32(png, at + 8 + n), crc) << type;
    if (type == "IHDR") {
      EXPECT_EQ(U32(data, 0), full);
      EXPECT_EQ(U32(data, 4), full);
      EXPECT_EQ(data.substr(8), std::string("\x08\x00\x00\x00\x00", 5));
    }
    if (type == "IDAT") idat += data;
    types += type + " ";
    at += 12 + n;
  }
  EXPECT_EQ(types, "IHDR IDAT IEND ");
  std::string raw(full * (full + 1), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
            Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  for (int y = 0; y < qr->size; ++y) {
    for (int x = 0; x < qr->size; ++x) {
      const size_t py = (y + 4) * 4 + 2, px = (x + 4) * 4 + 2;
      EXPECT_EQ(raw[py * (full + 1) + 1 + px] == '\0', qr->Dark(x, y)) << x << "," << y;
    }
  }
  EXPECT_EQ(raw[1], '\xff');  // the quiet zone is white
}

}  // namespace
}  // namespace touchstone
