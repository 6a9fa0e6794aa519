// A warp's request as a host handler sees it.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <type_traits>

#include "gpustd/protocol/layout.h"

namespace gpustd {

// Where the server gathers a request's answers before it writes them into
// the channel: the lanes' statuses side by side, then each lane's 56 data
// bytes, as a frame's answer lays them out (protocol/layout.h), so that each
// part is copied there in one piece.
struct request_answers {
  std::int64_t status[protocol::lanes_per_request];
  unsigned char data[protocol::lanes_per_request][protocol::inline_arg_bytes];
};
static_assert(offsetof(request_answers, data) == protocol::result_data_offset(0) &&
              sizeof(request_answers) == protocol::frame_body_bytes);

// One request: the lanes of one warp that called the same operation together.
// Lanes are addressed by rank (0 .. lanes()-1, in lane order). The server has
// validated the layout before a handler sees it: every span lies inside the
// request.
class request {
 public:
  std::uint16_t op() const noexcept { return op_; }
  std::uint32_t mask() const noexcept { return mask_; }
  unsigned lanes() const noexcept { return lanes_; }
  bool no_reply() const noexcept { return no_reply_; }
  std::uint32_t block() const noexcept { return block_; }  // caller's linear block index
  std::uint32_t warp() const noexcept { return warp_; }    // caller's warp in its block
  std::uint32_t slot() const noexcept { return slot_; }    // channel slot the request came through
  unsigned lane_of(unsigned rank) const noexcept {
    if (!lanes_known_) know_lanes();
    return lane_[rank];
  }
  // Whether any set_result() was called; if not, every lane's status is 0.
  bool answered() const noexcept { return answered_; }

  std::span<const std::byte> args(unsigned rank) const noexcept {
    if (packed_args_) return {reinterpret_cast<const std::byte*>(stream_ + rank * cell_stride_), packed_args_};
    const auto* c = cell(rank);
    return {reinterpret_cast<const std::byte*>(c->args), c->arg_bytes};
  }
  // A packed request (protocol/layout.h): every lane's argument bytes (0:
  // not packed), the lanes' arguments at packed_base() + rank * their
  // length padded to 8.
  std::uint32_t packed_arg_bytes() const noexcept { return packed_args_; }
  const unsigned char* packed_base() const noexcept { return stream_; }
  // The lane's arguments as a T; bytes the device did not send read as zero.
  template <class T>
  T arg(unsigned rank) const noexcept {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= protocol::inline_arg_bytes);
    T v{};
    auto a = args(rank);
    std::memcpy(&v, a.data(), a.size() < sizeof(T) ? a.size() : sizeof(T));
    return v;
  }
  std::span<const std::byte> payload(unsigned rank) const noexcept {
    if (!cell_stride_ || packed_args_) return {};
    return {reinterpret_cast<const std::byte*>(stream_ + payload_offset_[rank]), cell(rank)->payload_bytes};
  }
  // The lane's answer: status (>= 0 success, < 0 -errno) and up to 56 bytes.
  // (Kept small, and inlined into every handler's per-lane loop: typed
  // hostcalls call it once a lane.)
  [[gnu::always_inline]] inline void set_result(unsigned rank, std::int64_t status,
                                                std::span<const std::byte> data = {}) noexcept {
    if (!answered_) [[unlikely]]
      begin_answers();
    answers_->status[rank] = status;
    if (!data.empty()) [[unlikely]]
      set_data(rank, data);
  }
  std::int64_t status(unsigned rank) const noexcept { return answered_ ? answers_->status[rank] : 0; }
  // Whether any lane's answer carries data bytes.
  bool has_data() const noexcept { return has_data_; }
  // The most data bytes any lane's answer carries.
  std::uint32_t data_bytes() const noexcept { return data_bytes_; }
  // The answers so far (meaningful once answered()).
  const request_answers& answers() const noexcept { return *answers_; }

 private:
  friend class request_builder;
  const protocol::request_cell* cell(unsigned rank) const noexcept {
    static constexpr protocol::request_cell empty{};  // requests without cells
    return cell_stride_ ? reinterpret_cast<const protocol::request_cell*>(stream_ + rank * cell_stride_) : &empty;
  }
  const unsigned char* stream_ = nullptr;
  std::uint64_t stream_bytes_ = 0;
  std::uint32_t cell_stride_ = protocol::cell_bytes;
  std::uint32_t packed_args_ = 0;  // a packed request (layout.h): every lane's argument bytes
  request_answers* answers_ = nullptr;
  // Statuses are 0 until the first answer: written only for requests that get one.
  void begin_answers() noexcept {
    std::memset(answers_->status, 0, sizeof(std::int64_t) * lanes_);
    answered_ = true;
  }
  // Data bytes are zeroed only once some lane has any.
  void set_data(unsigned rank, std::span<const std::byte> data) noexcept {
    const std::size_t n = data.size() < protocol::inline_arg_bytes ? data.size() : protocol::inline_arg_bytes;
    if (!has_data_) {
      std::memset(answers_->data, 0, sizeof answers_->data[0] * lanes_);
      has_data_ = true;
    }
    std::memcpy(answers_->data[rank], data.data(), n);
    if (n > data_bytes_) data_bytes_ = static_cast<std::uint32_t>(n);
  }
  // Filled by request_builder for the request's lanes only (not zeroed first:
  // this object is built for every request).
  std::uint32_t payload_offset_[protocol::lanes_per_request];
  // Lane numbers by rank, worked out from the mask when first asked for
  // (most requests never ask: nothing per lane for them).
  void know_lanes() const noexcept {
    unsigned rank = 0;
    for (std::uint32_t m = mask_; m; m &= m - 1, ++rank) lane_[rank] = static_cast<unsigned char>(std::countr_zero(m));
    lanes_known_ = true;
  }
  mutable unsigned char lane_[protocol::lanes_per_request];
  mutable bool lanes_known_ = false;
  std::uint16_t op_ = 0;
  std::uint32_t mask_ = 0;
  unsigned lanes_ = 0;
  bool no_reply_ = false;
  bool has_data_ = false;
  std::uint32_t data_bytes_ = 0;
  bool answered_ = false;
  std::uint32_t block_ = 0, warp_ = 0, slot_ = 0;
};

using handler = std::function<void(request&)>;

// Where a handler runs. `polling`: on the server thread that found the
// request (for handlers that finish in microseconds). `blocking`: on the
// runtime's pool, so that a handler that waits (stdin, sleep, a slow device)
// never stalls other requests; later requests from the same slot wait.
enum class handler_kind { polling, blocking };

}  // namespace gpustd
