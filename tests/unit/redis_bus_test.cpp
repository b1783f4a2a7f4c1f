// sb::redis_bus against a real redis-server: two buses in one process stand for two instances.
#include <switchboard/inbox.hpp>
#include <switchboard/redis/redis_bus.hpp>

#include "../support/redis_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

using sb::test::wait_until;

// Records what it is given; tests wait for what they expect.
class recorder final : public sb::bus_subscriber {
 public:
  void deliver(std::string_view channel, std::string_view json_text) override {
    std::lock_guard lock(mutex_);
    seen_.push_back(std::string(channel) + "=" + std::string(json_text));
  }
  std::vector<std::string> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  bool has(const std::string& entry) const {
    const auto all = seen();
    return std::find(all.begin(), all.end(), entry) != all.end();
  }
  std::size_t count() const { return seen().size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> seen_;
};

sb::redis_bus_options options_for(const sb::test::redis_server& redis) {
  sb::redis_bus_options options;
  options.url = redis.url();
  options.reconnect.first = std::chrono::milliseconds(20);
  options.reconnect.most = std::chrono::milliseconds(200);
  return options;
}

sb::redis_bus_options kept_options(const sb::test::redis_server& redis, std::size_t length = 1000) {
  auto options = options_for(redis);
  options.history = {.channels = [](std::string_view channel) { return channel.starts_with("room"); }, .length = length};
  return options;
}

// The next `count` messages of an inbox as "id=json", waiting up to 20 s for each.
std::vector<std::string> take(sb::inbox& in, std::size_t count) {
  std::vector<std::string> got;
  while (got.size() < count) {
    auto m = in.next(std::chrono::seconds(20));
    if (!m) break;
    got.push_back(m->id + "=" + m->json);
  }
  return got;
}
std::string id_of(const std::string& taken) { return taken.substr(0, taken.find('=')); }

TEST(RedisAddress, ReadsTheUrlForms) {
  auto a = sb::redis_address::parse("redis://example.org");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "example.org");
  EXPECT_EQ(a->port, 6379);
  a = sb::redis_address::parse("redis://:secret@10.1.2.3:7000/2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.1.2.3");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(a->password, "secret");
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->database, 2);
  a = sb::redis_address::parse("redis://app:pw@host/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->user, "app");
  EXPECT_EQ(a->password, "pw");
  EXPECT_EQ(a->database, 0);
  a = sb::redis_address::parse("redis://[::1]:6380");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 6380);
  a = sb::redis_address::parse("redis://[::1]");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 6379);
}

TEST(RedisAddress, SaysWhatIsWrong) {
  std::string why;
  EXPECT_FALSE(sb::redis_address::parse("http://host", &why));
  EXPECT_NE(why.find("must start with redis://"), std::string::npos) << why;
  EXPECT_FALSE(sb::redis_address::parse("redis://host:99999", &why));
  EXPECT_NE(why.find("port"), std::string::npos) << why;
  EXPECT_FALSE(sb::redis_address::parse("redis://host:x", &why));
  EXPECT_FALSE(sb::redis_address::parse("redis://host/db", &why));
  EXPECT_NE(why.find("database"), std::string::npos) << why;
  EXPECT_FALSE(sb::redis_address::parse("redis://:6379", &why));
  EXPECT_NE(why.find("no host"), std::string::npos) << why;
  EXPECT_THROW(sb::redis_bus({.url = "localhost:6379"}), std::invalid_argument);
}

TEST(RedisBus, DeliversAcrossInstancesOnceEach) {
  sb::test::redis_server redis;
  sb::redis_bus a(options_for(redis)), b(options_for(redis));
  recorder on_a, on_b;
  a.subscribe("room", on_a);
  b.subscribe("room", on_b);
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1 && b.redis_channels() == 1; }));

  EXPECT_EQ(a.publish("room", R"({"n":1})"), 1u);  // reached here at once; b's comes through Redis
  EXPECT_TRUE(on_a.has(R"(room={"n":1})"));
  ASSERT_TRUE(wait_until([&] { return on_b.has(R"(room={"n":1})"); }));
  b.publish("room", R"({"n":2})");
  ASSERT_TRUE(wait_until([&] { return on_a.count() == 2; }));
  // A marker after both: had anything come twice, it would be there before the marker.
  a.publish("room", R"({"n":3})");
  ASSERT_TRUE(wait_until([&] { return on_b.count() == 3; }));
  EXPECT_EQ(on_a.seen(), (std::vector<std::string>{R"(room={"n":1})", R"(room={"n":2})", R"(room={"n":3})"}));
  EXPECT_EQ(on_b.seen(), on_a.seen());
  EXPECT_TRUE(a.healthy());
  EXPECT_NE(a.health().find(R"("connected":true)"), std::string::npos) << a.health();
}

