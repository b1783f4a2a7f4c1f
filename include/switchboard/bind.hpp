#pragma once
// Binding: the parameters of a call, as JSON (array or object) or as name=value fields (query
// strings, forms), parsed straight into the endpoint's parameter types.

#include <switchboard/context.hpp>
#include <switchboard/endpoint.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace sb::detail {

// Computed outside parameter_plan: clang cannot evaluate a lambda that reads the class it initializes.
template <bool... Injected>
constexpr auto make_bound_index() {
  constexpr bool injected[] = {Injected..., false};
  std::array<std::size_t, sizeof...(Injected) + 1> index{};
  std::size_t next = 0;
  for (std::size_t i = 0; i < sizeof...(Injected); ++i) index[i] = injected[i] ? sizeof...(Injected) : next++;
  return index;
}

// The endpoint's parameters split into injected ones and bound ones (parsed from the call).
template <class Params, class... Modules>
struct parameter_plan;
template <class... P, class... Modules>
struct parameter_plan<std::tuple<P...>, Modules...> {
  static constexpr bool injected[] = {is_injected<P, Modules...>()..., false};
  static constexpr std::size_t count = sizeof...(P);
  static constexpr std::size_t bound_count = (std::size_t{0} + ... + (is_injected<P, Modules...>() ? 0u : 1u));

  // bound_index[i]: the position of parameter i among the bound ones (count when injected).
  static constexpr auto bound_index = make_bound_index<is_injected<P, Modules...>()...>();

  using bound_tuple = decltype(std::tuple_cat(
      std::declval<std::conditional_t<is_injected<P, Modules...>(), std::tuple<>, std::tuple<bare<P>>>>()...));
};

template <class T>
concept optional_param = json::detail::optional_like<T>;

template <class Tuple>
constexpr std::size_t required_count() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    std::size_t required = 0;
    ((required = optional_param<std::tuple_element_t<I, Tuple>> ? required : I + 1), ...);
    return required;
  }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

template <class Bound>
constexpr bool is_single_aggregate() {
  if constexpr (std::tuple_size_v<Bound> == 1) return json::detail::reflectable<std::tuple_element_t<0, Bound>>;
  else return false;
}

// How an endpoint's bound parameters take their names.
template <auto Names, class Bound>
struct naming {
  static constexpr std::size_t count = std::tuple_size_v<Bound>;
  static constexpr bool named = decltype(Names)::count > 0;
  static constexpr bool single_aggregate = !named && is_single_aggregate<Bound>();
  static constexpr std::string_view name(std::size_t index) {
    if constexpr (named) return Names.name(index);
    else return {};
  }
};

inline void append_where(std::string& where, std::size_t index, std::string_view name) {
  where = "params[" + std::to_string(index) + "]";
  if (!name.empty()) {
    where += " (\"";
    where += name;
    where += "\")";
  }
}

// "$.items[3]" inside parameter 1 named "b" -> params[1] ("b").items[3]
inline void fail_binding(response& out, const json::error& e, std::string where_prefix) {
  std::string where = std::move(where_prefix);
  std::string_view path = e.path();
  if (path.size() > 1) where.append(path.substr(1));
  out.fail(error_kind::invalid_argument, where + ": " + e.message(), where);
}

template <class Tuple>
void read_element(Tuple& t, std::size_t index, const char*& it, json::detail::read_context& ctx) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((I == index ? (json::detail::read_value(std::get<I>(t), it, ctx), 0) : 0), ...);
  }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

template <class Naming>
std::size_t name_index(std::string_view key) {
  for (std::size_t i = 0; i < Naming::count; ++i)
    if (Naming::name(i) == key) return i;
  return Naming::count;
}

enum class bind_status : std::uint8_t {
  bound,
  failed,          // `out` holds the error
  needs_writable,  // a string_view parameter met an escaped string: bind again from a writable copy
};

