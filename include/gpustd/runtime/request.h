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
  void set_result(unsigned rank, std::int64_t status, std::span<const std::byte> data = {}) noexcept {
    if (!answered_) {  // statuses are 0 until the first answer: written only for requests that get one
      for (unsigned i = 0; i < lanes_; ++i) results_[i].status = 0;
      answered_ = true;
    }
    results_[rank].status = status;
    const std::size_t n = data.size() < protocol::inline_arg_bytes ? data.size() : protocol::inline_arg_bytes;
    if (n) {
      if (!has_data_) {  // data bytes are zeroed only once some lane has any
        for (unsigned i = 0; i < lanes_; ++i) std::memset(results_[i].data, 0, sizeof results_[i].data);
        has_data_ = true;
      }
      std::memcpy(results_[rank].data, data.data(), n);
      if (n > data_bytes_) data_bytes_ = static_cast<std::uint32_t>(n);
    }
  }
  std::int64_t status(unsigned rank) const noexcept { return answered_ ? results_[rank].status : 0; }
  // Whether any lane's answer carries data bytes.
  bool has_data() const noexcept { return has_data_; }
  // The most data bytes any lane's answer carries.
  std::uint32_t data_bytes() const noexcept { return data_bytes_; }
  const protocol::result_cell* results() const noexcept { return results_; }

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
  protocol::result_cell* results_ = nullptr;
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
