// The host's side of the process block (protocol/process.h): allocates it in
// device memory, copies the environment (and, for programs, argv) there,
// and reads the combined exit code back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "device_memory.h"
#include "gpustd/protocol/process.h"

namespace gpustd::detail {

class process_block {
 public:
  // `envp`: "NAME=value" strings ending in null. Throws runtime_error when
  // the environment is larger than `limit` bytes or the device has no room.
  process_block(device_memory& dev, char** envp, std::uint64_t limit);
  ~process_block();
  process_block(const process_block&) = delete;
  process_block& operator=(const process_block&) = delete;

  protocol::process_state* device_state() const noexcept { return state_; }
  // Copies argv to the device and resets the exit code and the barrier.
  // Only while no kernel runs. Throws runtime_error beyond the limit.
  void set_arguments(const std::vector<std::string>& args);
  // The threads' combined exit code (0 when all returned 0). Only after the
  // program's kernel ended.
  int exit_code();

 private:
  // A null-terminated pointer list and its strings, in one device allocation.
  void* upload_list(const std::vector<std::string>& items, char*** list);
  void write_state(bool keep_clock);

  device_memory& dev_;
  std::uint64_t limit_;
  std::uint64_t env_bytes_ = 0;
  protocol::process_state* state_ = nullptr;
  void* env_blob_ = nullptr;
  void* argv_blob_ = nullptr;
  protocol::process_state host_copy_{};
};

// Bytes a list takes on the device: pointers plus strings with their NULs.
std::uint64_t list_bytes(const std::vector<std::string>& items);

}  // namespace gpustd::detail
