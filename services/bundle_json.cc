// The JSON form of a piece bundle (see bundle_json.h).
#include "services/bundle_json.h"

#include "absl/strings/escaping.h"
#include "nlohmann/json.hpp"

namespace touchstone {

std::string BundleToJson(const v1::PieceBundle& bundle) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const v1::BundleEntry& e : bundle.entries()) {
    entries.push_back({{"index", e.index()},
                       {"entry", absl::Base64Escape(e.entry())},
                       {"tlog_proof", e.tlog_proof()}});
  }
  nlohmann::ordered_json j = {{"format", bundle.format()},
                              {"piece_id", bundle.piece_id()},
                              {"checkpoint", bundle.checkpoint()},
                              {"created_micros", bundle.created_micros()},
                              {"entries", std::move(entries)}};
  if (bundle.openings_size() > 0) {
    nlohmann::ordered_json openings = nlohmann::ordered_json::array();
    for (const v1::BundleOpening& o : bundle.openings()) {
      openings.push_back({{"index", o.index()},
                          {"salt", absl::Base64Escape(o.opening().salt())},
                          {"fields", absl::Base64Escape(o.opening().fields())}});
    }
    j["openings"] = std::move(openings);
  }
  if (!bundle.audited_checkpoint().empty()) {
    nlohmann::ordered_json proof = nlohmann::ordered_json::array();
    for (const std::string& h : bundle.audit_consistency()) proof.push_back(absl::Base64Escape(h));
    j["audited_checkpoint"] = bundle.audited_checkpoint();
    j["audit_consistency"] = std::move(proof);
  }
  return j.dump();
}

}  // namespace touchstone
