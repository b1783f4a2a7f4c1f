#pragma once
// The HTTP API: everything switchboard means by HTTP, apart from sockets. A server reads a request
// (head and complete body) into an http_input, and this layer answers it in an http_output:
//   /api/<module>/<endpoint>   query string, JSON body (array or object), urlencoded or multipart form
//   /sse/<module>/<endpoint>   the endpoint's stream as server-sent events
//   /api/_describe             modules, endpoints, methods and JSON Schemas
//   /api/_openapi.json         the same as OpenAPI 3.1; /api/_types.d.ts: as TypeScript declarations
//   /api/_health               {"status":"ok"|"degraded","bus":{...}[,"sessions":{...}]}: whether the
//                              bus reaches the other instances and a shared session store answers
//                              (always 200: this instance still serves)
//   /mcp                       MCP over Streamable HTTP (protocol/mcp.hpp; options.mcp_path, "" for none)
//   /_sb/switchboard.js        the browser client (/_sb/switchboard.d.ts: its declarations; /_sb/explorer:
//                              a page that calls every endpoint from forms built from their schemas)
//   everything else            static files, when a directory is configured
// with CORS and preflight, sessions and the authenticate hook, error bodies and statuses. Both
// servers (the Asio one and the cpp-httplib policy) are adapters over it, so they answer alike.
// The options type is duck-typed: any struct with the fields sb::server and sb::http share.

#include <switchboard/app.hpp>
#include <switchboard/bind.hpp>
#include <switchboard/context.hpp>
#include <switchboard/http/client_files.hpp>
#include <switchboard/http/file_cache.hpp>
#include <switchboard/http/multipart.hpp>
#include <switchboard/http/request_parser.hpp>
#include <switchboard/http/static_files.hpp>
#include <switchboard/protocol/mcp.hpp>
#include <switchboard/protocol/mcp_sessions.hpp>
#include <switchboard/protocol/sse.hpp>
#include <switchboard/session_store.hpp>

#include <atomic>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {

// Decides who is calling, from a bearer token, a cookie or anything else in the request. It may fill
// the session (user, level, data); an error rejects the call (unauthorized: 401).
using authenticator = std::function<result<void>(const request&, session&)>;

// A request as a server read it: the head parsed, the body complete (chunks joined). Views into the
// server's buffers, valid until the answer is written (for a stream: until it ends).
struct http_input {
  std::string_view method;
  std::string_view path;   // as sent, percent-encoded
  std::string_view query;  // after '?', without it
  std::span<const header> headers;
  std::string_view body;
  std::string_view remote_address;
  int remote_port = 0;
  const hangup_probe* hangup = nullptr;  // null when the server cannot tell

  // Case-insensitive; the first field of that name, empty when absent.
  std::string_view field(std::string_view name) const {
    for (const auto& h : headers)
      if (detail::equals_ignoring_case(h.name, name)) return h.value;
    return {};
  }
};

// The answer to write. Reused from request to request: clear() keeps every buffer's capacity, so a
// warmed server answers without allocating.
struct http_output {
  int status = 200;
  std::string content_type;  // empty: no Content-Type (and no body)
  std::string body;
  std::string fields;        // further header fields, each "Name: value\r\n"
  bool close = false;        // the connection ends after this answer (part of the request may be unread)

  void clear() {
    status = 200;
    content_type.clear();
    body.clear();
    fields.clear();
    close = false;
  }
  void add_field(std::string_view name, std::string_view value) {
    fields.append(name);
    fields += ": ";
    for (char c : value) fields += (c == '\r' || c == '\n') ? ' ' : c;  // a value never starts a new field
    fields += "\r\n";
  }
  // Each extra field, for servers that take them one by one.
  template <class Each>
  void for_each_field(Each&& each) const {
    std::string_view rest = fields;
    while (!rest.empty()) {
      const std::size_t eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      const std::size_t colon = line.find(':');
      each(line.substr(0, colon), line.substr(colon + 2));
      rest.remove_prefix(eol + 2);
    }
  }
};

}  // namespace sb

