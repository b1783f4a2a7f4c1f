// The bus, sb::inbox and WebSocket handler modules, without a socket: ws_api's handler routes driven by a
// recording connection.
#include <switchboard/app.hpp>
#include <switchboard/inbox.hpp>
#include <switchboard/protocol/ws_api.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ws_handler_test {

// ---- the bus ----

struct recorder final : sb::bus_subscriber {
  std::vector<std::string> got;
  void deliver(std::string_view channel, std::string_view json_text) override {
    got.push_back(std::string(channel) + ":" + std::string(json_text));
  }
};

TEST(LocalBus, PublishesToSubscribersButTheExceptedOne) {
  sb::local_bus bus;
  recorder a, b;
  bus.subscribe("room", a, 1);
  bus.subscribe("room", b, 2);
  bus.subscribe("room", b, 2);  // twice is once
  EXPECT_EQ(bus.publish("room", "1"), 2u);
  EXPECT_EQ(bus.publish("room", "2", 1), 1u);
  EXPECT_EQ(bus.publish("elsewhere", "3"), 0u);
  EXPECT_EQ(a.got, (std::vector<std::string>{"room:1"}));
  EXPECT_EQ(b.got, (std::vector<std::string>{"room:1", "room:2"}));
}

TEST(LocalBus, UnsubscribedMeansNothingMoreArrives) {
  sb::local_bus bus;
  recorder a, b;
  bus.subscribe("x", a);
  bus.subscribe("y", a);
  bus.subscribe("x", b);
  bus.unsubscribe("x", a);
  bus.publish("x", "1");
  bus.publish("y", "2");
  EXPECT_EQ(a.got, (std::vector<std::string>{"y:2"}));
  bus.unsubscribe_all(a);
  bus.unsubscribe_all(a);  // again: nothing to do
  bus.publish("y", "3");
  EXPECT_EQ(a.got.size(), 1u);
  EXPECT_EQ(bus.subscribers("x"), 1u);
  EXPECT_EQ(bus.subscribers("y"), 0u);
  bus.unsubscribe_all(b);
  EXPECT_EQ(bus.publish("x", "4"), 0u);
}

TEST(LocalBus, DirectSendsGoThroughTheConnectionsChannel) {
  sb::local_bus bus;
  recorder a;
  bus.subscribe(sb::bus::connection_channel(42), a, 42);
  EXPECT_EQ(bus.send(42, R"({"x":1})"), 1u);
  EXPECT_EQ(bus.send(43, "2"), 0u);
  EXPECT_EQ(a.got, (std::vector<std::string>{R"(sb.connection.42:{"x":1})"}));
}

TEST(LocalBus, ConnectionIdsAreUniqueAndExactInJavaScript) {
  sb::local_bus bus;
  std::set<std::uint64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t id = bus.new_connection_id();
    EXPECT_NE(id, 0u);
    EXPECT_LT(id, std::uint64_t{1} << 53);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

// Publishers on several threads while subscribers come and go: every delivery reaches a live
// subscriber (ASan and TSan builds check the rest).
TEST(LocalBus, PublishersAndSubscribersOnManyThreads) {
  sb::local_bus bus;
  struct counter final : sb::bus_subscriber {
    std::atomic<int> n{0};
    void deliver(std::string_view, std::string_view) override { ++n; }
  };
  counter stays;
  bus.subscribe("c", stays);
  std::atomic<bool> done{false};
  std::thread churn([&] {
    while (!done) {
      counter passing;
      bus.subscribe("c", passing);
      bus.unsubscribe_all(passing);
    }
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < 2; ++t)
    publishers.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) bus.publish("c", "1");
    });
  for (auto& p : publishers) p.join();
  done = true;
  churn.join();
  EXPECT_EQ(stays.n.load(), 10000);
}

TEST(Inbox, TakesWhatWasPublishedInOrderAndWaitsForMore) {
  sb::local_bus bus;
  sb::inbox box(bus, "news");
  EXPECT_FALSE(box.next(std::chrono::milliseconds(10)));  // nothing yet: a timeout
  bus.publish("news", "1");
  bus.publish("news", "2");
  EXPECT_EQ(box.next(std::chrono::milliseconds(0))->json, "1");
  EXPECT_EQ(box.next(std::chrono::milliseconds(0))->json, "2");
  std::thread later([&] { bus.publish("news", "3"); });
  const auto third = box.next(std::chrono::seconds(20));  // woken by the delivery, not the timeout
  later.join();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->channel, "news");
  EXPECT_EQ(third->json, "3");
}

