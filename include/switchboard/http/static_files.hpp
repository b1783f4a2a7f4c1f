#pragma once
// Mapping a URL path to a file under a root directory, refusing anything that could leave it.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sb::detail {

inline std::string_view content_type_for(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "ico") return "image/x-icon";
  if (ext == "wasm") return "application/wasm";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "woff2") return "font/woff2";
  return "application/octet-stream";
}

// The file for `url_path` (already percent-decoded) under `root`, or nothing. Rejects "..", empty
// and dot segments, backslashes, NUL, and any path that resolves (through symlinks) outside root.
inline std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                           std::string_view url_path) {
  if (url_path.empty() || url_path[0] != '/') return std::nullopt;
  std::filesystem::path relative;
  std::size_t start = 1;
  while (start <= url_path.size()) {
    std::size_t stop = url_path.find('/', start);
    if (stop == std::string_view::npos) stop = url_path.size();
    const std::string_view segment = url_path.substr(start, stop - start);
    if (segment == ".." || segment == "." || segment.find('\\') != std::string_view::npos ||
        segment.find('\0') != std::string_view::npos || segment.find(':') != std::string_view::npos)
      return std::nullopt;
    if (!segment.empty()) relative /= std::string(segment);
    start = stop + 1;
  }
  std::error_code ec;
  const auto base = std::filesystem::weakly_canonical(root, ec);
  if (ec) return std::nullopt;
  auto candidate = std::filesystem::weakly_canonical(base / relative, ec);
  if (ec) return std::nullopt;
  if (std::filesystem::is_directory(candidate, ec)) candidate /= "index.html";
  const auto [root_end, unused] = std::mismatch(base.begin(), base.end(), candidate.begin(), candidate.end());
  if (root_end != base.end()) return std::nullopt;
  if (!std::filesystem::is_regular_file(candidate, ec)) return std::nullopt;
  return candidate;
}

}  // namespace sb::detail
