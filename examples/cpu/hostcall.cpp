// The CPU-backend build of examples/hostcall.cu: the same source, as C++.
#include "../hostcall.cu"
