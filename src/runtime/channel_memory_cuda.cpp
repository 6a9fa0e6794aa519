// CUDA backend: frames and doorbells in pinned host memory mapped into the
// device's address space, slot states in device memory, and the view written
// into every translation unit's __constant__ copy (protocol/channel_symbol.h).
#include <cuda_runtime.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "channel_memory.h"
#include "gpustd/runtime/runtime.h"

namespace gpustd::detail {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<const void*>& registry() {
  static std::vector<const void*> symbols;
  return symbols;
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw runtime_error(std::string("gpustd::runtime: ") + what + ": " + cudaGetErrorString(e));
}

class cuda_channel_memory;
cuda_channel_memory* live = nullptr;  // guarded by registry_mutex

// Zeroed host memory, pinned and mapped into the device's address space.
// With `huge`: anonymous memory aligned to 2 MiB that the kernel is asked to
// back with transparent huge pages, faulted in, then registered with CUDA
// (under load the server reads a frame on another page each time, and with
// 4 KiB pages each read cost a TLB miss; 143 MB of frames on an H100 fit in
// about 70 huge pages). Where mapping, advice or registration fails:
// cudaHostAlloc, as without `huge`.
class pinned_block {
 public:
  pinned_block(std::size_t bytes, bool huge, const char* what) {
    if (huge && map_huge(bytes)) return;
    check(cudaHostAlloc(&base_, bytes, cudaHostAllocMapped | cudaHostAllocPortable),
          (std::string("cudaHostAlloc of ") + what).c_str());
    std::memset(base_, 0, bytes);
  }
  pinned_block(const pinned_block&) = delete;
  pinned_block& operator=(const pinned_block&) = delete;
  ~pinned_block() {
    if (mapped_bytes_) {
      cudaHostUnregister(base_);
      ::munmap(base_, mapped_bytes_);
    } else if (base_) {
      cudaFreeHost(base_);
    }
  }
  void* host() const noexcept { return base_; }

