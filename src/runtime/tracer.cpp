#include "tracer.h"

#include "gpustd/hostcall/wire.h"
#include "gpustd/protocol/console.h"
#include "gpustd/protocol/files.h"
#include "gpustd/protocol/opcodes.h"
#include "runtime_log.h"


#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace gpustd::detail {

tracer::tracer(int fd, bool lines, bool stats, name_fn name_of)
    : fd_(fd), lines_(lines), stats_(stats), name_of_(std::move(name_of)), start_ns_(now_ns()) {}

tracer::~tracer() { print_stats(); }


namespace {

// Up to 40 bytes of a payload: quoted text when it is text, else its size.
std::string preview(std::span<const std::byte> p) {
  if (p.empty()) return {};
  std::size_t printable = 0;
  for (auto b : p) {
    const auto c = static_cast<unsigned char>(b);
    printable += std::isprint(c) || c == '\n' || c == '\t' || c == 0 || c >= 0x80;
  }
  if (printable < p.size()) return std::to_string(p.size()) + " B";
  std::string s = "\"";
  std::size_t n = 0;
  for (auto b : p) {
    const char c = static_cast<char>(b);
    if (c == 0) break;  // C strings (paths) end here
    if (n++ == 40) {
      s += "\"...";
      return s + " (" + std::to_string(p.size()) + " B)";
    }
    if (c == '\n') s += "\\n";
    else if (c == '\t') s += "\\t";
    else if (c == '"') s += "\\\"";
    else s += c;
  }
  return s + "\"";
}

// A lane's answer. A typed hostcall's small integral result travels as
// value + 1 in the status (hostcall/wire.h); larger ones as data bytes.
std::string status_text(const request& r, std::int64_t st) {
  if (st < 0) return std::to_string(st) + " (" + std::strerror(static_cast<int>(-st)) + ")";
  if (r.op() >= protocol::typed_first) {
    if (r.has_data()) return "(result bytes)";
    return st == 0 ? "ok" : std::to_string(st - 1);
  }
  return std::to_string(st);
}

// A built-in operation's arguments by name (lane 0's), or "" for others.
std::string named_args(const request& r) {
  using namespace protocol;
  const auto text = [&](unsigned rank) { return preview(r.payload(rank)); };
  switch (static_cast<opcode>(r.op())) {
    case opcode::write: return "fd=" + std::to_string(r.arg<std::int32_t>(0)) + ", " + text(0);
    case opcode::console: {
      const auto a = r.arg<console_args>(0);
      return "fd=" + std::to_string(a.fd | (a.fd_high << 8)) + ", record of " + std::to_string(r.payload(0).size()) + " B";
    }
    case opcode::stdin_read: return "max=" + std::to_string(r.arg<stdin_args>(0).max_bytes);
    case opcode::file_open: {
      const auto a = r.arg<open_args>(0);
      char flags[32];
      std::snprintf(flags, sizeof flags, "flags=0x%x, mode=0%o", static_cast<unsigned>(a.flags), a.mode);
      return text(0) + ", " + flags;
    }
    case opcode::file_close:
    case opcode::file_stat: return "fd=" + std::to_string(r.arg<fd_args>(0).fd);
    case opcode::file_io: {
      const auto a = r.arg<io_args>(0);
      std::string s = "fd=" + std::to_string(a.fd) + (a.direction == io_direction::write ? ", write " : ", read ") +
                      std::to_string(a.length) + " B";
      if (a.flags & io_positioned) s += " at " + std::to_string(a.offset);
      if (a.transfer == io_transfer::bulk) s += ", bulk";
      if (a.direction == io_direction::write && a.transfer != io_transfer::bulk) s += ", " + text(0);
      return s;
    }
    case opcode::file_seek: {
      const auto a = r.arg<seek_args>(0);
      return "fd=" + std::to_string(a.fd) + ", " + std::to_string(a.offset) + ", whence=" + std::to_string(a.whence);
    }
    case opcode::path_op: {
      static const char* const kinds[] = {"stat", "lstat", "mkdir", "rmdir", "unlink", "remove", "rename",
                                          "remove_all", "copy_file", "opendir", "create_directories", "access"};
      const auto a = r.arg<path_args>(0);
      const auto k = static_cast<unsigned>(a.kind);
      return std::string(k < 12 ? kinds[k] : "?") + ", " + text(0);
    }
    case opcode::dir_read: return "fd=" + std::to_string(r.arg<dir_args>(0).fd);
    case opcode::file_scan: return "fd=" + std::to_string(r.arg<scan_args>(0).fd);
    default: return {};
  }
}

std::string micros(std::uint64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1fus", static_cast<double>(ns) / 1000.0);
  return b;
}

}  // namespace

std::string tracer::head(std::uint64_t at_ns, std::uint32_t block, std::uint32_t warp, unsigned lanes) const {
  char h[96];
  std::snprintf(h, sizeof h, "[gpustd %10.6f] block %u warp %u lanes %u ", static_cast<double>(at_ns - start_ns_) / 1e9,
                block, warp, lanes);
  return h;
}

