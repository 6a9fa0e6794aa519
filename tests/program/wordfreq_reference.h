// The host reference for examples/wordfreq.cu: the same word rule, counted
// with a hash map on one CPU thread. Used by the wordfreq test and the
// wordfreq benchmark.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace wordfreq_reference {

inline bool word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// Adds the words of `text` to `counts` (a text is a whole input: its ends are word ends).
inline void count(std::string_view text, std::unordered_map<std::string, std::uint64_t>& counts) {
  std::string word;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && !word_byte(static_cast<unsigned char>(text[i]))) ++i;
    word.clear();
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) {
      char c = text[i++];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      word.push_back(c);
    }
    if (!word.empty()) ++counts[word];
  }
}

// The top n: more frequent first, then by bytes.
inline std::vector<std::pair<std::string, std::uint64_t>> top(const std::unordered_map<std::string, std::uint64_t>& counts,
                                                             std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  const auto order = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
  n = std::min(n, v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), order);
  v.resize(n);
  return v;
}

}  // namespace wordfreq_reference
