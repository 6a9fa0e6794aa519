// The end-to-end bodies on the CPU backend.
#include "e2e/e2e_bodies.inc"
