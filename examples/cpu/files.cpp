// The CPU-backend build of examples/files.cu: the same source, as C++.
#include "../files.cu"
