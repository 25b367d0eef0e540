// touchstone keygen / key show: Ed25519 key files for participants and operators.
#include <iostream>
#include <memory>
#include <string>

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

namespace {

// `keygen` options.
struct KeygenFlags {
  std::string out;   // PEM file to create
  std::string name;  // key name for the printed note verifier key
  bool json = false;
};

// `key` options.
struct KeyShowFlags {
  std::string file;  // PEM private key
  std::string name;  // key name for the note verifier key
  bool json = false;
};

}  // namespace

void AddKeyCommands(CLI::App& app, Context&, int* exit_code) {
  auto* keygen = app.add_subcommand("keygen", "create an Ed25519 key (PEM, mode 0600)");
  auto gen = std::make_shared<KeygenFlags>();
  keygen->add_option("-o,--out", gen->out, "PEM file to create")->required();
  keygen->add_option("--name", gen->name, "key name for the printed note verifier key");
  keygen->add_flag("--json", gen->json, "print the key id and public key as JSON");
  keygen->callback([exit_code, gen] {
    auto key = PrivateKey::Generate();
    if (!key.ok()) {
      *exit_code = Fail(key.status());
      return;
    }
    if (auto s = key->SavePemFile(gen->out); !s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    PrintKey(*key, gen->name, gen->json);
  });

  auto* show = app.add_subcommand("key", "show a key file's id, public key and verifier key");
  auto shown = std::make_shared<KeyShowFlags>();
  show->add_option("file", shown->file, "PEM private key")->required();
  show->add_option("--name", shown->name, "key name for the note verifier key");
  show->add_flag("--json", shown->json, "print the key id and public key as JSON");
  show->callback([exit_code, shown] {
    auto key = PrivateKey::LoadPemFile(shown->file);
    if (!key.ok()) {
      *exit_code = Fail(key.status());
      return;
    }
    PrintKey(*key, shown->name, shown->json);
  });
}

}  // namespace touchstone::cli
