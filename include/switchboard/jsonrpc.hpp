#pragma once
// JSON-RPC 2.0 over any byte transport: single calls, batches, notifications and the
// specification's error objects. Single calls allocate nothing once the buffers are warm.

#include <switchboard/context.hpp>
#include <switchboard/invoke.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>

#include <array>
#include <cstdint>
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

// What skip_structure stops at: 1 a quote, 2 an opening bracket, 3 a closing one, 4 a backslash.
inline constexpr auto structure_bytes = [] {
  std::array<std::uint8_t, 256> kinds{};
  kinds['"'] = 1;
  kinds['['] = kinds['{'] = 2;
  kinds[']'] = kinds['}'] = 3;
  kinds['\\'] = 4;
  return kinds;
}();

inline std::uint8_t structure_kind(char c) { return structure_bytes[static_cast<unsigned char>(c)]; }

// Past one value without validating it: strings and nesting are followed only far enough to find
// where the value ends. False when the text ends first. The binder validates the parameters
// strictly as it reads them, so a single request's parameters are scanned once, not twice.
inline bool skip_structure(const char*& it, const char* end) {
  const char* p = it;
  if (structure_kind(*p) != 1 && structure_kind(*p) != 2) {  // a number or literal: up to what ends it
    if (*p != '-' && *p != 't' && *p != 'f' && *p != 'n' && !json::detail::is_digit(*p)) return false;
    while (p < end && *p != ',' && *p != '}' && *p != ']' && !json::detail::is_whitespace(*p)) ++p;
    if (p == it || p == end) return false;
    it = p;
    return true;
  }
  std::size_t depth = 0;
  for (;;) {
    while (p < end && structure_kind(*p) == 0) ++p;
    if (p >= end) return false;
    const std::uint8_t kind = structure_kind(*p++);
    if (kind == 1) {
      for (;;) {
        while (p < end && *p != '"' && *p != '\\') ++p;
        if (p >= end) return false;
        if (*p == '"') break;
        if (end - p < 2) return false;
        p += 2;  // an escape: whatever follows the backslash cannot close the string
      }
      ++p;
      if (depth == 0) break;
    } else if (kind == 2) {
      ++depth;
    } else if (kind == 3) {
      if (depth == 0 || --depth == 0) break;
    }
  }
  it = p;
  return true;
}

// True when `text` is one valid JSON value, whitespace around it allowed.
inline bool valid_json(std::string_view text) {
  json::detail::read_context ctx(text.data(), text.data() + text.size(), false, {});
  const char* it = text.data();
  json::detail::skip_whitespace(it, ctx.end);
  json::detail::skip_value(it, ctx);
  if (ctx.failed()) return false;
  json::detail::skip_whitespace(it, ctx.end);
  return it == ctx.end;
}

// Absent parameters are valid; present ones must be JSON.
inline bool params_valid(std::string_view params) { return params.empty() || valid_json(params); }

enum class envelope_member : std::uint8_t { jsonrpc, method, params, id, other };

// The member name at `it` (at its opening quote), `it` then past the closing quote. The four names
// of the protocol are recognized by their bytes; others (and escaped spellings) are scanned.
inline bool read_member_name(const char*& it, json::detail::read_context& ctx, envelope_member& member) {
  using namespace json::detail;
  const std::size_t left = static_cast<std::size_t>(ctx.end - it);
  const auto literal = [&]<std::size_t N>(const char (&quoted)[N]) {
    if (left < N - 1 || std::memcmp(it, quoted, N - 1) != 0) return false;
    it += N - 1;
    return true;
  };
  if (literal("\"jsonrpc\"")) member = envelope_member::jsonrpc;
  else if (literal("\"method\"")) member = envelope_member::method;
  else if (literal("\"params\"")) member = envelope_member::params;
  else if (literal("\"id\"")) member = envelope_member::id;
  else {
    scanned_string s;
    if (!scan_string(it, ctx, s)) return false;
    std::string_view name(s.first, static_cast<std::size_t>(s.last - s.first));
    char unescaped[8];
    if (s.escaped && name.size() <= 6 * sizeof unescaped) {  // "\u0069\u0064" is "id" too
      char wide[6 * sizeof unescaped];
      const char* last = unescape(s.first, s.last, wide);
      const auto size = static_cast<std::size_t>(last - wide);
      if (size > sizeof unescaped) return member = envelope_member::other, true;
      std::memcpy(unescaped, wide, size);
      name = {unescaped, size};
    }
    member = is_key(name, "jsonrpc") ? envelope_member::jsonrpc
             : is_key(name, "method") ? envelope_member::method
             : is_key(name, "params") ? envelope_member::params
             : is_key(name, "id")     ? envelope_member::id
                                      : envelope_member::other;
  }
  return true;
}

// A method name is nearly always plain ASCII: take it without the general scanner. `it` at the
// opening quote; false (nothing consumed) when the name needs the general scanner.
inline bool read_plain_name(const char*& it, const char* end, std::string_view& name) {
  const char* p = it + 1;
  while (p < end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      name = {it + 1, static_cast<std::size_t>(p - it - 1)};
      it = p + 1;
      return true;
    }
    if (c < 0x20 || c == '\\' || c >= 0x80) return false;
    ++p;
  }
  return false;
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
  if (*it != '{') return valid_json(text) ? invalid_request : parse_error;
  ctx.depth = 1;
  ++it;
  skip_whitespace(it, end);
  if (it < end && *it == '}') {
    ++it;
  } else {
    for (;;) {
      envelope_member member{};
      if (it >= end || *it != '"' || !read_member_name(it, ctx, member)) return parse_error;
      skip_whitespace(it, end);
      if (it >= end || *it != ':') return parse_error;
      ++it;
      skip_whitespace(it, end);
      if (it >= end) return parse_error;
      const char* value = it;
      if (member == envelope_member::params) {
        // A repeated "params" replaces the earlier one, which nothing else would then check.
        if (!env.params.empty() && !valid_json(env.params)) return parse_error;
        if (!skip_structure(it, end)) return parse_error;
        env.params = {value, static_cast<std::size_t>(it - value)};
      } else if (member == envelope_member::method && *it == '"' && read_plain_name(it, end, env.method)) {
        env.has_method = env.method_ok = true;
      } else {
        bool escaped = true;
        if (*it == '"') {
          scanned_string s;
          if (!scan_string(it, ctx, s)) return parse_error;
          escaped = s.escaped;
        } else {
          skip_value(it, ctx);
          if (ctx.failed()) return parse_error;
        }
        const std::string_view bytes(value, static_cast<std::size_t>(it - value));
        if (member == envelope_member::jsonrpc) {
          env.jsonrpc = bytes;
        } else if (member == envelope_member::method) {
          env.has_method = true;
          env.method_ok = bytes[0] == '"' && !escaped;
          env.method = env.method_ok ? bytes.substr(1, bytes.size() - 2) : std::string_view{};
        } else if (member == envelope_member::id) {
          env.id = bytes;
          env.has_id = true;
        }
      }
      skip_whitespace(it, end);
      if (it < end && *it == ',') {
        ++it;
        skip_whitespace(it, end);
        continue;
      }
      if (it < end && *it == '}') {
        ++it;
        break;
      }
      return parse_error;
    }
  }
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
