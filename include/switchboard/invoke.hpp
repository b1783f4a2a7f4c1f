#pragma once
// The code generated for each endpoint: bind the parameters, inject the framework ones, run hooks,
// consult the cache, call the function, and turn what it returns into a response.

#include <switchboard/bind.hpp>
#include <switchboard/cache.hpp>
#include <switchboard/context.hpp>
#include <switchboard/endpoint.hpp>
#include <switchboard/json/schema.hpp>
#include <switchboard/log.hpp>
#include <switchboard/module.hpp>
#include <switchboard/result.hpp>
#include <switchboard/stream.hpp>
#include <switchboard/task.hpp>
#include <switchboard/task_pool.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace sb::detail {

// What a transport passes in: JSON parameters, or name=value fields (query string, form).
struct call_input {
  std::string_view json;
  std::span<const field> fields;
  bool from_fields = false;
  // JSON-RPC's single pass: `json` runs from the parameters to the end of the request, and once they
  // are bound, rest(rest_state, end of the parameters) checks the rest of the request; the call runs
  // only if it says yes. Left unset by every other caller.
  bool (*rest)(void*, const char*) = nullptr;
  void* rest_state = nullptr;
};

template <class T>
inline constexpr bool is_result = false;
template <class T>
inline constexpr bool is_result<result<T>> = true;

template <class T>
concept string_like = std::is_convertible_v<const T&, std::string_view>;

// Turns a returned value into the response body and form.
template <bool Raw, class R>
void deliver(R&& value, response& out) {
  using V = std::remove_cvref_t<R>;
  if constexpr (is_result<V>) {
    for (auto& task : value.tasks()) out.tasks.push_back(std::move(task));
    if (!value.ok()) {
      out.fail(value.error().kind, std::move(value.error().message));
      out.details = std::move(value.error().details);
      return;
    }
    if constexpr (!std::is_same_v<V, result<void>>) deliver<Raw>(std::move(value.value()), out);
    else out.body = "null";
  } else if constexpr (std::is_same_v<V, html>) {
    out.form = body_form::html;
    out.content_type = "text/html; charset=utf-8";
    out.body = std::move(value.body);
  } else if constexpr (std::is_same_v<V, text>) {
    out.form = body_form::text;
    out.content_type = std::move(value.content_type);
    out.body = std::move(value.body);
  } else if constexpr (std::is_same_v<V, binary>) {
    out.form = body_form::binary;
    out.content_type = std::move(value.content_type);
    out.filename = std::move(value.filename);
    out.body = std::move(value.bytes);
  } else if constexpr (std::is_same_v<V, redirect>) {
    out.form = body_form::redirect;
    out.redirect_status = value.status;
    out.body = std::move(value.location);
  } else if constexpr (std::is_same_v<V, raw_body>) {
    out.form = body_form::raw;
    out.content_type = std::move(value.content_type);
    out.body = std::move(value.bytes);
  } else if constexpr (Raw && string_like<V>) {
    out.form = body_form::raw;
    out.content_type = "text/plain; charset=utf-8";
    out.body.assign(std::string_view(value));
  } else {
    if (auto e = json::write(value, out.body)) {
      // Reachable from valid input (two finite numbers whose sum overflows): the caller's to see.
      if (e.code() == json::errc::not_representable)
        out.fail(error_kind::unprocessable, "the result has no JSON form: " + e.message(), "result");
      else
        out.fail(error_kind::internal, "the result could not be written as JSON: " + e.to_string());
    }
  }
}

template <class... Modules>
struct module_set {
  std::tuple<Modules...> instances;
};

// A user's sb::inject<T>::get returns T* (null: this call has none) or T& (always there).
template <class B>
auto* user_injected(context& ctx) {
  decltype(auto) got = inject<B>::get(ctx);
  if constexpr (std::is_pointer_v<std::remove_cvref_t<decltype(got)>>) return got;
  else return &got;
}

// Supplies one injected parameter, or null when this call has none to give.
template <class P, class App>
auto* injected_pointer(App& app, context& ctx) {
  using B = bare<P>;
  if constexpr (std::is_same_v<B, request>) return ctx.http;
  else if constexpr (std::is_same_v<B, session>) return ctx.session;
  else if constexpr (std::is_same_v<B, connection>) return ctx.connection;
  else if constexpr (std::is_same_v<B, context>) return &ctx;
  else if constexpr (std::is_same_v<B, bus>) return ctx.bus ? ctx.bus : &app.bus();
  else if constexpr (std::is_same_v<B, ws_message>) return ctx.message;
  else if constexpr (std::is_same_v<B, std::span<const upload>>) return ctx.http ? &ctx.http->files : nullptr;
  else if constexpr (App::template has_module<B>) return &app.template module<B>();
  else return user_injected<B>(ctx);
}

