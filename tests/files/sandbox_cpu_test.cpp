// The sandbox on the CPU backend.
#include "files/sandbox_bodies.inc"
