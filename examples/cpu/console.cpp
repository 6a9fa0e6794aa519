// The CPU-backend build of examples/console.cu: the same source, as C++.
#include "../console.cu"