namespace sb::detail {

// The standard reason phrase, for the status line.
inline std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

inline void fail(http_output& out, error_kind kind, std::string_view message, std::string_view where = {}) {
  response r;
  r.fail(kind, std::string(message), std::string(where));
  out.body.clear();
  r.write_error_body(out.body);
  out.status = http_status(kind);
  out.content_type = "application/json";
}

// For refusals the error table has no kind for (411, 431, ...): the status is given, the body is
// the same, and the connection closes (what follows the head may be unread).
inline void refuse(http_output& out, int status, std::string_view message) {
  fail(out, error_kind::invalid_argument, message);
  out.status = status;
  out.close = true;
}

inline void write_response(http_output& out, response& r) {
  if (!r.ok()) {
    out.body.clear();
    r.write_error_body(out.body);
    out.status = http_status(r.error);
    out.content_type = "application/json";
    if (r.error == error_kind::unavailable) out.add_field("Retry-After", "1");
    return;
  }
  out.status = 200;
  switch (r.form) {
    case body_form::json: out.content_type = "application/json"; break;
    case body_form::redirect:
      out.status = r.redirect_status;
      out.add_field("Location", r.body);
      out.content_type.clear();
      out.body.clear();
      return;
    case body_form::binary:
      if (!r.filename.empty()) {
        std::string safe;
        for (char c : r.filename) safe += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
        out.add_field("Content-Disposition", "attachment; filename=\"" + safe + "\"");
      }
      out.content_type = r.content_type;
      break;
    default: out.content_type = r.content_type; break;
  }
  out.body.swap(r.body);  // both are reused: the capacities trade places
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

inline std::string_view cookie_value(std::string_view header, std::string_view name) {
  std::string_view rest = header;
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return {};
}

// The media type of a Content-Type value, lower-cased ("Application/JSON; charset=utf-8" ->
// "application/json"), into a caller's buffer.
inline std::string_view media_type_of(std::string_view content_type, std::string& buffer) {
  buffer.assign(trim_whitespace(content_type.substr(0, content_type.find(';'))));
  for (char& c : buffer) c = ascii_lower(c);
  return buffer;
}

// A path percent-decoded ('+' stays '+'); false on a malformed escape or an encoded NUL.
inline bool decode_path(std::string_view path, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (i + 2 >= path.size() || hex_digit(path[i + 1]) < 0 || hex_digit(path[i + 2]) < 0) return false;
    const char c = static_cast<char>(hex_digit(path[i + 1]) * 16 + hex_digit(path[i + 2]));
    if (c == '\0') return false;
    out += c;
    i += 2;
  }
  return true;
}

// `length` bytes of a file from `offset` into `out` (its capacity reused), in one read.
inline bool read_file(const std::filesystem::path& path, std::size_t offset, std::size_t length, std::string& out) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return false;
  out.resize(length);
  stream.seekg(static_cast<std::streamoff>(offset));
  return length == 0 || static_cast<bool>(stream.read(out.data(), static_cast<std::streamsize>(length)));
}

inline bool is_api_path(std::string_view path) { return path.substr(0, 5) == "/api/"; }
inline bool is_sse_path(std::string_view path) { return path.substr(0, 5) == "/sse/"; }

// "<module>/<endpoint>" after a five-character prefix ("/api/", "/sse/"), both non-empty.
inline bool split_route(std::string_view decoded, std::string_view& module, std::string_view& endpoint) {
  decoded.remove_prefix(5);
  const std::size_t slash = decoded.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == decoded.size() ||
      decoded.find('/', slash + 1) != std::string_view::npos)
    return false;
  module = decoded.substr(0, slash);
  endpoint = decoded.substr(slash + 1);
  return true;
}

// /api/<module>/<endpoint>, judged on the path as sent: the only requests whose bodies are read.
inline bool is_endpoint_path(std::string_view path) {
  if (!is_api_path(path)) return false;
  std::string_view module, endpoint;
  return split_route(path, module, endpoint);
}

inline bool is_body_method(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The request as endpoints see it, with storage for the views it hands out. Reusable: buffers keep
// their capacity.
struct request_view {
  request info;
  query_fields query;
  query_fields form;
  std::vector<field> multipart_fields;
  std::vector<upload> uploads;
  std::string_view last_event_id;

  // False with `out` filled when the query cannot be decoded.
  bool load(const http_input& in, http_output& out) {
    multipart_fields.clear();
    uploads.clear();
    if (!query.parse(in.query)) {
      fail(out, error_kind::invalid_argument, query.error(), "query");
      return false;
    }
    info = {in.method, in.path, in.query, in.body, in.remote_address, in.remote_port, in.headers, query.fields(), {}, {}};
    last_event_id = in.field("Last-Event-ID");
    return true;
  }
};

// CORS: listed origins may send credentials; "*" admits every other origin, never with credentials
// (otherwise any web site could call with its visitors' cookies).
enum class cors_grant : std::uint8_t { none, any_origin, with_credentials };

template <class Options>
cors_grant cors_for(const Options& options, std::string_view origin) {
  if (origin.empty()) return cors_grant::none;
  bool any = false;
  for (const auto& allowed : options.cors_origins) {
    if (allowed == origin) return cors_grant::with_credentials;
    any = any || allowed == "*";
  }
  return any ? cors_grant::any_origin : cors_grant::none;
}

// A byte range of a static file ("bytes=a-b", "bytes=a-", "bytes=-n"); several ranges or anything
// else is ignored (the whole file is sent, as RFC 9110 allows). False when unsatisfiable.
inline bool parse_range(std::string_view header, std::size_t size, std::size_t& first, std::size_t& last, bool& ranged) {
  ranged = false;
  if (header.substr(0, 6) != "bytes=" || header.find(',') != std::string_view::npos) return true;
  header.remove_prefix(6);
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos) return true;
  const auto number = [](std::string_view text, std::size_t& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return !text.empty() && error == std::errc{} && end == text.data() + text.size();
  };
  std::size_t a = 0, b = 0;
  const std::string_view from = trim_whitespace(header.substr(0, dash)), to = trim_whitespace(header.substr(dash + 1));
  if (from.empty()) {
    if (!number(to, b)) return true;
    if (b == 0 || size == 0) return false;
    first = b >= size ? 0 : size - b;
    last = size - 1;
  } else {
    if (!number(from, a) || (!to.empty() && !number(to, b))) return true;
    if (a >= size) return false;
    first = a;
    last = to.empty() || b >= size ? size - 1 : b;
    if (last < first) return true;  // syntactically invalid: ignored
  }
  ranged = true;
  return true;
}

}  // namespace sb::detail

