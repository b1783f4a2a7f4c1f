#pragma once
// sb::json::read: parse JSON bytes straight into C++ types, strictly (RFC 8259), without allocating
// for types that do not own memory.

#include <switchboard/json/detail/powers_of_five.hpp>
#include <switchboard/json/detail/read_context.hpp>
#include <switchboard/json/detail/scan.hpp>
#include <switchboard/json/detail/text.hpp>
#include <switchboard/json/detail/traits.hpp>
#include <switchboard/json/error.hpp>
#include <switchboard/json/fwd.hpp>
#include <switchboard/json/options.hpp>
#include <switchboard/json/raw.hpp>
#include <switchboard/reflect.hpp>

#include <bitset>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace sb::json::detail {

template <class T>
void read_value(T& out, const char*& it, read_context& ctx);

}  // namespace sb::json::detail

namespace sb::json {

// Given to codec<T>::read: reads nested values and reports failures at the current position.
class reader {
 public:
  reader(const char*& it, detail::read_context& ctx) : it_(it), ctx_(ctx) {}

  template <class U>
  bool read(U& out) {
    detail::read_value(out, it_, ctx_);
    return !ctx_.failed();
  }
  bool fail(std::string message) {
    ctx_.fail_with(errc::custom, it_, std::move(message));
    return false;
  }
  bool failed() const { return ctx_.failed(); }
  const char*& position() { return it_; }
  detail::read_context& context() { return ctx_; }

 private:
  const char*& it_;
  detail::read_context& ctx_;
};

}  // namespace sb::json