template <class B>
constexpr std::string_view injected_description() {
  if constexpr (std::is_same_v<B, request>) return "an HTTP request";
  else if constexpr (std::is_same_v<B, session>) return "a session";
  else if constexpr (std::is_same_v<B, connection>) return "a WebSocket connection";
  else if constexpr (std::is_same_v<B, ws_message>) return "a WebSocket handler's message";
  else if constexpr (std::is_same_v<B, std::span<const upload>>) return "an HTTP request (for uploads)";
  else return "a value from its sb::inject specialization";
}

inline std::string_view origin_name(origin o) {
  switch (o) {
    case origin::in_process: return "an in-process call";
    case origin::http: return "HTTP";
    case origin::sse: return "SSE";
    case origin::websocket: return "WebSocket";
    case origin::stdio: return "stdio";
  }
  return "this transport";
}

template <class P, bool Injected>
constexpr bool parameter_valid() {
  if constexpr (Injected) return !is_stream<bare<P>> || !std::is_reference_v<P>;
  else
    return (!std::is_lvalue_reference_v<P> || std::is_const_v<std::remove_reference_t<P>>) &&
           json::detail::readable<bare<P>>();
}

// The template arguments say which endpoint and which parameter a failed check is about.
template <auto Function, fixed_string Endpoint, std::size_t ParameterIndex, class Parameter, bool Injected>
constexpr bool check_parameter() {
  using P = Parameter;
  if constexpr (!Injected) {
    static_assert(!std::is_lvalue_reference_v<P> || std::is_const_v<std::remove_reference_t<P>>,
                  "switchboard: an endpoint parameter taken by non-const reference must be injectable "
                  "(sb::request, sb::session, sb::connection, sb::context, sb::bus, a module, or a type "
                  "with an sb::inject specialization); take parsed parameters by value or const&");
    static_assert(json::detail::readable<bare<P>>(),
                  "switchboard: an endpoint parameter type has no JSON form: make it an aggregate of "
                  "supported types, specialize sb::json::codec for it, or make it injectable");
  }
  if constexpr (is_stream<bare<P>>) {
    static_assert(!std::is_reference_v<P>, "switchboard: take sb::stream<T> by value");
  }
  return parameter_valid<P, Injected>();
}

template <class R>
struct result_value;

template <class V>
inline constexpr bool is_response_form = std::is_same_v<V, html> || std::is_same_v<V, text> ||
                                         std::is_same_v<V, binary> || std::is_same_v<V, redirect> ||
                                         std::is_same_v<V, raw_body>;

// What an endpoint answers is written as JSON unless it is a response form (or sb::raw); the template
// arguments say which endpoint a failure is about.
template <auto Function, fixed_string Endpoint, class Result, bool Raw>
constexpr bool result_valid() {
  using V = typename result_value<typename task_value<std::remove_cvref_t<Result>>::type>::type;
  if constexpr (std::is_void_v<V> || is_response_form<V> || Raw) return true;
  else return json::detail::writable<std::remove_cvref_t<V>>();
}
template <auto Function, fixed_string Endpoint, class Result, bool Raw>
constexpr bool check_result() {
  constexpr bool ok = result_valid<Function, Endpoint, Result, Raw>();
  static_assert(ok, "switchboard: an endpoint's result type has no JSON form: make it an aggregate of supported "
                    "types, specialize sb::json::codec for it, or return a response form (sb::html, sb::text, "
                    "sb::binary, sb::redirect)");
  return ok;
}

// A T reused across a thread's calls, one per level of nesting: a handler that calls back into the
// app (a nested call, a nested JSON-RPC request) gets its own, and warm calls allocate nothing.
// Scoped objects, so levels are taken and given back in stack order.
template <class T>
class scratch {
 public:
  scratch() : level_(depth()++) {
    if (level_ >= levels) own_ = std::make_unique<T>();  // nested deeper than expected: a fresh one
  }
  ~scratch() { --depth(); }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;

  T& operator*() { return own_ ? *own_ : slots()[level_]; }
  T* operator->() { return &**this; }

 private:
  static constexpr std::size_t levels = 8;
  static std::size_t& depth() {
    thread_local std::size_t level = 0;
    return level;
  }
  static std::array<T, levels>& slots() {
    thread_local std::array<T, levels> reused{};
    return reused;
  }