TEST(RedisBus, KeepsOrderFromOnePublisher) {
  sb::test::redis_server redis;
  sb::redis_bus a(options_for(redis)), b(options_for(redis));
  recorder on_b;
  b.subscribe("ticks", on_b);
  ASSERT_TRUE(wait_until([&] { return b.redis_channels() == 1; }));
  std::vector<std::string> expected;
  for (int i = 0; i < 2000; ++i) {
    a.publish("ticks", std::to_string(i));
    expected.push_back("ticks=" + std::to_string(i));
  }
  ASSERT_TRUE(wait_until([&] { return on_b.count() == expected.size(); })) << on_b.count();
  EXPECT_EQ(on_b.seen(), expected);
}

TEST(RedisBus, ExceptAndDirectSendsWorkAcrossInstances) {
  sb::test::redis_server redis;
  sb::redis_bus a(options_for(redis)), b(options_for(redis));
  recorder sender, other, direct;
  const std::uint64_t sender_id = b.new_connection_id(), direct_id = b.new_connection_id();
  b.subscribe("room", sender, sender_id);
  b.subscribe("room", other, b.new_connection_id());
  b.subscribe(sb::bus::connection_channel(direct_id), direct, direct_id);
  ASSERT_TRUE(wait_until([&] { return b.redis_channels() == 2; }));

  a.broadcast("room", "\"hi\"", sender_id);  // published on another instance: the sender is still left out
  a.send(direct_id, "\"just you\"");
  a.broadcast("room", "\"marker\"");
  ASSERT_TRUE(wait_until([&] { return sender.count() == 1 && other.count() == 2 && direct.count() == 1; }));
  EXPECT_EQ(sender.seen(), std::vector<std::string>{"room=\"marker\""});
  EXPECT_EQ(direct.seen(), std::vector<std::string>{sb::bus::connection_channel(direct_id) + "=\"just you\""});
}

// Each instance takes its connection-id tag from a counter in Redis before its constructor returns:
// ids of different instances differ by construction, and are exact in JavaScript.
TEST(RedisBus, ConnectionIdsAreCoordinatedAcrossInstances) {
  sb::test::redis_server redis;
  std::set<std::uint64_t> tags;
  for (int i = 0; i < 5; ++i) {
    sb::redis_bus bus(options_for(redis));
    EXPECT_TRUE(bus.connection_ids_coordinated());
    EXPECT_NE(bus.health().find(R"("connection_ids":"coordinated")"), std::string::npos) << bus.health();
    const std::uint64_t id = bus.new_connection_id();
    EXPECT_LT(id, std::uint64_t{1} << 52) << "an assigned tag leaves the random tags' bit clear";
    EXPECT_NE(id & 0xFFFFFFFFu, 0u);
    tags.insert(id >> 32);
  }
  EXPECT_EQ(tags.size(), 5u);
  EXPECT_EQ(redis.command("GET %s%s", "sb:", "sb.instances"), "5");
}

