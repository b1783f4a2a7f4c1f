// simdjson On-Demand: one reused ondemand::parser, iterating each object's fields in document order
// into the structs (the raw key matched without unescaping, as switchboard does). Reads only: simdjson
// has no writer. The padded copy of the input is made once, outside the timing.

#include "common.hpp"
#include "reflection.hpp"

#include <simdjson.h>

#include <limits>
#include <map>

namespace bench {
namespace {

namespace od = simdjson::ondemand;

struct sj_reader {
  template <class U>
  static bool read(od::value v, U& out) {
    if constexpr (std::is_same_v<U, bool>) {
      return v.get_bool().get(out) == simdjson::SUCCESS;
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
      bool is_null = false;
      return v.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    } else if constexpr (signed_type<U>) {
      std::int64_t x;
      if (v.get_int64().get(x) != simdjson::SUCCESS) return false;
      if (x < std::numeric_limits<U>::min() || x > std::numeric_limits<U>::max()) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (unsigned_type<U>) {
      std::uint64_t x;
      if (v.get_uint64().get(x) != simdjson::SUCCESS) return false;
      if (x > std::numeric_limits<U>::max()) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (std::is_floating_point_v<U>) {
      double x;
      if (v.get_double().get(x) != simdjson::SUCCESS) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (string_type<U>) {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return false;
      out.assign(s.data(), s.size());
      return true;
    } else if constexpr (optional_type<U> || pointer_type<U>) {
      bool is_null = false;
      if (v.is_null().get(is_null) != simdjson::SUCCESS) return false;
      if (is_null) {
        out.reset();
        return true;
      }
      if (!out) {
        if constexpr (optional_type<U>)
          out.emplace();
        else
          make_pointee(out);
      }
      return read(v, *out);
    } else if constexpr (vector_type<U> || array_type<U>) {
      od::array array;
      if (v.get_array().get(array) != simdjson::SUCCESS) return false;
      std::size_t i = 0;
      for (auto result : array) {
        od::value element;
        if (std::move(result).get(element) != simdjson::SUCCESS) return false;
        if constexpr (vector_type<U>) {
          if (i < out.size()) {
            if (!read(element, out[i])) return false;
          } else if (!read(element, out.emplace_back())) {
            return false;
          }
        } else {
          if (i >= out.size() || !read(element, out[i])) return false;
        }
        ++i;
      }
      if constexpr (vector_type<U>)
        out.resize(i);
      else if (i != out.size())
        return false;
      return true;
    } else if constexpr (map_type<U>) {
      od::object object;
      if (v.get_object().get(object) != simdjson::SUCCESS) return false;
      out.clear();
      for (auto result : object) {
        od::field field;
        std::string_view key;
        if (std::move(result).get(field) != simdjson::SUCCESS || field.unescaped_key().get(key) != simdjson::SUCCESS)
          return false;
        if (!read(field.value(), out[std::string(key)])) return false;
      }
      return true;
    } else {
      static_assert(aggregate_type<U>);
      od::object object;
      if (v.get_object().get(object) != simdjson::SUCCESS) return false;
      constexpr std::size_t count = fields<U>.size();
      seen_set<U> seen;
      std::size_t next = 0;
      for (auto result : object) {
        od::field field;
        if (std::move(result).get(field) != simdjson::SUCCESS) return false;
        // The raw key (between the quotes, escapes left as they are): our names have no escapes.
        const char* raw = field.key().raw();
        const char* stop = raw;
        while (*stop != '"') stop += *stop == '\\' ? 2 : 1;
        const std::size_t index = find_field<U>({raw, static_cast<std::size_t>(stop - raw)}, next);
        if (index == count) continue;  // skipped by the iterator
        if (!member_readers<sj_reader, od::value, U>[index](field.value(), out)) return false;
        seen[index] = true;
        next = index + 1;
      }
      return all_required_seen<U>(seen);
    }
  }
};

void read(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    static std::map<doc, simdjson::padded_string> padded;  // made once per document, not timed
    auto it = padded.find(d);
    if (it == padded.end()) it = padded.emplace(d, simdjson::padded_string(input(d))).first;
    const simdjson::padded_string& text = it->second;
    od::parser parser;
    read_loop<T>(state, [&](std::string_view, T& out) {
      od::document document;
      if (parser.iterate(text).get(document) != simdjson::SUCCESS) return false;
      od::value root;
      if (document.get_value().get(root) != simdjson::SUCCESS) return false;
      return sj_reader::read(root, out);  // (3.0 has no public document::at_end to check trailing bytes)
    });
  });
}

}  // namespace

const library simdjson_library = {"simdjson", &read, nullptr};

}  // namespace bench