TEST(Inbox, IsBoundedAndCountsWhatItDropped) {
  sb::local_bus bus;
  sb::inbox box(bus, "flood", 3);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bus.publish("flood", std::to_string(i)), 1u);
  EXPECT_EQ(box.dropped(), 7u);
  EXPECT_EQ(box.next(std::chrono::milliseconds(0))->json, "0");
}

TEST(Inbox, TheTakerMayUseTheBusAndItLeavesWhenDestroyed) {
  sb::local_bus bus;
  {
    sb::inbox box(bus, "a");
    bus.publish("a", "x");
    ASSERT_TRUE(box.next(std::chrono::milliseconds(0)));
    box.subscribe("b");  // from the taker: no lock of the bus is held here
    bus.publish("b", "y");
    EXPECT_EQ(box.next(std::chrono::milliseconds(0))->channel, "b");
    box.unsubscribe("a");
    EXPECT_EQ(bus.publish("a", "z"), 0u);
  }
  EXPECT_EQ(bus.subscribers("b"), 0u);
}

// ---- handler modules ----

struct line {
  std::string message;
};

struct room;
struct chat {
  static constexpr std::string_view name = "chat";
  sb::ws<room> public_room;
  std::vector<std::string>* log = nullptr;  // what the handlers saw, set by the test

  void join(sb::connection& c, sb::session& s, sb::bus& bus) {
    if (s.user == "banned") throw std::runtime_error("no");
    (void)c.subscribe("room");
    bus.broadcast("room", R"({"event":"user_joined","data":{"user":")" + s.user + "\"}}", c.id());
    c.send(R"({"event":"welcome","data":{"id":)" + std::to_string(c.id()) + "}}");
  }
  void say(sb::connection& c, sb::session& s, sb::bus& bus, line l) {
    if (log) log->push_back(s.user + ": " + l.message);
    bus.broadcast("room", R"({"event":"new_message","data":{"user":")" + s.user + R"(","text":")" + l.message + "\"}}");
    (void)c;
  }
  int add(int a, int b) { return a + b; }
  sb::result<void> strict(int n) {
    if (n < 0) return sb::invalid_argument("n must not be negative");
    return {};
  }
  void leave(sb::connection& c, sb::session& s, sb::bus& bus) {
    if (log) log->push_back(s.user + " left");
    bus.broadcast("room", R"({"event":"user_left","data":{"user":")" + s.user + "\"}}", c.id());
  }
};
struct room {
  sb::fn<&chat::join> connect;
  sb::fn<&chat::say> chat_message;
  sb::fn<&chat::add, sb::args{"a", "b"}> add;
  sb::fn<&chat::strict> strict;
  sb::fn<&chat::leave> disconnect;
};

void echo_raw(sb::connection& c, const sb::ws_message& m) {
  c.send(std::string(R"({"echo":)") + (m.binary ? "\"binary\"" : "\"text\"") + R"(,"size":)" +
         std::to_string(m.payload.size()) + "}");
}
sb::result<void> refuse_guests(const sb::session& s) {
  if (s.user.empty()) return sb::unauthorized("log in first");
  return {};
}
struct raw_handler {
  sb::fn<&echo_raw> message;
};
struct members_only {
  sb::fn<&refuse_guests> connect;
};
struct misc {
  sb::ws<raw_handler> raw;
  sb::ws<members_only> members;
};

using app_type = sb::app<chat, misc>;

// A connection as ws_api and the handlers see it, recording what would go to the client.
struct fake_connection final : sb::connection, sb::detail::ws_sender, sb::bus_subscriber {
  fake_connection(app_type& app, std::string user) : app(app) {
    session.user = std::move(user);
    connection_id = app.bus().new_connection_id();
    ctx.from = sb::origin::websocket;
    ctx.connection = this;
    ctx.session = &session;
    ctx.bus = &app.bus();
    app.bus().subscribe(sb::bus::connection_channel(connection_id), *this, connection_id);
  }
  ~fake_connection() override { app.bus().unsubscribe_all(*this); }

  std::uint64_t id() const override { return connection_id; }
  bool send(std::string_view json_text) override { return send(sb::ws_opcode::text, json_text); }
  bool send_binary(std::string_view bytes) override { return send(sb::ws_opcode::binary, bytes); }
  void close() override { close(1000, {}); }
  sb::result<void> subscribe(std::string_view channel) override {
    if (auto admitted = app.admits(session, channel); !admitted.ok()) return admitted;
    app.bus().subscribe(channel, *this, connection_id);
    return {};
  }
  void unsubscribe(std::string_view channel) override { app.bus().unsubscribe(channel, *this); }
  bool send(sb::ws_opcode, std::string_view payload) override {
    std::lock_guard lock(mutex);
    sent.emplace_back(payload);
    return true;
  }
  void close(std::uint16_t code, std::string_view reason) override {
    closed_with = code;
    close_reason = reason;
  }
  bool open() const override { return closed_with == 0; }
  bool wait_while_open(std::chrono::milliseconds, const std::atomic<bool>*) override { return open(); }
  void wake_waiters() override {}
  sb::detail::ws_running_streams& running() override { return streams; }
  void deliver(std::string_view, std::string_view json_text) override { send(sb::ws_opcode::text, json_text); }

