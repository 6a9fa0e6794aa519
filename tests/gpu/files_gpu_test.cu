// The file tests on the GPU (run by scripts/gpu_suite.sh).
#include "files/files_bodies.inc"
