// The typed hostcall tests on the CPU backend.
#include "hostcall/hostcall_bodies.inc"