namespace sb::json::detail {

template <class I>
constexpr const char* integer_type_name() {
  constexpr bool is_signed = std::is_signed_v<I>;
  switch (sizeof(I)) {
    case 1: return is_signed ? "int8" : "uint8";
    case 2: return is_signed ? "int16" : "uint16";
    case 4: return is_signed ? "int32" : "uint32";
    default: return is_signed ? "int64" : "uint64";
  }
}

template <class I>
void fail_range(const char* start, const char* stop, read_context& ctx) {
  std::string text = "integer ";
  text.append(start, static_cast<std::size_t>(std::min<std::ptrdiff_t>(stop - start, 40)));
  text += " out of range for ";
  text += integer_type_name<I>();
  text += " [" + std::to_string(std::numeric_limits<I>::min()) + ", " +
          std::to_string(std::numeric_limits<I>::max()) + "]";
  ctx.fail_with(errc::out_of_range, start, std::move(text));
}

template <class I>
void read_integer(I& out, const char*& it, read_context& ctx) {
  const char* end = ctx.end;
  const char* start = it;
  const bool negative = *it == '-';
  if (negative) ++it;
  if (it >= end || !is_digit(*it)) {
    if (negative) return ctx.fail(errc::syntax, it, "a digit");
    return ctx.fail(errc::unexpected_type, it, "integer");
  }
  std::uint64_t magnitude = 0;
  bool overflow = false;
  if (*it == '0') {
    ++it;
    if (it < end && is_digit(*it))
      return ctx.fail(errc::syntax, it, "no leading zeros (after 0 comes '.', 'e' or the end of the number)");
  } else {
    // Up to 19 digits cannot overflow 64 bits: check only from the 20th on.
    const char* stop = end - it > 19 ? it + 19 : end;
    do {
      magnitude = magnitude * 10 + static_cast<std::uint64_t>(*it - '0');
      ++it;
    } while (it < stop && is_digit(*it));
    while (it < end && is_digit(*it)) {
      const auto digit = static_cast<std::uint64_t>(*it - '0');
      overflow |= magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10;
      magnitude = magnitude * 10 + digit;
      ++it;
    }
  }
  if (it < end && (*it == '.' || *it == 'e' || *it == 'E')) {
    const char* number_start = start;
    it = start;
    if (!scan_number(it, ctx)) return;
    std::string text = "expected integer, found ";
    text.append(number_start, static_cast<std::size_t>(std::min<std::ptrdiff_t>(it - number_start, 40)));
    return ctx.fail_with(errc::unexpected_type, number_start, std::move(text));
  }
  using U = std::make_unsigned_t<I>;
  if constexpr (std::is_signed_v<I>) {
    const auto limit = negative ? static_cast<std::uint64_t>(static_cast<U>(std::numeric_limits<I>::max())) + 1
                                : static_cast<std::uint64_t>(std::numeric_limits<I>::max());
    if (overflow || magnitude > limit) return fail_range<I>(start, it, ctx);
    out = negative ? static_cast<I>(static_cast<U>(0) - static_cast<U>(magnitude)) : static_cast<I>(magnitude);
  } else {
    if (overflow || (negative && magnitude != 0) || magnitude > std::numeric_limits<I>::max())
      return fail_range<I>(start, it, ctx);
    out = static_cast<I>(magnitude);
  }
}

// Eisel-Lemire: w * 10^q correctly rounded to a double, for a nonzero w of at most 19 digits (exact) and
// q in [-342, 308]. Returns false, to be left to std::from_chars, for subnormals and overflow.
// After fast_float (Lemire; Mushtak and Lemire, "Fast Number Parsing Without Fallback").
inline bool eisel_lemire(std::uint64_t w, int q, bool negative, double& out) {
  __extension__ using u128 = unsigned __int128;
  if (w == 0 || q < smallest_power_of_five || q > largest_power_of_five) return false;
  const int lz = __builtin_clzll(w);
  w <<= lz;
  const std::size_t index = 2 * static_cast<std::size_t>(q - smallest_power_of_five);
  u128 first = static_cast<u128>(w) * powers_of_five_128[index];
  auto high = static_cast<std::uint64_t>(first >> 64);
  auto low = static_cast<std::uint64_t>(first);
  constexpr std::uint64_t precision_mask = ~std::uint64_t{0} >> 55;  // 52 explicit bits + 3
  if ((high & precision_mask) == precision_mask) {
    const u128 second = static_cast<u128>(w) * powers_of_five_128[index + 1];
    const auto second_high = static_cast<std::uint64_t>(second >> 64);
    low += second_high;
    if (second_high > low) ++high;
  }
  const int upperbit = static_cast<int>(high >> 63);
  const int shift = upperbit + 64 - 52 - 3;
  std::uint64_t mantissa = high >> shift;
  int power2 = (((152170 + 65536) * q) >> 16) + 63 + upperbit - lz + 1023;
  if (power2 <= 0) return false;  // subnormal
  if (low <= 1 && q >= -4 && q <= 23 && (mantissa & 3) == 1 && (mantissa << shift) == high)
    mantissa &= ~std::uint64_t{1};  // exactly between two doubles: round to even
  mantissa += mantissa & 1;
  mantissa >>= 1;
  if (mantissa >= (std::uint64_t{2} << 52)) {
    mantissa = std::uint64_t{1} << 52;
    ++power2;
  }
  mantissa &= ~(std::uint64_t{1} << 52);
  if (power2 >= 0x7FF) return false;  // overflow
  const std::uint64_t bits = mantissa | (static_cast<std::uint64_t>(power2) << 52) |
                             (static_cast<std::uint64_t>(negative) << 63);
  std::memcpy(&out, &bits, sizeof(out));
  return true;
}

// Parses a number with exact IEEE rounding: Clinger's fast path when mantissa and power of ten are
// both exact doubles, Eisel-Lemire for other doubles of up to 19 digits, std::from_chars otherwise.
template <class F>
void read_floating(F& out, const char*& it, read_context& ctx) {
  const char* end = ctx.end;
  const char* start = it;
  if (*it != '-' && !is_digit(*it)) return ctx.fail(errc::unexpected_type, it, "number");
  const bool negative = *it == '-';
  if (negative) ++it;
  std::uint64_t mantissa = 0;
  int digits = 0;
  int exponent = 0;
  bool exact = true;
  const auto take_digit = [&](char c) {
    if (digits < 19) {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      if (mantissa != 0) ++digits;
      return true;
    }
    exact = false;
    return false;
  };
  if (it >= end || !is_digit(*it)) return ctx.fail(errc::syntax, it, "a digit");
  if (*it == '0') {
    ++it;
    if (it < end && is_digit(*it))
      return ctx.fail(errc::syntax, it, "no leading zeros (after 0 comes '.', 'e' or the end of the number)");
  } else {
    while (it < end && is_digit(*it)) {
      if (!take_digit(*it)) ++exponent;
      ++it;
    }
  }
  if (it < end && *it == '.') {
    ++it;
    if (it >= end || !is_digit(*it)) return ctx.fail(errc::syntax, it, "a digit after the decimal point");
    while (it < end && is_digit(*it)) {
      if (take_digit(*it)) --exponent;
      ++it;
    }
  }
  bool negative_exponent = false;
  if (it < end && (*it == 'e' || *it == 'E')) {
    ++it;
    int explicit_exponent = 0;
    if (it < end && (*it == '+' || *it == '-')) negative_exponent = *it++ == '-';
    if (it >= end || !is_digit(*it)) return ctx.fail(errc::syntax, it, "a digit in the exponent");
    while (it < end && is_digit(*it)) {
      explicit_exponent = std::min(explicit_exponent * 10 + (*it - '0'), 100000);
      ++it;
    }
    exponent += negative_exponent ? -explicit_exponent : explicit_exponent;
  }
  if constexpr (std::is_same_v<F, double>) {
    if (exact && mantissa <= (std::uint64_t{1} << 53) && exponent >= -22 && exponent <= 22) {
      double value = static_cast<double>(mantissa);
      value = exponent < 0 ? value / exact_powers_of_ten[-exponent] : value * exact_powers_of_ten[exponent];
      out = negative ? -value : value;
      return;
    }
    if (exact && eisel_lemire(mantissa, exponent, negative, out)) return;
  }
  F value{};
  const auto [ptr, ec] = std::from_chars(start, it, value);
  if (ec == std::errc::result_out_of_range) {
    if (exponent < 0) {  // underflow: the nearest representable value is zero
      out = negative ? -F{0} : F{0};
      return;
    }
    std::string text = "number ";
    text.append(start, static_cast<std::size_t>(std::min<std::ptrdiff_t>(it - start, 40)));
    text += std::is_same_v<F, float> ? " out of range for float" : " out of range for double";
    return ctx.fail_with(errc::out_of_range, start, std::move(text));
  }
  if (ec != std::errc{} || ptr != it) return ctx.fail(errc::syntax, start, "number");
  out = value;
}

inline bool scan_expected_string(const char*& it, read_context& ctx, scanned_string& s, const char* what) {
  if (*it != '"') {
    ctx.fail(errc::unexpected_type, it, what);
    return false;
  }
  return scan_string(it, ctx, s);
}

inline void read_std_string(std::string& out, const char*& it, read_context& ctx) {
  scanned_string s;
  if (!scan_expected_string(it, ctx, s, "string")) return;
  const auto size = static_cast<std::size_t>(s.last - s.first);
  if (!s.escaped) {
    out.assign(s.first, size);
    return;
  }
  out.resize(size);  // unescaping never lengthens
  out.resize(static_cast<std::size_t>(unescape(s.first, s.last, out.data()) - out.data()));
}

inline void read_string_view(std::string_view& out, const char*& it, read_context& ctx) {
  scanned_string s;
  if (!scan_expected_string(it, ctx, s, "string")) return;
  if (!s.escaped) {
    out = {s.first, static_cast<std::size_t>(s.last - s.first)};
    return;
  }
  if (!ctx.mutable_input)
    return ctx.fail(errc::needs_mutable_buffer, s.first - 1,
                    "a string without escapes (std::string_view cannot view an unescaped copy of read-only "
                    "input: read with sb::json::read_in_place, or use std::string)");
  auto* first = const_cast<char*>(s.first);  // the caller handed us a mutable buffer
  out = {first, static_cast<std::size_t>(unescape(s.first, s.last, first) - first)};
}

inline void read_char(char& out, const char*& it, read_context& ctx) {
  const char* start = it;
  std::string_view text;
  scanned_string s;
  if (!scan_expected_string(it, ctx, s, "a one-character string")) return;
  char decoded[8];
  const auto size = static_cast<std::size_t>(s.last - s.first);
  // Unescaping never lengthens; an escaped string longer than the buffer holds several characters.
  const bool too_long = s.escaped && size > sizeof decoded;
  text = s.escaped && !too_long
             ? std::string_view(decoded, static_cast<std::size_t>(unescape(s.first, s.last, decoded) - decoded))
             : std::string_view(s.first, size);
  if (too_long || text.size() != 1 || static_cast<unsigned char>(text[0]) >= 0x80)
    return ctx.fail_with(errc::unexpected_type, start,
                         "expected a one-character ASCII string for char, found a string of " +
                             (too_long ? std::string("several characters") : std::to_string(text.size()) + " bytes"));
  out = text[0];
}

template <class E>
void read_enum(E& out, const char*& it, read_context& ctx) {
  if (*it == '-' || is_digit(*it)) {  // the documented fallback for values without a name
    std::underlying_type_t<E> number{};
    read_integer(number, it, ctx);
    out = static_cast<E>(number);
    return;
  }
  scanned_string s;
  const char* start = it;
  if (!scan_expected_string(it, ctx, s, "an enumerator name")) return;
  std::string_view name(s.first, static_cast<std::size_t>(s.last - s.first));
  char decoded[64];  // an escaped name (valid JSON, if unusual) is matched unescaped
  const bool decodable = !s.escaped || name.size() <= sizeof decoded;
  if (s.escaped && decodable)
    name = {decoded, static_cast<std::size_t>(unescape(s.first, s.last, decoded) - decoded)};
  if (!decodable || !reflect::enum_from_name(name, out)) {
    std::string text = "expected one of ";
    bool first = true;
    for (const auto& entry : reflect::enum_entries<E>) {
      text += first ? "\"" : ", \"";
      text += entry.name;
      text += '"';
      first = false;
    }
    text += " for ";
    text += reflect::type_name<E>;
    text += ", found \"";
    text.append(name.substr(0, 40));
    text += '"';
    ctx.fail_with(errc::unknown_enumerator, start, std::move(text));
  }
}

// Calls element(index) for each element of the array at `it`; element reads one value.
template <class Element>
void read_array(const char*& it, read_context& ctx, Element&& element) {
  if (*it != '[') return ctx.fail(errc::unexpected_type, it, "array");
  if (!enter(it, ctx)) return;
  const char* end = ctx.end;
  ++it;
  skip_whitespace(it, end);
  if (it < end && *it == ']') {
    ++it;
    --ctx.depth;
    return;
  }
  for (std::size_t index = 0;; ++index) {
    if (it >= end) return ctx.fail(errc::syntax, it, "an array element");
    if (!element(index)) return;
    if (ctx.failed()) return ctx.push_index(index);
    skip_whitespace(it, end);
    if (it < end && *it == ',') {
      ++it;
      skip_whitespace(it, end);
      continue;
    }
    if (it < end && *it == ']') break;
    return ctx.fail(errc::syntax, it, "',' or ']' after an array element");
  }
  ++it;
  --ctx.depth;
}

template <class Sequence>
void read_growable(Sequence& out, const char*& it, read_context& ctx) {
  using element_type = typename Sequence::value_type;
  std::size_t count = 0;
  if constexpr (is_specialization<Sequence, std::list>) {
    out.clear();
    read_array(it, ctx, [&](std::size_t) {
      read_value(out.emplace_back(), it, ctx);
      return true;
    });
  } else {
    // Existing elements are read into again, so a reused container keeps their capacity.
    read_array(it, ctx, [&](std::size_t index) {
      if constexpr (std::is_same_v<Sequence, std::vector<bool, typename Sequence::allocator_type>>) {
        bool element = false;  // std::vector<bool> hands out proxies, not bool&
        read_value(element, it, ctx);
        if (index < out.size())
          out[index] = element;
        else
          out.push_back(element);
      } else if (index < out.size()) {
        read_value(out[index], it, ctx);
      } else {
        read_value(out.emplace_back(), it, ctx);
      }
      count = index + 1;
      return true;
    });
    if (!ctx.failed() && out.size() > count) {
      if constexpr (std::is_default_constructible_v<element_type>) out.resize(count);
    }
  }
}

inline void fail_size(const char* where, std::size_t expected, std::size_t found, read_context& ctx) {
  ctx.fail_with(errc::wrong_size, where,
                "expected an array of " + std::to_string(expected) + " elements, found " +
                    (found > expected ? "more" : std::to_string(found)));
}

template <class T, std::size_t N>
void read_fixed(std::array<T, N>& out, const char*& it, read_context& ctx) {
  std::size_t count = 0;
  const char* start = it;
  read_array(it, ctx, [&](std::size_t index) {
    if (index >= N) {
      fail_size(it, N, index + 1, ctx);
      return false;
    }
    read_value(out[index], it, ctx);
    count = index + 1;
    return true;
  });
  if (!ctx.failed() && count != N) fail_size(start, N, count, ctx);
}

template <class Tuple>
void read_tuple(Tuple& out, const char*& it, read_context& ctx) {
  constexpr std::size_t N = std::tuple_size_v<Tuple>;
  std::size_t count = 0;
  const char* start = it;
  read_array(it, ctx, [&](std::size_t index) {
    if (index >= N) {
      fail_size(it, N, index + 1, ctx);
      return false;
    }
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((I == index ? (read_value(std::get<I>(out), it, ctx), 0) : 0), ...);
    }(std::make_index_sequence<N>{});
    count = index + 1;
    return true;
  });
  if (!ctx.failed() && count != N) fail_size(start, N, count, ctx);
}