namespace sb {

// The session of one call: loaded from the cookie when the endpoint or the authenticate hook
// needs it, saved (and a cookie set) only when the call changed it.
template <class Options>
struct http_session {
  const Options& options;
  detail::session_scope scope;
  bool used = false;

  explicit http_session(const Options& o) : options(o), scope(*o.sessions) {}

  bool open(const http_input& in, const request& info, bool needed, http_output& out) {
    if (!needed && !options.authenticate) return true;
    used = true;
    scope.open(detail::cookie_value(in.field("Cookie"), options.session_cookie.name));
    if (options.authenticate) {
      result<void> verdict = options.authenticate(info, scope.current);
      if (!verdict.ok()) {
        const error_kind kind =
            verdict.error().kind == error_kind::internal ? error_kind::unauthorized : verdict.error().kind;
        detail::fail(out, kind, verdict.error().message);
        return false;  // nothing is saved for a refused call
      }
      scope.settle();
    }
    return true;
  }
  void close(http_output& out) {
    if (!used) return;
    const std::string cookie = scope.close(options.session_cookie);
    if (!cookie.empty()) out.add_field("Set-Cookie", cookie);
  }
};

// Told when a stream that went on after http_api::start_stream returned has ended (its final event
// written); on the thread that ran its last step.
class stream_end_listener {
 public:
  virtual void stream_ended() noexcept = 0;

 protected:
  ~stream_end_listener() = default;
};

template <class App, class Options>
class http_api {
 public:
  // A stream accepted by handle(): the server writes the head in `out`, then starts it
  // (start_stream). Closing `stream` (the client went away) ends it.
  struct stream_call {
    stream_call(const Options& options, detail::sse_output& output, std::size_t index)
        : index(index), session(options), stream(output, 1) {}
    std::size_t index;  // App::npos for an MCP call
    std::string mcp_message;  // an MCP tools/call answered as an event stream, with its progress
    std::string mcp_scope;    // its session
    detail::request_view view;
    http_session<Options> session;
    detail::sse_stream stream;
    // An MCP call sees the stream's end (the client went away) as its caller hanging up.
    struct closed_probe final : hangup_probe {
      explicit closed_probe(const detail::sse_stream& s) : watched(s) {}
      bool hung_up() const override { return !watched.open(); }
      const detail::sse_stream& watched;
    } stream_gone{stream};
    context ctx;
    response result;

    // Whichever comes second ends the stream: start_stream returning, or the coroutine finishing.
    class ending final : public call_completion {
     public:
      void suspended(std::unique_ptr<detail::suspended_call> call) override { running = std::move(call); }
      void finished() noexcept override {
        if (arrivals.fetch_add(1) == 1) {
          api->end_stream(*owner);
          listener->stream_ended();
        }
      }
      http_api* api = nullptr;
      stream_call* owner = nullptr;
      stream_end_listener* listener = nullptr;
      std::atomic<int> arrivals{0};
      std::unique_ptr<detail::suspended_call> running;  // the coroutine, which views all of the above
    } end;  // last: destroyed first
  };

  http_api(App& app, const Options& options)
      : app_(app), options_(options), mcp_(app, options.mcp), openapi_(app.openapi()), typescript_(app.typescript()) {}

  // Whether a request to `path` may be answered with a stream (the adapter then keeps what the
  // request views alive for it).
  bool may_stream(std::string_view path) const {
    return detail::is_sse_path(path) || (!options_.mcp_path.empty() && path == options_.mcp_path);
  }

  // A WebSocket handshake, once its form is valid: the authenticate hook decides with the
  // handshake's request (its headers, cookies, query) as it does for each HTTP call, since the
  // calls on the connection carry no headers of their own. False with `out` filled (401 or the
  // hook's kind). `kept` is the session the connection keeps (the cookie's, as authenticate left
  // it); the handshake saves nothing to the store. Without `ask_authenticate` (a first message will
  // authenticate the connection), only the cookie's session is loaded.
  bool admit_upgrade(const http_input& in, http_output& out, session& kept, bool ask_authenticate = true) const {
    if (!host_admitted(in, out)) return false;
    thread_local detail::request_view view;
    if (!view.load(in, out)) return false;
    http_session<Options> opened(options_);
    if (!ask_authenticate) {
      opened.scope.open(detail::cookie_value(in.field("Cookie"), options_.session_cookie.name));
      kept = std::move(opened.scope.current);
      return true;
    }
    if (!opened.open(in, view.info, true, out)) return false;
    kept = std::move(opened.scope.current);
    return true;
  }

