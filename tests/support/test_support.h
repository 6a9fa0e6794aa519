// Helpers shared by the CPU and GPU test suites.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <gpustd/gpustd.h>

namespace gpustd::test {

// Work sizes shrink under ThreadSanitizer, which runs every lane ~10x slower.
#if defined(__SANITIZE_THREAD__)
inline constexpr unsigned scale_divisor = 8;
#else
inline constexpr unsigned scale_divisor = 1;
#endif
inline constexpr unsigned scaled(unsigned n) { return n / scale_divisor ? n / scale_divisor : 1; }

// Memory that kernels write and the host reads after synchronize().
template <class T>
class shared_array {
 public:
  explicit shared_array(std::size_t n) : n_(n) {
    if (cudaMallocManaged(&p_, n * sizeof(T)) != cudaSuccess) throw std::bad_alloc();
    cudaMemset(p_, 0, n * sizeof(T));
    cudaDeviceSynchronize();
  }
  ~shared_array() { cudaFree(p_); }
  shared_array(const shared_array&) = delete;
  T* data() const { return p_; }
  T& operator[](std::size_t i) const { return p_[i]; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_;
};

// A temporary file that stands in for stdout or stderr.
class captured_file {
 public:
  captured_file() {
    char name[] = "/tmp/gpustd-test-XXXXXX";
    fd_ = ::mkstemp(name);
    if (fd_ < 0) throw std::runtime_error("mkstemp failed");
    path_ = name;
  }
  ~captured_file() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  std::string contents() const {
    std::string out;
    const int rd = ::open(path_.c_str(), O_RDONLY);
    char buf[65536];
    for (ssize_t n; (n = ::read(rd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(rd);
    return out;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

// Launch options that let many blocks run at once (the test kernels use no
// __shared__ memory unless they say so).
inline launch_options many_blocks(unsigned n) {
  launch_options o;
#if GPUSTD_BACKEND_CPU
  o.cpu.concurrent_blocks = n;
#else
  (void)n;
#endif
  return o;
}

}  // namespace gpustd::test
