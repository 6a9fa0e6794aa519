#include "channel_memory.h"

#include <cstring>
#include <stdexcept>

namespace gpustd::detail {

plain_channel::plain_channel(std::uint32_t slot_count, std::uint32_t frames_per_slot,
                             std::uint32_t max_request_bytes, std::uint32_t future_count,
                             std::uint32_t batch_lane_count) {
  if (slot_count == 0) throw std::invalid_argument("gpustd: the channel needs at least one slot");
  if (frames_per_slot < 2 || (frames_per_slot & (frames_per_slot - 1)))
    throw std::invalid_argument("gpustd: frames_per_slot must be a power of two >= 2");
  if (max_request_bytes < protocol::frame_body_bytes)
    throw std::invalid_argument("gpustd: max_request_bytes must be at least one frame (2048)");
  const std::size_t nframes = std::size_t(slot_count) * frames_per_slot;
  headers.reset(new protocol::frame_header[nframes]);
  bodies.reset(new protocol::frame_body[nframes]);
  doorbells.reset(new std::uint32_t[slot_count]);
  slots.reset(new protocol::slot_state[slot_count]);
  std::memset(static_cast<void*>(headers.get()), 0, nframes * sizeof(protocol::frame_header));
  std::memset(static_cast<void*>(bodies.get()), 0, nframes * sizeof(protocol::frame_body));
  std::memset(doorbells.get(), 0, slot_count * sizeof(std::uint32_t));
  for (std::uint32_t s = 0; s < slot_count; ++s) slots[s] = protocol::initial_slot_state;
  future_count = future_arena_cells(future_count);
  if (future_count) {
    futures.reset(new protocol::future_cell[future_count]());
    future_bits.reset(new std::uint32_t[future_count / protocol::future_group_cells / 32]());
    future_groups.reset(new protocol::future_group[future_count / protocol::future_group_cells]());
  }
  batch_lane_count = (batch_lane_count + 31) / 32 * 32;
  if (batch_lane_count) {
    batch_lanes.reset(new std::int64_t[std::size_t(batch_lane_count / 32) * protocol::batch_lane_words]());
    batch_lane_state.reset(new std::uint32_t[batch_lane_count]());
  }
  host = {headers.get(), bodies.get(), doorbells.get(), slot_count, frames_per_slot, max_request_bytes, futures.get(), future_count};
  host.batch_lanes = batch_lanes.get();
  host.batch_lane_count = batch_lane_count;
  view = {headers.get(), bodies.get(), doorbells.get(), slots.get(), slot_count, frames_per_slot, max_request_bytes, 0, nullptr,
          futures.get(), future_bits.get(), future_count};
  view.future_groups = future_groups.get();  // (each thread's open group: per OS thread here)
  view.batch_lanes = batch_lanes.get();
  view.batch_lane_count = batch_lane_count;
  view.batch_lane_state = batch_lane_state.get();
}

}  // namespace gpustd::detail