  // DNS rebinding (see detail::host_allowed): 421, the status for a request sent to the wrong server.
  bool host_admitted(const http_input& in, http_output& out) const {
    const std::string_view host = in.field("Host");
    if (detail::host_allowed(host, options_.host, options_.allowed_hosts)) return true;
    detail::refuse(out, 421, "this server does not answer to Host \"" + std::string(host.substr(0, 100)) +
                                 "\": on a loopback address it answers to localhost, 127.0.0.1 and [::1] "
                                 "unless allowed_hosts lists more");
    return false;
  }

  // What can be refused from the head alone, before any body is read; false with `out` filled
  // (and the connection to be closed).
  bool screen(const http_input& in, http_output& out) const {
    if (!host_admitted(in, out)) return false;
    const bool body_route = detail::is_endpoint_path(in.path) && detail::is_body_method(in.method);
    if (!in.field("Transfer-Encoding").empty() && !body_route) {
      detail::refuse(out, 411,
                     "a chunked body is accepted only by /api/<module>/<endpoint> POST, PUT, PATCH and DELETE: "
                     "send Content-Length");
      return false;
    }
    const std::string_view coding = in.field("Content-Encoding");
    if (!coding.empty() && !detail::equals_ignoring_case(coding, "identity")) {
      detail::refuse(out, 415, "a compressed body (Content-Encoding) is not accepted: send it uncompressed");
      out.status = 415;
      return false;
    }
    return true;
  }

  // Answers a complete request in `out`; for /sse/ returns the stream to run (writing `out` first).
  std::unique_ptr<stream_call> handle(const http_input& in, http_output& out, detail::sse_output& stream_output) {
    out.clear();
    std::unique_ptr<stream_call> call;
    route(in, out, stream_output, call);
    apply_cors(in, out);
    return call;
  }

  // A stream whose endpoint is a coroutine that can pause without a thread: start it where the
  // server's I/O runs (start_stream with a listener). Any other blocks the thread it runs on.
  static bool suspends(const stream_call& call) { return call.mcp_message.empty() && App::table[call.index].suspends; }

  // Starts an accepted stream. True when it has ended here (its final event written). False when
  // it went on as a coroutine, with `listener` (required for that) told when it ends; the sink's
  // resume_after then decides where it resumes. Without a listener it runs to its end here.
  bool start_stream(stream_call& call, stream_end_listener* listener) {
    detail::sse_stream& stream = call.stream;
    if (!streams_.add(&stream, options_.max_sse_streams)) {
      stream.final_event("error", R"({"error":{"kind":"too_many_requests","message":"too many open streams"}})");
      return true;
    }
    stream.write("retry: " + std::to_string(options_.sse_retry_ms) + "\n\n");
    if (!call.mcp_message.empty()) {
      run_mcp_stream(call);
      return true;
    }
    context& ctx = call.ctx;
    ctx.from = origin::sse;
    ctx.http = &call.view.info;
    ctx.session = &call.session.scope.current;
    ctx.sink = &stream;
    ctx.bus = &app_.bus();
    ctx.last_event_id = call.view.last_event_id;
    if (listener && suspends(call)) {
      call.end.api = this;
      call.end.owner = &call;
      call.end.listener = listener;
      ctx.completion = &call.end;
    }
    app_.call_at(call.index, {{}, call.view.query.fields(), true}, call.result, ctx);
    if (call.end.running && call.end.arrivals.fetch_add(1) == 0) return false;
    end_stream(call);
    return true;
  }

  // Runs an accepted stream to its end on the calling thread.
  void run_stream(stream_call& call) { start_stream(call, nullptr); }

  void heartbeat() { streams_.heartbeat(); }
  // Ends every stream (each writes its final event); new ones are refused.
  void close_streams() { streams_.close_all(); }
  std::size_t open_streams() { return streams_.size(); }

 private:
  // The stream's endpoint has returned: the final event says how it ended.
  void end_stream(stream_call& call) {
    detail::sse_stream& stream = call.stream;
    streams_.remove(&stream);
    const response& result = call.result;
    if (result.ok()) {
      stream.final_event("end", result.form == body_form::json ? std::string_view(result.body) : "null");
    } else {
      std::string body;
      result.write_error_body(body);
      stream.final_event("error", body);
    }
    app_.run_tasks(call.result);
  }

