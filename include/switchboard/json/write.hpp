#pragma once
// sb::json::write: C++ values to compact (or pretty) JSON, appended to a std::string that keeps its
// capacity, or into a fixed span that reports overflow.

#include <switchboard/json/detail/read_context.hpp>
#include <switchboard/json/detail/shortest.hpp>
#include <switchboard/json/detail/text.hpp>
#include <switchboard/json/detail/traits.hpp>
#include <switchboard/json/error.hpp>
#include <switchboard/json/fwd.hpp>
#include <switchboard/json/options.hpp>
#include <switchboard/json/raw.hpp>
#include <switchboard/reflect.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace sb::json::detail {

// Appends to a std::string: grows geometrically, and trims to the written size when done.
class string_sink {
 public:
  explicit string_sink(std::string& out) : out_(out), used_(out.size()) {
    if (out_.size() < out_.capacity()) out_.resize(out_.capacity());  // no allocation: reuse capacity
  }
  bool ensure(std::size_t n) {
    if (out_.size() - used_ < n) [[unlikely]]
      grow(n);
    return true;
  }
  char* cursor() { return out_.data() + used_; }
  void advance(std::size_t n) { used_ += n; }
  void finish() { out_.resize(used_); }
  std::size_t size() const { return used_; }

 private:
  // Out of line, so that ensure() inlines into every write.
  [[gnu::noinline]] void grow(std::size_t n) { out_.resize(std::max({out_.size() * 2, used_ + n, std::size_t{64}})); }

  std::string& out_;
  std::size_t used_;
};

// Writes into caller-owned memory; running out of room is reported, never overrun.
class span_sink {
 public:
  explicit span_sink(std::span<char> out) : out_(out) {}
  bool ensure(std::size_t n) { return out_.size() - used_ >= n; }
  char* cursor() { return out_.data() + used_; }
  void advance(std::size_t n) { used_ += n; }
  void finish() {}
  std::size_t size() const { return used_; }

 private:
  std::span<char> out_;
  std::size_t used_ = 0;
};

}  // namespace sb::json::detail

namespace sb::json {

// Given to codec<T>::write; also the engine behind sb::json::write.
template <class Sink, write_options Options>
class writer {
 public:
  explicit writer(Sink& sink) : sink_(sink) {}

  template <class U>
  void write(const U& value);  // defined below, after the type dispatch

  void raw(std::string_view bytes) {
    if (!reserve(bytes.size())) return;
    std::memcpy(sink_.cursor(), bytes.data(), bytes.size());
    sink_.advance(bytes.size());
  }
  // A size known at compile time: the copy becomes a few moves instead of a memcpy call.
  template <std::size_t N>
  void raw_fixed(const char* bytes) {
    if (!reserve(N)) return;
    std::memcpy(sink_.cursor(), bytes, N);
    sink_.advance(N);
  }
  void put(char c) {
    if (!reserve(1)) return;
    *sink_.cursor() = c;
    sink_.advance(1);
  }
  bool reserve(std::size_t n) {
    if (code_ == errc::none && sink_.ensure(n)) [[likely]]
      return true;
    return refuse();
  }
  // The cold half of reserve(): after an earlier failure, or out of room.
  [[gnu::noinline]] bool refuse() {
    fail(errc::buffer_overflow, "the output buffer is too small");
    return false;
  }
  void fail(errc code, std::string message) {
    if (code_ != errc::none) return;
    code_ = code;
    message_ = std::move(message);
  }
  bool failed() const { return code_ != errc::none; }
  void push_key(std::string_view key) {
    if (segment_count_ < detail::max_path_segments) segments_[segment_count_++] = {key.data(), key.size()};
  }
  void push_index(std::size_t index) {
    if (segment_count_ < detail::max_path_segments) segments_[segment_count_++] = {nullptr, index};
  }
  void newline() {
    if constexpr (Options.pretty) {
      put('\n');
      for (int i = 0; i < depth_ * Options.indent; ++i) put(' ');
    }
  }
  void open(char c) {
    put(c);
    ++depth_;
  }
  void close(char c, bool empty) {
    --depth_;
    if (!empty) newline();
    put(c);
  }
  error result() const {
    if (code_ == errc::none) return {};
    return error(code_, sink_.size(), 0, 0, detail::render_path(segments_, segment_count_), message_);
  }
  Sink& sink() { return sink_; }

 private:
  Sink& sink_;
  int depth_ = 0;
  errc code_ = errc::none;
  std::string message_;
  std::size_t segment_count_ = 0;
  detail::path_segment segments_[detail::max_path_segments];
};

}  // namespace sb::json