// Parses JSON parameters (array, object, or nothing) into `bound`. With `stop`, the parameters are
// the value at the start of `text` and *stop is set to its end (JSON-RPC's single pass checks what
// follows); otherwise `text` must end with them. `writable`: the bytes of `text` may be rewritten,
// so escaped strings are unescaped in place for std::string_view parameters.
template <auto Names, class Bound>
bind_status bind_json(std::string_view text, Bound& bound, response& out, const char** stop = nullptr,
                      bool writable = false) {
  using names = naming<Names, Bound>;
  constexpr std::size_t count = names::count;
  json::read_options options;
  json::detail::read_context ctx(text.data(), text.data() + text.size(), writable, options);
  const char* it = text.data();
  const char* end = ctx.end;
  json::detail::skip_whitespace(it, end);
  std::size_t given = 0;
  std::size_t failed_index = count;
  std::bitset<count + 1> seen;
  bool by_name = false;
  if (it == end || json::detail::match_literal(it, end, "null", 4)) {
    // no parameters at all
  } else if (*it == '[') {
    json::detail::read_array(it, ctx, [&](std::size_t index) {
      if (index >= count) {
        ctx.fail_with(json::errc::wrong_size, it,
                      "too many parameters: expected at most " + std::to_string(count));
        failed_index = index;
        return false;
      }
      failed_index = index;
      read_element(bound, index, it, ctx);
      given = index + 1;
      return true;
    });
    if (ctx.failed() && ctx.segment_count > 0) --ctx.segment_count;  // the index is in `where` already
  } else if (*it == '{' && names::single_aggregate) {
    if constexpr (names::single_aggregate) {
      failed_index = 0;
      ctx.options.unknown = json::unknown_keys::error;  // extra arguments are errors
      json::detail::read_value(std::get<0>(bound), it, ctx);
      given = 1;
    }
  } else if (*it == '{' && names::named) {
    by_name = true;
    json::detail::read_object(it, ctx, [&](std::string_view key, const char* key_start, const auto&) {
      const std::size_t index = name_index<names>(key);
      if (index == count) {
        ctx.fail_with(json::errc::unknown_field, key_start, "unknown parameter \"" + std::string(key) + "\"");
        return false;
      }
      failed_index = index;
      read_element(bound, index, it, ctx);
      seen[index] = true;
      return true;
    });
    if (ctx.failed() && ctx.segment_count > 0) --ctx.segment_count;  // the name is in `where` already
  } else if (*it == '{') {
    if constexpr (count == 0) {
      const char* object = it;
      json::detail::skip_value(it, ctx);
      if (!ctx.failed() && std::string_view(object, static_cast<std::size_t>(it - object)).find(':') != std::string_view::npos)
        ctx.fail(json::errc::unknown_field, object, "no parameters");
    } else {
      ctx.fail_with(json::errc::unexpected_type, it,
                    "parameters must be a JSON array: this endpoint declares no parameter names (add "
                    "sb::args{...} to bind an object by name)");
    }
  } else {
    ctx.fail(json::errc::unexpected_type, it, "parameters as a JSON array or object");
  }
  if (!ctx.failed()) {
    if (stop) {
      *stop = it;
    } else {
      json::detail::skip_whitespace(it, end);
      if (it != end) ctx.fail(json::errc::trailing_content, it, "the end of the parameters");
    }
  }
  if (ctx.failed()) {
    if (ctx.code == json::errc::needs_mutable_buffer && !writable) return bind_status::needs_writable;
    std::string where = "params";
    if (failed_index < count) append_where(where, failed_index, names::name(failed_index));
    fail_binding(out, json::detail::make_error(ctx), where);
    return bind_status::failed;
  }
  // Which parameters are still missing: positional ones past `given`, named ones not seen.
  bool missing = false;
  std::size_t missing_index = 0;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if (missing) return;
          const bool present = by_name ? seen[I] : I < given;
          if (!present && !optional_param<std::tuple_element_t<I, Bound>>) {
            if constexpr (names::single_aggregate) {
              if (given == 0 && json::detail::keeps_defaults<std::tuple_element_t<I, Bound>>) return;
            }
            missing = true;
            missing_index = I;
          }
        }(),
        ...);
  }(std::make_index_sequence<count>{});
  if (missing) {
    std::string where;
    append_where(where, missing_index, names::name(missing_index));
    out.fail(error_kind::invalid_argument, where + ": missing required parameter", where);
    return bind_status::failed;
  }
  return bind_status::bound;
}

// ---- name=value fields (query strings, forms) to JSON, directed by the parameter types ----