  std::size_t level_;
  std::unique_ptr<T> own_;
};

// What the shared call code needs to know of one endpoint at run time. Only `call` runs the
// endpoint's own function; everything else about a call is the same for every endpoint of a shape.
template <class App, class Bound, class R>
struct endpoint_ops {
  std::string_view full_name;
  std::string_view module;
  std::string_view endpoint;
  bool internal;
  bool cached;
  std::uint32_t hard_timeout_ms;  // sb::timeout_ms; 0 when the endpoint has none
  std::mutex& (*serial)(App&);    // a serialized module's mutex; null otherwise
  R (*call)(App&, context&, Bound&, stream_sink*);
  bool (*before)(call_info&, response&);  // the endpoint's own hooks; null when it has none
  void (*after)(const call_info&, const response&, std::chrono::nanoseconds);
};

// With sb::timeout_ms: the call runs on the task pool and the caller waits at most that long. (Such
// endpoints take nothing from the caller's context: endpoint_invoker::check says so.) One function per
// app, not per call shape: compiled per shape, this path was a quarter of the showcase's compile time.
// `ops` is the endpoint's (static) endpoint_ops, which `run_call` knows the type of.
template <class App>
void run_on_pool(App& app, std::string_view json_params, response& out, std::string_view full_name,
                 std::uint32_t timeout_ms, void (*run_call)(App&, std::string_view, context&, response&, const void*),
                 const void* ops) {
  struct shared_state {
    std::string params;
    response result;
    context ctx;
    std::promise<void> done;
  };
  auto state = std::make_shared<shared_state>();
  state->params.assign(json_params);
  state->ctx.bus = &app.bus();
  state->ctx.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::future<void> finished = state->done.get_future();
  const bool queued = app.tasks().try_submit(
      [state, &app, run_call, ops] {
        run_call(app, state->params, state->ctx, state->result, ops);
        state->done.set_value();
      },
      [state, full_name] {
        state->result.fail(error_kind::unavailable, std::string(full_name) + " was not started: the server is stopping");
        state->done.set_value();
      });
  if (!queued) {
    // Running it here instead would drop its deadline; an overloaded server says so at once.
    out.fail(error_kind::unavailable, std::string(full_name) + " was refused: " +
                                          (app.stopping() ? std::string("the server is stopping")
                                                          : "the task queue is full (app_options::task_queue = " +
                                                                std::to_string(app.tasks().queue_limit()) + ")"));
    return;
  }
  if (finished.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::timeout) {
    out.fail(error_kind::timeout, std::string(full_name) + " did not finish within " + std::to_string(timeout_ms) + " ms");
    return;
  }
  out = std::move(state->result);
}

// The call code of every endpoint with the same parameter types, names, result type and raw option:
// binding, injection, hooks, deadlines, the cache, streams and delivery. Keyed on those alone, it is
// compiled once per shape, not once per endpoint (a hundred endpoints have a handful of shapes).
template <class App, class Params, auto Names, class R, bool Raw>
struct call_shape {
  using plan = typename App::template plan<Params>;
  using bound_tuple = typename plan::bound_tuple;
  using ops_type = endpoint_ops<App, bound_tuple, R>;

  static constexpr bool streams = []<class... P>(std::tuple<P...>*) {
    return (is_stream<bare<P>> || ...);
  }(static_cast<Params*>(nullptr));

  template <std::size_t I>
  static decltype(auto) argument(App& app, context& ctx, bound_tuple& bound, stream_sink* sink) {
    using P = std::tuple_element_t<I, Params>;
    if constexpr (is_stream<bare<P>>) {
      return bare<P>(sink);
    } else if constexpr (App::template injected<P>) {
      return static_cast<P>(*injected_pointer<P>(app, ctx));
    } else if constexpr (std::is_lvalue_reference_v<P>) {
      return static_cast<P>(std::get<plan::bound_index[I]>(bound));
    } else {
      return bare<P>(std::move(std::get<plan::bound_index[I]>(bound)));
    }
  }

  // Checks that every injected parameter is available; fills `out` otherwise.
  static bool injections_available(App& app, context& ctx, response& out, std::string_view full_name) {
    bool available = true;
    []<class... P>(std::tuple<P...>*, App& a, context& c, response& o, bool& ok, [[maybe_unused]] std::string_view name) {
      (
          [&] {
            if constexpr (App::template injected<P> && !is_stream<bare<P>>) {
              if (ok && injected_pointer<P>(a, c) == nullptr) {
                ok = false;
                o.fail(error_kind::invalid_argument,
                       std::string(name) + " needs " + std::string(injected_description<bare<P>>()) + ", which " +
                           std::string(origin_name(c.from)) + " does not provide");
              }
            }
          }(),
          ...);
    }(static_cast<Params*>(nullptr), app, ctx, out, available, full_name);
    return available;
  }

