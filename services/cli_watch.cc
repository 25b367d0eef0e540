// touchstone watch: follows the log (Provenance.Watch; ledger/watch.h) and
// checks every event without trusting the server (ledger/bundle/watch_check.h).
// Each verified round is written as JSON lines: one per entry, then one for
// the checkpoint that proves them, whose next_index is where to resume.
//
// With --out FILE the rounds are appended to FILE, durably, each in one write;
// a restarted watch reads FILE's last checkpoint line, drops anything after it
// (a round cut short by a crash) and resumes from there: every event lands in
// FILE exactly once, whatever kills the client or the server. The stream is
// resumed, with backoff, whenever it ends: the server ends it after its call
// limit, on shutdown, or when it is unreachable.
#include "services/cli_watch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/watch_check.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli.h"
#include "services/cli_log_reader.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct WatchFlags {
  uint64_t from = 0;
  std::vector<std::string> participants, types, lots, pieces, certificates;
  bool cosigned = false;
  std::string out;
  uint64_t until = 0;
  std::string vkey;
  std::string state_dir;
};

// Where a watch stands: the next index to ask for and the last checkpoint kept.
struct Position {
  uint64_t next = 0;
  std::optional<std::string> note;
};

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The JSON line of a verified entry.
[[nodiscard]] absl::StatusOr<std::string> EntryLine(const v1::WatchEntry& e) {
  ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(e.index(), e.data()));
  ASSIGN_OR_RETURN(std::string record_json, MessageToJson(record));
  nlohmann::json line = {
      {"index", absl::StrCat(e.index())}, {"leaf_hash", absl::BytesToHexString(e.leaf_hash())},
      {"type", e.record_type()},          {"record_id", record.record_id()},
      {"signer", record.signer()},        {"record", nlohmann::json::parse(record_json)}};
  if (e.affected_pieces_size() > 0) {  // the server's reading: not checked (watch_check.h)
    line["affected_pieces_unchecked"] =
        std::vector<std::string>(e.affected_pieces().begin(), e.affected_pieces().end());
  }
  return Dump(line) + "\n";
}

// The filter as the JSON a checkpoint line records (so that a file is resumed
// only with the filter it was written with).
nlohmann::json FilterJson(const v1::WatchFilter& filter) {
  absl::StatusOr<std::string> json = MessageToJson(filter);
  return json.ok() ? nlohmann::json::parse(*json, nullptr, false) : nlohmann::json();
}

std::string CheckpointLine(const v1::WatchCheckpoint& c, const v1::WatchFilter& filter) {
  return Dump({{"checkpoint_size", absl::StrCat(c.size())},
               {"next_index", absl::StrCat(c.next_index())},
               {"filter", FilterJson(filter)},
               {"checkpoint", c.checkpoint()}}) +
         "\n";
}

// Reads --out: the position after its last checkpoint line, and cuts off what
// follows that line (a round a crash interrupted). A missing file starts at
// `from`. DATA_LOSS if a line up to the last checkpoint line is not JSON or the
// checkpoint line is malformed; FAILED_PRECONDITION if the file was written
// with another filter.
[[nodiscard]] absl::StatusOr<Position> ResumeFrom(const std::string& path, uint64_t from,
                                                  const v1::WatchFilter& filter) {
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  if (absl::IsNotFound(data.status())) return Position{from, std::nullopt};
  if (!data.ok()) return data.status();
  Position pos{from, std::nullopt};
  size_t kept = 0, offset = 0;
  std::optional<size_t> bad;  // the first line that is not JSON
  while (offset < data->size()) {
    const size_t newline = data->find('\n', offset);
    if (newline == std::string::npos) break;  // no newline: cut short
    const std::string_view line = std::string_view(*data).substr(offset, newline - offset);
    const size_t end = newline + 1;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      if (!bad) bad = offset;
    } else if (j.is_object() && j.contains("next_index")) {
      const nlohmann::json& next = j["next_index"];
      const nlohmann::json& note = j.value("checkpoint", nlohmann::json());
      uint64_t n = 0;
      if (!next.is_string() || !absl::SimpleAtoi(next.get<std::string>(), &n) ||
          !note.is_string()) {
        return absl::DataLossError(
            absl::StrCat(path, ": a malformed checkpoint line at byte ", offset));
      }
      if (j.value("filter", nlohmann::json()) != FilterJson(filter)) {
        return absl::FailedPreconditionError(absl::StrCat(
            path, " was written with another filter (", Dump(j.value("filter", nlohmann::json())),
            "): resuming it with this one would miss entries; use another file"));
      }
      pos = Position{n, note.get<std::string>()};
      kept = end;
    }
    offset = end;
  }
  if (bad && *bad < kept) {
    return absl::DataLossError(absl::StrCat(path, ": the line at byte ", *bad, " is not JSON"));
  }
  if (kept < data->size()) {
    std::cerr << "watch: dropping " << data->size() - kept << " bytes after the last checkpoint in "
              << path << " (a round cut short)\n";
    struct stat st {};
    const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0644;
    RETURN_IF_ERROR(ReplaceFileDurably(path, std::string_view(*data).substr(0, kept), mode));
  }
  if (pos.note && from != 0 && from != pos.next) {
    std::cerr << "watch: --from " << from << " ignored: resuming " << path << " from index "
              << pos.next << "\n";
  }
  return pos;
}

