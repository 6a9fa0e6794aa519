#include "gpustd/runtime/runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "../services/services.h"
#include "blocking_pool.h"
#include "channel_memory.h"
#include "device_memory.h"
#include "gpustd/protocol/opcodes.h"
#include "gpustd/protocol/process_calls.h"
#include "handler_table.h"
#include "process_block.h"
#include "program_access.h"
#include "queued_calls.h"
#include "return_area.h"
#include "runtime_log.h"
#include "server.h"
#include "tracer.h"

namespace gpustd {

namespace {
constexpr int abort_exit_code_host = 134;  // gpustd::abort_exit_code (program/exit.h)
std::atomic<runtime*> current_runtime{nullptr};  // acq_rel exchange: one runtime at a time

// `opened_fd`: a descriptor resolve() opened (GPUSTD_TRACE=FILE) that the
// runtime closes when it ends, or -1.
runtime_options resolve(runtime_options o, int& opened_fd) {
  opened_fd = -1;
  if (const char* t = std::getenv("GPUSTD_SERVER_THREADS"); t && *t && o.server_threads == 0) {
    char* end = nullptr;
    const long n = std::strtol(t, &end, 10);
    if (*end != '\0' || n < 1 || n > 64)
      throw runtime_error(std::string("gpustd::runtime: GPUSTD_SERVER_THREADS must be a number from 1 to 64, not \"") +
                          t + "\"");
    o.server_threads = static_cast<unsigned>(n);
  }
  if (o.server_threads == 0) o.server_threads = std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u);
  if (o.pool_threads == 0) o.pool_threads = 1;
  if (const char* t = std::getenv("GPUSTD_TRACE"); t && *t && std::strcmp(t, "0") != 0) {
    o.trace = true;
    if (std::strcmp(t, "1") != 0 && o.trace_fd < 0) {  // a file name (an explicit trace_fd wins)
      o.trace_fd = ::open(t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (o.trace_fd < 0)
        throw runtime_error(std::string("gpustd::runtime: GPUSTD_TRACE: cannot open ") + t + ": " + std::strerror(errno));
      opened_fd = o.trace_fd;
    }
  }
  if (const char* t = std::getenv("GPUSTD_CHANNEL_HUGE_PAGES"); t && *t) o.channel_huge_pages = std::strcmp(t, "0") != 0;
  if (const char* t = std::getenv("GPUSTD_STATS"); t && *t && std::strcmp(t, "0") != 0) o.stats = true;
  if (o.trace_fd < 0) o.trace_fd = o.log_fd;
  if (o.io_threads == 0) o.io_threads = 1;
  if (o.max_open_files == 0 || o.max_open_files > 65535 - 3)
    throw runtime_error("gpustd::runtime: max_open_files must be 1 to 65532");
  if (o.frames_per_slot < 2 || (o.frames_per_slot & (o.frames_per_slot - 1)))
    throw runtime_error("gpustd::runtime: frames_per_slot must be a power of two >= 2");
  if (o.max_request_bytes < protocol::frame_body_bytes)
    throw runtime_error("gpustd::runtime: max_request_bytes must be at least 2048");
  return o;
}
}  // namespace

struct runtime::impl {
  runtime_options options;
  std::mutex hostcalls_lock;  // guards hostcall_names and span_copier
  std::map<std::uint16_t, std::string> hostcall_names;
  std::unique_ptr<detail::device_copier> span_copier;  // in/out spans of typed hostcalls
  std::unique_ptr<detail::channel_memory> memory;
  detail::runtime_log log;
  detail::console_service console;
  detail::stdin_service input;
  std::unique_ptr<detail::device_memory> device;
  std::unique_ptr<detail::return_area> returns;  // out_spans without DMA
  std::unique_ptr<detail::process_block> process;
  detail::file_service files;
  detail::handler_table handlers;
  detail::work_sharing sharing;  // big requests' parts, spread over idle server threads
  detail::queued_calls queued;    // batched asynchronous calls (hostcall/wire.h)
  detail::blocking_pool pool;
  std::unique_ptr<detail::tracer> trace;  // null when off; outlives the server, which calls it
  int owned_trace_fd = -1;                // GPUSTD_TRACE=FILE's descriptor
  detail::server srv;

