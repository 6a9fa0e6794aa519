// What GPUSTD_MAIN (program/main.h) registers with the host entry point that
// the library supplies (src/program/program_main.cpp). Host code; the same
// on both backends.
#pragma once

namespace gpustd::program_detail {

struct program_entry {
  // Launches blocks x threads of the program; returns "" or an error text.
  // CUDA: asynchronously, on `stream`; CPU backend: returns when it ends.
  const char* (*launch)(unsigned blocks, unsigned threads, void* stream);
  // Blocks of `threads` threads that one SM holds at once (CUDA), or 0.
  int (*blocks_per_sm)(unsigned threads);
};
void register_program(const program_entry& e);
void register_default_shape(unsigned blocks, unsigned threads);

struct program_registrar {
  program_registrar(const program_entry& e) { register_program(e); }
};
struct shape_registrar {
  shape_registrar(unsigned blocks, unsigned threads) { register_default_shape(blocks, threads); }
};

}  // namespace gpustd::program_detail
