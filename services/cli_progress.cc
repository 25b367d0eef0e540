// The CLI's progress line (see cli_progress.h).
#include "services/cli_progress.h"

#include <unistd.h>

#include <iostream>

namespace touchstone::cli {

Progress::Progress(std::string verb, std::string noun, uint64_t every)
    : verb_(std::move(verb)),
      noun_(std::move(noun)),
      every_(every == 0 ? 1 : every),
      enabled_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (drawn_) std::cerr << "\n" << std::flush;
}

void Progress::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || (done % every_ != 0 && done != total)) return;
  std::cerr << "\r" << verb_ << " " << done << " of " << total << " " << noun_ << std::flush;
  drawn_ = true;
}

void Progress::Clear() {
  if (!drawn_) return;
  std::cerr << "\r\033[K" << std::flush;  // carriage return, erase to the end of the line
  drawn_ = false;
}

std::function<void(uint64_t, uint64_t)> Progress::Callback() {
  if (!enabled_) return nullptr;
  return [this](uint64_t done, uint64_t total) { Update(done, total); };
}

}  // namespace touchstone::cli
