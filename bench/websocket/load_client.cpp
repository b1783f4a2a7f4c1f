// The WebSocket load client of run.sh: one thread, epoll, nonblocking sockets, so that the client costs
// every server the same little CPU. Messages are masked text frames of `--size` bytes (a JSON string:
// valid UTF-8 that any server must validate); the mask is fixed, which the servers cannot tell.
//   echo    --conns C --inflight K --size N --seconds S   C connections, K messages in flight on each;
//           prints round trips/s, p50/p99 round-trip latency (µs) and the messages echoed
//   fanout  --conns C --size N --rounds R                 C connections to a room; one of them sends
//           and the server broadcasts to all; prints, per round, the µs until the last one received
// Common: --host 127.0.0.1 --port P --path /
// The output is one line of JSON, for run.sh.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string mode = "echo";
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  int conns = 1;
  int inflight = 1;
  std::size_t size = 64;
  double seconds = 3;
  int rounds = 5;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "load_client: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// The payload "aaa…" in quotes, framed and masked once: every message of a run is these bytes.
std::string masked_text_frame(std::size_t size) {
  std::string payload(size, 'a');
  if (size >= 2) payload.front() = payload.back() = '"';
  std::string frame;
  frame += static_cast<char>(0x81);
  if (size < 126) {
    frame += static_cast<char>(0x80 | size);
  } else if (size <= 0xffff) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(size >> 8);
    frame += static_cast<char>(size & 0xff);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((size >> shift) & 0xff);
  }
  const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < size; ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

struct connection {
  int fd = -1;
  bool open = false;            // the 101 came
  std::string in;               // bytes read and not yet consumed
  std::string out;              // bytes the socket did not take yet
  std::deque<clock_type::time_point> sent;  // send times of the messages in flight, in order
  std::size_t received = 0;
  std::size_t message_bytes = 0;  // of the message whose fragments are arriving
};

class client {
 public:
  explicit client(const options& o) : o_(o), frame_(masked_text_frame(o.size)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
  }