 private:
  bool map_huge(std::size_t bytes) {
    constexpr std::size_t huge = std::size_t(2) << 20;
    const std::size_t size = (bytes + huge - 1) / huge * huge;
    void* m = ::mmap(nullptr, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return false;
    // Keep the 2 MiB-aligned part; give back what is before and after it.
    const auto start = reinterpret_cast<std::uintptr_t>(m);
    const std::uintptr_t aligned = (start + huge - 1) & ~(std::uintptr_t(huge) - 1);
    if (aligned > start) ::munmap(m, aligned - start);
    if (const std::size_t tail = start + huge - aligned) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
    void* p = reinterpret_cast<void*>(aligned);
    // (MADV_DONTFORK: a child process must never get, or copy, pages the
    // device writes by DMA.)
    if (::madvise(p, size, MADV_HUGEPAGE) != 0 || ::madvise(p, size, MADV_DONTFORK) != 0) {
      ::munmap(p, size);
      return false;
    }
    std::memset(p, 0, size);  // faults the pages in (as huge ones, where the kernel has them)
    if (cudaHostRegister(p, size, cudaHostRegisterMapped | cudaHostRegisterPortable) != cudaSuccess) {
      (void)cudaGetLastError();  // (not sticky: cleared, and cudaHostAlloc tried instead)
      ::munmap(p, size);
      return false;
    }
    base_ = p;
    mapped_bytes_ = size;
    return true;
  }
  void* base_ = nullptr;
  std::size_t mapped_bytes_ = 0;  // mapped and registered by map_huge; 0: cudaHostAlloc's
};

class cuda_channel_memory final : public channel_memory {
 public:
  explicit cuda_channel_memory(const runtime_options& o) {
    const std::size_t nframes = std::size_t(o.slots) * o.frames_per_slot;
    // Headers, then bodies (layout.h), then the doorbells.
    const std::size_t header_bytes = nframes * sizeof(protocol::frame_header);
    const std::size_t frame_bytes = header_bytes + nframes * sizeof(protocol::frame_body);
    const std::size_t bell_bytes = o.slots * sizeof(std::uint32_t);
    channel_block_ = std::make_unique<pinned_block>(frame_bytes + bell_bytes, o.channel_huge_pages, "the channel");
    void* const host_base = channel_block_->host();
    void* dev_base = nullptr;
    check(cudaHostGetDevicePointer(&dev_base, host_base, 0), "cudaHostGetDevicePointer");
    check(cudaMalloc(&slots_, o.slots * sizeof(protocol::slot_state)), "cudaMalloc of the slot states");
    // errno: one int per thread the GPU can hold resident (gpustd/files/errno.h).
    int dev = 0;
    check(cudaGetDevice(&dev), "cudaGetDevice");
    int sms = 0, warps_per_sm = 64;
    check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "cudaDeviceGetAttribute");
    int threads_per_sm = 0;
    check(cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, dev),
          "cudaDeviceGetAttribute");
    if (threads_per_sm / 32 > warps_per_sm) warps_per_sm = threads_per_sm / 32;
    errno_slots_ = static_cast<std::uint32_t>(sms) * static_cast<std::uint32_t>(warps_per_sm) * 32u;
    check(cudaMalloc(&errno_table_, errno_slots_ * sizeof(std::int32_t)), "cudaMalloc of the errno table");
    check(cudaMemset(errno_table_, 0, errno_slots_ * sizeof(std::int32_t)), "cudaMemset of the errno table");
    std::vector<protocol::slot_state> init(o.slots, protocol::initial_slot_state);
    check(cudaMemcpy(slots_, init.data(), o.slots * sizeof(protocol::slot_state), cudaMemcpyHostToDevice),
          "initialising the slot states");
    // The future arena: cells in pinned mapped memory; in device memory, a
    // bit and a state per group of cells, and each resident thread's open group.
    future_count_ = future_arena_cells(o.future_slots);
    protocol::future_cell* futures_host = nullptr;
    if (future_count_) {
      futures_block_ = std::make_unique<pinned_block>(future_count_ * sizeof(protocol::future_cell),
                                                      o.channel_huge_pages, "the future arena");
      futures_host = static_cast<protocol::future_cell*>(futures_block_->host());
      check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&futures_dev_), futures_host, 0),
            "cudaHostGetDevicePointer of the future arena");
      const std::size_t groups = future_count_ / protocol::future_group_cells;
      check(cudaMalloc(&future_bits_, groups / 8), "cudaMalloc of the future bitmap");
      check(cudaMemset(future_bits_, 0, groups / 8), "cudaMemset of the future bitmap");
      check(cudaMalloc(&future_groups_, groups * sizeof(protocol::future_group)), "cudaMalloc of the future groups");
      check(cudaMemset(future_groups_, 0, groups * sizeof(protocol::future_group)), "cudaMemset of the future groups");
      check(cudaMalloc(&thread_groups_, errno_slots_ * sizeof(std::uint32_t)), "cudaMalloc of the threads' groups");
      check(cudaMemset(thread_groups_, 0, errno_slots_ * sizeof(std::uint32_t)), "cudaMemset of the threads' groups");
    }
    // Batches' own lines (hostcall/wire.h): words in pinned mapped memory,
    // a state word per lane in device memory.
    std::int64_t* batch_lanes_host = nullptr;
    if (o.batch_lanes) {
      batch_lane_count_ = errno_slots_;  // (a multiple of 32)
      batch_lanes_block_ = std::make_unique<pinned_block>(
          std::size_t(batch_lane_count_ / 32) * protocol::batch_lane_words * sizeof(std::int64_t), o.channel_huge_pages,
          "the batches' lines");
      batch_lanes_host = static_cast<std::int64_t*>(batch_lanes_block_->host());
      check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&batch_lanes_dev_), batch_lanes_host, 0),
            "cudaHostGetDevicePointer of the batches' lines");
      check(cudaMalloc(&batch_lane_state_, batch_lane_count_ * sizeof(std::uint32_t)),
            "cudaMalloc of the batches' lane states");
      check(cudaMemset(batch_lane_state_, 0, batch_lane_count_ * sizeof(std::uint32_t)),
            "cudaMemset of the batches' lane states");
    }
    auto* const host_bytes = static_cast<char*>(host_base);
    auto* const dev_bytes = static_cast<char*>(dev_base);
    host_ = {reinterpret_cast<protocol::frame_header*>(host_bytes),
             reinterpret_cast<protocol::frame_body*>(host_bytes + header_bytes),
             reinterpret_cast<std::uint32_t*>(host_bytes + frame_bytes),
             o.slots, o.frames_per_slot, o.max_request_bytes, futures_host, future_count_};
    view_ = {reinterpret_cast<protocol::frame_header*>(dev_bytes),
             reinterpret_cast<protocol::frame_body*>(dev_bytes + header_bytes),
             reinterpret_cast<std::uint32_t*>(dev_bytes + frame_bytes),
             slots_, o.slots, o.frames_per_slot, o.max_request_bytes, errno_slots_, errno_table_,
             futures_dev_, future_bits_, future_count_};
    view_.future_groups = future_groups_;
    view_.thread_future_group = thread_groups_;
    host_.batch_lanes = batch_lanes_host;
    host_.batch_lane_count = batch_lane_count_;
    view_.batch_lanes = batch_lanes_dev_;
    view_.batch_lane_count = batch_lane_count_;
    view_.batch_lane_state = batch_lane_state_;
  }
  ~cuda_channel_memory() override {
    retract();
    cudaFree(slots_);
    cudaFree(errno_table_);
    cudaFree(future_bits_);
    cudaFree(future_groups_);
    cudaFree(thread_groups_);
    cudaFree(batch_lane_state_);
  }
  const channel_host& host() const noexcept override { return host_; }

  void publish() override {
    std::lock_guard lk(registry_mutex());
    for (const void* sym : registry()) write_symbol(sym, view_);
    live = this;
  }
  void set_process(protocol::process_state* p) override { view_.process = p; }
  void retract() noexcept override {
    std::lock_guard lk(registry_mutex());
    if (live != this) return;
    live = nullptr;
    for (const void* sym : registry()) {
      try {
        write_symbol(sym, {});
      } catch (...) {  // the context may be gone at process exit
      }
    }
  }
  std::string wait_for_device() override {
    cudaError_t e = cudaDeviceSynchronize();
    return e == cudaSuccess ? std::string() : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
  }
  void publish_to(const void* sym) { write_symbol(sym, view_); }

 private:
  static void write_symbol(const void* sym, const protocol::channel_view& v) {
    check(cudaMemcpyToSymbol(sym, &v, sizeof v), "cudaMemcpyToSymbol of the channel view");
  }
  std::unique_ptr<pinned_block> channel_block_, futures_block_, batch_lanes_block_;  // the host memory (host_)
  protocol::slot_state* slots_ = nullptr;
  std::int32_t* errno_table_ = nullptr;
  std::uint32_t errno_slots_ = 0;
  protocol::future_cell* futures_dev_ = nullptr;
  std::uint32_t* future_bits_ = nullptr;
  protocol::future_group* future_groups_ = nullptr;
  std::uint32_t* thread_groups_ = nullptr;
  std::uint32_t future_count_ = 0;
  std::int64_t* batch_lanes_dev_ = nullptr;
  std::uint32_t* batch_lane_state_ = nullptr;
  std::uint32_t batch_lane_count_ = 0;
  channel_host host_;
  protocol::channel_view view_;
};

}  // namespace

std::unique_ptr<channel_memory> make_channel_memory(runtime_options& o) {
  if (o.slots == 0) {  // (the other options were checked by the runtime)
    int dev = 0;
    check(cudaGetDevice(&dev), "cudaGetDevice");
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, dev), "cudaGetDeviceProperties");
    o.slots = static_cast<unsigned>(p.multiProcessorCount) * static_cast<unsigned>(p.maxThreadsPerMultiProcessor / 32);
  }
  return std::make_unique<cuda_channel_memory>(o);
}

}  // namespace gpustd::detail

namespace gpustd::protocol {
// A translation unit registers its copy of the view during static
// initialisation; one loaded later (dlopen) while a runtime is live gets the
// view at once.
void register_channel_symbol(const void* symbol) {
  std::lock_guard lk(detail::registry_mutex());
  detail::registry().push_back(symbol);
  if (detail::live) detail::live->publish_to(symbol);
}
}  // namespace gpustd::protocol
