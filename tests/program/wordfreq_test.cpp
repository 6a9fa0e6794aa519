// examples/wordfreq against the host reference (wordfreq_reference.h), run
// as a command. WORDFREQ names the build under test (CPU backend or GPU).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "wordfreq_reference.h"

#ifndef WORDFREQ
#error "WORDFREQ must name the program under test"
#endif

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr std::size_t input_scale = 1;
#else
constexpr std::size_t input_scale = 8;
#endif

struct outcome {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `sh -c command`, stdout and stderr to files.
outcome shell(const std::string& command) {
  const std::string out = "/tmp/gpustd-wf-out-" + std::to_string(::getpid());
  const std::string err = "/tmp/gpustd-wf-err-" + std::to_string(::getpid());
  const int status = std::system((command + " > " + out + " 2> " + err).c_str());
  outcome o;
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = slurp(out);
  o.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return o;
}

// Text with a Zipf-like vocabulary: mixed case, digits, UTF-8, punctuation,
// long lines, and some words longer than the chunk the test reads with.
std::string make_text(std::size_t bytes, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> vocab;
  const char* letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    const int len = 1 + static_cast<int>(rng() % 12);
    for (int j = 0; j < len; ++j) w.push_back(letters[rng() % 62]);
    if (i % 97 == 0) w += "\xc3\xa9t\xc3\xa9";  // "été"
    vocab.push_back(w);
  }
  const char* separators[] = {" ", " ", " ", ", ", ". ", "\n", "\t", " -- ", "\"", "(", ")\n"};
  std::string text;
  text.reserve(bytes + 8192);
  while (text.size() < bytes) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const std::size_t idx = static_cast<std::size_t>(std::pow(u, 3.0) * static_cast<double>(vocab.size()));
    text += vocab[std::min(idx, vocab.size() - 1)];
    if (rng() % 5000 == 0) text += std::string(5000 + rng() % 3000, "xyz"[rng() % 3]);  // longer than a chunk
    text += separators[rng() % (sizeof separators / sizeof separators[0])];
  }
  return text;
}

std::unordered_map<std::string, std::uint64_t> read_csv(const std::string& path) {
  std::unordered_map<std::string, std::uint64_t> m;
  std::ifstream f(path, std::ios::binary);
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "word,count");
  while (std::getline(f, line)) {
    const auto comma = line.rfind(',');
    EXPECT_NE(comma, std::string::npos) << line;
    EXPECT_TRUE(m.emplace(line.substr(0, comma), std::stoull(line.substr(comma + 1))).second) << "twice: " << line;
  }
  return m;
}

class Wordfreq : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gpustd-wordfreq-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string dir_;
};

TEST_F(Wordfreq, CountsMatchTheHostReferenceAcrossFilesAndChunks) {
  // Small chunks: many rounds, words cut at chunk ends, words longer than a
  // chunk; larger chunks: more text.
  for (const auto& [chunk, bytes] : {std::pair<const char*, std::size_t>{"4096", input_scale * 60'000},
                                     std::pair<const char*, std::size_t>{"1000000", input_scale * 600'000}}) {
    const std::string a = make_text(bytes, 1), b = make_text(bytes / 2, 2);
    const std::string c = "Ends-without-newline ETE \xc3\xa9t\xc3\xa9";
    const std::string fa = write("a.txt", a), fb = write("b.txt", b), fc = write("c.txt", c);
    std::unordered_map<std::string, std::uint64_t> ref;
    for (const auto* t : {&a, &b, &c}) wordfreq_reference::count(*t, ref);
    const std::string csv = dir_ + "/counts.csv";
    const auto o = shell(std::string(WORDFREQ) + " -n 15 -c " + chunk + " -o " + csv + " " + fa + " " + fb + " " + fc);
    ASSERT_EQ(o.code, 0) << o.err;
    const auto got = read_csv(csv);
    EXPECT_EQ(got.size(), ref.size()) << "chunk " << chunk;
    EXPECT_TRUE(got == ref) << "counts differ from the reference, chunk " << chunk;
    // The table: the reference's top 15, in order.
    std::stringstream expect;
    int rank = 1;
    for (const auto& [w, n] : wordfreq_reference::top(ref, 15)) {
      char row[256];
      std::snprintf(row, sizeof row, "%5d  %12llu  %s\n", rank++, static_cast<unsigned long long>(n), w.c_str());
      expect << row;
    }
    EXPECT_NE(o.out.find(expect.str()), std::string::npos) << o.out << "\nexpected:\n" << expect.str();
    std::uint64_t words = 0;
    for (const auto& [w, n] : ref) words += n;
    EXPECT_NE(o.out.find("wordfreq: " + std::to_string(words) + " words, " + std::to_string(ref.size()) + " distinct"),
              std::string::npos)
        << o.out;
    EXPECT_NE(o.out.find("phases: read "), std::string::npos);
  }
}

TEST_F(Wordfreq, ReadsStdinAndTakesTheTopFromTheEnvironment) {
  const std::string text = make_text(20'000, 3);
  const std::string f = write("in.txt", text);
  std::unordered_map<std::string, std::uint64_t> ref;
  wordfreq_reference::count(text, ref);
  const std::string csv = dir_ + "/s.csv";
  auto o = shell("WORDFREQ_TOP=3 " + std::string(WORDFREQ) + " -o " + csv + " < " + f);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(read_csv(csv) == ref);
  EXPECT_NE(o.out.find("    3  "), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("    4  "), std::string::npos) << o.out;
  o = shell("WORDFREQ_TOP=3 " + std::string(WORDFREQ) + " -n 5 -o - " + f);  // -n wins; no CSV
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("    5  "), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("counts of all"), std::string::npos);
}

TEST_F(Wordfreq, MissingFileAndBadOptionsExitNonZeroWithAMessage) {
  const std::string f = write("ok.txt", "some words\n");
  const std::string csv = dir_ + "/never.csv";
  auto o = shell(std::string(WORDFREQ) + " -o " + csv + " " + f + " " + dir_ + "/missing.txt");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("wordfreq: " + dir_ + "/missing.txt: No such file or directory"), std::string::npos) << o.err;
  EXPECT_NE(::access(csv.c_str(), F_OK), 0) << "no CSV after a failed start";
  o = shell(std::string(WORDFREQ) + " -n zero " + f);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("-n zero"), std::string::npos) << o.err;
  o = shell(std::string(WORDFREQ) + " --frobnicate " + f);
  EXPECT_EQ(o.code, 2);
  o = shell("WORDFREQ_TOP=-1 " + std::string(WORDFREQ) + " " + f);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("WORDFREQ_TOP"), std::string::npos);
}

TEST_F(Wordfreq, TheSandboxHoldsWhatTheCommandLineGrants) {
  const std::string f = write("in.txt", "a b a\n");
  // Read-only: the input is read, the CSV beside it is refused.
  auto o = shell(std::string(WORDFREQ) + " --gpustd-ro-dir=" + dir_ + " -o " + dir_ + "/c.csv " + f);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find(dir_ + "/c.csv: Permission denied"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("    1             2  a"), std::string::npos) << o.out;
  // Outside every granted directory: refused before any work.
  o = shell(std::string(WORDFREQ) + " --gpustd-dir=" + dir_ + " -o - /etc/hostname");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("/etc/hostname: Permission denied"), std::string::npos) << o.err;
  // Read-write: the CSV is written.
  o = shell(std::string(WORDFREQ) + " --gpustd-dir=" + dir_ + " -o " + dir_ + "/c.csv " + f);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(slurp(dir_ + "/c.csv").size(), std::string("word,count\na,2\nb,1\n").size());
}

}  // namespace
