// The customer page's language negotiation (services/page_language.h).
#include "services/page_language.h"

#include <string>

#include "gtest/gtest.h"

namespace touchstone {
namespace {

std::string Negotiate(std::string_view header) {
  return std::string(NegotiatePageLanguage(header));
}

TEST(PageLanguageTest, NoHeaderOrNothingSupportedIsEnglish) {
  EXPECT_EQ(Negotiate(""), "en");
  EXPECT_EQ(Negotiate("   "), "en");
  EXPECT_EQ(Negotiate("nl-NL, pt;q=0.8, ko;q=0.5"), "en");
}

TEST(PageLanguageTest, EachPageLanguageIsChosenByItsOwnTag) {
  for (std::string_view language : kPageLanguages) {
    EXPECT_EQ(Negotiate(language), language);
  }
}

TEST(PageLanguageTest, RegionalTagsFallBackToTheirBaseLanguage) {
  EXPECT_EQ(Negotiate("fr-CH"), "fr");
  EXPECT_EQ(Negotiate("de-AT,de;q=0.9"), "de");
  EXPECT_EQ(Negotiate("es-419"), "es");
  EXPECT_EQ(Negotiate("it-CH"), "it");
  EXPECT_EQ(Negotiate("ja-JP"), "ja");
  EXPECT_EQ(Negotiate("en-GB"), "en");
}

TEST(PageLanguageTest, TagsMatchWhateverTheirCase) {
  EXPECT_EQ(Negotiate("FR-ch"), "fr");
  EXPECT_EQ(Negotiate("ZH-hans-CN"), "zh-Hans");
}

TEST(PageLanguageTest, SimplifiedChineseForZhAndItsSimplifiedForms) {
  EXPECT_EQ(Negotiate("zh"), "zh-Hans");
  EXPECT_EQ(Negotiate("zh-CN"), "zh-Hans");
  EXPECT_EQ(Negotiate("zh-Hans"), "zh-Hans");
  EXPECT_EQ(Negotiate("zh-Hans-CN"), "zh-Hans");
  EXPECT_EQ(Negotiate("zh-SG"), "zh-Hans");
}

TEST(PageLanguageTest, TraditionalChineseIsNotGivenSimplified) {
  EXPECT_EQ(Negotiate("zh-TW"), "en");
  EXPECT_EQ(Negotiate("zh-Hant, ja;q=0.5"), "ja");
  EXPECT_EQ(Negotiate("zh-HK"), "en");
}

TEST(PageLanguageTest, HighestQValueWinsAndTheHeadersOrderBreaksTies) {
  EXPECT_EQ(Negotiate("fr;q=0.5, de;q=0.9, ja;q=0.7"), "de");
  EXPECT_EQ(Negotiate("it, es"), "it");
  EXPECT_EQ(Negotiate("es;q=0.8, it;q=0.8"), "es");
  EXPECT_EQ(Negotiate("nl, fr;q=0.3"), "fr");  // unsupported first choice: the next
  EXPECT_EQ(Negotiate("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"), "fr");  // a browser's header
  EXPECT_EQ(Negotiate("de;q=1.000,fr"), "de");
}

TEST(PageLanguageTest, QZeroRefusesALanguage) {
  EXPECT_EQ(Negotiate("fr;q=0, de;q=0.1"), "de");
  EXPECT_EQ(Negotiate("ja;q=0"), "en");
}

TEST(PageLanguageTest, WildcardStandsForALanguageNotOtherwiseNamed) {
  EXPECT_EQ(Negotiate("*"), "en");
  EXPECT_EQ(Negotiate("en;q=0, *"), "fr");
  EXPECT_EQ(Negotiate("nl, *;q=0.1"), "en");
  EXPECT_EQ(Negotiate("de;q=0.2, *;q=0.5"), "en");  // the wildcard is preferred to German
  EXPECT_EQ(Negotiate("en;q=0.1, *;q=0.5"), "fr");
}

TEST(PageLanguageTest, MalformedRangesAreSkipped) {
  EXPECT_EQ(Negotiate("fr;q=2, de"), "de");
  EXPECT_EQ(Negotiate("fr;q=abc, it;q=0.5"), "it");
  EXPECT_EQ(Negotiate("<script>, ja;q=0.4"), "ja");
  EXPECT_EQ(Negotiate(",,;q=0.5,, es ;q=0.7"), "es");
  EXPECT_EQ(Negotiate("fr;q=0.12345, de;q=0.1"), "de");
  EXPECT_EQ(Negotiate(std::string(100, 'a') + ", it"), "it");
}

TEST(PageLanguageTest, TheSwitchersChoiceOverridesTheHeader) {
  EXPECT_EQ(ChoosePageLanguage("ja", "fr-CH, fr;q=0.9"), "ja");
  EXPECT_EQ(ChoosePageLanguage("zh-Hans", "de"), "zh-Hans");
  EXPECT_EQ(ChoosePageLanguage("", "de"), "de");
  EXPECT_EQ(ChoosePageLanguage("klingon", "de"), "de");  // not a page language: negotiated
  EXPECT_EQ(ChoosePageLanguage("\"><b>", ""), "en");
}

}  // namespace
}  // namespace touchstone