  explicit impl(runtime_options o)
      : options(o),
        memory(detail::make_channel_memory(options)),
        log(options.log_fd),
        console(options, log),
        input(options.stdin_fd),
        device(detail::make_device_memory()),
        files(options, *device, log),
        queued(memory->host().futures, memory->host().future_count, log, &sharing),
        pool(options.pool_threads),
        srv(memory->host(), handlers, pool, log, options.reassembly_budget_bytes) {}

  // A name for the trace: the built-in operations', the typed hostcalls'.
  std::string op_name(std::uint16_t op) {
    static const char* const builtin[] = {"invalid", "null_call", "write", "console", "stdin_read", "file_open",
                                          "file_close", "file_io", "file_seek", "file_stat", "path_op", "dir_read",
                                          "file_scan", "future_batch", "return_reserve", "return_release"};
    if (op < sizeof builtin / sizeof builtin[0]) return builtin[op];
    const bool async = protocol::is_typed_async(op);  // (the asynchronous form is the next number)
    std::lock_guard lk(hostcalls_lock);
    if (auto it = hostcall_names.find(static_cast<std::uint16_t>(async ? op - 1 : op)); it != hostcall_names.end())
      return it->second + (async ? " (async)" : "");
    return "op " + std::to_string(op);
  }

  // gpustd::exit / abort from device code: serve what was sent before (for
  // a bounded time: a warp that never stops sending cannot hold the exit
  // up), flush, close the program's files, end the process.
  [[noreturn]] void terminate(int code, std::string_view message) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (!srv.quiet(1) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    console.flush_all();
    if (trace) trace->print_stats();
    if (!message.empty()) detail::write_whole(options.stderr_fd, "gpustd: " + std::string(message) + "\n");
    files.close_all();
    std::fflush(nullptr);
    std::_Exit(code);
  }
};

namespace {
std::int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
process_calls::entropy_words host_entropy() {
  process_calls::entropy_words w;
  auto* p = reinterpret_cast<unsigned char*>(w.w);
  std::size_t got = 0;
  while (got < sizeof w.w) {
    const ssize_t n = ::getrandom(p + got, sizeof w.w - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(errno, std::generic_category(), "getrandom");
    got += static_cast<std::size_t>(n);
  }
  return w;
}
}  // namespace

runtime::runtime(const runtime_options& options) {
  runtime* expected = nullptr;
  if (!current_runtime.compare_exchange_strong(expected, this, std::memory_order_acq_rel))
    throw runtime_error("gpustd::runtime: a runtime already serves this process");
  int trace_file = -1;  // opened for GPUSTD_TRACE=FILE: closed when the runtime ends
  try {
    impl_ = std::make_unique<impl>(resolve(options, trace_file));
    impl_->owned_trace_fd = trace_file;
    detail::register_null_call(impl_->handlers);
    impl_->handlers.set(
        protocol::to_u16(protocol::opcode::future_batch), [q = &impl_->queued](request& r) { q->serve(r); },
        handler_kind::polling, [q = &impl_->queued](const request& r) { return q->needs_pool(r); });
    if (!impl_->options.bulk_transfers) impl_->device->disable_dma();
    impl_->returns = std::make_unique<detail::return_area>(*impl_->device, impl_->options.return_area_bytes);
    register_return_area();
    impl_->console.register_ops(impl_->handlers);
    impl_->input.register_ops(impl_->handlers);
    impl_->files.register_ops(impl_->handlers);
    impl_->console.set_file_writer(
        [files = &impl_->files](int fd, std::string_view text) { return files->write_text(fd, text); });
    impl_->span_copier = impl_->device->make_copier(64 << 10);
    impl_->process = std::make_unique<detail::process_block>(*impl_->device, ::environ, impl_->options.max_argument_bytes);
    impl_->memory->set_process(impl_->process->device_state());
    register_hostcall<process_calls::gpustd_realtime_ns>(&realtime_ns);
    register_hostcall<process_calls::gpustd_entropy>(&host_entropy);
    register_hostcall<process_calls::gpustd_exit>([im = impl_.get()](int code) { im->terminate(code, {}); },
                                                  handler_kind::blocking);
    register_hostcall<process_calls::gpustd_abort>(
        [im = impl_.get()](std::string_view m) { im->terminate(abort_exit_code_host, m); }, handler_kind::blocking);
    // An asynchronous call of a hostcall nobody registered: its future gets
    // ENOSYS (a blocking one gets it from the server's unknown-operation path).
    impl_->handlers.set_fallback(
        [this](request& r) {
          impl_->log.once("unknown-hostcall:" + std::to_string(r.op()),
                          "asynchronous call of unregistered hostcall (operation " + std::to_string(r.op() - 1) +
                              "); its futures get ENOSYS");
          const auto hs = services();
          for (unsigned i = 0; i < r.lanes(); ++i)
            hostcall_detail::for_each_call<true>(r, i, true, 0, hs, [&](const hostcall_detail::lane_site& s) {
              if (s.future || s.batch_word) hostcall_detail::answer(r, s, -ENOSYS, nullptr, 0);
            });
        },
        [](std::uint16_t op) { return protocol::is_typed_async(op); });
    if (impl_->options.trace || impl_->options.stats) {
      impl_->trace = std::make_unique<detail::tracer>(impl_->options.trace_fd, impl_->options.trace,
                                                      impl_->options.stats,
                                                      [im = impl_.get()](std::uint16_t op) { return im->op_name(op); });
      impl_->srv.set_tracer(impl_->trace.get());
    }
    impl_->srv.set_sharing(&impl_->sharing);
    impl_->srv.set_frame_wait(std::chrono::microseconds(impl_->options.frame_wait_us));
    impl_->srv.start(impl_->options.server_threads, impl_->options.spin_us, impl_->options.max_sleep_us);
    impl_->memory->publish();
  } catch (...) {
    impl_.reset();
    if (trace_file >= 0) ::close(trace_file);
    current_runtime.store(nullptr, std::memory_order_release);
    throw;
  }
}

runtime::~runtime() {
  try {
    synchronize();
  } catch (const std::exception& e) {
    impl_->log.once("dtor", std::string("while stopping: ") + e.what());
  }
  impl_->memory->retract();
  impl_->srv.stop();
  impl_->pool.shutdown();  // pool jobs use the server: finish them while it exists
  impl_->files.close_all();  // what the device left open
  if (impl_->trace) impl_->trace->print_stats();
  const int trace_file = impl_->owned_trace_fd;
  impl_.reset();
  if (trace_file >= 0) ::close(trace_file);
  current_runtime.store(nullptr, std::memory_order_release);
}

void runtime::synchronize() {
  const std::string err = impl_->memory->wait_for_device();
  // Kernels are finished (or failed): what they sent is in the channel.
  while (!impl_->srv.drained()) std::this_thread::sleep_for(std::chrono::microseconds(20));
  impl_->console.flush_all();
  if (!err.empty()) throw runtime_error("gpustd::runtime::synchronize: device error " + err);
}

void runtime::register_handler(std::uint16_t op, handler fn, handler_kind kind) {
  register_direct(op, std::move(fn), kind, {});
}

void runtime::register_direct(std::uint16_t op, handler fn, handler_kind kind, direct_handler direct) {
  if (!fn) throw runtime_error("gpustd::runtime::register_handler: empty handler");
  impl_->handlers.set(op, std::move(fn), kind, {}, std::move(direct));
}

void runtime::register_queued(std::uint16_t async_op,
                              std::shared_ptr<const hostcall_detail::site_handler> sh, handler_kind kind) {
  impl_->queued.set(async_op, std::move(sh), kind);
}

void runtime::claim_hostcall(std::uint16_t op, const char* name) {
  std::lock_guard lk(impl_->hostcalls_lock);
  auto [it, fresh] = impl_->hostcall_names.try_emplace(op, name);
  if (!fresh && it->second != name)
    throw runtime_error(std::string("gpustd::runtime: hostcalls '") + name + "' and '" + it->second +
                        "' have the same number (" + std::to_string(op) + "): rename one");
}

hostcall_detail::host_services runtime::services() {
  const auto& h = impl_->memory->host();
  return {this, h.futures, h.future_count, h.batch_lanes, h.batch_lane_count};
}

runtime_stats runtime::stats() const { return impl_->srv.stats(); }
const runtime_options& runtime::options() const noexcept { return impl_->options; }
// The return area's two operations (return_area.h). Bad input is answered
// (reserve) or logged (release, which has no answer), never trusted.
void runtime::register_return_area() {
  detail::return_area* area = impl_->returns.get();
  impl_->handlers.set(
      protocol::to_u16(protocol::opcode::return_reserve),
      [area](request& r) {
        for (unsigned i = 0; i < r.lanes(); ++i) {
          if (r.args(i).size() != sizeof(std::uint64_t)) {
            r.set_result(i, -EINVAL);
            continue;
          }
          int error = 0;
          const std::uint64_t at = area->reserve(r.arg<std::uint64_t>(i), error);
          if (at) r.set_result(i, 0, std::as_bytes(std::span<const std::uint64_t>(&at, 1)));
          else r.set_result(i, -error);
        }
      },
      handler_kind::polling);
  impl_->handlers.set(
      protocol::to_u16(protocol::opcode::return_release),
      [area, log = &impl_->log](request& r) {
        for (unsigned i = 0; i < r.lanes(); ++i)
          if (r.args(i).size() != sizeof(std::uint64_t) || !area->release(r.arg<std::uint64_t>(i)))
            log->once("return-release", "block " + std::to_string(r.block()) +
                                            " gave back a region of the return area that it did not hold; ignored");
      },
      handler_kind::polling);
}

runtime* runtime::current() noexcept { return current_runtime.load(std::memory_order_acquire); }

namespace hostcall_detail {

int host_services::read_device(void* dst, std::uint64_t src, std::size_t n) const {
  auto& im = *rt->impl_;
  if (!im.span_copier) {  // the CPU backend: device memory is this process's
    std::memcpy(dst, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(src)), n);
    return 0;
  }
  std::lock_guard lk(im.hostcalls_lock);
  return im.span_copier->to_host(dst, src, n);
}

int host_services::write_device(std::uint64_t dst, const void* src, std::size_t n) const {
  auto& im = *rt->impl_;
  if (!im.span_copier) {
    std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(dst)), src, n);
    return 0;
  }
  std::lock_guard lk(im.hostcalls_lock);
  return im.span_copier->to_device(dst, src, n);
}

bool host_services::reachable(std::uint64_t address, std::size_t n) const {
  return rt->impl_->device->reachable(address, n);
}

bool host_services::dma() const { return rt->impl_->device->dma(); }

unsigned char* host_services::returned(std::uint64_t address, std::size_t n) const {
  return rt->impl_->returns->region(address, n);
}

}  // namespace hostcall_detail
}  // namespace gpustd

namespace gpustd::detail {
void program_access::set_arguments(runtime& rt, const std::vector<std::string>& args) {
  rt.impl_->process->set_arguments(args);
}
int program_access::exit_code(runtime& rt) { return rt.impl_->process->exit_code(); }
}  // namespace gpustd::detail