  void route(const http_input& in, http_output& out, detail::sse_output& stream_output, std::unique_ptr<stream_call>& call) {
    thread_local std::string decoded;
    if (!detail::decode_path(in.path, decoded))
      return detail::fail(out, error_kind::invalid_argument, "the path has a malformed percent escape or an encoded NUL");
    if (in.path == "/api/_describe") return describe(in, out);
    if (in.path == "/api/_openapi.json") return serve_text(in, out, openapi_, "application/json");
    if (in.path == "/api/_types.d.ts") return serve_text(in, out, typescript_, "application/typescript; charset=utf-8");
    if (in.path == "/api/_health") return health(in, out);
    if (!options_.mcp_path.empty() && in.path == options_.mcp_path) return mcp(in, out, stream_output, call);
    if (in.path.starts_with(client_prefix)) return serve_client(in, out, decoded);
    std::string_view module, endpoint;
    const bool api = detail::is_api_path(in.path), sse = detail::is_sse_path(in.path);
    if ((api || sse) && detail::split_route(decoded, module, endpoint)) {
      const std::size_t index = App::find(module, endpoint);
      if (index == App::npos || App::table[index].internal)
        return detail::fail(out, error_kind::not_found,
                            "no endpoint named \"" + std::string(module) + "." + std::string(endpoint) + "\"");
      if (in.method == "OPTIONS") return preflight(in, out, index);
      if (sse) return open_stream(in, out, index, stream_output, call);
      return call_endpoint(in, out, index);
    }
    if (!api && !sse && !options_.static_dir.empty()) return serve_static(in, out, decoded);
    detail::fail(out, error_kind::not_found, "no route for " + std::string(in.method) + " " + decoded.substr(0, 200));
  }

  // The descriptions derived from describe() (which does not change while the app runs).
  void serve_text(const http_input& in, http_output& out, const std::string& text, std::string_view type) {
    if (in.method != "GET" && in.method != "HEAD") return method_not_allowed(in, out, "GET", in.path);
    out.body = text;
    out.content_type = type;
  }

  void describe(const http_input& in, http_output& out) {
    if (in.method != "GET" && in.method != "HEAD") return method_not_allowed(in, out, "GET", "/api/_describe");
    out.body = app_.describe();
    out.content_type = "application/json";
  }

  void health(const http_input& in, http_output& out) {
    if (in.method != "GET" && in.method != "HEAD") return method_not_allowed(in, out, "GET", "/api/_health");
    const sb::bus& bus = app_.bus();
    const std::string sessions = options_.sessions->health();  // first: it may check the store
    const bool ok = bus.healthy() && options_.sessions->healthy();
    out.body = ok ? R"({"status":"ok","bus":)" : R"({"status":"degraded","bus":)";
    out.body += bus.health();
    if (!sessions.empty()) {
      out.body += R"(,"sessions":)";
      out.body += sessions;
    }
    out.body += '}';
    out.content_type = "application/json";
    out.add_field("Cache-Control", "no-store");
  }

  // The browser client ships in the library (http/client_files.hpp), so every app serves the
  // version that matches it, with no file to deploy.
  static constexpr std::string_view client_prefix = "/_sb/";
  void serve_client(const http_input& in, http_output& out, const std::string& decoded) {
    const std::string_view name = in.path.substr(client_prefix.size());
    std::string_view content, type;
    if (name == "switchboard.js") content = detail::client_script, type = "text/javascript; charset=utf-8";
    else if (name == "switchboard.d.ts") content = detail::client_declarations, type = "application/typescript; charset=utf-8";
    else if (name == "explorer") content = detail::client_explorer, type = "text/html; charset=utf-8";
    else return detail::fail(out, error_kind::not_found, "no such file: " + decoded.substr(0, 200) +
                                                             " (/_sb/ serves switchboard.js, switchboard.d.ts and explorer)");
    if (in.method != "GET" && in.method != "HEAD") return method_not_allowed(in, out, "GET, HEAD", decoded.substr(0, 200));
    out.body.assign(content);
    out.content_type = type;
    out.add_field("Cache-Control", "no-cache");
  }

  void method_not_allowed(const http_input& in, http_output& out, std::string_view allowed, std::string_view what) {
    out.add_field("Allow", allowed);
    detail::fail(out, error_kind::method_not_allowed, std::string(in.method) + " is not allowed for " + std::string(what));
  }

  // What a call made over HTTP knows of its request.
  context http_context(const request& info, session& current, const hangup_probe* hangup) {
    context ctx;
    ctx.from = origin::http;
    ctx.http = &info;
    ctx.session = &current;
    ctx.bus = &app_.bus();
    ctx.hangup = hangup;
    return ctx;
  }

  void call_endpoint(const http_input& in, http_output& out, std::size_t index) {
    const auto& entry = App::table[index];
    if (!entry.allowed.allows(detail::method_of(in.method)))
      return method_not_allowed(in, out, detail::allow_header(entry.allowed), entry.full_name);
    thread_local detail::request_view view;
    if (!view.load(in, out)) return;
    detail::call_input input;
    if (!call_input_from(in, view, input, out)) return;
    http_session<Options> session(options_);
    if (!session.open(in, view.info, entry.uses_session, out)) return;
    context ctx = http_context(view.info, session.scope.current, in.hangup);
    thread_local response result;
    app_.call_at(index, input, result, ctx);
    session.close(out);
    detail::write_response(out, result);
    app_.run_tasks(result);
  }

