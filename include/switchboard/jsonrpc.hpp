#pragma once
// JSON-RPC 2.0 over any byte transport: single calls, batches, notifications and the
// specification's error objects. Single calls allocate nothing once the buffers are warm.

#include <switchboard/context.hpp>
#include <switchboard/invoke.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace sb::detail {

// The members of a request object, as the bytes of their values (empty when absent).
struct jsonrpc_envelope {
  std::string_view jsonrpc;
  std::string_view method;  // the name without quotes, when it is a string without escapes
  std::string_view params;
  std::string_view id;
  bool has_method = false;
  bool method_ok = false;
  bool has_id = false;
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

template <std::size_t N>
inline bool is_key(std::string_view key, const char (&word)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), word, N - 1) == 0;  // a constant size: inlined
}

// The closing quote of a string whose opening quote is before p; null when the text ends first.
inline const char* closing_quote(const char* p, const char* end) {
  using namespace json::detail;
  for (;;) {
    while (end - p >= 8) {
      const std::uint64_t word = load8(p);
      const std::uint64_t marks = bytes_equal(word, '"') | bytes_equal(word, '\\');
      if (marks != 0) {
        p += first_marked_byte(marks);
        break;
      }
      p += 8;
    }
    while (p < end && *p != '"' && *p != '\\') ++p;
    if (p >= end) return nullptr;
    if (*p == '"') return p;
    if (end - p < 2) return nullptr;
    p += 2;  // an escape: whatever follows the backslash cannot close the string
  }
}

// The next '"', '[', ']', '{' or '}' at or after p, or end. ('[' | 0x20) is '{' and (']' | 0x20) is '}'.
inline const char* next_bracket_or_quote(const char* p, const char* end) {
  using namespace json::detail;
  while (end - p >= 8) {
    const std::uint64_t word = load8(p);
    const std::uint64_t folded = word | repeat_byte(0x20);
    const std::uint64_t marks = bytes_equal(word, '"') | bytes_equal(folded, '{') | bytes_equal(folded, '}');
    if (marks != 0) return p + first_marked_byte(marks);
    p += 8;
  }
  while (p < end && *p != '"' && (*p | 0x20) != '{' && (*p | 0x20) != '}') ++p;
  return p;
}

// Past one value without validating it: strings and nesting are followed only far enough to find
// where the value ends. False when the text ends first. The binder validates the parameters
// strictly as it reads them, so a single request's parameters are scanned once, not twice.
inline bool skip_structure(const char*& it, const char* end) {
  const char* p = it;
  std::size_t depth = 0;
  for (;;) {
    if (p >= end) return false;
    const char c = *p;
    if (c == '"') {
      for (++p; p < end && *p != '"'; ++p)
        if (*p == '\\' && ++p == end) return false;
      if (p >= end) return false;
      ++p;
    } else if (c == '[' || c == '{') {
      ++depth;
      ++p;
    } else if (c == ']' || c == '}') {
      if (depth == 0) break;
      --depth;
      ++p;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      break;
    } else {
      ++p;
    }
    if (depth == 0 && (c == '"' || c == ']' || c == '}')) break;
  }
  if (p == it) return false;
  it = p;
  return true;
}

// True when `params` (possibly empty) is one valid JSON value.
inline bool params_valid(std::string_view params) {
  if (params.empty()) return true;
  json::detail::read_context ctx(params.data(), params.data() + params.size(), false, {});
  const char* it = params.data();
  json::detail::skip_value(it, ctx);
  return !ctx.failed() && it == ctx.end;
}

