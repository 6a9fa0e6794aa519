// wordfreq — counts word frequencies on the GPU, as a command:
//
//   wordfreq [-n TOP] [-o COUNTS.csv] [-c CHUNK] [FILE...]   (no FILE, or "-": stdin)
//
// Prints the TOP most frequent words as a table (TOP from -n, else from the
// environment variable WORDFREQ_TOP, else 10), writes every word's count to
// a CSV file (default wordfreq.csv; "-o -" for none) and the time of each
// phase, measured with steady_clock. A missing file: a message and exit 1.
//
// -c sets the bytes read per round (default and most 32 MiB). Reading stdin
// is slow (56 bytes per round trip): name large inputs as files.
//
// A word is a maximal run of ASCII letters and digits and of bytes >= 0x80
// (so UTF-8 words stay whole); ASCII letters count case-insensitively and
// are reported in lower case. A word longer than 64 KiB is counted in pieces.
//
// main runs on every thread of the GPU (GPUSTD_PROGRAM_SHAPE below): thread
// 0 reads the input chunk by chunk into device memory (large reads of a
// __device__ buffer move by DMA), every thread counts the words of its part
// of the chunk into one hash table in device memory, the blocks find their
// top words, thread 0 merges them, and every thread writes its share of the
// CSV at its own offset.
#include <gpustd/gpustd.h>

#include <fcntl.h>

GPUSTD_PROGRAM_SHAPE(gpustd::program::all_blocks, 256);

namespace {

constexpr unsigned long long chunk_bytes = 32ull << 20;  // input read per round
constexpr unsigned long long carry_room = 1u << 16;      // a word split by a chunk's end moves here
constexpr unsigned table_bits = 22;                      // 4 M entries
constexpr unsigned table_size = 1u << table_bits;
constexpr unsigned table_limit = table_size / 4 * 3;     // distinct words accepted
constexpr unsigned long long arena_bytes = 64ull << 20;  // the distinct words' text
constexpr unsigned max_top = 100;
constexpr unsigned max_blocks = 4096;

struct entry {
  unsigned long long key;  // hash of the word (never 0); 0: empty
  unsigned count;
  unsigned length;
  unsigned offset;  // of the word's text in the arena
  unsigned ready;   // 1 once length and offset are written (release)
};

// The program's state: __device__ variables, which every thread sees and the
// host's DMA reaches.
__device__ char input[carry_room + chunk_bytes];
__device__ entry table[table_size];
__device__ char arena[arena_bytes];
__device__ unsigned long long arena_used;
__device__ unsigned block_top[max_blocks][max_top];  // table indices; ~0u: none

struct control {
  int error;             // exit code when not 0
  int csv_fd;
  unsigned top;
  unsigned long long chunk;  // bytes read per round
  unsigned long long valid;   // bytes of input[] to count this round
  int done[2];                // no more input after round r: done[r & 1] (thread 0 writes
                              // round r + 1's while others may still read round r's)
  int want_csv;
  unsigned long long distinct, words, bytes;
  unsigned long long csv_cursor;
  int full;                   // the table or the arena ran out
};
__device__ control ctl;

__device__ bool word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}
__device__ unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

__device__ bool same_word(const char* text, const char* word, unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    if (static_cast<unsigned char>(text[i]) != lower(static_cast<unsigned char>(word[i]))) return false;
  return true;
}

// Adds one occurrence of word[0, n).
__device__ void count_word(const char* word, unsigned n) {
  unsigned long long h = 1469598103934665603ull;  // FNV-1a
  for (unsigned i = 0; i < n; ++i) h = (h ^ lower(static_cast<unsigned char>(word[i]))) * 1099511628211ull;
  const unsigned long long key = h ? h : 1;
  unsigned i = static_cast<unsigned>(h >> (64 - table_bits));
  for (unsigned probe = 0; probe < table_size; ++probe, i = (i + 1) & (table_size - 1)) {
    entry& e = table[i];
    unsigned long long k = atomicAdd(&e.key, 0ull);
    if (k == 0) {
      k = atomicCAS(&e.key, 0ull, key);
      if (k == 0) {  // a new word: this thread stores its text
        if (atomicAdd(&ctl.distinct, 1ull) >= table_limit) ctl.full = 1;
        const unsigned long long at = atomicAdd(&arena_used, static_cast<unsigned long long>(n));
        if (at + n > arena_bytes) {
          ctl.full = 1;
          e.length = 0;
          e.offset = 0;
        } else {
          for (unsigned j = 0; j < n; ++j) arena[at + j] = static_cast<char>(lower(static_cast<unsigned char>(word[j])));
          e.length = n;
          e.offset = static_cast<unsigned>(at);
        }
        __threadfence();
        atomicExch(&e.ready, 1u);
        atomicAdd(&e.count, 1u);
        return;
      }
    }
    if (k == key) {
      while (atomicAdd(&e.ready, 0u) == 0) __nanosleep(32);
      __threadfence();
      if (e.length == n && same_word(arena + e.offset, word, n)) {
        atomicAdd(&e.count, 1u);
        return;
      }
    }
  }
  ctl.full = 1;
}