// Calls member(key, key_start) for each member of the object at `it`, `it` then at the value.
template <class Member>
void read_object(const char*& it, read_context& ctx, Member&& member) {
  if (*it != '{') return ctx.fail(errc::unexpected_type, it, "object");
  if (!enter(it, ctx)) return;
  const char* end = ctx.end;
  ++it;
  skip_whitespace(it, end);
  if (it < end && *it == '}') {
    ++it;
    --ctx.depth;
    return;
  }
  char unescaped[128];
  for (;;) {
    if (it >= end || *it != '"') return ctx.fail(errc::syntax, it, "a member name in double quotes");
    const char* key_start = it;
    scanned_string s;
    if (!scan_string(it, ctx, s)) return;
    std::string_view key(s.first, static_cast<std::size_t>(s.last - s.first));
    if (s.escaped && key.size() <= sizeof(unescaped)) {
      key = {unescaped, static_cast<std::size_t>(unescape(s.first, s.last, unescaped) - unescaped)};
    }
    skip_whitespace(it, end);
    if (it >= end || *it != ':') return ctx.fail(errc::syntax, it, "':' after the member name");
    ++it;
    skip_whitespace(it, end);
    if (it >= end) return ctx.fail(errc::syntax, it, "a value after ':'");
    if (!member(key, key_start, s)) return;
    if (ctx.failed()) return ctx.push_key({s.first, static_cast<std::size_t>(s.last - s.first)});
    skip_whitespace(it, end);
    if (it < end && *it == ',') {
      ++it;
      skip_whitespace(it, end);
      continue;
    }
    if (it < end && *it == '}') break;
    return ctx.fail(errc::syntax, it, "',' or '}' after an object member");
  }
  ++it;
  --ctx.depth;
}

