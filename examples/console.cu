// The console from device code: reads text from stdin with many threads
// (each line goes to exactly one of them), and prints per line and per
// thread with println, printf and cout.
//
//   build/examples/console < some.txt        (GPU)
//   build/examples/console_cpu < some.txt    (CPU backend)
#include <gpustd/gpustd.h>

#include <cstdio>

__device__ unsigned count_words(gpustd::string_view s) {
  unsigned words = 0;
  bool in_word = false;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\r';
    words += !space && !in_word;
    in_word = !space;
  }
  return words;
}

__global__ void word_count(unsigned long long* totals) {
  const unsigned tid = blockIdx.x * blockDim.x + threadIdx.x;
  gpustd::string line;
  unsigned lines = 0, words = 0;
  while (gpustd::getline(gpustd::cin, line)) {
    const unsigned w = count_words(line);
    gpustd::println("thread {:>3} | {:>2} words | {}", tid, w, gpustd::string_view(line));
    ++lines;
    words += w;
  }
  if (lines) gpustd::printf("thread %3u read %u lines, %u words\n", tid, lines, words);
  if (tid == 0) gpustd::cerr << "thread 0 saw the end of stdin" << gpustd::endl;
  atomicAdd(&totals[0], static_cast<unsigned long long>(lines));
  atomicAdd(&totals[1], static_cast<unsigned long long>(words));
}

int main() {
  gpustd::runtime rt;
  unsigned long long* totals;
  cudaMallocManaged(&totals, 2 * sizeof *totals);
  totals[0] = totals[1] = 0;
  gpustd::launch(word_count, 2, 64, totals);
  rt.synchronize();
  std::printf("total: %llu lines, %llu words\n", totals[0], totals[1]);
  cudaFree(totals);
  return 0;
}
