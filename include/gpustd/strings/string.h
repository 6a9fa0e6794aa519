// gpustd::string — a growable string that device code can own.
//
// Its bytes live on the device heap (malloc in device code; the heap is 8 MiB
// unless cudaLimitMallocHeapSize raises it) or, on the CPU backend, on the
// process heap. It holds what device code reads (gpustd::getline) and builds;
// print, printf and cout take it like std::string. A failed allocation leaves
// the string as it was and makes append() return false.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "gpustd/config.h"
#include "gpustd/strings/string_view.h"

namespace gpustd {

class string {
 public:
  string() noexcept = default;
  GPUSTD_HOST_DEVICE string(string_view s) { append(s); }
  GPUSTD_HOST_DEVICE string(const char* s) { append(string_view(s)); }
  GPUSTD_HOST_DEVICE string(const string& o) { append(o.view()); }
  GPUSTD_HOST_DEVICE string(string&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  GPUSTD_HOST_DEVICE string& operator=(string o) noexcept {
    swap(o);
    return *this;
  }
  GPUSTD_HOST_DEVICE ~string() { std::free(data_); }

  GPUSTD_HOST_DEVICE void swap(string& o) noexcept {
    char* d = data_;
    data_ = o.data_, o.data_ = d;
    std::size_t n = size_;
    size_ = o.size_, o.size_ = n;
    n = capacity_;
    capacity_ = o.capacity_, o.capacity_ = n;
  }

  GPUSTD_HOST_DEVICE const char* data() const noexcept { return data_ ? data_ : ""; }
  GPUSTD_HOST_DEVICE char* data() noexcept { return data_; }
  GPUSTD_HOST_DEVICE const char* c_str() const noexcept { return data(); }
  GPUSTD_HOST_DEVICE std::size_t size() const noexcept { return size_; }
  GPUSTD_HOST_DEVICE std::size_t length() const noexcept { return size_; }
  GPUSTD_HOST_DEVICE std::size_t capacity() const noexcept { return capacity_; }
  GPUSTD_HOST_DEVICE bool empty() const noexcept { return size_ == 0; }
  GPUSTD_HOST_DEVICE char& operator[](std::size_t i) noexcept { return data_[i]; }
  GPUSTD_HOST_DEVICE char operator[](std::size_t i) const noexcept { return data_[i]; }
  GPUSTD_HOST_DEVICE string_view view() const noexcept { return {data(), size_}; }
  GPUSTD_HOST_DEVICE operator string_view() const noexcept { return view(); }

  GPUSTD_HOST_DEVICE void clear() noexcept {
    size_ = 0;
    if (data_) data_[0] = 0;
  }
  // Room for n characters; false when the heap has none.
  GPUSTD_HOST_DEVICE bool reserve(std::size_t n) noexcept {
    if (n <= capacity_) return true;
    std::size_t cap = capacity_ < 15 ? 15 : capacity_;
    while (cap < n) cap *= 2;
    char* d = static_cast<char*>(std::malloc(cap + 1));
    if (!d) return false;
    if (size_) std::memcpy(d, data_, size_);
    d[size_] = 0;
    std::free(data_);
    data_ = d;
    capacity_ = cap;
    return true;
  }
  GPUSTD_HOST_DEVICE bool append(const char* s, std::size_t n) noexcept {
    if (!reserve(size_ + n)) return false;
    if (n) std::memcpy(data_ + size_, s, n);
    size_ += n;
    if (data_) data_[size_] = 0;
    return true;
  }
  GPUSTD_HOST_DEVICE bool append(string_view s) noexcept { return append(s.data(), s.size()); }
  GPUSTD_HOST_DEVICE bool push_back(char c) noexcept { return append(&c, 1); }
  GPUSTD_HOST_DEVICE void pop_back() noexcept { data_[--size_] = 0; }
  GPUSTD_HOST_DEVICE string& operator+=(string_view s) noexcept {
    append(s);
    return *this;
  }
  GPUSTD_HOST_DEVICE string& operator+=(char c) noexcept {
    push_back(c);
    return *this;
  }
  GPUSTD_HOST_DEVICE friend bool operator==(const string& a, string_view b) noexcept { return a.view() == b; }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace gpustd