TEST(RedisBus, FollowsOnlyTheChannelsItsSubscribersFollow) {
  sb::test::redis_server redis;
  sb::redis_bus a(options_for(redis)), b(options_for(redis));
  recorder first, second, marker;
  b.subscribe("news", first);
  b.subscribe("news", second);
  b.subscribe("marker", marker);
  ASSERT_TRUE(wait_until([&] { return b.redis_channels() == 2; }));
  b.unsubscribe("news", first);
  EXPECT_EQ(b.redis_channels(), 2u);  // someone here still follows it
  b.unsubscribe_all(second);
  ASSERT_TRUE(wait_until([&] { return b.redis_channels() == 1; }));
  EXPECT_EQ(redis.command("PUBSUB NUMSUB %s%s", "sb:", "news"), "sb:news,0");  // Redis no longer sends it here
  EXPECT_EQ(redis.command("PUBSUB NUMSUB %s%s", "sb:", "marker"), "sb:marker,1");
  a.publish("news", "1");
  a.publish("marker", "2");  // after "news" on the same connection: once it is here, "news" would be too
  ASSERT_TRUE(wait_until([&] { return marker.count() == 1; }));
  EXPECT_EQ(first.count(), 0u);
  EXPECT_EQ(second.count(), 0u);
}

TEST(RedisBus, IgnoresWhatOthersPublishOnItsChannels) {
  sb::test::redis_server redis;
  sb::redis_bus b(options_for(redis));
  recorder on_b;
  b.subscribe("room", on_b);
  ASSERT_TRUE(wait_until([&] { return b.redis_channels() == 1; }));
  for (const char* hostile : {"", "no envelope", "abc\n", "origin notanumber\n{}", "origin 18446744073709551616\n{}",
                              "origin\n{}", "\n", " 1"})
    EXPECT_EQ(redis.command("PUBLISH %s %s", "sb:room", hostile), "1");
  // A well-formed envelope from a process that is not a bus here is delivered as any instance's.
  EXPECT_EQ(redis.command("PUBLISH %s %s", "sb:room", "someone 0\n\"from outside\""), "1");
  ASSERT_TRUE(wait_until([&] { return on_b.count() == 1; }));
  EXPECT_EQ(on_b.seen(), std::vector<std::string>{"room=\"from outside\""});
}

TEST(RedisBus, GoesOnLocallyWhileRedisIsDownAndCatchesUp) {
  sb::test::redis_server redis;
  sb::redis_bus a(options_for(redis)), b(options_for(redis));
  recorder on_a, on_b;
  a.subscribe("room", on_a);
  b.subscribe("room", on_b);
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1 && b.redis_channels() == 1; }));

  redis.stop();
  // Both of a's connections know: a publish handed to one that has not noticed yet would be lost.
  ASSERT_TRUE(wait_until([&] { return a.health().find(R"("publisher":false,"subscriber":false)") != std::string::npos; }));
  ASSERT_TRUE(wait_until([&] { return !b.healthy(); }));
  EXPECT_NE(a.health().find(R"("connected":false)"), std::string::npos) << a.health();
  EXPECT_EQ(a.health().find(R"("last_error":"")"), std::string::npos) << a.health();  // it says why
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.publish("room", std::to_string(i)), 1u);  // local delivery goes on
  EXPECT_EQ(on_a.count(), 3u);
  EXPECT_NE(a.health().find(R"("waiting":3)"), std::string::npos) << a.health();

  redis.start();
  ASSERT_TRUE(wait_until([&] { return a.healthy() && b.healthy() && b.redis_channels() == 1; }));
  // The queue went out: "published" counts what Redis has answered.
  ASSERT_TRUE(wait_until([&] { return a.health().find(R"("published":3)") != std::string::npos; })) << a.health();
  EXPECT_NE(a.health().find(R"("waiting":0)"), std::string::npos) << a.health();
  a.publish("room", "\"after\"");
  ASSERT_TRUE(wait_until([&] { return on_b.has("room=\"after\""); }));
  EXPECT_NE(b.health().find(R"("reconnects":2)"), std::string::npos) << b.health();
}

