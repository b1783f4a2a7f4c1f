#pragma once
// Counts global operator new calls on the current thread while `counting` is true. Defined once for
// the whole test program in alloc_counter.cpp.
#include <atomic>

namespace sb_alloc_probe {
extern std::atomic<long> allocations;
extern thread_local bool counting;
}  // namespace sb_alloc_probe