// Counts the words that start in this thread's share of input[0, valid).
__device__ void count_share(unsigned long long valid) {
  const unsigned long long threads = gpustd::program::size();
  const unsigned long long share = (valid + threads - 1) / threads;
  unsigned long long p = gpustd::program::rank() * share;
  const unsigned long long end = p + share < valid ? p + share : valid;
  if (p >= end) return;
  // A word that began before the share belongs to the thread before.
  if (p > 0 && word_byte(input[p - 1]))
    while (p < end && word_byte(input[p])) ++p;
  unsigned long long words = 0;
  while (p < end) {
    while (p < end && !word_byte(input[p])) ++p;
    if (p >= end) break;
    const unsigned long long start = p;
    while (p < valid && word_byte(input[p])) ++p;  // may run past the share
    count_word(input + start, static_cast<unsigned>(p - start));
    ++words;
  }
  if (words) atomicAdd(&ctl.words, words);
}

// Ordering of the table: more frequent first, then alphabetical (bytes).
__device__ bool before(unsigned a, unsigned b) {
  if (table[a].count != table[b].count) return table[a].count > table[b].count;
  const char* x = arena + table[a].offset;
  const char* y = arena + table[b].offset;
  const unsigned n = table[a].length < table[b].length ? table[a].length : table[b].length;
  for (unsigned i = 0; i < n; ++i)
    if (x[i] != y[i]) return static_cast<unsigned char>(x[i]) < static_cast<unsigned char>(y[i]);
  return table[a].length < table[b].length;
}
// Keeps best[0, top) sorted; slots of ~0u are empty.
__device__ void offer(unsigned* best, unsigned top, unsigned candidate) {
  if (best[top - 1] != ~0u && !before(candidate, best[top - 1])) return;
  unsigned i = top - 1;
  while (i > 0 && (best[i - 1] == ~0u || before(candidate, best[i - 1]))) {
    best[i] = best[i - 1];
    --i;
  }
  best[i] = candidate;
}

__device__ long long parse_count(const char* s) {
  long long v = 0;
  if (!*s) return -1;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > (1ll << 40)) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}
__device__ bool is(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

__device__ double ms_since(gpustd::chrono::steady_clock::time_point t0) {
  return static_cast<double>((gpustd::chrono::steady_clock::now() - t0).count()) / 1e6;
}

// Thread 0: options and files checked before any work. Fills `files` with
// the indices of argv that name inputs (0 for stdin).
__device__ int setup(int argc, char** argv, int* files, int& nfiles, const char*& csv) {
  int top = 10;
  ctl.chunk = chunk_bytes;
  if (const char* env = gpustd::getenv("WORDFREQ_TOP")) {
    top = static_cast<int>(parse_count(env));
    if (top < 1 || top > static_cast<int>(max_top)) {
      gpustd::eprintln("wordfreq: WORDFREQ_TOP={} is not a count from 1 to {}", env, +max_top);
      return -2;
    }
  }
  csv = "wordfreq.csv";
  nfiles = 0;
  for (int i = 1; i < argc; ++i) {
    if (is(argv[i], "-h") || is(argv[i], "--help")) {
      gpustd::println("usage: wordfreq [-n TOP] [-o COUNTS.csv|-] [-c CHUNK_BYTES] [FILE...]   (WORDFREQ_TOP: default TOP)");
      return 0;
    } else if (is(argv[i], "-n") || is(argv[i], "-o") || is(argv[i], "-c")) {
      if (i + 1 >= argc) {
        gpustd::eprintln("wordfreq: {} needs a value", argv[i]);
        return -2;
      }
      if (argv[i][1] == 'o') {
        csv = argv[++i];
        continue;
      }
      if (argv[i][1] == 'c') {
        const long long c = parse_count(argv[++i]);
        if (c < 1 || c > static_cast<long long>(chunk_bytes)) {
          gpustd::eprintln("wordfreq: -c {}: not a byte count from 1 to {}", argv[i], +chunk_bytes);
          return -2;
        }
        ctl.chunk = static_cast<unsigned long long>(c);
        continue;
      }
      top = static_cast<int>(parse_count(argv[++i]));
      if (top < 1 || top > static_cast<int>(max_top)) {
        gpustd::eprintln("wordfreq: -n {}: not a count from 1 to {}", argv[i], +max_top);
        return -2;
      }
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      gpustd::eprintln("wordfreq: unknown option {} (-h for help)", argv[i]);
      return -2;
    } else if (nfiles < 256) {
      files[nfiles++] = is(argv[i], "-") ? 0 : i;
    } else {
      gpustd::eprintln("wordfreq: more than 256 files");
      return -2;
    }
  }
  for (int f = 0; f < nfiles; ++f) {  // every file must be readable before we start
    if (files[f] == 0) continue;
    const int fd = gpustd::open(argv[files[f]], O_RDONLY);
    if (fd < 0) {
      gpustd::eprintln("wordfreq: {}: {}", argv[files[f]], gpustd::strerror(gpustd::errno_ref()));
      return -1;
    }
    gpustd::close(fd);
  }
  if (nfiles == 0) files[nfiles++] = 0;
  return top;
}

}  // namespace

