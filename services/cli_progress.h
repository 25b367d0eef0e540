// A progress line for the CLI's long operations (export, audit, demo): one line
// on stderr, rewritten in place, and only when stderr is a terminal, so that
// scripts, pipes and tests capture nothing but the command's own output.
#ifndef TOUCHSTONE_SERVICES_CLI_PROGRESS_H_
#define TOUCHSTONE_SERVICES_CLI_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <string>

namespace touchstone::cli {

// Thread-compatible.
class Progress {
 public:
  // The line reads "<verb> <done> of <total> <noun>", e.g. "audited 10 of 50
  // entries"; it is redrawn at most every `every` steps (and at the last).
  Progress(std::string verb, std::string noun, uint64_t every = 1);
  // Ends the line if one was drawn.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // True if stderr is a terminal; otherwise every call below does nothing.
  bool enabled() const { return enabled_; }
  void Update(uint64_t done, uint64_t total);
  // Erases the line, so that other output to the terminal starts clean.
  void Clear();
  // Update as a callback for the ledger's functions that take one; empty
  // (no callback at all) when disabled. Valid while this object lives.
  std::function<void(uint64_t, uint64_t)> Callback();

 private:
  std::string verb_, noun_;
  uint64_t every_;
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_PROGRESS_H_
