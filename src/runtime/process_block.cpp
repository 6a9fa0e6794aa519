#include "process_block.h"

#include <cstring>

#include "gpustd/runtime/runtime.h"

namespace gpustd::detail {

std::uint64_t list_bytes(const std::vector<std::string>& items) {
  std::uint64_t n = (items.size() + 1) * sizeof(char*);
  for (const auto& s : items) n += s.size() + 1;
  return n;
}

process_block::process_block(device_memory& dev, char** envp, std::uint64_t limit) : dev_(dev), limit_(limit) {
  std::vector<std::string> env;
  for (char** e = envp; e && *e; ++e) env.emplace_back(*e);
  env_bytes_ = list_bytes(env);
  if (env_bytes_ > limit_)
    throw runtime_error("gpustd::runtime: the environment takes " + std::to_string(env_bytes_) +
                        " bytes, more than the limit of " + std::to_string(limit_) +
                        " (runtime_options::max_argument_bytes)");
  state_ = static_cast<protocol::process_state*>(dev_.allocate(sizeof(protocol::process_state)));
  try {
    env_blob_ = upload_list(env, &host_copy_.envp);
    host_copy_.exit_word = protocol::exit_word_none;
    write_state(false);
  } catch (...) {
    dev_.release(env_blob_);
    dev_.release(state_);
    throw;
  }
}

process_block::~process_block() {
  dev_.release(argv_blob_);
  dev_.release(env_blob_);
  dev_.release(state_);
}

void* process_block::upload_list(const std::vector<std::string>& items, char*** list) {
  const std::uint64_t bytes = list_bytes(items);
  void* blob = dev_.allocate(bytes);
  // Built on the host with the device addresses the pointers will have.
  std::vector<char> image(bytes);
  const auto base = reinterpret_cast<std::uintptr_t>(blob);
  std::uint64_t text = (items.size() + 1) * sizeof(char*);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::uintptr_t at = base + text;
    std::memcpy(image.data() + i * sizeof(char*), &at, sizeof at);
    std::memcpy(image.data() + text, items[i].c_str(), items[i].size() + 1);
    text += items[i].size() + 1;
  }
  // (the last pointer stays null)
  try {
    dev_.upload(blob, image.data(), bytes);
  } catch (...) {
    dev_.release(blob);
    throw;
  }
  *list = static_cast<char**>(blob);
  return blob;
}

void process_block::set_arguments(const std::vector<std::string>& args) {
  const std::uint64_t bytes = list_bytes(args);
  if (bytes + env_bytes_ > limit_)
    throw runtime_error("the arguments and the environment take " + std::to_string(bytes + env_bytes_) +
                        " bytes, more than the limit of " + std::to_string(limit_));
  dev_.release(argv_blob_);
  argv_blob_ = nullptr;
  host_copy_.argv = nullptr;
  argv_blob_ = upload_list(args, &host_copy_.argv);
  host_copy_.argc = static_cast<std::int32_t>(args.size());
  host_copy_.exit_word = protocol::exit_word_none;
  host_copy_.barrier = {};
  write_state(true);
}

void process_block::write_state(bool keep_clock) {
  // The clock cache is the device's own: keep what it measured.
  host_copy_.clock = {};
  if (keep_clock) {
    protocol::process_state now{};
    dev_.download(&now, state_, sizeof now);
    host_copy_.clock = now.clock;
  }
  dev_.upload(state_, &host_copy_, sizeof host_copy_);
}

int process_block::exit_code() {
  protocol::process_state now{};
  dev_.download(&now, state_, sizeof now);
  return now.exit_word == protocol::exit_word_none ? 0 : static_cast<int>(now.exit_word & 255);
}

}  // namespace gpustd::detail
