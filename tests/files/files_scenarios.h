// Scenarios written once and run twice: by host code on the C library /
// std::filesystem / std::fstream, and by a kernel on gpustd's, each in its
// own empty directory; the tests compare what every step returned. An
// adapter (host_api, device_api) names the functions on each side.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <gpustd/gpustd.h>

namespace gpustd::test {

// What the steps of a scenario returned: a value and errno per step, and a
// label saying which step it was.
struct step_log {
  static constexpr unsigned max_steps = 160;
  std::int64_t value[max_steps];
  int error[max_steps];
  const char* label[max_steps];
  unsigned count;
};

__host__ __device__ inline void record(step_log& log, const char* label, std::int64_t value, int error = 0) {
  if (log.count < step_log::max_steps) {
    log.value[log.count] = value;
    log.error[log.count] = error;
    log.label[log.count] = label;
  }
  ++log.count;
}

// FNV-1a of some bytes, to compare data read on each side.
__host__ __device__ inline std::int64_t digest(const void* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<const unsigned char*>(p)[i]) * 1099511628211ull;
  return static_cast<std::int64_t>(h >> 1);
}

__host__ __device__ inline std::size_t text_length(const char* s) {
  std::size_t n = 0;
  while (s[n]) ++n;
  return n;
}

// A failing call logs its errno; a succeeding one logs 0 (errno is not
// meaningful after success in either library).
#define GPUSTD_STEP(log, api, label, expr)                       \
  do {                                                           \
    api::clear_errno();                                          \
    const std::int64_t v_ = static_cast<std::int64_t>(expr);     \
    ::gpustd::test::record(log, label, v_, v_ < 0 ? api::err() : 0); \
  } while (0)

// ---- POSIX descriptors ----

