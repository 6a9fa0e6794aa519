// Your own hostcalls: device code looks keys up in a host-side table and
// writes to a host logger, through typed hostcalls declared once for both
// sides; blocking calls, futures, and a batch of calls sent together.
//
//   build/examples/hostcall        (GPU)
//   build/examples/hostcall_cpu    (CPU backend)
#include <gpustd/gpustd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

// ---- declared once, for device and host ----
struct price {
  int found;  // 0: no such key
  int cents;
};
GPUSTD_HOSTCALL(price_of, price(gpustd::string_view item));
GPUSTD_HOSTCALL(log_line, void(int thread, gpustd::string_view text));
GPUSTD_HOSTCALL(stock_of, int(int item));  // units in stock (plain parameters: it can go in a batch)

// ---- device side ----
__device__ const char* const items[] = {"apple", "pear", "plum", "kiwi", "mango", "durian", "fig", "lime"};
constexpr unsigned item_count = 8;

__global__ void shop(unsigned long long* total, unsigned long long* next_two, unsigned* missing,
                     unsigned long long* units) {
  const unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
  // A batch: every item's stock, eight calls in one request (with the other
  // lanes' batches), their answers read together.
  {
    gpustd::async_batch<stock_of> stock;
    for (unsigned k = 0; k < item_count; ++k) stock.add(static_cast<int>(k));
    int seen = 0;
    for (unsigned k = 0; k < item_count; ++k) seen += stock.get(k).value_or(0);
    atomicAdd(units, static_cast<unsigned long long>(seen));
  }
  const gpustd::string_view item(items[t % item_count]);
  // Blocking: waits for the host's answer.
  const gpustd::call_result<price> p = gpustd::call<price_of>(item);
  if (!p) {
    gpustd::eprintln("thread {}: price_of failed: {}", t, gpustd::strerror(p.error()));
    return;
  }
  if (!p.value().found) {
    atomicAdd(missing, 1u);
    if (t < item_count) gpustd::call<log_line>(static_cast<int>(t), gpustd::string_view("no price for this item"));
    return;
  }
  // Asynchronous: start the next two items' lookups, then collect them.
  auto a = gpustd::async_call<price_of>(gpustd::string_view(items[(t + 1) % item_count]));
  auto b = gpustd::async_call<price_of>(gpustd::string_view(items[(t + 2) % item_count]));
  const int next = a.get().value_or({0, 0}).cents + b.get().value_or({0, 0}).cents;
  atomicAdd(total, static_cast<unsigned long long>(p.value().cents));
  atomicAdd(next_two, static_cast<unsigned long long>(next));
  if (t == 0) gpustd::call<log_line>(0, gpustd::string_view("thread 0 bought an apple"));
}

// ---- host side ----
class price_list {
 public:
  price operator()(std::string_view item) const {
    const auto it = cents_.find(std::string(item));
    return it == cents_.end() ? price{0, 0} : price{1, it->second};
  }

 private:
  std::map<std::string, int> cents_{{"apple", 40}, {"pear", 55}, {"plum", 30}, {"kiwi", 25},
                                    {"mango", 120}, {"fig", 90}};
};

class logger {
 public:
  void write(int thread, std::string_view text) {
    std::lock_guard lk(m_);
    std::fprintf(stderr, "[host log] thread %d: %.*s\n", thread, static_cast<int>(text.size()), text.data());
    ++lines_;
  }
  int lines() const { return lines_; }

 private:
  std::mutex m_;
  int lines_ = 0;
};

int main() {
  gpustd::runtime rt;
  price_list prices;
  logger log;
  rt.register_hostcall<price_of>(prices);                 // any callable
  rt.register_hostcall<log_line>(&logger::write, &log);   // a member function
  rt.register_hostcall<stock_of>([](int item) { return (item + 1) * 3; });

  unsigned long long *total = nullptr, *next_two = nullptr, *units = nullptr;
  unsigned* missing = nullptr;
  cudaMallocManaged(&total, sizeof *total);
  cudaMallocManaged(&next_two, sizeof *next_two);
  cudaMallocManaged(&units, sizeof *units);
  cudaMallocManaged(&missing, sizeof *missing);
  *total = *next_two = *units = 0;
  *missing = 0;
  gpustd::launch(shop, 2, 32, total, next_two, missing, units);  // 64 threads, 8 of each item
  rt.synchronize();
  std::printf("64 lookups: %u without a price, %llu cents in all, %llu for the next two, %llu units in stock seen, "
              "%d log lines\n",
              *missing, *total, *next_two, *units, log.lines());
  const bool ok = *missing == 16 && *total == 8ull * (40 + 55 + 30 + 25 + 120 + 90) && *next_two == 8ull * 535 &&
                  *units == 64ull * 3 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8);
  cudaFree(total);
  cudaFree(next_two);
  cudaFree(units);
  cudaFree(missing);
  return ok ? 0 : 1;
}
