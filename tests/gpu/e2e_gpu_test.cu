// The end-to-end bodies on the GPU (run by scripts/gpu_suite.sh).
#include "e2e/e2e_bodies.inc"