v1::WatchFilter FilterOf(const WatchFlags& f) {
  v1::WatchFilter filter;
  for (const auto& p : f.participants) filter.add_participants(p);
  for (const auto& t : f.types) filter.add_record_types(t);
  for (const auto& l : f.lots) filter.add_lots(l);
  for (const auto& p : f.pieces) filter.add_pieces(p);
  for (const auto& c : f.certificates) filter.add_certificates(c);
  return filter;
}

// Keeps a verified round: appends it to --out (one durable write), or prints it.
[[nodiscard]] absl::Status Keep(const WatchFlags& f, const std::vector<v1::WatchEntry>& entries,
                                const v1::WatchCheckpoint& c) {
  std::string lines;
  for (const v1::WatchEntry& e : entries) {
    ASSIGN_OR_RETURN(std::string line, EntryLine(e));
    lines += line;
  }
  lines += CheckpointLine(c, FilterOf(f));
  if (f.out.empty()) {
    std::cout << lines << std::flush;
    return absl::OkStatus();
  }
  return AppendFileDurably(f.out, lines, 0644);
}

// Whether a stream that ended with `s` is worth resuming.
bool Transient(const absl::Status& s) {
  return s.ok() || absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsResourceExhausted(s) || absl::IsCancelled(s) || absl::IsAborted(s);
}

// Where a follow stands: the next index to ask for, the last checkpoint kept.
struct FollowState {
  uint64_t next = 0;
  std::optional<Checkpoint> known;
  bool unverified = false;  // set when the follow stopped because the stream did not check out
};

// Follows Watch from state.next until `until` (0: forever), checking every
// event with `key` and handing each proven round to `keep` (its error stops
// the follow). A stream that ends is resumed from the last kept round, with
// backoff (0.1 s doubling to 5 s); after `max_failures` ends in a row without
// progress (0: never) the last status, UNAVAILABLE if it was OK. When the
// stream does not check out: the checker's error (DATA_LOSS, PERMISSION_DENIED)
// with state.unverified set; otherwise the server's status for a refusal that
// retrying cannot cure, or keep's error.
[[nodiscard]] absl::Status Follow(
    const Context& ctx, const NoteVerifier& key, const v1::WatchFilter& filter, bool cosigned,
    uint64_t until, int max_failures, FollowState& state,
    const std::function<absl::Status(const std::vector<v1::WatchEntry>&,
                                     const v1::WatchCheckpoint&)>& keep) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  auto done = [&] { return until != 0 && state.next >= until; };
  absl::Duration backoff = absl::Milliseconds(100);
  int failures = 0;
  while (!done()) {
    grpc::ClientContext call;
    // A stream the server does not end (a host gone without a word) ends here.
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
    v1::WatchRequest req;
    req.set_from_index(state.next);
    req.set_known_size(state.known ? state.known->size : 0);
    req.set_cosigned(cosigned);
    *req.mutable_filter() = filter;
    WatchChecker checker(key, filter, state.next, state.known);
    std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub->Watch(&call, req);
    v1::WatchEvent event;
    while (!done() && reader->Read(&event)) {
      if (event.has_entry()) {
        if (absl::Status s = checker.OnEntry(event.entry()); !s.ok()) {
          state.unverified = true;
          return s;
        }
        continue;
      }
      absl::StatusOr<std::vector<v1::WatchEntry>> proven = checker.OnCheckpoint(event.checkpoint());
      if (!proven.ok()) {
        state.unverified = true;
        return proven.status();
      }
      RETURN_IF_ERROR(keep(*proven, event.checkpoint()));
      state.next = checker.position();
      state.known = checker.checkpoint();
      backoff = absl::Milliseconds(100);
      failures = 0;
    }
    if (done()) {
      call.TryCancel();
      break;
    }
    const absl::Status end = FromGrpc(reader->Finish());
    if (!Transient(end)) return end;
    if (max_failures != 0 && ++failures >= max_failures) {
      return end.ok() ? absl::UnavailableError("the Watch stream keeps ending") : end;
    }
    std::cerr << "watch: the stream ended (" << (end.ok() ? "call limit" : end.ToString())
              << "); resuming from index " << state.next << "\n";
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
  return absl::OkStatus();
}