namespace sb::json::detail {

template <class W, class T>
void write_value(const T& value, W& w);

template <class W>
struct options_of;
template <class Sink, write_options Options>
struct options_of<writer<Sink, Options>> {
  static constexpr write_options value = Options;
};

// Formats in place when the sink has room for the longest form, else on the stack and copies, so a
// fixed buffer with room for the actual digits is not reported as overflowing.
template <class W>
void write_integer(auto value, W& w) {
  if (w.failed()) return;
  char local[24];
  const bool in_place = w.sink().ensure(sizeof local);
  char* first = in_place ? w.sink().cursor() : local;
  const auto result = std::to_chars(first, first + sizeof local, value);
  if (in_place)
    w.sink().advance(static_cast<std::size_t>(result.ptr - first));
  else
    w.raw({local, static_cast<std::size_t>(result.ptr - local)});
}

// Shortest round-trip form (detail/shortest.hpp), always recognisably a floating-point number
// ("1.0", "1e300").
template <class W, class F>
void write_floating(F value, W& w) {
  if (!std::isfinite(value)) {
    return w.fail(errc::not_representable,
                  std::string("cannot write ") + (std::isnan(value) ? "NaN" : "infinity") + ": JSON has no such number");
  }
  if (w.failed()) return;
  char local[48];
  const bool in_place = w.sink().ensure(sizeof local);  // as in write_integer
  char* first = in_place ? w.sink().cursor() : local;
  char* last = nullptr;
  if constexpr (std::is_same_v<F, double> || std::is_same_v<F, float>) {
    last = write_shortest(first, value);
  } else {  // long double: the library's shortest form, trimmed the same way
    last = std::to_chars(first, first + 44, value).ptr;  // 2 spare bytes for ".0"
    char* exponent = std::find(first, last, 'e');
    if (exponent != last) {
      if (exponent[1] == '+') {
        std::memmove(exponent + 1, exponent + 2, static_cast<std::size_t>(last - exponent - 2));
        --last;
      }
    } else if (std::find(first, last, '.') == last) {
      *last++ = '.';
      *last++ = '0';
    }
  }
  if (in_place)
    w.sink().advance(static_cast<std::size_t>(last - first));
  else
    w.raw({local, static_cast<std::size_t>(last - local)});
}

inline constexpr char hex_digits[] = "0123456789abcdef";

// Quotes and escapes `text`; invalid UTF-8 is refused so that every output is valid JSON text.
template <class W>
void write_string(std::string_view text, W& w) {
  if (!w.reserve(text.size() + 2)) return;
  auto& sink = w.sink();
  *sink.cursor() = '"';
  sink.advance(1);
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* run = p;
    while (end - p >= 8) {
      const std::uint64_t marks = string_specials(load8(p));
      if (marks != 0) {
        p += first_marked_byte(marks);
        break;
      }
      p += 8;
    }
    for (; p < end; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
    }
    if (p > run) {  // room for the run was reserved up front
      std::memcpy(sink.cursor(), run, static_cast<std::size_t>(p - run));
      sink.advance(static_cast<std::size_t>(p - run));
    }
    if (p >= end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      // Validate the whole run of non-ASCII text (CJK, emoji), then copy it at once.
      const char* first = p;
      do {
        const unsigned length = utf8_sequence_length(reinterpret_cast<const unsigned char*>(p),
                                                     reinterpret_cast<const unsigned char*>(end));
        if (length == 0) {
          return w.fail(errc::not_representable,
                        "invalid UTF-8 at byte " + std::to_string(p - text.data()) + " of a string");
        }
        p += length;
      } while (p < end && static_cast<unsigned char>(*p) >= 0x80);
      std::memcpy(sink.cursor(), first, static_cast<std::size_t>(p - first));
      sink.advance(static_cast<std::size_t>(p - first));
      continue;
    }
    char escape[6] = {'\\', 0, 0, 0, 0, 0};
    std::size_t length = 2;
    switch (c) {
      case '"': escape[1] = '"'; break;
      case '\\': escape[1] = '\\'; break;
      case '\b': escape[1] = 'b'; break;
      case '\f': escape[1] = 'f'; break;
      case '\n': escape[1] = 'n'; break;
      case '\r': escape[1] = 'r'; break;
      case '\t': escape[1] = 't'; break;
      default:
        escape[1] = 'u';
        escape[2] = '0';
        escape[3] = '0';
        escape[4] = hex_digits[c >> 4];
        escape[5] = hex_digits[c & 15];
        length = 6;
    }
    // The escape replaces one reserved byte; ask for the rest.
    if (!w.reserve(length + static_cast<std::size_t>(end - p))) return;
    std::memcpy(sink.cursor(), escape, length);
    sink.advance(length);
    ++p;
  }
  *sink.cursor() = '"';
  sink.advance(1);
}

