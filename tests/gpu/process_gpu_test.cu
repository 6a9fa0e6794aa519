// Clock, sleep, random and environment tests on the GPU (run by scripts/gpu_suite.sh).
#include "process/process_bodies.inc"
