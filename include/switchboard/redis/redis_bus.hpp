#pragma once
// The bus across processes: every instance of an app that shares a Redis sees every broadcast,
// channel message and direct send, wherever the receiving connection is. Optional: only programs
// that include this header need hiredis (link hiredis; Debian: libhiredis-dev).
//
//   sb::redis_bus bus({.url = "redis://10.0.0.5:6379"});
//   sb::app<chat> app({.bus = &bus});
//
// How: a publish is delivered to this process's subscribers at once (through an sb::local_bus),
// then goes to Redis (PUBLISH <prefix><channel>), tagged with this process's id so that its own
// copy is not delivered twice. Each channel with a subscriber here is subscribed at Redis, so an
// instance receives only what its connections follow. The Redis side runs on one thread of the
// bus's own, an Asio loop that drives hiredis: the bus is made before the app and the server that
// would otherwise lend it a loop, and no publisher ever waits for Redis.
//
// When Redis cannot be reached (at start or later): local delivery goes on; publishes wait, up to
// `outage_queue` of them, and go out in order once Redis is back (beyond that the oldest are
// dropped and counted); the connections retry with exponential backoff and the subscriptions are
// restored. Delivery to other instances is at most once: what was handed to a connection that then
// failed is lost, as is what others publish while this instance is not subscribed (Redis pub/sub
// keeps nothing). health() and GET /api/_health show the state; the log says what failed.

#include <switchboard/bus.hpp>
#include <switchboard/json/write.hpp>
#include <switchboard/local_bus.hpp>
#include <switchboard/log.hpp>
#include <switchboard/redis/redis_link.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sb {

struct redis_bus_options {
  std::string url = "redis://127.0.0.1:6379";  // redis://[[user]:password@]host[:port][/db]
  std::string prefix = "sb:";                  // Redis channel = prefix + channel: apps can share a Redis
  redis_reconnect reconnect{};
  std::size_t outage_queue = 10000;  // publishes kept while Redis cannot be reached
};

class redis_bus final : public bus {
 public:
  // Throws std::invalid_argument when the url cannot be read; an unreachable Redis is not an error
  // (the bus keeps trying, see above).
  explicit redis_bus(redis_bus_options options = {})
      : options_(std::move(options)),
        address_(checked(options_.url)),
        commands_(loop_, address_, options_.reconnect, "publisher", [this](redisAsyncContext*) { flush(); }, [] {}),
        listener_(loop_, address_, options_.reconnect, "subscriber", [this](redisAsyncContext* c) { listen(c); },
                  [this] { subscribed_.clear(); }) {
    asio::post(loop_, [this] {
      commands_.start();
      listener_.start();
    });
    thread_ = signal_free_thread([this] { loop_.run(); });
  }

  ~redis_bus() override {
    asio::post(loop_, [this] {
      commands_.stop();
      listener_.stop();
      work_.reset();
    });
    thread_.join();
  }
  redis_bus(const redis_bus&) = delete;
  redis_bus& operator=(const redis_bus&) = delete;

  std::size_t publish(std::string_view channel, std::string_view json_text, std::uint64_t except = 0) override {
    const std::size_t here = local_.publish(channel, json_text, except);
    relay(channel, json_text, except);
    return here;
  }

  void subscribe(std::string_view channel, bus_subscriber& subscriber, std::uint64_t as = 0) override {
    local_.subscribe(channel, subscriber, as);
    follow({std::string(channel)});
  }
  void unsubscribe(std::string_view channel, bus_subscriber& subscriber) override {
    local_.unsubscribe(channel, subscriber);
    follow({std::string(channel)});
  }
  void unsubscribe_all(bus_subscriber& subscriber) override {
    std::vector<std::string> left = local_.channels_of(subscriber);
    local_.unsubscribe_all(subscriber);
    follow(std::move(left));
  }
  std::uint64_t new_connection_id() override { return local_.new_connection_id(); }

  bool healthy() const override { return commands_.up() && listener_.up(); }

