// How the host moves bytes to and from device global memory for the bulk
// path of the file service: by DMA on the CUDA backend (pinned staging, a
// stream per host thread), in place on the CPU backend (device memory is the
// process's memory).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gpustd::detail {

// Copies for one host thread at a time.
class device_copier {
 public:
  virtual ~device_copier() = default;
  // Pinned host memory of the size asked for.
  virtual unsigned char* staging() noexcept = 0;
  // Synchronous copies on this copier's own stream, which never waits for
  // kernels. Return 0 or an errno value (EFAULT: the range is not device memory).
  virtual int to_host(void* dst, std::uint64_t src, std::size_t n) = 0;
  virtual int to_device(std::uint64_t dst, const void* src, std::size_t n) = 0;
};

class device_memory {
 public:
  virtual ~device_memory() = default;
  // True when a device address is a host address too (CPU backend): file
  // I/O then reads and writes it in place, without staging.
  virtual bool host_addressable() const noexcept = 0;
  // Whether [address, address + n) lies in one allocation the host can reach
  // by DMA (cudaMalloc, cudaMallocManaged, a __device__ variable). Memory from
  // the device heap (malloc in a kernel) cannot be: such a request is
  // answered "send it inline".
  // Without DMA (dma() false: CUDA_LAUNCH_BLOCKING=1, or the runtime's
  // bulk_transfers option off) nothing is.
  virtual bool reachable(std::uint64_t address, std::uint64_t n) = 0;
  // Whether the host may move bytes to and from device memory itself.
  virtual bool dma() const noexcept = 0;
  virtual void disable_dma() noexcept = 0;
  // Pinned host memory that device code can read (its device address in
  // `device_address`), for the return area; throws runtime_error when it
  // cannot be had.
  virtual unsigned char* allocate_mapped(std::size_t bytes, std::uint64_t& device_address) = 0;
  virtual void release_mapped(unsigned char* p) noexcept = 0;
  // A copier with `staging_bytes` of pinned memory (throws runtime_error
  // when it cannot be had). Null when host_addressable().
  virtual std::unique_ptr<device_copier> make_copier(std::size_t staging_bytes) = 0;
  // Device global memory for the runtime's own state (the process block,
  // arguments): allocated and filled while no kernel uses it. allocate
  // throws runtime_error when the device has no room.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  virtual void upload(void* dst, const void* src, std::size_t n) = 0;
  virtual void download(void* dst, const void* src, std::size_t n) = 0;
};

// Backend-specific (device_memory_cuda.cpp / device_memory_cpu.cpp).
std::unique_ptr<device_memory> make_device_memory();

// CPU backend: device addresses are this process's own, so reachable() takes
// any. A harness that sends requests the device never wrote (the fuzzer,
// tests/fuzz/) installs this check to say which ranges really are "device
// memory"; null: none. Set before a runtime starts.
using cpu_address_check = bool (*)(std::uint64_t address, std::uint64_t n);
void set_cpu_address_check(cpu_address_check check);

}  // namespace gpustd::detail
