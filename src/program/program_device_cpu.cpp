#include <thread>

#include "program_device.h"

namespace gpustd::detail {

program_device probe_program_device() {
  program_device d;
  d.present = true;
  d.cpu_backend = true;
  d.name = "CPU backend";
  d.sms = std::thread::hardware_concurrency() ? std::thread::hardware_concurrency() : 1;
  d.max_threads = 1024;
  d.max_lanes = 8192;  // every emulated thread is an OS thread
  return d;
}

void* make_program_stream() { return nullptr; }

}  // namespace gpustd::detail
