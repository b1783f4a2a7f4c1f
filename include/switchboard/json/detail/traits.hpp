#pragma once
// Which JSON form a C++ type takes. One place decides it, for the reader, the writer and the schema.

#include <switchboard/json/fwd.hpp>
#include <switchboard/reflect.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace sb::json {
template <class Storage>
struct basic_raw;
class value;
}  // namespace sb::json

namespace sb::json::detail {

template <class T>
inline constexpr bool always_false = false;

template <class T, template <class...> class Template>
inline constexpr bool is_specialization = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_specialization<Template<Args...>, Template> = true;

template <class T>
concept has_codec = requires { sizeof(codec<T>); };

template <class T>
concept boolean = std::is_same_v<T, bool>;
template <class T>
concept character = std::is_same_v<T, char>;
template <class T>
concept integer = std::is_integral_v<T> && !boolean<T> && !character<T> &&
                  !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> &&
                  !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>;
template <class T>
concept floating = std::is_floating_point_v<T>;
template <class T>
concept enumeration = std::is_enum_v<T>;
template <class T>
concept owning_string = std::is_same_v<T, std::string>;
template <class T>
concept string_view_like = std::is_same_v<T, std::string_view>;
template <class T>
concept c_string = std::is_same_v<T, const char*> || std::is_same_v<T, char*>;
template <class T>
concept null_type = std::is_same_v<T, std::nullptr_t> || std::is_same_v<T, std::monostate>;

template <class T>
concept optional_like = is_specialization<T, std::optional>;
template <class T>
concept smart_pointer = is_specialization<T, std::unique_ptr> || is_specialization<T, std::shared_ptr>;
template <class T>
concept nullable = optional_like<T> || smart_pointer<T>;

template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

template <class T>
inline constexpr bool is_span = false;
template <class T, std::size_t N>
inline constexpr bool is_span<std::span<T, N>> = true;

template <class T>
concept growable_sequence = is_specialization<T, std::vector> || is_specialization<T, std::deque> ||
                            is_specialization<T, std::list>;
template <class T>
concept fixed_sequence = is_std_array<T>;
template <class T>
concept span_sequence = is_span<T>;
template <class T>
concept string_map = is_specialization<T, std::map> || is_specialization<T, std::unordered_map>;
template <class T>
concept tuple_like = is_specialization<T, std::tuple> || is_specialization<T, std::pair>;
template <class T>
concept variant_like = is_specialization<T, std::variant>;
template <class T>
concept duration = is_specialization<T, std::chrono::duration>;

template <class T>
inline constexpr bool is_time_point = false;
template <class Clock, class Duration>
inline constexpr bool is_time_point<std::chrono::time_point<Clock, Duration>> = true;
template <class T>
concept time_point = is_time_point<T>;
template <class T>
concept system_time_point = time_point<T> && std::is_same_v<typename T::clock, std::chrono::system_clock>;

template <class T>
concept raw_json = is_specialization<T, basic_raw>;
template <class T>
concept dynamic_value = std::is_same_v<T, value>;

template <class T>
concept reflectable = std::is_aggregate_v<T> && std::is_class_v<T> && !std::is_union_v<T> &&
                      !fixed_sequence<T> && !tuple_like<T> && !has_codec<T>;

template <class Map>
concept string_keyed = std::is_same_v<typename Map::key_type, std::string> ||
                       std::is_same_v<typename Map::key_type, std::string_view>;

// Names, skips and renames for aggregate T, resolved at compile time from meta<T>.
template <class T>
concept has_naming = requires { meta<T>::naming; };
template <class T>
concept has_rename = requires { meta<T>::rename; };
template <class T>
concept has_skip = requires { meta<T>::skip; };
template <class T>
concept keeps_defaults = requires {
  { meta<T>::defaults } -> std::convertible_to<bool>;
} && meta<T>::defaults;

template <class Policy>
constexpr std::size_t renamed_size(std::string_view name, Policy) {
  if constexpr (std::is_same_v<Policy, camel_case_t> || std::is_same_v<Policy, pascal_case_t>) {
    std::size_t n = 0;
    for (char c : name) n += c == '_' ? 0 : 1;
    return n;
  } else {
    return name.size();
  }
}

template <class Policy>
constexpr void apply_naming(std::string_view name, char* out, Policy) {
  const auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
  bool capitalize = std::is_same_v<Policy, pascal_case_t>;
  for (char c : name) {
    if constexpr (std::is_same_v<Policy, kebab_case_t>) {
      *out++ = c == '_' ? '-' : c;
    } else if (c == '_') {
      capitalize = true;
    } else {
      *out++ = capitalize ? upper(c) : c;
      capitalize = false;
    }
  }
}

template <class T, std::size_t I>
consteval std::string_view chosen_name_view() {
  constexpr std::string_view name = reflect::field_name<T, I>;
  if constexpr (has_rename<T>) {
    for (const field& f : meta<T>::rename)
      if (f.name == name) return f.json_name;
  }
  return name;
}

template <class T, std::size_t I>
consteval std::size_t json_name_size() {
  if constexpr (has_naming<T>) {
    constexpr std::string_view name = chosen_name_view<T, I>();
    if (name != reflect::field_name<T, I>) return name.size();  // an explicit rename wins
    return renamed_size(name, meta<T>::naming);
  } else {
    return chosen_name_view<T, I>().size();
  }
}

template <class T, std::size_t I>
consteval auto make_json_name() {
  sb::detail::fixed_string<json_name_size<T, I>()> out;
  constexpr std::string_view chosen = chosen_name_view<T, I>();
  if constexpr (has_naming<T>) {
    if (chosen == reflect::field_name<T, I>) {
      apply_naming(chosen, out.data, meta<T>::naming);
      return out;
    }
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) out.data[i] = chosen[i];
  return out;
}

template <class T, std::size_t I>
inline constexpr auto json_name_storage = make_json_name<T, I>();

template <class T, std::size_t I>
consteval bool is_skipped() {
  if constexpr (has_skip<T>) {
    for (std::string_view s : meta<T>::skip)
      if (s == reflect::field_name<T, I>) return true;
  }
  return false;
}

struct field_info {
  std::string_view name;     // the JSON member name
  std::size_t index;         // the PFR field index
  bool required;
};

template <class T>
consteval bool field_is_required(std::size_t index);

template <class T, std::size_t... I>
consteval std::size_t kept_field_count(std::index_sequence<I...>) {
  return (std::size_t{0} + ... + (is_skipped<T, I>() ? 0u : 1u));
}

template <class T>
inline constexpr std::size_t json_field_count =
    kept_field_count<T>(std::make_index_sequence<reflect::field_count<T>>{});

consteval bool is_plain_member_name(std::string_view name) {
  for (char c : name)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  return !name.empty();
}

template <class T, std::size_t... I>
consteval auto make_field_table(std::index_sequence<I...>) {
  std::array<field_info, json_field_count<T>> table{};
  std::size_t next = 0;
  (
      [&] {
        if constexpr (!is_skipped<T, I>()) {
          using member = boost::pfr::tuple_element_t<I, T>;
          table[next++] = {json_name_storage<T, I>.view(), I, !nullable<member> && !keeps_defaults<T>};
        }
      }(),
      ...);
  return table;
}

// The JSON members of aggregate T in declaration order, skips removed, renames applied.
template <class T>
inline constexpr auto field_table = make_field_table<T>(std::make_index_sequence<reflect::field_count<T>>{});

template <class T>
consteval bool names_are_plain() {
  for (const auto& f : field_table<T>)
    if (!is_plain_member_name(f.name)) return false;
  return true;
}

}  // namespace sb::json::detail
