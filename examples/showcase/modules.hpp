#pragma once
// The showcase's modules: ordinary functions, grouped. Names and shapes are pinned (clients and tests
// rely on them).

#include <switchboard/switchboard.hpp>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/utsname.h>
#include <unistd.h>

namespace showcase {

inline const auto process_start = std::chrono::steady_clock::now();

inline double add(double a, double b) { return a + b; }
inline double multiply(double a, double b) { return a * b; }

// Case mapping for ASCII, Latin-1, Greek and Cyrillic letters (what JavaScript's toUpperCase does
// for them); other code points pass through unchanged.
inline char32_t to_upper(char32_t c) {
  if ((c >= U'a' && c <= U'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) ||
      (c >= 0x430 && c <= 0x44F))
    return c - 0x20;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  return c;
}
inline char32_t to_lower(char32_t c) {
  if ((c >= U'A' && c <= U'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
      (c >= 0x410 && c <= 0x42F))
    return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

// Input is valid UTF-8 (the JSON reader checked it), so decoding needs no error paths.
template <class Map>
std::string map_code_points(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t c = n == 1 ? lead : lead & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    c = map(c);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out.append(text.substr(i, n));  // only two-byte letters are mapped, so longer ones stay as they were
    }
    i += n;
  }
  return out;
}

inline std::string to_upper_case(std::string_view text) { return map_code_points(text, to_upper); }
inline std::string to_lower_case(std::string_view text) { return map_code_points(text, to_lower); }
inline std::vector<sb::json::value> reverse_array(std::vector<sb::json::value> items) {
  std::reverse(items.begin(), items.end());
  return items;
}
inline sb::json::value echo(sb::json::value value) { return value; }

struct system_info {
  std::string os;
  std::string arch;
  unsigned cpu_count;
  std::string hostname;
  double uptime_seconds;
  std::string framework_version;
};

inline system_info get_system_info() {
  utsname names{};
  uname(&names);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::chrono::duration<double> up = std::chrono::steady_clock::now() - process_start;
  return {names.sysname, names.machine, std::thread::hardware_concurrency(), host, up.count(), sb::version_string};
}

struct tools {
  sb::fn<&showcase::add, sb::args{"a", "b"}, sb::doc{"Adds two numbers", "the first addend", "the second addend"}> add;
  sb::fn<&showcase::multiply, sb::args{"a", "b"}, sb::doc{"Multiplies two numbers"}> multiply;
  sb::fn<&showcase::to_upper_case, sb::args{"text"}, sb::doc{"The text in upper case"}> toUpperCase;
  sb::fn<&showcase::to_lower_case, sb::args{"text"}, sb::doc{"The text in lower case"}> toLowerCase;
  sb::fn<&showcase::reverse_array, sb::args{"items"}, sb::doc{"The array in reverse order", "any JSON array"}> reverseArray;
  sb::fn<&showcase::get_system_info, sb::doc{"The operating system, CPU count, host name and uptime of the server"}> getSystemInfo;
  sb::fn<&showcase::echo, sb::args{"value"}, sb::doc{"Returns any JSON value unchanged"}> echo;
};

inline std::string hello(std::string_view name, std::optional<std::string_view> nickname) {
  std::string text = "Hello, " + std::string(name);
  if (nickname) text += " (" + std::string(*nickname) + ")";
  return text + "!";
}

struct greet {
  sb::fn<&showcase::hello, sb::args{"name", "nickname"}, sb::doc{"A greeting", "who to greet", "what to call them instead"}> hello;
};

struct step {
  int step;
  int of;
  double percent;
};

inline std::atomic<int> open_streams{0};
inline std::atomic<int> finished_streams{0};

// Counts the streams in flight; its destructor is the clean-up that runs when a client goes away.
struct stream_guard {
  stream_guard() { ++open_streams; }
  ~stream_guard() {
    --open_streams;
    ++finished_streams;
  }
  stream_guard(const stream_guard&) = delete;
  stream_guard& operator=(const stream_guard&) = delete;
};

// Streams n steps; over SSE each arrives as an event, elsewhere they come back as one array. A
// reconnecting SSE client resumes after the step named by Last-Event-ID. A coroutine: on sb::server
// its pauses hold no thread, so thousands of progress bars cost memory only.
inline sb::task<sb::result<void>> count(int n, std::optional<int> delay_ms, const sb::context& ctx,
                                        sb::stream<step> out) {
  if (n < 0 || n > 10000) co_return sb::invalid_argument("n must be between 0 and 10000");
  const stream_guard guard;
  const auto pause = std::chrono::milliseconds(std::clamp(delay_ms.value_or(100), 0, 5000));
  // Resume after the client's last step; an id that is no step number (too large, negative, not a
  // number) starts over rather than skipping the bound on n.
  int first = 1;
  int last_seen = 0;
  const auto id = ctx.last_event_id;
  if (const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), last_seen);
      !id.empty() && error == std::errc{} && end == id.data() + id.size() && last_seen >= 0 && last_seen <= n)
    first = last_seen + 1;
  for (int k = first; k <= n; ++k) {
    if (!out.emit({k, n, 100.0 * k / n})) co_return {};  // the client went away
    if (k < n && !co_await out.pause(pause)) co_return {};
  }
  co_return {};
}

