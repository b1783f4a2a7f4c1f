#pragma once
// The compile-time field table that drives the typed bindings of the other libraries: the same JSON
// member names and the same member-lookup strategy as switchboard (try the next declared member
// first, then scan), so that every library pays the same for "which field is this key".

#include <switchboard/json/detail/traits.hpp>

#include <boost/pfr/core.hpp>

#include <array>
#include <bitset>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace bench {

template <class T, template <class...> class Template>
inline constexpr bool is_specialization = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_specialization<Template<Args...>, Template> = true;

template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

template <class T>
concept optional_type = is_specialization<T, std::optional>;
template <class T>
concept pointer_type = is_specialization<T, std::unique_ptr> || is_specialization<T, std::shared_ptr>;

// A new pointee for an empty smart pointer.
template <class P>
void make_pointee(P& p) {
  if constexpr (is_specialization<P, std::unique_ptr>)
    p = std::make_unique<typename P::element_type>();
  else
    p = std::make_shared<typename P::element_type>();
}
template <class T>
concept vector_type = is_specialization<T, std::vector>;
template <class T>
concept array_type = is_std_array<T>;
template <class T>
concept map_type = is_specialization<T, std::map>;
template <class T>
concept string_type = std::is_same_v<T, std::string>;
template <class T>
concept signed_type = std::is_integral_v<T> && std::is_signed_v<T>;
template <class T>
concept unsigned_type = std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>;
template <class T>
concept aggregate_type = std::is_aggregate_v<T> && std::is_class_v<T> && !array_type<T>;

// JSON member names (renames applied) and PFR indices, from switchboard's own table.
template <class T>
inline constexpr auto& fields = sb::json::detail::field_table<T>;

template <class T, std::size_t I>
decltype(auto) member(T& object) {
  return boost::pfr::get<fields<T>[I].index>(object);
}

template <class T>
std::size_t find_field(std::string_view key, std::size_t guess) {
  constexpr auto& table = fields<T>;
  if (guess < table.size() && table[guess].name.size() == key.size() &&
      std::memcmp(table[guess].name.data(), key.data(), key.size()) == 0)
    return guess;
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name.size() == key.size() && std::memcmp(table[i].name.data(), key.data(), key.size()) == 0)
      return i;
  return table.size();
}

// One function per field, indexed by field number: Reader::read(input, member).
template <class Reader, class Input, class T, std::size_t I>
bool read_member(Input input, T& object) {
  return Reader::read(input, boost::pfr::get<fields<T>[I].index>(object));
}
template <class Reader, class Input, class T, std::size_t... I>
constexpr auto make_member_readers(std::index_sequence<I...>) {
  return std::array<bool (*)(Input, T&), sizeof...(I)>{&read_member<Reader, Input, T, I>...};
}
template <class Reader, class Input, class T>
inline constexpr auto member_readers =
    make_member_readers<Reader, Input, T>(std::make_index_sequence<fields<T>.size()>{});

// Whether every required member of T was seen.
template <class T, std::size_t N>
bool all_required_seen(const std::bitset<N>& seen) {
  for (std::size_t i = 0; i < fields<T>.size(); ++i)
    if (fields<T>[i].required && !seen[i]) return false;
  return true;
}

// fn(json_name, member) for each field in declaration order.
template <class T, class Fn>
void for_each_member(const T& object, Fn&& fn) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (fn(fields<T>[I].name, boost::pfr::get<fields<T>[I].index>(object)), ...);
  }(std::make_index_sequence<fields<T>.size()>{});
}

template <class T>
using seen_set = std::bitset<fields<T>.size() == 0 ? 1 : fields<T>.size()>;

}  // namespace bench