  std::vector<std::string> take() {
    std::lock_guard lock(mutex);
    return std::exchange(sent, {});
  }

  app_type& app;
  std::uint64_t connection_id = 0;
  sb::session session;
  sb::context ctx;
  std::mutex mutex;
  std::vector<std::string> sent;
  std::uint16_t closed_with = 0;
  std::string close_reason;
  sb::detail::ws_running_streams streams;
};

struct handler_fixture : ::testing::Test {
  app_type app;
  sb::detail::ws_api<app_type> ws{app};
  std::string reply;
  std::vector<std::string> log;

  handler_fixture() { app.module<chat>().log = &log; }

  sb::detail::ws_api<app_type>::route at(std::string_view path) { return ws.find(path); }
  void message(fake_connection& c, std::string_view path, std::string_view text,
               sb::ws_opcode opcode = sb::ws_opcode::text) {
    ws.on_message(at(path), opcode, text, c, c.ctx, reply);
  }
};

TEST_F(handler_fixture, RoutesAreTheModuleAndMemberNames) {
  EXPECT_TRUE(at("/ws/chat/public_room").handler);
  EXPECT_TRUE(at("/ws/misc/raw").handler);
  EXPECT_TRUE(at("/rpc").rpc);
  EXPECT_FALSE(at("/ws/chat/other"));
  EXPECT_FALSE(at("/ws/chat/public_room/"));
  EXPECT_EQ(sb::detail::ws_api<app_type>::paths(), "/rpc, /ws/chat/public_room, /ws/misc/raw, /ws/misc/members");
}

TEST_F(handler_fixture, ARoomWelcomesAnnouncesBroadcastsAndSaysGoodbye) {
  const auto room = at("/ws/chat/public_room");
  fake_connection ada(app, "ada"), bob(app, "bob");
  ws.on_open(room, ada, ada.ctx, reply);
  ws.on_open(room, bob, bob.ctx, reply);
  EXPECT_EQ(ada.take(), (std::vector<std::string>{
                            R"({"event":"welcome","data":{"id":)" + std::to_string(ada.id()) + "}}",
                            R"({"event":"user_joined","data":{"user":"bob"}})"}));
  EXPECT_EQ(bob.take(), (std::vector<std::string>{R"({"event":"welcome","data":{"id":)" + std::to_string(bob.id()) + "}}"}));

  message(ada, "/ws/chat/public_room", R"({"event":"chat_message","data":{"message":"hi"}})");
  const std::string said = R"({"event":"new_message","data":{"user":"ada","text":"hi"}})";
  EXPECT_EQ(ada.take(), std::vector<std::string>{said});
  EXPECT_EQ(bob.take(), std::vector<std::string>{said});
  EXPECT_EQ(log, std::vector<std::string>{"ada: hi"});

  ws.on_close(room, ada.ctx);
  EXPECT_EQ(bob.take(), std::vector<std::string>{R"({"event":"user_left","data":{"user":"ada"}})"});
  EXPECT_TRUE(ada.take().empty());  // the broadcast left the leaver out
}

TEST_F(handler_fixture, EventsBindTheirDataAndAnswerWithTheirValue) {
  fake_connection c(app, "ada");
  message(c, "/ws/chat/public_room", R"({"event":"add","data":[2,3]})");
  message(c, "/ws/chat/public_room", R"({"data":{"b":1,"a":2},"event":"add"})");
  message(c, "/ws/chat/public_room", R"({"event":"strict","data":5})");  // one value is the one parameter
  EXPECT_EQ(c.take(), (std::vector<std::string>{R"({"event":"add","data":5})", R"({"event":"add","data":3})"}));
}

