#pragma once
// What an endpoint returns: a value, an error with a kind, or a non-JSON response form.
// One table maps each error kind to an HTTP status and a JSON-RPC code, for every transport.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace sb {

enum class error_kind : std::uint8_t {
  none,
  invalid_argument,   // the caller's input is wrong (bad JSON, bad parameter, user error)
  unauthorized,       // no or bad credentials
  forbidden,          // credentials fine, permission missing
  not_found,          // no such endpoint or resource
  method_not_allowed, // the endpoint exists but not for this HTTP method
  conflict,
  payload_too_large,
  unsupported_media_type,
  too_many_requests,
  timeout,
  unprocessable,      // well-formed input whose result cannot be expressed (a sum that overflows to infinity)
  unavailable,        // the server cannot take the call now (overloaded or stopping); try again later
  internal,           // a bug or failure on the server side; details go to the log, not the client
};

struct error_kind_info {
  std::string_view name;  // on the wire: {"error":{"kind":"invalid_argument",...}}
  int http_status;
  int jsonrpc_code;
};

// The single mapping used by every transport.
constexpr error_kind_info describe(error_kind kind) {
  switch (kind) {
    case error_kind::none: return {"none", 200, 0};
    case error_kind::invalid_argument: return {"invalid_argument", 400, -32602};
    case error_kind::unauthorized: return {"unauthorized", 401, -32001};
    case error_kind::forbidden: return {"forbidden", 403, -32003};
    case error_kind::not_found: return {"not_found", 404, -32601};
    case error_kind::method_not_allowed: return {"method_not_allowed", 405, -32601};
    case error_kind::conflict: return {"conflict", 409, -32009};
    case error_kind::payload_too_large: return {"payload_too_large", 413, -32600};
    case error_kind::unsupported_media_type: return {"unsupported_media_type", 415, -32600};
    case error_kind::too_many_requests: return {"too_many_requests", 429, -32029};
    case error_kind::timeout: return {"timeout", 408, -32008};
    case error_kind::unprocessable: return {"unprocessable", 422, -32022};
    case error_kind::unavailable: return {"unavailable", 503, -32053};
    case error_kind::internal: return {"internal", 500, -32603};
  }
  return {"internal", 500, -32603};
}
constexpr int http_status(error_kind kind) { return describe(kind).http_status; }
constexpr int jsonrpc_code(error_kind kind) { return describe(kind).jsonrpc_code; }
constexpr std::string_view kind_name(error_kind kind) { return describe(kind).name; }

struct error {
  error_kind kind = error_kind::internal;
  std::string message;
  std::string details;  // optional JSON text, sent as "details"
};

inline error invalid_argument(std::string message) { return {error_kind::invalid_argument, std::move(message), {}}; }
inline error unauthorized(std::string message) { return {error_kind::unauthorized, std::move(message), {}}; }
inline error forbidden(std::string message) { return {error_kind::forbidden, std::move(message), {}}; }
inline error not_found(std::string message) { return {error_kind::not_found, std::move(message), {}}; }
inline error conflict(std::string message) { return {error_kind::conflict, std::move(message), {}}; }
inline error too_many_requests(std::string message) { return {error_kind::too_many_requests, std::move(message), {}}; }
inline error timeout(std::string message) { return {error_kind::timeout, std::move(message), {}}; }
inline error unprocessable(std::string message) { return {error_kind::unprocessable, std::move(message), {}}; }
inline error unavailable(std::string message) { return {error_kind::unavailable, std::move(message), {}}; }
inline error internal(std::string message) { return {error_kind::internal, std::move(message), {}}; }

// Response forms other than JSON. Over JSON-RPC they arrive as a JSON string of their body.
struct html {
  std::string body;
};
struct text {
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};
struct binary {
  std::string bytes;
  std::string content_type = "application/octet-stream";
  std::string filename;  // non-empty: sent as a download (Content-Disposition: attachment)
};
struct redirect {
  std::string location;
  int status = 302;  // 301, 302, 307 or 308
};
// Bytes sent as they are (no JSON encoding), e.g. pre-rendered JSON or CSV.
struct raw_body {
  std::string bytes;
  std::string content_type = "application/json";
};

using background_task = std::function<void()>;

namespace detail {
// The background tasks a result carries: `.task(f)` schedules f to run after the response is sent.
template <class Result>
class with_tasks {
 public:
  Result&& task(background_task f) && {
    tasks_.push_back(std::move(f));
    return static_cast<Result&&>(*this);
  }
  Result& task(background_task f) & {
    tasks_.push_back(std::move(f));
    return static_cast<Result&>(*this);
  }
  std::vector<background_task>& tasks() { return tasks_; }

 private:
  std::vector<background_task> tasks_;
};
}  // namespace detail

// A value or an error, and optionally background tasks (`.task(f)`).
template <class T>
class result : public detail::with_tasks<result<T>> {
 public:
  result(T value) : state_(std::move(value)) {}  // NOLINT: implicit, so `return value;` works
  result(sb::error e) : state_(std::move(e)) {}  // NOLINT
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, sb::error> &&
             !std::is_same_v<std::decay_t<U>, result>)
  result(U&& value) : state_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  const sb::error& error() const { return std::get<1>(state_); }
  sb::error& error() { return std::get<1>(state_); }


 private:
  std::variant<T, sb::error> state_;
};

template <>
class result<void> : public detail::with_tasks<result<void>> {
 public:
  result() = default;
  result(sb::error e) : error_(std::move(e)) {}  // NOLINT

  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const sb::error& error() const { return *error_; }
  sb::error& error() { return *error_; }


 private:
  std::optional<sb::error> error_;
};

// `return sb::ok();` from a result<void> function.
inline result<void> ok() { return {}; }

}  // namespace sb
