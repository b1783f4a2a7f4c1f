#pragma once
// Compile-time reflection: aggregate field names, type names and enumerator names.
// Boost.PFR provides field access; names come from PFR's get_name where it exists (Boost >= 1.84)
// and otherwise from the compiler's pretty function name, which is how PFR itself does it.

#include <boost/pfr/core.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#if __has_include(<boost/pfr/core_name.hpp>)
#include <boost/pfr/core_name.hpp>
#endif

namespace sb::detail {

// A string stored by value so that it can live in a constexpr variable or be a template argument.
template <std::size_t N>
struct fixed_string {
  char data[N + 1]{};
  constexpr fixed_string() = default;
  constexpr fixed_string(const char (&text)[N + 1]) {  // NOLINT: implicit from literals on purpose
    for (std::size_t i = 0; i < N; ++i) data[i] = text[i];
  }
  constexpr explicit fixed_string(std::string_view text) {
    for (std::size_t i = 0; i < N && i < text.size(); ++i) data[i] = text[i];
  }
  static constexpr std::size_t size() { return N; }
  constexpr std::string_view view() const { return {data, N}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT
};
template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;

constexpr bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Takes the last identifier before `stop` in a pretty function name, skipping closing punctuation.
constexpr std::string_view last_identifier(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && !is_identifier_char(text[end - 1])) --end;
  std::size_t begin = end;
  while (begin > 0 && is_identifier_char(text[begin - 1])) --begin;
  return text.substr(begin, end - begin);
}

template <class T>
consteval const char* pretty_type() {
  return __PRETTY_FUNCTION__;
}

template <class T>
consteval std::string_view raw_type_name() {
  std::string_view text = pretty_type<T>();
#if defined(__clang__)
  constexpr std::string_view marker = "[T = ";
#else
  constexpr std::string_view marker = "[with T = ";
#endif
  const std::size_t start = text.find(marker) + marker.size();
  const std::size_t stop = text.rfind(']');
  return text.substr(start, stop - start);
}

template <class T>
inline constexpr auto type_name_storage = fixed_string<raw_type_name<T>().size()>(raw_type_name<T>());

// "ns::widget<int>" -> "widget<int>": drops the namespaces outside any template argument list.
constexpr std::string_view unqualified(std::string_view name) {
  int angle = 0;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++angle;
    if (name[i] == '>') --angle;
    if (angle == 0 && name[i] == ':' && i + 1 < name.size() && name[i + 1] == ':') begin = i + 2;
  }
  return name.substr(begin);
}

#if !defined(BOOST_PFR_CORE_NAME_ENABLED) || !BOOST_PFR_CORE_NAME_ENABLED
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
// Never defined: only addresses of its subobjects are named, inside constant expressions. Clang 14
// accepts nothing else for non-literal members, and so (like Boost.PFR) cannot reflect types
// without linkage (anonymous namespaces, local classes).
template <class T>
extern const T reflection_object_storage;
template <class T>
constexpr const T& reflection_object() {
  return reflection_object_storage<T>;
}
#pragma clang diagnostic pop
#else
// A defined constant whose T member is never constructed: it needs no linkage, so GCC also reflects
// types in anonymous namespaces and local classes.
template <class T>
union reflection_storage {
  char none;
  T object;
  constexpr reflection_storage() : none() {}
  constexpr ~reflection_storage() {}
};
template <class T>
inline constexpr reflection_storage<T> reflection_storage_instance{};
template <class T>
constexpr const T& reflection_object() {
  return reflection_storage_instance<T>.object;
}
#endif

// Clang prints a bare pointer template argument without the member name; wrapped, it prints it.
template <class T>
struct member_pointer_box {
  const T* pointer;
};

template <auto Box>
consteval const char* pretty_member() {
  return __PRETTY_FUNCTION__;
}

template <class T, std::size_t I>
consteval std::string_view raw_field_name() {
  using field_type = std::remove_cvref_t<decltype(boost::pfr::get<I>(reflection_object<T>()))>;
  return last_identifier(
      pretty_member<member_pointer_box<field_type>{&boost::pfr::get<I>(reflection_object<T>())}>());
}
#else
template <class T, std::size_t I>
consteval std::string_view raw_field_name() {
  return boost::pfr::get_name<I, T>();
}
#endif