struct progress {
  sb::fn<&showcase::count, sb::args{"n", "delay_ms"}, sb::doc{"Counts to n, one step every delay_ms milliseconds, streaming each step"}> count;
};

// Beyond the pinned three: every response form, uploads, sessions and error statuses.
inline sb::binary download(std::optional<std::string> name) {
  return {"id,value\n1,42\n", "text/csv", name.value_or("report.csv")};
}
inline sb::redirect moved() { return {"/api/greet/hello?name=Redirected", 307}; }
inline sb::html page() { return {"<!doctype html><title>switchboard</title><p>Hello from switchboard"}; }

struct received_file {
  std::string field;
  std::string filename;
  std::string content_type;
  std::size_t size;
};
struct upload_report {
  std::string title;
  std::vector<received_file> files;
};
inline upload_report upload(std::string title, std::span<const sb::upload> files) {
  upload_report report{std::move(title), {}};
  for (const auto& f : files)
    report.files.push_back({std::string(f.field_name), std::string(f.filename), std::string(f.content_type), f.content.size()});
  return report;
}

inline std::string login(std::string name, sb::session& session) {
  session.user = name;
  return "logged in as " + name;
}
inline sb::result<std::string> whoami(const sb::session& session) {
  if (session.user.empty()) return sb::unauthorized("not logged in: call demo.login first");
  return session.user;
}

inline sb::result<int> limited() {
  static std::atomic<int> calls{0};
  if (++calls > 2) return sb::too_many_requests("demo.limited allows two calls per process");
  return calls.load();
}
struct stream_counts {
  int open;
  int finished;
};
inline stream_counts streams() { return {open_streams.load(), finished_streams.load()}; }

// Named events whose data spans several lines (pre-rendered, pretty JSON).
inline void ticker(int n, sb::stream<sb::json::raw_string> out) {
  for (int i = 1; i <= n; ++i)
    if (!out.emit_event("tick", {"{\n  \"tick\": " + std::to_string(i) + "\n}"})) return;
}

inline int fails() { throw std::runtime_error("this message stays in the server log"); }
inline int slow() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return 1;
}

struct demo {
  sb::fn<&showcase::download, sb::args{"name"}> download;
  sb::fn<&showcase::moved> moved;
  sb::fn<&showcase::page> page;
  sb::fn<&showcase::upload, sb::args{"title"}, sb::post> upload;
  sb::fn<&showcase::login, sb::args{"name"}, sb::post> login;
  sb::fn<&showcase::whoami> whoami;
  sb::fn<&showcase::limited> limited;
  sb::fn<&showcase::fails> fails;
  sb::fn<&showcase::streams> streams;
  sb::fn<&showcase::ticker, sb::args{"n"}> ticker;
  sb::fn<&showcase::slow, sb::timeout_ms{.ms = 100}> slow;
};

