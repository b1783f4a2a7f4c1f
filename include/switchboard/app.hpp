#pragma once
// sb::app<Modules...>: the modules' state, one compile-time table over "<module>.<endpoint>", and
// the in-process entry points every transport uses (call by name, JSON-RPC, describe, lifecycle).

#include <switchboard/bind.hpp>
#include <switchboard/cache.hpp>
#include <switchboard/context.hpp>
#include <switchboard/endpoint.hpp>
#include <switchboard/invoke.hpp>
#include <switchboard/json/schema.hpp>
#include <switchboard/local_bus.hpp>
#include <switchboard/protocol/jsonrpc.hpp>
#include <switchboard/protocol/openapi.hpp>
#include <switchboard/protocol/typescript.hpp>
#include <switchboard/log.hpp>
#include <switchboard/module.hpp>
#include <switchboard/serve.hpp>
#include <switchboard/task_pool.hpp>
#include <switchboard/version.hpp>
#include <switchboard/ws_handler.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace sb {

struct app_options {
  bool expose_exception_messages = false;  // by default what() goes to the log, not to the client
  // The deadline of every call without sb::timeout_ms (streams have none); zero for no deadline.
  std::chrono::milliseconds call_timeout{30000};
  std::size_t task_threads = 2;
  std::size_t task_queue = 1024;  // sb::timeout_ms calls beyond it are refused (unavailable, 503)
  // A streaming endpoint called without a stream (HTTP /api, JSON-RPC) collects its values into an
  // array, at most this many bytes; past it the call fails (payload_too_large).
  std::size_t max_collected_bytes = 1 << 20;
  // After SIGINT/SIGTERM, how long in-flight calls may run on; then the process exits (code 1).
  // Zero or anything beyond a day: no limit.
  std::chrono::milliseconds stop_grace{10000};
  // The bus that channels and direct sends go through: one shared by several instances (Redis), or
  // null for the app's own in-process one. It must outlive the app.
  sb::bus* bus = nullptr;
  // Admits a WebSocket connection with this session to a "private-" channel; none admits nobody.
  std::function<bool(const session&, std::string_view channel)> channel_guard{};
};

struct endpoint_entry {
  std::string_view module;
  std::string_view name;
  std::string_view full_name;
  methods allowed;
  bool hidden;
  bool internal;
  bool streams;
  // A coroutine (sb::task) that streams: run where its pauses can hold no thread (sb::server's
  // I/O loop) rather than on a thread of its own. Serialized modules' ones are not: a lock is held
  // by a thread.
  bool suspends;
  bool uses_session;
  bool hooked;        // has before or after hooks of its own
  bool hard_timeout;  // sb::timeout_ms
  bool cached;
  std::size_t cache_entries;
  std::uint32_t cache_ttl_s;
  void* invoke;  // detail::endpoint_invoker<...>::invoke, typed by the app
  void (*describe)(json::schema_builder&, std::string&);
};

template <class... Modules>
class app final {
  static_assert(sizeof...(Modules) > 0, "switchboard: sb::app needs at least one module");
  static_assert((detail::check_module<Modules>() && ...));

 public:
  template <class M>
  static constexpr bool has_module = (std::is_same_v<M, Modules> || ...);
  template <class P>
  static constexpr bool injected = detail::is_injected<P, Modules...>();
  template <class Params>
  using plan = detail::parameter_plan<Params, Modules...>;

  using invoke_fn = void (*)(app&, const detail::call_input&, context&, response&);

  explicit app(app_options options = {}) : options_(options), tasks_(options.task_threads, options.task_queue) {
    for (std::size_t i = 0; i < table.size(); ++i)
      if (table[i].cached)
        caches_[i] = std::make_unique<response_cache>(table[i].cache_entries, std::chrono::seconds(table[i].cache_ttl_s));
  }
  app(const app&) = delete;
  app& operator=(const app&) = delete;
  ~app() { tasks_.stop(); }

  template <class M>
    requires has_module<M>
  M& module() {
    return std::get<M>(modules_);
  }

  // ---- the table ----
 private:
  template <class M, std::size_t Field>
  static void describe_endpoint(json::schema_builder& schemas, std::string& out) {
    using invoker = detail::endpoint_invoker<app, M, Field>;
    if constexpr (invoker::valid) detail::describe_endpoint<invoker>(schemas, out);
  }

