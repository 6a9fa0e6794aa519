// The channel's memory, allocated per backend: pinned mapped host memory and
// device memory on CUDA, ordinary memory on the CPU backend.
#pragma once
#include <memory>
#include <string>

#include "gpustd/hostcall/wire.h"
#include "gpustd/protocol/layout.h"
#include "gpustd/runtime/options.h"

namespace gpustd::detail {

// Cells of the future arena, rounded up to whole words of its bitmap (a bit
// per group of cells; hostcall/wire.h).
constexpr std::uint32_t future_arena_cells(std::uint32_t wanted) {
  constexpr std::uint32_t word = 32 * protocol::future_group_cells;
  return (wanted + word - 1) / word * word;
}

// The host's pointers to the channel.
struct channel_host {
  protocol::frame_header* headers = nullptr;  // frame i: headers[i], bodies[i] (layout.h)
  protocol::frame_body* bodies = nullptr;
  std::uint32_t* doorbells = nullptr;
  std::uint32_t slot_count = 0;
  std::uint32_t frames_per_slot = 0;
  std::uint32_t max_request_bytes = 0;
  protocol::future_cell* futures = nullptr;  // the future arena (hostcall/wire.h)
  std::uint32_t future_count = 0;
  std::int64_t* batch_lanes = nullptr;  // batches' own lines (hostcall/wire.h)
  std::uint32_t batch_lane_count = 0;

  // The index of the slot's ring of frames_per_slot frames (a power of
  // two), and of the one that carries sequence number `seq`.
  std::uint64_t ring_of(std::uint32_t slot) const noexcept { return std::uint64_t(slot) * frames_per_slot; }
  std::uint64_t index_for(std::uint32_t slot, std::uint32_t seq) const noexcept {
    return ring_of(slot) + (seq & (frames_per_slot - 1));
  }
  protocol::frame_ref frame_at(std::uint64_t index) const noexcept { return {headers[index], bodies[index].bytes}; }
  protocol::frame_ref frame_for(std::uint32_t slot, std::uint32_t seq) const noexcept {
    return frame_at(index_for(slot, seq));
  }
  // The slot's progress word (layout.h): in its ring's first header.
  std::uint32_t& progress_of(std::uint32_t slot) const noexcept { return headers[ring_of(slot)].progress; }
};

class channel_memory {
 public:
  virtual ~channel_memory() = default;
  virtual const channel_host& host() const noexcept = 0;
  // Makes the channel visible to device code (every registered symbol), or
  // hides it again.
  virtual void publish() = 0;
  // The process block device code finds through the view (set before publish).
  virtual void set_process(protocol::process_state* p) = 0;
  virtual void retract() noexcept = 0;
  // Waits for launched device work; returns an error message or "".
  virtual std::string wait_for_device() = 0;
};

// Backend-specific (channel_memory_cuda.cpp / channel_memory_cpu.cpp).
// Resolves the option defaults that depend on the device.
std::unique_ptr<channel_memory> make_channel_memory(runtime_options& options);

// For tests that step client and server by hand: ordinary memory, and the
// view device code would use.
struct plain_channel {
  std::unique_ptr<protocol::frame_header[]> headers;
  std::unique_ptr<protocol::frame_body[]> bodies;
  std::unique_ptr<std::uint32_t[]> doorbells;
  std::unique_ptr<protocol::slot_state[]> slots;
  std::unique_ptr<protocol::future_cell[]> futures;
  std::unique_ptr<std::uint32_t[]> future_bits;
  std::unique_ptr<protocol::future_group[]> future_groups;
  std::unique_ptr<std::int64_t[]> batch_lanes;
  std::unique_ptr<std::uint32_t[]> batch_lane_state;
  channel_host host;
  protocol::channel_view view;
  // batch_lane_count: rounded up to a multiple of 32.
  plain_channel(std::uint32_t slot_count, std::uint32_t frames_per_slot, std::uint32_t max_request_bytes,
                std::uint32_t future_count = 0, std::uint32_t batch_lane_count = 0);
};

}  // namespace gpustd::detail
