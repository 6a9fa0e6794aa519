// The file tests on the CPU backend.
#include "files/files_bodies.inc"
