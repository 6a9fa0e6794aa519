// What a program's host entry point (src/program/) needs from a runtime
// beyond its public interface: argv for the device, the combined exit code.
#pragma once
#include <string>
#include <vector>

#include "gpustd/runtime/runtime.h"

namespace gpustd::detail {

struct program_access {
  // Throws runtime_error when argv and the environment exceed
  // runtime_options::max_argument_bytes.
  static void set_arguments(runtime& rt, const std::vector<std::string>& args);
  static int exit_code(runtime& rt);
};

}  // namespace gpustd::detail
