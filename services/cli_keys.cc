// touchstone keygen / key show: Ed25519 key files for participants and operators.
#include <iostream>

#include "absl/strings/escaping.h"
#include "ledger/log/keys.h"
#include "ledger/log/note.h"
#include "nlohmann/json.hpp"
#include "services/cli.h"

namespace touchstone::cli {
namespace {

void PrintKey(const PrivateKey& key, const std::string& name, bool json) {
  if (json) {
    nlohmann::json j = {{"key_id", key.public_key().Fingerprint()},
                        {"public_key", absl::Base64Escape(key.public_key().raw())}};
    if (!name.empty()) j["verifier_key"] = FormatVerifierKey(name, key.public_key());
    PrintJson(j);
    return;
  }
  std::cout << "key_id " << key.public_key().Fingerprint() << "\n"
            << "public_key " << absl::Base64Escape(key.public_key().raw()) << "\n";
  if (!name.empty())
    std::cout << "verifier_key " << FormatVerifierKey(name, key.public_key()) << "\n";
}

}  // namespace

void AddKeyCommands(CLI::App& app, Context&, int* exit_code) {
  auto* keygen = app.add_subcommand("keygen", "create an Ed25519 key (PEM, mode 0600)");
  static std::string out, name;
  static bool keygen_json = false;
  keygen->add_option("-o,--out", out, "PEM file to create")->required();
  keygen->add_option("--name", name, "key name for the printed note verifier key");
  keygen->add_flag("--json", keygen_json, "print the key id and public key as JSON");
  keygen->callback([exit_code] {
    auto key = PrivateKey::Generate();
    if (!key.ok()) {
      *exit_code = Fail(key.status());
      return;
    }
    if (auto s = key->SavePemFile(out); !s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    PrintKey(*key, name, keygen_json);
  });

  auto* show = app.add_subcommand("key", "show a key file's id, public key and verifier key");
  static std::string file, show_name;
  static bool show_json = false;
  show->add_option("file", file, "PEM private key")->required();
  show->add_option("--name", show_name, "key name for the note verifier key");
  show->add_flag("--json", show_json, "print the key id and public key as JSON");
  show->callback([exit_code] {
    auto key = PrivateKey::LoadPemFile(file);
    if (!key.ok()) {
      *exit_code = Fail(key.status());
      return;
    }
    PrintKey(*key, show_name, show_json);
  });
}

}  // namespace touchstone::cli