  // Builds the call input from the query, a JSON body or a form; false with `out` filled on error.
  bool call_input_from(const http_input& in, detail::request_view& view, detail::call_input& input, http_output& out) {
    input = {{}, view.query.fields(), true};
    thread_local std::string media_buffer;
    const std::string_view content_type = in.field("Content-Type");
    const std::string_view media = detail::media_type_of(content_type, media_buffer);
    const bool multipart = media == "multipart/form-data";
    if (in.body.empty() && !multipart) return true;
    if (multipart || media == "application/x-www-form-urlencoded") {
      if (!view.query.fields().empty()) {
        detail::fail(out, error_kind::invalid_argument, "send parameters in the query string or in the form, not both", "query");
        return false;
      }
      if (multipart) return read_multipart(in, content_type, view, input, out);
      if (!view.form.parse(in.body)) {
        detail::fail(out, error_kind::invalid_argument, view.form.error(), "body");
        return false;
      }
      view.info.form = view.form.fields();
      input = {{}, view.form.fields(), true};
      return true;
    }
    if (media == "application/json" || media.empty()) {
      if (!view.query.fields().empty()) {
        detail::fail(out, error_kind::invalid_argument, "send parameters in the query string or in the body, not both", "query");
        return false;
      }
      input = {in.body, {}, false};
      return true;
    }
    detail::fail(out, error_kind::unsupported_media_type,
                 "unsupported Content-Type \"" + std::string(media.substr(0, 100)) +
                     "\": send application/json, application/x-www-form-urlencoded or multipart/form-data");
    return false;
  }

  bool read_multipart(const http_input& in, std::string_view content_type, detail::request_view& view,
                      detail::call_input& input, http_output& out) {
    detail::multipart_reader reader;
    const bool ok = reader.read(content_type, in.body, [&](const detail::multipart_part& part) {
      if (part.filename.empty()) view.multipart_fields.push_back({part.name, part.content});
      else view.uploads.push_back({part.name, part.filename, part.content_type, part.content});
    });
    if (!ok) {
      detail::fail(out, error_kind::invalid_argument, "the multipart body could not be read: " + std::string(reader.reason()), "body");
      return false;
    }
    view.info.form = view.multipart_fields;
    view.info.files = view.uploads;
    input = {{}, view.multipart_fields, true};
    return true;
  }

  void open_stream(const http_input& in, http_output& out, std::size_t index, detail::sse_output& output,
                   std::unique_ptr<stream_call>& call) {
    if (in.method != "GET" && in.method != "HEAD") return method_not_allowed(in, out, "GET", App::table[index].full_name);
    auto accepted = std::make_unique<stream_call>(options_, output, index);
    if (!accepted->view.load(in, out)) return;
    // The stream outlives the head: a session it changes later is not saved (no header can carry a
    // new cookie any more), so it sees the session as the request found it.
    if (!accepted->session.open(in, accepted->view.info, App::table[index].uses_session, out)) return;
    accepted->session.close(out);
    accepted->stream.continue_after(accepted->view.last_event_id);
    out.status = 200;
    out.content_type = "text/event-stream";
    out.add_field("Cache-Control", "no-cache");
    out.add_field("X-Accel-Buffering", "no");
    call = std::move(accepted);
  }

  void preflight(const http_input& in, http_output& out, std::size_t index) {
    if (detail::cors_for(options_, in.field("Origin")) == detail::cors_grant::none) {
      out.status = 403;
      return;
    }
    out.status = 204;
    out.add_field("Access-Control-Allow-Methods", detail::allow_header(App::table[index].allowed) + ", OPTIONS");
    const std::string_view requested = in.field("Access-Control-Request-Headers");
    out.add_field("Access-Control-Allow-Headers", requested.empty() ? "Content-Type, Authorization" : requested);
    out.add_field("Access-Control-Max-Age", "600");
  }

  void apply_cors(const http_input& in, http_output& out) const {
    const std::string_view origin = in.field("Origin");
    switch (detail::cors_for(options_, origin)) {
      case detail::cors_grant::none: return;
      case detail::cors_grant::any_origin:
        out.add_field("Access-Control-Allow-Origin", "*");
        if (options_.cors_origins.size() > 1) out.add_field("Vary", "Origin");  // listed origins get another answer
        return;
      case detail::cors_grant::with_credentials:
        out.add_field("Access-Control-Allow-Origin", origin);
        out.add_field("Access-Control-Allow-Credentials", "true");
        out.add_field("Vary", "Origin");
        return;
    }
  }

  void serve_static(const http_input& in, http_output& out, const std::string& decoded) {
    if (in.method != "GET" && in.method != "HEAD") return method_not_allowed(in, out, "GET, HEAD", decoded.substr(0, 200));
    if (const auto cached = files_.find(options_.static_dir, decoded)) {
      const std::string& content = cached->content;
      const auto range = byte_range(in, out, content.size());
      if (!range) return;
      out.body.assign(content, range->first, range->count);
      out.content_type = cached->content_type;
      return;
    }
    const auto file = detail::resolve_static(options_.static_dir, decoded);
    if (!file) return detail::fail(out, error_kind::not_found, "no such file: " + decoded.substr(0, 200));
    std::error_code ec;
    const std::size_t size = static_cast<std::size_t>(std::filesystem::file_size(*file, ec));
    if (ec) return detail::fail(out, error_kind::not_found, "cannot read " + decoded.substr(0, 200));
    const auto range = byte_range(in, out, size);
    if (!range) return;
    // Only the range is read: a ranged request for a large file costs the range.
    if (!detail::read_file(*file, range->first, range->count, out.body)) {
      out.clear();  // no range headers on the error
      return detail::fail(out, error_kind::not_found, "cannot read " + decoded.substr(0, 200));
    }
    out.content_type = detail::content_type_for(file->string());
  }

