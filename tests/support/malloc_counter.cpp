// LD_PRELOAD library: counts malloc/calloc/realloc calls of a whole process (every thread) and
// writes the count to the file named by MALLOC_COUNTER_OUT at exit. Tests compare two runs that
// differ only in the number of requests, so start-up and warm-up cancel out.
#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace {

std::atomic<unsigned long> calls{0};

// dlsym may itself allocate before the real functions are known: serve that from a static buffer.
alignas(16) char bootstrap[4096];
std::size_t bootstrap_used = 0;
void* (*real_malloc)(std::size_t) = nullptr;
void* (*real_calloc)(std::size_t, std::size_t) = nullptr;
void* (*real_realloc)(void*, std::size_t) = nullptr;
void (*real_free)(void*) = nullptr;
bool resolving = false;

void resolve() {
  if (real_malloc || resolving) return;
  resolving = true;
  real_malloc = reinterpret_cast<void* (*)(std::size_t)>(dlsym(RTLD_NEXT, "malloc"));
  real_calloc = reinterpret_cast<void* (*)(std::size_t, std::size_t)>(dlsym(RTLD_NEXT, "calloc"));
  real_realloc = reinterpret_cast<void* (*)(void*, std::size_t)>(dlsym(RTLD_NEXT, "realloc"));
  real_free = reinterpret_cast<void (*)(void*)>(dlsym(RTLD_NEXT, "free"));
  resolving = false;
}

void* from_bootstrap(std::size_t n) {
  n = (n + 15) & ~std::size_t{15};
  if (bootstrap_used + n > sizeof bootstrap) return nullptr;
  void* p = bootstrap + bootstrap_used;
  bootstrap_used += n;
  return p;
}

bool in_bootstrap(void* p) {
  return static_cast<char*>(p) >= bootstrap && static_cast<char*>(p) < bootstrap + sizeof bootstrap;
}

struct reporter {
  ~reporter() {
    const char* path = std::getenv("MALLOC_COUNTER_OUT");
    if (!path) return;
    if (std::FILE* f = std::fopen(path, "w")) {
      std::fprintf(f, "%lu\n", calls.load());
      std::fclose(f);
    }
  }
} report_at_exit;

}  // namespace

extern "C" {

void* malloc(std::size_t n) {
  resolve();
  if (!real_malloc) return from_bootstrap(n);
  calls.fetch_add(1, std::memory_order_relaxed);
  return real_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
  resolve();
  if (!real_calloc) return from_bootstrap(count * n);  // static storage is zeroed
  calls.fetch_add(1, std::memory_order_relaxed);
  return real_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
  resolve();
  calls.fetch_add(1, std::memory_order_relaxed);
  return real_realloc(p, n);
}
void free(void* p) {
  if (!p || in_bootstrap(p)) return;
  resolve();
  real_free(p);
}

}  // extern "C"