  // Binds, calls and delivers; exceptions become internal errors. False only when a single pass
  // was refused, before anything ran.
  static bool run(App& app, std::string_view json_params, context& ctx, response& out, const ops_type& ops,
                  const call_input* single_pass = nullptr) {
    try {
      bound_tuple bound{};
      // Kept until the call returns: string_view parameters may view it.
      std::optional<scratch<std::string>> writable;
      if (single_pass) {
        const char* params_end = nullptr;
        // Anything but a clean bind (an error, or an escape that needs a copy) takes the general path.
        if (bind_json<Names>(json_params, bound, out, &params_end) != bind_status::bound ||
            !single_pass->rest(single_pass->rest_state, params_end))
          return false;
      } else if (const bind_status status = bind_json<Names>(json_params, bound, out);
                 status != bind_status::bound) {
        if (status == bind_status::failed) return true;
        // Rare: an escaped string for a string_view parameter. Unescape into a copy the call owns.
        writable.emplace();
        (*writable)->assign(json_params);
        bound = bound_tuple{};
        if (bind_json<Names>(**writable, bound, out, nullptr, true) != bind_status::bound) return true;
      }
      response_cache* cache = ops.cached ? app.cache_for(ops.full_name) : nullptr;
      scratch<std::string> key;
      if (cache) {
        key->clear();
        json::write(bound, *key);
        if (cache->find(*key, out.body)) return true;
      }
      if (!injections_available(app, ctx, out, ops.full_name)) return true;
      std::unique_lock<std::mutex> serial;
      if (ops.serial) serial = std::unique_lock(ops.serial(app));
      if constexpr (streams) {
        if (ctx.sink) {
          call_into(app, ctx, bound, ctx.sink, out, ops);
        } else {
          std::string collected;
          array_sink sink(collected, app.max_collected_bytes(), ctx, app.stopping_flag());
          call_into(app, ctx, bound, &sink, out, ops);
          if (!collection_complete(app, sink, ops.full_name, out) || !out.ok()) return true;
          sink.finish();
          out.body = std::move(collected);
        }
      } else {
        call_into(app, ctx, bound, nullptr, out, ops);
      }
      if (cache && out.ok() && out.form == body_form::json) cache->store(*key, out.body);
    } catch (const std::exception& e) {
      app.report_exception(ops.full_name, e.what(), out);
    } catch (...) {
      app.report_exception(ops.full_name, "a non-standard exception", out);
    }
    return true;
  }

  // Calls the endpoint and puts its answer in `out`; a task runs to its end here.
  static void call_into(App& app, context& ctx, bound_tuple& bound, stream_sink* sink, response& out,
                        const ops_type& ops) {
    if constexpr (is_task<R>) {
      R running = ops.call(app, ctx, bound, sink);
      if constexpr (std::is_void_v<typename R::value_type>) {
        run_to_end(running);
        out.body = "null";
      } else {
        deliver<Raw>(run_to_end(running), out);
      }
    } else if constexpr (std::is_void_v<R>) {
      ops.call(app, ctx, bound, sink);
      out.body = "null";
    } else {
      deliver<Raw>(ops.call(app, ctx, bound, sink), out);
    }
  }

  // A task called with a live stream by a transport that can resume it later (ctx.completion): it
  // owns its parameters' text (string_view parameters view it across pauses), runs until its first
  // pause, and ends through the completion, which also runs the after-hooks then.
  class suspended final : public suspended_call, public task_driver {
   public:
    suspended(App& app, context& ctx, response& out, const ops_type& ops, std::string_view params)
        : app_(app), ctx_(ctx), out_(out), ops_(ops), params_(params), started_(std::chrono::steady_clock::now()) {}

    // False, with `out` filled, when the call ends before it starts (hooks, binding, injection).
    static void start(App& app, std::string_view json_params, context& ctx, response& out, const ops_type& ops) {
      auto call = std::make_unique<suspended>(app, ctx, out, ops, json_params);
      suspended& self = *call;
      self.hooked_ = app.has_global_hooks() || ops.before || ops.after;
      if (self.hooked_) {
        call_info info = self.info();
        if (!app.run_before_hooks(info, out) || (ops.before && !ops.before(info, out))) return self.end_hooks();
        if (info.params.data() != self.params_.data()) self.params_.assign(info.params);
      }
      if (!self.bind() || !injections_available(app, ctx, out, ops.full_name)) return self.end_hooks();
      try {
        self.running_.emplace(ops.call(app, ctx, self.bound_, ctx.sink));
      } catch (const std::exception& e) {
        app.report_exception(ops.full_name, e.what(), out);
        return self.end_hooks();
      }
      task_access::frame(*self.running_).promise().driver = &self;
      ctx.completion->suspended(std::move(call));
      task_access::frame(*self.running_).resume();
    }