// One pass over a request object: "jsonrpc", "method", "id" and unknown members are validated,
// "params" is only delimited (see skip_structure; params_valid checks it where nothing else will).
// 0 when `text` is an object, else the JSON-RPC error code (invalid JSON: parse error; valid JSON
// but not an object: invalid request).
inline int scan_envelope(std::string_view text, jsonrpc_envelope& env) {
  using namespace json::detail;
  read_context ctx(text.data(), text.data() + text.size(), false, {});
  const char* it = text.data();
  const char* end = ctx.end;
  skip_whitespace(it, end);
  if (it == end) return parse_error;
  if (*it != '{') {
    ctx.fail(json::errc::unexpected_type, it, "object");  // a syntax error unless a value starts here
    return ctx.code == json::errc::unexpected_type ? invalid_request : parse_error;
  }
  read_object(it, ctx, [&](std::string_view key, const char*, const scanned_string&) {
    const char* value = it;
    if (is_key(key, "params")) {
      if (!skip_structure(it, end)) {
        ctx.fail(json::errc::syntax, it, "a JSON value");
        return false;
      }
      env.params = {value, static_cast<std::size_t>(it - value)};
      return true;
    }
    bool escaped = true;
    if (*it == '"') {
      scanned_string s;
      if (!scan_string(it, ctx, s)) return false;
      escaped = s.escaped;
    } else {
      skip_value(it, ctx);
      if (ctx.failed()) return false;
    }
    const std::string_view bytes(value, static_cast<std::size_t>(it - value));
    if (is_key(key, "jsonrpc")) {
      env.jsonrpc = bytes;
    } else if (is_key(key, "method")) {
      env.has_method = true;
      env.method_ok = bytes.size() >= 2 && bytes[0] == '"' && !escaped;
      env.method = env.method_ok ? bytes.substr(1, bytes.size() - 2) : std::string_view{};
    } else if (is_key(key, "id")) {
      env.id = bytes;
      env.has_id = true;
    }
    return true;
  });
  if (ctx.failed()) return parse_error;
  skip_whitespace(it, end);
  return it == end ? 0 : parse_error;
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
    if (const int code = scan_envelope(text, envelope))
      return write_rpc_error(out, code, code == parse_error ? "Parse error" : "Invalid Request", {});
    const std::string_view params = envelope.params;
    // The envelope only delimited the parameters; any answer but a bound call checks them first,
    // since invalid JSON anywhere in the request is a parse error.
    const auto fail = [&](int code, std::string_view message, std::string_view id,
                          const response* detail = nullptr, bool detail_message = false) {
      if (!params_valid(params)) return write_rpc_error(out, parse_error, "Parse error", {});
      write_rpc_error(out, code, message, id, detail, detail_message);
    };
    const std::string_view id = envelope.id;
    if (envelope.has_id) {
      const char first = id[0];
      const bool valid_id = first == '"' || first == '-' || (first >= '0' && first <= '9') || id == "null";
      if (!valid_id) return fail(invalid_request, "Invalid Request", {});
    }
    if (envelope.jsonrpc != R"("2.0")" || !envelope.method_ok || (!params.empty() && params[0] != '[' && params[0] != '{'))
      return fail(invalid_request, "Invalid Request", id);
    const bool notification = !envelope.has_id;
    const std::size_t index = App::find(envelope.method);
    if (index == App::npos || App::table[index].internal) {
      if (!notification || !params_valid(params)) fail(method_not_found, "Method not found", id);
      return;
    }
    // Hooks see the parameters before the binder does: give them valid JSON or nothing.
    if ((app.has_global_hooks() || App::table[index].hooked) && !params_valid(params))
      return write_rpc_error(out, parse_error, "Parse error", {});
    thread_local response result;
    app.call_at(index, {params, {}, false}, result, ctx);
    if (!result.tasks.empty()) app.run_tasks(result);
    if (result.ok()) {
      if (!notification) write_rpc_result(out, result, id);
      return;
    }
    if (notification) {
      if (!params_valid(params)) write_rpc_error(out, parse_error, "Parse error", {});
      return;
    }
    // Binding failures and internal errors use the specification's messages (the specific text goes
    // in data); an endpoint's own error keeps its message.
    const int code = jsonrpc_code(result.error);
    const bool binding = code == -32602 && !result.where.empty();
    const std::string_view message = binding            ? std::string_view("Invalid params")
                                     : code == -32603 ? std::string_view("Internal error")
                                                      : std::string_view(result.message);
    fail(code, message, id, &result, binding || code == -32603);
  }
};

}  // namespace sb::detail
