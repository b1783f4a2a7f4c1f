#pragma once
// The bus: channels that WebSocket connections (and anything else) subscribe to, and publish to
// them from any thread. It is an interface so that instances of one app can share it (Redis); the
// in-process sb::local_bus is the default. Direct sends are publishes to a connection's own
// channel, so they reach a connection wherever it is connected.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb {

// Receives what is published to the channels it subscribed to. deliver() may run on any thread,
// with the bus's lock held: it must not block and must not call the bus (queue and return; an
// sb::inbox does exactly that for code that wants to wait for messages).
class bus_subscriber {
 public:
  virtual void deliver(std::string_view channel, std::string_view json_text) = 0;

 protected:
  ~bus_subscriber() = default;
};

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