    void task_finished() noexcept override {
      try {
        if constexpr (std::is_void_v<typename R::value_type>) {
          task_access::frame(*running_).promise().take();
          out_.body = "null";
        } else {
          deliver<Raw>(task_access::frame(*running_).promise().take(), out_);
        }
      } catch (const std::exception& e) {
        app_.report_exception(ops_.full_name, e.what(), out_);
      } catch (...) {
        app_.report_exception(ops_.full_name, "a non-standard exception", out_);
      }
      end_hooks();
      ctx_.completion->finished();
    }

   private:
    call_info info() { return {ops_.module, ops_.endpoint, params_, ctx_, {}}; }
    bool bind() {
      const bind_status status = bind_json<Names>(params_, bound_, out_);
      if (status == bind_status::failed) return false;
      if (status == bind_status::bound) return true;
      bound_ = bound_tuple{};  // an escaped string for a string_view: unescaped in the text it owns
      return bind_json<Names>(params_, bound_, out_, nullptr, true) == bind_status::bound;
    }
    void end_hooks() {
      if (!hooked_) return;
      const call_info done = info();
      const auto took = std::chrono::steady_clock::now() - started_;
      if (ops_.after) ops_.after(done, out_, took);
      app_.run_after_hooks(done, out_, took);
    }

    App& app_;
    context& ctx_;
    response& out_;
    const ops_type& ops_;
    std::string params_;
    std::chrono::steady_clock::time_point started_;
    bool hooked_ = false;
    bound_tuple bound_{};
    std::optional<R> running_;  // last: its frame goes first, while what it views is still here
  };

  // A collected stream that was cut short answers an error, never a truncated array.
  static bool collection_complete(App& app, const array_sink& sink, std::string_view full_name, response& out) {
    switch (sink.stopped()) {
      case array_sink::stop_reason::none: return true;
      case array_sink::stop_reason::too_large:
        out.fail(error_kind::payload_too_large,
                 std::string(full_name) + " streamed more than the " + std::to_string(app.max_collected_bytes()) +
                     " bytes a plain call collects (app_options::max_collected_bytes): read it as a stream (SSE)",
                 "result");
        return false;
      case array_sink::stop_reason::deadline:
        out.fail(error_kind::timeout, std::string(full_name) + " was still streaming at its deadline of " +
                                          std::to_string(app.call_timeout().count()) + " ms",
                 "result");
        return false;
      case array_sink::stop_reason::hangup:
        out.fail(error_kind::timeout, std::string(full_name) + ": the caller hung up", "result");
        return false;
      case array_sink::stop_reason::stopping:
        out.fail(error_kind::unavailable, std::string(full_name) + ": the server is stopping", "result");
        return false;
    }
    return true;
  }

  static void run_with_timeout(App& app, std::string_view json_params, response& out, const ops_type& ops) {
    constexpr auto run_call = [](App& a, std::string_view params, context& ctx, response& result, const void* o) {
      run(a, params, ctx, result, *static_cast<const ops_type*>(o));
    };
    run_on_pool<App>(app, json_params, out, ops.full_name, ops.hard_timeout_ms, run_call, &ops);
  }