  // Connects every connection and completes the handshakes, many at a time.
  void connect_all() {
    conns_.resize(static_cast<std::size_t>(o_.conns));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    const std::string request = "GET " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    constexpr std::size_t wave = 256;  // handshakes in progress at once: a listen backlog's worth
    std::size_t opened = 0;
    for (std::size_t first = 0; first < conns_.size(); first += wave) {
      const std::size_t last = std::min(conns_.size(), first + wave);
      for (std::size_t i = first; i < last; ++i) {
        auto& c = conns_[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c.fd < 0) die("socket");
        if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        write_all(c.fd, request);
      }
      for (std::size_t i = first; i < last; ++i) read_handshake(conns_[i]);
      opened = last;
    }
    for (std::size_t i = 0; i < opened; ++i) {
      auto& c = conns_[i];
      if (::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL, 0) | O_NONBLOCK) != 0) die("nonblocking");
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) die("epoll_ctl");
    }
  }

  void run_echo() {
    for (auto& c : conns_)
      for (int k = 0; k < o_.inflight; ++k) send_message(c);
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o_.seconds));
    latencies_.reserve(1 << 20);
    std::size_t done = 0;
    bool sending = true;
    std::size_t in_flight = conns_.size() * static_cast<std::size_t>(o_.inflight);
    while (in_flight > 0) {
      poll_once([&](connection& c) {
        const auto now = clock_type::now();
        latencies_.push_back(std::chrono::duration<double, std::micro>(now - c.sent.front()).count());
        c.sent.pop_front();
        ++done;
        if (sending && now < end) send_message(c);
        else --in_flight;
      });
      if (sending && clock_type::now() >= end) sending = false;
    }
    const double took = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(latencies_.begin(), latencies_.end());
    std::printf("{\"round_trips_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"messages\":%zu}\n", done / took,
                percentile(0.50), percentile(0.99), done);
  }

  // Every connection but the first only listens; the first sends, and the round ends when every
  // connection (the sender too) has its copy.
  void run_fanout() {
    std::vector<double> rounds;
    auto& sender = conns_.front();
    for (int r = 0; r < o_.rounds; ++r) {
      std::size_t waiting = conns_.size();
      const auto start = clock_type::now();
      send_message(sender);
      while (waiting > 0) poll_once([&](connection& c) { c.sent.clear(), --waiting; });
      rounds.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
    }
    std::printf("{\"connections\":%zu,\"rounds_us\":[", conns_.size());
    for (std::size_t i = 0; i < rounds.size(); ++i) std::printf("%s%.0f", i ? "," : "", rounds[i]);
    std::sort(rounds.begin(), rounds.end());
    std::printf("],\"median_us\":%.0f}\n", rounds[rounds.size() / 2]);
  }

 private:
  static void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("send");
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  static void read_handshake(connection& c) {
    char buf[4096];
    while (c.in.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) die("the handshake's answer");
      c.in.append(buf, static_cast<std::size_t>(n));
    }
    if (!c.in.starts_with("HTTP/1.1 101")) {
      std::fprintf(stderr, "load_client: handshake refused: %.200s\n", c.in.c_str());
      std::exit(1);
    }
    c.in.erase(0, c.in.find("\r\n\r\n") + 4);
    c.open = true;
  }

  void send_message(connection& c) {
    c.sent.push_back(clock_type::now());
    if (!c.out.empty()) {
      c.out += frame_;
      return;
    }
    std::string_view rest = frame_;
    while (!rest.empty()) {
      const ssize_t n = ::send(c.fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) die("send");
        break;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (!rest.empty()) {
      c.out.assign(rest);
      want_output(c, true);
    }
  }

  void want_output(connection& c, bool on) {
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    if (epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev) != 0) die("epoll_ctl");
  }

  void flush(connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        die("send");
      }
      c.out.erase(0, static_cast<std::size_t>(n));
    }
    want_output(c, false);
  }

  // Reads what is ready; calls on_message(connection&) for each whole server frame.
  template <class OnMessage>
  void poll_once(OnMessage&& on_message) {
    epoll_event events[256];
    const int ready = epoll_wait(epoll_, events, 256, 10000);
    if (ready < 0) {
      if (errno == EINTR) return;
      die("epoll_wait");
    }
    if (ready == 0) {
      std::fprintf(stderr, "load_client: no answer for 10 s\n");
      std::exit(1);
    }
    for (int e = 0; e < ready; ++e) {
      auto& c = conns_[events[e].data.u64];
      if (events[e].events & EPOLLOUT) flush(c);
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      // Into one scratch buffer, then appended: a connection's own buffer only holds a partial frame.
      const ssize_t n = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
      if (n <= 0) {
        if (n < 0 && errno == EAGAIN) continue;
        std::fprintf(stderr, "load_client: the server closed a connection\n");
        std::exit(1);
      }
      c.in.append(scratch_.data(), static_cast<std::size_t>(n));
      consume_frames(c, on_message);
    }
  }

  template <class OnMessage>
  void consume_frames(connection& c, OnMessage& on_message) {
    std::size_t at = 0;
    for (;;) {
      const std::size_t avail = c.in.size() - at;
      if (avail < 2) break;
      const auto* p = reinterpret_cast<const unsigned char*>(c.in.data() + at);
      std::size_t header = 2, length = p[1] & 0x7f;
      if (length == 126) {
        header = 4;
        if (avail < header) break;
        length = (std::size_t{p[2]} << 8) | p[3];
      } else if (length == 127) {
        header = 10;
        if (avail < header) break;
        length = 0;
        for (int i = 2; i < 10; ++i) length = (length << 8) | p[i];
      }
      if (avail < header + length) break;
      const unsigned opcode = p[0] & 0x0f;
      if (opcode == 0x8) {
        std::fprintf(stderr, "load_client: the server sent a close frame\n");
        std::exit(1);
      }
      // Pings (0x9) are answered by nobody: runs are shorter than any server's ping interval. A server
      // may fragment what it sends (Beast does past 4 KiB): a message is done at its FIN frame.
      if (opcode <= 0x2) {
        c.message_bytes += length;
        if (p[0] & 0x80) {
          if (c.message_bytes != o_.size) {
            std::fprintf(stderr, "load_client: an answer of %zu bytes to a message of %zu\n", c.message_bytes, o_.size);
            std::exit(1);
          }
          c.message_bytes = 0;
          ++c.received;
          on_message(c);
        }
      }
      at += header + length;
    }
    c.in.erase(0, at);
  }

  double percentile(double q) const {
    if (latencies_.empty()) return 0;
    return latencies_[std::min(latencies_.size() - 1, static_cast<std::size_t>(q * latencies_.size()))];
  }

  options o_;
  std::vector<char> scratch_ = std::vector<char>(256 * 1024);
  std::string frame_;
  int epoll_ = -1;
  std::vector<connection> conns_;
  std::vector<double> latencies_;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "load_client: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (i == 1 && (arg == "echo" || arg == "fanout")) o.mode = arg;
    else if (arg == "--host") o.host = value();
    else if (arg == "--port") o.port = std::atoi(value().c_str());
    else if (arg == "--path") o.path = value();
    else if (arg == "--conns") o.conns = std::atoi(value().c_str());
    else if (arg == "--inflight") o.inflight = std::atoi(value().c_str());
    else if (arg == "--size") o.size = static_cast<std::size_t>(std::atoll(value().c_str()));
    else if (arg == "--seconds") o.seconds = std::atof(value().c_str());
    else if (arg == "--rounds") o.rounds = std::atoi(value().c_str());
    else {
      std::fprintf(stderr, "usage: load_client echo|fanout --port P [--path /] [--conns C] [--inflight K] "
                           "[--size N] [--seconds S] [--rounds R]\n");
      return 2;
    }
  }
  if (o.port <= 0 || o.conns <= 0 || o.inflight <= 0 || o.rounds <= 0) {
    std::fprintf(stderr, "load_client: --port, --conns, --inflight and --rounds must be positive\n");
    return 2;
  }
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, o.conns + 64));
  setrlimit(RLIMIT_NOFILE, &files);
  client c(o);
  c.connect_all();
  if (o.mode == "echo") c.run_echo();
  else c.run_fanout();
}
