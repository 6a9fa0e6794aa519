// The empty GPU program: start-up cost of a command through gpustd's entry
// point (scripts/program_bench.sh compares it with empty_kernel).
#include <gpustd/gpustd.h>

GPUSTD_MAIN() { return 0; }