  // sb::timeout_ms: the caller is released at the deadline (run_with_timeout). Otherwise the call
  // runs on the caller's thread, which no deadline can take back without a thread hop per call;
  // the handler sees ctx.deadline, and an answer that comes too late is replaced by the timeout
  // error. Streams run as long as their consumer listens.
  static void run_within_deadline(App& app, std::string_view json_params, context& ctx, response& out,
                                  const ops_type& ops, const call_input* single_pass = nullptr) {
    if (ops.hard_timeout_ms != 0) return run_with_timeout(app, json_params, out, ops);
    if (streams && ctx.sink) {
      run(app, json_params, ctx, out, ops, single_pass);  // a live stream lasts while its consumer listens
    } else {
      const auto budget = app.call_timeout();
      // The coarse clock may lag by a tick or more (a tickless kernel was measured 6.7 ms behind), so
      // where anyone can see the deadline it starts from the precise clock and is never early; where
      // only the late check sees it, being a few ms lenient saves 40 ns a call.
      const auto started = deadline_visible(app, ops) ? std::chrono::steady_clock::now() : coarse_now();
      // Zero, or beyond a century (milliseconds::max() included, which the clock cannot add): none.
      constexpr std::chrono::milliseconds century = std::chrono::hours(24 * 365 * 100);
      if (budget.count() <= 0 || budget > century) {
        run(app, json_params, ctx, out, ops, single_pass);
        return;
      }
      // A call made from inside another keeps the earlier of the two deadlines, and gives it back.
      const auto outer = ctx.deadline;
      ctx.deadline = std::min(outer, started + budget);
      const bool ran = run(app, json_params, ctx, out, ops, single_pass);
      const auto took = coarse_now() - started;
      ctx.deadline = outer;
      if (ran && took > budget) app.report_late(ops.full_name, took, out);
    }
  }

  // A handler sees the deadline through its context, a user injection (built from the context), a
  // collected stream (which stops at it) or a hook.
  static constexpr bool params_see_deadline = []<class... P>(std::tuple<P...>*) {
    return ((std::is_same_v<bare<P>, context> || is_stream<bare<P>> ||
             (App::template injected<P> && user_injectable<bare<P>>)) ||
            ...);
  }(static_cast<Params*>(nullptr));
  static bool deadline_visible(const App& app, const ops_type& ops) {
    return params_see_deadline || ops.before || ops.after || app.has_global_hooks();
  }

  static void invoke(App& app, const call_input& in, context& ctx, response& out, const ops_type& ops) {
    if (ops.internal && ctx.from != origin::in_process) {
      out.fail(error_kind::not_found, "no endpoint named " + std::string(ops.full_name));
      return;
    }
    if constexpr (is_task<R> && streams) {
      if (ctx.completion && ctx.sink && !ops.serial && !in.rest) {
        std::string_view json_params = in.json;
        scratch<std::string> converted;
        if (in.from_fields) {
          converted->clear();
          if (!fields_to_json<Names, bound_tuple>(in.fields, *converted, out)) return;
          json_params = *converted;
        }
        return suspended::start(app, json_params, ctx, out, ops);
      }
    }
    if (in.rest) {
      // The single pass hands over unchecked bytes: hooks and sb::timeout_ms need the exact
      // parameters, so such calls are refused here and JSON-RPC takes its general path.
      if (app.has_global_hooks() || ops.before || ops.after || ops.hard_timeout_ms != 0) return;
      return run_within_deadline(app, in.json, ctx, out, ops, &in);
    }
    std::string_view json_params = in.json;
    scratch<std::string> converted;
    if (in.from_fields) {
      converted->clear();
      if (!fields_to_json<Names, bound_tuple>(in.fields, *converted, out)) return;
      json_params = *converted;
    }
    if (!app.has_global_hooks() && !ops.before && !ops.after)
      return run_within_deadline(app, json_params, ctx, out, ops);
    call_info info{ops.module, ops.endpoint, json_params, ctx, {}};
    const auto started = std::chrono::steady_clock::now();
    if (app.run_before_hooks(info, out) && (!ops.before || ops.before(info, out)))
      run_within_deadline(app, info.params, ctx, out, ops);
    const auto took = std::chrono::steady_clock::now() - started;
    if (ops.after) ops.after(info, out, took);
    app.run_after_hooks(info, out, took);
  }
};

// One endpoint: its compile-time checks, the call of its function, its hooks, and the entry point
// the app's table holds, which hands the rest to the endpoint's call_shape.
template <class App, class M, std::size_t Field>
struct endpoint_invoker {
  using E = endpoint_type<M, Field>;
  using traits = endpoint_traits<E>;
  using params = typename traits::params;
  using R = typename traits::result_type;
  using shape = call_shape<App, params, traits::names, R, traits::is_raw>;
  using bound_tuple = typename shape::bound_tuple;
  static constexpr std::string_view full_name = full_name_storage<M, Field>.view();

