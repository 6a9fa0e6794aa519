// CPU backend: "device" memory is ordinary memory of this process.
#include <cstdint>
#include <cstring>
#include <new>

#include "device_memory.h"

namespace gpustd::detail {
namespace {
cpu_address_check address_check = nullptr;  // written before runtimes start

class cpu_device_memory final : public device_memory {
 public:
  bool host_addressable() const noexcept override { return true; }
  // Nothing to check an address against: every address is the process's.
  // A null one (or a range that wraps) is refused.
  bool reachable(std::uint64_t address, std::uint64_t n) override {
    return dma_ && address != 0 && address + n >= address && (!address_check || address_check(address, n));
  }
  bool dma() const noexcept override { return dma_; }
  void disable_dma() noexcept override { dma_ = false; }
  unsigned char* allocate_mapped(std::size_t bytes, std::uint64_t& device_address) override {
    auto* p = static_cast<unsigned char*>(::operator new(bytes));
    device_address = reinterpret_cast<std::uintptr_t>(p);
    return p;
  }
  void release_mapped(unsigned char* p) noexcept override { ::operator delete(p); }
  std::unique_ptr<device_copier> make_copier(std::size_t) override { return nullptr; }
  void* allocate(std::size_t bytes) override { return ::operator new(bytes); }
  void release(void* p) noexcept override { ::operator delete(p); }
  void upload(void* dst, const void* src, std::size_t n) override { std::memcpy(dst, src, n); }
  void download(void* dst, const void* src, std::size_t n) override { std::memcpy(dst, src, n); }

 private:
  bool dma_ = true;  // (the runtime's bulk_transfers option; set before it serves)
};

}  // namespace

std::unique_ptr<device_memory> make_device_memory() { return std::make_unique<cpu_device_memory>(); }
void set_cpu_address_check(cpu_address_check check) { address_check = check; }

}  // namespace gpustd::detail