inline void fail_unknown(std::string_view key, const char* key_start, read_context& ctx) {
  ctx.fail_with(errc::unknown_field, key_start,
                "unknown member \"" + std::string(key.substr(0, 64)) + "\" (read_options::unknown is error)");
}

inline void fail_duplicate(std::string_view key, const char* key_start, read_context& ctx) {
  ctx.fail_with(errc::duplicate_field, key_start,
                "duplicate member \"" + std::string(key.substr(0, 64)) + "\" (read_options::duplicates is error)");
}

template <class Map>
void read_string_map(Map& out, const char*& it, read_context& ctx) {
  // A std::map<std::string, V> read again recycles its nodes: each member takes a node of the previous
  // contents, whose key and value keep their capacity, so reading into a warmed map does not allocate.
  // Members usually come in key order: insert with the end as hint.
  constexpr bool recycle = is_specialization<Map, std::map> && std::is_same_v<typename Map::key_type, std::string>;
  [[maybe_unused]] Map previous;
  if constexpr (recycle)
    previous.swap(out);
  else
    out.clear();
  const auto emplace = [&](auto&& stored_key) -> typename Map::mapped_type& {
    if constexpr (is_specialization<Map, std::map>)
      return out.try_emplace(out.end(), std::forward<decltype(stored_key)>(stored_key))->second;
    else
      return out.try_emplace(std::forward<decltype(stored_key)>(stored_key)).first->second;
  };
  read_object(it, ctx, [&](std::string_view key, const char* key_start, const scanned_string& s) {
    if constexpr (recycle) {
      if (!previous.empty()) {
        auto node = previous.extract(previous.begin());
        std::string& name = node.key();
        if (s.escaped && key.data() == s.first) {  // too long for read_object's buffer
          name.resize(key.size());
          name.resize(static_cast<std::size_t>(unescape(s.first, s.last, name.data()) - name.data()));
        } else {
          name.assign(key.data(), key.size());
        }
        if (ctx.options.duplicates == duplicate_keys::error && out.count(name)) {
          fail_duplicate(name, key_start, ctx);
          return false;
        }
        read_value(node.mapped(), it, ctx);
        const auto position = out.insert(out.end(), std::move(node));
        if (!node.empty()) position->second = std::move(node.mapped());  // a repeated key: the last wins
        return true;
      }
    }
    if constexpr (std::is_same_v<typename Map::key_type, std::string_view>) {
      if (s.escaped) {
        if (!ctx.mutable_input) {
          ctx.fail(errc::needs_mutable_buffer, key_start, "a member name without escapes for a string_view key");
          return false;
        }
        auto* first = const_cast<char*>(s.first);
        key = {first, static_cast<std::size_t>(unescape(s.first, s.last, first) - first)};
      }
    } else if (s.escaped && key.data() == s.first) {  // too long for the stack buffer
      std::string decoded(key.size(), '\0');
      decoded.resize(static_cast<std::size_t>(unescape(s.first, s.last, decoded.data()) - decoded.data()));
      if (ctx.options.duplicates == duplicate_keys::error && out.count(decoded)) {
        fail_duplicate(decoded, key_start, ctx);
        return false;
      }
      read_value(emplace(std::move(decoded)), it, ctx);
      return true;
    }
    typename Map::key_type stored_key(key);
    if (ctx.options.duplicates == duplicate_keys::error && out.count(stored_key)) {
      fail_duplicate(key, key_start, ctx);
      return false;
    }
    read_value(emplace(std::move(stored_key)), it, ctx);
    return true;
  });
}

