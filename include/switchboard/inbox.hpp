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

#include <switchboard/bus.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sb {

class inbox final : public bus_subscriber {
 public:
  struct message {
    std::string channel;
    std::string json;
  };

  // `capacity`: messages kept waiting at most; beyond it new ones are dropped and counted.
  explicit inbox(sb::bus& bus, std::size_t capacity = 1024) : bus_(bus), capacity_(capacity) {}
  inbox(sb::bus& bus, std::string_view channel, std::size_t capacity = 1024) : inbox(bus, capacity) {
    subscribe(channel);
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

  // Messages dropped because `capacity` were waiting.
  std::size_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

  void deliver(std::string_view channel, std::string_view json_text) override {
    {
      std::lock_guard lock(mutex_);
      if (waiting_.size() >= capacity_) {
        ++dropped_;
        return;
      }
      waiting_.push_back({std::string(channel), std::string(json_text)});
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
};

}  // namespace sb
