#pragma once
// sb::http: every module's endpoints at /api/<module>/<endpoint> on cpp-httplib, plus
// GET /api/_describe. The only core-facing header that includes httplib.

#include <switchboard/app.hpp>
#include <switchboard/bind.hpp>
#include <switchboard/context.hpp>
#include <switchboard/serve.hpp>

#include <httplib.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sb {

struct http {
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0: pick a free port (see on_listening)
  std::size_t threads = 8;
  std::size_t max_body_bytes = 1 << 20; // larger bodies get 413
  int read_timeout_s = 5;
  int write_timeout_s = 5;
  int keep_alive_timeout_s = 5;
  std::function<void(int port)> on_listening;  // called once the socket is bound

  template <class App>
  void run(App& app, shutdown& stop) const;
};

namespace detail {

inline void send_error(httplib::Response& res, error_kind kind, std::string message, std::string where = {}) {
  response r;
  r.fail(kind, std::move(message), std::move(where));
  std::string body;
  r.write_error_body(body);
  res.status = http_status(kind);
  res.set_content(body, "application/json");
}

inline void send_response(httplib::Response& res, response& r) {
  if (!r.ok()) {
    std::string body;
    r.write_error_body(body);
    res.status = http_status(r.error);
    res.set_content(body, "application/json");
    return;
  }
  res.status = 200;
  switch (r.form) {
    case body_form::json: res.set_content(r.body, "application/json"); break;
    case body_form::redirect:
      res.status = r.redirect_status;
      res.set_header("Location", r.body);
      break;
    case body_form::binary:
      if (!r.filename.empty()) res.set_header("Content-Disposition", "attachment; filename=\"" + r.filename + "\"");
      res.set_content(r.body, r.content_type.c_str());
      break;
    default: res.set_content(r.body, r.content_type.c_str()); break;
  }
}

inline methods method_of(std::string_view verb) {
  if (verb == "GET" || verb == "HEAD") return get;
  if (verb == "POST") return post;
  if (verb == "PUT") return put;
  if (verb == "PATCH") return patch;
  if (verb == "DELETE") return del;
  return {};
}

inline std::string allow_header(methods allowed) {
  std::string text;
  for (auto [m, name] : {std::pair{get, "GET"}, {post, "POST"}, {put, "PUT"}, {patch, "PATCH"}, {del, "DELETE"}}) {
    if (!allowed.allows(m)) continue;
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

template <class App>
void handle_api(App& app, const httplib::Request& req, httplib::Response& res) {
  const std::string& module = req.matches[1];
  const std::string& endpoint = req.matches[2];
  const std::size_t index = App::find(module, endpoint);
  if (index == App::npos || App::table[index].internal)
    return send_error(res, error_kind::not_found, "no endpoint named \"" + module + "." + endpoint + "\"");
  const auto& entry = App::table[index];
  if (!entry.allowed.allows(method_of(req.method))) {
    res.set_header("Allow", allow_header(entry.allowed));
    return send_error(res, error_kind::method_not_allowed,
                      req.method + " is not allowed for " + module + "." + endpoint);
  }
  thread_local query_fields query;
  thread_local query_fields form;
  thread_local std::vector<header> headers;
  std::string_view path = req.path;
  const std::size_t question = req.target.find('?');
  const std::string_view query_string =
      question == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(question + 1);
  if (!query.parse(query_string)) return send_error(res, error_kind::invalid_argument, query.error(), "query");
  headers.clear();
  for (const auto& [name, value] : req.headers) headers.push_back({name, value});
  request info{req.method, path, query_string, req.body, req.remote_addr, req.remote_port, headers, query.fields(),
               {}, {}};
  context ctx;
  ctx.from = origin::http;
  ctx.http = &info;
  ctx.bus = &app;
  thread_local response result;
  const std::string content_type = req.get_header_value("Content-Type");
  const std::string_view media = std::string_view(content_type).substr(0, content_type.find(';'));
  call_input input{{}, query.fields(), true};
  if (!req.body.empty()) {
    if (media == "application/json" || media.empty()) {
      if (!query.fields().empty())
        return send_error(res, error_kind::invalid_argument,
                          "send parameters either in the query string or in the body, not both", "query");
      input = {req.body, {}, false};
    } else if (media == "application/x-www-form-urlencoded") {
      if (!form.parse(req.body)) return send_error(res, error_kind::invalid_argument, form.error(), "body");
      info.form = form.fields();
      input = {{}, form.fields(), true};
    } else {
      return send_error(res, error_kind::unsupported_media_type,
                        "unsupported Content-Type \"" + std::string(media) +
                            "\": send application/json or application/x-www-form-urlencoded");
    }
  }
  app.call_at(index, input, result, ctx);
  send_response(res, result);
  app.run_tasks(result);
}

}  // namespace detail

template <class App>
void http::run(App& app, shutdown& stop) const {
  httplib::Server server;
  server.set_tcp_nodelay(true);  // without it keep-alive throughput collapses (Nagle + delayed ACK)
  const std::size_t workers = threads;
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_payload_max_length(max_body_bytes);
  server.set_read_timeout(read_timeout_s, 0);
  server.set_write_timeout(write_timeout_s, 0);
  server.set_keep_alive_timeout(keep_alive_timeout_s);
  server.Get("/api/_describe", [&app](const httplib::Request&, httplib::Response& res) {
    res.set_content(app.describe(), "application/json");
  });
  const auto api = [&app](const httplib::Request& req, httplib::Response& res) { detail::handle_api(app, req, res); };
  const char* pattern = R"(/api/([^/]+)/([^/]+))";
  server.Get(pattern, api);
  server.Post(pattern, api);
  server.Put(pattern, api);
  server.Patch(pattern, api);
  server.Delete(pattern, api);
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const auto kind = res.status == 413 ? error_kind::payload_too_large
                      : res.status == 404 ? error_kind::not_found
                      : res.status >= 500 ? error_kind::internal
                                          : error_kind::invalid_argument;
    const int status = res.status;
    detail::send_error(res, kind, status == 404 ? "no route for " + req.path : "request failed");
    res.status = status;
  });
  stop.on_request([&server] { server.stop(); });
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    log().write(log_level::error, "http: cannot listen on " + host + ":" + std::to_string(port));
    return;
  }
  log().write(log_level::info, "http: listening on http://" + host + ":" + std::to_string(bound));
  if (on_listening) on_listening(bound);
  if (!stop.requested()) server.listen_after_bind();
}

}  // namespace sb
