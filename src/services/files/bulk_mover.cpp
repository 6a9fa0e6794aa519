#include "bulk_mover.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "../../runtime/thread_signals.h"

namespace gpustd::detail {

namespace {
constexpr std::uint64_t preallocate_min_bytes = 64u << 20;
}

struct bulk_mover::job {
  transfer t;
  std::uint64_t chunks = 0;
  std::uint64_t next = 0;       // next chunk to claim (under lock_)
  std::uint64_t finished = 0;   // chunks done (under lock_)
  std::vector<std::int64_t> result;  // per chunk: bytes moved or -errno
  std::condition_variable done;
};

bulk_mover::bulk_mover(device_memory& memory, unsigned threads, std::size_t chunk_bytes)
    : memory_(memory), threads_(std::max(1u, threads)), chunk_(std::max<std::size_t>(chunk_bytes, 1u << 16)) {
  if (!memory_.host_addressable())
    for (unsigned i = 0; i < threads_; ++i) copiers_.push_back(memory_.make_copier(chunk_));
}

bulk_mover::~bulk_mover() {
  {
    std::lock_guard lk(lock_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void bulk_mover::start_locked() {
  if (!workers_.empty()) return;
  for (unsigned i = 0; i < threads_; ++i) workers_.emplace_back([this, i] { work(i); });
}

namespace {
// Full-length pread/pwrite (or read/write when not positioned), retrying
// after EINTR and short transfers. Returns the bytes moved, or -errno when
// none moved.
std::int64_t file_io(const bulk_mover::transfer& t, unsigned char* p, std::uint64_t n, std::int64_t at) {
  std::uint64_t done = 0;
  while (done < n) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n - done, 1ull << 30));
    ssize_t r;
    if (t.positioned)
      r = t.write ? ::pwrite(t.host_fd, p + done, want, at + static_cast<std::int64_t>(done))
                  : ::pread(t.host_fd, p + done, want, at + static_cast<std::int64_t>(done));
    else
      r = t.write ? ::write(t.host_fd, p + done, want) : ::read(t.host_fd, p + done, want);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return done ? static_cast<std::int64_t>(done) : -errno;
    if (r == 0) break;  // end of file (read); a write of 0 bytes: give up
    done += static_cast<std::uint64_t>(r);
  }
  return static_cast<std::int64_t>(done);
}
}  // namespace

std::int64_t bulk_mover::move_chunk(device_copier* copier, const transfer& t, std::uint64_t at, std::uint64_t n) {
  const std::int64_t file_at = t.offset + static_cast<std::int64_t>(at);
  if (!copier)  // the device address is a host address: I/O in place
    return file_io(t, reinterpret_cast<unsigned char*>(static_cast<std::uintptr_t>(t.address + at)), n, file_at);
  unsigned char* stage = copier->staging();
  if (t.write) {
    if (const int e = copier->to_host(stage, t.address + at, n)) return -e;
    return file_io(t, stage, n, file_at);
  }
  const std::int64_t got = file_io(t, stage, n, file_at);
  if (got > 0)
    if (const int e = copier->to_device(t.address + at, stage, static_cast<std::size_t>(got))) return -e;
  return got;
}

void bulk_mover::work(unsigned index) {
  block_sigpipe_in_this_thread();
  device_copier* copier = copiers_.empty() ? nullptr : copiers_[index].get();
  std::unique_lock lk(lock_);
  for (;;) {
    wake_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, nothing left
    std::shared_ptr<job> j = jobs_.front();
    // A positioned transfer shares its chunks among the threads; any other
    // goes to one thread, which moves its chunks in order.
    const std::uint64_t k = j->next;
    const std::uint64_t last = j->t.positioned ? k + 1 : j->chunks;
    j->next = last;
    if (j->next >= j->chunks) jobs_.pop_front();
    lk.unlock();
    for (std::uint64_t c = k; c < last; ++c) {
      const std::uint64_t at = c * chunk_;
      const std::uint64_t n = std::min<std::uint64_t>(chunk_, j->t.length - at);
      const std::int64_t r = move_chunk(copier, j->t, at, n);
      j->result[c] = r;
      if (!j->t.positioned && r != static_cast<std::int64_t>(n)) {  // in order: stop at the first short one
        for (std::uint64_t rest = c + 1; rest < last; ++rest) j->result[rest] = 0;
        break;
      }
    }
    lk.lock();
    j->finished += last - k;
    if (j->finished == j->chunks) j->done.notify_all();
  }
}

std::int64_t bulk_mover::run(const transfer& t) {
  if (t.length == 0) return 0;
  // A large write past the end of a file: its blocks are reserved first, in
  // one call, rather than by every chunk's write under the file's lock
  // (measured on ext4: 8 parallel pwrites of 4 GiB, 3.8 -> 5.0 GB/s). The
  // size does not change until the bytes are written; a filesystem without
  // fallocate just skips this.
  if (t.write && t.positioned && t.length >= preallocate_min_bytes) {
    struct stat st{};
    if (::fstat(t.host_fd, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<std::uint64_t>(st.st_size) < static_cast<std::uint64_t>(t.offset) + t.length)
      (void)::fallocate(t.host_fd, FALLOC_FL_KEEP_SIZE, t.offset, static_cast<off_t>(t.length));
  }
  auto j = std::make_shared<job>();
  j->t = t;
  j->chunks = (t.length + chunk_ - 1) / chunk_;
  j->result.assign(j->chunks, 0);
  {
    std::unique_lock lk(lock_);
    start_locked();
    jobs_.push_back(j);
    if (t.positioned) wake_.notify_all();
    else wake_.notify_one();
    j->done.wait(lk, [&] { return j->finished == j->chunks; });
  }
  // The bytes before the first chunk that fell short.
  std::int64_t total = 0;
  for (std::uint64_t c = 0; c < j->chunks; ++c) {
    const std::int64_t r = j->result[c];
    const std::uint64_t n = std::min<std::uint64_t>(chunk_, t.length - c * chunk_);
    if (r < 0) return total ? total : r;
    total += r;
    if (static_cast<std::uint64_t>(r) < n) break;
  }
  return total;
}

}  // namespace gpustd::detail
