#pragma once
// A real redis-server for a test: started on a free port, without persistence, stopped (and
// restarted on the same port) when the test says. Waits are for conditions, with deadlines.

#include <hiredis/hiredis.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace sb::test {

// Polls `done` every 5 ms until it holds or `limit` passes; returns whether it held.
template <class Condition>
bool wait_until(Condition done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class redis_server {
 public:
  redis_server() : port_(free_port()) { start(); }
  ~redis_server() { stop(); }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      if (const int quiet = open("/dev/null", O_WRONLY); quiet >= 0) dup2(quiet, STDOUT_FILENO);  // its banner
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);  // not installed: tools/install-deps --test installs it
    }
    if (!wait_until([&] { return answers(); }))
      throw std::runtime_error("redis-server did not answer on port " + port + " within 20 s (is it installed?)");
  }

  // Like a crash: no goodbye to the clients.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Runs one command on a connection of its own (to publish as a foreign client would).
  std::string command(const char* format, const std::string& a, const std::string& b) const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    if (!c || c->err) {
      if (c) redisFree(c);
      return "connection failed";
    }
    auto* reply = static_cast<redisReply*>(redisCommand(c, format, a.c_str(), b.c_str()));
    std::string text = reply ? text_of(*reply) : "no reply";
    if (reply) freeReplyObject(reply);
    redisFree(c);
    return text;
  }

 private:
  // Integers in decimal, arrays joined by commas.
  static std::string text_of(const redisReply& reply) {
    if (reply.type == REDIS_REPLY_INTEGER) return std::to_string(reply.integer);
    if (reply.type == REDIS_REPLY_ARRAY) {
      std::string joined;
      for (std::size_t i = 0; i < reply.elements; ++i) joined += (i ? "," : "") + text_of(*reply.element[i]);
      return joined;
    }
    return reply.str ? std::string(reply.str, reply.len) : "";
  }

  bool answers() const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    bool pong = false;
    if (c && !c->err) {
      auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
      pong = reply && reply->type == REDIS_REPLY_STATUS;
      if (reply) freeReplyObject(reply);
    }
    if (c) redisFree(c);
    return pong;
  }

  // Below the ephemeral range: while the server is down, a client reconnecting to an ephemeral port
  // could be given that very port as its own and connect to itself.
  static int free_port() {
    std::random_device entropy;
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int port = 20000 + static_cast<int>(entropy() % 12000);
      const int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      const bool free = bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      close(s);
      if (free) return port;
    }
    throw std::runtime_error("no free port below 32000");
  }

  int port_;
  pid_t pid_ = -1;
};

}  // namespace sb::test
