// The return area: pinned host memory that device code reads, through which
// a typed hostcall's out_span elements come back when the host cannot write
// device memory itself (no DMA: CUDA_LAUNCH_BLOCKING=1, where a copy would
// wait for the kernel that waits for it, or runtime_options::bulk_transfers
// off). The device reserves a region (opcode::return_reserve), names it in
// the call (span_mode::returned), copies the elements out after the answer
// and gives the region back (opcode::return_release).
//
// Device code names regions by their device address; nothing it sends is
// trusted: a region is written only when it lies inside one reserved region.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>

#include "device_memory.h"

namespace gpustd::detail {

class return_area {
 public:
  // `bytes` 0: no area (every reserve fails with ENOSYS).
  return_area(device_memory& memory, std::uint64_t bytes);
  ~return_area();
  return_area(const return_area&) = delete;
  return_area& operator=(const return_area&) = delete;

  // A region of n bytes (64-byte aligned): its device address, or 0 with
  // `error` set (ENOSYS: no area; EINVAL: n is 0; ENOSPC: no room now).
  std::uint64_t reserve(std::uint64_t n, int& error);
  // Gives a region back; false when `device_address` starts none.
  bool release(std::uint64_t device_address);
  // The host's pointer to [device_address, + n) when that lies inside one
  // reserved region; null otherwise.
  unsigned char* region(std::uint64_t device_address, std::uint64_t n);

  std::uint64_t reserved_bytes();

 private:
  device_memory& memory_;
  unsigned char* host_ = nullptr;
  std::uint64_t device_ = 0;
  std::uint64_t bytes_;
  std::mutex m_;
  std::map<std::uint64_t, std::uint64_t> regions_;  // offset -> length (rounded to 64), guarded by m_
};

}  // namespace gpustd::detail
