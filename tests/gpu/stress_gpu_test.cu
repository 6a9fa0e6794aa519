// The stress test on the GPU: every warp resident, 10 s (run by scripts/gpu_suite.sh).
#include "stress/stress_bodies.inc"