// Holds FILE.lock for the life of the process, so that two watches never
// write one file. FAILED_PRECONDITION if another holds it.
[[nodiscard]] absl::Status LockOut(const std::string& out) {
  const std::string path = out + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("another `touchstone watch` is writing ", out, " (", path, " is locked)"));
  }
  return absl::OkStatus();  // fd stays open: the lock lasts until the process ends
}

int Watch(const Context& ctx, const WatchFlags& f) {
  if (!f.out.empty()) {
    if (absl::Status s = LockOut(f.out); !s.ok()) return Fail(s);
  }
  const v1::WatchFilter filter = FilterOf(f);
  absl::StatusOr<Position> pos =
      f.out.empty() ? Position{f.from, std::nullopt} : ResumeFrom(f.out, f.from, filter);
  if (!pos.ok()) return Fail(pos.status());
  std::string source;
  absl::StatusOr<NoteVerifier> key =
      LogKeyFor(ctx, pos->note.value_or(""), f.vkey, f.state_dir, &source);
  if (!key.ok()) return Fail(key.status());
  WarnIfServerKey(source);
  std::optional<Checkpoint> known;
  if (pos->note) {
    absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(*pos->note, *key);
    if (!cp.ok()) {
      std::cerr << "NOT VERIFIED: the checkpoint kept in " << f.out << ": " << cp.status().message()
                << "\n";
      return 2;
    }
    known = *cp;
  }
  FollowState state{pos->next, known};
  const absl::Status s = Follow(ctx, *key, filter, f.cosigned, f.until, /*max_failures=*/0, state,
                                [&f](const std::vector<v1::WatchEntry>& entries,
                                     const v1::WatchCheckpoint& c) { return Keep(f, entries, c); });
  if (state.unverified) {
    std::cerr << "NOT VERIFIED: " << s.message() << "\n";
    return 2;
  }
  if (!s.ok()) return Fail(s);
  return 0;
}

}  // namespace

absl::StatusOr<std::vector<v1::WatchEntry>> ReadWatched(const Context& ctx, const NoteVerifier& key,
                                                        const v1::WatchFilter& filter,
                                                        uint64_t from, uint64_t until,
                                                        bool* unverified) {
  std::vector<v1::WatchEntry> out;
  FollowState state{from, std::nullopt};
  *unverified = false;
  if (until <= from) return out;
  const absl::Status s =
      Follow(ctx, key, filter, /*cosigned=*/false, until, /*max_failures=*/10, state,
             [&](const std::vector<v1::WatchEntry>& entries, const v1::WatchCheckpoint&) {
               for (const v1::WatchEntry& e : entries) {
                 if (e.index() < until) out.push_back(e);
               }
               return absl::OkStatus();
             });
  *unverified = state.unverified;
  if (!s.ok()) return s;
  return out;
}

void AddWatchCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto f = std::make_shared<WatchFlags>();
  auto* cmd = app.add_subcommand(
      "watch", "follow the log: entries about what you name, each checked against the log's key");
  cmd->add_option("--from", f->from, "the first index to consider (default 0; --out resumes)");
  cmd->add_option("--participant", f->participants,
                  "entries a participant signed or that name it (repeatable)");
  cmd->add_option("--type", f->types, "record types, e.g. lot_created (repeatable)");
  cmd->add_option("--lot", f->lots, "entries naming a lot (repeatable)");
  cmd->add_option("--piece", f->pieces,
                  "entries naming a piece, or a certificate change reaching it (repeatable)");
  cmd->add_option("--certificate", f->certificates, "entries naming a certificate (repeatable)");
  cmd->add_flag("--cosigned", f->cosigned,
                "ask for entries only once a witness-cosigned checkpoint covers them (the "
                "cosignatures are the server's: this client checks the log's signature only)");
  cmd->add_option("--out", f->out,
                  "append verified events to this file (JSON lines) and resume from it");
  cmd->add_option("--until", f->until, "stop once every entry below this index was considered");
  cmd->add_option("--vkey", f->vkey,
                  "the log's note verifier key (default: pinned, else the server's)");
  cmd->add_option("--state_dir", f->state_dir,
                  "where trusted heads are kept (default ~/.touchstone/trusted)");
  cmd->callback([&ctx, exit_code, f] { *exit_code = Watch(ctx, *f); });
}

}  // namespace touchstone::cli