GPUSTD_MAIN(int argc, char** argv) {
  namespace gc = gpustd::chrono;
  const unsigned rank = gpustd::program::rank();
  const bool leader = rank == 0;
  int files[256];
  int nfiles = 0;
  const char* csv = nullptr;
  const auto t_start = gc::steady_clock::now();
  if (leader) {
    const int top = setup(argc, argv, files, nfiles, csv);
    ctl.error = top == 0 ? -1 : top < 0 ? -top : 0;  // -1: help shown, exit 0
    ctl.top = top > 0 ? static_cast<unsigned>(top) : 0;
    if (gridDim.x > max_blocks) {
      gpustd::eprintln("wordfreq: at most {} blocks", +max_blocks);
      ctl.error = 2;
    }
  }
  gpustd::program::barrier();
  if (ctl.error) return ctl.error < 0 ? 0 : ctl.error;

  // ---- read and count, chunk by chunk ----
  double read_ms = 0;
  int file = 0, fd = -1;
  unsigned long long carry = 0;
  for (unsigned round = 0;; ++round) {
    if (leader) {
      const auto t0 = gc::steady_clock::now();
      unsigned long long got = 0;
      bool file_ended = false;
      while (got == 0 && file < nfiles) {
        if (files[file] != 0 && fd < 0) fd = gpustd::open(argv[files[file]], O_RDONLY);
        const long long r = files[file] == 0 ? gpustd::read_stdin(input + carry, ctl.chunk)
                                             : gpustd::read(fd, input + carry, ctl.chunk);
        if (r < 0) {
          gpustd::eprintln("wordfreq: {}: read failed: {}", files[file] ? argv[files[file]] : "stdin",
                           gpustd::strerror(files[file] ? gpustd::errno_ref() : static_cast<int>(-r)));
          ctl.error = 1;
          break;
        }
        got = static_cast<unsigned long long>(r);
        if (got == 0 || (files[file] == 0 && got < ctl.chunk)) {  // end of this input
          file_ended = true;
          if (fd >= 0) gpustd::close(fd);
          fd = -1;
          ++file;
          if (got == 0 && carry == 0) {  // nothing left over: on to the next input
            file_ended = false;
            continue;
          }
        }
        break;
      }
      ctl.bytes += got;
      const unsigned long long end = carry + got;
      // Count up to the last word boundary; a word cut by the chunk's end
      // waits for the next round (an input's end is a boundary). A word
      // longer than carry_room is split.
      unsigned long long valid = end;
      if (!file_ended) {
        while (valid > 0 && word_byte(input[valid - 1])) --valid;
        if (end - valid > carry_room) valid = end;
      }
      ctl.valid = valid;
      ctl.done[round & 1] = file >= nfiles && valid == end;
      carry = end - valid;
      read_ms += ms_since(t0);
    }
    gpustd::program::barrier();
    if (ctl.error) return ctl.error;
    count_share(ctl.valid);
    gpustd::program::barrier();
    if (ctl.done[round & 1]) break;
    if (leader && carry) {  // the cut word to the front
      for (unsigned long long i = 0; i < carry; ++i) input[i] = input[ctl.valid + i];
    }
  }
  const double count_ms = ms_since(t_start);
  if (ctl.full) {
    if (leader)
      gpustd::eprintln("wordfreq: more than {} distinct words or {} bytes of them: the table is full", +table_limit,
                       +arena_bytes);
    return 1;
  }

  // ---- the top words: per block, then merged by thread 0 ----
  const auto t_top = gc::steady_clock::now();
  const unsigned top = ctl.top;
  if (threadIdx.x == 0) {
    unsigned* best = block_top[blockIdx.x];
    for (unsigned i = 0; i < top; ++i) best[i] = ~0u;
    const unsigned per = (table_size + gridDim.x - 1) / gridDim.x;
    for (unsigned i = blockIdx.x * per; i < (blockIdx.x + 1) * per && i < table_size; ++i)
      if (table[i].key) offer(best, top, i);
  }
  gpustd::program::barrier();
  if (leader) {
    unsigned* best = block_top[0];
    for (unsigned b = 1; b < gridDim.x; ++b)
      for (unsigned i = 0; i < top && block_top[b][i] != ~0u; ++i) offer(best, top, block_top[b][i]);
    gpustd::println("wordfreq: {} words, {} distinct, {} bytes from {} input{}", ctl.words, ctl.distinct, ctl.bytes,
                    nfiles, nfiles == 1 ? "" : "s");
    gpustd::println("{:>5}  {:>12}  {}", "rank", "count", "word");
    for (unsigned i = 0; i < top && best[i] != ~0u; ++i) {
      const entry& e = table[best[i]];
      gpustd::println("{:>5}  {:>12}  {}", i + 1, e.count, gpustd::string_view(arena + e.offset, e.length));
    }
  }
  const double top_ms = ms_since(t_top);

  // ---- every count to the CSV: each thread writes its share of the table ----
  const auto t_csv = gc::steady_clock::now();
  if (leader) ctl.want_csv = !is(csv, "-");
  if (leader && ctl.want_csv) {
    ctl.csv_fd = gpustd::open(csv, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (ctl.csv_fd < 0) {
      gpustd::eprintln("wordfreq: {}: {}", csv, gpustd::strerror(gpustd::errno_ref()));
      ctl.error = 1;
    } else {
      gpustd::pwrite(ctl.csv_fd, "word,count\n", 11, 0);
      ctl.csv_cursor = 11;
    }
  }
  gpustd::program::barrier();
  if (ctl.error) return ctl.error;
  const bool want_csv = ctl.want_csv;
  if (want_csv) {
    const unsigned threads = gpustd::program::size();
    const unsigned per = (table_size + threads - 1) / threads;
    const unsigned first = rank * per;
    const unsigned last = first + per < table_size ? first + per : table_size;
    unsigned long long bytes = 0;  // this share's lines: word, comma, digits, newline
    for (unsigned i = first; i < last; ++i)
      if (table[i].key) {
        unsigned digits = 1;
        for (unsigned c = table[i].count; c >= 10; c /= 10) ++digits;
        bytes += table[i].length + digits + 2;
      }
    unsigned long long at = bytes ? atomicAdd(&ctl.csv_cursor, bytes) : 0;
    char buf[2048];
    unsigned n = 0;
    for (unsigned i = first; i < last; ++i) {
      if (!table[i].key) continue;
      const entry& e = table[i];
      if (n + e.length + 13 > sizeof buf) {
        if (gpustd::pwrite(ctl.csv_fd, buf, n, static_cast<long long>(at)) != static_cast<long long>(n)) ctl.error = 1;
        at += n;
        n = 0;
      }
      if (e.length + 13 > sizeof buf) {  // a giant word: on its own
        gpustd::pwrite(ctl.csv_fd, arena + e.offset, e.length, static_cast<long long>(at));
        at += e.length;
      } else {
        for (unsigned j = 0; j < e.length; ++j) buf[n++] = arena[e.offset + j];
      }
      buf[n++] = ',';
      char digits[12];
      unsigned k = 0;
      for (unsigned c = e.count;; c /= 10) {
        digits[k++] = static_cast<char>('0' + c % 10);
        if (c < 10) break;
      }
      while (k) buf[n++] = digits[--k];
      buf[n++] = '\n';
    }
    if (n && gpustd::pwrite(ctl.csv_fd, buf, n, static_cast<long long>(at)) != static_cast<long long>(n)) ctl.error = 1;
  }
  gpustd::program::barrier();
  if (leader) {
    if (want_csv) {
      gpustd::close(ctl.csv_fd);
      if (ctl.error) gpustd::eprintln("wordfreq: {}: write failed", csv);
      else gpustd::println("counts of all {} words: {}", ctl.distinct, csv);
    }
    gpustd::println("phases: read {:.1f} ms, read+count {:.1f} ms, top {:.1f} ms, csv {:.1f} ms ({} threads)", read_ms,
                    count_ms, top_ms, ms_since(t_csv), gpustd::program::size());
  }
  return ctl.error;
}