  // One endpoint's compile-time checks. Each parameter is checked in check_parameter, whose template
  // arguments (the function, the full name, the position and the type) name the culprit in the
  // diagnostic; `valid` keeps the rest of the endpoint from being instantiated when a check fails, so
  // the static_assert is the only error.
  static constexpr bool check() {
    []<std::size_t... I>(std::index_sequence<I...>) {
      (check_parameter<traits::function, full_name_storage<M, Field>, I, std::tuple_element_t<I, params>,
                       App::template injected<std::tuple_element_t<I, params>>>(),
       ...);
    }(std::make_index_sequence<std::tuple_size_v<params>>{});
    static_assert(traits::named_args == 0 || traits::named_args == std::tuple_size_v<bound_tuple>,
                  "switchboard: sb::args must list exactly one name per parameter that is not injected");
    check_result<traits::function, full_name_storage<M, Field>, R, traits::is_raw>();
    static_assert(traits::doc_options <= 1, "switchboard: give an endpoint one sb::doc");
    static_assert(traits::docs.size() <= 1 + std::tuple_size_v<bound_tuple>,
                  "switchboard: sb::doc describes more parameters than the endpoint binds from the wire");
    static_assert(!traits::has_timeout || traits::timeout.ms > 0,
                  "switchboard: sb::timeout_ms needs a positive number of milliseconds");
    static_assert(!traits::has_timeout || !uses_context(),
                  "switchboard: an endpoint with sb::timeout_ms runs on the task pool and outlives its caller "
                  "on timeout, so it cannot take the request, session, connection, context or a stream");
    return true;
  }
  static constexpr bool uses_context() {
    return []<class... P>(std::tuple<P...>*) {
      return ((std::is_same_v<bare<P>, request> || std::is_same_v<bare<P>, session> ||
               std::is_same_v<bare<P>, connection> || std::is_same_v<bare<P>, context> ||
               std::is_same_v<bare<P>, ws_message> || is_stream<bare<P>> ||
               std::is_same_v<bare<P>, std::span<const upload>>) ||
              ...);
    }(static_cast<params*>(nullptr));
  }

  static constexpr bool uses_session = []<class... P>(std::tuple<P...>*) {
    return (std::is_same_v<bare<P>, session> || ...);
  }(static_cast<params*>(nullptr));

  static constexpr bool valid = [] {
    return []<class... P>(std::tuple<P...>*) {
      return (parameter_valid<P, App::template injected<P>>() && ...);
    }(static_cast<params*>(nullptr)) &&
           (traits::named_args == 0 || traits::named_args == std::tuple_size_v<bound_tuple>) &&
           (!traits::has_timeout || (traits::timeout.ms > 0 && !uses_context())) &&
           result_valid<traits::function, full_name_storage<M, Field>, R, traits::is_raw>();
  }();

  static constexpr bool streams = shape::streams;

  static R call(App& app, context& ctx, bound_tuple& bound, stream_sink* sink) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) -> R {
      constexpr auto f = traits::function;
      if constexpr (traits::is_member) {
        using owner = typename traits::traits::owner;
        static_assert(App::template has_module<owner>,
                      "switchboard: an endpoint that is a member function must belong to one of the app's modules");
        return (app.template module<owner>().*f)(shape::template argument<I>(app, ctx, bound, sink)...);
      } else {
        return f(shape::template argument<I>(app, ctx, bound, sink)...);
      }
    }(std::make_index_sequence<std::tuple_size_v<params>>{});
  }

  static constexpr bool has_endpoint_hooks() {
    bool any = false;
    traits::for_each_before([&]<auto F>() { any = true; });
    traits::for_each_after([&]<auto F>() { any = true; });
    return any;
  }

  static bool before(call_info& info, response& out) {
    bool proceed = true;
    traits::for_each_before([&]<auto F>() {
      if (!proceed) return;
      using H = decltype(F(info));
      if constexpr (std::is_void_v<H>) {
        F(info);
      } else {
        auto verdict = F(info);
        if (!verdict.ok()) {
          out.fail(verdict.error().kind, std::move(verdict.error().message));
          proceed = false;
        }
      }
    });
    return proceed;
  }
  static void after(const call_info& info, const response& out, std::chrono::nanoseconds took) {
    traits::for_each_after([&]<auto F>() { F(info, out, took); });
  }
  static std::mutex& serial_mutex(App& app) { return app.template module_mutex<M>(); }

  // Null unless needed, so that endpoints without hooks or serialization compile none of it.
  static constexpr auto before_fn() {
    if constexpr (has_endpoint_hooks()) return &before;
    else return static_cast<bool (*)(call_info&, response&)>(nullptr);
  }
  static constexpr auto after_fn() {
    if constexpr (has_endpoint_hooks()) return &after;
    else return static_cast<void (*)(const call_info&, const response&, std::chrono::nanoseconds)>(nullptr);
  }
  static constexpr auto serial_fn() {
    if constexpr (serialized_module<M>) return &serial_mutex;
    else return static_cast<std::mutex& (*)(App&)>(nullptr);
  }

  static void invoke(App& app, const call_input& in, context& ctx, response& out) {
    static_assert(check());
    if constexpr (valid) {
      static constexpr typename shape::ops_type ops{
          full_name,
          module_name<M>(),
          endpoint_name<M, Field>,
          traits::is_internal,
          traits::cached,
          traits::has_timeout ? traits::timeout.ms : 0,
          serial_fn(),
          &call,
          before_fn(),
          after_fn(),
      };
      shape::invoke(app, in, ctx, out, ops);
    }
  }
};

