// nlohmann/json: json::parse (no exceptions) then a typed walk into the structs (a find per member, as
// NLOHMANN_DEFINE_TYPE_* does); writes build a json value from the structs and dump() it.

#include "common.hpp"
#include "reflection.hpp"

#include <nlohmann/json.hpp>

#include <limits>

namespace bench {
namespace {

using json = nlohmann::json;

struct nl_reader {
  template <class U>
  static bool read(const json& j, U& out) {
    if constexpr (std::is_same_v<U, bool>) {
      if (!j.is_boolean()) return false;
      out = j.get<bool>();
      return true;
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
      return j.is_null();
    } else if constexpr (signed_type<U>) {
      if (j.is_number_unsigned()) {
        const auto x = j.get<std::uint64_t>();
        if (x > static_cast<std::uint64_t>(std::numeric_limits<U>::max())) return false;
        out = static_cast<U>(x);
        return true;
      }
      if (!j.is_number_integer()) return false;
      const auto x = j.get<std::int64_t>();
      if (x < std::numeric_limits<U>::min() || x > std::numeric_limits<U>::max()) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (unsigned_type<U>) {
      if (!j.is_number_unsigned()) return false;
      const auto x = j.get<std::uint64_t>();
      if (x > std::numeric_limits<U>::max()) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (std::is_floating_point_v<U>) {
      if (!j.is_number()) return false;
      out = j.get<U>();
      return true;
    } else if constexpr (string_type<U>) {
      if (!j.is_string()) return false;
      out = j.get_ref<const std::string&>();
      return true;
    } else if constexpr (optional_type<U>) {
      if (j.is_null()) {
        out.reset();
        return true;
      }
      if (!out) out.emplace();
      return read(j, *out);
    } else if constexpr (pointer_type<U>) {
      if (j.is_null()) {
        out.reset();
        return true;
      }
      if (!out) make_pointee(out);
      return read(j, *out);
    } else if constexpr (vector_type<U>) {
      if (!j.is_array()) return false;
      out.resize(j.size());
      std::size_t i = 0;
      for (const auto& element : j)
        if (!read(element, out[i++])) return false;
      return true;
    } else if constexpr (array_type<U>) {
      if (!j.is_array() || j.size() != out.size()) return false;
      std::size_t i = 0;
      for (const auto& element : j)
        if (!read(element, out[i++])) return false;
      return true;
    } else if constexpr (map_type<U>) {
      if (!j.is_object()) return false;
      out.clear();
      for (auto it = j.begin(); it != j.end(); ++it)
        if (!read(it.value(), out[it.key()])) return false;
      return true;
    } else {
      static_assert(aggregate_type<U>);
      if (!j.is_object()) return false;
      bool ok = true;
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
              if (!ok) return;
              const auto it = j.find(fields<U>[I].name);
              if (it == j.end()) {
                ok = !fields<U>[I].required;
                return;
              }
              ok = read(*it, member<U, I>(out));
            }(),
            ...);
      }(std::make_index_sequence<fields<U>.size()>{});
      return ok;
    }
  }
};

struct nl_writer {
  template <class U>
  static void write(json& j, const U& v) {
    if constexpr (std::is_same_v<U, bool> || std::is_arithmetic_v<U> || string_type<U>) {
      j = v;
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
      j = nullptr;
    } else if constexpr (optional_type<U> || pointer_type<U>) {
      if (v)
        write(j, *v);
      else
        j = nullptr;
    } else if constexpr (vector_type<U> || array_type<U>) {
      j = json::array();
      auto& elements = j.get_ref<json::array_t&>();
      elements.reserve(v.size());
      for (const auto& element : v) write(elements.emplace_back(), element);
    } else if constexpr (map_type<U>) {
      j = json::object();
      for (const auto& [key, element] : v) write(j[key], element);
    } else {
      static_assert(aggregate_type<U>);
      j = json::object();
      for_each_member(v, [&](std::string_view name, const auto& m) { write(j[std::string(name)], m); });
    }
  }
};

void read(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    read_loop<T>(state, [](std::string_view text, T& out) {
      const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
      return !j.is_discarded() && nl_reader::read(j, out);
    });
  });
}

void write(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    std::string out;
    write_loop<T>(state, [&](const T& value) {
      json j;
      nl_writer::write(j, value);
      out = j.dump();
      return std::string_view(out);
    });
  });
}

}  // namespace

const library nlohmann_library = {"nlohmann", &read, &write};

}  // namespace bench
