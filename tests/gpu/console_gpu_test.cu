// The console end-to-end bodies in the GPU suite.
#include "console/console_bodies.inc"
