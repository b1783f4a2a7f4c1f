// Channels that keep a history: ids, the window, reading after an id, an inbox that resumes, and
// the ids reaching an SSE client.
#include <switchboard/inbox.hpp>
#include <switchboard/local_bus.hpp>
#include <switchboard/protocol/sse.hpp>
#include <switchboard/stream.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::string_view_literals;

sb::bus_history_options room_history(std::size_t length) {
  return {.channels = [](std::string_view channel) { return channel.starts_with("room"); }, .length = length};
}

std::vector<std::string> ids_of(const sb::bus_history& h) {
  std::vector<std::string> ids;
  for (const auto& m : h.messages) ids.push_back(m.id);
  return ids;
}

TEST(BusHistory, IdsReadAsPairsOfNumbers) {
  std::pair<std::uint64_t, std::uint64_t> id;
  EXPECT_TRUE(sb::parse_history_id("42", id));
  EXPECT_EQ(id, std::make_pair(std::uint64_t{42}, std::uint64_t{0}));
  EXPECT_TRUE(sb::parse_history_id("1733330000000-7", id));
  EXPECT_EQ(id, std::make_pair(std::uint64_t{1733330000000}, std::uint64_t{7}));
  for (const char* bad : {"", "-", "x", "1-", "-1", "1-2-3", "1 ", " 1", "1-x", "99999999999999999999"})
    EXPECT_FALSE(sb::parse_history_id(bad, id)) << bad;
}

TEST(BusHistory, LocalBusNumbersAndKeepsTheLastMessages) {
  sb::local_bus bus(room_history(3));
  EXPECT_TRUE(bus.keeps_history("room-1"));
  EXPECT_FALSE(bus.keeps_history("lobby"));
  sb::inbox live(bus, "room-1");
  for (int i = 1; i <= 5; ++i) bus.publish("room-1", std::to_string(i));
  for (int i = 1; i <= 5; ++i) {
    const auto m = live.next(std::chrono::seconds(1));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, std::to_string(i));
    EXPECT_EQ(m->json, std::to_string(i));
  }
  // Ids 3 to 5 are kept: after 2 nothing is lost, after 1 message 2 is.
  auto h = bus.read_history("room-1", "2", 100);
  EXPECT_TRUE(h.complete);
  EXPECT_EQ(ids_of(h), (std::vector<std::string>{"3", "4", "5"}));
  EXPECT_EQ(h.messages[0].json, "3");
  EXPECT_EQ(h.messages[0].except, 0u);
  h = bus.read_history("room-1", "1", 100);
  EXPECT_FALSE(h.complete);
  EXPECT_EQ(ids_of(h), (std::vector<std::string>{"3", "4", "5"}));
  h = bus.read_history("room-1", "5", 100);
  EXPECT_TRUE(h.complete);
  EXPECT_TRUE(h.messages.empty());
  h = bus.read_history("room-1", "3", 1);
  EXPECT_EQ(ids_of(h), std::vector<std::string>{"4"});
  EXPECT_FALSE(bus.read_history("room-1", "9", 100).complete);  // an id this process never gave
  EXPECT_FALSE(bus.read_history("room-2", "1", 100).complete);
  EXPECT_FALSE(bus.read_history("room-1", "1-0x", 100).complete);
  EXPECT_TRUE(bus.read_history("lobby", "1", 100).messages.empty());
  // Channels without a history: no ids.
  sb::inbox lobby(bus, "lobby");
  bus.publish("lobby", "x");
  EXPECT_EQ(lobby.next(std::chrono::seconds(1))->id, "");
  // The history remembers the connection a message went around, for that connection's resume.
  bus.publish("room-1", "6", 42);
  EXPECT_EQ(bus.read_history("room-1", "5", 100).messages.at(0).except, 42u);
}

TEST(BusHistory, AnInboxResumesAfterAnIdThenFollowsOnceEach) {
  sb::local_bus bus(room_history(100));
  for (int i = 1; i <= 4; ++i) bus.publish("room", std::to_string(i));
  sb::inbox resumed(bus, "room", "2");
  EXPECT_TRUE(resumed.resumed_completely());
  bus.publish("room", "5");
  bus.publish("room", "marker");  // anything repeated would come before it
  std::vector<std::string> got;
  while (auto m = resumed.next(std::chrono::seconds(20))) {
    got.push_back(m->id + ":" + m->json);
    if (m->json == "marker") break;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"3:3", "4:4", "5:5", "6:marker"}));

  sb::local_bus small(room_history(2));
  for (int i = 1; i <= 4; ++i) small.publish("room", std::to_string(i));
  sb::inbox late(small, "room", "1");
  EXPECT_FALSE(late.resumed_completely());  // 2 is gone
  EXPECT_EQ(late.next(std::chrono::seconds(1))->id, "3");

  // An id the history never gave holds nothing back.
  sb::inbox unknown(bus, "room", "99999999");
  EXPECT_FALSE(unknown.resumed_completely());
  bus.publish("room", "7");
  EXPECT_EQ(unknown.next(std::chrono::seconds(20))->json, "7");
}

TEST(BusHistory, ResumingWhilePublishersGoOnLosesAndRepeatsNothing) {
  // The publisher runs until 1,000 messages after the inbox has resumed, so the resume happens while
  // it publishes; the cap bounds the history and the inbox however the threads are scheduled.
  constexpr int cap = 200000;
  sb::local_bus bus(room_history(cap));
  std::atomic<int> sent{0}, stop_at{cap};
  std::thread publisher([&] {
    for (int i = 1; i <= stop_at; ++i) {
      bus.publish("room", std::to_string(i));
      sent = i;
    }
  });
  while (sent < 100) std::this_thread::yield();
  sb::inbox resumed(bus, "room", "50", cap);
  stop_at = std::min(cap, sent + 1000);
  publisher.join();
  EXPECT_LT(sent.load(), cap) << "the publisher hit the cap before the inbox resumed";
  // Every id after 50 up to the last one sent, in order, once: the last one ends the wait.
  const auto last = static_cast<std::uint64_t>(sent.load());
  std::uint64_t expected = 51;
  while (expected <= last) {
    auto m = resumed.next(std::chrono::seconds(20));
    ASSERT_TRUE(m) << "nothing within 20 s after id " << expected - 1;
    ASSERT_EQ(m->id, std::to_string(expected));
    ++expected;
  }
  EXPECT_EQ(resumed.dropped(), 0u);
}

class capture final : public sb::detail::sse_output {
 public:
  bool write(std::string_view bytes) override {
    text.append(bytes);
    return true;
  }
  std::string text;
};

TEST(BusHistory, IdsReachTheSseClientAsTheyAre) {
  capture out;
  sb::detail::sse_stream sink(out, 1);
  sb::stream<int> values(&sink);
  EXPECT_TRUE(values.emit(7));
  EXPECT_TRUE(values.emit_with_id("1733330000000-3", 8));
  EXPECT_TRUE(values.emit_with_id("9\nevent: forged\r\0x"sv, 9, "tick"));
  EXPECT_EQ(out.text, std::string("id: 1\ndata: 7\n\n"
                                  "id: 1733330000000-3\ndata: 8\n\n"
                                  "id: 9event: forgedx\nevent: tick\ndata: 9\n\n"));
}

}  // namespace