template <class Map>
void read_map(Map& out, const char*& it, read_context& ctx) {
  static_assert(string_keyed<Map>,
                "switchboard: a std::map or std::unordered_map has a JSON form only with std::string or "
                "std::string_view keys (JSON object keys are strings)");
  if constexpr (string_keyed<Map>) read_string_map(out, it, ctx);
}

template <class T, std::size_t I>
void read_field(T& out, const char*& it, read_context& ctx) {
  read_value(boost::pfr::get<field_table<T>[I].index>(out), it, ctx);
}

template <class T, std::size_t... I>
constexpr auto make_field_readers(std::index_sequence<I...>) {
  using reader_fn = void (*)(T&, const char*&, read_context&);
  return std::array<reader_fn, sizeof...(I)>{&read_field<T, I>...};
}

template <class T>
inline constexpr auto field_readers = make_field_readers<T>(std::make_index_sequence<json_field_count<T>>{});

// An absent optional or pointer member becomes empty; other members keep their value (meta defaults).
template <class T, std::size_t I>
void reset_field(T& out) {
  auto& member = boost::pfr::get<field_table<T>[I].index>(out);
  if constexpr (nullable<std::remove_cvref_t<decltype(member)>>) member.reset();
}

template <class T, std::size_t... I>
constexpr auto make_field_resetters(std::index_sequence<I...>) {
  using reset_fn = void (*)(T&);
  return std::array<reset_fn, sizeof...(I)>{&reset_field<T, I>...};
}

template <class T>
inline constexpr auto field_resetters = make_field_resetters<T>(std::make_index_sequence<json_field_count<T>>{});

template <class T>
std::size_t find_field(std::string_view key, std::size_t guess) {
  constexpr auto& fields = field_table<T>;
  constexpr std::size_t count = fields.size();
  // Writers usually emit members in declaration order: try the next one first.
  if (guess < count && fields[guess].name.size() == key.size() &&
      same_bytes(fields[guess].name.data(), key.data(), key.size()))
    return guess;
  for (std::size_t i = 0; i < count; ++i)
    if (fields[i].name.size() == key.size() && same_bytes(fields[i].name.data(), key.data(), key.size()))
      return i;
  return count;
}

