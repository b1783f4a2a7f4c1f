// sb::hub: the config (pinned shape, defaults, validation) and a hub run in-process with shell tools.
#include <switchboard/hub/hub.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace hub_test {

TEST(HubConfig, ReadsThePinnedShape) {
  std::string why;
  const auto config = sb::read_hub_config(R"({
    "core": {"log_file": "/tmp/hub.log", "log_level": "debug"},
    "tools": [
      {"name": "a", "command": "python3", "args": ["a.py", "--x"], "env": {"K": "v"}, "cwd": "/tmp",
       "autostart": false, "restart_on_crash": true, "restart_policy": "on-failure",
       "restart_max_delay_sec": 7, "protocol": "jsonrpc"},
      {"name": "b", "command": "b", "restart_policy": "always"},
      {"name": "c", "command": "c", "restart_on_crash": false, "restart_policy": "always"},
      {"name": "d", "command": "d", "restart_policy": "never"}
    ]})", why);
  ASSERT_TRUE(config) << why;
  EXPECT_EQ(config->core.log_file, "/tmp/hub.log");
  EXPECT_EQ(config->core.log_level, sb::log_level::debug);
  const auto& a = config->tools[0];
  EXPECT_EQ(a.args, (std::vector<std::string>{"a.py", "--x"}));
  EXPECT_EQ(a.env.at("K"), "v");
  EXPECT_EQ(a.cwd, "/tmp");
  EXPECT_FALSE(a.autostart);
  EXPECT_EQ(a.restart_max_delay_sec, 7);
  EXPECT_EQ(a.protocol, sb::tool_protocol::jsonrpc);
  EXPECT_EQ(a.effective_policy(), sb::restart_policy::on_failure);
  EXPECT_EQ(config->tools[1].effective_policy(), sb::restart_policy::always);
  EXPECT_EQ(config->tools[2].effective_policy(), sb::restart_policy::never);
  EXPECT_EQ(config->tools[3].effective_policy(), sb::restart_policy::never);
}

TEST(HubConfig, EverythingButNameAndCommandHasADefault) {
  std::string why;
  const auto config = sb::read_hub_config(R"({"tools":[{"name":"t","command":"cat"}]})", why);
  ASSERT_TRUE(config) << why;
  EXPECT_FALSE(config->core.log_file);
  EXPECT_EQ(config->core.log_level, sb::log_level::info);
  const auto& t = config->tools[0];
  EXPECT_TRUE(t.autostart);
  EXPECT_TRUE(t.args.empty());
  EXPECT_EQ(t.effective_policy(), sb::restart_policy::on_failure);
  EXPECT_EQ(t.restart_max_delay_sec, 5);
  EXPECT_EQ(t.protocol, sb::tool_protocol::events);
  EXPECT_TRUE(sb::read_hub_config("{}", why));
}

TEST(HubConfig, RefusesWhatCannotWork) {
  const auto refused = [](std::string_view text, std::string_view expected) {
    std::string why;
    EXPECT_FALSE(sb::read_hub_config(text, why)) << text;
    EXPECT_NE(why.find(expected), std::string::npos) << why;
  };
  refused(R"({"tools":[{"command":"x"}]})", "\"name\" is required");
  refused(R"({"tools":[{"name":"a b","command":"x"}]})", "\"name\" is required");
  refused(R"({"tools":[{"name":"a"}]})", "\"command\" is required");
  refused(R"({"tools":[{"name":"a","command":"x"},{"name":"a","command":"y"}]})", "used twice");
  refused(R"({"tools":[{"name":"a","command":"x","restart_policy":"sometimes"}]})", "on-failure");
  refused(R"({"tools":[{"name":"a","command":"x","protocol":"grpc"}]})", "$.tools[0].protocol");
  refused(R"({"tools":[{"name":"a","command":"x","restart_max_delay_sec":-1}]})", "negative");
  refused(R"({"tools":)", "hub config");
}

std::string slurp(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(Hub, RoutesBetweenShellToolsAndStops) {
  char dir_template[] = "/tmp/sb_hub_test_XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string got = dir + "/got.txt";
  std::string why;
  auto config = sb::read_hub_config(R"({"core":{"log_file":")" + dir + R"(/hub.log","shutdown_grace_sec":0.2},
    "tools":[
      {"name":"listener","command":"/bin/sh","args":["-c",
        "echo 'SUBSCRIBE|listener|NEWS'; echo 'TOOL_READY|listener|listens'; read line; echo \"$line\" > )" + got +
                                        R"(; echo 'to the log' >&2; cat >/dev/null"]},
      {"name":"talker","command":"/bin/sh","args":["-c",
        "sleep 0.3; echo 'NEWS|whoever|a|b'; echo 'TOOL_READY|talker|talks'; cat >/dev/null"]},
      {"name":"idle","command":"/bin/sh","args":["-c","exit 0"],"autostart":false}
    ]})",
                                     why);
  ASSERT_TRUE(config) << why;
  sb::hub hub(std::move(*config));
  std::thread runner([&] { EXPECT_EQ(hub.run(), 0); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (slurp(got).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // The sender field is the hub's name for the tool, whatever the tool wrote.
  EXPECT_EQ(slurp(got), "NEWS|talker|a|b\n");
  const auto status = hub.status();
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[0].state, sb::tool_state::running);
  EXPECT_EQ(status[0].subscriptions, std::vector<std::string>{"NEWS"});
  EXPECT_EQ(status[0].delivered, 1u);
  EXPECT_EQ(status[2].state, sb::tool_state::stopped);
  hub.stop();
  runner.join();
  const std::string log = slurp(dir + "/hub.log");
  EXPECT_NE(log.find("[listener] to the log"), std::string::npos) << log;
  EXPECT_NE(log.find("[talker] ready: talks"), std::string::npos) << log;
  EXPECT_NE(log.find("hub: all tools stopped"), std::string::npos) << log;
  std::remove(got.c_str());
  std::remove((dir + "/hub.log").c_str());
  ::rmdir(dir.c_str());
}

}  // namespace hub_test
