#pragma once
// sb::fn<&function, options...>: a module member that turns an ordinary function into an endpoint.
// Everything about an endpoint is known at compile time: its signature, names and options.

#include <switchboard/context.hpp>
#include <switchboard/json/detail/traits.hpp>
#include <switchboard/result.hpp>
#include <switchboard/stream.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace sb {

namespace detail {
// Strings given as a literal list to an endpoint option, stored inline so that the option can be a
// template argument.
template <std::size_t... N>
struct text_list {
  char text[(N + ... + 1)]{};
  static constexpr std::size_t count = sizeof...(N);

  constexpr text_list(const char (&... items)[N]) {  // NOLINT: implicit, it is spelled as a literal list
    std::size_t at = 0;
    (append(items, N, at), ...);
  }
  constexpr std::string_view item(std::size_t index) const {
    constexpr std::size_t sizes[] = {N..., 0};
    std::size_t at = 0;
    for (std::size_t i = 0; i < index; ++i) at += sizes[i];
    return {text + at, sizes[index] - 1};
  }

 private:
  constexpr void append(const char* item, std::size_t size, std::size_t& at) {
    for (std::size_t i = 0; i < size; ++i) text[at++] = item[i];
  }
};
}  // namespace detail

// Parameter names, for binding JSON objects and query strings by name: sb::args{"a", "b"}.
template <std::size_t... N>
struct args : detail::text_list<N...> {
  using detail::text_list<N...>::text_list;
  constexpr std::string_view name(std::size_t index) const { return this->item(index); }
};
template <std::size_t... N>
args(const char (&... names)[N]) -> args<N...>;

// What an endpoint does in one line, then optionally what each parameter bound from the wire is, in
// order: sb::doc{"Adds two numbers", "the first addend", "the second addend"}. Shown by describe(),
// MCP's tools/list, OpenAPI and the TypeScript declarations.
template <std::size_t... N>
struct doc : detail::text_list<N...> {
  static_assert(sizeof...(N) > 0, "switchboard: sb::doc needs at least the endpoint's description");
  using detail::text_list<N...>::text_list;
  constexpr std::string_view summary() const { return this->item(0); }
  // The description of bound parameter `index`; empty when none was given.
  constexpr std::string_view parameter(std::size_t index) const {
    return index + 1 < sizeof...(N) ? this->item(index + 1) : std::string_view{};
  }
};
template <std::size_t... N>
doc(const char (&... texts)[N]) -> doc<N...>;

// HTTP methods an endpoint answers to (default: GET and POST). Combine with |.
struct methods {
  std::uint8_t mask = 0;
  constexpr methods operator|(methods other) const { return {static_cast<std::uint8_t>(mask | other.mask)}; }
  constexpr bool allows(methods m) const { return (mask & m.mask) != 0; }
};
inline constexpr methods get{1};
inline constexpr methods post{2};
inline constexpr methods put{4};
inline constexpr methods patch{8};
inline constexpr methods del{16};

// Memory cache of responses keyed by the canonical JSON of the arguments.
struct cache {
  std::size_t max_entries = 128;
  std::uint32_t ttl_s = 60;
};

// The caller gets a timeout error after this long; the work itself runs on the task pool.
struct timeout_ms {
  std::uint32_t ms = 30000;
};

struct hidden_t {};
inline constexpr hidden_t hidden{};  // callable, but left out of describe()
struct internal_t {};
inline constexpr internal_t internal_only{};  // callable in process only, never from a transport
struct raw_t {};
inline constexpr raw_t raw{};  // a string-like return is sent as the body bytes, not as a JSON string

template <auto F>
struct before_t {
  static constexpr auto function = F;
};
// Runs before the call: f(sb::call_info&) returning void or sb::result<void> (an error short-circuits).
template <auto F>
inline constexpr before_t<F> before{};

template <auto F>
struct after_t {
  static constexpr auto function = F;
};
// Runs after the call: f(const sb::call_info&, const sb::response&, std::chrono::nanoseconds).
template <auto F>
inline constexpr after_t<F> after{};

