// WebSocket++ 0.8.2's side of run.sh (Debian's libwebsocketpp-dev; C++17, Boost.Asio, no TLS): the
// library's echo server, run by N threads on one io_service (its asio config is thread-safe).
//   /room   every connection joins one room; what one sends goes to all
//   other   echo, with the same opcode
//   bench_ws_wspp [--host 127.0.0.1] [--port 9003] [--threads 2]
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using server = websocketpp::server<websocketpp::config::asio>;
using websocketpp::connection_hdl;

class bench_server {
 public:
  bench_server(const std::string& host, unsigned short port, int threads) : threads_(threads) {
    endpoint_.clear_access_channels(websocketpp::log::alevel::all);
    endpoint_.clear_error_channels(websocketpp::log::elevel::all);
    endpoint_.init_asio();
    endpoint_.set_reuse_addr(true);
    endpoint_.set_max_message_size(std::size_t{16} << 20);
    endpoint_.set_listen_backlog(4096);
    endpoint_.set_open_handler([this](connection_hdl h) { opened(h); });
    endpoint_.set_close_handler([this](connection_hdl h) { closed(h); });
    endpoint_.set_message_handler([this](connection_hdl h, server::message_ptr m) { message(h, m); });
    endpoint_.set_tcp_post_init_handler([this](connection_hdl h) {
      boost::system::error_code ec;
      endpoint_.get_con_from_hdl(h)->get_raw_socket().set_option(boost::asio::ip::tcp::no_delay(true), ec);
    });
    endpoint_.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host), port));
    endpoint_.start_accept();
  }

  void run() {
    std::vector<std::thread> pool;
    for (int i = 1; i < threads_; ++i) pool.emplace_back([this] { endpoint_.run(); });
    endpoint_.run();
  }

 private:
  void opened(connection_hdl h) {
    if (endpoint_.get_con_from_hdl(h)->get_resource() != "/room") return;
    std::lock_guard lock(mutex_);
    room_.emplace(h, h);
  }
  void closed(connection_hdl h) {
    std::lock_guard lock(mutex_);
    room_.erase(h);
  }
  void message(connection_hdl h, const server::message_ptr& m) {
    websocketpp::lib::error_code ec;
    bool in_room = false;
    {
      std::lock_guard lock(mutex_);
      in_room = room_.count(h) != 0;
    }
    if (!in_room) {
      endpoint_.send(h, m->get_payload(), m->get_opcode(), ec);
      return;
    }
    std::vector<connection_hdl> targets;
    {
      std::lock_guard lock(mutex_);
      targets.reserve(room_.size());
      for (auto& entry : room_) targets.push_back(entry.second);
    }
    for (auto& t : targets) endpoint_.send(t, m->get_payload(), m->get_opcode(), ec);
  }

  server endpoint_;
  int threads_;
  std::mutex mutex_;
  std::map<connection_hdl, connection_hdl, std::owner_less<connection_hdl>> room_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 9003;
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
  bench_server s(host, port, threads);
  s.run();
}