inline void write_methods(methods allowed, std::string& out) {
  constexpr std::pair<methods, std::string_view> names[] = {
      {get, "GET"}, {post, "POST"}, {put, "PUT"}, {patch, "PATCH"}, {del, "DELETE"}};
  out += '[';
  bool first = true;
  for (const auto& [m, name] : names) {
    if (!allowed.allows(m)) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += name;
    out += '"';
  }
  out += ']';
}

template <class T>
struct stream_value;
template <class T>
struct stream_value<stream<T>> {
  using type = T;
};

template <class R>
struct result_value {
  using type = R;
};
template <class T>
struct result_value<result<T>> {
  using type = T;
};

// The value type of an endpoint's sb::stream<T> parameter, void when it has none.
template <class T>
struct stream_value_or_void {
  using type = void;
};
template <class T>
struct stream_value_or_void<stream<T>> {
  using type = T;
};
template <class... T>
struct first_non_void {
  using type = void;
};
template <class T, class... Rest>
struct first_non_void<T, Rest...> {
  using type = std::conditional_t<std::is_void_v<T>, typename first_non_void<Rest...>::type, T>;
};
template <class Params>
struct streamed;
template <class... P>
struct streamed<std::tuple<P...>> : first_non_void<typename stream_value_or_void<bare<P>>::type...> {};

// Everything but the name and methods depends only on what these template arguments say, so
// endpoints with the same parameter types, names and result share one instantiation.
template <auto Names, class Bound, class R, bool Raw, class Streamed>
void describe_signature(json::schema_builder& schemas, std::string& out, std::string_view name, methods allowed,
                        std::span<const std::string_view> docs) {
  using names = naming<Names, Bound>;
  const auto doc = [&](std::size_t i) { return i < docs.size() ? docs[i] : std::string_view{}; };
  const auto write_description = [&](std::string_view text) {
    if (text.empty()) return;
    out += R"(,"description":)";
    json::write_text(text, out);
  };
  out += R"({"name":)";
  json::write(name, out);
  write_description(doc(0));
  out += R"(,"methods":)";
  write_methods(allowed, out);
  out += R"(,"binding":")";
  out += names::named ? "named" : names::single_aggregate ? "object" : "positional";
  out += R"(","params":[)";
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((out += (I == 0 ? "" : ","), out += R"({"name":)", json::write(names::name(I), out), write_description(doc(I + 1)),
      out += R"(,"required":)", out += optional_param<std::tuple_element_t<I, Bound>> ? "false" : "true",
      out += R"(,"schema":)", schemas.add<std::tuple_element_t<I, Bound>>(out), out += '}'),
     ...);
  }(std::make_index_sequence<std::tuple_size_v<Bound>>{});
  out += R"(],"result":)";
  if constexpr (std::is_void_v<R>) out += R"({"type":"null"})";
  else if constexpr (std::is_same_v<R, html> || std::is_same_v<R, text> || std::is_same_v<R, binary> ||
                     std::is_same_v<R, redirect> || std::is_same_v<R, raw_body> || Raw)
    out += R"({"contentMediaType":"application/octet-stream"})";
  else schemas.add<R>(out);
  if constexpr (!std::is_void_v<Streamed>) {
    out += R"(,"stream":)";
    schemas.add<Streamed>(out);
  }
  out += '}';
}

// {"name":..,"methods":[..],"params":[{"name":..,"required":..,"schema":..}],"result":..,"stream":..}
template <class Invoker>
void describe_endpoint(json::schema_builder& schemas, std::string& out) {
  using traits = typename Invoker::traits;
  using R = typename result_value<typename task_value<std::remove_cvref_t<typename traits::result_type>>::type>::type;
  describe_signature<traits::names, typename Invoker::bound_tuple, R, traits::is_raw,
                     typename streamed<typename traits::params>::type>(
      schemas, out, Invoker::full_name.substr(Invoker::full_name.find('.') + 1), traits::allowed, traits::docs);
}

}  // namespace sb::detail
