// Ending the program from device code, as C's exit and abort and assert:
//
//   gpustd::exit(2);                   // any thread; flushes, closes files, exits with 2
//   gpustd::abort();                   // message with file, line, function, thread; exit code 134
//   GPUSTD_ASSERT(n < limit);          // on failure: file, line, function, exit code 134
//
// exit asks the host to end the process: the host serves what was already
// sent (the caller's own output before the call, and what other warps sent,
// for at most 200 ms), flushes stdout and stderr, closes the program's files
// and exits with `code`. Other threads stop where they are, as threads do in
// a host process that calls exit. The call does not return. Without a runtime
// a GPU thread traps (the launch fails) and a CPU-backend thread exits the
// process itself.
//
// 134 is the status a shell shows for a process killed by SIGABRT; gpustd
// exits with it instead of raising the signal, so that no core is dumped.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "gpustd/config.h"
#include "gpustd/hostcall/call.h"
#include "gpustd/protocol/process_calls.h"
#if GPUSTD_BACKEND_CPU
#include "gpustd/platform/cpu/cuda_compat.h"
#endif

namespace gpustd {

inline constexpr int abort_exit_code = 134;

namespace program_detail {

// A message assembled in a fixed buffer (device code has no std::string).
struct message {
  char text[480];
  unsigned n = 0;
  GPUSTD_INLINE message& add(const char* s) {
    if (!s) s = "(null)";
    while (*s && n + 1 < sizeof text) text[n++] = *s++;
    text[n] = 0;
    return *this;
  }
  GPUSTD_INLINE message& add(long long v) {
    char digits[24];
    unsigned k = 0;
    const bool negative = v < 0;
    unsigned long long u = negative ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
    do digits[k++] = static_cast<char>('0' + u % 10); while ((u /= 10) != 0);
    if (negative) digits[k++] = '-';
    while (k && n + 1 < sizeof text) text[n++] = digits[--k];
    text[n] = 0;
    return *this;
  }
  GPUSTD_INLINE message& add_place() {
    return add(" (thread ").add(static_cast<long long>(threadIdx.x)).add(" of block ")
        .add(static_cast<long long>(blockIdx.x)).add(")");
  }
};

// No runtime answered: end without one.
[[noreturn]] GPUSTD_INLINE void end_without_runtime(int code, const char* text) {
#if GPUSTD_BACKEND_CUDA
  (void)code;
  ::printf("gpustd: %s\n", text ? text : "exit without a runtime");
  __trap();
  __builtin_unreachable();
#else
  if (text) std::fprintf(stderr, "gpustd: %s\n", text);
  std::fflush(nullptr);
  std::_Exit(code);
#endif
}

[[noreturn]] GPUSTD_NOINLINE void abort_with(const message& m) {
  call<process_calls::gpustd_abort>(string_view(m.text, m.n));
  end_without_runtime(abort_exit_code, m.text);
}

[[noreturn]] GPUSTD_NOINLINE void assert_fail(const char* expr, const char* file, unsigned line, const char* func) {
  message m;
  m.add(file).add(":").add(static_cast<long long>(line)).add(": ").add(func).add(": Assertion `").add(expr)
      .add("' failed.").add_place();
  abort_with(m);
}

// A library facility that cannot go on (random_device without entropy).
[[noreturn]] GPUSTD_NOINLINE void fail_with_error(const char* what, int error) {
  message m;
  m.add(what).add(" (error ").add(static_cast<long long>(error)).add(")").add_place();
  abort_with(m);
}

}  // namespace program_detail

// Ends the program with `code` (see the top of this file).
[[noreturn]] GPUSTD_NOINLINE void exit(int code) {
  call<process_calls::gpustd_exit>(code);
  program_detail::end_without_runtime(code, nullptr);
}

// Ends the program with exit code 134 after "FILE:LINE: FUNCTION: abort()
// called (thread T of block B)" (the caller's place, through the default
// arguments: call it as abort()).
[[noreturn]] GPUSTD_NOINLINE void abort(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                        const char* function = __builtin_FUNCTION()) {
  program_detail::message m;
  m.add(file).add(":").add(static_cast<long long>(line)).add(": ").add(function).add(": abort() called").add_place();
  program_detail::abort_with(m);
}

}  // namespace gpustd

// assert for device code: on failure prints "FILE:LINE: FUNCTION: Assertion
// `EXPR' failed. (thread T of block B)" and aborts. Not compiled out by
// NDEBUG (define GPUSTD_NDEBUG to drop the checks).
#ifdef GPUSTD_NDEBUG
#define GPUSTD_ASSERT(expr) ((void)0)
#else
#define GPUSTD_ASSERT(expr) \
  ((expr) ? (void)0 : ::gpustd::program_detail::assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif
