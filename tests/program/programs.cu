// One program for the program tests (tests/program/program_test.cpp): the
// first argument picks what it does.
#include <gpustd/gpustd.h>

namespace {
__device__ int barrier_cells[4096];
__device__ unsigned barrier_errors;

__device__ bool is(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
__device__ int number(const char* s) {
  int v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return v;
}
}  // namespace

GPUSTD_MAIN(int argc, char** argv) {
  const unsigned rank = gpustd::program::rank();
  const char* mode = argc > 1 ? argv[1] : "";
  if (is(mode, "args")) {  // argv and the environment as the device sees them
    if (rank == 0) {
      gpustd::println("argc={}", argc);
      for (int i = 0; i < argc; ++i) gpustd::println("argv[{}]={}", i, argv[i]);
      const char* v = gpustd::getenv("GPUSTD_TEST_VALUE");
      gpustd::println("env={}", v ? v : "(unset)");
      gpustd::println("missing={}", gpustd::getenv("GPUSTD_TEST_MISSING") ? "set" : "(unset)");
      gpustd::println("launcher-settings-hidden={}", gpustd::getenv("GPUSTD_BLOCKS") ? "no" : "yes");
    }
    return 0;
  }
  if (is(mode, "shape")) {
    if (rank == 0) gpustd::println("blocks={} threads={} size={}", gridDim.x, blockDim.x, gpustd::program::size());
    return 0;
  }
  if (is(mode, "return")) {  // every thread returns argv[2] + its rank, or 0 below rank argv[3]
    const int from = argc > 3 ? number(argv[3]) : 0;
    gpustd::println("thread {} returns", rank);
    return static_cast<int>(rank) >= from ? number(argv[2]) + static_cast<int>(rank) : 0;
  }
  if (is(mode, "exit")) {  // lines, then the last thread exits with argv[2]
    gpustd::println("line from thread {}", rank);
    if (rank == gpustd::program::size() - 1) {
      gpustd::println("thread {} calls exit", rank);
      gpustd::exit(number(argv[2]));
    }
    return 0;
  }
  if (is(mode, "abort")) {
    gpustd::println("before abort {}", rank);
    if (rank == 1) gpustd::abort();
    return 0;
  }
  if (is(mode, "assert")) {
    gpustd::println("before assert {}", rank);
    GPUSTD_ASSERT(rank != 2);
    return 0;
  }
  if (is(mode, "trap")) {
    gpustd::println("before trap {}", rank);
    gpustd::this_thread::sleep_for(gpustd::chrono::milliseconds(20));  // the lines go out first
    if (rank == 0) __trap();
    return 0;
  }
  if (is(mode, "illegal")) {  // an illegal address (GPU only: on the CPU backend it is a real segfault)
    gpustd::println("before fault {}", rank);
    gpustd::this_thread::sleep_for(gpustd::chrono::milliseconds(20));
    if (rank == 0) *reinterpret_cast<volatile int*>(static_cast<unsigned long long>(argc) * 8) = 1;
    return 0;
  }
  if (is(mode, "barrier")) {  // rounds of write, barrier, check the neighbour's write
    const unsigned n = gpustd::program::size();
    for (int round = 1; round <= 50; ++round) {
      if (rank < 4096) barrier_cells[rank] = round * 10000 + static_cast<int>(rank);
      gpustd::program::barrier();
      const unsigned other = (rank + 1) % n;
      if (rank < 4096 && other < 4096 && barrier_cells[other] != round * 10000 + static_cast<int>(other))
        atomicAdd(&barrier_errors, 1u);
      gpustd::program::barrier();
    }
    if (rank == 0) gpustd::println("barrier errors={}", barrier_errors);
    return 0;
  }
  if (rank == 0) gpustd::eprintln("unknown mode '{}'", mode);
  return 3;
}
