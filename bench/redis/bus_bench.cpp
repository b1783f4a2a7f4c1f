// Cross-instance broadcast: sb::redis_bus from instance A to subscribers on instance B (two buses in
// this process, one real redis-server between them), against the in-process sb::local_bus doing the
// same fan-out. Reports messages/s flat out and, at a low rate (one message per millisecond), p50/p99
// of the time from publish until the last subscriber has the message.
//   bench_redis_bus [--redis-server PATH] [--messages N] [--paced N]
// It starts its own redis-server (Debian: redis-server) on a free port.
#include <switchboard/local_bus.hpp>
#include <switchboard/redis/redis_bus.hpp>

#include "../../tests/support/redis_server.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

// Every subscriber counts; the one that completes a message's fan-out records its latency.
struct fan_out {
  std::size_t subscribers;
  std::vector<std::atomic<std::uint32_t>> arrivals;
  std::vector<std::int64_t> latency_ns;
  std::atomic<std::size_t> complete{0};

  fan_out(std::size_t n, std::size_t messages) : subscribers(n), arrivals(messages), latency_ns(messages) {}

  void arrived(std::string_view json) {
    // {"i":<index>,"t":<ns>}
    std::size_t index = 0;
    std::int64_t sent = 0;
    const char* p = json.data() + 5;
    const char* end = json.data() + json.size();
    p = std::from_chars(p, end, index).ptr + 5;
    std::from_chars(p, end, sent);
    if (arrivals[index].fetch_add(1) + 1 == subscribers) {
      latency_ns[index] = now_ns() - sent;
      complete.fetch_add(1);
    }
  }
};

// Subscribed once per scenario; each run points it at that run's fan_out.
class counter final : public sb::bus_subscriber {
 public:
  void deliver(std::string_view, std::string_view json_text) override {
    if (fan_out* f = current.load()) f->arrived(json_text);
  }
  std::atomic<fan_out*> current{nullptr};
};

struct result {
  double per_second = 0;
  double p50_us = 0, p99_us = 0;
  bool complete = true;
};

std::string message(std::size_t index) {
  return "{\"i\":" + std::to_string(index) + ",\"t\":" + std::to_string(now_ns()) + "}";
}

// Publishes `messages` on `from`, `subscribers` follow on `to`; `pause` between publishes (zero:
// flat out). Waits up to 60 s for every delivery.
result run(sb::bus& from, std::vector<std::unique_ptr<counter>>& subs, std::size_t messages,
           std::chrono::microseconds pause) {
  fan_out f(subs.size(), messages);
  for (auto& s : subs) s->current = &f;
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < messages; ++i) {
    from.publish("room", message(i));
    if (pause.count()) std::this_thread::sleep_until(start + pause * static_cast<long>(i + 1));
  }
  result r;
  r.complete = sb::test::wait_until([&] { return f.complete.load() == messages; }, std::chrono::seconds(60));
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  r.per_second = static_cast<double>(f.complete.load()) / seconds;
  std::vector<std::int64_t> sorted(f.latency_ns.begin(), f.latency_ns.begin() + static_cast<long>(f.complete.load()));
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty()) {
    r.p50_us = static_cast<double>(sorted[sorted.size() / 2]) / 1000.0;
    r.p99_us = static_cast<double>(sorted[sorted.size() * 99 / 100]) / 1000.0;
  }
  for (auto& s : subs) s->current = nullptr;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 100000, paced = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--messages")) messages = std::stoul(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--paced")) paced = std::stoul(argv[i + 1]);
  }
  sb::log().threshold = sb::log_level::warning;
  sb::test::redis_server redis;
  sb::redis_bus_options options;
  options.url = redis.url();
  options.outage_queue = 10'000'000;  // flat out, the publisher outruns Redis: measure, do not drop
  sb::redis_bus a(options), b(options);
  sb::local_bus local;

  std::printf("| bus | subscribers | messages/s (flat out) | p50 µs | p99 µs (1 message/ms) |\n|---|---|---|---|---|\n");
  for (std::size_t subscribers : {std::size_t{1}, std::size_t{1000}}) {
    // Flat out, fewer messages when each fans out to 1,000.
    const std::size_t count = subscribers == 1 ? messages : messages / 20;
    for (const bool over_redis : {false, true}) {
      sb::bus& from = over_redis ? static_cast<sb::bus&>(a) : local;
      sb::bus& to = over_redis ? static_cast<sb::bus&>(b) : local;
      std::vector<std::unique_ptr<counter>> subs;
      for (std::size_t i = 0; i < subscribers; ++i) {
        subs.push_back(std::make_unique<counter>());
        to.subscribe("room", *subs.back());
      }
      if (over_redis) sb::test::wait_until([&] { return b.redis_channels() == 1; });
      const result fast = run(from, subs, count, std::chrono::microseconds(0));
      const result slow = run(from, subs, paced, std::chrono::microseconds(1000));
      for (auto& s : subs) to.unsubscribe_all(*s);
      if (over_redis) sb::test::wait_until([&] { return b.redis_channels() == 0; });
      std::printf("| %s | %zu | %.0f%s | %.1f | %.1f%s |\n", over_redis ? "redis_bus, A to B" : "local_bus", subscribers,
                  fast.per_second, fast.complete ? "" : " (incomplete)", slow.p50_us, slow.p99_us,
                  slow.complete ? "" : " (incomplete)");
      std::fflush(stdout);
    }
  }
  return 0;
}
