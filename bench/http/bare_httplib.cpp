// The peer: cpp-httplib doing tools.add by hand, as a user without switchboard would write it.
//   bare_httplib --port P [--threads N]     (cpp-httplib's default is 8 worker threads)
#include <httplib.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  int port = 8090;
  std::size_t threads = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
  }
  httplib::Server server;
  server.set_tcp_nodelay(true);          // as switchboard does; without it keep-alive is Nagle-bound
  server.set_keep_alive_max_count(100000);  // likewise: the default closes connections after 5 requests
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.Get("/api/tools/add", [](const httplib::Request& req, httplib::Response& res) {
    double a = 0, b = 0;
    const std::string sa = req.get_param_value("a"), sb = req.get_param_value("b");
    if (std::from_chars(sa.data(), sa.data() + sa.size(), a).ec != std::errc{} ||
        std::from_chars(sb.data(), sb.data() + sb.size(), b).ec != std::errc{}) {
      res.status = 400;
      res.set_content(R"({"error":"a and b must be numbers"})", "application/json");
      return;
    }
    char out[32];
    const auto end = std::to_chars(out, out + sizeof out, a + b).ptr;
    res.set_content(std::string(out, end), "application/json");
  });
  server.listen("127.0.0.1", port);
}