template <auto F, auto... Options>
struct fn {
  static constexpr auto function = F;
};

// Injection: framework types are supplied by the framework, not parsed. Specialize sb::inject<T>
// to add your own: `static T* get(sb::context&)` returns null when a call has no T (the caller gets
// an error naming the endpoint, and the endpoint does not run), or `static T& get(sb::context&)`
// when there always is one.
template <class T>
struct inject;

}  // namespace sb

namespace sb::detail {

template <class T>
inline constexpr bool is_fn = false;
template <auto F, auto... O>
inline constexpr bool is_fn<fn<F, O...>> = true;

template <class T>
inline constexpr bool is_stream = false;
template <class T>
inline constexpr bool is_stream<stream<T>> = true;

template <class T>
inline constexpr bool is_args = false;
template <std::size_t... N>
inline constexpr bool is_args<args<N...>> = true;

template <class T>
inline constexpr bool is_doc = false;
template <std::size_t... N>
inline constexpr bool is_doc<doc<N...>> = true;

template <class T>
inline constexpr bool is_before = false;
template <auto F>
inline constexpr bool is_before<before_t<F>> = true;
template <class T>
inline constexpr bool is_after = false;
template <auto F>
inline constexpr bool is_after<after_t<F>> = true;

// The signature of an endpoint's function, whatever kind of callable it is.
template <class F>
struct signature;
template <class R, class... P>
struct signature<R (*)(P...)> {
  using result_type = R;
  using params = std::tuple<P...>;
  using owner = void;
};
template <class R, class... P>
struct signature<R (*)(P...) noexcept> : signature<R (*)(P...)> {};
template <class R, class C, class... P>
struct signature<R (C::*)(P...)> {
  using result_type = R;
  using params = std::tuple<P...>;
  using owner = C;
};
template <class R, class C, class... P>
struct signature<R (C::*)(P...) const> : signature<R (C::*)(P...)> {};
template <class R, class C, class... P>
struct signature<R (C::*)(P...) noexcept> : signature<R (C::*)(P...)> {};
template <class R, class C, class... P>
struct signature<R (C::*)(P...) const noexcept> : signature<R (C::*)(P...)> {};

template <class F>
concept closure = std::is_class_v<F> && requires { &F::operator(); };

template <auto F>
struct function_traits : signature<decltype(F)> {
  static constexpr bool is_member = !std::is_void_v<typename signature<decltype(F)>::owner>;
};
template <auto F>
  requires closure<decltype(F)>
struct function_traits<F> {
  using result_type = typename signature<decltype(&decltype(F)::operator())>::result_type;
  using params = typename signature<decltype(&decltype(F)::operator())>::params;
  using owner = void;
  static constexpr bool is_member = false;
};

// Framework types taken by an endpoint are injected rather than bound from the parameters.
template <class P>
using bare = std::remove_cvref_t<P>;

template <class P>
concept user_injectable = requires(context& c) { inject<bare<P>>::get(c); };

template <class P, class... Modules>
inline constexpr bool is_module_param = (std::is_same_v<bare<P>, Modules> || ...);

template <class P, class... Modules>
constexpr bool is_injected() {
  using B = bare<P>;
  return std::is_same_v<B, request> || std::is_same_v<B, session> || std::is_same_v<B, connection> ||
         std::is_same_v<B, context> || std::is_same_v<B, bus> || std::is_same_v<B, ws_message> || is_stream<B> ||
         std::is_same_v<B, std::span<const upload>> || is_module_param<P, Modules...> ||
         user_injectable<P>;
}

// Finds the option of kind Pred among an endpoint's options; Fallback when there is none.
template <template <class> class Pred, auto Fallback, auto... Options>
constexpr auto find_option() {
  auto found = Fallback;
  (
      [&] {
        if constexpr (Pred<std::remove_cv_t<decltype(Options)>>::value) found = Options;
      }(),
      ...);
  return found;
}

template <class T>
struct option_is_methods : std::is_same<T, methods> {};
template <class T>
struct option_is_cache : std::is_same<T, cache> {};
template <class T>
struct option_is_timeout : std::is_same<T, timeout_ms> {};

template <class T, auto... Options>
inline constexpr bool has_option = (std::is_same_v<std::remove_cv_t<decltype(Options)>, T> || ...);

// The sb::args option of an endpoint, or no_names: binding code is keyed on it and on the parameter
// types, so endpoints that share both share one instantiation.
struct no_names {
  static constexpr std::size_t count = 0;
  constexpr std::string_view name(std::size_t) const { return {}; }
};
template <auto First, auto... Rest>
constexpr auto find_names() {
  if constexpr (is_args<std::remove_cv_t<decltype(First)>>) return First;
  else if constexpr (sizeof...(Rest) > 0) return find_names<Rest...>();
  else return no_names{};
}
// The texts of an endpoint's sb::doc option: its description, then its parameters'.
template <auto... Options>
constexpr auto doc_texts() {
  constexpr std::size_t count = [] {
    std::size_t n = 0;
    (
        [&] {
          if constexpr (is_doc<std::remove_cv_t<decltype(Options)>>) n = decltype(Options)::count;
        }(),
        ...);
    return n;
  }();
  std::array<std::string_view, count> texts{};
  (
      [&] {
        if constexpr (is_doc<std::remove_cv_t<decltype(Options)>>)
          for (std::size_t i = 0; i < count; ++i) texts[i] = Options.item(i);
      }(),
      ...);
  return texts;
}

template <auto... Options>
constexpr auto names_option() {
  if constexpr (sizeof...(Options) == 0) return no_names{};
  else return find_names<Options...>();
}

// Everything the dispatcher needs to know about endpoint type E = fn<F, Options...>.
template <class E>
struct endpoint_traits;
template <auto F, auto... Options>
struct endpoint_traits<fn<F, Options...>> {
  static constexpr auto function = F;
  using traits = function_traits<F>;
  using result_type = typename traits::result_type;
  using params = typename traits::params;
  static constexpr bool is_member = traits::is_member;
  static constexpr methods allowed = find_option<option_is_methods, get | post, Options...>();
  static constexpr bool cached = has_option<cache, Options...>;
  static constexpr cache cache_options = find_option<option_is_cache, cache{}, Options...>();
  static constexpr bool has_timeout = has_option<timeout_ms, Options...>;
  static constexpr timeout_ms timeout = find_option<option_is_timeout, timeout_ms{}, Options...>();
  static constexpr bool is_hidden = has_option<hidden_t, Options...>;
  static constexpr bool is_internal = has_option<internal_t, Options...>;
  static constexpr bool is_raw = has_option<raw_t, Options...>;
  static constexpr auto names = names_option<Options...>();
  static constexpr auto docs = doc_texts<Options...>();  // [0] the endpoint's, then its parameters'
  static constexpr std::size_t doc_options = (std::size_t{is_doc<std::remove_cv_t<decltype(Options)>>} + ... + 0);
  static constexpr std::size_t named_args = [] {
    std::size_t n = 0;
    (
        [&] {
          if constexpr (is_args<std::remove_cv_t<decltype(Options)>>) n = decltype(Options)::count;
        }(),
        ...);
    return n;
  }();
  static constexpr std::string_view arg_name(std::size_t index) {
    std::string_view found;
    (
        [&] {
          if constexpr (is_args<std::remove_cv_t<decltype(Options)>>) found = Options.name(index);
        }(),
        ...);
    return found;
  }
  template <class Visitor>
  static constexpr void for_each_before(Visitor&& visit) {
    (
        [&] {
          if constexpr (is_before<std::remove_cv_t<decltype(Options)>>) visit.template operator()<decltype(Options)::function>();
        }(),
        ...);
  }
  template <class Visitor>
  static constexpr void for_each_after(Visitor&& visit) {
    (
        [&] {
          if constexpr (is_after<std::remove_cv_t<decltype(Options)>>) visit.template operator()<decltype(Options)::function>();
        }(),
        ...);
  }
};

}  // namespace sb::detail
