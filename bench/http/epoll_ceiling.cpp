// The machine's ceiling for run.sh: a minimal epoll responder that parses nothing. Each thread has its
// own SO_REUSEPORT listener and level-triggered epoll; every request head in the read buffer (counted by
// "\r\n\r\n", so pipelined requests each get one) is answered with a fixed 200 "5.0".
//   bench_http_epoll [--host 127.0.0.1] [--port 8080] [--threads 2]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr std::string_view answer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n5.0";
constexpr std::string_view head_end = "\r\n\r\n";

struct connection {
  int fd;
  std::string tail;     // the end of the last read that may begin a head ("\r", "\r\n", "\r\n\r")
  std::string pending;  // answers the socket did not take yet
  bool want_out = false;
};

int listener(const char* host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void drop(int ep, connection* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  delete c;
}

// Writes what is pending; false when the connection failed.
bool flush(int ep, connection* c) {
  while (!c->pending.empty()) {
    const ssize_t n = send(c->fd, c->pending.data(), c->pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c->pending.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return false;
    }
  }
  const bool want = !c->pending.empty();
  if (want != c->want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
  }
  return true;
}

// Reads what is there and answers each complete head; false when the peer closed or failed.
bool on_readable(int ep, connection* c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    // Count heads across the boundary with the previous read: scan tail + new bytes.
    std::string_view data(buf, static_cast<std::size_t>(n));
    std::size_t heads = 0;
    if (!c->tail.empty()) {
      std::string joined = c->tail;
      joined.append(data.substr(0, std::min<std::size_t>(data.size(), 3)));
      const auto at = joined.find(head_end);
      if (at != std::string::npos) {
        ++heads;
        data.remove_prefix(at + head_end.size() - c->tail.size());
      }
    }
    for (std::size_t at; (at = data.find(head_end)) != std::string_view::npos;) {
      ++heads;
      data.remove_prefix(at + head_end.size());
    }
    // Keep up to three trailing bytes that could begin a head end.
    std::size_t keep = 0;
    for (std::size_t k = std::min<std::size_t>(3, data.size()); k > 0; --k)
      if (head_end.substr(0, k) == data.substr(data.size() - k)) {
        keep = k;
        break;
      }
    c->tail.assign(data.substr(data.size() - keep));
    for (std::size_t i = 0; i < heads; ++i) c->pending.append(answer);
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
  return flush(ep, c);
}

void serve(const char* host, int port) {
  const int lfd = listener(host, port);
  if (lfd < 0) {
    std::perror("listen");
    std::exit(1);
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;  // the listener
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  std::vector<epoll_event> events(1024);
  for (;;) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<connection*>(events[i].data.ptr);
      if (c == nullptr) {
        for (;;) {
          const int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto* nc = new connection{fd, {}, {}};
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = nc;
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      bool ok = true;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) ok = false;
      if (ok && (events[i].events & EPOLLOUT)) ok = flush(ep, c);
      if (ok && (events[i].events & EPOLLIN)) ok = on_readable(ep, c);
      if (!ok) drop(ep, c);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8080, threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) port = std::atoi(argv[++i]);
    else if (arg == "--host" && has_value) host = argv[++i];
    else if (arg == "--threads" && has_value) threads = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(serve, host.c_str(), port);
  serve(host.c_str(), port);
}
