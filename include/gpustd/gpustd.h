// gpustd — the operating-system half of the C++ standard library for CUDA
// kernels. One header for everything:
//
//   #include <gpustd/gpustd.h>
//
//   __global__ void hello() { gpustd::write(1, "hello\n", 6); }
//   int main() {
//     gpustd::runtime rt;
//     gpustd::launch(hello, 1, 32);
//     rt.synchronize();
//   }
//
// Compiled by nvcc it targets the GPU; compiled as plain C++ (linking
// gpustd::cpu) the same code runs on the CPU backend.
#pragma once
#include "gpustd/config.h"
#if GPUSTD_BACKEND_CPU
#include "gpustd/platform/cpu/cuda_compat.h"
#endif
#include "gpustd/console/ostream.h"
#include "gpustd/console/print.h"
#include "gpustd/console/printf.h"
#include "gpustd/console/stdin.h"
#include "gpustd/device/null_call.h"
#include "gpustd/device/write.h"
#include "gpustd/files/errno.h"
#include "gpustd/files/filesystem.h"
#include "gpustd/files/fstream.h"
#include "gpustd/files/posix.h"
#include "gpustd/files/stdio.h"
#include "gpustd/hostcall/async_batch.h"
#include "gpustd/hostcall/call.h"
#include "gpustd/hostcall/declare.h"
#include "gpustd/program/environment.h"
#include "gpustd/program/exit.h"
#include "gpustd/program/main.h"
#include "gpustd/protocol/client.h"
#include "gpustd/random/random_device.h"
#include "gpustd/runtime/launch.h"
#include "gpustd/runtime/runtime.h"
#include "gpustd/strings/string.h"
#include "gpustd/strings/string_view.h"
#include "gpustd/time/chrono.h"
#include "gpustd/time/thread.h"