  std::string health() const override {
    std::string out = R"({"kind":"redis","connected":)";
    out += healthy() ? "true" : "false";
    out += R"(,"publisher":)";  // each of the two connections
    out += commands_.up() ? "true" : "false";
    out += R"(,"subscriber":)";
    out += listener_.up() ? "true" : "false";
    auto number = [&](std::string_view name, std::uint64_t value) {
      out += ",\"";
      out += name;
      out += "\":";
      out += std::to_string(value);
    };
    number("channels", confirmed_channels_);
    number("waiting", waiting());
    number("published", published_);
    number("received", received_);
    number("dropped", dropped_);
    number("reconnects", commands_.reconnects() + listener_.reconnects());
    const std::string error = listener_.last_error().empty() ? commands_.last_error() : listener_.last_error();
    out += R"(,"last_error":)";
    json::write_text(error, out);
    out += '}';
    return out;
  }

  // Channels subscribed at Redis and confirmed by it: a message another instance publishes to one
  // of them from now on reaches this process.
  std::size_t redis_channels() const { return confirmed_channels_; }

 private:
  struct outgoing {
    std::string channel;  // with the prefix
    std::string payload;  // envelope
  };

  static redis_address checked(const std::string& url) {
    std::string why;
    auto address = redis_address::parse(url, &why);
    if (!address) throw std::invalid_argument(why);
    return *address;
  }

  // ---- publishing (any thread, then the loop) ----

