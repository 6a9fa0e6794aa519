// Clock, sleep, random and environment tests on the CPU backend.
#include "process/process_bodies.inc"
