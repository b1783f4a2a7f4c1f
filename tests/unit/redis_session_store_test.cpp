// Sessions in a real redis-server (started here): two stores stand for two instances of one app.
#include <switchboard/redis/redis_session_store.hpp>

#include "../support/redis_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using sb::test::wait_until;

sb::redis_session_store_options options_for(const sb::test::redis_server& redis,
                                            std::chrono::seconds idle = std::chrono::hours(1)) {
  sb::redis_session_store_options options;
  options.url = redis.url();
  options.idle = idle;
  return options;
}

sb::session ada(sb::session_store& store) {
  sb::session s;
  s.id = store.new_id();
  s.user = "ada";
  s.level = 2;
  s.data = sb::json::value::object();
  s.data["theme"] = "dark \"quoted\" ✓";
  return s;
}

TEST(RedisSessionStore, WhatOneInstanceSavesAnotherLoads) {
  sb::test::redis_server redis;
  sb::redis_session_store one(options_for(redis)), two(options_for(redis));
  const sb::session s = ada(one);
  one.save(s);
  const auto loaded = two.load(s.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->id, s.id);
  EXPECT_EQ(loaded->user, "ada");
  EXPECT_EQ(loaded->level, 2);
  EXPECT_EQ(loaded->data, s.data);
  EXPECT_TRUE(two.healthy());
  EXPECT_FALSE(two.load("no-such-session"));
  EXPECT_FALSE(two.load(""));
}

TEST(RedisSessionStore, AnUpdateNeverBringsBackWhatWasErased) {
  sb::test::redis_server redis;
  sb::redis_session_store one(options_for(redis)), two(options_for(redis));
  sb::session s = ada(one);
  one.save(s);
  s.data["theme"] = "light";
  EXPECT_TRUE(two.update(s));
  EXPECT_EQ(one.load(s.id)->data["theme"], sb::json::value("light"));
  one.erase(s.id);  // a logout on one instance...
  EXPECT_FALSE(two.update(s));  // ...is not undone by a request that loaded the session before it
  EXPECT_FALSE(two.load(s.id));
}

TEST(RedisSessionStore, SessionsExpireWhenIdleAndEachLoadRenewsThem) {
  sb::test::redis_server redis;
  sb::redis_session_store store(options_for(redis, std::chrono::seconds(100)));
  const sb::session s = ada(store);
  store.save(s);
  const std::string key = "sb:session:" + s.id;
  EXPECT_EQ(redis.command("TTL %s%s", key, ""), "100");
  redis.command("EXPIRE %s %s", key, "5");
  ASSERT_TRUE(store.load(s.id));
  EXPECT_EQ(redis.command("TTL %s%s", key, ""), "100") << "a load renews the idle time";
  redis.command("PEXPIRE %s %s", key, "1");
  ASSERT_TRUE(wait_until([&] { return redis.command("EXISTS %s%s", key, "") == "0"; }));  // Redis expires it by itself
  EXPECT_FALSE(store.load(s.id));
}

TEST(RedisSessionStore, WhatIsNotASessionInRedisIsNone) {
  sb::test::redis_server redis;
  sb::redis_session_store store(options_for(redis));
  for (const std::string& junk : std::vector<std::string>{"not json", "{}", "[1,2]", R"({"id":"x","user":7,"level":0,"data":null})", std::string(1 << 16, '{')}) {
    redis.command("SET %s %s", "sb:session:junk", junk);
    EXPECT_FALSE(store.load("junk")) << junk.substr(0, 40);
  }
  redis.command("HSET %s %s v", "sb:session:hash", "f");  // the wrong type of key: Redis answers an error
  EXPECT_FALSE(store.load("hash"));
  EXPECT_FALSE(store.healthy());
  store.save(ada(store));
  EXPECT_TRUE(store.healthy());
}

TEST(RedisSessionStore, RedisDownMeansNoSessionsThenItComesBack) {
  sb::test::redis_server redis;
  sb::redis_session_store store(options_for(redis));
  const sb::session s = ada(store);
  store.save(s);
  ASSERT_TRUE(store.load(s.id));  // a pooled connection that the crash will break
  EXPECT_EQ(store.health(), R"({"kind":"redis","connected":true,"error":""})");
  redis.stop();
  EXPECT_FALSE(store.load(s.id));
  EXPECT_FALSE(store.healthy());
  EXPECT_FALSE(store.update(s));
  const std::string down = store.health();  // what /api/_health shows
  EXPECT_NE(down.find(R"("connected":false,"error":"cannot connect to 127.0.0.1:)"), std::string::npos) << down;
  redis.start();  // empty: it kept nothing
  EXPECT_EQ(store.health(), R"({"kind":"redis","connected":true,"error":""})");
  store.save(s);
  EXPECT_TRUE(store.healthy());
  ASSERT_TRUE(store.load(s.id));
}

TEST(RedisSessionStore, ManyThreadsShareThePool) {
  sb::test::redis_server redis;
  sb::redis_session_store store(options_for(redis));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        sb::session s;
        s.id = "t" + std::to_string(t) + "-" + std::to_string(i);
        s.user = s.id;
        store.save(s);
        const auto back = store.load(s.id);
        if (!back || back->user != s.id) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

TEST(RedisSessionStore, AMalformedUrlSaysWhatIsWrong) {
  try {
    sb::redis_session_store store({.url = "http://x"});
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("redis://"), std::string::npos) << e.what();
  }
}

}  // namespace
