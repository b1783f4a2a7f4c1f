#pragma once
// The in-process bus, every app's default. A publish holds a shared lock while it hands the text to
// each subscriber (which only queues it), so publishers run side by side and a subscriber's
// unsubscribe, which takes the lock alone, returns only when no delivery to it is under way.

#include <switchboard/bus.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sb {

class local_bus final : public bus {
 public:
  std::size_t publish(std::string_view channel, std::string_view json_text, std::uint64_t except = 0) override {
    std::shared_lock lock(mutex_);
    const auto found = channels_.find(channel);
    if (found == channels_.end()) return 0;
    std::size_t reached = 0;
    for (const member& m : found->second) {
      if (except != 0 && m.as == except) continue;
      m.subscriber->deliver(channel, json_text);
      ++reached;
    }
    return reached;
  }

  void subscribe(std::string_view channel, bus_subscriber& subscriber, std::uint64_t as = 0) override {
    std::unique_lock lock(mutex_);
    auto found = channels_.find(channel);
    if (found == channels_.end()) found = channels_.emplace(std::string(channel), std::vector<member>{}).first;
    auto& members = found->second;
    if (std::any_of(members.begin(), members.end(), [&](const member& m) { return m.subscriber == &subscriber; }))
      return;
    members.push_back({&subscriber, as});
    joined_[&subscriber].push_back(found->first);
  }

  void unsubscribe(std::string_view channel, bus_subscriber& subscriber) override {
    std::unique_lock lock(mutex_);
    leave(channel, subscriber);
    const auto found = joined_.find(&subscriber);
    if (found == joined_.end()) return;
    std::erase(found->second, channel);
    if (found->second.empty()) joined_.erase(found);
  }

  void unsubscribe_all(bus_subscriber& subscriber) override {
    std::unique_lock lock(mutex_);
    const auto found = joined_.find(&subscriber);
    if (found == joined_.end()) return;
    for (const std::string& channel : found->second) leave(channel, subscriber);
    joined_.erase(found);
  }

  // A random tag for this process in the high bits keeps ids of processes that later share a bus
  // apart (in all likelihood: 21 bits), and stays below 2^53, where JavaScript's numbers are exact.
  std::uint64_t new_connection_id() override { return tag_ | (++counter_ & 0xFFFFFFFFu); }

  // The channels that have subscribers, and those one subscriber is in (a bus that relays to other
  // processes asks, to follow them).
  std::vector<std::string> channels() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> names;
    names.reserve(channels_.size());
    for (const auto& entry : channels_) names.push_back(entry.first);
    return names;
  }
  std::vector<std::string> channels_of(bus_subscriber& subscriber) const {
    std::shared_lock lock(mutex_);
    const auto found = joined_.find(&subscriber);
    return found == joined_.end() ? std::vector<std::string>{} : found->second;
  }

  std::size_t subscribers(std::string_view channel) const {
    std::shared_lock lock(mutex_);
    const auto found = channels_.find(channel);
    return found == channels_.end() ? 0 : found->second.size();
  }

 private:
  struct member {
    bus_subscriber* subscriber;
    std::uint64_t as;
  };
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  // Order among members does not matter: the last takes the leaver's place.
  void leave(std::string_view channel, bus_subscriber& subscriber) {
    const auto found = channels_.find(channel);
    if (found == channels_.end()) return;
    auto& members = found->second;
    const auto at = std::find_if(members.begin(), members.end(), [&](const member& m) { return m.subscriber == &subscriber; });
    if (at == members.end()) return;
    *at = members.back();
    members.pop_back();
    if (members.empty()) channels_.erase(found);
  }

  static std::uint64_t random_tag() {
    std::random_device entropy;
    return (static_cast<std::uint64_t>(entropy()) & 0x1FFFFFu) << 32;
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<member>, text_hash, std::equal_to<>> channels_;
  std::unordered_map<bus_subscriber*, std::vector<std::string>> joined_;
  const std::uint64_t tag_ = random_tag();
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace sb
