#include "gpustd/runtime/runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "../services/services.h"
#include "blocking_pool.h"
#include "channel_memory.h"
#include "device_memory.h"
#include "handler_table.h"
#include "runtime_log.h"
#include "server.h"

namespace gpustd {

namespace {
std::atomic<runtime*> current_runtime{nullptr};  // acq_rel exchange: one runtime at a time

runtime_options resolve(runtime_options o) {
  if (o.server_threads == 0) o.server_threads = std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u);
  if (o.pool_threads == 0) o.pool_threads = 1;
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
  std::unique_ptr<detail::channel_memory> memory;
  detail::runtime_log log;
  detail::console_service console;
  detail::stdin_service input;
  std::unique_ptr<detail::device_memory> device;
  detail::file_service files;
  detail::handler_table handlers;
  detail::blocking_pool pool;
  detail::server srv;

  explicit impl(runtime_options o)
      : options(o),
        memory(detail::make_channel_memory(options)),
        log(options.log_fd),
        console(options, log),
        input(options.stdin_fd),
        device(detail::make_device_memory()),
        files(options, *device, log),
        pool(options.pool_threads),
        srv(memory->host(), handlers, pool, log, options.reassembly_budget_bytes) {}
};

runtime::runtime(const runtime_options& options) {
  runtime* expected = nullptr;
  if (!current_runtime.compare_exchange_strong(expected, this, std::memory_order_acq_rel))
    throw runtime_error("gpustd::runtime: a runtime already serves this process");
  try {
    impl_ = std::make_unique<impl>(resolve(options));
    detail::register_null_call(impl_->handlers);
    impl_->console.register_ops(impl_->handlers);
    impl_->input.register_ops(impl_->handlers);
    impl_->files.register_ops(impl_->handlers);
    impl_->console.set_file_writer(
        [files = &impl_->files](int fd, std::string_view text) { return files->write_text(fd, text); });
    impl_->srv.start(impl_->options.server_threads, impl_->options.spin_us, impl_->options.max_sleep_us);
    impl_->memory->publish();
  } catch (...) {
    impl_.reset();
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
  impl_.reset();
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
  if (!fn) throw runtime_error("gpustd::runtime::register_handler: empty handler");
  impl_->handlers.set(op, std::move(fn), kind);
}

runtime_stats runtime::stats() const { return impl_->srv.stats(); }
const runtime_options& runtime::options() const noexcept { return impl_->options; }
runtime* runtime::current() noexcept { return current_runtime.load(std::memory_order_acquire); }

}  // namespace gpustd