  // The part of a file of `size` bytes the request asks for (its Range, or all of it), with the
  // headers that say so; nothing when the range is outside the file (then 416 in `out`).
  struct file_range {
    std::size_t first;
    std::size_t count;
  };
  static std::optional<file_range> byte_range(const http_input& in, http_output& out, std::size_t size) {
    std::size_t first = 0, last = 0;
    bool ranged = false;
    if (!detail::parse_range(in.field("Range"), size, first, last, ranged)) {
      out.add_field("Content-Range", "bytes */" + std::to_string(size));
      detail::fail(out, error_kind::invalid_argument, "the requested range is outside the file");
      out.status = 416;
      return std::nullopt;
    }
    out.add_field("Accept-Ranges", "bytes");
    if (!ranged) return file_range{0, size};
    out.add_field("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
    out.status = 206;
    return file_range{first, last - first + 1};
  }

  // ---- MCP over Streamable HTTP ----

  static void mcp_refuse(http_output& out, int status, int code, std::string_view message, std::string_view id = {}) {
    out.status = status;
    out.content_type = "application/json";
    out.body.clear();
    detail::write_rpc_error(out.body, code, message, id);
  }

  void mcp(const http_input& in, http_output& out, detail::sse_output& stream_output, std::unique_ptr<stream_call>& call) {
    // A page elsewhere must not reach local tools through the browser (DNS rebinding included).
    if (const auto origin = in.field("Origin"); !origin.empty() && !detail::origin_allowed(origin, in.field("Host"), options_.cors_origins))
      return mcp_refuse(out, 403, -32000, "Forbidden: this Origin may not use /mcp (see cors_origins)");
    if (in.method == "OPTIONS") return mcp_preflight(in, out);
    if (!in.field("Origin").empty()) out.add_field("Access-Control-Expose-Headers", "Mcp-Session-Id");
    const std::string_view session = in.field("Mcp-Session-Id");
    if (in.method == "DELETE") {
      if (session.empty()) return mcp_refuse(out, 400, -32000, "Bad Request: DELETE needs the Mcp-Session-Id to end");
      if (!mcp_sessions_.close(session)) return mcp_refuse(out, 404, -32001, "Session not found");
      out.status = 204;
      return;
    }
    if (in.method != "POST") {  // GET would open a stream for messages the server starts: it has none
      out.add_field("Allow", "POST, DELETE");
      return mcp_refuse(out, 405, -32000, "Method Not Allowed: /mcp takes POST (and DELETE to end a session)");
    }
    thread_local std::string media_buffer;
    if (detail::media_type_of(in.field("Content-Type"), media_buffer) != "application/json")
      return mcp_refuse(out, 415, -32000, "Unsupported Media Type: send one JSON-RPC message as application/json");
    detail::jsonrpc_envelope envelope;
    const int scanned = detail::scan_envelope(in.body, envelope);
    if (scanned == detail::parse_error || (scanned == 0 && !detail::params_valid(envelope.params)))
      return mcp_refuse(out, 400, detail::parse_error, "Parse error");
    if (scanned != 0) return mcp_refuse(out, 400, detail::invalid_request, "Invalid Request: one JSON-RPC message object (no batches)");
    if (!envelope.has_method) {  // a response: the server never asks anything
      out.status = 202;
      return;
    }
    if (!detail::well_formed_call(envelope) || !detail::valid_id(envelope))
      return mcp_refuse(out, 400, detail::invalid_request, "Invalid Request", detail::valid_id(envelope) ? envelope.id : "");
    const std::string_view version = in.field("MCP-Protocol-Version");
    if (!version.empty() && !detail::mcp_supports(version)) {
      out.status = 400;
      out.content_type = "application/json";
      decltype(mcp_)::write_unsupported_version(out.body, version.substr(0, 40), envelope.id);
      return;
    }
    const detail::mcp_request_meta meta = detail::read_mcp_meta(envelope.params);
    const bool stateless = meta.stateless || version == detail::mcp_stateless_version;
    if (stateless && !mcp_headers_match(in, envelope, meta, out)) return;
    // 2026-07-28 has no sessions: its requests ignore one.
    const std::string_view scope = stateless ? std::string_view{} : session;
    if (!stateless && !session.empty() && !mcp_sessions_.touch(session)) return mcp_refuse(out, 404, -32001, "Session not found");
    if (!envelope.has_id) {
      context none;
      mcp_.handle(envelope, meta, out.body, none, nullptr, scope);
      out.body.clear();
      out.status = 202;
      return;
    }
    if (mcp_.sends_progress(envelope, meta)) return open_mcp_stream(in, out, stream_output, call, scope);
    thread_local detail::request_view view;
    if (!view.load(in, out)) return;
    http_session<Options> opened(options_);
    if (!opened.open(in, view.info, true, out)) return;
    context ctx = http_context(view.info, opened.scope.current, in.hangup);
    const auto outcome = mcp_.handle(envelope, meta, out.body, ctx, nullptr, scope);
    opened.close(out);
    if (out.body.empty()) detail::write_rpc_error(out.body, detail::mcp_request_cancelled, "cancelled", envelope.id);
    if (envelope.method == "initialize" && !stateless) out.add_field("Mcp-Session-Id", mcp_sessions_.open());
    out.status = outcome == detail::mcp_outcome::bad_request                ? 400
                 : outcome == detail::mcp_outcome::unknown_method && stateless ? 404
                                                                            : 200;
    out.content_type = "application/json";
  }

  // 2026-07-28 repeats the version, the method and the tool's name in headers (for proxies that
  // route without reading bodies); they must say what the body says.
  bool mcp_headers_match(const http_input& in, const detail::jsonrpc_envelope& envelope, const detail::mcp_request_meta& meta,
                         http_output& out) {
    const auto mismatch = [&](std::string_view what) {
      mcp_refuse(out, 400, detail::mcp_header_mismatch, "Header mismatch: " + std::string(what), envelope.id);
      return false;
    };
    if (!meta.stateless || !meta.has_capabilities) {
      mcp_refuse(out, 400, -32602, "Invalid params: _meta needs io.modelcontextprotocol/protocolVersion and clientCapabilities",
                 envelope.id);
      return false;
    }
    if (in.field("MCP-Protocol-Version") != meta.version) return mismatch("MCP-Protocol-Version is not _meta's protocol version");
    if (in.field("Mcp-Method") != envelope.method) return mismatch("Mcp-Method is not the body's method");
    if (envelope.method == "tools/call") {
      detail::mcp_call_params params;
      std::string name(detail::trim_whitespace(in.field("Mcp-Name")));
      if (name.starts_with("=?base64?") && name.ends_with("?=")) {
        std::string decoded;
        if (!detail::base64_decode(std::string_view(name).substr(9, name.size() - 11), decoded))
          return mismatch("Mcp-Name is not valid base64");
        name = std::move(decoded);
      }
      if (json::read(params, envelope.params) || params.name != name) return mismatch("Mcp-Name is not the tool's name");
    }
    return true;
  }

  void open_mcp_stream(const http_input& in, http_output& out, detail::sse_output& output, std::unique_ptr<stream_call>& call,
                       std::string_view session) {
    auto accepted = std::make_unique<stream_call>(options_, output, App::npos);
    if (!accepted->view.load(in, out)) return;
    if (!accepted->session.open(in, accepted->view.info, true, out)) return;
    accepted->session.close(out);
    accepted->mcp_message.assign(in.body);
    accepted->mcp_scope.assign(session);
    accepted->view.info.body = accepted->mcp_message;
    out.status = 200;
    out.content_type = "text/event-stream";
    out.add_field("Cache-Control", "no-cache");
    out.add_field("X-Accel-Buffering", "no");
    call = std::move(accepted);
  }

  // The call's progress and then its answer, each a message event; nothing after a cancellation.
  void run_mcp_stream(stream_call& call) {
    struct channel final : detail::mcp_channel {
      explicit channel(detail::sse_stream& s) : stream(s) {}
      bool notify(std::string_view message) override {
        thread_local std::string event;
        event.clear();
        detail::format_sse_event(event, 0, {}, message);
        return stream.write(event);
      }
      detail::sse_stream& stream;
    } progress(call.stream);
    detail::jsonrpc_envelope envelope;
    detail::scan_envelope(call.mcp_message, envelope);
    call.ctx = http_context(call.view.info, call.session.scope.current, &call.stream_gone);
    std::string answer;
    mcp_.handle(envelope, detail::read_mcp_meta(envelope.params), answer, call.ctx, &progress, call.mcp_scope);
    streams_.remove(&call.stream);
    if (!answer.empty()) call.stream.final_event({}, answer);
  }

  void mcp_preflight(const http_input& in, http_output& out) {
    out.status = 204;
    out.add_field("Access-Control-Allow-Methods", "POST, DELETE, OPTIONS");
    const std::string_view requested = in.field("Access-Control-Request-Headers");
    out.add_field("Access-Control-Allow-Headers",
                  requested.empty() ? "Content-Type, Authorization, Mcp-Session-Id, MCP-Protocol-Version" : requested);
    out.add_field("Access-Control-Expose-Headers", "Mcp-Session-Id");
    out.add_field("Access-Control-Max-Age", "600");
  }

  App& app_;
  const Options& options_;
  detail::mcp_server<App> mcp_;
  detail::mcp_sessions mcp_sessions_;
  const std::string openapi_;
  const std::string typescript_;
  detail::sse_registry streams_;
  detail::static_file_cache files_;
};

}  // namespace sb
