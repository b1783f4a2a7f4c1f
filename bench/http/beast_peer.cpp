// A bare Boost.Beast HTTP/1.1 server doing the showcase's benchmarked work, as a peer for run.sh:
//   GET  /api/tools/add?a=2&b=3          -> 5.0 (application/json)
//   POST /api/tools/add  body [2,3]       -> 5.0
//   GET  /<file>                          -> the file from --static DIR, read per request
// Keep-alive and pipelining (requests left in the read buffer are parsed before the next read).
//   bench_http_beast [--port 8080] [--threads 2] [--static DIR]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string static_dir;

std::optional<double> to_double(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) return pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// [a, b] -> a and b; anything else -> nullopt.
std::optional<std::pair<double, double>> parse_pair(std::string_view body) {
  const auto open = body.find('['), close = body.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  const auto inner = body.substr(open + 1, close - open - 1);
  const auto comma = inner.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto a = to_double(inner.substr(0, comma)), b = to_double(inner.substr(comma + 1));
  if (!a || !b) return std::nullopt;
  return std::pair{*a, *b};
}

std::string json_number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, end);
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";  // 5 -> 5.0, as the showcase answers
  return out;
}

std::string_view mime(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html";
  if (ends(".js")) return "text/javascript";
  if (ends(".css")) return "text/css";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

response handle(const request& req) {
  response res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  const std::string_view target{req.target().data(), req.target().size()};
  const auto qmark = target.find('?');
  const auto path = target.substr(0, qmark);
  auto answer = [&](http::status status, std::string body, std::string_view type) {
    res.result(status);
    res.set(http::field::content_type, type);
    res.body() = std::move(body);
    res.prepare_payload();
  };
  if (path == "/api/tools/add") {
    if (req.method() == http::verb::get) {
      const auto query = qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
      const auto a = query_value(query, "a"), b = query_value(query, "b");
      const auto x = a ? to_double(*a) : std::nullopt, y = b ? to_double(*b) : std::nullopt;
      if (x && y) answer(http::status::ok, json_number(*x + *y), "application/json");
      else answer(http::status::bad_request, R"({"error":"bad arguments"})", "application/json");
    } else if (req.method() == http::verb::post) {
      if (const auto p = parse_pair(req.body())) answer(http::status::ok, json_number(p->first + p->second), "application/json");
      else answer(http::status::bad_request, R"({"error":"bad arguments"})", "application/json");
    } else {
      answer(http::status::method_not_allowed, "", "text/plain");
    }
    return res;
  }
  if (req.method() == http::verb::get && !static_dir.empty() && path.find("..") == std::string_view::npos) {
    std::string file = static_dir + std::string(path == "/" ? "/index.html" : path);
    std::ifstream in(file, std::ios::binary);
    if (in) {
      std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      answer(http::status::ok, std::move(body), mime(file));
      return res;
    }
  }
  answer(http::status::not_found, "not found", "text/plain");
  return res;
}

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket socket) : stream_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    req_ = {};
    http::async_read(stream_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->res_ = handle(self->req_);
      http::async_write(self->stream_, self->res_, [self](beast::error_code ec, std::size_t) {
        if (ec || !self->res_.keep_alive()) return self->close();
        self->read();
      });
    });
  }
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  request req_;
  response res_;
};

void accept(tcp::acceptor& acceptor, asio::io_context& io) {
  acceptor.async_accept(asio::make_strand(io), [&](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(socket))->start();
    }
    accept(acceptor, io);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) port = static_cast<unsigned short>(std::atoi(argv[++i]));
    else if (arg == "--host" && has_value) host = argv[++i];
    else if (arg == "--threads" && has_value) threads = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--static" && has_value) static_dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N] [--static DIR]\n", argv[0]);
      return 2;
    }
  }
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, {asio::ip::make_address(host), port}, /*reuse_address=*/true);
  accept(acceptor, io);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
}
