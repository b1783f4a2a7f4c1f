// Resuming a WebSocket's channels: what the handshake's sb_resume may say, and the order in which
// history and live deliveries go out while a channel catches up.
#include <switchboard/local_bus.hpp>
#include <switchboard/protocol/ws_resume.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using sb::detail::ws_resume_request;
using sb::detail::ws_resumes;

ws_resume_request parsed(std::string_view query) {
  ws_resume_request r;
  std::string why;
  EXPECT_TRUE(r.parse(query, why)) << query << ": " << why;
  return r;
}

std::string refusal(std::string_view query) {
  ws_resume_request r;
  std::string why;
  EXPECT_FALSE(r.parse(query, why)) << query;
  return why;
}

TEST(WsResumeRequest, AbsentEmptyOrNamingChannels) {
  EXPECT_FALSE(parsed("").asked);
  EXPECT_FALSE(parsed("token=abc&x=1").asked);
  const auto first = parsed("sb_resume=%7B%7D");
  EXPECT_TRUE(first.asked);
  EXPECT_TRUE(first.after.empty());
  const auto later = parsed("token=abc&sb_resume=%7B%22public_room%22%3A%221733330000000-7%22%2C%22b%20c%22%3A%2242%22%7D");
  EXPECT_TRUE(later.asked);
  ASSERT_EQ(later.after.size(), 2u);
  EXPECT_EQ(later.after.at("public_room"), "1733330000000-7");
  EXPECT_EQ(later.after.at("b c"), "42");
}

TEST(WsResumeRequest, WhatIsNotSuchAnObjectIsRefusedSayingWhy) {
  EXPECT_NE(refusal("sb_resume=").find("JSON object"), std::string::npos);
  EXPECT_NE(refusal("sb_resume=%7").find("percent"), std::string::npos);
  EXPECT_NE(refusal("sb_resume=%5B%5D").find("JSON object"), std::string::npos);
  EXPECT_NE(refusal("sb_resume=%7B%22a%22%3A1%7D").find("JSON object"), std::string::npos);  // {"a":1}
  const std::string not_an_id = refusal("sb_resume=%7B%22room%22%3A%22yesterday%22%7D");
  EXPECT_NE(not_an_id.find("\"yesterday\""), std::string::npos) << not_an_id;
  EXPECT_NE(not_an_id.find("\"room\""), std::string::npos) << not_an_id;
  std::string many = "sb_resume=%7B";
  for (int i = 0; i <= 256; ++i) many += (i ? "%2C" : "") + std::string("%22c") + std::to_string(i) + "%22%3A%221%22";
  EXPECT_NE(refusal(many + "%7D").find("more than 256"), std::string::npos);
}

struct sent_frames {
  std::vector<std::string> frames;
  void operator()(std::string_view frame) { frames.emplace_back(frame); }
};

sb::bus_history page(bool complete, std::vector<sb::bus_history::entry> messages) {
  sb::bus_history h;
  h.complete = complete;
  h.messages = std::move(messages);
  return h;
}

TEST(WsResumes, WithoutAskingNothingIsWrapped) {
  ws_resumes r(parsed("a=1"), 1 << 20);
  EXPECT_FALSE(r.asked());
  EXPECT_FALSE(r.begin("room"));
}

TEST(WsResumes, AskedMessagesWithIdsComeWrappedOthersAsPublished) {
  ws_resumes r(parsed("sb_resume=%7B%7D"), 1 << 20);
  sent_frames out;
  EXPECT_FALSE(r.begin("room"));  // not named: nothing to catch up
  r.deliver("room", R"({"event":"x"})", "5-0", out);
  r.deliver("lobby", "[1]", "", out);
  EXPECT_EQ(out.frames, (std::vector<std::string>{R"({"type":"delivery","channel":"room","id":"5-0","data":{"event":"x"}})",
                                                  "[1]"}));
}