template <class W, class Range>
void write_sequence(const Range& range, W& w) {
  w.open('[');
  std::size_t index = 0;
  for (const auto& element : range) {
    if (index != 0) w.put(',');
    w.newline();
    write_value(element, w);
    if (w.failed()) return w.push_index(index);
    ++index;
  }
  w.close(']', index == 0);
}

template <class W, class Tuple>
void write_tuple(const Tuple& tuple, W& w) {
  w.open('[');
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if (w.failed()) return;
          if (I != 0) w.put(',');
          w.newline();
          write_value(std::get<I>(tuple), w);
          if (w.failed()) w.push_index(I);
        }(),
        ...);
  }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  w.close(']', std::tuple_size_v<Tuple> == 0);
}

template <class W, class Map>
void write_map(const Map& map, W& w) {
  static_assert(string_keyed<Map>,
                "switchboard: a std::map or std::unordered_map has a JSON form only with std::string or "
                "std::string_view keys (JSON object keys are strings)");
  w.open('{');
  bool first = true;
  for (const auto& [key, element] : map) {
    if (!first) w.put(',');
    w.newline();
    write_string(key, w);
    w.put(':');
    if constexpr (options_of<W>::value.pretty) w.put(' ');
    write_value(element, w);
    if (w.failed()) return w.push_key(key);
    first = false;
  }
  w.close('}', first);
}

template <class T>
constexpr bool is_absent(const T& value) {
  if constexpr (nullable<T>) return !value;
  else return false;
}

// `"name":` with its leading comma, built at compile time so the hot loop does one memcpy.
template <class T, std::size_t I, bool Comma>
consteval auto make_member_prefix() {
  constexpr std::string_view name = field_table<T>[I].name;
  sb::detail::fixed_string<name.size() + 3 + (Comma ? 1 : 0)> prefix;
  std::size_t n = 0;
  if (Comma) prefix.data[n++] = ',';
  prefix.data[n++] = '"';
  for (char c : name) prefix.data[n++] = c;
  prefix.data[n++] = '"';
  prefix.data[n++] = ':';
  return prefix;
}
template <class T, std::size_t I, bool Comma>
inline constexpr auto member_prefix = make_member_prefix<T, I, Comma>();

template <class W, class T>
void write_aggregate(const T& value, W& w) {
  static_assert(names_are_plain<T>(), "switchboard: a JSON member name from sb::json::meta may not contain '\"', "
                                      "'\\\\' or control characters");
  constexpr write_options options = options_of<W>::value;
  w.open('{');
  bool first = true;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if (w.failed()) return;
          const auto& member = boost::pfr::get<field_table<T>[I].index>(value);
          if (options.skip_null_members && is_absent(member)) return;
          if constexpr (options.pretty) {
            if (!first) w.put(',');
            w.newline();
            w.raw(member_prefix<T, I, false>.view());
            w.put(' ');
          } else if constexpr (!options.skip_null_members) {
            constexpr auto& prefix = member_prefix<T, I, (I != 0)>;  // no member is left out: I == 0 is first
            w.template raw_fixed<prefix.size()>(prefix.data);
          } else {
            w.raw(first ? member_prefix<T, I, false>.view() : member_prefix<T, I, true>.view());
          }
          first = false;
          write_value(member, w);
          if (w.failed()) w.push_key(field_table<T>[I].name);
        }(),
        ...);
  }(std::make_index_sequence<json_field_count<T>>{});
  w.close('}', first);
}

