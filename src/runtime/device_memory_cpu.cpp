// CPU backend: "device" memory is ordinary memory of this process.
#include "device_memory.h"

namespace gpustd::detail {
namespace {

class cpu_device_memory final : public device_memory {
 public:
  bool host_addressable() const noexcept override { return true; }
  // Nothing to check an address against: every address is the process's.
  // A null one (or a range that wraps) is refused.
  bool reachable(std::uint64_t address, std::uint64_t n) override { return address != 0 && address + n >= address; }
  std::unique_ptr<device_copier> make_copier(std::size_t) override { return nullptr; }
};

}  // namespace

std::unique_ptr<device_memory> make_device_memory() { return std::make_unique<cpu_device_memory>(); }

}  // namespace gpustd::detail