TEST(WsResumes, HistoryFirstThenWhatWaitedOnceEachInOrder) {
  ws_resumes r(parsed("sb_resume=%7B%22room%22%3A%222%22%2C%22other%22%3A%221%22%7D"), 1 << 20);
  sent_frames out;
  const auto after = r.begin("room");
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, "2");
  EXPECT_FALSE(r.begin("room"));  // once: a second subscribe resumes nothing
  // Live while the history is read: 4 and 5 are in the history too, 6 is not; the lobby is not waiting.
  r.deliver("room", "four", "4", out);
  r.deliver("lobby", "hello", "", out);
  r.deliver("room", "five", "5", out);
  r.deliver("room", "six", "6", out);
  EXPECT_EQ(out.frames, std::vector<std::string>{"hello"});
  out.frames.clear();
  r.send_missed("room", page(true, {{"3", "three", 0}, {"4", "four", 99}, {"5", "five", 0}}), true, 99, out);
  ASSERT_TRUE(r.caught_up("room", "5", out));
  r.deliver("room", "seven", "7", out);  // straight out again
  auto d = [](std::string_view id, std::string_view json) {
    std::string f;
    sb::detail::write_ws_delivery(f, "room", id, json);
    return f;
  };
  EXPECT_EQ(out.frames, (std::vector<std::string>{R"({"type":"resumed","channel":"room","complete":true})", d("3", "three"),
                                                  d("5", "five"), d("6", "six"), d("7", "seven")}))
      << "4 went around connection 99, the one resuming";
}

TEST(WsResumes, NothingMissedLetsNewerLiveOnesThrough) {
  ws_resumes r(parsed("sb_resume=%7B%22room%22%3A%222%22%7D"), 1 << 20);
  sent_frames out;
  ASSERT_TRUE(r.begin("room"));
  r.deliver("room", "two again", "2", out);
  r.deliver("room", "three", "3", out);
  r.send_missed("room", page(true, {}), true, 1, out);
  ASSERT_TRUE(r.caught_up("room", "2", out));  // the client has 2: the history knew it
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_EQ(out.frames[0], R"({"type":"resumed","channel":"room","complete":true})");
  EXPECT_NE(out.frames[1].find(R"("id":"3")"), std::string::npos);
}

// An id the history never gave (a client from another deployment, or made up) bounds nothing: what
// is published goes out.
TEST(WsResumes, AnUnknownIdHoldsNothingBack) {
  ws_resumes r(parsed("sb_resume=%7B%22room%22%3A%2299999999%22%7D"), 1 << 20);
  sent_frames out;
  ASSERT_TRUE(r.begin("room"));
  r.deliver("room", "five", "5", out);
  r.send_missed("room", page(false, {}), true, 1, out);
  ASSERT_TRUE(r.caught_up("room", "", out));
  r.deliver("room", "six", "6", out);
  ASSERT_EQ(out.frames.size(), 3u);
  EXPECT_EQ(out.frames[0], R"({"type":"resumed","channel":"room","complete":false})");
  EXPECT_NE(out.frames[1].find(R"("id":"5")"), std::string::npos);
  EXPECT_NE(out.frames[2].find(R"("id":"6")"), std::string::npos);
}

TEST(WsResumes, MoreWaitingThanTheLimitFailsTheCatchUp) {
  ws_resumes r(parsed("sb_resume=%7B%22room%22%3A%222%22%7D"), 100);
  sent_frames out;
  ASSERT_TRUE(r.begin("room"));
  for (int i = 3; i < 20; ++i) r.deliver("room", std::string(10, 'x'), std::to_string(i), out);
  EXPECT_TRUE(out.frames.empty());
  EXPECT_FALSE(r.caught_up("room", "2", out));
}

// The two bus implementations' histories agree with what a catch-up expects: read_history after the
// id a delivery carried gives what came next.
TEST(WsResumes, ALocalBusHistoryResumesWhereADeliveryLeftOff) {
  sb::bus_history_options kept;
  kept.channels = [](std::string_view c) { return c == "room"; };
  sb::local_bus bus(kept);
  for (int i = 1; i <= 4; ++i) bus.publish("room", std::to_string(i), i == 4 ? 7 : 0);
  ws_resumes r(parsed("sb_resume=%7B%22room%22%3A%222%22%7D"), 1 << 20);
  sent_frames out;
  const auto after = r.begin("room");
  ASSERT_TRUE(after);
  r.send_missed("room", bus.read_history("room", *after, 256), true, 7, out);
  ASSERT_TRUE(r.caught_up("room", "4", out));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_NE(out.frames[1].find(R"("id":"3","data":3)"), std::string::npos) << out.frames[1];
}

}  // namespace
