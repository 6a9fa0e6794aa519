// The CPU-backend build of examples/hello.cu: the same source, as C++.
#include "../hello.cu"
