#include "return_area.h"

#include <cerrno>

namespace gpustd::detail {

namespace {
constexpr std::uint64_t round_up(std::uint64_t n) { return (n + 63) & ~std::uint64_t(63); }
}  // namespace

return_area::return_area(device_memory& memory, std::uint64_t bytes) : memory_(memory), bytes_(round_up(bytes)) {
  if (bytes_) host_ = memory_.allocate_mapped(bytes_, device_);
}

return_area::~return_area() { memory_.release_mapped(host_); }

std::uint64_t return_area::reserve(std::uint64_t n, int& error) {
  if (!host_) {
    error = ENOSYS;
    return 0;
  }
  if (n == 0 || n > bytes_) {
    error = n == 0 ? EINVAL : ENOSPC;
    return 0;
  }
  const std::uint64_t len = round_up(n);
  std::lock_guard lk(m_);
  // First fit over the gaps between reserved regions (few at a time: one
  // per out_span of each call in flight without DMA).
  std::uint64_t at = 0;
  for (const auto& [offset, length] : regions_) {
    if (offset - at >= len) break;
    at = offset + length;
  }
  if (bytes_ - at < len) {
    error = ENOSPC;
    return 0;
  }
  regions_.emplace(at, len);
  return device_ + at;
}

bool return_area::release(std::uint64_t device_address) {
  if (!host_ || device_address < device_) return false;
  std::lock_guard lk(m_);
  return regions_.erase(device_address - device_) == 1;
}

unsigned char* return_area::region(std::uint64_t device_address, std::uint64_t n) {
  if (!host_ || device_address < device_ || device_address - device_ >= bytes_) return nullptr;
  const std::uint64_t offset = device_address - device_;
  std::lock_guard lk(m_);
  auto it = regions_.upper_bound(offset);  // the first region after offset
  if (it == regions_.begin()) return nullptr;
  --it;
  if (offset - it->first > it->second || n > it->second - (offset - it->first)) return nullptr;
  return host_ + offset;
}

std::uint64_t return_area::reserved_bytes() {
  std::lock_guard lk(m_);
  std::uint64_t n = 0;
  for (const auto& r : regions_) n += r.second;
  return n;
}

}  // namespace gpustd::detail
