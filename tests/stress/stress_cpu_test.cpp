// The stress test on the CPU backend (2 s, scaled down).
#include "stress/stress_bodies.inc"
