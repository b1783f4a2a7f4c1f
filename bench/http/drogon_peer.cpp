// A Drogon server doing the showcase's benchmarked work, as an optional peer for run.sh. Drogon is not
// packaged for Debian 12: drogon_chroot.sh builds this inside a Debian 13 chroot (libdrogon-dev).
//   GET  /api/tools/add?a=2&b=3   -> 5.0 (application/json)
//   POST /api/tools/add  [2,3]    -> 5.0
//   GET  /<file>                  -> from --static DIR (Drogon's static file handler)
//   drogon_peer [--host 127.0.0.1] [--port 8080] [--threads 2] [--static DIR]
#include <drogon/drogon.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

std::optional<double> to_double(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string json_number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, end);
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", static_dir;
  int port = 8080, threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) port = std::atoi(argv[++i]);
    else if (arg == "--host" && has_value) host = argv[++i];
    else if (arg == "--threads" && has_value) threads = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--static" && has_value) static_dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N] [--static DIR]\n", argv[0]);
      return 2;
    }
  }
  using namespace drogon;
  app().registerHandler(
      "/api/tools/add",
      [](const HttpRequestPtr& req, std::function<void(const HttpResponsePtr&)>&& callback) {
        std::optional<double> a, b;
        if (req->method() == Get) {
          a = to_double(req->getParameter("a"));
          b = to_double(req->getParameter("b"));
        } else {
          const std::string_view body = req->body();
          const auto open = body.find('['), comma = body.find(','), close = body.rfind(']');
          if (open != std::string_view::npos && comma != std::string_view::npos && close != std::string_view::npos &&
              open < comma && comma < close) {
            a = to_double(body.substr(open + 1, comma - open - 1));
            b = to_double(body.substr(comma + 1, close - comma - 1));
          }
        }
        auto res = HttpResponse::newHttpResponse();
        res->setContentTypeCode(CT_APPLICATION_JSON);
        if (a && b) {
          res->setBody(json_number(*a + *b));
        } else {
          res->setStatusCode(k400BadRequest);
          res->setBody(R"({"error":"bad arguments"})");
        }
        callback(res);
      },
      {Get, Post});
  if (!static_dir.empty()) app().setDocumentRoot(static_dir);
  app().setLogLevel(trantor::Logger::kWarn).addListener(host, static_cast<uint16_t>(port)).setThreadNum(
      static_cast<size_t>(threads));
  app().run();
}
