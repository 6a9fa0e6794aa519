// The sandbox on the GPU (run by scripts/gpu_suite.sh).
#include "files/sandbox_bodies.inc"
