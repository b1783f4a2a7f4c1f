#pragma once
// sb::json::value: any JSON document, for payloads whose shape is not known at compile time.
// Objects keep their members in document order. A repeated member name keeps its first position and
// the last value ("last wins", as typed reads and JavaScript do), or fails with duplicate_keys::error.

#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace sb::json {

enum class kind { null, boolean, integer, unsigned_integer, number, string, array, object };

class value {
 public:
  using array = std::vector<value>;
  using object = std::vector<std::pair<std::string, value>>;
  using storage = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, array, object>;

  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : data_(b) {}
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
  value(I i) {
    if constexpr (std::is_signed_v<I>)
      data_ = static_cast<std::int64_t>(i);
    else if (static_cast<std::uint64_t>(i) <= static_cast<std::uint64_t>(INT64_MAX))
      data_ = static_cast<std::int64_t>(i);
    else
      data_ = static_cast<std::uint64_t>(i);
  }
  value(double d) : data_(d) {}
  value(const char* s) : data_(std::string(s)) {}
  value(std::string_view s) : data_(std::string(s)) {}
  value(std::string s) : data_(std::move(s)) {}
  value(array a) : data_(std::move(a)) {}
  value(object o) : data_(std::move(o)) {}

  kind type() const { return static_cast<kind>(data_.index()); }
  bool is_null() const { return type() == kind::null; }
  bool is_bool() const { return type() == kind::boolean; }
  bool is_number() const { return type() == kind::integer || type() == kind::unsigned_integer || type() == kind::number; }
  bool is_string() const { return type() == kind::string; }
  bool is_array() const { return type() == kind::array; }
  bool is_object() const { return type() == kind::object; }

  template <class T>
  T* get_if() { return std::get_if<T>(&data_); }
  template <class T>
  const T* get_if() const { return std::get_if<T>(&data_); }

  // Numbers of any stored kind as double.
  double as_double() const {
    if (auto* i = get_if<std::int64_t>()) return static_cast<double>(*i);
    if (auto* u = get_if<std::uint64_t>()) return static_cast<double>(*u);
    if (auto* d = get_if<double>()) return *d;
    return 0.0;
  }

  // The last member named `key`, or nullptr (also when this is not an object).
  const value* find(std::string_view key) const {
    const auto* members = get_if<object>();
    if (!members) return nullptr;
    for (auto it = members->rbegin(); it != members->rend(); ++it)
      if (it->first == key) return &it->second;
    return nullptr;
  }
  value* find(std::string_view key) { return const_cast<value*>(std::as_const(*this).find(key)); }

  // Object member access that inserts null when absent (this becomes an object if it was null).
  value& operator[](std::string_view key) {
    if (is_null()) data_ = object{};
    if (value* found = find(key)) return *found;
    auto& members = std::get<object>(data_);
    members.emplace_back(std::string(key), value{});
    return members.back().second;
  }
  value& operator[](std::size_t index) { return std::get<array>(data_).at(index); }
  const value& operator[](std::size_t index) const { return std::get<array>(data_).at(index); }

  std::size_t size() const {
    if (auto* a = get_if<array>()) return a->size();
    if (auto* o = get_if<object>()) return o->size();
    return 0;
  }

  storage& data() { return data_; }
  const storage& data() const { return data_; }

  friend bool operator==(const value& a, const value& b) { return a.data_ == b.data_; }

 private:
  storage data_;
};

namespace detail {

inline void read_dynamic_number(value& out, const char*& it, read_context& ctx) {
  const char* start = it;
  if (!scan_number(it, ctx)) return;
  bool integral = true;
  for (const char* p = start; p < it; ++p)
    if (*p == '.' || *p == 'e' || *p == 'E') integral = false;
  if (integral) {
    // An integer too large for the type is result_out_of_range with ptr at its end: check ec too.
    std::int64_t i{};
    if (const auto r = std::from_chars(start, it, i); r.ec == std::errc{} && r.ptr == it) {
      out = value(i);
      return;
    }
    std::uint64_t u{};
    if (const auto r = std::from_chars(start, it, u); *start != '-' && r.ec == std::errc{} && r.ptr == it) {
      out = value(u);
      return;
    }
  }
  double d{};
  const char* p = start;
  read_floating(d, p, ctx);
  out = value(d);
}

// Finds an object's earlier member of the same name: a scan while the object is small, a hash
// index beyond that, so that a hostile object with many members costs linear time.
class member_index {
 public:
  std::size_t find(const value::object& members, const std::string& name) {
    if (members.size() <= small) {
      for (std::size_t i = 0; i < members.size(); ++i)
        if (members[i].first == name) return i;
      return members.size();
    }
    const auto found = positions_.find(name);
    return found == positions_.end() ? members.size() : found->second;
  }
  void added(const value::object& members) {
    if (members.size() <= small) return;
    if (positions_.empty())
      for (std::size_t i = 0; i + 1 < members.size(); ++i) positions_.emplace(members[i].first, i);
    positions_.emplace(members.back().first, members.size() - 1);
  }

