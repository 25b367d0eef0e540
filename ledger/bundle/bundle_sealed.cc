// Sealed records in a bundle (issue 16; ledger/provenance/commitments.h): the
// openings a bundle carries, checked against their entries' commitments, and
// the list of checks the verifier could not do alone because they read a
// committed field of a sealed record it has no opening for
// (BundleReport::vouched). services/web/verify.js does the same.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/commitments.h"

namespace touchstone::bundle {

[[nodiscard]] absl::Status ApplyOpenings(const v1::PieceBundle& bundle, std::vector<Item>& items) {
  for (Item& item : items) item.sealed = item.record.has_sealed();
  auto refused = [](std::string what) {
    return rule::Tag(rule::kSealed, absl::FailedPreconditionError(std::move(what)));
  };
  uint64_t last = 0;
  bool first = true;
  for (const v1::BundleOpening& o : bundle.openings()) {
    const std::string at = absl::StrCat("opening of entry ", o.index());
    if (!first && o.index() <= last) {
      return refused(absl::StrCat(at, " follows the opening of entry ", last,
                                  "; openings are in increasing index order, each once"));
    }
    first = false;
    last = o.index();
    auto it = std::lower_bound(items.begin(), items.end(), o.index(),
                               [](const Item& i, uint64_t index) { return i.index < index; });
    if (it == items.end() || it->index != o.index()) {
      return refused(absl::StrCat(at, ": the bundle holds no entry ", o.index()));
    }
    if (!it->sealed) {
      return refused(absl::StrCat(at, ": ", Where(*it), " is not sealed"));
    }
    absl::StatusOr<v1::Record> opened = OpenRecord(it->record, o.opening());
    if (!opened.ok()) {
      return refused(absl::StrCat(at, " (", KindOf(it->record), "): ", opened.status().message()));
    }
    it->record = *std::move(opened);
    it->opened = true;
  }
  return absl::OkStatus();
}

void Vouch(Graph& g, const Item& item, std::string what) {
  VouchedFact f{item.index, KindOf(item.record), std::move(what)};
  if (std::find(g.vouched.begin(), g.vouched.end(), f) == g.vouched.end()) {
    g.vouched.push_back(std::move(f));
  }
}

std::string SealedAt(const Item& item, uint64_t index) {
  return index == item.index ? "" : absl::StrCat(" (sealed at entry ", index, ")");
}

}  // namespace touchstone::bundle