std::string tracer::describe(const request& r, std::uint64_t start_ns, std::uint64_t end_ns) const {
  std::string s = head(start_ns, r.block(), r.warp(), r.lanes());
  s += name_of_(r.op());
  // Arguments: lane 0's first inline words and payload; the sizes of all.
  s += "(";
  const std::string named = r.lanes() > 0 ? named_args(r) : std::string();
  if (!named.empty()) {
    s += named;
  } else if (r.lanes() > 0) {
    const auto a = r.args(0);
    for (std::size_t i = 0; i + 8 <= a.size() && i < 16; i += 8) {
      std::int64_t w;
      std::memcpy(&w, a.data() + i, 8);
      s += (i ? ", " : "") + std::to_string(w);
    }
    if (a.size() % 8 && a.size() < 8) {
      std::int32_t w = 0;
      std::memcpy(&w, a.data(), std::min<std::size_t>(a.size(), 4));
      s += std::to_string(w);
    }
    const std::string p = preview(r.payload(0));
    if (!p.empty()) s += (a.empty() ? "" : ", ") + p;
  }
  std::uint64_t bytes = 0;
  for (unsigned i = 0; i < r.lanes(); ++i) bytes += r.payload(i).size();
  if (r.lanes() > 1) s += ", ... " + std::to_string(bytes) + " B in all";
  s += ") = ";
  if (r.no_reply()) {
    s += "(no reply)";
  } else {
    bool uniform = true;
    for (unsigned i = 1; i < r.lanes(); ++i) uniform = uniform && r.status(i) == r.status(0);
    if (!r.answered() || r.lanes() == 0) s += "0";
    else if (uniform) s += status_text(r, r.status(0));
    else {
      s += "[";
      for (unsigned i = 0; i < r.lanes() && i < 4; ++i) s += (i ? ", " : "") + status_text(r, r.status(i));
      s += r.lanes() > 4 ? ", ...]" : "]";
    }
  }
  return s + " <" + micros(end_ns - start_ns) + ">\n";
}

void tracer::record(const request& r, std::uint64_t start_ns, std::uint64_t end_ns) {
  std::string line;
  if (lines_) line = describe(r, start_ns, end_ns);
  std::lock_guard lk(lock_);
  if (lines_) write_whole(fd_, line);
  if (!stats_) return;
  op_stats& o = ops_[r.op()];
  ++o.requests;
  o.lanes += r.lanes();
  for (unsigned i = 0; i < r.lanes(); ++i) o.bytes += r.payload(i).size();
  const auto lat = static_cast<std::uint32_t>(std::min<std::uint64_t>(end_ns - start_ns, UINT32_MAX));
  if (o.latency_ns.size() < max_samples) {
    o.latency_ns.push_back(lat);
  } else {  // reservoir: every request has the same chance to be in the sample
    const std::uint64_t k = rng_() % (o.seen + 1);
    if (k < max_samples) o.latency_ns[k] = lat;
  }
  ++o.seen;
}

void tracer::record_refused(std::uint16_t op, std::uint32_t block, std::uint32_t warp, unsigned lanes,
                            std::int64_t status, const char* why) {
  const std::string line = head(now_ns(), block, warp, lanes) + name_of_(op) + "(...) = " + std::to_string(status) + " (" +
                           std::strerror(static_cast<int>(-status)) + ") <refused: " + why + ">\n";
  std::lock_guard lk(lock_);
  if (lines_) write_whole(fd_, line);
  if (!stats_) return;
  op_stats& o = ops_[op];
  ++o.requests;
  o.lanes += lanes;
  if (o.latency_ns.size() < max_samples) o.latency_ns.push_back(0);
  ++o.seen;
}

void tracer::print_stats() {
  std::lock_guard lk(lock_);
  if (!stats_ || printed_) return;
  printed_ = true;
  std::string out = "gpustd statistics (host service time per request):\n";
  char row[256];
  std::snprintf(row, sizeof row, "%-28s %10s %12s %14s %10s %10s %10s %10s\n", "operation", "requests", "lanes",
                "payload B", "p50", "p90", "p99", "max");
  out += row;
  for (auto& [op, o] : ops_) {
    auto& v = o.latency_ns;
    std::sort(v.begin(), v.end());
    const auto pct = [&](double q) { return v.empty() ? 0u : v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))]; };
    std::snprintf(row, sizeof row, "%-28s %10llu %12llu %14llu %10s %10s %10s %10s\n", name_of_(op).c_str(),
                  static_cast<unsigned long long>(o.requests), static_cast<unsigned long long>(o.lanes),
                  static_cast<unsigned long long>(o.bytes), micros(pct(0.5)).c_str(), micros(pct(0.9)).c_str(),
                  micros(pct(0.99)).c_str(), micros(v.empty() ? 0 : v.back()).c_str());
    out += row;
  }
  write_whole(fd_, out);
}

}  // namespace gpustd::detail
