#pragma once
// Modules: plain aggregates whose sb::fn members are endpoints. Their names and endpoints are found
// at compile time; sb::app builds one table over "<module>.<endpoint>" from them.

#include <switchboard/endpoint.hpp>
#include <switchboard/log.hpp>
#include <switchboard/reflect.hpp>
#include <switchboard/result.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

namespace sb::detail {

// Up to eight bytes of `text` from `at`, first byte lowest; the same value at compile and run time.
constexpr std::uint64_t text_bytes(std::string_view text, std::size_t at, std::size_t count) {
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < count; ++i)
    bytes |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[at + i])) << (8 * i);
  return bytes;
}

// A hash for the endpoint table: the length and the first, middle and last eight bytes. Endpoint
// names differ mostly there, and reading at most 24 bytes keeps a lookup at a few nanoseconds.
constexpr std::uint64_t text_hash(std::string_view text) {
  constexpr std::uint64_t mul = 0x9E3779B97F4A7C15ull;
  const std::size_t n = text.size();
  std::uint64_t h = (n + 1) * mul;
  if (n >= 8) {
    h = (h ^ text_bytes(text, 0, 8)) * mul;
    if (n > 16) h = (h ^ text_bytes(text, n / 2 - 4, 8)) * mul;
    h ^= text_bytes(text, n - 8, 8);
  } else {
    h ^= text_bytes(text, 0, n);
  }
  h *= mul;
  return h ^ (h >> 29);
}

constexpr std::size_t name_hash(std::string_view module, std::string_view endpoint) {
  const std::uint64_t h = text_hash(module) * 31 + text_hash(endpoint);
  return static_cast<std::size_t>(h ^ (h >> 32));
}

template <class M>
concept named_module = requires {
  { M::name } -> std::convertible_to<std::string_view>;
};
template <class M>
concept versioned_module = requires {
  { M::version } -> std::convertible_to<std::string_view>;
};
template <class M>
concept serialized_module = requires {
  { M::serialized } -> std::convertible_to<bool>;
} && M::serialized;

template <class M>
constexpr std::string_view module_name() {
  if constexpr (named_module<M>) return std::string_view(M::name);
  else return reflect::type_name<M>;
}
template <class M>
constexpr std::string_view module_version() {
  if constexpr (versioned_module<M>) return std::string_view(M::version);
  else return {};
}

// A readable error for a module that PFR cannot reflect, before PFR's own errors cascade.
template <class M>
constexpr bool check_module() {
  static_assert(std::is_class_v<M> && std::is_aggregate_v<M>,
                "switchboard: a module must be an aggregate struct (no constructors, no virtual functions, no "
                "private data members); its sb::fn<...> members become its endpoints");
  constexpr std::string_view name = module_name<M>();
  static_assert(name.find('.') == std::string_view::npos && name.find('/') == std::string_view::npos,
                "switchboard: a module name may not contain '.' or '/' (they separate module and endpoint)");
  return true;
}

template <class M, std::size_t... I>
constexpr std::size_t count_endpoints(std::index_sequence<I...>) {
  return (std::size_t{0} + ... + (is_fn<boost::pfr::tuple_element_t<I, M>> ? 1u : 0u));
}
template <class M>
constexpr std::size_t endpoint_count() {
  if constexpr (std::is_aggregate_v<M>)
    return count_endpoints<M>(std::make_index_sequence<reflect::field_count<M>>{});
  else
    return 0;
}

// The PFR field indices of M that are endpoints.
template <class M>
constexpr auto endpoint_fields() {
  std::array<std::size_t, endpoint_count<M>()> fields{};
  if constexpr (std::is_aggregate_v<M>) {  // otherwise check_module has said why; PFR would only add noise
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((is_fn<boost::pfr::tuple_element_t<I, M>> ? (fields[next++] = I, 0) : 0), ...);
    }(std::make_index_sequence<reflect::field_count<M>>{});
  }
  return fields;
}

template <class M, std::size_t Field>
using endpoint_type = boost::pfr::tuple_element_t<Field, M>;

template <class M, std::size_t Field>
inline constexpr std::string_view endpoint_name = reflect::field_name<M, Field>;

// The full name "<module>.<endpoint>", stored once.
template <class M, std::size_t Field>
consteval auto make_full_name() {
  constexpr std::string_view module = module_name<M>();
  constexpr std::string_view endpoint = endpoint_name<M, Field>;
  sb::detail::fixed_string<module.size() + 1 + endpoint.size()> full;
  std::size_t n = 0;
  for (char c : module) full.data[n++] = c;
  full.data[n++] = '.';
  for (char c : endpoint) full.data[n++] = c;
  return full;
}
template <class M, std::size_t Field>
inline constexpr auto full_name_storage = make_full_name<M, Field>();

// Reported by sb::app when two endpoints share a full name; the template arguments name both modules
// and the clashing name.
template <class FirstModule, class SecondModule, fixed_string FullName>
constexpr bool duplicate_endpoint() {
  static_assert(std::is_void_v<FirstModule> && std::is_void_v<SecondModule>,
                "switchboard: two endpoints have the same full name \"<module>.<endpoint>\" (see FullName and "
                "the two modules in the template arguments above); rename one of them or give a module a "
                "different static constexpr name");
  return true;  // the static_assert above has failed already: one error is enough
}

// Lifecycle: a module may define on_start() (void, bool or sb::result<void>) and on_stop().
template <class M>
bool start_module(M& module, std::string_view name, std::string& why) {
  if constexpr (requires { module.on_start(); }) {
    try {
      using R = decltype(module.on_start());
      if constexpr (std::is_void_v<R>) {
        module.on_start();
      } else if constexpr (std::is_same_v<R, bool>) {
        if (!module.on_start()) {
          why = "module " + std::string(name) + " failed to start: on_start() returned false";
          return false;
        }
      } else {
        auto outcome = module.on_start();
        if (!outcome.ok()) {
          why = "module " + std::string(name) + " failed to start: " + outcome.error().message;
          return false;
        }
      }
    } catch (const std::exception& e) {
      why = "module " + std::string(name) + " failed to start: " + e.what();
      return false;
    }
  }
  return true;
}

template <class M>
void stop_module(M& module, std::string_view name) {
  if constexpr (requires { module.on_stop(); }) {
    try {
      module.on_stop();
    } catch (const std::exception& e) {
      log().write(log_level::error, "module " + std::string(name) + ": on_stop() threw: " + e.what());
    }
  }
}

}  // namespace sb::detail
