// CPU backend: the channel in ordinary memory, published through the
// process-wide protocol::cpu_channel.
#include <thread>

#include "channel_memory.h"
#include "gpustd/platform/cpu/emulator.h"
#include "gpustd/protocol/channel_symbol.h"

namespace gpustd::protocol {
// Only CUDA translation units have per-unit copies to register.
void register_channel_symbol(const void*) {}
}  // namespace gpustd::protocol

namespace gpustd::detail {
namespace {

class cpu_channel_memory final : public channel_memory {
 public:
  explicit cpu_channel_memory(const runtime_options& o)
      : plain_(o.slots, o.frames_per_slot, o.max_request_bytes, o.future_slots,
               o.batch_lanes ? cpu::resident_warp_capacity * 32 : 0) {}
  const channel_host& host() const noexcept override { return plain_.host; }
  // Launches on the CPU backend return when their grid is done, so kernels
  // never run while this changes.
  void publish() override { protocol::cpu_channel = plain_.view; }
  void set_process(protocol::process_state* p) override { plain_.view.process = p; }
  void retract() noexcept override { protocol::cpu_channel = {}; }
  std::string wait_for_device() override { return {}; }

 private:
  plain_channel plain_;
};

}  // namespace

std::unique_ptr<channel_memory> make_channel_memory(runtime_options& o) {
  if (o.slots == 0) o.slots = 64;
  return std::make_unique<cpu_channel_memory>(o);
}

}  // namespace gpustd::detail