// Writes "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with as many fraction digits as the duration resolves.
template <class W, class TimePoint>
void write_iso8601(const TimePoint& instant, W& w) {
  using namespace std::chrono;
  const auto day = floor<days>(instant);
  const year_month_day date{day};
  const hh_mm_ss<typename TimePoint::duration> time{instant - day};
  char text[40];
  char* p = text;
  const auto two = [&](unsigned v) {
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) return w.fail(errc::not_representable, "year outside 0000-9999 in a time point");
  two(static_cast<unsigned>(year) / 100);
  two(static_cast<unsigned>(year) % 100);
  *p++ = '-';
  two(static_cast<unsigned>(date.month()));
  *p++ = '-';
  two(static_cast<unsigned>(date.day()));
  *p++ = 'T';
  two(static_cast<unsigned>(time.hours().count()));
  *p++ = ':';
  two(static_cast<unsigned>(time.minutes().count()));
  *p++ = ':';
  two(static_cast<unsigned>(time.seconds().count()));
  constexpr unsigned width = hh_mm_ss<typename TimePoint::duration>::fractional_width;
  if constexpr (width > 0) {
    *p++ = '.';
    auto fraction = static_cast<std::uint64_t>(time.subseconds().count());
    for (unsigned i = width; i-- > 0;) {
      p[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    p += width;
  }
  *p++ = 'Z';
  w.put('"');
  w.raw({text, static_cast<std::size_t>(p - text)});
  w.put('"');
}

template <class W, class Variant>
void write_variant(const Variant& value, W& w) {
  if (value.valueless_by_exception())
    return w.fail(errc::not_representable, "cannot write a valueless std::variant");
  std::visit([&](const auto& alternative) { write_value(alternative, w); }, value);
}

template <class W, class T>
void write_value(const T& value, W& w) {
  if constexpr (has_codec<T>) {
    codec<T>::write(value, w);
  } else if constexpr (boolean<T>) {
    value ? w.raw("true") : w.raw("false");
  } else if constexpr (integer<T>) {
    write_integer(value, w);
  } else if constexpr (floating<T>) {
    write_floating(value, w);
  } else if constexpr (owning_string<T> || string_view_like<T>) {
    write_string(value, w);
  } else if constexpr (c_string<T>) {
    value ? write_string(std::string_view(value), w) : w.raw("null");
  } else if constexpr (character<T>) {
    write_string(std::string_view(&value, 1), w);
  } else if constexpr (enumeration<T>) {
    const std::string_view name = reflect::enum_name(value);
    if (name.empty()) {
      write_integer(static_cast<std::underlying_type_t<T>>(value), w);  // the documented fallback
    } else {
      w.put('"');
      w.raw(name);
      w.put('"');
    }
  } else if constexpr (null_type<T>) {
    w.raw("null");
  } else if constexpr (nullable<T>) {
    if (value)
      write_value(*value, w);
    else
      w.raw("null");
  } else if constexpr (raw_json<T>) {
    const std::string_view bytes(value.json);
    w.raw(bytes.empty() ? std::string_view("null") : bytes);  // an empty fragment is not JSON
  } else if constexpr (growable_sequence<T> || fixed_sequence<T> || span_sequence<T>) {
    write_sequence(value, w);
  } else if constexpr (string_map<T>) {
    write_map(value, w);
  } else if constexpr (tuple_like<T>) {
    write_tuple(value, w);
  } else if constexpr (variant_like<T>) {
    write_variant(value, w);
  } else if constexpr (duration<T>) {
    write_value(value.count(), w);
  } else if constexpr (system_time_point<T>) {
    write_iso8601(value, w);
  } else if constexpr (time_point<T>) {
    write_value(value.time_since_epoch().count(), w);
  } else if constexpr (reflectable<T>) {
    write_aggregate(value, w);
  } else {
    static_assert(always_false<T>, "switchboard: this type has no JSON form: make it an aggregate of supported "
                                   "types or specialize sb::json::codec for it");
  }
}

}  // namespace sb::json::detail

namespace sb::json {

template <class Sink, write_options Options>
template <class U>
void writer<Sink, Options>::write(const U& value) {
  detail::write_value(value, *this);
}

// Appends the JSON of `in` to `out`. A warmed `out` (cleared, capacity kept) is not reallocated.
template <write_options Options = write_options{}, class T>
error write(const T& in, std::string& out) {
  detail::string_sink sink(out);
  writer<detail::string_sink, Options> w(sink);
  detail::write_value(in, w);
  sink.finish();
  return w.result();
}

// Writes the JSON of `in` into `out`; `written` receives the byte count. Overflow is an error
// (errc::buffer_overflow) and the contents are then unspecified.
template <write_options Options = write_options{}, class T>
error write(const T& in, std::span<char> out, std::size_t& written) {
  detail::span_sink sink(out);
  writer<detail::span_sink, Options> w(sink);
  detail::write_value(in, w);
  written = sink.size();
  return w.result();
}

// Appends `text` as a JSON string whatever its bytes: invalid UTF-8 becomes U+FFFD. For messages
// that quote untrusted input (error bodies), which must stay valid JSON.
inline void write_text(std::string_view text, std::string& out) {
  const std::size_t mark = out.size();
  if (!write(text, out)) return;
  out.resize(mark);
  write(detail::replace_invalid_utf8(text), out);
}

// Convenience: the JSON of `in` as a new string (allocates). Errors are reported through `err`.
template <write_options Options = write_options{}, class T>
std::string to_string(const T& in, error* err = nullptr) {
  std::string out;
  error e = write<Options>(in, out);
  if (err) *err = std::move(e);
  return out;
}

}  // namespace sb::json
