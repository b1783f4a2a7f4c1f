#pragma once
// WebSocket handlers, declared in a module like endpoints: a member `sb::ws<room> public_room;` of
// module `chat` serves /ws/chat/public_room. The handler is an aggregate of sb::fn members:
//   connect      runs when a client has connected; an error it returns closes the connection (1008)
//   disconnect   runs once when the connection has ended, whoever ended it
//   message      the generic handler: any message that names no event of the handler
//   <any other>  an event: a text message {"event":"<member name>","data":...} calls it with `data`
//                bound as an endpoint's parameters are (an array by position, an object by name);
//                a value it returns comes back as {"event":"<member name>","data":<value>}
// Every function takes what it needs by type, as endpoints do: sb::connection& (send, subscribe,
// close), sb::session&, sb::bus& (broadcast, send to any connection), const sb::ws_message& (the
// message as it came), the module itself for its state. They run one at a time per connection, in
// the order of its messages, on the thread that read them.

#include <switchboard/context.hpp>
#include <switchboard/invoke.hpp>
#include <switchboard/module.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace sb {

template <class Handler>
struct ws {
  using handler = Handler;
};

}  // namespace sb

namespace sb::detail {

template <class T>
inline constexpr bool is_ws = false;
template <class H>
inline constexpr bool is_ws<ws<H>> = true;

template <class M>
constexpr std::size_t ws_count() {
  if constexpr (std::is_aggregate_v<M>)
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (std::size_t{0} + ... + (is_ws<boost::pfr::tuple_element_t<I, M>> ? 1u : 0u));
    }(std::make_index_sequence<reflect::field_count<M>>{});
  else
    return 0;
}

// The PFR field indices of M that are WebSocket handlers.
template <class M>
constexpr auto ws_fields() {
  std::array<std::size_t, ws_count<M>()> fields{};
  if constexpr (std::is_aggregate_v<M>) {
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((is_ws<boost::pfr::tuple_element_t<I, M>> ? (fields[next++] = I, 0) : 0), ...);
    }(std::make_index_sequence<reflect::field_count<M>>{});
  }
  return fields;
}

// "/ws/<module>/<member>", stored once.
template <class M, std::size_t Field>
consteval auto make_ws_path() {
  constexpr std::string_view module = module_name<M>();
  constexpr std::string_view member = reflect::field_name<M, Field>;
  constexpr std::string_view prefix = "/ws/";
  fixed_string<prefix.size() + module.size() + 1 + member.size()> path;
  std::size_t n = 0;
  for (char c : prefix) path.data[n++] = c;
  for (char c : module) path.data[n++] = c;
  path.data[n++] = '/';
  for (char c : member) path.data[n++] = c;
  return path;
}
template <class M, std::size_t Field>
inline constexpr auto ws_path_storage = make_ws_path<M, Field>();

enum class ws_reserved : std::uint8_t { connect, disconnect, message };

// A handler's functions, reached through the same call code as endpoints.
template <class App, class H>
struct ws_handler_invoker {
  static_assert(std::is_class_v<H> && std::is_aggregate_v<H>,
                "switchboard: the handler of sb::ws<H> must be an aggregate struct whose sb::fn members are "
                "connect, disconnect, message and its events");
  static constexpr auto fields = endpoint_fields<H>();

  static constexpr std::string_view field_name_at(std::size_t field) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      std::string_view name;
      ((I == field ? (name = reflect::field_name<H, I>, 0) : 0), ...);
      return name;
    }(std::make_index_sequence<reflect::field_count<H>>{});
  }
  static constexpr bool is_reserved(std::string_view name) {
    return name == "connect" || name == "disconnect" || name == "message";
  }

  // connect, disconnect and message take nothing from the message's data: all their parameters
  // are supplied by type.
  // Function (its "<handler>.<member>" name) names the culprit in the diagnostic.
  template <std::size_t Field, fixed_string Function = full_name_storage<H, Field>>
  static constexpr bool check_reserved() {
    using invoker = endpoint_invoker<App, H, Field>;
    static_assert(std::tuple_size_v<typename invoker::bound_tuple> == 0,
                  "switchboard: a WebSocket handler's connect, disconnect and message functions take only "
                  "parameters supplied by type (sb::connection&, sb::session&, sb::bus&, const sb::ws_message&, "
                  "a module); an event's data belongs to a member named after the event");
    static_assert(!invoker::streams, "switchboard: a WebSocket handler's functions cannot stream");
    return true;
  }
  static constexpr bool checked = [] {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [] {
            if constexpr (is_reserved(field_name_at(fields[I]))) check_reserved<fields[I]>();
          }(),
          ...);
    }(std::make_index_sequence<fields.size()>{});
    return true;
  }();

  template <std::size_t Field>
  static void call(App& app, std::string_view data, context& ctx, response& out) {
    endpoint_invoker<App, H, Field>::invoke(app, call_input{data, {}, false}, ctx, out);
  }

  // False when the handler has no such function.
  static bool reserved(App& app, ws_reserved which, context& ctx, response& out) {
    static_assert(checked);
    constexpr std::string_view names[] = {"connect", "disconnect", "message"};
    bool found = false;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            constexpr std::size_t field = fields[I];
            if (!found && field_name_at(field) == names[static_cast<int>(which)]) {
              found = true;
              call<field>(app, "[]", ctx, out);
            }
          }(),
          ...);
    }(std::make_index_sequence<fields.size()>{});
    return found;
  }

  // False when the handler has no event of this name.
  static bool event(App& app, std::string_view name, std::string_view data, context& ctx, response& out) {
    static_assert(checked);
    bool found = false;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            constexpr std::size_t field = fields[I];
            if constexpr (!is_reserved(field_name_at(field))) {
              if (!found && field_name_at(field) == name) {
                found = true;
                call<field>(app, data, ctx, out);
              }
            }
          }(),
          ...);
    }(std::make_index_sequence<fields.size()>{});
    return found;
  }
};

}  // namespace sb::detail
