// Files from device code: lists a directory, counts lines, words and bytes
// of each file in parallel (one thread per file, each with its own
// ifstream), writes a CSV report with ofstream and a one-line summary with
// C stdio, then reads the summary back.
//
//   build/examples/files DIR [REPORT.csv]        (GPU)
//   build/examples/files_cpu DIR [REPORT.csv]    (CPU backend)
#include <gpustd/gpustd.h>

#include <cstdio>
#include <cstring>

namespace fs = gpustd::filesystem;

constexpr unsigned max_files = 32;
constexpr unsigned name_bytes = 200;

struct file_counts {
  unsigned long long lines, words, bytes;
  int ok;
};

__device__ void copy_name(char* to, gpustd::string_view s) {
  const std::size_t n = s.size() < name_bytes - 1 ? s.size() : name_bytes - 1;
  for (std::size_t i = 0; i < n; ++i) to[i] = s[i];
  to[n] = 0;
}

__global__ void count_files(const char* dir, const char* report, file_counts* counts, unsigned* found) {
  __shared__ char names[max_files][name_bytes];
  __shared__ unsigned n;
  const unsigned t = threadIdx.x;

  // 1. One thread lists the directory.
  if (t == 0) {
    n = 0;
    gpustd::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(dir), ec))
      if (e.is_regular_file() && n < max_files) copy_name(names[n++], e.path().view());
    if (ec) gpustd::eprintln("cannot list {}: {}", dir, ec.message());
    *found = n;
  }
  __syncthreads();

  // 2. One thread per file counts it.
  if (t < n) {
    file_counts c{0, 0, 0, 0};
    gpustd::ifstream in(names[t]);
    gpustd::string line;
    while (gpustd::getline(in, line)) {
      ++c.lines;
      c.bytes += line.size() + 1;
      bool in_word = false;
      for (char ch : line.view()) {
        const bool space = ch == ' ' || ch == '\t' || ch == '\r';
        c.words += !space && !in_word;
        in_word = !space;
      }
    }
    c.ok = in.eof() && !in.bad();
    counts[t] = c;
  }
  __syncthreads();

  // 3. One thread writes the report and a summary, and reads the summary back.
  if (t == 0) {
    gpustd::ofstream csv(report);
    csv << "file,lines,words,bytes" << gpustd::endl;
    unsigned long long lines = 0, words = 0;
    for (unsigned i = 0; i < n; ++i) {
      csv << fs::path(names[i]).filename().view() << ',' << counts[i].lines << ',' << counts[i].words << ','
          << counts[i].bytes << gpustd::endl;
      gpustd::println("{:<40} {:>6} lines {:>7} words", fs::path(names[i]).filename().view(), counts[i].lines,
                      counts[i].words);
      lines += counts[i].lines;
      words += counts[i].words;
    }
    if (!csv) gpustd::eprintln("cannot write {}: {}", report, gpustd::strerror(gpustd::errno_ref()));
    csv.close();

    gpustd::FILE* f = gpustd::fopen("files-summary.txt", "w+");
    if (!f) {
      gpustd::eprintln("files-summary.txt: {}", gpustd::strerror(gpustd::errno_ref()));
      return;
    }
    gpustd::fprintf(f, "total: %u files, %llu lines, %llu words\n", n, lines, words);
    gpustd::rewind(f);
    char back[128];
    if (gpustd::fgets(back, sizeof back, f)) gpustd::printf("%s", back);
    gpustd::fclose(f);
    gpustd::remove("files-summary.txt");
    gpustd::println("report: {} ({} bytes)", report, fs::file_size(fs::path(report)));
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [REPORT.csv]\n", argv[0]);
    return 2;
  }
  gpustd::runtime rt;
  char *dir = nullptr, *report = nullptr;
  const char* report_name = argc > 2 ? argv[2] : "files-report.csv";
  file_counts* counts = nullptr;
  unsigned* found = nullptr;
  cudaMallocManaged(&dir, std::strlen(argv[1]) + 1);
  cudaMallocManaged(&report, std::strlen(report_name) + 1);
  cudaMallocManaged(&counts, max_files * sizeof(file_counts));
  cudaMallocManaged(&found, sizeof(unsigned));
  std::strcpy(dir, argv[1]);
  std::strcpy(report, report_name);
  gpustd::launch(count_files, 1, max_files, static_cast<const char*>(dir), static_cast<const char*>(report), counts,
                 found);
  rt.synchronize();
  int status = *found ? 0 : 1;
  for (unsigned i = 0; i < *found; ++i)
    if (!counts[i].ok) status = 1;
  cudaFree(dir);
  cudaFree(report);
  cudaFree(counts);
  cudaFree(found);
  return status;
}
