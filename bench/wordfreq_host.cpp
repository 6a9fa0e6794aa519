// The host reference for the wordfreq benchmark: reads FILE, counts words
// with tests/program/wordfreq_reference.h (one thread, a hash map), prints
// the totals and the time.
//
//   wordfreq_host FILE [COUNTS.csv]
//
// With COUNTS.csv (wordfreq's output), also says whether it holds exactly
// the reference's counts (exit 1 when not).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "wordfreq_reference.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const auto t0 = std::chrono::steady_clock::now();
  std::string text;
  if (std::FILE* f = std::fopen(argv[1], "rb")) {  // one read: the reference's time is its counting
    std::fseek(f, 0, SEEK_END);
    text.resize(static_cast<std::size_t>(std::ftell(f)));
    std::fseek(f, 0, SEEK_SET);
    if (std::fread(text.data(), 1, text.size(), f) != text.size()) return 1;
    std::fclose(f);
  } else {
    std::perror(argv[1]);
    return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::unordered_map<std::string, std::uint64_t> counts;
  wordfreq_reference::count(text, counts);
  std::uint64_t words = 0;
  for (const auto& [w, n] : counts) words += n;
  const auto top = wordfreq_reference::top(counts, 10);
  const auto t2 = std::chrono::steady_clock::now();
  std::printf("wordfreq_host: %llu words, %zu distinct; top: %s %llu; read %.1f ms, count %.1f ms\n",
              static_cast<unsigned long long>(words), counts.size(), top.empty() ? "" : top[0].first.c_str(),
              top.empty() ? 0ull : static_cast<unsigned long long>(top[0].second),
              std::chrono::duration<double, std::milli>(t1 - t0).count(),
              std::chrono::duration<double, std::milli>(t2 - t1).count());
  if (argc > 2) {
    std::ifstream csv(argv[2], std::ios::binary);
    std::string line;
    std::getline(csv, line);
    std::unordered_map<std::string, std::uint64_t> theirs;
    while (std::getline(csv, line)) {
      const auto comma = line.rfind(',');
      if (comma == std::string::npos) break;
      theirs[line.substr(0, comma)] += std::stoull(line.substr(comma + 1));
    }
    const bool same = theirs == counts;
    std::printf("wordfreq_host: %s holds %s\n", argv[2], same ? "exactly the reference's counts" : "DIFFERENT counts");
    return same ? 0 : 1;
  }
  return 0;
}
