// Boost.Beast's side of run.sh, the way Beast's own examples are written: a strand per connection,
// one io_context run by N threads.
//   /room   every connection joins one room; what one sends goes to all (a queue of shared buffers per
//           connection, so a broadcast copies the message once)
//   other   echo: read a message, write it back with the same text/binary flag, read the next
//   bench_ws_beast [--host 127.0.0.1] [--port 9002] [--threads 2]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

class session;

class room {
 public:
  void join(const std::shared_ptr<session>& s) {
    std::lock_guard lock(mutex_);
    members_.emplace(s.get(), s);
  }
  void leave(session* s) {
    std::lock_guard lock(mutex_);
    members_.erase(s);
  }
  void send_all(const std::shared_ptr<const std::string>& message);

 private:
  std::mutex mutex_;
  // Weak: a session leaves in its destructor, while a broadcast may be looking at it.
  std::unordered_map<session*, std::weak_ptr<session>> members_;
};

room the_room;

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket&& socket) : ws_(std::move(socket)) {}
  ~session() {
    if (in_room_) the_room.leave(this);
  }

  void start() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

  // From any thread: queued on this connection's strand.
  void deliver(std::shared_ptr<const std::string> message) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), message = std::move(message)] {
      self->queue_.push_back(message);
      if (self->queue_.size() == 1) self->write_next();
    });
  }

 private:
  void read_request() {
    http::async_read(ws_.next_layer(), buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->accept();
                     });
  }

  void accept() {
    in_room_ = request_.target() == "/room";
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(std::size_t{16} << 20);
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      if (self->in_room_) the_room.join(self);
      self->read();
    });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (self->in_room_) {
        auto message = std::make_shared<const std::string>(beast::buffers_to_string(self->buffer_.data()));
        self->buffer_.consume(self->buffer_.size());
        the_room.send_all(message);
        self->read();
      } else {
        self->ws_.text(self->ws_.got_text());
        self->ws_.async_write(self->buffer_.data(), [self](beast::error_code wec, std::size_t) {
          if (wec) return;
          self->buffer_.consume(self->buffer_.size());
          self->read();
        });
      }
    });
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write_next();
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool in_room_ = false;
};

void room::send_all(const std::shared_ptr<const std::string>& message) {
  std::vector<std::shared_ptr<session>> targets;  // delivered unlocked: a last reference may leave the room
  {
    std::lock_guard lock(mutex_);
    targets.reserve(members_.size());
    for (auto& entry : members_)
      if (auto s = entry.second.lock()) targets.push_back(std::move(s));
  }
  for (auto& s : targets) s->deliver(message);
}

void accept_loop(tcp::acceptor& acceptor, asio::io_context& io) {
  acceptor.async_accept(asio::make_strand(io), [&acceptor, &io](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(socket))->start();
    }
    accept_loop(acceptor, io);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 9002;
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) port = static_cast<unsigned short>(std::atoi(argv[++i]));
    else if (arg == "--host" && i + 1 < argc) host = argv[++i];
    else if (arg == "--threads" && i + 1 < argc) threads = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, {asio::ip::make_address(host), port});
  accept_loop(acceptor, io);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
}