inline bool is_json_number(std::string_view text) {
  json::detail::read_context ctx(text.data(), text.data() + text.size(), false, {});
  const char* it = text.data();
  if (text.empty() || !(text[0] == '-' || json::detail::is_digit(text[0]))) return false;
  return json::detail::scan_number(it, ctx) && it == ctx.end;
}

inline bool is_one_json_value(std::string_view text) {
  json::detail::read_context ctx(text.data(), text.data() + text.size(), false, {});
  const char* it = text.data();
  json::detail::skip_whitespace(it, ctx.end);
  json::detail::skip_value(it, ctx);
  json::detail::skip_whitespace(it, ctx.end);
  return !ctx.failed() && it == ctx.end;
}

// The JSON form of one field's text for a parameter of type T. Text that does not fit T's JSON kind
// becomes a JSON string, so the reader reports the type mismatch, and text never becomes JSON
// structure unless it is exactly one JSON value.
template <class T>
void field_to_json(std::string_view text, std::string& out) {
  using namespace json::detail;
  if constexpr (optional_like<T>) {
    field_to_json<typename T::value_type>(text, out);
  } else if constexpr (integer<T> || floating<T> || duration<T>) {
    if (is_json_number(text))
      out += text;
    else
      json::write(text, out);
  } else if constexpr (boolean<T>) {
    if (text == "true" || text == "false")
      out += text;
    else
      json::write(text, out);
  } else if constexpr (owning_string<T> || string_view_like<T> || character<T> || enumeration<T> ||
                       system_time_point<T>) {
    json::write(text, out);
  } else {
    if (is_one_json_value(text))
      out += text;
    else
      json::write(text, out);
  }
}

template <class T>
constexpr bool repeats() {
  using namespace json::detail;
  if constexpr (optional_like<T>) return repeats<typename T::value_type>();
  else if constexpr (growable_sequence<T>)
    return !reflectable<typename T::value_type> && !growable_sequence<typename T::value_type>;
  else return false;
}

// Appends "name":<json> for one parameter from every field with that name; false if it repeats
// where it must not.
template <class T>
bool append_fields_for(std::string_view name, std::span<const field> fields, std::string& out, bool& first,
                       response& result) {
  std::size_t matches = 0;
  for (const auto& f : fields) matches += f.name == name ? 1 : 0;
  if (matches == 0) return true;
  if (!first) out += ',';
  first = false;
  json::write(name, out);
  out += ':';
  if constexpr (repeats<T>()) {
    // One value that is itself a JSON array is the whole array (items=[1,2,3]); otherwise each
    // repetition is one element (items=1&items=2).
    if (matches == 1) {
      for (const auto& f : fields)
        if (f.name == name && !f.value.empty() && f.value.front() == '[' && is_one_json_value(f.value)) {
          out += f.value;
          return true;
        }
    }
    using element = typename std::conditional_t<json::detail::optional_like<T>, T, std::optional<T>>::value_type::value_type;
    out += '[';
    std::size_t n = 0;
    for (const auto& f : fields)
      if (f.name == name) {
        if (n++ != 0) out += ',';
        field_to_json<element>(f.value, out);
      }
    out += ']';
  } else {
    if (matches > 1) {
      const std::string where = "params." + std::string(name);
      result.fail(error_kind::invalid_argument, where + ": given " + std::to_string(matches) + " times", where);
      return false;
    }
    for (const auto& f : fields)
      if (f.name == name) field_to_json<T>(f.value, out);
  }
  return true;
}

// Fields arrive percent-decoded from the wire: any bytes at all. JSON text must be UTF-8, so
// what is not is refused here, naming the field.
inline bool fields_are_text(std::span<const field> fields, response& result) {
  for (const auto& f : fields) {
    if (f.name.empty()) {
      result.fail(error_kind::invalid_argument, "params: a field has no name (\"=" +
                                                    std::string(f.value.substr(0, 64)) + "\")", "params");
      return false;
    }
    if (const std::size_t bad = json::detail::first_invalid_utf8(f.name); bad != f.name.size()) {
      result.fail(error_kind::invalid_argument,
                  "params: a field name is not valid UTF-8 (byte " + std::to_string(bad) + ")", "params");
      return false;
    }
    if (const std::size_t bad = json::detail::first_invalid_utf8(f.value); bad != f.value.size()) {
      const std::string where = "params." + std::string(f.name);
      result.fail(error_kind::invalid_argument,
                  where + ": the value is not valid UTF-8 (byte " + std::to_string(bad) + ")", where);
      return false;
    }
  }
  return true;
}