TEST(RedisBus, StartsWithoutRedisAndJoinsWhenItComes) {
  sb::test::redis_server redis;
  redis.stop();
  sb::redis_bus a(options_for(redis)), b(options_for(redis));
  recorder on_b;
  b.subscribe("room", on_b);
  EXPECT_FALSE(b.healthy());
  // Until Redis answers, connection ids carry a random tag (its highest bit set).
  EXPECT_FALSE(a.connection_ids_coordinated());
  EXPECT_GE(a.new_connection_id(), std::uint64_t{1} << 52);
  EXPECT_LT(a.new_connection_id(), std::uint64_t{1} << 53);
  redis.start();
  ASSERT_TRUE(wait_until([&] { return a.healthy() && b.healthy() && b.redis_channels() == 1; }));
  ASSERT_TRUE(wait_until([&] { return a.connection_ids_coordinated(); }));
  EXPECT_LT(a.new_connection_id(), std::uint64_t{1} << 52);
  a.publish("room", "1");
  ASSERT_TRUE(wait_until([&] { return on_b.count() == 1; }));
}

TEST(RedisBus, BoundsWhatWaitsForRedis) {
  sb::test::redis_server redis;
  redis.stop();
  auto options = options_for(redis);
  options.outage_queue = 5;
  sb::redis_bus a(options);
  for (int i = 0; i < 12; ++i) a.publish("room", std::to_string(i));
  const std::string health = a.health();
  EXPECT_NE(health.find(R"("waiting":5)"), std::string::npos) << health;
  EXPECT_NE(health.find(R"("dropped":7)"), std::string::npos) << health;
}

}  // namespace

namespace {

TEST(RedisBus, HistoryChannelsCarryTheStreamsIdsOnEveryInstance) {
  sb::test::redis_server redis;
  sb::redis_bus a(kept_options(redis)), b(kept_options(redis));
  sb::inbox on_a(a, "room"), on_b(b, "room");
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1 && b.redis_channels() == 1; }));
  a.publish("room", "1");
  b.publish("room", "2");
  a.publish("room", "3", 77);  // around connection 77: a resume of it leaves the message out too
  const auto seen_a = take(on_a, 3), seen_b = take(on_b, 3);
  ASSERT_EQ(seen_a.size(), 3u);
  EXPECT_EQ(seen_a, seen_b);  // the same ids, in the same order, the publisher's own copy included
  std::pair<std::uint64_t, std::uint64_t> previous{}, id{};
  for (const auto& entry : seen_a) {
    ASSERT_TRUE(sb::parse_history_id(id_of(entry), id)) << entry;
    EXPECT_NE(id_of(entry).find('-'), std::string::npos) << entry;  // a Redis stream id
    EXPECT_LT(previous, id);
    previous = id;
  }
  EXPECT_EQ(redis.command("XLEN %s%s", "sb:", "room"), "3");
  const auto h = b.read_history("room", id_of(seen_a[0]), 100);
  EXPECT_TRUE(h.complete);
  ASSERT_EQ(h.messages.size(), 2u);
  EXPECT_EQ(h.messages[0].id + "=" + h.messages[0].json, seen_a[1]);
  EXPECT_EQ(h.messages[1].id + "=" + h.messages[1].json, seen_a[2]);
  for (const auto& m : h.messages) EXPECT_EQ(m.except, m.json == "3" ? 77u : 0u) << m.json;
  EXPECT_TRUE(b.read_history("room", "not an id", 10).messages.empty());
  EXPECT_TRUE(b.read_history("lobby", id_of(seen_a[0]), 10).messages.empty());  // keeps none
}

TEST(RedisBus, AClientResumesOnAnotherInstanceWithNothingLostOrRepeated) {
  sb::test::redis_server redis;
  sb::redis_bus a(kept_options(redis)), b(kept_options(redis));
  sb::inbox first_visit(a, "room");
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1; }));
  for (int i = 1; i <= 5; ++i) a.publish("room", std::to_string(i));
  const auto before = take(first_visit, 5);
  ASSERT_EQ(before.size(), 5u);
  // The client saw up to the second, then came back through another instance.
  sb::inbox resumed(b, "room", id_of(before[1]));
  EXPECT_TRUE(resumed.resumed_completely());
  ASSERT_TRUE(wait_until([&] { return b.redis_channels() == 1; }));
  a.publish("room", "6");
  const auto after = take(resumed, 4);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(after.begin(), after.begin() + 3), std::vector<std::string>(before.begin() + 2, before.end()));
  EXPECT_EQ(after[3].substr(after[3].find('=')), "=6");
  a.publish("room", "7");  // anything repeated would come before it
  const auto marker = take(resumed, 1);
  ASSERT_EQ(marker.size(), 1u);
  EXPECT_EQ(marker[0].substr(marker[0].find('=')), "=7");
}