template <class T>
void read_aggregate(T& out, const char*& it, read_context& ctx) {
  constexpr auto& fields = field_table<T>;
  constexpr std::size_t count = fields.size();
  std::bitset<count == 0 ? 1 : count> seen;
  std::size_t next = 0;
  const char* object_start = it;
  read_object(it, ctx, [&](std::string_view key, const char* key_start, const scanned_string&) {
    const std::size_t index = find_field<T>(key, next);
    if (index == count) {
      if (ctx.options.unknown == unknown_keys::error) {
        fail_unknown(key, key_start, ctx);
        return false;
      }
      skip_value(it, ctx);
      return true;
    }
    if (seen[index] && ctx.options.duplicates == duplicate_keys::error) {
      fail_duplicate(key, key_start, ctx);
      return false;
    }
    field_readers<T>[index](out, it, ctx);
    seen[index] = true;
    next = index + 1;
    return true;
  });
  if (ctx.failed()) return;
  for (std::size_t i = 0; i < count; ++i) {
    if (seen[i]) continue;
    if (fields[i].required) {
      return ctx.fail_with(errc::missing_field, object_start,
                           "missing required member \"" + std::string(fields[i].name) + "\" of " +
                               std::string(reflect::type_name<T>));
    }
    field_resetters<T>[i](out);  // absent means empty, also in a target reused from an earlier read
  }
}

