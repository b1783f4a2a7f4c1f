#pragma once
// Logging to stderr by default (stdout may carry a protocol); replace the sink to route it elsewhere.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace sb {

enum class log_level { debug, info, warning, error };

inline std::string_view level_name(log_level level) {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "info";
}

struct logger {
  log_level threshold = log_level::info;
  std::function<void(log_level, std::string_view)> sink;  // empty: stderr

  void write(log_level level, std::string_view message) {
    if (level < threshold) return;
    if (sink) return sink(level, message);
    static std::mutex lock;
    const std::lock_guard guard(lock);
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    std::fprintf(stderr, "%s [%.*s] %.*s\n", stamp, static_cast<int>(level_name(level).size()),
                 level_name(level).data(), static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }
};

// The process-wide logger the framework writes to.
inline logger& log() {
  static logger instance;
  return instance;
}

}  // namespace sb
