#pragma once
// sb::json::schema<T>(): the JSON Schema (draft 2020-12) of T, matching what read<T> accepts.
// Aggregates become named entries under "$defs" so that recursive types terminate.

#include <switchboard/json/detail/traits.hpp>
#include <switchboard/json/write.hpp>
#include <switchboard/reflect.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

namespace sb::json {

class schema_builder {
 public:
  // Appends the schema of T to `out`; aggregates are added to defs() and referenced.
  template <class T>
  void add(std::string& out);

  // Definitions collected so far: name -> schema text.
  const std::map<std::string, std::string>& defs() const { return defs_; }

  // Writes {"$defs":{...}} members (without braces) when there are any, comma first.
  void append_defs(std::string& out) const {
    if (defs_.empty()) return;
    out += ",\"$defs\":{";
    bool first = true;
    for (const auto& [name, text] : defs_) {
      if (!first) out += ',';
      write(name, out);
      out += ':';
      out += text;
      first = false;
    }
    out += '}';
  }

 private:
  template <class T>
  void add_aggregate(std::string& out);

  std::map<std::string, std::string> defs_;
};

namespace detail {

template <class T>
std::string definition_name() {
  std::string name(reflect::qualified_type_name<T>);
  std::string clean;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ':' && i + 1 < name.size() && name[i + 1] == ':') {
      clean += '.';
      ++i;
    } else if (sb::detail::is_identifier_char(c) || c == '.') {
      clean += c;
    } else if (c != ' ') {
      clean += '_';
    }
  }
  return clean;
}

template <class T>
concept has_codec_schema = has_codec<T> && requires(schema_builder& s) { codec<T>::schema(s); };

}  // namespace detail

template <class T>
void schema_builder::add(std::string& out) {
  using namespace detail;
  if constexpr (has_codec_schema<T>) {
    out += codec<T>::schema(*this);
  } else if constexpr (has_codec<T> || raw_json<T> || dynamic_value<T>) {
    out += "{}";
  } else if constexpr (boolean<T>) {
    out += R"({"type":"boolean"})";
  } else if constexpr (integer<T>) {
    out += R"({"type":"integer","minimum":)" + std::to_string(std::numeric_limits<T>::min()) +
           ",\"maximum\":" + std::to_string(std::numeric_limits<T>::max()) + "}";
  } else if constexpr (floating<T>) {
    out += R"({"type":"number"})";
  } else if constexpr (owning_string<T> || string_view_like<T> || c_string<T>) {
    out += R"({"type":"string"})";
  } else if constexpr (character<T>) {
    out += R"({"type":"string","minLength":1,"maxLength":1})";
  } else if constexpr (enumeration<T>) {
    out += R"({"enum":[)";
    bool first = true;
    for (const auto& entry : reflect::enum_entries<T>) {
      if (!first) out += ',';
      write(entry.name, out);
      first = false;
    }
    out += "]}";
  } else if constexpr (null_type<T>) {
    out += R"({"type":"null"})";
  } else if constexpr (optional_like<T>) {
    out += R"({"anyOf":[)";
    add<typename T::value_type>(out);
    out += R"(,{"type":"null"}]})";
  } else if constexpr (smart_pointer<T>) {
    out += R"({"anyOf":[)";
    add<typename T::element_type>(out);
    out += R"(,{"type":"null"}]})";
  } else if constexpr (growable_sequence<T> || span_sequence<T>) {
    out += R"({"type":"array","items":)";
    add<std::remove_cv_t<typename T::value_type>>(out);
    out += '}';
  } else if constexpr (fixed_sequence<T>) {
    const std::string n = std::to_string(std::tuple_size_v<T>);
    out += R"({"type":"array","items":)";
    add<typename T::value_type>(out);
    out += ",\"minItems\":" + n + ",\"maxItems\":" + n + "}";
  } else if constexpr (string_map<T>) {
    out += R"({"type":"object","additionalProperties":)";
    add<typename T::mapped_type>(out);
    out += '}';
  } else if constexpr (tuple_like<T>) {
    out += R"({"type":"array","prefixItems":[)";
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((out += (I == 0 ? "" : ","), add<std::tuple_element_t<I, T>>(out)), ...);
    }(std::make_index_sequence<std::tuple_size_v<T>>{});
    out += R"(],"items":false})";
  } else if constexpr (variant_like<T>) {
    out += R"({"anyOf":[)";  // not oneOf: a JSON integer is also a "number", 1.0 also an "integer"
    [&]<class... A>(std::variant<A...>*) {
      bool first = true;
      ((out += (first ? "" : ","), first = false, add<A>(out)), ...);
    }(static_cast<T*>(nullptr));
    out += "]}";
  } else if constexpr (duration<T>) {
    out += std::is_floating_point_v<typename T::rep> ? R"({"type":"number"})" : R"({"type":"integer"})";
  } else if constexpr (system_time_point<T>) {
    out += R"({"type":"string","format":"date-time"})";
  } else if constexpr (time_point<T>) {
    out += R"({"type":"integer"})";
  } else if constexpr (reflectable<T>) {
    add_aggregate<T>(out);
  } else {
    static_assert(always_false<T>, "switchboard: this type has no JSON form, so it has no JSON Schema");
  }
}

template <class T>
void schema_builder::add_aggregate(std::string& out) {
  const std::string name = detail::definition_name<T>();
  const std::string reference = R"({"$ref":"#/$defs/)" + name + "\"}";
  if (defs_.count(name)) {
    out += reference;
    return;
  }
  defs_[name] = "{}";  // placeholder: a recursive member refers to it while it is being built
  std::string body = R"({"type":"object","properties":{)";
  std::string required;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          constexpr auto& f = detail::field_table<T>[I];
          if (I != 0) body += ',';
          write(f.name, body);
          body += ':';
          add<boost::pfr::tuple_element_t<detail::field_table<T>[I].index, T>>(body);
          if (f.required) {
            required += required.empty() ? "" : ",";
            write(f.name, required);
          }
        }(),
        ...);
  }(std::make_index_sequence<detail::json_field_count<T>>{});
  body += "}";
  if (!required.empty()) body += ",\"required\":[" + required + "]";
  body += '}';
  defs_[name] = std::move(body);
  out += reference;
}

// The schema of T as a standalone document.
template <class T>
std::string schema() {
  schema_builder builder;
  std::string root;
  builder.add<T>(root);
  std::string out = R"({"$schema":"https://json-schema.org/draft/2020-12/schema")";
  if (root.size() > 2) {  // splice the root schema's members after "$schema": one object
    out += ',';
    out.append(root, 1, root.size() - 2);
  }
  builder.append_defs(out);
  out += '}';
  return out;
}

}  // namespace sb::json
