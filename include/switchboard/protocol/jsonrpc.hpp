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
  json::write_text(message, out);
  if (detail) {
    out += R"(,"data":{"kind":")";
    out += kind_name(detail->error);
    out += '"';
    if (detail_message) {  // the code's standard message is generic: keep the specific one here
      out += R"(,"message":)";
      json::write_text(detail->message, out);
    }
    if (!detail->where.empty()) {
      out += R"(,"where":)";
      json::write_text(detail->where, out);
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

// One value of a streaming call, before the call's own answer: a notification naming the call.
inline void append_rpc_stream_notification(std::string& out, std::string_view id, std::string_view event,
                                           std::string_view json_value) {
  out += R"({"jsonrpc":"2.0","method":"stream","params":{"id":)";
  out += id;
  if (!event.empty()) {
    out += R"(,"event":)";
    json::write(event, out);
  }
  out += R"(,"value":)";
  out += json_value;
  out += "}}";
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

inline constexpr int params_open = 1;  // scan_members stopped at the parameters (see below)

// The members of a request object from `it`: after its '{' (or, with `after_value`, after a member's
// value) to the end of the text. "jsonrpc", "method", "id" and unknown members are validated,
// "params" is only delimited (see skip_structure; params_valid checks it where nothing else will).
// With `open_at`, the scan stops at "params" when the method is already known and the value is an
// array or object: *open_at is its first byte and the result is params_open. Otherwise 0 when the
// object is well-formed and ends the text, else parse_error.
inline int scan_members(const char*& it, json::detail::read_context& ctx, jsonrpc_envelope& env, bool after_value,
                        const char** open_at) {
  using namespace json::detail;
  const char* end = ctx.end;
  if (!after_value) {
    skip_whitespace(it, end);
    if (it < end && *it == '}') {
      ++it;
      skip_whitespace(it, end);
      return it == end ? 0 : parse_error;
    }
  }
  for (bool first = !after_value;; first = false) {
    if (!first) {
      skip_whitespace(it, end);
      if (it < end && *it == '}') {
        ++it;
        skip_whitespace(it, end);
        return it == end ? 0 : parse_error;
      }
      if (it >= end || *it != ',') return parse_error;
      ++it;
      skip_whitespace(it, end);
    }
    envelope_member member{};
    if (it >= end || *it != '"' || !read_member_name(it, ctx, member)) return parse_error;
    skip_whitespace(it, end);
    if (it >= end || *it != ':') return parse_error;
    ++it;
    skip_whitespace(it, end);
    if (it >= end) return parse_error;
    const char* value = it;
    if (member == envelope_member::params) {
      if (open_at && env.method_ok && env.params.empty() && (*it == '[' || *it == '{')) {
        *open_at = it;
        return params_open;
      }
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
  }
}

// A request object in one pass (see scan_members). 0 when `text` is an object (or params_open, with
// open_at), else the JSON-RPC error code (invalid JSON: parse error; valid JSON but not an object:
// invalid request).
inline int scan_envelope(std::string_view text, jsonrpc_envelope& env, const char** open_at = nullptr) {
  json::detail::read_context ctx(text.data(), text.data() + text.size(), false, {});
  const char* it = text.data();
  json::detail::skip_whitespace(it, ctx.end);
  if (it == ctx.end) return parse_error;
  if (*it != '{') return valid_json(text) ? invalid_request : parse_error;
  ctx.depth = 1;
  ++it;
  return scan_members(it, ctx, env, false, open_at);
}

// After scan_envelope stopped at the parameters [params, params_end), which the binder has read:
// the rest of the request. 0 when the whole request is well-formed.
inline int finish_envelope(std::string_view text, jsonrpc_envelope& env, const char* params, const char* params_end) {
  json::detail::read_context ctx(text.data(), text.data() + text.size(), false, {});
  ctx.depth = 1;
  env.params = {params, static_cast<std::size_t>(params_end - params)};
  const char* it = params_end;
  const int code = scan_members(it, ctx, env, true, nullptr);
  // A second "params" would replace the bound one: the general path binds and checks the last.
  return code == 0 && env.params.data() != params ? parse_error : code;
}

// An id must be a string, a number or null.
inline bool valid_id(const jsonrpc_envelope& env) {
  if (!env.has_id) return true;
  const char first = env.id[0];
  return first == '"' || first == '-' || (first >= '0' && first <= '9') || env.id == "null";
}

// What a request needs, besides being JSON, to be a call: version, method, id and parameter kinds.
inline bool well_formed_call(const jsonrpc_envelope& env) {
  return valid_id(env) && env.jsonrpc == R"("2.0")" && env.method_ok &&
         (env.params.empty() || env.params[0] == '[' || env.params[0] == '{');
}

// The values of one streaming call as notifications naming it, on every transport: its id is read
// from the request when the first value comes, so calls that do not stream never pay for it.
class rpc_stream_notifier {
 public:
  explicit rpc_stream_notifier(std::string_view request) : request_(request) {}
  // The notification for one value in `out`; false for a call without an id (a notification),
  // which has nobody to stream to.
  bool format(std::string& out, std::string_view event, std::string_view json_value) {
    if (!probed_) {
      probed_ = true;
      jsonrpc_envelope envelope;
      if (scan_envelope(request_, envelope) == 0 && envelope.has_id) id_ = envelope.id;
    }
    if (id_.empty()) return false;
    out.clear();
    append_rpc_stream_notification(out, id_, event, json_value);
    return true;
  }

 private:
  std::string_view request_;
  std::string_view id_;
  bool probed_ = false;
};

// Methods a transport answers beside the endpoints (MCP's, over stdio). Asked only about a method
// that names no endpoint, so calls to endpoints pay nothing for it.
class rpc_extension {
 public:
  virtual bool owns(std::string_view method) const = 0;
  // Answers in `out` (nothing for a notification); the parameters are valid JSON.
  virtual void handle(const jsonrpc_envelope& call, std::string& out, context& ctx) = 0;

 protected:
  ~rpc_extension() = default;
};

template <class App>
struct jsonrpc_handler {
  static void handle(App& app, std::string_view request, std::string& out, context& ctx, rpc_extension* extra = nullptr) {
    out.clear();
    const char* it = request.data();
    const char* end = it + request.size();
    json::detail::skip_whitespace(it, end);
    if (it == end || *it != '[') return single(app, request, out, ctx, extra);
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
    scratch<std::string> one;
    json::detail::read_array(it, walk, [&](std::size_t) {
      const char* start = it;
      json::detail::skip_value(it, walk);
      one->clear();
      single(app, {start, static_cast<std::size_t>(it - start)}, *one, ctx, extra);
      ++elements;
      if (!one->empty()) {
        if (answered++ != 0) out += ',';
        out += *one;
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

  static void single(App& app, std::string_view text, std::string& out, context& ctx, rpc_extension* extra) {
    jsonrpc_envelope envelope;
    const char* open = nullptr;
    int code = scan_envelope(text, envelope, app.has_global_hooks() ? nullptr : &open);
    if (code == params_open) {
      if (single_pass(app, text, open, envelope, out, ctx)) return;
      envelope = {};
      code = scan_envelope(text, envelope);
    }
    if (code != 0) return write_rpc_error(out, code, code == parse_error ? "Parse error" : "Invalid Request", {});
    const std::string_view params = envelope.params;
    // The envelope only delimited the parameters; any answer but a bound call checks them first,
    // since invalid JSON anywhere in the request is a parse error.
    if (!valid_id(envelope)) return fail(out, params, invalid_request, "Invalid Request", {});
    if (!well_formed_call(envelope)) return fail(out, params, invalid_request, "Invalid Request", envelope.id);
    const std::size_t index = App::find(envelope.method);
    if (index == App::npos && extra && extra->owns(envelope.method)) {
      if (!params_valid(params)) return write_rpc_error(out, parse_error, "Parse error", {});
      return extra->handle(envelope, out, ctx);
    }
    if (index == App::npos || App::table[index].internal) {
      if (envelope.has_id || !params_valid(params)) fail(out, params, method_not_found, "Method not found", envelope.id);
      return;
    }
    // Hooks see the parameters before the binder does: give them valid JSON or nothing.
    if ((app.has_global_hooks() || App::table[index].hooked) && !params_valid(params))
      return write_rpc_error(out, parse_error, "Parse error", {});
    scratch<response> result;
    app.call_at(index, {params, {}, false}, *result, ctx);
    answer(app, envelope, *result, out);
  }

  // The common request, method before parameters, in one pass: the binder reads the parameters
  // where they stand and the rest of the request is checked before the call runs. False, with
  // nothing run, when the request needs the general path (no such endpoint, hooks, sb::timeout_ms,
  // a binding error, or anything unusual after the parameters).
  static bool single_pass(App& app, std::string_view text, const char* params, jsonrpc_envelope& envelope,
                          std::string& out, context& ctx) {
    const std::size_t index = App::find(envelope.method);
    if (index == App::npos) return false;
    const auto& entry = App::table[index];
    if (entry.internal || entry.hooked || entry.hard_timeout) return false;
    struct rest_of_request {
      std::string_view text;
      const char* params;
      jsonrpc_envelope& envelope;
      const char* method;  // a later "method" would name another endpoint: the general path decides
      bool callable = false;
    } rest{text, params, envelope, envelope.method.data()};
    const auto check_rest = [](void* state, const char* params_end) {
      auto& r = *static_cast<rest_of_request*>(state);
      r.callable = finish_envelope(r.text, r.envelope, r.params, params_end) == 0 &&
                   r.envelope.method.data() == r.method && well_formed_call(r.envelope);
      return r.callable;
    };
    scratch<response> result;
    const std::string_view from_params(params, static_cast<std::size_t>(text.data() + text.size() - params));
    app.call_at(index, {from_params, {}, false, +check_rest, &rest}, *result, ctx);
    if (!rest.callable) return false;
    answer(app, envelope, *result, out);
    return true;
  }

  // Writes the response to a call that ran (none for a notification that succeeded).
  static void answer(App& app, const jsonrpc_envelope& envelope, response& result, std::string& out) {
    if (!result.tasks.empty()) app.run_tasks(result);
    const bool notification = !envelope.has_id;
    if (result.ok()) {
      if (!notification) write_rpc_result(out, result, envelope.id);
      return;
    }
    if (notification) {
      if (!params_valid(envelope.params)) write_rpc_error(out, parse_error, "Parse error", {});
      return;
    }
    // Binding failures and internal errors use the specification's messages (the specific text goes
    // in data); an endpoint's own error keeps its message.
    const int code = jsonrpc_code(result.error);
    const bool binding = code == -32602 && !result.where.empty();
    const std::string_view message = binding            ? std::string_view("Invalid params")
                                     : code == -32603 ? std::string_view("Internal error")
                                                      : std::string_view(result.message);
    fail(out, envelope.params, code, message, envelope.id, &result, binding || code == -32603);
  }

  // An error answer; a parse error instead when the parameters, which nothing else checked, are not JSON.
  static void fail(std::string& out, std::string_view params, int code, std::string_view message, std::string_view id,
                   const response* detail = nullptr, bool detail_message = false) {
    if (!params_valid(params)) return write_rpc_error(out, parse_error, "Parse error", {});
    write_rpc_error(out, code, message, id, detail, detail_message);
  }
};

}  // namespace sb::detail