template <class T, std::size_t I>
inline constexpr auto field_name_storage =
    fixed_string<raw_field_name<T, I>().size()>(raw_field_name<T, I>());

template <auto Value>
consteval const char* pretty_value() {
  return __PRETTY_FUNCTION__;
}

// An enumerator prints as its qualified name; a value without a name prints as a cast or number.
template <auto Value>
consteval std::string_view raw_enum_name() {
  std::string_view text = pretty_value<Value>();
#if defined(__clang__)
  constexpr std::string_view marker = "[Value = ";
#else
  constexpr std::string_view marker = "[with auto Value = ";
#endif
  const std::size_t start = text.find(marker) + marker.size();
  text = text.substr(start, text.rfind(']') - start);
  if (text.empty() || text[0] == '(' || (text[0] >= '0' && text[0] <= '9') || text[0] == '-') return {};
  return last_identifier(text);
}

}  // namespace sb::detail

namespace sb::reflect {

// The number of fields of aggregate T.
template <class T>
inline constexpr std::size_t field_count = boost::pfr::tuple_size_v<T>;

// The declared name of field I of aggregate T, e.g. field_name<point, 0> == "x".
template <class T, std::size_t I>
inline constexpr std::string_view field_name = detail::field_name_storage<T, I>.view();

// The type's name as the compiler spells it, with namespaces ("app::point").
template <class T>
inline constexpr std::string_view qualified_type_name = detail::type_name_storage<T>.view();

// The type's name without namespaces ("point").
template <class T>
inline constexpr std::string_view type_name = detail::unqualified(qualified_type_name<T>);

// Enumerators are found by scanning the values [min, max] of the enum; customise per enum by
// specializing enum_range. Values outside the range, or without a name, have no name.
template <class E>
struct enum_range {
  static constexpr int min = std::is_signed_v<std::underlying_type_t<E>> ? -128 : 0;
  static constexpr int max = std::is_signed_v<std::underlying_type_t<E>> ? 127 : 255;
};

template <class E>
struct enum_entry {
  E value;
  std::string_view name;
};

}  // namespace sb::reflect

namespace sb::detail {

template <class E, int Value>
inline constexpr auto enum_name_storage =
    fixed_string<raw_enum_name<static_cast<E>(Value)>().size()>(raw_enum_name<static_cast<E>(Value)>());

// A pack expansion in an initializer, not a fold: folds over hundreds of values hit clang's nesting limit.
template <class E, int Min, int... Offsets>
inline constexpr std::string_view enum_scan[] = {enum_name_storage<E, Min + Offsets>.view()...};

template <class E, int Min, int... Offsets>
consteval auto collect_enum_entries(std::integer_sequence<int, Offsets...>) {
  constexpr auto& names = enum_scan<E, Min, Offsets...>;
  constexpr std::size_t count = [&] {
    std::size_t n = 0;
    for (auto name : names) n += name.empty() ? 0 : 1;
    return n;
  }();
  std::array<reflect::enum_entry<E>, count> entries{};
  std::size_t next = 0;
  for (std::size_t i = 0; i < std::size(names); ++i)
    if (!names[i].empty()) entries[next++] = {static_cast<E>(Min + static_cast<int>(i)), names[i]};
  return entries;
}

}  // namespace sb::detail

namespace sb::reflect {

// Every named enumerator of E in [enum_range<E>::min, enum_range<E>::max], ascending by value.
template <class E>
  requires std::is_enum_v<E>
inline constexpr auto enum_entries = detail::collect_enum_entries<E, enum_range<E>::min>(
    std::make_integer_sequence<int, enum_range<E>::max - enum_range<E>::min + 1>{});

// The enumerator's name, or an empty view when the value has none.
template <class E>
  requires std::is_enum_v<E>
constexpr std::string_view enum_name(E value) {
  for (const auto& entry : enum_entries<E>)
    if (entry.value == value) return entry.name;
  return {};
}

// The enumerator called `name`, if there is one.
template <class E>
  requires std::is_enum_v<E>
constexpr bool enum_from_name(std::string_view name, E& out) {
  for (const auto& entry : enum_entries<E>)
    if (entry.name == name) {
      out = entry.value;
      return true;
    }
  return false;
}

}  // namespace sb::reflect
