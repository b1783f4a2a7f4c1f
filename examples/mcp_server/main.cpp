// An MCP server for a desktop client (Claude Desktop, the MCP Inspector, an IDE): ordinary C++
// functions become tools, their schemas derived from the signatures. Notes kept in memory, a
// read-only view of one directory, and the time.
//
//   mcp_server [--root DIR]                 MCP over stdio (what desktop clients start)
//   mcp_server [--root DIR] --port 8765     MCP over Streamable HTTP at http://127.0.0.1:8765/mcp
//
// DIR (default: the current directory) is the only place files.* can read; nothing can write.
#include <switchboard/switchboard.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcp_example {

namespace fs = std::filesystem;

struct note {
  int id;
  std::string title;
  std::string text;
};

// In memory; its calls are serialized, so it needs no lock of its own.
struct notes;
note add_note(notes& store, std::string title, std::string text);
std::vector<note> search_notes(const notes& store, std::string query);
std::vector<note> list_notes(const notes& store);

struct notes {
  static constexpr bool serialized = true;
  std::vector<note> all;

  sb::fn<&add_note, sb::args{"title", "text"}, sb::doc{"Keeps a note", "a short title", "the note itself"}> add;
  sb::fn<&search_notes, sb::args{"query"}, sb::doc{"The notes whose title or text contains the query"}> search;
  sb::fn<&list_notes, sb::doc{"Every note, oldest first"}> list;
};

note add_note(notes& store, std::string title, std::string text) {
  store.all.push_back({static_cast<int>(store.all.size()) + 1, std::move(title), std::move(text)});
  return store.all.back();
}
std::vector<note> search_notes(const notes& store, std::string query) {
  std::vector<note> found;
  for (const auto& n : store.all)
    if (n.title.find(query) != std::string::npos || n.text.find(query) != std::string::npos) found.push_back(n);
  return found;
}
std::vector<note> list_notes(const notes& store) { return store.all; }

inline fs::path root = fs::current_path();

// `relative` inside the root, or an error: no "..", no absolute paths, no symbolic link out of it.
inline sb::result<fs::path> inside_root(std::string_view relative) {
  const fs::path asked(relative);
  if (asked.is_absolute()) return sb::invalid_argument("give a path relative to the root");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(root, ec);
  const fs::path full = fs::weakly_canonical(base / asked, ec);
  if (ec) return sb::not_found("no such path: " + std::string(relative));
  const auto [stop, unused] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (stop != base.end()) return sb::forbidden("outside the root: " + std::string(relative));
  return full;
}

struct entry {
  std::string name;
  bool directory;
  std::uintmax_t size;
};

inline sb::result<std::vector<entry>> list_directory(std::optional<std::string> path) {
  auto dir = inside_root(path.value_or("."));
  if (!dir.ok()) return dir.error();
  std::error_code ec;
  std::vector<entry> out;
  for (const auto& e : fs::directory_iterator(dir.value(), ec)) {
    const bool directory = e.is_directory(ec);
    out.push_back({e.path().filename().string(), directory, directory ? std::uintmax_t{0} : e.file_size(ec)});
  }
  if (ec) return sb::not_found("cannot list " + path.value_or("."));
  std::sort(out.begin(), out.end(), [](const entry& a, const entry& b) { return a.name < b.name; });
  return out;
}

inline sb::result<std::string> read_file(std::string path, std::optional<std::size_t> max_bytes) {
  auto file = inside_root(path);
  if (!file.ok()) return file.error();
  std::ifstream in(file.value(), std::ios::binary);
  if (!in) return sb::not_found("cannot read " + path);
  std::string text(std::min<std::size_t>(max_bytes.value_or(65536), 1 << 20), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

struct match {
  std::string file;
  int line;
  std::string text;
};

// Each matching line as soon as it is found (MCP progress), all of them as the result; stops as
// soon as the client cancels.
inline void find_text(std::string text, sb::stream<match> out) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator() && out.open(); it.increment(ec)) {
    if (ec || !it->is_regular_file(ec) || it->file_size(ec) > (1 << 20)) continue;
    std::ifstream in(it->path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number)
      if (line.find(text) != std::string::npos &&
          !out.emit({fs::relative(it->path(), root, ec).string(), number, line.substr(0, 200)}))
        return;
  }
}

struct files {
  sb::fn<&list_directory, sb::args{"path"},
         sb::doc{"The entries of a directory under the root", "relative to the root (default: the root)"}>
      list;
  sb::fn<&read_file, sb::args{"path", "max_bytes"},
         sb::doc{"The start of a file under the root", "relative to the root", "at most this much (default 64 KiB)"}>
      read;
  sb::fn<&find_text, sb::args{"text"}, sb::doc{"Every line containing the text, in the files under the root"}> grep;
};

inline std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

struct clock {
  sb::fn<&utc_now, sb::doc{"The current time, UTC, ISO 8601"}> now;
};

}  // namespace mcp_example

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--root" && i + 1 < argc) mcp_example::root = argv[++i];
    else if (arg == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--root DIR] [--port PORT]\n", argv[0]);
      return 2;
    }
  }
  sb::mcp_options mcp;
  mcp.name = "switchboard-example";
  mcp.instructions = "notes.* keeps notes for this session; files.* reads (never writes) the files under " +
                     mcp_example::root.string() + "; clock.now tells the time.";
  sb::app<mcp_example::notes, mcp_example::files, mcp_example::clock> app;
  if (port == 0) {
    sb::stdio options;
    options.mcp = mcp;
    return app.serve(options);
  }
  sb::server options;
  options.port = port;
  options.mcp = mcp;
  return app.serve(options);
}
