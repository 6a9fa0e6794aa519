// How fast every resident warp can post frame headers (and doorbells) into
// pinned host memory laid out as the channel's frames, with nobody reading
// them: the link's capacity for what a fire-and-forget send writes, beside
// which gpu_bench's send rate is to be read. No gpustd code; run by the GPU
// suite. (Sixteenth session, H100: 620-650 M posts/s with a doorbell, 736-743
// without, the header's size between 32 and 64 bytes making no difference;
// gpustd's sends ran at 200-240 M/s, so the link's writes do not bound them.)
#include <cuda/atomic>
#include <cstdio>
#include <cstdint>
#include <cstring>
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { std::printf("%s: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)
constexpr int frame_bytes = 2112, fps = 4;
__global__ void __launch_bounds__(1024, 2) post(unsigned char* frames, unsigned* bells, int calls, int words, bool bell, int stride) {
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x & 31;
  for (int i = 1; i <= calls; ++i) {
    auto* head = reinterpret_cast<std::uint64_t*>(frames + (std::uint64_t(warp) * fps + (i & (fps - 1))) * stride);
    if (lane < words) head[lane] = (std::uint64_t(i) << 32) | lane;
    if (bell && lane == 0) cuda::atomic_ref<unsigned, cuda::thread_scope_system>(bells[warp]).store(i, cuda::memory_order_relaxed);
    __syncwarp();
  }
}
int main() {
  cudaDeviceProp p; CK(cudaGetDeviceProperties(&p, 0));
  const int blocks = p.multiProcessorCount * 2, warps = blocks * 32;
  unsigned char* h; CK(cudaHostAlloc(&h, std::size_t(warps) * fps * frame_bytes + warps * 4 + 4096, cudaHostAllocMapped));
  std::memset(h, 0, std::size_t(warps) * fps * frame_bytes + warps * 4);
  unsigned char* d; CK(cudaHostGetDevicePointer((void**)&d, h, 0));
  unsigned* bells = reinterpret_cast<unsigned*>(d + std::size_t(warps) * fps * frame_bytes);
  cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
  post<<<blocks, 1024>>>(d, bells, 50, 5, true, frame_bytes); CK(cudaDeviceSynchronize());
  struct { int words; bool bell; int stride; const char* name; } modes[] = {
    {5, true, frame_bytes, "40 B header + doorbell (now)"}, {4, true, frame_bytes, "32 B header + doorbell"},
    {5, false, frame_bytes, "40 B header, no doorbell"}, {4, false, frame_bytes, "32 B header, no doorbell"},
    {0, true, frame_bytes, "doorbell only"}, {8, true, frame_bytes, "64 B header + doorbell"},
    {5, true, 64, "40 B + doorbell, frames packed 64 B apart"}, {4, true, 64, "32 B + doorbell, frames packed 64 B apart"}};
  for (int rep = 0; rep < 2; ++rep)
    for (auto& m : modes) {
      const int calls = 400;
      cudaEventRecord(a);
      post<<<blocks, 1024>>>(d, bells, calls, m.words, m.bell, m.stride);
      cudaEventRecord(b); CK(cudaEventSynchronize(b));
      float ms; cudaEventElapsedTime(&ms, a, b);
      std::printf("%-46s %8.1f M posts/s\n", m.name, double(warps) * calls / ms / 1e3);
    }
  return 0;
}