  // The envelope: "<origin> <except>\n<json>". The origin is this bus's random id, so its own
  // messages coming back from Redis are dropped (they were delivered here already).
  void relay(std::string_view channel, std::string_view json_text, std::uint64_t except) {
    outgoing message;
    message.channel.reserve(options_.prefix.size() + channel.size());
    message.channel += options_.prefix;
    message.channel += channel;
    message.payload.reserve(origin_.size() + 22 + json_text.size());
    message.payload += origin_;
    message.payload += ' ';
    message.payload += std::to_string(except);
    message.payload += '\n';
    message.payload += json_text;
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.outage_queue) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(message));
    if (!flush_posted_) {
      flush_posted_ = true;
      asio::post(loop_, [this] { flush(); });
    }
  }

  // Hands what waits to hiredis, which writes it in one go; at most `in_flight_limit` unanswered
  // publishes, so a slow Redis makes the queue (which is bounded) grow, not hiredis's buffer.
  void flush() {
    std::unique_lock lock(mutex_);
    flush_posted_ = false;
    redisAsyncContext* context = commands_.context();
    while (context && !queue_.empty() && in_flight_ < in_flight_limit) {
      outgoing message = std::move(queue_.front());
      queue_.pop_front();
      const char* argv[] = {"PUBLISH", message.channel.data(), message.payload.data()};
      const std::size_t lengths[] = {7, message.channel.size(), message.payload.size()};
      if (redisAsyncCommandArgv(context, &redis_bus::published, this, 3, argv, lengths) != REDIS_OK) {
        queue_.push_front(std::move(message));  // the connection is closing: it goes out after the reconnection
        break;
      }
      ++in_flight_;
    }
  }

  static void published(redisAsyncContext*, void* reply, void* self_pointer) {
    auto& self = *static_cast<redis_bus*>(self_pointer);
    --self.in_flight_;
    const auto* r = static_cast<const redisReply*>(reply);
    if (!r) return;  // the connection was lost before the answer: whether it was published is unknown
    if (r->type == REDIS_REPLY_ERROR) {
      log().write(log_level::warning, "redis publisher: " + std::string(r->str, r->len));
      return;
    }
    ++self.published_;
    if (self.in_flight_ == in_flight_limit / 2) self.flush();
  }

  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

  // ---- subscriptions (any thread, then the loop) ----

  // Subscriptions at Redis follow the local ones: the loop compares, channel by channel, whether
  // anyone here listens with whether Redis is asked, so concurrent calls converge whatever their order.
  void follow(std::vector<std::string> channels) {
    std::lock_guard lock(mutex_);
    const bool was_empty = to_follow_.empty();
    for (auto& channel : channels) to_follow_.insert(std::move(channel));
    if (was_empty && !to_follow_.empty()) asio::post(loop_, [this] { sync_subscriptions(); });
  }

  void sync_subscriptions() {
    std::set<std::string> changed;
    {
      std::lock_guard lock(mutex_);
      changed.swap(to_follow_);
    }
    redisAsyncContext* context = listener_.context();
    if (!context) return;  // listen() subscribes to everything once the connection is back
    std::vector<std::string> join, leave;
    for (const std::string& channel : changed) {
      const bool wanted = local_.subscribers(channel) > 0, asked = subscribed_.count(channel) > 0;
      if (wanted && !asked) join.push_back(channel), subscribed_.insert(channel);
      if (!wanted && asked) leave.push_back(channel), subscribed_.erase(channel);
    }
    command(context, "SUBSCRIBE", join);
    command(context, "UNSUBSCRIBE", leave);
  }

  // The listening connection is (again) up: it subscribes to every channel followed here.
  void listen(redisAsyncContext* context) {
    subscribed_.clear();
    confirmed_channels_ = 0;
    std::vector<std::string> all = local_.channels();
    for (const std::string& channel : all) subscribed_.insert(channel);
    command(context, "SUBSCRIBE", all);
  }

  // SUBSCRIBE and UNSUBSCRIBE take many channels; in chunks, so no command grows without bound.
  void command(redisAsyncContext* context, const char* verb, const std::vector<std::string>& channels) {
    constexpr std::size_t chunk = 512;
    for (std::size_t first = 0; first < channels.size(); first += chunk) {
      const std::size_t count = std::min(chunk, channels.size() - first);
      std::vector<std::string> keys;
      std::vector<const char*> argv{verb};
      std::vector<std::size_t> lengths{std::char_traits<char>::length(verb)};
      keys.reserve(count);
      for (std::size_t i = first; i < first + count; ++i) {
        keys.push_back(options_.prefix + channels[i]);
        argv.push_back(keys.back().data());
        lengths.push_back(keys.back().size());
      }
      redisAsyncCommandArgv(context, &redis_bus::heard, this, static_cast<int>(argv.size()), argv.data(),
                            lengths.data());
    }
  }

  // Every reply on the listening connection: confirmations, and the messages themselves.
  static void heard(redisAsyncContext*, void* reply, void* self_pointer) {
    const auto* r = static_cast<const redisReply*>(reply);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING) return;
    auto& self = *static_cast<redis_bus*>(self_pointer);
    const std::string_view kind(r->element[0]->str, r->element[0]->len);
    const redisReply* name = r->element[1];
    const redisReply* body = r->element[2];
    if (kind == "subscribe") ++self.confirmed_channels_;
    else if (kind == "unsubscribe") --self.confirmed_channels_;
    else if (kind == "message" && name->type == REDIS_REPLY_STRING && body->type == REDIS_REPLY_STRING)
      self.arrived(std::string_view(name->str, name->len), std::string_view(body->str, body->len));
  }

  void arrived(std::string_view channel, std::string_view payload) {
    if (!channel.starts_with(options_.prefix)) return;
    channel.remove_prefix(options_.prefix.size());
    const auto space = payload.find(' '), newline = payload.find('\n');
    if (space == std::string_view::npos || newline == std::string_view::npos || newline < space) return;  // not ours
    if (payload.substr(0, space) == origin_) return;  // delivered here when it was published
    std::uint64_t except = 0;
    const char* digits = payload.data() + space + 1;
    if (std::from_chars(digits, payload.data() + newline, except).ec != std::errc{}) return;
    ++received_;
    local_.publish(channel, payload.substr(newline + 1), except);
  }

  // The bus's thread takes no signals: it starts before sb::serve blocks SIGTERM and SIGINT for the
  // thread that waits for them, and a signal it took would end the process without a graceful stop.
  template <class Body>
  static std::thread signal_free_thread(Body body) {
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    std::thread thread(std::move(body));  // inherits the mask
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return thread;
  }

  static std::string random_origin() {
    std::random_device entropy;
    char text[17];
    std::snprintf(text, sizeof text, "%08x%08x", entropy(), entropy());
    return text;
  }

  static constexpr std::size_t in_flight_limit = 4096;

  redis_bus_options options_;
  redis_address address_;
  const std::string origin_ = random_origin();
  local_bus local_;

  asio::io_context loop_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(loop_);
  detail::redis_link commands_;
  detail::redis_link listener_;

  mutable std::mutex mutex_;
  std::deque<outgoing> queue_;  // publishes on their way to Redis
  bool flush_posted_ = false;
  std::set<std::string> to_follow_;  // channels whose subscription may have to change

  // On the loop thread only.
  std::set<std::string> subscribed_;  // asked of Redis on the current connection
  std::size_t in_flight_ = 0;

  std::atomic<std::size_t> confirmed_channels_ = 0;
  std::atomic<std::uint64_t> published_ = 0, received_ = 0, dropped_ = 0;
  std::thread thread_;
};

}  // namespace sb
