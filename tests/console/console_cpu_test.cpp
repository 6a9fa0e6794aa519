// The console end-to-end bodies on the CPU backend.
#include "console/console_bodies.inc"
