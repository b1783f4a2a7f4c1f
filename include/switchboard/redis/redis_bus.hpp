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
// Channels that keep a history (`history`): each message is appended to a Redis stream of the same
// name (XADD ... MAXLEN ~ length) and published with the stream's id, by one script, so ids and
// deliveries have one order on every instance; the publishing instance delivers it too when it comes
// back from Redis, with its id. read_history() reads the stream (XRANGE), so a client that
// reconnects to any instance resumes after its last id (sb::inbox with an id). While Redis is down,
// such messages are delivered here at once without an id, and appended when Redis is back.
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
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sb {

struct redis_bus_options {
  std::string url = "redis://127.0.0.1:6379";  // redis://[[user]:password@]host[:port][/db]
  std::string prefix = "sb:";                  // Redis channel = prefix + channel: apps can share a Redis
  redis_reconnect reconnect{};
  std::size_t outage_queue = 10000;  // publishes kept while Redis cannot be reached
  bus_history_options history{};     // channels kept in Redis streams, for clients that reconnect
  std::chrono::milliseconds history_timeout{2000};  // read_history() gives up after this
};

class redis_bus final : public bus {
 public:
  // Throws std::invalid_argument when the url cannot be read; an unreachable Redis is not an error
  // (the bus keeps trying, see above).
  explicit redis_bus(redis_bus_options options = {})
      : options_(std::move(options)),
        address_(redis_address::from_url(options_.url)),
        commands_(loop_, address_, options_.reconnect, "publisher",
                  [this](redisAsyncContext* c) {
                    take_connection_tag(c);
                    flush();
                  },
                  [] {}),
        listener_(loop_, address_, options_.reconnect, "subscriber", [this](redisAsyncContext* c) { listen(c); },
                  [this] { listener_down(); }) {
    commands_.on_failure([this] { first_attempt_ended(); });
    asio::post(loop_, [this] {
      commands_.start();
      listener_.start();
    });
    thread_ = signal_free_thread([this] { loop_.run(); });
    // Connection ids are coordinated from the first one on when Redis answers at once; an
    // unreachable Redis (refused: at once; silent: connect_timeout) leaves them random meanwhile.
    first_attempt_.get_future().wait_for(options_.reconnect.connect_timeout + std::chrono::milliseconds(500));
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

  // On a channel with a history, the subscribers here get the message when Redis has given it an
  // id; the count returned is then of those subscribed now.
  std::size_t publish(std::string_view channel, std::string_view json_text, std::uint64_t except = 0) override {
    const bool kept = keeps_history(channel);
    if (kept && healthy()) {  // both ways to Redis: the copy for here comes back
      relay(channel, json_text, except, kept, "*");  // "*": comes back here too, with its id
      return local_.subscribers(channel);
    }
    const std::size_t here = local_.publish(channel, json_text, except);
    relay(channel, json_text, except, kept, origin_);
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

  bool keeps_history(std::string_view channel) const override {
    return options_.history.channels && options_.history.channels(channel);
  }

  // One round trip to Redis from the calling thread (never call it from a delivery); an empty,
  // incomplete answer when Redis is down or does not answer within history_timeout, or when
  // `after_id` is not an id.
  bus_history read_history(std::string_view channel, std::string_view after_id, std::size_t limit) override {
    std::pair<std::uint64_t, std::uint64_t> checked_id;
    if (!keeps_history(channel) || !parse_history_id(after_id, checked_id) || limit == 0) return {};
    auto answer = std::make_shared<std::promise<bus_history>>();
    std::future<bus_history> result = answer->get_future();
    asio::post(loop_, [this, channel = std::string(channel), after = std::string(after_id), limit, answer] {
      read_when_followed(channel, after, limit, answer);
    });
    if (result.wait_for(options_.history_timeout) != std::future_status::ready) return {};
    return result.get();
  }

  bool healthy() const override { return commands_.up() && listener_.up(); }

  // True once Redis has given this process its connection-id tag (INCR <prefix>sb.instances): its
  // ids can then equal no other instance's that has one too.
  bool connection_ids_coordinated() const { return tag_taken_; }

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
    out += R"(,"connection_ids":)";
    out += tag_taken_ ? R"("coordinated")" : R"("random")";
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
    std::string payload;  // the envelope; for a history channel, its header line only
    std::string json;     // a history channel's message
    std::uint64_t except = 0;
    bool kept = false;
  };

  // ---- connection ids (on the loop) ----

  // Each instance takes a number from a counter in Redis (the first time it connects): the tag of
  // its connection ids, so that no two instances' ids are alike (until 2^20 instances have started).
  void take_connection_tag(redisAsyncContext* context) {
    if (tag_taken_) return;
    const std::string key = options_.prefix + "sb.instances";
    redisAsyncCommand(
        context,
        [](redisAsyncContext*, void* reply, void* self_pointer) {
          auto& self = *static_cast<redis_bus*>(self_pointer);
          const auto* r = static_cast<const redisReply*>(reply);
          if (r && r->type == REDIS_REPLY_INTEGER) {
            self.local_.assign_connection_tag(static_cast<std::uint64_t>(r->integer));
            self.tag_taken_ = true;
          } else if (r && r->type == REDIS_REPLY_ERROR) {
            log().write(log_level::warning, "redis publisher: no connection-id tag (" + std::string(r->str, r->len) +
                                                "): connection ids stay random");
          }
          self.first_attempt_ended();
        },
        this, "INCR %b", key.data(), key.size());
  }
  void first_attempt_ended() {
    if (std::exchange(first_attempt_ended_, true)) return;
    first_attempt_.set_value();
  }

  // ---- publishing (any thread, then the loop) ----

  // The envelope: "<origin> <except>[ <history id>]\n<json>". The origin is this bus's random id,
  // so its own messages coming back from Redis are dropped (they were delivered here already);
  // "*" comes back to every instance.
  void relay(std::string_view channel, std::string_view json_text, std::uint64_t except, bool kept,
             std::string_view origin) {
    outgoing message;
    message.channel.reserve(options_.prefix.size() + channel.size());
    message.channel += options_.prefix;
    message.channel += channel;
    message.kept = kept;
    message.except = except;
    message.payload.reserve(origin.size() + 22 + (message.kept ? 0 : json_text.size()));
    message.payload += origin;
    message.payload += ' ';
    message.payload += std::to_string(except);
    if (message.kept) {
      message.json = json_text;
    } else {
      message.payload += '\n';
      message.payload += json_text;
    }
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
      if (hand_to_redis(context, message) != REDIS_OK) {
        queue_.push_front(std::move(message));  // the connection is closing: it goes out after the reconnection
        break;
      }
      ++in_flight_;
    }
  }

  // XADD and PUBLISH in one script: no other publish comes between them, so the stream's order is
  // the order every instance delivers in. KEYS[1] is both the stream and the pub/sub channel (Redis
  // keeps the two namespaces apart). The entry keeps the message (m) and the connection it was
  // published around (x), so a resume leaves that connection out too.
  static constexpr std::string_view append_and_publish =
      "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[3], 'x', ARGV[4]) "
      "redis.call('PUBLISH', KEYS[1], ARGV[2] .. ' ' .. id .. '\\n' .. ARGV[3]) return id";

  int hand_to_redis(redisAsyncContext* context, const outgoing& message) {
    if (!message.kept) {
      const char* argv[] = {"PUBLISH", message.channel.data(), message.payload.data()};
      const std::size_t lengths[] = {7, message.channel.size(), message.payload.size()};
      return redisAsyncCommandArgv(context, &redis_bus::published, this, 3, argv, lengths);
    }
    const std::string length = std::to_string(options_.history.length);
    const std::string except = std::to_string(message.except);
    const char* argv[] = {"EVAL", append_and_publish.data(), "1", message.channel.data(), length.data(),
                          message.payload.data(), message.json.data(), except.data()};
    const std::size_t lengths[] = {4, append_and_publish.size(), 1, message.channel.size(), length.size(),
                                   message.payload.size(), message.json.size(), except.size()};
    return redisAsyncCommandArgv(context, &redis_bus::published, this, 8, argv, lengths);
  }

  static void published(redisAsyncContext*, void* reply, void* self_pointer) {
    auto& self = *static_cast<redis_bus*>(self_pointer);
    --self.in_flight_;
    const auto* r = static_cast<const redisReply*>(reply);
    if (!r) return;  // the connection was lost before the answer: whether it was published is unknown
    if (r->type == REDIS_REPLY_ERROR) {  // said once per kind of error, not once per message
      std::string error(r->str, r->len);
      if (error != self.publish_error_) log().write(log_level::warning, "redis publisher: " + error);
      self.publish_error_ = std::move(error);
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
      if (!wanted) give_up_reads(options_.prefix + channel);  // no confirmation is coming for them
    }
    command(context, "SUBSCRIBE", join);
    command(context, "UNSUBSCRIBE", leave);
  }

  // The listening connection is (again) up: it subscribes to every channel followed here.
  void listen(redisAsyncContext* context) {
    subscribed_.clear();
    confirmed_.clear();
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

  void give_up_reads(const std::string& key) {
    const auto [first, last] = reads_waiting_.equal_range(key);
    for (auto at = first; at != last; ++at) at->second.answer->set_value({});
    reads_waiting_.erase(first, last);
  }

  // The listening connection is lost: nothing is followed until it is back, and reads waiting for a
  // confirmation give up.
  void listener_down() {
    subscribed_.clear();
    confirmed_.clear();
    for (auto& [key, read] : reads_waiting_) read.answer->set_value({});
    reads_waiting_.clear();
  }

  // Every reply on the listening connection: confirmations, and the messages themselves.
  static void heard(redisAsyncContext*, void* reply, void* self_pointer) {
    const auto* r = static_cast<const redisReply*>(reply);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING) return;
    auto& self = *static_cast<redis_bus*>(self_pointer);
    const std::string_view kind(r->element[0]->str, r->element[0]->len);
    const redisReply* name = r->element[1];
    const redisReply* body = r->element[2];
    if (kind == "subscribe" || kind == "unsubscribe") return self.confirmed(kind == "subscribe", name);
    if (kind == "message" && name->type == REDIS_REPLY_STRING && body->type == REDIS_REPLY_STRING)
      self.arrived(std::string_view(name->str, name->len), std::string_view(body->str, body->len));
  }

  void confirmed(bool subscribed, const redisReply* name) {
    if (name->type != REDIS_REPLY_STRING) return;
    std::string key(name->str, name->len);
    if (!subscribed) {
      --confirmed_channels_;
      confirmed_.erase(key);
      return;
    }
    ++confirmed_channels_;
    const auto [first, last] = reads_waiting_.equal_range(key);
    std::vector<waiting_read> ready;
    for (auto at = first; at != last; ++at) ready.push_back(std::move(at->second));
    reads_waiting_.erase(first, last);
    for (auto& read : ready) read_stream(key, read.after, read.limit, read.answer);
    confirmed_.insert(std::move(key));
  }

  void arrived(std::string_view channel, std::string_view payload) {
    if (!channel.starts_with(options_.prefix)) return;
    channel.remove_prefix(options_.prefix.size());
    const auto newline = payload.find('\n');
    if (newline == std::string_view::npos) return;  // not ours
    std::string_view header = payload.substr(0, newline);
    const auto space = header.find(' ');
    if (space == std::string_view::npos || header.substr(0, space) == origin_) return;  // delivered here already
    header.remove_prefix(space + 1);
    const auto id_space = header.find(' ');
    const std::string_view except_text = header.substr(0, id_space);
    const std::string_view id = id_space == std::string_view::npos ? std::string_view() : header.substr(id_space + 1);
    std::uint64_t except = 0;
    const auto [end, ec] = std::from_chars(except_text.data(), except_text.data() + except_text.size(), except);
    if (ec != std::errc{} || end != except_text.data() + except_text.size()) return;
    ++received_;
    local_.publish_with_id(channel, payload.substr(newline + 1), id, except);
  }

  // A history read by a subscriber waits until Redis has confirmed the channel's subscription: read
  // before, a message published in between would be neither in what was read nor delivered here.
  void read_when_followed(const std::string& channel, const std::string& after, std::size_t limit,
                          const std::shared_ptr<std::promise<bus_history>>& answer) {
    std::string key = options_.prefix + channel;
    if (confirmed_.count(key) || local_.subscribers(channel) == 0) return read_stream(key, after, limit, answer);
    if (!listener_.context()) return answer->set_value({});
    reads_waiting_.emplace(std::move(key), waiting_read{after, limit, answer});
  }
  struct waiting_read {
    std::string after;
    std::size_t limit;
    std::shared_ptr<std::promise<bus_history>> answer;
  };

  // On the loop: XRANGE from the id asked after (inclusive, so that its presence says whether the
  // window still reaches back to it), one more than the limit.
  void read_stream(const std::string& key, const std::string& after, std::size_t limit,
                   const std::shared_ptr<std::promise<bus_history>>& answer) {
    redisAsyncContext* context = commands_.context();
    if (!context) return answer->set_value({});
    auto* held = new reading{answer, after};
    const std::string count = std::to_string(limit + 1);
    const char* argv[] = {"XRANGE", key.data(), after.data(), "+", "COUNT", count.data()};
    const std::size_t lengths[] = {6, key.size(), after.size(), 1, 5, count.size()};
    if (redisAsyncCommandArgv(context, &redis_bus::stream_read, held, 6, argv, lengths) != REDIS_OK) {
      answer->set_value({});
      delete held;
    }
  }
  struct reading {
    std::shared_ptr<std::promise<bus_history>> answer;
    std::string after;
  };
  static void stream_read(redisAsyncContext*, void* reply, void* held_pointer) {
    std::unique_ptr<reading> held(static_cast<reading*>(held_pointer));
    bus_history found;
    const auto* r = static_cast<const redisReply*>(reply);
    if (r && r->type == REDIS_REPLY_ARRAY) {
      for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* entry = r->element[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[0]->type != REDIS_REPLY_STRING)
          continue;
        std::string id(entry->element[0]->str, entry->element[0]->len);
        if (i == 0 && id == held->after) {
          found.complete = true;  // the id asked after is still kept: nothing between it and these is lost
          continue;
        }
        if (auto kept = entry_of(entry->element[1])) {
          kept->id = std::move(id);
          found.messages.push_back(std::move(*kept));
        }
      }
    }
    held->answer->set_value(std::move(found));
  }

  // A stream entry's fields: the message (m) and the connection it went around (x, absent before
  // this field was written).
  static std::optional<bus_history::entry> entry_of(const redisReply* fields) {
    if (fields->type != REDIS_REPLY_ARRAY) return std::nullopt;
    std::optional<bus_history::entry> found;
    std::uint64_t except = 0;
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      const redisReply* name = fields->element[f];
      const redisReply* value = fields->element[f + 1];
      if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING) continue;
      const std::string_view field(name->str, name->len);
      if (field == "m") found = bus_history::entry{{}, std::string(value->str, value->len), 0};
      if (field == "x") std::from_chars(value->str, value->str + value->len, except);
    }
    if (found) found->except = except;
    return found;
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
  std::set<std::string> confirmed_;   // subscribed by Redis's answer, with the prefix
  std::multimap<std::string, waiting_read> reads_waiting_;  // by channel with the prefix, for its confirmation
  std::size_t in_flight_ = 0;
  std::string publish_error_;  // the last error Redis answered a publish with

  std::promise<void> first_attempt_;  // the first connection's tag, or its failure
  bool first_attempt_ended_ = false;  // on the loop
  std::atomic<bool> tag_taken_ = false;
  std::atomic<std::size_t> confirmed_channels_ = 0;
  std::atomic<std::uint64_t> published_ = 0, received_ = 0, dropped_ = 0;
  std::thread thread_;
};

}  // namespace sb
