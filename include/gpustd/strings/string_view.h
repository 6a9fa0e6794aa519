// gpustd::string_view — a view of characters that device code can use.
//
// std::string_view's members are host functions to nvcc (unless
// --expt-relaxed-constexpr is given), so device code takes this one; it
// converts from and to std::string_view in host code and on the CPU backend.
#pragma once
#include <cstddef>
#include <string_view>

#include "gpustd/config.h"

namespace gpustd {

class string_view {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  constexpr string_view() noexcept = default;
  GPUSTD_HOST_DEVICE constexpr string_view(const char* s, std::size_t n) noexcept : data_(s), size_(n) {}
  GPUSTD_HOST_DEVICE constexpr string_view(const char* s) noexcept : data_(s), size_(length_of(s)) {}
  string_view(std::nullptr_t) = delete;
  // From and to std::string_view (host code, CPU backend).
  constexpr string_view(std::string_view s) noexcept : data_(s.data()), size_(s.size()) {}
  constexpr operator std::string_view() const noexcept { return {data_, size_}; }

  GPUSTD_HOST_DEVICE constexpr const char* data() const noexcept { return data_; }
  GPUSTD_HOST_DEVICE constexpr std::size_t size() const noexcept { return size_; }
  GPUSTD_HOST_DEVICE constexpr std::size_t length() const noexcept { return size_; }
  GPUSTD_HOST_DEVICE constexpr bool empty() const noexcept { return size_ == 0; }
  GPUSTD_HOST_DEVICE constexpr const char* begin() const noexcept { return data_; }
  GPUSTD_HOST_DEVICE constexpr const char* end() const noexcept { return data_ + size_; }
  GPUSTD_HOST_DEVICE constexpr char operator[](std::size_t i) const noexcept { return data_[i]; }
  GPUSTD_HOST_DEVICE constexpr char front() const noexcept { return data_[0]; }
  GPUSTD_HOST_DEVICE constexpr char back() const noexcept { return data_[size_ - 1]; }

  GPUSTD_HOST_DEVICE constexpr string_view substr(std::size_t pos, std::size_t n = npos) const noexcept {
    if (pos > size_) pos = size_;
    if (n > size_ - pos) n = size_ - pos;
    return {data_ + pos, n};
  }
  GPUSTD_HOST_DEVICE constexpr void remove_prefix(std::size_t n) noexcept { data_ += n, size_ -= n; }
  GPUSTD_HOST_DEVICE constexpr void remove_suffix(std::size_t n) noexcept { size_ -= n; }
  GPUSTD_HOST_DEVICE constexpr std::size_t find(char c, std::size_t pos = 0) const noexcept {
    for (std::size_t i = pos; i < size_; ++i)
      if (data_[i] == c) return i;
    return npos;
  }
  GPUSTD_HOST_DEVICE constexpr bool starts_with(string_view p) const noexcept {
    return p.size_ <= size_ && substr(0, p.size_) == p;
  }
  GPUSTD_HOST_DEVICE friend constexpr bool operator==(string_view a, string_view b) noexcept {
    if (a.size_ != b.size_) return false;
    for (std::size_t i = 0; i < a.size_; ++i)
      if (a.data_[i] != b.data_[i]) return false;
    return true;
  }

 private:
  GPUSTD_HOST_DEVICE static constexpr std::size_t length_of(const char* s) noexcept {
    std::size_t n = 0;
    if (s)
      while (s[n]) ++n;
    return n;
  }
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace gpustd
