#pragma once
// A WebSocket client that reconnects, to this instance or to another sharing the bus, and misses
// nothing of the channels that keep a history (bus_history_options).
//   The client opts in with the handshake's query parameter `sb_resume` (a browser cannot set
// headers on a WebSocket): a JSON object naming the last id it saw on each channel, `{}` the first
// time, `{"public_room":"1733330000000-7"}` after. On such a connection a message of a channel that
// keeps a history comes wrapped with its id, in one frame, so the id a client keeps is exactly that
// of the last message it received (nothing lost, nothing twice):
//   {"type":"delivery","channel":"public_room","id":"1733330000000-7","data":<the message>}
// Messages of other channels come as they were published. When the app subscribes the connection
// to a channel the query named (its connect handler does so as for any connection), what the client
// missed comes first, announced by
//   {"type":"resumed","channel":"public_room","complete":true}
// ("complete": false when that id had left the window, so messages before these are lost), then
// what is published from then on, each once. Messages published around this connection (publish's
// `except`) are left out of what it missed too; those published around the client's previous
// connection are not (the server cannot tell it was the same client).

#include <switchboard/bind.hpp>
#include <switchboard/bus.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::detail {

inline constexpr std::string_view ws_resume_parameter = "sb_resume";

// What a handshake's query asked: whether the client wants ids, and where it left each channel.
struct ws_resume_request {
  static constexpr std::size_t max_channels = 256;

  bool asked = false;
  std::map<std::string, std::string, std::less<>> after;  // channel -> the last id the client saw

  // False, with `why`, when `sb_resume` is there but is not such an object, or the query cannot
  // be read.
  bool parse(std::string_view query, std::string& why) {
    query_fields fields;
    if (!fields.parse(query)) {
      why = "the query: " + fields.error();
      return false;
    }
    for (const auto& field : fields.fields()) {
      if (field.name != ws_resume_parameter) continue;
      asked = true;
      if (auto error = json::read(after, field.value)) {
        why = "sb_resume must be a JSON object of channel: last id seen ({} at first): " + error.to_string();
        return false;
      }
      if (after.size() > max_channels) {
        why = "sb_resume names more than " + std::to_string(max_channels) + " channels";
        return false;
      }
      std::pair<std::uint64_t, std::uint64_t> id;
      for (const auto& [channel, last] : after)
        if (!parse_history_id(last, id)) {
          why = "sb_resume: \"" + last.substr(0, 64) + "\" (channel \"" + channel.substr(0, 64) +
                "\") is not an id the bus gave";
          return false;
        }
    }
    return true;
  }
};

inline void write_ws_delivery(std::string& out, std::string_view channel, std::string_view id, std::string_view json_text) {
  out += R"({"type":"delivery","channel":)";
  json::write_text(channel, out);
  out += R"(,"id":)";
  json::write_text(id, out);
  out += R"(,"data":)";
  out += json_text;
  out += '}';
}

inline void write_ws_resumed(std::string& out, std::string_view channel, bool complete) {
  out += R"({"type":"resumed","channel":)";
  json::write_text(channel, out);
  out += R"(,"complete":)";
  out += complete ? "true" : "false";
  out += '}';
}

// One connection's side of resuming: what it asked, and the channels still catching up, whose live
// deliveries wait until the history has been sent. Deliveries come under the bus's lock and the
// catch-up on another thread; both send through `send(frame)` under this object's lock, so a
// channel's frames go out in one order.
class ws_resumes {
 public:
  explicit ws_resumes(ws_resume_request asked, std::size_t waiting_limit_bytes)
      : asked_(std::move(asked)), waiting_limit_(waiting_limit_bytes) {}

  bool asked() const { return asked_.asked; }

  // From subscribe(): the id the client last saw on `channel`, when it named one (the first time
  // only); from then on the channel's deliveries wait for caught_up().
  std::optional<std::string> begin(std::string_view channel) {
    std::lock_guard lock(mutex_);
    const auto named = asked_.after.find(channel);
    if (named == asked_.after.end()) return std::nullopt;
    std::string after = std::move(named->second);
    asked_.after.erase(named);
    catching_up_.push_back({std::string(channel), {}});
    return after;
  }

  // A delivery: sent at once (wrapped when it has an id), or kept while its channel catches up.
  template <class Send>
  void deliver(std::string_view channel, std::string_view json_text, std::string_view id, Send&& send) {
    std::lock_guard lock(mutex_);
    if (auto* waiting = catching_up(channel)) {
      waiting_bytes_ += json_text.size() + id.size();
      if (waiting_bytes_ > waiting_limit_) {
        overflowed_ = true;  // caught_up() fails the connection: it cannot have everything
        return;
      }
      waiting->live.push_back({std::string(id), std::string(json_text)});
      return;
    }
    if (!floors_.repeats(channel, id)) send_one(channel, json_text, id, send);
  }

  // A page of the history after the id begin() gave, or after the last page: sends its messages
  // but those published around this connection (`self`), announced on the first page, or on a
  // later one that found its starting id gone.
  template <class Send>
  void send_missed(std::string_view channel, const bus_history& page, bool first, std::uint64_t self, Send&& send) {
    std::lock_guard lock(mutex_);
    if (first || !page.complete) {
      frame_.clear();
      write_ws_resumed(frame_, channel, page.complete);
      send(std::string_view(frame_));
    }
    for (const auto& m : page.messages)
      if (m.except != self) send_one(channel, m.json, m.id, send);
  }

  // The client now has everything up to `newest` (the history's last message, or the id it named
  // when the history knew it and had nothing newer; empty: unknown): what waited goes out but what
  // it has, and the channel's deliveries go straight out again (but for any it has that come late).
  // False when more waited than the limit allowed: the connection cannot have everything and
  // should be closed.
  template <class Send>
  bool caught_up(std::string_view channel, std::string_view newest, Send&& send) {
    std::lock_guard lock(mutex_);
    std::vector<waiting_message> live;
    for (auto at = catching_up_.begin(); at != catching_up_.end(); ++at)
      if (at->channel == channel) {
        live = std::move(at->live);
        catching_up_.erase(at);
        break;
      }
    for (const auto& m : live) waiting_bytes_ -= m.json.size() + m.id.size();
    if (overflowed_) return false;
    floors_.raise(channel, newest);
    for (const auto& m : live)
      if (!floors_.repeats(channel, m.id)) send_one(channel, m.json, m.id, send);
    return true;
  }

 private:
  struct waiting_message {
    std::string id;
    std::string json;
  };
  struct channel_catching_up {
    std::string channel;
    std::vector<waiting_message> live;
  };

  channel_catching_up* catching_up(std::string_view channel) {
    for (auto& c : catching_up_)
      if (c.channel == channel) return &c;
    return nullptr;
  }

  template <class Send>
  void send_one(std::string_view channel, std::string_view json_text, std::string_view id, Send& send) {
    if (id.empty()) return (void)send(json_text);
    frame_.clear();
    write_ws_delivery(frame_, channel, id, json_text);
    send(std::string_view(frame_));
    if (frame_.capacity() > (std::size_t{64} << 10)) std::string().swap(frame_);
  }

  std::mutex mutex_;
  ws_resume_request asked_;
  std::vector<channel_catching_up> catching_up_;
  std::size_t waiting_bytes_ = 0;
  std::size_t waiting_limit_;
  bool overflowed_ = false;
  resume_floors floors_;  // what the history gave, for live deliveries that come late
  std::string frame_;  // the frame being sent, under mutex_
};

}  // namespace sb::detail
