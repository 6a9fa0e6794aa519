// The typed hostcall tests on the GPU (run by scripts/gpu_suite.sh).
#include "hostcall/hostcall_bodies.inc"
