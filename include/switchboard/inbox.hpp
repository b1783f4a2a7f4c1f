#pragma once
// A bus subscriber that code can wait on: what is published to its channels waits in a bounded
// queue until next() takes it, on whatever thread. It is how an SSE stream (or any endpoint, or a
// thread of your own) follows channels: deliveries never wait for it, and since next() runs outside
// the bus, the code that takes a message may publish, subscribe or unsubscribe freely.
//   void room_feed(sb::bus& bus, sb::stream<sb::json::raw_string> out) {
//     sb::inbox messages(bus, "public_room");
//     while (out.open())
//       if (auto m = messages.next(std::chrono::seconds(1))) out.emit({std::move(m->json)});
//   }
// On a channel that keeps a history, an inbox can start after a client's last id (its SSE
// Last-Event-ID, from sb::context): what it missed comes first, then what is published, once each;
// emit_with_id(m->id, ...) hands the ids on to the client.

#include <switchboard/bus.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sb {

class inbox final : public bus_subscriber {
 public:
  struct message {
    std::string channel;
    std::string json;
    std::string id;  // in the channel's history; empty when the channel keeps none
  };

  // `capacity`: messages kept waiting at most; beyond it new ones are dropped and counted.
  explicit inbox(sb::bus& bus, std::size_t capacity = 1024) : bus_(bus), capacity_(capacity) {}
  inbox(sb::bus& bus, std::string_view channel, std::size_t capacity = 1024) : inbox(bus, capacity) {
    subscribe(channel);
  }
  // Follows `channel` from just after `after_id`: the history's messages after it first, then what
  // is published. With no history (or no id), as above. resumed_completely() says whether the id
  // was still in the history's window.
  inbox(sb::bus& bus, std::string_view channel, std::string_view after_id, std::size_t capacity = 1024)
      : inbox(bus, channel, capacity) {
    if (after_id.empty() || !bus.keeps_history(channel)) return;
    // Subscribed first: what is published while the history is read waits, and is dropped below
    // where the history has it too.
    bus_history missed = bus.read_history(channel, after_id, capacity);
    std::lock_guard lock(mutex_);
    complete_ = missed.complete;
    // Live ones up to the newest the client now has are repeats; an id the history never gave
    // (incomplete, nothing newer) bounds nothing.
    if (!missed.messages.empty()) floors_.raise(channel, missed.messages.back().id);
    else if (missed.complete) floors_.raise(channel, after_id);
    std::deque<message> merged;
    for (auto& entry : missed.messages) merged.push_back({std::string(channel), std::move(entry.json), std::move(entry.id)});
    for (auto& live : waiting_)
      if (!floors_.repeats(live.channel, live.id)) merged.push_back(std::move(live));
    waiting_.swap(merged);
  }
  ~inbox() { bus_.unsubscribe_all(*this); }
  inbox(const inbox&) = delete;
  inbox& operator=(const inbox&) = delete;

  void subscribe(std::string_view channel) { bus_.subscribe(channel, *this); }
  void unsubscribe(std::string_view channel) { bus_.unsubscribe(channel, *this); }

  // The oldest message waiting, or the first to come within `timeout`; nullopt when none came.
  std::optional<message> next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_for(lock, timeout, [&] { return !waiting_.empty(); })) return std::nullopt;
    message taken = std::move(waiting_.front());
    waiting_.pop_front();
    return taken;
  }

  // False when a resume (the constructor with an id) found that id gone from the history's window
  // (or never in it): messages between it and the first one given are lost.
  bool resumed_completely() const {
    std::lock_guard lock(mutex_);
    return complete_;
  }

  // Messages dropped because `capacity` were waiting.
  std::size_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

  void deliver(std::string_view channel, std::string_view json_text) override { deliver_with_id(channel, json_text, {}); }
  void deliver_with_id(std::string_view channel, std::string_view json_text, std::string_view id) override {
    {
      std::lock_guard lock(mutex_);
      if (floors_.repeats(channel, id)) return;
      if (waiting_.size() >= capacity_) {
        ++dropped_;
        return;
      }
      waiting_.push_back({std::string(channel), std::string(json_text), std::string(id)});
    }
    arrived_.notify_one();
  }

 private:
  sb::bus& bus_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<message> waiting_;
  std::size_t dropped_ = 0;
  bool complete_ = true;
  detail::resume_floors floors_;  // what the history gave, for live deliveries that come late
};

}  // namespace sb
