// A program that links the entry point (gpustd::main_cpu) but defines no
// GPUSTD_MAIN: it must say so and exit 2 (tests/program/program_test.cpp).
#include <gpustd/gpustd.h>
