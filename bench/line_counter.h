// A pipe whose reading end a thread drains, counting the lines: the
// benchmarks' console sink, so that lines lost are counted, not assumed.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

// Reads the pipe and counts lines.
struct line_counter {
  int read_fd = -1, write_fd = -1;
  std::atomic<unsigned long long> lines{0};
  std::thread reader;
  line_counter(const line_counter&) = delete;
  line_counter& operator=(const line_counter&) = delete;
  line_counter() {
    int p[2];
    if (::pipe(p) != 0) std::exit(1);
    read_fd = p[0];
    write_fd = p[1];
    ::fcntl(write_fd, F_SETPIPE_SZ, 1 << 20);
    reader = std::thread([this] {
      std::vector<char> buf(1 << 20);
      for (ssize_t n; (n = ::read(read_fd, buf.data(), buf.size())) > 0;)
        lines.fetch_add(static_cast<unsigned long long>(std::count(buf.data(), buf.data() + n, '\n')),
                        std::memory_order_relaxed);
    });
  }
  // (A caller may close write_fd and join the reader itself first.)
  ~line_counter() {
    if (reader.joinable()) {
      ::close(write_fd);
      reader.join();
    }
    ::close(read_fd);
  }
  // Waits until `expected` lines were read, or until none came for a second.
  // (It looks every 10 µs: a coarser step would be most of a small shape's time.)
  unsigned long long wait_for(unsigned long long expected) {
    using clock = std::chrono::steady_clock;
    unsigned long long last = lines.load();
    auto last_change = clock::now();
    while (last < expected && clock::now() - last_change < std::chrono::seconds(1)) {
      std::this_thread::sleep_for(std::chrono::microseconds(10));
      const unsigned long long now = lines.load();
      if (now != last) last_change = clock::now();
      last = now;
    }
    return last;
  }
};
