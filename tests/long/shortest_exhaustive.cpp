// The long test of the shortest-form writer (json/detail/shortest.hpp), not run in CI: every finite
// float, and as many random doubles as asked, written by switchboard and by std::to_chars (trimmed
// for JSON as write.hpp does) must be the same text.
//   build/<dir>/tests/shortest_exhaustive floats               (all 2^32 bit patterns, on every core)
//   build/<dir>/tests/shortest_exhaustive doubles 100000000 [seed]
#include <switchboard/json/detail/shortest.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

namespace {

template <class F>
std::string_view by_to_chars(F value, char* text) {
  char* last = std::to_chars(text, text + 60, value).ptr;
  char* exponent = std::find(text, last, 'e');
  if (exponent != last) {
    if (exponent[1] == '+') {
      std::memmove(exponent + 1, exponent + 2, static_cast<std::size_t>(last - exponent - 2));
      --last;
    }
  } else if (std::find(text, last, '.') == last) {
    *last++ = '.';
    *last++ = '0';
  }
  return {text, static_cast<std::size_t>(last - text)};
}

template <class F>
bool same(F value) {
  if (!std::isfinite(value)) return true;
  char expected_text[64], text[64];
  const std::string_view expected = by_to_chars(value, expected_text);
  const std::string_view written(text, static_cast<std::size_t>(sb::json::detail::write_shortest(text, value) - text));
  if (expected == written) return true;
  static std::atomic<int> shown{0};
  if (shown++ < 20)
    std::printf("differs: %a: to_chars %.*s, switchboard %.*s\n", static_cast<double>(value), static_cast<int>(expected.size()),
                expected.data(), static_cast<int>(written.size()), written.data());
  return false;
}

// Runs body(i) for i in [0, count) on every core; the number of failures.
template <class Body>
long on_every_core(std::uint64_t count, Body body) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<long> failures{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      long failed = 0;
      for (std::uint64_t i = t; i < count; i += threads) failed += !body(i, t);
      failures += failed;
    });
  for (auto& thread : pool) thread.join();
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view what = argc > 1 ? argv[1] : "";
  if (what == "floats") {
    const long failures = on_every_core(std::uint64_t{1} << 32, [](std::uint64_t i, unsigned) {
      const auto bits = static_cast<std::uint32_t>(i);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return same(f);
    });
    std::printf("every float: %ld differ\n", failures);
    return failures != 0;
  }
  if (what == "doubles") {
    const std::uint64_t count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000000;
    const std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 20261204;
    const long failures = on_every_core(count, [seed](std::uint64_t, unsigned thread) {
      thread_local std::mt19937_64 random(seed + thread);
      const std::uint64_t bits = random();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      const double few_digits = static_cast<double>(random() % 100000000) / static_cast<double>(1 + random() % 100000);
      return same(d) && same(few_digits);
    });
    std::printf("%llu random doubles and as many of few digits: %ld differ\n", static_cast<unsigned long long>(count), failures);
    return failures != 0;
  }
  std::fprintf(stderr, "usage: %s floats | doubles [count] [seed]\n", argv[0]);
  return 2;
}
