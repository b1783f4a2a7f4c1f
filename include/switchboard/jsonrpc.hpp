#pragma once
// JSON-RPC 2.0 over any byte transport: single calls, batches, notifications and the
// specification's error objects. Single calls allocate nothing once the buffers are warm.

#include <switchboard/context.hpp>
#include <switchboard/invoke.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sb::detail {

struct jsonrpc_envelope {
  std::optional<json::raw> jsonrpc;
  std::optional<json::raw> method;
  std::optional<json::raw> params;
  std::optional<json::raw> id;
};

inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;

inline void write_rpc_error(std::string& out, int code, std::string_view message, std::string_view id,
                            const response* detail = nullptr, bool detail_message = false) {
  out += R"({"jsonrpc":"2.0","error":{"code":)";
  json::write(code, out);
  out += R"(,"message":)";
  json::write(message, out);
  if (detail) {
    out += R"(,"data":{"kind":")";
    out += kind_name(detail->error);
    out += '"';
    if (detail_message) {  // the code's standard message is generic: keep the specific one here
      out += R"(,"message":)";
      json::write(detail->message, out);
    }
    if (!detail->where.empty()) {
      out += R"(,"where":)";
      json::write(detail->where, out);
    }
    if (!detail->details.empty()) {
      out += R"(,"details":)";
      out += detail->details;
    }
    out += '}';
  }
  out += R"(},"id":)";
  out += id.empty() ? std::string_view("null") : id;
  out += '}';
}

// A non-JSON response form travels as a JSON string of its body.
inline void write_rpc_result(std::string& out, const response& r, std::string_view id) {
  out += R"({"jsonrpc":"2.0","result":)";
  if (r.form == body_form::json) out += r.body;
  else json::write(r.body, out);
  out += R"(,"id":)";
  out += id;
  out += '}';
}

template <class App>
struct jsonrpc_handler {
  static void handle(App& app, std::string_view request, std::string& out, context& ctx) {
    out.clear();
    const char* it = request.data();
    const char* end = it + request.size();
    json::detail::skip_whitespace(it, end);
    if (it == end || *it != '[') return single(app, request, out, ctx);
    // A batch: valid JSON first (otherwise one parse error), then each element on its own.
    json::detail::read_context ctx_check(request.data(), end, false, {});
    const char* check = it;
    json::detail::skip_value(check, ctx_check);
    json::detail::skip_whitespace(check, end);
    if (ctx_check.failed() || check != end) return write_rpc_error(out, parse_error, "Parse error", {});
    json::detail::read_context walk(request.data(), end, false, {});
    std::size_t elements = 0;
    std::size_t answered = 0;
    out += '[';
    thread_local std::string one;
    json::detail::read_array(it, walk, [&](std::size_t) {
      const char* start = it;
      json::detail::skip_value(it, walk);
      one.clear();
      single(app, {start, static_cast<std::size_t>(it - start)}, one, ctx);
      ++elements;
      if (!one.empty()) {
        if (answered++ != 0) out += ',';
        out += one;
      }
      return true;
    });
    out += ']';
    if (elements == 0) {
      out.clear();
      return write_rpc_error(out, invalid_request, "Invalid Request", {});
    }
    if (answered == 0) out.clear();  // a batch of notifications gets no response at all
  }

  static void single(App& app, std::string_view text, std::string& out, context& ctx) {
    jsonrpc_envelope envelope;
    if (auto e = json::read(envelope, text)) {
      const bool not_json = e.code() != json::errc::unexpected_type;
      return not_json ? write_rpc_error(out, parse_error, "Parse error", {})
                      : write_rpc_error(out, invalid_request, "Invalid Request", {});
    }
    std::string_view id;
    if (envelope.id) {
      id = envelope.id->json;
      const char first = id.empty() ? '\0' : id[0];
      const bool valid_id = first == '"' || first == '-' || (first >= '0' && first <= '9') || id == "null";
      if (!valid_id) return write_rpc_error(out, invalid_request, "Invalid Request", {});
    }
    std::string_view method;
    if (!envelope.jsonrpc || envelope.jsonrpc->json != R"("2.0")" || !envelope.method ||
        !read_method(envelope.method->json, method) ||
        (envelope.params && envelope.params->json[0] != '[' && envelope.params->json[0] != '{'))
      return write_rpc_error(out, invalid_request, "Invalid Request", id.empty() ? std::string_view{} : id);
    const bool notification = !envelope.id.has_value();
    thread_local response result;
    const std::size_t index = App::find(method);
    if (index == App::npos || App::table[index].internal) {
      if (!notification) write_rpc_error(out, method_not_found, "Method not found", id);
      return;
    }
    const std::string_view params = envelope.params ? envelope.params->json : std::string_view{};
    app.call_at(index, {params, {}, false}, result, ctx);
    app.run_tasks(result);
    if (notification) return;
    if (result.ok()) return write_rpc_result(out, result, id);
    // Binding failures and internal errors use the specification's messages (the specific text goes
    // in data); an endpoint's own error keeps its message.
    const int code = jsonrpc_code(result.error);
    const bool binding = code == -32602 && !result.where.empty();
    const std::string_view message = binding            ? std::string_view("Invalid params")
                                     : code == -32603 ? std::string_view("Internal error")
                                                      : std::string_view(result.message);
    write_rpc_error(out, code, message, id, &result, binding || code == -32603);
  }

  static bool read_method(std::string_view raw_method, std::string_view& method) {
    return !json::read(method, raw_method);
  }
};

}  // namespace sb::detail
