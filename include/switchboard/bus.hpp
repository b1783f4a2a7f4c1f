#pragma once
// The bus: channels that WebSocket connections (and anything else) subscribe to, and publish to
// them from any thread. It is an interface so that instances of one app can share it (Redis); the
// in-process sb::local_bus is the default. Direct sends are publishes to a connection's own
// channel, so they reach a connection wherever it is connected.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {

// Receives what is published to the channels it subscribed to. deliver() may run on any thread,
// with the bus's lock held: it must not block and must not call the bus (queue and return; an
// sb::inbox does exactly that for code that wants to wait for messages).
class bus_subscriber {
 public:
  virtual void deliver(std::string_view channel, std::string_view json_text) = 0;
  // A message of a channel that keeps a history comes with its id there (what a client that
  // reconnects names to resume after); subscribers that do not care get deliver().
  virtual void deliver_with_id(std::string_view channel, std::string_view json_text, std::string_view id) {
    (void)id;
    deliver(channel, json_text);
  }

 protected:
  ~bus_subscriber() = default;
};

// Which channels keep a history, and how much of it: every message published to them gets an id,
// increasing in publish order, and what came after an id can be read again, so that a client that
// reconnects (to this instance or, with Redis, another) misses nothing within the window.
struct bus_history_options {
  std::function<bool(std::string_view channel)> channels;  // none: no channel keeps a history
  std::size_t length = 1000;                                 // messages kept per channel (about, with Redis)
};

// What read_history() found: the messages after the id asked for, oldest first, and whether that
// id was still in the window (false: some messages between it and these are gone).
struct bus_history {
  struct entry {
    std::string id;
    std::string json;
    std::uint64_t except = 0;  // the connection it was published around (publish's `except`)
  };
  std::vector<entry> messages;
  bool complete = false;
};

// History ids: "<n>" (sb::local_bus) or "<ms>-<seq>" (Redis streams), ordered as pairs of numbers.
// False for text of neither form.
inline bool parse_history_id(std::string_view id, std::pair<std::uint64_t, std::uint64_t>& out) {
  const char* end = id.data() + id.size();
  out = {0, 0};
  const auto first = std::from_chars(id.data(), end, out.first);
  if (first.ec != std::errc{}) return false;
  if (first.ptr == end) return true;
  if (*first.ptr != '-') return false;
  const auto second = std::from_chars(first.ptr + 1, end, out.second);
  return second.ec == std::errc{} && second.ptr == end;
}

namespace detail {
// After a resume, live deliveries may still bring messages the history read already gave: Redis
// hands a pub/sub message to a subscriber later than a read of the stream can see it. The newest id
// given per channel marks them; the first newer one ends the need (ids increase in delivery order).
class resume_floors {
 public:
  // `id`: the newest message a history read gave (none: nothing to guard against).
  void raise(std::string_view channel, std::string_view id) {
    std::pair<std::uint64_t, std::uint64_t> floor;
    if (parse_history_id(id, floor)) floors_.emplace_back(std::string(channel), floor);
  }
  // True for a message the history gave already.
  bool repeats(std::string_view channel, std::string_view id) {
    if (floors_.empty() || id.empty()) return false;
    for (auto at = floors_.begin(); at != floors_.end(); ++at) {
      if (at->first != channel) continue;
      std::pair<std::uint64_t, std::uint64_t> given;
      if (!parse_history_id(id, given)) return false;
      if (given <= at->second) return true;
      floors_.erase(at);
      return false;
    }
    return false;
  }

 private:
  std::vector<std::pair<std::string, std::pair<std::uint64_t, std::uint64_t>>> floors_;
};
}  // namespace detail

class bus {
 public:
  virtual ~bus() = default;

  // Delivers json_text to every subscriber of `channel` but the one subscribed as `except` (a
  // connection id; 0 for none), in publish order for each subscriber; never waits for a subscriber.
  // Returns how many subscribers it reached in this process.
  virtual std::size_t publish(std::string_view channel, std::string_view json_text, std::uint64_t except = 0) = 0;
  // `as` is what publish's `except` compares with (a connection's id; 0 for none). Subscribing twice
  // to one channel is one subscription. Once unsubscribe returns, nothing more is delivered.
  virtual void subscribe(std::string_view channel, bus_subscriber& subscriber, std::uint64_t as = 0) = 0;
  virtual void unsubscribe(std::string_view channel, bus_subscriber& subscriber) = 0;
  virtual void unsubscribe_all(bus_subscriber& subscriber) = 0;
  // An id for a new connection, unique among every process that shares this bus.
  virtual std::uint64_t new_connection_id() = 0;

  // Channels that keep a history (bus_history_options): their deliveries carry ids, and the messages
  // after one can be read again, at most `limit` of them. Blocks for a round trip with Redis.
  virtual bool keeps_history(std::string_view channel) const {
    (void)channel;
    return false;
  }
  virtual bus_history read_history(std::string_view channel, std::string_view after_id, std::size_t limit) {
    (void)channel, (void)after_id, (void)limit;
    return {};
  }

  // What GET /api/_health shows of the bus: a JSON object. healthy() is false while messages no
  // longer reach the other processes (local delivery goes on).
  virtual std::string health() const { return R"({"kind":"local"})"; }
  virtual bool healthy() const { return true; }

  // To one connection, wherever it is connected; 0 when it is not connected to this process (it may
  // still be connected to another one sharing the bus).
  std::size_t send(std::uint64_t connection_id, std::string_view json_text) {
    return publish(connection_channel(connection_id), json_text);
  }
  std::size_t broadcast(std::string_view channel, std::string_view json_text, std::uint64_t except_connection = 0) {
    return publish(channel, json_text, except_connection);
  }

  // The channel every connection subscribes to by itself, for direct sends.
  static std::string connection_channel(std::uint64_t connection_id) {
    return "sb.connection." + std::to_string(connection_id);
  }
  // The channel every connection of one session subscribes to (when it has a session id).
  static std::string session_channel(std::string_view session_id) {
    return "sb.session." + std::string(session_id);
  }
};

// Channel names that only the app's channel guard may admit a connection to (others are open).
inline bool is_private_channel(std::string_view channel) { return channel.starts_with("private-"); }

}  // namespace sb
