#pragma once
// The in-process bus, every app's default. A publish holds a shared lock while it hands the text to
// each subscriber (which only queues it), so publishers run side by side and a subscriber's
// unsubscribe, which takes the lock alone, returns only when no delivery to it is under way.
// Channels chosen by bus_history_options keep their last messages in memory, with ids 1, 2, ...
// (publishes to them go one at a time, so ids and deliveries have one order).

#include <switchboard/bus.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sb {

class local_bus final : public bus {
 public:
  explicit local_bus(bus_history_options history = {}) : history_(std::move(history)) {}

  std::size_t publish(std::string_view channel, std::string_view json_text, std::uint64_t except = 0) override {
    if (keeps_history(channel)) return publish_kept(channel, json_text, except);
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

  // A tag for this process in the high bits keeps ids of processes that share a bus apart, below
  // 2^53, where JavaScript's numbers are exact: 21 bits, the highest set for a random tag (apart in
  // all likelihood), clear for one a coordinator assigned (assign_connection_tag).
  std::uint64_t new_connection_id() override { return tag_.load(std::memory_order_relaxed) | (++counter_ & 0xFFFFFFFFu); }

  // Ids made from now on carry `tag` (taken modulo 2^20): distinct tags, e.g. from a shared
  // counter, make ids unique across processes by construction.
  void assign_connection_tag(std::uint64_t tag) { tag_ = (tag & 0xFFFFFu) << 32; }

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

  // Deliveries with an id given elsewhere (a bus that relays another process's history messages).
  std::size_t publish_with_id(std::string_view channel, std::string_view json_text, std::string_view id,
                              std::uint64_t except = 0) {
    std::shared_lock lock(mutex_);
    return deliver_locked(channel, json_text, id, except);
  }

  bool keeps_history(std::string_view channel) const override { return history_.channels && history_.channels(channel); }

  bus_history read_history(std::string_view channel, std::string_view after_id, std::size_t limit) override {
    bus_history found;
    std::pair<std::uint64_t, std::uint64_t> after;
    if (!parse_history_id(after_id, after) || after.second != 0) return found;
    std::lock_guard order(history_mutex_);
    const auto kept = kept_.find(channel);
    if (kept == kept_.end()) return found;  // nothing since this process started: the id is another's
    const auto& messages = kept->second.messages;
    const std::uint64_t oldest = messages.empty() ? kept->second.last_id + 1 : messages.front().id;
    found.complete = after.first + 1 >= oldest && after.first <= kept->second.last_id;
    for (const kept_message& m : messages) {
      if (m.id <= after.first) continue;
      if (found.messages.size() == limit) break;
      found.messages.push_back({std::to_string(m.id), m.json, m.except});
    }
    return found;
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

  std::size_t publish_kept(std::string_view channel, std::string_view json_text, std::uint64_t except) {
    std::lock_guard order(history_mutex_);
    auto kept = kept_.find(channel);
    if (kept == kept_.end()) kept = kept_.emplace(std::string(channel), kept_channel{}).first;
    auto& history = kept->second;
    const std::uint64_t id = ++history.last_id;
    history.messages.push_back({id, std::string(json_text), except});
    while (history.messages.size() > history_.length) history.messages.pop_front();
    char digits[24];
    const std::string_view id_text(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, id).ptr - digits));
    std::shared_lock lock(mutex_);
    return deliver_locked(channel, json_text, id_text, except);
  }

  std::size_t deliver_locked(std::string_view channel, std::string_view json_text, std::string_view id, std::uint64_t except) {
    const auto found = channels_.find(channel);
    if (found == channels_.end()) return 0;
    std::size_t reached = 0;
    for (const member& m : found->second) {
      if (except != 0 && m.as == except) continue;
      m.subscriber->deliver_with_id(channel, json_text, id);
      ++reached;
    }
    return reached;
  }

  static std::uint64_t random_tag() {
    std::random_device entropy;
    return ((static_cast<std::uint64_t>(entropy()) & 0xFFFFFu) | 0x100000u) << 32;
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<member>, text_hash, std::equal_to<>> channels_;
  std::unordered_map<bus_subscriber*, std::vector<std::string>> joined_;
  struct kept_message {
    std::uint64_t id;
    std::string json;
    std::uint64_t except;
  };
  struct kept_channel {
    std::uint64_t last_id = 0;
    std::deque<kept_message> messages;
  };
  bus_history_options history_;
  std::mutex history_mutex_;  // taken before mutex_, never after
  std::map<std::string, kept_channel, std::less<>> kept_;
  std::atomic<std::uint64_t> tag_{random_tag()};
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace sb
