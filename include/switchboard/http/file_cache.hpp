#pragma once
// Small static files kept in memory, so that a page's scripts and styles cost no path resolution,
// open or read per request. An entry is loaded again from the disk (resolved again, read again) when
// it is older than `recheck`: a changed file is served stale for at most that long, as with nginx's
// open_file_cache_valid.

#include <switchboard/http/static_files.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sb::detail {

struct cached_file {
  std::string content;
  std::string_view content_type;
  std::chrono::steady_clock::time_point checked;
};

class static_file_cache {
 public:
  static constexpr std::size_t max_file_bytes = 64 * 1024;
  static constexpr std::size_t max_total_bytes = 16 * 1024 * 1024;
  static constexpr std::size_t max_entries = 4096;
  static constexpr std::chrono::milliseconds recheck{1000};

  // The file for `url_path` under `root` when it is small enough to keep (loaded on first use),
  // null otherwise (not found, too large, or the cache is full): then read it from the disk.
  std::shared_ptr<const cached_file> find(const std::filesystem::path& root, const std::string& url_path) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::shared_lock lock(mutex_);
      const auto found = files_.find(url_path);
      if (found != files_.end() && now - found->second->checked < recheck) return found->second;
    }
    auto fresh = load(root, url_path, now);
    std::unique_lock lock(mutex_);
    const auto found = files_.find(url_path);
    if (found != files_.end()) {
      total_ -= found->second->content.size();
      files_.erase(found);
    }
    if (!fresh || files_.size() >= max_entries || total_ + fresh->content.size() > max_total_bytes) return fresh;
    total_ += fresh->content.size();
    files_.emplace(url_path, fresh);
    return fresh;
  }

 private:
  static std::shared_ptr<const cached_file> load(const std::filesystem::path& root, const std::string& url_path,
                                                 std::chrono::steady_clock::time_point now) {
    const auto file = resolve_static(root, url_path);
    if (!file) return nullptr;
    std::error_code ec;
    const auto size = std::filesystem::file_size(*file, ec);
    if (ec || size > max_file_bytes) return nullptr;
    auto entry = std::make_shared<cached_file>();
    std::ifstream in(*file, std::ios::binary);
    entry->content.resize(static_cast<std::size_t>(size));
    if (!in.read(entry->content.data(), static_cast<std::streamsize>(size))) return nullptr;
    entry->content_type = content_type_for(file->string());
    entry->checked = now;
    return entry;
  }

  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const cached_file>> files_;
  std::size_t total_ = 0;
};

}  // namespace sb::detail
