// The bulk path: moves a large range of device global memory to or from a
// file in chunks, several host threads at once, each copying its chunk by
// DMA (its own stream and pinned staging) and then writing it with pwrite
// (or reading with pread and then copying), so that DMA and file I/O of
// different chunks overlap and the filesystem sees parallel writers.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../../runtime/device_memory.h"

namespace gpustd::detail {

class bulk_mover {
 public:
  struct transfer {
    int host_fd = -1;
    bool write = false;
    // Positioned: chunks go to offset + k * chunk in parallel (pread/pwrite).
    // Otherwise (a pipe, an O_APPEND descriptor): one thread, in order, with
    // read/write.
    bool positioned = true;
    std::int64_t offset = 0;
    std::uint64_t address = 0;
    std::uint64_t length = 0;
  };

  // Allocates every thread's stream and pinned staging now: allocating
  // page-locked memory may wait for running kernels, and a kernel waiting
  // for its own transfer would then never finish.
  bulk_mover(device_memory& memory, unsigned threads, std::size_t chunk_bytes);
  ~bulk_mover();
  bulk_mover(const bulk_mover&) = delete;
  bulk_mover& operator=(const bulk_mover&) = delete;

  // Moves the range. Returns the bytes moved (a read stops at end of file;
  // a write that fails part way counts the bytes before the failure) or
  // -errno when nothing moved.
  std::int64_t run(const transfer& t);

  std::size_t chunk_bytes() const noexcept { return chunk_; }

 private:
  struct job;
  void start_locked();
  void work(unsigned index);
  std::int64_t move_chunk(device_copier* copier, const transfer& t, std::uint64_t at, std::uint64_t n);

  device_memory& memory_;
  const unsigned threads_;
  const std::size_t chunk_;
  std::mutex lock_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<job>> jobs_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<device_copier>> copiers_;  // one per thread (none on the CPU backend)
  std::vector<std::thread> workers_;  // started at the first transfer
};

}  // namespace gpustd::detail
