#include "work_sharing.h"

namespace gpustd::detail {

namespace {
thread_local bool on_server_thread = false;

void pause() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

constexpr bool is_posted(std::uint64_t word) { return (word >> 32) & 1u; }
}  // namespace

work_sharing::work_sharing(unsigned posts) : posts_(new post[posts ? posts : 1]), count_(posts ? posts : 1) {}

void work_sharing::serving_thread(bool on) { on_server_thread = on; }

unsigned work_sharing::work_on(post& p) {
  unsigned ran = 0;
  std::uint64_t w = p.word.load(std::memory_order_acquire);
  while (is_posted(w)) {
    // (Relaxed: a count of a later job than w's can only be read once the
    // word has moved on, and then the claim below fails.)
    const unsigned parts = p.parts.load(std::memory_order_relaxed);
    const auto part = static_cast<std::uint32_t>(w);
    if (part >= parts) break;
    // Acquire on success: the job's body and context, written before it was
    // posted (release), are visible. On failure w is reloaded and looked at again.
    if (!p.word.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    p.body.load(std::memory_order_relaxed)(p.context.load(std::memory_order_relaxed), part);
    // Release: what the part wrote happens before the owner's return.
    p.done.fetch_add(1, std::memory_order_release);
    ++ran;
    w = p.word.load(std::memory_order_acquire);
  }
  return ran;
}

void work_sharing::run(unsigned parts, body_fn body, const void* context) {
  post* p = nullptr;
  if (on_server_thread && parts > 1 && helpers_.load(std::memory_order_relaxed) > 1)
    for (unsigned k = 0; k < count_ && !p; ++k)
      if (!posts_[k].taken.exchange(true, std::memory_order_acq_rel)) p = &posts_[k];
  if (!p) {
    for (unsigned i = 0; i < parts; ++i) body(context, i);
    return;
  }
  p->parts.store(parts, std::memory_order_relaxed);
  p->body.store(body, std::memory_order_relaxed);
  p->context.store(context, std::memory_order_relaxed);
  p->done.store(0, std::memory_order_relaxed);
  // The post's generation goes from even (free) to odd (posted); release:
  // the fields above are seen by whoever claims a part.
  const std::uint64_t generation = (p->word.load(std::memory_order_relaxed) >> 32) + 1;
  p->word.store(generation << 32, std::memory_order_release);
  posted_.fetch_add(1, std::memory_order_relaxed);
  if (wake_ && parked_.load(std::memory_order_relaxed) != 0) wake_(wake_context_);
  work_on(*p);
  // Every part is claimed; wait for those that helpers still run (acquire:
  // their writes happen before this returns).
  while (p->done.load(std::memory_order_acquire) != parts) pause();
  // Retired (even generation; release: a helper that reads the new word
  // claims nothing, one with the old word fails its claim).
  p->word.store((generation + 1) << 32, std::memory_order_release);
  posted_.fetch_sub(1, std::memory_order_relaxed);
  p->taken.store(false, std::memory_order_release);
}

bool work_sharing::help() {
  if (!wanted()) return false;
  unsigned ran = 0;
  for (unsigned k = 0; k < count_; ++k) ran += work_on(posts_[k]);
  return ran != 0;
}

}  // namespace gpustd::detail