// The history is read only once Redis has confirmed the new instance's subscription: read sooner,
// what is published in between would be neither in it nor delivered.
TEST(RedisBus, AResumeWhileAnotherInstancePublishesLeavesNoGap) {
  sb::test::redis_server redis;
  sb::redis_bus a(kept_options(redis, 100000)), b(kept_options(redis, 100000));
  sb::inbox echo(a, "room", 100000);  // a's own copies: the publisher stays at most 200 ahead of Redis
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1; }));
  a.publish("room", "1");
  const auto first = take(echo, 1);
  ASSERT_EQ(first.size(), 1u);
  std::atomic<bool> resumed{false};
  std::atomic<int> published{1};
  std::thread publisher([&] {
    std::size_t echoed = 1;
    for (int i = 2, after_resume = 0; i <= 100000 && after_resume < 1000; ++i) {
      a.publish("room", std::to_string(i));
      published = i;
      if (resumed) ++after_resume;
      while (echoed + 200 < static_cast<std::size_t>(i) && echo.next(std::chrono::seconds(20))) ++echoed;
    }
  });
  ASSERT_TRUE(wait_until([&] { return published > 100; }));
  sb::inbox again(b, "room", id_of(first[0]), 200000);
  resumed = true;
  publisher.join();
  ASSERT_LT(published, 100000) << "the resume happened while it published";
  EXPECT_TRUE(again.resumed_completely());
  const auto got = take(again, static_cast<std::size_t>(published) - 1);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(published) - 1);
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].substr(got[i].find('=') + 1), std::to_string(i + 2)) << i;
}

TEST(RedisBus, TheHistoryWindowIsBounded) {
  sb::test::redis_server redis;
  sb::redis_bus a(kept_options(redis, 10));
  sb::inbox on_a(a, "room");
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1; }));
  for (int i = 0; i < 1000; ++i) a.publish("room", std::to_string(i));
  const auto seen = take(on_a, 1000);
  ASSERT_EQ(seen.size(), 1000u);
  // MAXLEN ~ trims whole nodes of the stream (100 entries by default): at least 10 are kept, far fewer than 1,000.
  const int kept = std::stoi(redis.command("XLEN %s%s", "sb:", "room"));
  EXPECT_GE(kept, 10);
  EXPECT_LE(kept, 200);
  const auto h = a.read_history("room", id_of(seen[0]), 2000);
  EXPECT_FALSE(h.complete);  // the first is long gone: the caller learns that something was lost
  ASSERT_FALSE(h.messages.empty());
  EXPECT_EQ(h.messages.back().id + "=" + h.messages.back().json, seen.back());
}

TEST(RedisBus, HistoryChannelsGoOnLocallyWhileRedisIsDown) {
  sb::test::redis_server redis;
  sb::redis_bus a(kept_options(redis)), b(kept_options(redis));
  sb::inbox on_a(a, "room"), on_b(b, "room");
  ASSERT_TRUE(wait_until([&] { return a.redis_channels() == 1 && b.redis_channels() == 1; }));
  redis.stop();
  ASSERT_TRUE(wait_until([&] { return a.health().find(R"("publisher":false,"subscriber":false)") != std::string::npos; }));
  a.publish("room", "\"down\"");
  EXPECT_EQ(take(on_a, 1), std::vector<std::string>{"=\"down\""});  // at once, without an id
  redis.start();
  // Appended when Redis is back: b, subscribed again by then or not, finds it in the stream.
  ASSERT_TRUE(wait_until([&] { return redis.command("XLEN %s%s", "sb:", "room") == "1"; }));
  // And a does not get it twice: a marker published after it, which comes back through Redis on the
  // same connections, is the next thing a has.
  ASSERT_TRUE(wait_until([&] { return a.healthy() && a.redis_channels() == 1; }));
  a.publish("room", "\"marker\"");
  const auto next = take(on_a, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].substr(next[0].find('=')), "=\"marker\"");
}

}  // namespace