// The chat room at /ws/chat/public_room. Everyone in it is on the bus channel "public_room"; the
// server announces arrivals and departures to the others and every message to everyone.
struct chat_line {
  std::string message;
};
struct chat_welcome {
  std::uint64_t id;
  std::string user;
  std::vector<std::string> users;  // who is online, the newcomer included
};
struct chat_person {
  std::uint64_t id;
  std::string user;
};
struct chat_said {
  std::string user;
  std::string text;
};
template <class T>
struct chat_event {
  std::string_view event;
  T data;
};
template <class T>
std::string chat_json(std::string_view event, T data) {
  std::string out;
  sb::json::write(chat_event<T>{event, std::move(data)}, out);
  return out;
}

// Who is in the room; shared by the handlers of every connection.
class chat_roster {
 public:
  // Guests without a session name are named after their connection.
  std::string enter(std::uint64_t id, const sb::session& s) {
    std::string name = s.user.empty() ? "guest-" + std::to_string(id % 100000) : s.user;
    std::lock_guard lock(mutex_);
    people_.emplace_back(id, name);
    return name;
  }
  std::string leave(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto at = std::find_if(people_.begin(), people_.end(), [&](const auto& p) { return p.first == id; });
    if (at == people_.end()) return {};
    std::string name = std::move(at->second);
    people_.erase(at);
    return name;
  }
  std::string name_of(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    for (const auto& [who, name] : people_)
      if (who == id) return name;
    return {};
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> all;
    for (const auto& person : people_) all.push_back(person.second);
    return all;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::uint64_t, std::string>> people_;
};

// The room followed over SSE (/sse/chat/feed?count=N): its next `count` events, as they happen.
// The room keeps a history (main.cpp), so each event goes out with its id there, and a client that
// reconnects (EventSource does, with Last-Event-ID) gets what it missed first, on any instance.
inline sb::result<void> chat_feed(int count, sb::bus& bus, sb::stream<sb::json::raw_string> out, const sb::context& ctx) {
  if (count < 1 || count > 1000) return sb::invalid_argument("count must be between 1 and 1000");
  sb::inbox events(bus, "public_room", ctx.last_event_id);
  for (int seen = 0; seen < count && out.open();) {
    auto event = events.next(std::chrono::milliseconds(500));
    if (!event) continue;
    if (!out.emit_with_id(event->id, {std::move(event->json)})) break;
    ++seen;
  }
  return {};
}

struct public_room_handler;
struct chat {
  sb::ws<public_room_handler> public_room;
  sb::fn<&showcase::chat_feed, sb::args{"count"}> feed;
  std::shared_ptr<chat_roster> roster = std::make_shared<chat_roster>();

  static constexpr std::string_view room = "public_room";

  void join(sb::connection& c, const sb::session& s, sb::bus& bus) {
    const std::string name = roster->enter(c.id(), s);
    if (auto joined = c.subscribe(room); !joined.ok()) throw std::runtime_error(joined.error().message);
    c.send(chat_json("welcome", chat_welcome{c.id(), name, roster->names()}));
    bus.broadcast(room, chat_json("user_joined", chat_person{c.id(), name}), c.id());
  }
  sb::result<void> say(const sb::connection& c, sb::bus& bus, chat_line line) {
    if (line.message.empty()) return sb::invalid_argument("an empty message");
    if (line.message.size() > 4000) return sb::invalid_argument("a message is at most 4000 bytes");
    bus.broadcast(room, chat_json("new_message", chat_said{roster->name_of(c.id()), std::move(line.message)}));
    return {};
  }
  void leave(const sb::connection& c, sb::bus& bus) {
    const std::string name = roster->leave(c.id());
    bus.broadcast(room, chat_json("user_left", chat_person{c.id(), name}), c.id());
  }
};
struct public_room_handler {
  sb::fn<&chat::join> connect;
  sb::fn<&chat::say> chat_message;
  sb::fn<&chat::leave> disconnect;
};

}  // namespace showcase

template <>
struct sb::json::meta<showcase::system_info> {
  static constexpr auto naming = sb::json::camel_case;
};
template <>
struct sb::json::meta<showcase::received_file> {
  static constexpr auto naming = sb::json::camel_case;
};