 private:
  static constexpr std::size_t small = 16;
  std::unordered_map<std::string, std::size_t> positions_;
};

inline void read_dynamic(value& out, const char*& it, read_context& ctx) {
  switch (peek_kind(it, ctx.end)) {
    case token_kind::null:
      if (!match_literal(it, ctx.end, "null", 4)) return ctx.fail(errc::syntax, it, "null");
      out = value{};
      return;
    case token_kind::boolean: {
      bool b{};
      read_value(b, it, ctx);
      if (ctx.failed()) ctx.code = errc::syntax;  // not a type mismatch: the bytes are not JSON
      out = value(b);
      return;
    }
    case token_kind::integer:
    case token_kind::number: return read_dynamic_number(out, it, ctx);
    case token_kind::string: {
      std::string s;
      read_std_string(s, it, ctx);
      out = value(std::move(s));
      return;
    }
    case token_kind::array: {
      value::array elements;
      read_array(it, ctx, [&](std::size_t) {
        read_dynamic(elements.emplace_back(), it, ctx);
        return true;
      });
      out = value(std::move(elements));
      return;
    }
    case token_kind::object: {
      value::object members;
      member_index index;
      read_object(it, ctx, [&](std::string_view key, const char* key_start, const scanned_string& s) {
        std::string name;
        if (s.escaped) {
          name.resize(static_cast<std::size_t>(s.last - s.first));
          name.resize(static_cast<std::size_t>(unescape(s.first, s.last, name.data()) - name.data()));
        } else {
          name = key;
        }
        // A repeated name keeps its first position and takes the last value (as JavaScript does).
        if (const std::size_t earlier = index.find(members, name); earlier != members.size()) {
          if (ctx.options.duplicates == duplicate_keys::error) {
            fail_duplicate(name, key_start, ctx);
            return false;
          }
          read_dynamic(members[earlier].second, it, ctx);
          return true;
        }
        // Built in place: moving a temporary value{} here trips GCC 12's -O3 -Wmaybe-uninitialized.
        members.emplace_back(std::piecewise_construct, std::forward_as_tuple(std::move(name)), std::tuple<>{});
        index.added(members);
        read_dynamic(members.back().second, it, ctx);
        return true;
      });
      out = value(std::move(members));
      return;
    }
    case token_kind::invalid: return ctx.fail(errc::syntax, it, "a JSON value");
  }
}

}  // namespace detail

template <>
struct codec<value> {
  static void read(value& out, reader& in) { detail::read_dynamic(out, in.position(), in.context()); }

  template <class W>
  static void write(const value& v, W& out) {
    std::visit(
        [&](const auto& alternative) {
          using A = std::decay_t<decltype(alternative)>;
          if constexpr (std::is_same_v<A, value::object>) {
            out.open('{');
            bool first = true;
            for (const auto& [key, member] : alternative) {
              if (!first) out.put(',');
              out.newline();
              detail::write_string(key, out);
              out.put(':');
              if constexpr (detail::options_of<W>::value.pretty) out.put(' ');
              codec<value>::write(member, out);
              if (out.failed()) return out.push_key(key);
              first = false;
            }
            out.close('}', first);
          } else if constexpr (std::is_same_v<A, value::array>) {
            out.open('[');
            std::size_t index = 0;
            for (const auto& element : alternative) {
              if (index != 0) out.put(',');
              out.newline();
              codec<value>::write(element, out);
              if (out.failed()) return out.push_index(index);
              ++index;
            }
            out.close(']', index == 0);
          } else {
            out.write(alternative);
          }
        },
        v.data());
  }
};

// Parses any JSON text into a value (convenience over read()).
inline error parse(std::string_view text, value& out, const read_options& options = {}) {
  return read(out, text, options);
}

}  // namespace sb::json