#pragma nv_exec_check_disable
template <class api>
__host__ __device__ void posix_scenario(step_log& log) {
  char buf[64];
  GPUSTD_STEP(log, api, "open missing", api::open("missing.txt", O_RDONLY, 0));
  const int w = api::open("f1", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  record(log, "open f1 for writing", w >= 0);
  GPUSTD_STEP(log, api, "write", api::write(w, "hello world\n", 12));
  GPUSTD_STEP(log, api, "read a write-only fd", api::read(w, buf, 4));
  GPUSTD_STEP(log, api, "lseek cur", api::lseek(w, 0, SEEK_CUR));
  GPUSTD_STEP(log, api, "pwrite at 0", api::pwrite(w, "HELLO", 5, 0));
  GPUSTD_STEP(log, api, "lseek cur after pwrite", api::lseek(w, 0, SEEK_CUR));
  GPUSTD_STEP(log, api, "pwrite negative offset", api::pwrite(w, "x", 1, -5));
  GPUSTD_STEP(log, api, "close", api::close(w));
  GPUSTD_STEP(log, api, "close twice", api::close(w));
  GPUSTD_STEP(log, api, "write after close", api::write(w, "x", 1));
  const int r = api::open("f1", O_RDONLY, 0);
  record(log, "open f1 for reading", r >= 0);
  GPUSTD_STEP(log, api, "read 5", api::read(r, buf, 5));
  record(log, "read 5 bytes", digest(buf, 5));
  GPUSTD_STEP(log, api, "pread 5 at 6", api::pread(r, buf, 5, 6));
  record(log, "pread bytes", digest(buf, 5));
  GPUSTD_STEP(log, api, "read after pread", api::read(r, buf, 3));
  record(log, "read after pread bytes", digest(buf, 3));
  GPUSTD_STEP(log, api, "lseek end", api::lseek(r, 0, SEEK_END));
  GPUSTD_STEP(log, api, "read at eof", api::read(r, buf, 10));
  GPUSTD_STEP(log, api, "lseek before start", api::lseek(r, -100, SEEK_SET));
  GPUSTD_STEP(log, api, "lseek bad whence", api::lseek(r, 0, 99));
  GPUSTD_STEP(log, api, "lseek past end", api::lseek(r, 100, SEEK_SET));
  GPUSTD_STEP(log, api, "read past end", api::read(r, buf, 10));
  GPUSTD_STEP(log, api, "lseek set 2", api::lseek(r, 2, SEEK_SET));
  GPUSTD_STEP(log, api, "read 60 (short)", api::read(r, buf, 60));
  record(log, "short read bytes", digest(buf, 10));
  struct stat st;
  GPUSTD_STEP(log, api, "fstat", api::fstat(r, &st));
  record(log, "fstat size", st.st_size);
  record(log, "fstat is regular", S_ISREG(st.st_mode));
  GPUSTD_STEP(log, api, "write a read-only fd", api::write(r, "x", 1));
  GPUSTD_STEP(log, api, "close reader", api::close(r));
  GPUSTD_STEP(log, api, "fstat closed", api::fstat(r, &st));
  GPUSTD_STEP(log, api, "read fd 999", api::read(999, buf, 1));
  GPUSTD_STEP(log, api, "open excl existing", api::open("f1", O_WRONLY | O_CREAT | O_EXCL, 0644));
  // Appending.
  const int a = api::open("f1", O_WRONLY | O_APPEND, 0);
  record(log, "open append", a >= 0);
  GPUSTD_STEP(log, api, "append", api::write(a, "tail\n", 5));
  GPUSTD_STEP(log, api, "pos after append", api::lseek(a, 0, SEEK_CUR));
  GPUSTD_STEP(log, api, "close append", api::close(a));
  GPUSTD_STEP(log, api, "stat size", api::stat("f1", &st));
  record(log, "stat size value", st.st_size);
  // Read and write one descriptor.
  const int rw = api::open("f1", O_RDWR, 0);
  GPUSTD_STEP(log, api, "rw read", api::read(rw, buf, 6));
  GPUSTD_STEP(log, api, "rw write at offset", api::write(rw, "WORLD", 5));
  GPUSTD_STEP(log, api, "rw seek 0", api::lseek(rw, 0, SEEK_SET));
  GPUSTD_STEP(log, api, "rw read all", api::read(rw, buf, 64));
  record(log, "rw bytes", digest(buf, 17));
  // A read after a pwrite through the same descriptor sees the new bytes.
  GPUSTD_STEP(log, api, "rw seek 0 again", api::lseek(rw, 0, SEEK_SET));
  GPUSTD_STEP(log, api, "rw read 3", api::read(rw, buf, 3));
  GPUSTD_STEP(log, api, "rw pwrite ahead", api::pwrite(rw, "XYZ", 3, 4));
  GPUSTD_STEP(log, api, "rw read 6 after pwrite", api::read(rw, buf, 6));
  record(log, "rw bytes after pwrite", digest(buf, 6));
  GPUSTD_STEP(log, api, "rw close", api::close(rw));
  // Directories.
  GPUSTD_STEP(log, api, "mkdir", api::mkdir("d", 0755));
  GPUSTD_STEP(log, api, "mkdir again", api::mkdir("d", 0755));
  GPUSTD_STEP(log, api, "open dir for writing", api::open("d", O_WRONLY, 0));
  const int dr = api::open("d", O_RDONLY, 0);
  record(log, "open dir for reading", dr >= 0);
  GPUSTD_STEP(log, api, "read a directory", api::read(dr, buf, 4));
  GPUSTD_STEP(log, api, "fstat dir", api::fstat(dr, &st));
  record(log, "fstat dir is dir", S_ISDIR(st.st_mode));
  api::close(dr);
  GPUSTD_STEP(log, api, "open O_DIRECTORY on a file", api::open("f1", O_RDONLY | O_DIRECTORY, 0));
  GPUSTD_STEP(log, api, "open in missing dir", api::open("nodir/f", O_WRONLY | O_CREAT, 0644));
  GPUSTD_STEP(log, api, "open through a file", api::open("f1/x", O_RDONLY, 0));
  const int inner = api::open("d/inner", O_WRONLY | O_CREAT, 0600);
  api::close(inner);
  GPUSTD_STEP(log, api, "rmdir non-empty", api::rmdir("d"));
  GPUSTD_STEP(log, api, "rmdir a file", api::rmdir("f1"));
  GPUSTD_STEP(log, api, "unlink a dir", api::unlink("d"));
  GPUSTD_STEP(log, api, "access missing", api::access("missing", F_OK));
  GPUSTD_STEP(log, api, "access f1", api::access("f1", R_OK | W_OK));
  GPUSTD_STEP(log, api, "rename", api::rename("f1", "f2"));
  GPUSTD_STEP(log, api, "open renamed-away", api::open("f1", O_RDONLY, 0));
  GPUSTD_STEP(log, api, "rename missing", api::rename("f1", "f3"));
  GPUSTD_STEP(log, api, "unlink", api::unlink("f2"));
  GPUSTD_STEP(log, api, "unlink again", api::unlink("f2"));
  GPUSTD_STEP(log, api, "unlink inner", api::unlink("d/inner"));
  GPUSTD_STEP(log, api, "rmdir", api::rmdir("d"));
  GPUSTD_STEP(log, api, "stat missing", api::stat("d", &st));
  GPUSTD_STEP(log, api, "lstat missing", api::lstat("d", &st));
  GPUSTD_STEP(log, api, "remove missing", api::remove("nothing"));
}

// ---- C stdio ----

#pragma nv_exec_check_disable
template <class api>
__host__ __device__ void stdio_scenario(step_log& log) {
  using file = typename api::file;
  char buf[64];
  api::clear_errno();
  bool failed = api::fopen("missing", "r") == nullptr;
  record(log, "fopen missing", failed, api::err());
  failed = api::fopen("f", "q") == nullptr;
  record(log, "fopen bad mode", failed, api::err());
  file f = api::fopen("f", "w");
  record(log, "fopen w", f != nullptr);
  GPUSTD_STEP(log, api, "fputs", api::fputs("first line\n", f) >= 0);
  GPUSTD_STEP(log, api, "fprintf", api::fprintf(f, "%d-%s-%.2f\n", 42, "x", 2.5));
  GPUSTD_STEP(log, api, "fputc", api::fputc('Z', f));
  GPUSTD_STEP(log, api, "fwrite", api::fwrite("\nabc\ndef", 1, 8, f));
  GPUSTD_STEP(log, api, "ftell", api::ftell(f));
  GPUSTD_STEP(log, api, "fread on w", api::fread(buf, 1, 4, f));
  record(log, "ferror after fread on w", api::ferror(f) != 0);
  api::clearerr(f);
  record(log, "ferror after clearerr", api::ferror(f) != 0);
  GPUSTD_STEP(log, api, "fflush", api::fflush(f));
  GPUSTD_STEP(log, api, "fclose", api::fclose(f));
  f = api::fopen("f", "r");
  record(log, "fopen r", f != nullptr);
  record(log, "fgets 1", api::fgets(buf, sizeof buf, f) != nullptr);
  record(log, "fgets 1 text", digest(buf, text_length(buf)));
  record(log, "fgets small", api::fgets(buf, 4, f) != nullptr);
  record(log, "fgets small text", digest(buf, text_length(buf)));
  record(log, "fgets rest", api::fgets(buf, sizeof buf, f) != nullptr);
  record(log, "fgets rest text", digest(buf, text_length(buf)));
  GPUSTD_STEP(log, api, "fgetc", api::fgetc(f));
  GPUSTD_STEP(log, api, "ungetc", api::ungetc('Q', f));
  GPUSTD_STEP(log, api, "fgetc after ungetc", api::fgetc(f));
  GPUSTD_STEP(log, api, "fread 3x2", api::fread(buf, 2, 3, f));
  record(log, "fread bytes", digest(buf, 6));
  GPUSTD_STEP(log, api, "feof before end", api::feof(f) != 0);
  GPUSTD_STEP(log, api, "fread to end", api::fread(buf, 1, 60, f));
  GPUSTD_STEP(log, api, "feof at end", api::feof(f) != 0);
  record(log, "fgets at end", api::fgets(buf, sizeof buf, f) == nullptr);
  GPUSTD_STEP(log, api, "fgetc at end", api::fgetc(f));
  GPUSTD_STEP(log, api, "fseek set", api::fseek(f, 6, SEEK_SET));
  GPUSTD_STEP(log, api, "feof after fseek", api::feof(f) != 0);
  GPUSTD_STEP(log, api, "ftell after fseek", api::ftell(f));
  GPUSTD_STEP(log, api, "fseek cur", api::fseek(f, 2, SEEK_CUR));
  GPUSTD_STEP(log, api, "fgetc after seek", api::fgetc(f));
  GPUSTD_STEP(log, api, "fseek end", api::fseek(f, -3, SEEK_END));
  GPUSTD_STEP(log, api, "ftell near end", api::ftell(f));
  GPUSTD_STEP(log, api, "fseek negative", api::fseek(f, -100, SEEK_SET));
  api::rewind(f);
  GPUSTD_STEP(log, api, "ftell after rewind", api::ftell(f));
  GPUSTD_STEP(log, api, "fwrite on r", api::fwrite("x", 1, 1, f));
  record(log, "ferror after fwrite on r", api::ferror(f) != 0);
  GPUSTD_STEP(log, api, "fclose r", api::fclose(f));
  // Append and read-write modes.
  f = api::fopen("f", "a");
  GPUSTD_STEP(log, api, "append", api::fputs("end\n", f) >= 0);
  GPUSTD_STEP(log, api, "ftell after append", api::ftell(f));
  api::fclose(f);
  f = api::fopen("f", "r+");
  GPUSTD_STEP(log, api, "r+ write", api::fwrite("FIRST", 1, 5, f));
  GPUSTD_STEP(log, api, "r+ seek", api::fseek(f, 0, SEEK_SET));
  const std::size_t got = api::fread(buf, 1, 64, f);
  record(log, "r+ read", static_cast<std::int64_t>(got));
  record(log, "r+ bytes", digest(buf, got));
  api::fclose(f);
  f = api::fopen("f", "w+");
  GPUSTD_STEP(log, api, "w+ truncated size", api::fread(buf, 1, 10, f));
  api::rewind(f);
  GPUSTD_STEP(log, api, "w+ write", api::fwrite("abc", 1, 3, f));
  api::rewind(f);
  GPUSTD_STEP(log, api, "w+ read back", api::fread(buf, 1, 10, f));
  api::fclose(f);
  failed = api::fopen("f", "wx") == nullptr;
  record(log, "fopen x existing", failed, api::err());
  GPUSTD_STEP(log, api, "rename", api::rename("f", "g"));
  GPUSTD_STEP(log, api, "remove", api::remove("g"));
  GPUSTD_STEP(log, api, "remove again", api::remove("g"));
}

// ---- C++ streams ----

#pragma nv_exec_check_disable
template <class api>
__host__ __device__ void fstream_scenario(step_log& log) {
  {
    typename api::ofstream out("s.txt");
    record(log, "ofstream open", out.is_open());
    out << "alpha " << 12 << ' ' << -7 << ' ' << 3.25 << api::endl;
    out << "beta " << 4000000000u << " 1e3 0x1f" << api::endl;
    out << "a-very-long-word-that-is-longer-than-fifty-six-bytes-so-it-comes-in-pieces end" << api::endl;
    out.write("raw\nlast", 8);
    record(log, "ofstream good", out.good());
  }  // closed by its destructor
  typename api::ifstream in("s.txt");
  record(log, "ifstream open", in.is_open());
  typename api::string word;
  int i = 0, j = 0;
  double d = 0;
  in >> word >> i >> j >> d;
  record(log, ">> word", digest(word.data(), word.size()));
  record(log, ">> ints", i * 1000 + j);
  record(log, ">> double", static_cast<std::int64_t>(d * 100));
  record(log, "state after >>", in.rdstate());
  unsigned u = 0;
  in >> word >> u;
  record(log, ">> unsigned", u);
  double e = 0;
  in >> e;
  record(log, ">> 1e3", static_cast<std::int64_t>(e));
  int bad = 5;
  in >> bad;  // "0x1f": reads 0, leaves "x1f"
  record(log, ">> 0x1f", bad);
  in >> bad;  // "x1f": fails
  record(log, ">> x1f fails", in.fail());
  record(log, "value after failure", bad);
  in.clear();
  in >> word;
  record(log, "word after clear", digest(word.data(), word.size()));
  in >> word;
  record(log, "long word", digest(word.data(), word.size()));
  record(log, "long word size", static_cast<std::int64_t>(word.size()));
  typename api::string line;
  getline(in, line);  // the rest of the line: " end"
  record(log, "getline rest", digest(line.data(), line.size()));
  getline(in, line);
  record(log, "getline raw", digest(line.data(), line.size()));
  getline(in, line);  // "last": no newline, eof
  record(log, "getline last", digest(line.data(), line.size()));
  record(log, "eof after last", in.eof());
  record(log, "fail after last", in.fail());
  getline(in, line);
  record(log, "getline past end fails", in.fail());
  in.clear();
  in.seekg(6);
  record(log, "tellg", static_cast<std::int64_t>(in.tellg()));
  char buf[16] = {};
  in.read(buf, 5);
  record(log, "read 5", digest(buf, 5));
  record(log, "gcount", static_cast<std::int64_t>(in.gcount()));
  in.seekg(-4, api::end);
  in.read(buf, 10);
  record(log, "short read gcount", static_cast<std::int64_t>(in.gcount()));
  record(log, "short read state", in.rdstate());
  in.close();
  record(log, "closed", in.is_open());
  typename api::ifstream missing("missing.txt");
  record(log, "missing fails", missing.fail());
  record(log, "missing is_open", missing.is_open());
  typename api::fstream both("s.txt", api::in | api::out);
  both.seekp(0);
  both.write("ALPHA", 5);
  both.seekg(0);
  both >> word;
  record(log, "fstream rewrite", digest(word.data(), word.size()));
  typename api::ofstream app("s.txt", api::app);
  app << "appended" << api::endl;
  app.close();
  typename api::ifstream again("s.txt");
  int lines = 0;
  while (getline(again, line)) ++lines;
  record(log, "lines after append", lines);
  record(log, "last line", digest(line.data(), line.size()));
}

// ---- std::filesystem ----

// The call first, then its error code (argument order is unspecified).
#define GPUSTD_FS_STEP(label, expr)                           \
  do {                                                        \
    const std::int64_t v_ = static_cast<std::int64_t>(expr);  \
    ::gpustd::test::record(log, label, v_, ec.value());       \
  } while (0)

#pragma nv_exec_check_disable
template <class P>
__host__ __device__ std::int64_t path_digest(const P& p) {
  return digest(p.native().data(), p.native().size());
}

#pragma nv_exec_check_disable
template <class api>
__host__ __device__ void filesystem_scenario(step_log& log) {
  using path = typename api::path;
  typename api::error_code ec;
  GPUSTD_FS_STEP("exists missing", api::exists(path("nothing"), ec));
  GPUSTD_FS_STEP("create_directory", api::create_directory(path("top"), ec));
  GPUSTD_FS_STEP("create_directory again", api::create_directory(path("top"), ec));
  GPUSTD_FS_STEP("create_directories", api::create_directories(path("top/a/b/c"), ec));
  GPUSTD_FS_STEP("create_directories again", api::create_directories(path("top/a/b/c"), ec));
  GPUSTD_FS_STEP("create_directory missing parent", api::create_directory(path("x/y"), ec));
  GPUSTD_FS_STEP("is_directory", api::is_directory(path("top/a"), ec));
  GPUSTD_FS_STEP("is_directory missing", api::is_directory(path("top/zz"), ec));
  {
    typename api::ofstream f("top/a/file.txt");
    f << "12345";
  }
  {
    typename api::ofstream f("top/a/other.bin");
    f << "abcdefghij";
  }
  GPUSTD_FS_STEP("exists file", api::exists(path("top/a/file.txt"), ec));
  GPUSTD_FS_STEP("is_regular_file", api::is_regular_file(path("top/a/file.txt"), ec));
  GPUSTD_FS_STEP("is_regular_file dir", api::is_regular_file(path("top/a"), ec));
  GPUSTD_FS_STEP("file_size", static_cast<std::int64_t>(api::file_size(path("top/a/file.txt"), ec)));
  GPUSTD_FS_STEP("file_size dir", static_cast<std::int64_t>(api::file_size(path("top/a"), ec)));
  GPUSTD_FS_STEP("file_size missing", static_cast<std::int64_t>(api::file_size(path("top/nope"), ec)));
  GPUSTD_FS_STEP("copy_file", api::copy_file(path("top/a/file.txt"), path("top/copy.txt"), ec));
  GPUSTD_FS_STEP("copy_file existing", api::copy_file(path("top/a/file.txt"), path("top/copy.txt"), ec));
  GPUSTD_FS_STEP("copy_file skip",
                 api::copy_file(path("top/a/other.bin"), path("top/copy.txt"), api::skip_existing, ec));
  GPUSTD_FS_STEP("copy_file overwrite",
                 api::copy_file(path("top/a/other.bin"), path("top/copy.txt"), api::overwrite_existing, ec));
  GPUSTD_FS_STEP("copied size", static_cast<std::int64_t>(api::file_size(path("top/copy.txt"), ec)));
  GPUSTD_FS_STEP("copy_file missing", api::copy_file(path("top/none"), path("top/c2"), ec));
  api::rename(path("top/copy.txt"), path("top/renamed.txt"), ec);
  GPUSTD_FS_STEP("rename", 0);
  api::rename(path("top/copy.txt"), path("top/renamed2.txt"), ec);
  GPUSTD_FS_STEP("rename missing", 0);
  GPUSTD_FS_STEP("remove file", api::remove(path("top/renamed.txt"), ec));
  GPUSTD_FS_STEP("remove missing", api::remove(path("top/renamed.txt"), ec));
  GPUSTD_FS_STEP("remove non-empty dir", api::remove(path("top/a"), ec));
  std::int64_t entries = 0, regular = 0, dirs = 0, bytes = 0;
  for (const auto& e : typename api::directory_iterator(path("top/a"), ec)) {
    ++entries;
    if (e.is_regular_file()) {
      ++regular;
      bytes += static_cast<std::int64_t>(e.file_size());
    }
    if (e.is_directory()) ++dirs;
  }
  GPUSTD_FS_STEP("directory entries", entries);
  GPUSTD_FS_STEP("directory regular files", regular);
  record(log, "directory subdirectories", dirs);
  record(log, "directory bytes", bytes);
  {
    typename api::directory_iterator missing(path("top/missing"), ec);
    record(log, "directory_iterator missing", missing == typename api::directory_iterator());
  }
  GPUSTD_FS_STEP("remove_all", static_cast<std::int64_t>(api::remove_all(path("top"), ec)));
  GPUSTD_FS_STEP("exists after remove_all", api::exists(path("top"), ec));
  GPUSTD_FS_STEP("remove_all missing", static_cast<std::int64_t>(api::remove_all(path("top"), ec)));
  // path: pure device code on the device side.
  const char* names[] = {"/usr/lib/libc.so.6", "dir/file.tar.gz", "file", ".profile", "dir/", "/", "a/b/..", "/a",
                         "a//b", ""};
  for (const char* n : names) {
    const path p(n);
    record(log, n, path_digest(p.filename()));
    record(log, n, path_digest(p.parent_path()));
    record(log, n, path_digest(p.stem()));
    record(log, n, path_digest(p.extension()));
    record(log, n, p.is_absolute());
  }
  record(log, "a / b", path_digest(path("a") / path("b")));
  record(log, "a/ / b", path_digest(path("a/") / path("b")));
  record(log, "a / /abs", path_digest(path("a") / path("/abs")));
  record(log, "empty / b", path_digest(path("") / path("b")));
  path x("x.txt");
  x.replace_extension(path(".md"));
  record(log, "replace_extension", path_digest(x));
  path y("y");
  y.replace_extension(path("md"));
  record(log, "replace_extension without dot", path_digest(y));
}

}  // namespace gpustd::test
