// Kernels as users write them: 1,024-thread blocks, no __launch_bounds__,
// calling the channel. Such a kernel launches only if it needs at most 64
// registers a thread (65,536 per SM), and what the calls inline into it
// decides how many the compiler takes. tests/registers/check_registers.cmake
// compiles this file and fails when any kernel here takes more: an inlined
// wait that kept a timer's values once took one from 64 to 71, and its
// 1,024-thread launches failed with "too many resources requested".
#include <cstdint>

#include "gpustd/gpustd.h"

GPUSTD_HOSTCALL(budget_add2, int(int a, int b));

namespace gpustd::registers {

struct echo_args {
  std::uint32_t tid;
  std::uint32_t len;
};

// A request with arguments, a payload from the thread's own memory and 56
// bytes of answer (the shape of tests/e2e's echo_everywhere).
__global__ void echo_with_payload(int* ok, unsigned calls) {
  const std::uint32_t tid = blockIdx.x * blockDim.x + threadIdx.x;
  int good = 0;
  for (unsigned i = 0; i < calls; ++i) {
    const std::uint32_t len = (tid + i) % 200;
    unsigned char buf[256];
    for (std::uint32_t k = 0; k < len; ++k) buf[k] = static_cast<unsigned char>(tid * 131u + k * 7u);
    echo_args a{tid, len};
    protocol::lane_request rq;
    rq.op = 0x8001;
    rq.args = &a;
    rq.arg_bytes = sizeof a;
    rq.payload = buf;
    rq.payload_bytes = len;
    std::uint64_t data[7];
    good += protocol::hostcall(rq, data) == std::int64_t(tid) * 2 + 1 && data[0] == ~std::uint64_t(tid);
  }
  ok[tid] = good;
}

// Blocking calls and sends in one loop.
__global__ void calls_and_sends(int* bad, unsigned calls) {
  int n = 0;
  for (unsigned i = 0; i < calls; ++i) n += (i % 3 ? null_send() : null_call()) != 0;
  bad[blockIdx.x * blockDim.x + threadIdx.x] = n;
}

// Console lines and formatted output (fire-and-forget records with a
// payload), as users print.
__global__ void print_lines(unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    gpustd::println("line {} {}", threadIdx.x, i);
    gpustd::printf("line %u %u\n", threadIdx.x, i);
  }
}

// A batch of typed asynchronous calls (two frames a warp).
__global__ void batches(int* out, unsigned rounds) {
  int sum = 0;
  for (unsigned r = 0; r < rounds; ++r) {
    gpustd::async_batch<budget_add2> b;
    for (int k = 0; k < 8; ++k) b.add(static_cast<int>(threadIdx.x), k);
    for (unsigned k = 0; k < 8; ++k) sum += b.get(k).value_or(-1);
  }
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}

}  // namespace gpustd::registers
