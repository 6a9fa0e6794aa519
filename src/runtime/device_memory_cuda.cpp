// CUDA backend: DMA between device global memory and pinned staging, on
// streams that do not synchronise with the legacy default stream, so copies
// run while the kernel that asked for them is still running.
#include <cuda.h>
#include <cuda_runtime.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "device_memory.h"
#include "gpustd/runtime/runtime.h"

namespace gpustd::detail {
namespace {

using get_range_fn = CUresult (*)(CUdeviceptr*, std::size_t*, CUdeviceptr);

class cuda_copier final : public device_copier {
 public:
  cuda_copier(int device, std::size_t bytes) : device_(device) {
    if (cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking) != cudaSuccess ||
        cudaHostAlloc(reinterpret_cast<void**>(&staging_), bytes, cudaHostAllocPortable) != cudaSuccess) {
      cudaGetLastError();
      if (stream_) cudaStreamDestroy(stream_);
      throw runtime_error("gpustd::runtime: cannot allocate pinned staging for file transfers");
    }
  }
  ~cuda_copier() override {
    cudaFreeHost(staging_);
    cudaStreamDestroy(stream_);
  }
  unsigned char* staging() noexcept override { return staging_; }
  int to_host(void* dst, std::uint64_t src, std::size_t n) override {
    cudaSetDevice(device_);  // this thread's current device: the runtime's
    return done(cudaMemcpyAsync(dst, reinterpret_cast<const void*>(src), n, cudaMemcpyDeviceToHost, stream_));
  }
  int to_device(std::uint64_t dst, const void* src, std::size_t n) override {
    cudaSetDevice(device_);
    return done(cudaMemcpyAsync(reinterpret_cast<void*>(dst), src, n, cudaMemcpyHostToDevice, stream_));
  }

 private:
  int done(cudaError_t e) {
    if (e == cudaSuccess) e = cudaStreamSynchronize(stream_);
    if (e == cudaSuccess) return 0;
    cudaGetLastError();  // an invalid range is not sticky: clear it
    return EFAULT;
  }
  int device_;
  cudaStream_t stream_ = nullptr;
  unsigned char* staging_ = nullptr;
};

class cuda_device_memory final : public device_memory {
 public:
  cuda_device_memory() {
    cudaGetDevice(&device_);
    // With CUDA_LAUNCH_BLOCKING=1 (a debugging mode) the driver runs a copy
    // only after the running kernel ends, and the kernel waits for its copy:
    // measured to hang on an H100. Bulk requests then go through the channel.
    if (const char* v = std::getenv("CUDA_LAUNCH_BLOCKING")) dma_ = std::atoi(v) == 0;
    // The allocation's bounds come from the driver API, found through the
    // runtime so that the library needs no link against libcuda.
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult q{};
    if (cudaGetDriverEntryPointByVersion("cuMemGetAddressRange", &fn, 12000, cudaEnableDefault, &q) == cudaSuccess &&
        q == cudaDriverEntryPointSuccess)
      get_range_ = reinterpret_cast<get_range_fn>(fn);
    cudaGetLastError();
  }
  bool host_addressable() const noexcept override { return false; }
  bool reachable(std::uint64_t address, std::uint64_t n) override {
    if (address == 0 || address + n < address || !dma_) return false;
    cudaSetDevice(device_);
    cudaPointerAttributes a{};
    if (cudaPointerGetAttributes(&a, reinterpret_cast<const void*>(address)) != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    if (a.type != cudaMemoryTypeDevice && a.type != cudaMemoryTypeManaged) return false;
    if (!get_range_) return true;  // the copy itself reports a bad range
    CUdeviceptr base = 0;
    std::size_t size = 0;
    if (get_range_(&base, &size, static_cast<CUdeviceptr>(address)) != CUDA_SUCCESS) return false;
    return address + n <= static_cast<std::uint64_t>(base) + size;
  }
  bool dma() const noexcept override { return dma_; }
  void disable_dma() noexcept override { dma_ = false; }
  unsigned char* allocate_mapped(std::size_t bytes, std::uint64_t& device_address) override {
    unsigned char* p = nullptr;
    void* d = nullptr;
    if (cudaHostAlloc(reinterpret_cast<void**>(&p), bytes, cudaHostAllocMapped | cudaHostAllocPortable) != cudaSuccess ||
        cudaHostGetDevicePointer(&d, p, 0) != cudaSuccess) {
      cudaGetLastError();
      if (p) cudaFreeHost(p);
      throw runtime_error("gpustd::runtime: cannot allocate " + std::to_string(bytes) +
                          " bytes of pinned memory for the return area");
    }
    device_address = reinterpret_cast<std::uintptr_t>(d);
    return p;
  }
  void release_mapped(unsigned char* p) noexcept override {
    if (p) cudaFreeHost(p);
  }
  std::unique_ptr<device_copier> make_copier(std::size_t staging_bytes) override {
    return std::make_unique<cuda_copier>(device_, staging_bytes);
  }
  void* allocate(std::size_t bytes) override {
    void* p = nullptr;
    if (cudaError_t e = cudaMalloc(&p, bytes); e != cudaSuccess) {
      cudaGetLastError();
      throw runtime_error("gpustd::runtime: cannot allocate " + std::to_string(bytes) + " bytes of device memory: " +
                          cudaGetErrorString(e));
    }
    return p;
  }
  void release(void* p) noexcept override {
    if (p) cudaFree(p);
  }
  void upload(void* dst, const void* src, std::size_t n) override {
    if (cudaError_t e = cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice); e != cudaSuccess)
      throw runtime_error(std::string("gpustd::runtime: copy to the device: ") + cudaGetErrorString(e));
  }
  void download(void* dst, const void* src, std::size_t n) override {
    if (cudaError_t e = cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost); e != cudaSuccess)
      throw runtime_error(std::string("gpustd::runtime: copy from the device: ") + cudaGetErrorString(e));
  }

 private:
  int device_ = 0;
  bool dma_ = true;  // false with CUDA_LAUNCH_BLOCKING=1 or bulk_transfers off
  get_range_fn get_range_ = nullptr;
};

}  // namespace

std::unique_ptr<device_memory> make_device_memory() { return std::make_unique<cuda_device_memory>(); }

}  // namespace gpustd::detail
