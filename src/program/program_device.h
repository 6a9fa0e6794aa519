// What a program's host entry point asks of the backend (CUDA or CPU).
#pragma once
#include <string>

namespace gpustd::detail {

struct program_device {
  bool present = false;       // a device to run on
  std::string error;          // why not, when !present
  std::string name;           // "NVIDIA H100 80GB HBM3", "CPU backend"
  unsigned sms = 0;           // CUDA: multiprocessors
  unsigned max_threads = 0;   // threads per block
  unsigned max_lanes = 0;     // CPU backend: emulated threads in all (0: no such limit)
  bool cpu_backend = false;
};

program_device probe_program_device();
// The stream a program runs on (CUDA: one that does not wait for the legacy
// default stream), or null.
void* make_program_stream();

}  // namespace gpustd::detail