template <class Variant>
void read_variant(Variant& out, const char*& it, read_context& ctx);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" as a UTC instant: whole seconds (which hold
// any year 0000-9999, unlike nanoseconds) and the fraction of the second below them.
inline bool parse_iso8601(std::string_view text, std::chrono::sys_seconds& whole,
                          std::chrono::nanoseconds& fraction) {
  const auto number = [&](std::size_t pos, std::size_t width, int& value) {
    if (pos + width > text.size()) return false;
    value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
      if (!is_digit(text[i])) return false;
      value = value * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!number(0, 4, year) || text.size() < 20 || text[4] != '-' || !number(5, 2, month) || text[7] != '-' ||
      !number(8, 2, day) || (text[10] != 'T' && text[10] != 't') || !number(11, 2, hour) || text[13] != ':' ||
      !number(14, 2, minute) || text[16] != ':' || !number(17, 2, second))
    return false;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return false;
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    std::size_t digits = 0;
    for (++pos; pos < text.size() && is_digit(text[pos]); ++pos, ++digits)
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
    if (digits == 0) return false;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!number(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' || !number(pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return false;
    offset_minutes = (text[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  using namespace std::chrono;
  whole = sys_days{date} + hours{hour} + minutes{minute - offset_minutes} + seconds{second};
  fraction = nanoseconds{nanos};
  return true;
}

template <class TimePoint>
void read_time_point(TimePoint& out, const char*& it, read_context& ctx) {
  using duration_type = typename TimePoint::duration;
  if constexpr (system_time_point<TimePoint>) {
    const char* start = it;
    scanned_string s;
    if (!scan_expected_string(it, ctx, s, "an ISO 8601 date-time string")) return;
    std::string_view text(s.first, static_cast<std::size_t>(s.last - s.first));
    char decoded[64];  // as in read_enum
    const bool decodable = !s.escaped || text.size() <= sizeof decoded;
    if (s.escaped && decodable)
      text = {decoded, static_cast<std::size_t>(unescape(s.first, s.last, decoded) - decoded)};
    std::chrono::sys_seconds whole;
    std::chrono::nanoseconds fraction;
    if (!decodable || !parse_iso8601(text, whole, fraction))
      return ctx.fail(errc::unexpected_type, start, "an ISO 8601 date-time like \"2026-11-21T23:00:58Z\"");
    using double_seconds = std::chrono::duration<double>;
    const double seconds = static_cast<double>(whole.time_since_epoch().count());
    if (seconds >= double_seconds(duration_type::max()).count() ||
        seconds <= double_seconds(duration_type::min()).count())
      return ctx.fail_with(errc::out_of_range, start,
                           "date-time " + std::string(text) + " out of range for the target time point's duration");
    // Rounded down, as dropping the extra fraction digits would: 23:59:59.9995 is 23:59:59.999 in ms.
    out = TimePoint(std::chrono::floor<duration_type>(whole.time_since_epoch()) +
                    std::chrono::floor<duration_type>(fraction));
  } else {
    typename duration_type::rep count{};
    read_value(count, it, ctx);
    out = TimePoint(duration_type(count));
  }
}

template <class... T>
struct type_list {};

template <class T, class... Outer>
consteval bool is_outer(type_list<Outer...>) {
  return (std::is_same_v<T, Outer> || ...);
}

template <class T, class... Outer>
type_list<T, Outer...> with_outer(type_list<Outer...>);

// Whether T has a JSON form; checked at the public entry points so a misuse gives one clear message.
// Outer lists the aggregates whose fields are being checked, so that a recursive type terminates.
// Maps with other keys than strings, and spans, pass here: read_map and read_value then fail with a
// static_assert that names the actual problem.
template <class T, class Outer = type_list<>, bool Writing = false>
consteval bool readable();

template <class Tuple, class Outer, bool Writing, std::size_t... I>
consteval bool all_readable(std::index_sequence<I...>) {
  return (readable<std::remove_cv_t<std::tuple_element_t<I, Tuple>>, Outer, Writing>() && ...);
}

template <class T, class Outer, bool Writing, std::size_t... I>
consteval bool fields_readable(std::index_sequence<I...>) {
  return (readable<boost::pfr::tuple_element_t<field_table<T>[I].index, T>, Outer, Writing>() && ...);
}

// Writing: whether T can be written, which C strings can too.
template <class T, class Outer, bool Writing>
consteval bool readable() {
  if constexpr (is_outer<T>(Outer{}))
    return true;  // a recursive type: the outer check covers its other fields
  else if constexpr (has_codec<T> || boolean<T> || character<T> || integer<T> || floating<T> || enumeration<T> ||
                     owning_string<T> || string_view_like<T> || null_type<T> || raw_json<T> || dynamic_value<T> ||
                     (Writing && c_string<T>))
    return true;
  else if constexpr (duration<T> || time_point<T> || span_sequence<T>)
    return true;
  else if constexpr (optional_like<T>)
    return readable<typename T::value_type, Outer, Writing>();
  else if constexpr (smart_pointer<T>)
    return readable<typename T::element_type, Outer, Writing>();
  else if constexpr (growable_sequence<T> || fixed_sequence<T>)
    return readable<typename T::value_type, Outer, Writing>();
  else if constexpr (string_map<T>)
    return readable<typename T::mapped_type, Outer, Writing>();
  else if constexpr (tuple_like<T>)
    return all_readable<T, Outer, Writing>(std::make_index_sequence<std::tuple_size_v<T>>{});
  else if constexpr (variant_like<T>)
    return []<class... A>(std::variant<A...>*) {
      return (readable<A, Outer, Writing>() && ...);
    }(static_cast<T*>(nullptr));
  else if constexpr (reflectable<T>)
    return fields_readable<T, decltype(with_outer<T>(Outer{})), Writing>(std::make_index_sequence<json_field_count<T>>{});
  else
    return false;
}

template <class T>
consteval bool writable() {
  return readable<T, type_list<>, true>();
}

template <class T>
void read_value(T& out, const char*& it, read_context& ctx) {
  if constexpr (has_codec<T>) {
    reader in(it, ctx);
    codec<T>::read(out, in);
  } else if constexpr (boolean<T>) {
    if (match_literal(it, ctx.end, "true", 4))
      out = true;
    else if (match_literal(it, ctx.end, "false", 5))
      out = false;
    else
      ctx.fail(errc::unexpected_type, it, "boolean");
  } else if constexpr (integer<T>) {
    read_integer(out, it, ctx);
  } else if constexpr (floating<T>) {
    read_floating(out, it, ctx);
  } else if constexpr (owning_string<T>) {
    read_std_string(out, it, ctx);
  } else if constexpr (string_view_like<T>) {
    read_string_view(out, it, ctx);
  } else if constexpr (character<T>) {
    read_char(out, it, ctx);
  } else if constexpr (enumeration<T>) {
    read_enum(out, it, ctx);
  } else if constexpr (null_type<T>) {
    if (!match_literal(it, ctx.end, "null", 4)) ctx.fail(errc::unexpected_type, it, "null");
  } else if constexpr (optional_like<T>) {
    if (match_literal(it, ctx.end, "null", 4)) {
      out.reset();
    } else {
      if (!out) out.emplace();
      read_value(*out, it, ctx);
    }
  } else if constexpr (smart_pointer<T>) {
    if (match_literal(it, ctx.end, "null", 4)) {
      out.reset();
    } else {
      using element = typename T::element_type;
      if (!out) {
        if constexpr (is_specialization<T, std::unique_ptr>)
          out = std::make_unique<element>();
        else
          out = std::make_shared<element>();
      }
      read_value(*out, it, ctx);
    }
  } else if constexpr (raw_json<T>) {
    const char* start = it;
    skip_value(it, ctx);
    out.json = decltype(out.json)(start, static_cast<std::size_t>(it - start));
  } else if constexpr (growable_sequence<T>) {
    read_growable(out, it, ctx);
  } else if constexpr (fixed_sequence<T>) {
    read_fixed(out, it, ctx);
  } else if constexpr (span_sequence<T>) {
    static_assert(always_false<T>, "switchboard: std::span can be written but not read: read into std::vector "
                                   "or std::array");
  } else if constexpr (string_map<T>) {
    read_map(out, it, ctx);
  } else if constexpr (tuple_like<T>) {
    read_tuple(out, it, ctx);
  } else if constexpr (variant_like<T>) {
    read_variant(out, it, ctx);
  } else if constexpr (duration<T>) {
    typename T::rep count{};
    read_value(count, it, ctx);
    out = T(count);
  } else if constexpr (time_point<T>) {
    read_time_point(out, it, ctx);
  } else if constexpr (reflectable<T>) {
    read_aggregate(out, it, ctx);
  } else {
    static_assert(always_false<T>, "switchboard: this type has no JSON form: make it an aggregate of supported "
                                   "types or specialize sb::json::codec for it");
  }
}

// JSON kind of the token at `it`, for std::variant: the representation is untagged, chosen by kind.
enum class token_kind { null, boolean, integer, number, string, array, object, invalid };

inline token_kind peek_kind(const char* it, const char* end) {
  if (it >= end) return token_kind::invalid;
  switch (*it) {
    case 'n': return token_kind::null;
    case 't': case 'f': return token_kind::boolean;
    case '"': return token_kind::string;
    case '[': return token_kind::array;
    case '{': return token_kind::object;
    default: break;
  }
  if (*it != '-' && !is_digit(*it)) return token_kind::invalid;
  for (const char* p = it + 1; p < end && !is_whitespace(*p) && *p != ',' && *p != ']' && *p != '}'; ++p)
    if (*p == '.' || *p == 'e' || *p == 'E') return token_kind::number;
  return token_kind::integer;
}

template <class T>
consteval token_kind kind_of() {
  if constexpr (null_type<T>) return token_kind::null;
  else if constexpr (boolean<T>) return token_kind::boolean;
  else if constexpr (integer<T>) return token_kind::integer;
  else if constexpr (floating<T>) return token_kind::number;
  else if constexpr (owning_string<T> || string_view_like<T> || character<T> || enumeration<T> ||
                     system_time_point<T>)
    return token_kind::string;
  else if constexpr (growable_sequence<T> || fixed_sequence<T> || tuple_like<T>) return token_kind::array;
  else if constexpr (string_map<T> || reflectable<T>) return token_kind::object;
  else if constexpr (duration<T> || (time_point<T> && !system_time_point<T>))  // written as their count
    return std::is_floating_point_v<typename T::rep> ? token_kind::number : token_kind::integer;
  else return token_kind::invalid;
}

template <class... Alternatives>
consteval bool kinds_distinct() {
  constexpr token_kind kinds[] = {kind_of<Alternatives>()...};
  for (std::size_t i = 0; i < sizeof...(Alternatives); ++i) {
    if (kinds[i] == token_kind::invalid) return false;
    for (std::size_t j = i + 1; j < sizeof...(Alternatives); ++j)
      if (kinds[i] == kinds[j]) return false;
  }
  return true;
}

template <class Variant>
void read_variant(Variant& out, const char*& it, read_context& ctx) {
  [&]<class... A>(std::variant<A...>*) {
    static_assert(kinds_distinct<A...>(),
                  "switchboard: std::variant is read by JSON kind (null, boolean, integer, number, string, "
                  "array, object): its alternatives must each take a different kind");
    token_kind kind = peek_kind(it, ctx.end);
    constexpr bool has_integer = ((kind_of<A>() == token_kind::integer) || ...);
    constexpr bool has_number = ((kind_of<A>() == token_kind::number) || ...);
    if (kind == token_kind::integer && !has_integer && has_number) kind = token_kind::number;
    if (kind == token_kind::number && !has_number && has_integer) kind = token_kind::integer;
    const bool matched = ([&] {
      if (kind_of<A>() != kind) return false;
      if (!std::holds_alternative<A>(out)) out.template emplace<A>();
      read_value(std::get<A>(out), it, ctx);
      return true;
    }() || ...);
    if (!matched) {
      if (kind == token_kind::invalid) return ctx.fail(errc::syntax, it, "a JSON value");
      ctx.fail(errc::unexpected_type, it, "a value of one of the variant's kinds");
    }
  }(static_cast<Variant*>(nullptr));
}

}  // namespace sb::json::detail

namespace sb::json {

namespace detail {
template <class T>
error read_document(T& out, const char* begin, const char* end, bool is_mutable, const read_options& options) {
  static_assert(!span_sequence<T>, "switchboard: std::span can be written but not read: read into std::vector "
                                   "or std::array");
  static_assert(readable<T>(), "switchboard: sb::json::read target has no JSON form: make it an aggregate of "
                               "supported types or specialize sb::json::codec for it");
  read_context ctx(begin, end, is_mutable, options);
  const char* it = begin;
  skip_whitespace(it, end);
  if (it >= end) {
    ctx.fail(errc::syntax, it, "a JSON value");
  } else {
    read_value(out, it, ctx);
    if (!ctx.failed()) {
      skip_whitespace(it, end);
      if (it != end) ctx.fail(errc::trailing_content, it, "the end of input after the value");
    }
  }
  return ctx.failed() ? make_error(ctx) : error{};
}
}  // namespace detail

// Reads `in` into `out`. std::string_view targets view `in`, so `in` must outlive them; a string with
// escapes cannot be viewed and is an error here (use read_in_place).
template <class T>
error read(T& out, std::string_view in, const read_options& options = {}) {
  return detail::read_document(out, in.data(), in.data() + in.size(), false, options);
}

// Like read, but may rewrite `buffer`: escaped strings are unescaped in place, so std::string_view
// targets never need a copy.
template <class T>
error read_in_place(T& out, std::span<char> buffer, const read_options& options = {}) {
  return detail::read_document(out, buffer.data(), buffer.data() + buffer.size(), true, options);
}

}  // namespace sb::json
