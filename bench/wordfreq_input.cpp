// Writes BYTES of Zipf-distributed text (a 50 000-word vocabulary, mixed
// case, punctuation) to FILE, for the wordfreq benchmark.
//
//   wordfreq_input FILE BYTES [SEED]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: wordfreq_input FILE BYTES [SEED]\n");
    return 2;
  }
  const unsigned long long bytes = std::strtoull(argv[2], nullptr, 10);
  std::mt19937_64 rng(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 7);
  std::vector<std::string> vocab;
  const char* letters = "etaoinshrdlucmfwypvbgkjqxz";
  for (int i = 0; i < 50000; ++i) {
    std::string w;
    const int len = 2 + static_cast<int>(rng() % 9);
    for (int j = 0; j < len; ++j) w.push_back(letters[static_cast<std::size_t>(std::pow((rng() % 1000) / 1000.0, 2) * 26)]);
    if (i % 7 == 0) w[0] = static_cast<char>(w[0] - 32);
    vocab.push_back(w);
  }
  // Zipf(1) over the vocabulary by inverse transform of the harmonic sums.
  std::vector<double> cumulative(vocab.size());
  double h = 0;
  for (std::size_t i = 0; i < vocab.size(); ++i) cumulative[i] = (h += 1.0 / static_cast<double>(i + 1));
  std::FILE* f = std::fopen(argv[1], "wb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  std::string buf;
  unsigned long long written = 0;
  const char* seps[] = {" ", " ", " ", " ", ", ", ". ", "\n"};
  while (written < bytes) {
    buf.clear();
    while (buf.size() < (1u << 20)) {
      const double u = std::uniform_real_distribution<double>(0, h)(rng);
      const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), u);
      buf += vocab[static_cast<std::size_t>(it - cumulative.begin())];
      buf += seps[rng() % 7];
    }
    const std::size_t n = static_cast<std::size_t>(std::min<unsigned long long>(buf.size(), bytes - written));
    std::fwrite(buf.data(), 1, n, f);
    written += n;
  }
  return std::fclose(f) == 0 ? 0 : 1;
}