  template <class M, std::size_t Field>
  static constexpr endpoint_entry make_entry() {
    using invoker = detail::endpoint_invoker<app, M, Field>;
    using traits = typename invoker::traits;
    return {detail::module_name<M>(),
            detail::endpoint_name<M, Field>,
            invoker::full_name,
            traits::allowed,
            traits::is_hidden,
            traits::is_internal,
            invoker::streams,
            invoker::streams && detail::is_task<typename invoker::R> && !detail::serialized_module<M>,
            invoker::uses_session,
            invoker::has_endpoint_hooks(),
            traits::has_timeout,
            traits::cached,
            traits::cache_options.max_entries,
            traits::cache_options.ttl_s,
            nullptr,
            &describe_endpoint<M, Field>};
  }
  template <class M>
  static constexpr auto module_entries() {
    constexpr auto fields = detail::endpoint_fields<M>();
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<endpoint_entry, sizeof...(I)>{make_entry<M, fields[I]>()...};
    }(std::make_index_sequence<fields.size()>{});
  }
  template <class M>
  static constexpr auto module_invokers() {
    constexpr auto fields = detail::endpoint_fields<M>();
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<invoke_fn, sizeof...(I)>{&detail::endpoint_invoker<app, M, fields[I]>::invoke...};
    }(std::make_index_sequence<fields.size()>{});
  }
  static constexpr std::size_t endpoint_total = (detail::endpoint_count<Modules>() + ...);

  struct sorted_table {
    std::array<endpoint_entry, endpoint_total> entries;
    std::array<invoke_fn, endpoint_total> invokers;
  };
  static constexpr sorted_table build_table() {
    std::array<endpoint_entry, endpoint_total> entries{};
    std::array<invoke_fn, endpoint_total> invokers{};
    std::size_t next = 0;
    (
        [&] {
          for (const auto& e : module_entries<Modules>()) entries[next++] = e;
        }(),
        ...);
    next = 0;
    (
        [&] {
          for (auto f : module_invokers<Modules>()) invokers[next++] = f;
        }(),
        ...);
    std::array<std::size_t, endpoint_total> order{};
    for (std::size_t i = 0; i < endpoint_total; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return less(entries[a], entries[b]); });
    sorted_table sorted{};
    for (std::size_t i = 0; i < endpoint_total; ++i) {
      sorted.entries[i] = entries[order[i]];
      sorted.invokers[i] = invokers[order[i]];
    }
    return sorted;
  }
  static constexpr bool less(const endpoint_entry& a, const endpoint_entry& b) {
    return a.module != b.module ? a.module < b.module : a.name < b.name;
  }
  static constexpr sorted_table sorted = build_table();

  // Open addressing with linear probing, at most half full; slot values are table index + 1.
  static constexpr std::size_t slot_count = std::bit_ceil(endpoint_total * 2);
  struct lookup_table {
    std::size_t mask;
    std::array<std::uint32_t, slot_count> slots;
  };
  static constexpr lookup_table build_lookup() {
    lookup_table built{slot_count - 1, {}};
    for (std::size_t i = 0; i < endpoint_total; ++i) {
      std::size_t slot = detail::name_hash(sorted.entries[i].module, sorted.entries[i].name) & built.mask;
      while (built.slots[slot] != 0) slot = (slot + 1) & built.mask;
      built.slots[slot] = static_cast<std::uint32_t>(i + 1);
    }
    return built;
  }
  static constexpr lookup_table lookup = build_lookup();

  // A duplicate full name is a compile error whose template arguments name both modules.
  struct duplicate_info {
    bool found = false;
    std::size_t first_module = 0;
    std::size_t second_module = 0;
    std::size_t entry = 0;
  };
  static constexpr duplicate_info find_duplicate() {
    std::array<std::size_t, endpoint_total> module_of{};
    std::size_t next = 0;
    std::size_t module_index = 0;
    ((
         [&] {
           for (std::size_t i = 0; i < detail::endpoint_count<Modules>(); ++i) module_of[next++] = module_index;
           ++module_index;
         }()),
     ...);
    const auto all = [] {
      std::array<endpoint_entry, endpoint_total> entries{};
      std::size_t n = 0;
      ((
           [&] {
             for (const auto& e : module_entries<Modules>()) entries[n++] = e;
           }()),
       ...);
      return entries;
    }();
    for (std::size_t i = 0; i < endpoint_total; ++i)
      for (std::size_t j = i + 1; j < endpoint_total; ++j)
        if (all[i].module == all[j].module && all[i].name == all[j].name) return {true, module_of[i], module_of[j], i};
    return {};
  }
  static constexpr duplicate_info duplicate = find_duplicate();
  template <std::size_t I>
  using nth_module = std::tuple_element_t<I, std::tuple<Modules...>>;
  static constexpr bool names_unique() {
    if constexpr (duplicate.found) {
      constexpr auto all = module_entries<nth_module<duplicate.first_module>>();
      constexpr std::string_view clash = [&] {
        for (const auto& e : all)
          if (e.name == find_duplicate_name()) return e.full_name;
        return std::string_view{};
      }();
      return detail::duplicate_endpoint<nth_module<duplicate.first_module>, nth_module<duplicate.second_module>,
                                        detail::fixed_string<clash.size()>(clash)>();
    } else {
      return true;
    }
  }
  static constexpr std::string_view find_duplicate_name() {
    std::size_t n = 0;
    std::string_view name;
    ((
         [&] {
           for (const auto& e : module_entries<Modules>()) {
             if (n++ == duplicate.entry) name = e.name;
           }
         }()),
     ...);
    return name;
  }
  static_assert(names_unique());

 public:
  static constexpr const auto& table = sorted.entries;

  // One hash of (module, endpoint), then a length check and a compare per probe; allocates nothing.
  static std::size_t find(std::string_view module, std::string_view name) {
    std::size_t slot = detail::name_hash(module, name) & lookup.mask;
    for (;;) {
      const std::size_t at = lookup.slots[slot];
      if (at == 0) return npos;
      const auto& e = table[at - 1];
      if (e.module.size() == module.size() && e.name.size() == name.size() &&
          json::detail::same_bytes(e.name.data(), name.data(), name.size()) &&
          json::detail::same_bytes(e.module.data(), module.data(), module.size()))
        return at - 1;
      slot = (slot + 1) & lookup.mask;
    }
  }
  static std::size_t find(std::string_view full_name) {
    const std::size_t dot = full_name.find('.');
    if (dot == std::string_view::npos) return npos;
    return find(full_name.substr(0, dot), full_name.substr(dot + 1));
  }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  static constexpr std::size_t size() { return endpoint_total; }

  // ---- WebSocket handlers ----

  struct ws_route {
    std::string_view path;  // "/ws/<module>/<member>"
    bool (*reserved)(app&, detail::ws_reserved, context&, response&);
    bool (*event)(app&, std::string_view name, std::string_view data, context&, response&);
  };

 private:
  template <class M>
  static constexpr auto module_ws_routes() {
    constexpr auto fields = detail::ws_fields<M>();
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<ws_route, sizeof...(I)>{ws_route{
          detail::ws_path_storage<M, fields[I]>.view(),
          &detail::ws_handler_invoker<app, typename boost::pfr::tuple_element_t<fields[I], M>::handler>::reserved,
          &detail::ws_handler_invoker<app, typename boost::pfr::tuple_element_t<fields[I], M>::handler>::event}...};
    }(std::make_index_sequence<fields.size()>{});
  }
  static constexpr std::size_t ws_total = (detail::ws_count<Modules>() + ...);
  static constexpr std::array<ws_route, ws_total> build_ws_routes() {
    std::array<ws_route, ws_total> routes{};
    std::size_t next = 0;
    (
        [&] {
          for (const auto& r : module_ws_routes<Modules>()) routes[next++] = r;
        }(),
        ...);
    return routes;
  }

 public:
  static constexpr std::array<ws_route, ws_total> ws_routes = build_ws_routes();
  // The handler serving `path`, or null.
  static const ws_route* find_ws(std::string_view path) {
    for (const auto& r : ws_routes)
      if (r.path == path) return &r;
    return nullptr;
  }

  // ---- calls ----

  // Calls "<module>.<endpoint>" with JSON parameters (array, object, or empty).
  void call(std::string_view full_name, std::string_view json_params, response& out, context& ctx) {
    out.clear();
    const std::size_t index = find(full_name);
    if (index == npos) return fail_unknown(full_name, out);
    sorted.invokers[index](*this, {json_params, {}, false}, ctx, out);
  }
  void call(std::string_view full_name, std::string_view json_params, response& out) {
    context ctx;
    ctx.bus = &bus();
    call(full_name, json_params, out, ctx);
  }
  // Calls table entry `index` (from find) with JSON parameters or with name=value fields.
  void call_at(std::size_t index, const detail::call_input& in, response& out, context& ctx) {
    out.clear();
    sorted.invokers[index](*this, in, ctx, out);
  }

  // JSON-RPC 2.0: request bytes in, response bytes out (left empty when no response is due).
  // `extra`: methods the transport answers beside the endpoints (MCP's, on stdio).
  void handle_jsonrpc(std::string_view request, std::string& out, context& ctx, detail::rpc_extension* extra = nullptr) {
    detail::jsonrpc_handler<app>::handle(*this, request, out, ctx, extra);
  }
  void handle_jsonrpc(std::string_view request, std::string& out) {
    context ctx;
    ctx.bus = &bus();
    handle_jsonrpc(request, out, ctx);
  }

  // ---- describe ----

  // Modules, versions, endpoints, allowed methods and the JSON Schema of parameters and results.
  std::string describe() const {
    json::schema_builder schemas;
    std::string out = R"({"name":"switchboard","version":")";
    out += version_string;
    out += R"(","modules":[)";
    bool first_module = true;
    (
        [&] {
          using M = Modules;
          if (!first_module) out += ',';
          first_module = false;
          out += R"({"name":)";
          json::write(detail::module_name<M>(), out);
          if constexpr (detail::versioned_module<M>) {
            out += R"(,"version":)";
            json::write(detail::module_version<M>(), out);
          }
          out += R"(,"endpoints":[)";
          bool first = true;
          constexpr std::string_view module = detail::module_name<M>();
          for (const auto& e : table) {
            // Not operator==: g++ 12 at -O1 takes the constant name for a 1-byte array (-Wstringop-overread).
            const bool ours = e.module.size() == module.size() &&
                              json::detail::same_bytes(e.module.data(), module.data(), module.size());
            if (!ours || e.hidden || e.internal) continue;
            if (!first) out += ',';
            first = false;
            e.describe(schemas, out);
          }
          out += "]}";
        }(),
        ...);
    out += ']';
    schemas.append_defs(out);
    out += '}';
    return out;
  }

  // OpenAPI 3.1 (protocol/openapi.hpp) and TypeScript declarations (protocol/typescript.hpp) of the
  // same endpoints, derived from describe().
  std::string openapi() const { return openapi_document(describe()); }
  std::string typescript() const { return typescript_declarations(describe()); }

  // ---- hooks ----

  using before_hook = std::function<result<void>(call_info&)>;
  using after_hook = std::function<void(const call_info&, const response&, std::chrono::nanoseconds)>;
  // Global hooks run around every call, before the endpoint's own; register them before serving.
  void before(before_hook hook) { before_hooks_.push_back(std::move(hook)); }
  void after(after_hook hook) { after_hooks_.push_back(std::move(hook)); }
  bool has_global_hooks() const { return !before_hooks_.empty() || !after_hooks_.empty(); }
  bool run_before_hooks(call_info& info, response& out) {
    for (auto& hook : before_hooks_) {
      auto verdict = hook(info);
      if (!verdict.ok()) {
        out.fail(verdict.error().kind, std::move(verdict.error().message));
        return false;
      }
    }
    return true;
  }
  void run_after_hooks(const call_info& info, const response& out, std::chrono::nanoseconds took) {
    for (auto& hook : after_hooks_) hook(info, out, took);
  }

  // ---- lifecycle ----

  // Runs each module's on_start() in declaration order; on failure the started ones are stopped in
  // reverse order and false is returned with the reason in `why`.
  bool start(std::string* why = nullptr) {
    std::string reason;
    bool ok = true;
    std::size_t started = 0;
    (
        [&] {
          if (!ok) return;
          if (!detail::start_module(std::get<Modules>(modules_), detail::module_name<Modules>(), reason)) {
            ok = false;
            return;
          }
          ++started;
        }(),
        ...);
    if (!ok) {
      stop_first(started);
      log().write(log_level::error, reason);
      if (why) *why = reason;
      return false;
    }
    running_ = true;
    return true;
  }

  // Runs each module's on_stop() in reverse declaration order and waits for background tasks.
  void stop() {
    if (!running_) return;
    running_ = false;
    tasks_.stop();
    stop_first(sizeof...(Modules));
    stopping_ = false;
  }

  // ---- background tasks, caches, errors ----

  task_pool& tasks() { return tasks_; }
  void run_tasks(response& out) {
    for (auto& task : out.tasks) tasks_.submit(std::move(task));
    out.tasks.clear();
  }
  response_cache* cache_for(std::string_view full_name) {
    const std::size_t index = find(full_name);
    return index == npos ? nullptr : caches_[index].get();
  }
  cache_stats cache_statistics(std::string_view full_name) {
    response_cache* cache = cache_for(full_name);
    return cache ? cache->stats() : cache_stats{};
  }
  std::chrono::milliseconds call_timeout() const { return options_.call_timeout; }
  std::size_t max_collected_bytes() const { return options_.max_collected_bytes; }
  std::chrono::milliseconds stop_grace() const { return options_.stop_grace; }
  // Once a stop is requested, calls not yet started are abandoned and new ones refused.
  void begin_stopping() {
    stopping_ = true;
    tasks_.abandon_calls();
  }
  bool stopping() const { return stopping_; }
  const std::atomic<bool>& stopping_flag() const { return stopping_; }
  // A call that returns after its deadline: the caller gets the timeout error, not the late result.
  void report_late(std::string_view endpoint, std::chrono::steady_clock::duration took, response& out) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    std::string text = std::string(endpoint) + " answered after " +
                       std::to_string(duration_cast<milliseconds>(took).count()) + " ms, past its deadline of " +
                       std::to_string(options_.call_timeout.count()) + " ms; its result was discarded";
    log().write(log_level::warning, text);
    out.fail(error_kind::timeout, std::move(text));
    out.details.clear();
  }
  void report_exception(std::string_view endpoint, std::string_view what, response& out) {
    log().write(log_level::error, std::string(endpoint) + " threw: " + std::string(what));
    out.fail(error_kind::internal,
             options_.expose_exception_messages ? std::string(what) : "internal error in " + std::string(endpoint));
  }
  template <class M>
  std::mutex& module_mutex() {
    return module_mutexes_[index_of<M>()];
  }

  // ---- the bus ----

  sb::bus& bus() { return options_.bus ? *options_.bus : own_bus_; }
  // Whether a connection with this session may join `channel` (see sb::connection::subscribe).
  result<void> admits(const session& who, std::string_view channel) const {
    if (channel.starts_with("sb."))
      return forbidden("channels named sb.* are the framework's own: \"" + std::string(channel.substr(0, 128)) + "\"");
    if (!is_private_channel(channel)) return {};
    if (options_.channel_guard && options_.channel_guard(who, channel)) return {};
    return forbidden("the channel guard did not admit this session to \"" + std::string(channel.substr(0, 128)) + "\"");
  }

  // ---- serving ----

  // Starts the modules, runs every transport until SIGINT/SIGTERM (or until one ends, like stdio at
  // EOF), then stops them, runs the modules' on_stop() and returns the process exit code.
  template <class... Transports>
  int serve(Transports&&... transports) {
    return detail::serve_all(*this, std::forward<Transports>(transports)...);
  }

 private:
  static void fail_unknown(std::string_view full_name, response& out) {
    out.fail(error_kind::not_found, "no endpoint named \"" + std::string(full_name.substr(0, 128)) + "\"");
  }

  // Stops the first `count` modules, last first.
  void stop_first(std::size_t count) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      constexpr std::size_t n = sizeof...(I);
      ((n - 1 - I < count ? detail::stop_module(std::get<n - 1 - I>(modules_), detail::module_name<nth_module<n - 1 - I>>())
                          : void()),
       ...);
    }(std::index_sequence_for<Modules...>{});
  }

  template <class M>
  static constexpr std::size_t index_of() {
    std::size_t index = 0;
    std::size_t i = 0;
    ((std::is_same_v<M, Modules> ? (index = i, ++i) : ++i), ...);
    return index;
  }

  app_options options_;
  std::tuple<Modules...> modules_{};
  std::array<std::unique_ptr<response_cache>, endpoint_total> caches_{};
  std::array<std::mutex, sizeof...(Modules)> module_mutexes_{};
  task_pool tasks_;
  std::vector<before_hook> before_hooks_;
  std::vector<after_hook> after_hooks_;
  bool running_ = false;
  std::atomic<bool> stopping_{false};
  local_bus own_bus_;
};

}  // namespace sb