// Turns fields into a JSON object for the endpoint's bound parameters; names that match no
// parameter are passed through as strings so the binder reports them.
template <auto Names, class Bound>
bool fields_to_json(std::span<const field> fields, std::string& out, response& result) {
  using names = naming<Names, Bound>;
  out.clear();
  if (fields.empty()) return true;
  if (!fields_are_text(fields, result)) return false;
  bool first = true;
  const auto known = [&](std::string_view name) {
    if constexpr (names::single_aggregate) {
      for (const auto& f : json::detail::field_table<std::tuple_element_t<0, Bound>>)
        if (f.name == name) return true;
      return false;
    } else {
      return name_index<names>(name) < names::count;
    }
  };
  out += '{';
  bool ok = true;
  if constexpr (names::single_aggregate) {
    using A = std::tuple_element_t<0, Bound>;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((ok = ok && append_fields_for<boost::pfr::tuple_element_t<json::detail::field_table<A>[I].index, A>>(
                       json::detail::field_table<A>[I].name, fields, out, first, result)),
       ...);
    }(std::make_index_sequence<json::detail::json_field_count<A>>{});
  } else if constexpr (names::named) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((ok = ok && append_fields_for<std::tuple_element_t<I, Bound>>(names::name(I), fields, out, first, result)),
       ...);
    }(std::make_index_sequence<names::count>{});
  } else {
    const std::string where = "params." + std::string(fields.front().name);
    result.fail(error_kind::invalid_argument,
                "this endpoint takes positional parameters only (no names declared): send a JSON array", where);
    return false;
  }
  if (!ok) return false;
  for (const auto& f : fields) {
    if (known(f.name)) continue;
    if (!first) out += ',';
    first = false;
    json::write(f.name, out);
    out += ":null";
  }
  out += '}';
  return true;
}

// ---- query strings ----

inline int hex_digit(char c) { return json::detail::hex_value(c); }

// Decodes %XX and '+' (as space) from a query or form component into `out`; false on a bad escape.
inline bool percent_decode(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size() || hex_digit(in[i + 1]) < 0 || hex_digit(in[i + 2]) < 0) return false;
      out += static_cast<char>(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace sb::detail

namespace sb {

// A parsed query string or application/x-www-form-urlencoded body: decoded name=value fields that
// view one internal buffer. Reuse an instance to keep its capacity.
class query_fields {
 public:
  // False (and error() says why) on a malformed percent escape.
  bool parse(std::string_view text) {
    buffer_.clear();
    fields_.clear();
    error_.clear();
    buffer_.reserve(text.size());
    spans_.clear();  // offsets into buffer_, turned into views once decoding has stopped moving it
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t stop = text.find('&', start);
      if (stop == std::string_view::npos) stop = text.size();
      const std::string_view part = text.substr(start, stop - start);
      if (!part.empty()) {
        const std::size_t eq = part.find('=');
        const std::string_view name = part.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
        const std::size_t name_at = buffer_.size();
        if (!detail::percent_decode(name, buffer_)) return fail(name);
        const std::size_t value_at = buffer_.size();
        if (!detail::percent_decode(value, buffer_)) return fail(value);
        spans_.emplace_back(name_at, value_at);
        spans_.emplace_back(value_at, buffer_.size());
      }
      start = stop + 1;
    }
    for (std::size_t i = 0; i < spans_.size(); i += 2) {
      fields_.push_back({std::string_view(buffer_).substr(spans_[i].first, spans_[i].second - spans_[i].first),
                         std::string_view(buffer_).substr(spans_[i + 1].first, spans_[i + 1].second - spans_[i + 1].first)});
    }
    return true;
  }
  std::span<const field> fields() const { return fields_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string_view part) {
    error_ = "malformed percent-encoding in \"" + std::string(part.substr(0, 64)) + "\"";
    return false;
  }
  std::string buffer_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::vector<field> fields_;
  std::string error_;
};

}  // namespace sb