TEST_F(handler_fixture, ErrorsComeBackAsErrorEventsNamingTheEvent) {
  fake_connection c(app, "ada");
  message(c, "/ws/chat/public_room", R"({"event":"add","data":[2,"x"]})");
  message(c, "/ws/chat/public_room", R"({"event":"strict","data":[-1]})");
  message(c, "/ws/chat/public_room", R"({"event":"nope","data":1})");
  message(c, "/ws/chat/public_room", R"(not json)");
  const auto sent = c.take();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_NE(sent[0].find(R"({"event":"error","data":{"error":{"kind":"invalid_argument")"), std::string::npos) << sent[0];
  EXPECT_NE(sent[0].find(R"("where":"params[1])"), std::string::npos) << sent[0];
  EXPECT_NE(sent[0].find(R"(,"event":"add"}})"), std::string::npos) << sent[0];
  EXPECT_NE(sent[1].find("n must not be negative"), std::string::npos) << sent[1];
  EXPECT_NE(sent[2].find(R"("kind":"not_found")"), std::string::npos) << sent[2];
  EXPECT_NE(sent[2].find(R"(has no event named \"nope\")"), std::string::npos) << sent[2];
  EXPECT_NE(sent[3].find(R"(takes messages shaped)"), std::string::npos) << sent[3];
  for (const auto& s : sent) {
    sb::json::value parsed;
    EXPECT_FALSE(sb::json::read(parsed, s)) << s;
  }
  EXPECT_EQ(c.closed_with, 0);  // errors are answers, not the end
}

TEST_F(handler_fixture, JsonPingsArePonged) {
  fake_connection c(app, "ada");
  message(c, "/ws/chat/public_room", R"({"type":"ping"})");
  message(c, "/ws/misc/raw", R"({"type":"ping"})");
  EXPECT_EQ(c.take(), (std::vector<std::string>{R"({"type":"pong"})", R"({"type":"pong"})"}));
}

TEST_F(handler_fixture, TheGenericHandlerTakesWhatNamesNoEvent) {
  fake_connection c(app, "ada");
  message(c, "/ws/misc/raw", "plain text");
  message(c, "/ws/misc/raw", std::string("\x00\x01\x02", 3), sb::ws_opcode::binary);
  message(c, "/ws/misc/raw", R"({"event":"unknown"})");
  EXPECT_EQ(c.take(), (std::vector<std::string>{R"({"echo":"text","size":10})", R"({"echo":"binary","size":3})",
                                                R"({"echo":"text","size":19})"}));
}

TEST_F(handler_fixture, BinaryToAHandlerWithoutAGenericOneCloses1003) {
  fake_connection c(app, "ada");
  message(c, "/ws/chat/public_room", "\x01", sb::ws_opcode::binary);
  EXPECT_EQ(c.closed_with, 1003);
  EXPECT_NE(c.close_reason.find("/ws/chat/public_room takes no binary messages"), std::string::npos);
}

TEST_F(handler_fixture, AConnectThatFailsClosesWithItsReason) {
  fake_connection guest(app, ""), member(app, "ada"), banned(app, "banned");
  ws.on_open(at("/ws/misc/members"), guest, guest.ctx, reply);
  EXPECT_EQ(guest.closed_with, 1008);
  EXPECT_EQ(guest.close_reason, "log in first");
  const auto sent = guest.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].find(R"("kind":"unauthorized")"), std::string::npos) << sent[0];
  ws.on_open(at("/ws/misc/members"), member, member.ctx, reply);
  EXPECT_EQ(member.closed_with, 0);
  ws.on_open(at("/ws/chat/public_room"), banned, banned.ctx, reply);
  EXPECT_EQ(banned.closed_with, 1011);  // it threw: an internal error
}

TEST_F(handler_fixture, ChannelsNamedSbAreTheFrameworksAndPrivateOnesNeedTheGuard) {
  fake_connection c(app, "ada");
  EXPECT_EQ(c.subscribe("sb.connection.1").error().kind, sb::error_kind::forbidden);
  EXPECT_EQ(c.subscribe("private-staff").error().kind, sb::error_kind::forbidden);
  EXPECT_TRUE(c.subscribe("lobby").ok());

  sb::app_options guarded;
  guarded.channel_guard = [](const sb::session& s, std::string_view channel) {
    return s.user == "ada" && channel == "private-staff";
  };
  app_type strict(guarded);
  fake_connection ada(strict, "ada"), eve(strict, "eve");
  EXPECT_TRUE(ada.subscribe("private-staff").ok());
  EXPECT_FALSE(eve.subscribe("private-staff").ok());
  strict.bus().publish("private-staff", "1");
  EXPECT_EQ(ada.take(), std::vector<std::string>{"1"});
  EXPECT_TRUE(eve.take().empty());
}

TEST_F(handler_fixture, TheAppsBusCanBeSharedByApps) {
  sb::local_bus shared;
  sb::app_options options;
  options.bus = &shared;
  app_type first(options), second(options);
  fake_connection a(first, "a"), b(second, "b");
  EXPECT_EQ(&first.bus(), &second.bus());
  EXPECT_NE(a.id(), b.id());
  EXPECT_EQ(first.bus().send(b.id(), "hello"), 1u);
  EXPECT_EQ(b.take(), std::vector<std::string>{"hello"});
}

}  // namespace ws_handler_test
