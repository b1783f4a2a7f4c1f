#pragma once
// The app's description (sb::app::describe()) read back as data. MCP's tools, OpenAPI and the
// TypeScript declarations are derived from it at start-up rather than from the signatures again, so
// that none of them costs template instantiations: describe() is the one place where signatures
// become schemas.

#include <switchboard/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::detail {

struct described_parameter {
  std::string name;  // empty when the endpoint binds by position without names
  std::string description;
  bool required = true;
  json::value schema;
};

struct described_endpoint {
  std::string module;
  std::string name;
  std::string full_name;  // "<module>.<name>"
  std::string description;
  std::string binding;  // "named", "object" (one struct whose members are the arguments) or "positional"
  std::vector<std::string> methods;
  std::vector<described_parameter> params;
  json::value result;
  json::value stream;  // the schema of a stream's values; null when the endpoint does not stream
  bool streams = false;

  // Its result is bytes with a media type (html, text, a download, a redirect), not JSON.
  bool opaque_result() const { return result.find("contentMediaType") != nullptr; }
  // Arguments can be given as one object: by name, or as the members of the one struct it takes.
  bool takes_object() const { return binding != "positional" || params.empty(); }
};

struct api_description {
  std::string name;
  std::string version;
  std::vector<described_endpoint> endpoints;
  json::value defs = json::value::object{};  // definition name -> schema
};

inline std::string text_member(const json::value& object, std::string_view key) {
  const json::value* found = object.find(key);
  const std::string* text = found ? found->get_if<std::string>() : nullptr;
  return text ? *text : std::string();
}

// Reads describe()'s document; the app wrote it, so a shape it does not have is a bug, not input.
inline api_description read_description(std::string_view describe_json) {
  api_description out;
  json::value document;
  if (json::parse(describe_json, document)) return out;
  out.name = text_member(document, "name");
  out.version = text_member(document, "version");
  if (const json::value* defs = document.find("$defs")) out.defs = *defs;
  const auto* modules = document.find("modules");
  if (!modules || !modules->is_array()) return out;
  for (const auto& module : *modules->get_if<json::value::array>()) {
    const auto* endpoints = module.find("endpoints");
    if (!endpoints || !endpoints->is_array()) continue;
    for (const auto& e : *endpoints->get_if<json::value::array>()) {
      described_endpoint d;
      d.module = text_member(module, "name");
      d.name = text_member(e, "name");
      d.full_name = d.module + "." + d.name;
      d.description = text_member(e, "description");
      d.binding = text_member(e, "binding");
      if (const auto* methods = e.find("methods"); methods && methods->is_array())
        for (const auto& m : *methods->get_if<json::value::array>())
          if (const auto* text = m.get_if<std::string>()) d.methods.push_back(*text);
      if (const auto* params = e.find("params"); params && params->is_array())
        for (const auto& p : *params->get_if<json::value::array>()) {
          const json::value* required = p.find("required");
          const json::value* schema = p.find("schema");
          d.params.push_back({text_member(p, "name"), text_member(p, "description"),
                              !required || !required->is_bool() || *required->get_if<bool>(),
                              schema ? *schema : json::value::object{}});
        }
      if (const auto* result = e.find("result")) d.result = *result;
      if (const auto* stream = e.find("stream")) {
        d.stream = *stream;
        d.streams = true;
      }
      out.endpoints.push_back(std::move(d));
    }
  }
  return out;
}

// The definition a "$ref" names ("#/$defs/<name>"), or empty.
inline std::string_view ref_target(const json::value& schema) {
  const json::value* ref = schema.find("$ref");
  const std::string* text = ref ? ref->get_if<std::string>() : nullptr;
  constexpr std::string_view prefix = "#/$defs/";
  if (!text || !text->starts_with(prefix)) return {};
  return std::string_view(*text).substr(prefix.size());
}

// Adds to `names` the definitions `schema` refers to, and those they refer to, each once.
inline void collect_definitions(const json::value& schema, const json::value& defs, std::vector<std::string>& names) {
  if (const auto target = ref_target(schema); !target.empty()) {
    if (std::find(names.begin(), names.end(), target) != names.end()) return;
    names.emplace_back(target);
    if (const json::value* def = defs.find(target)) collect_definitions(*def, defs, names);
    return;
  }
  if (const auto* members = schema.get_if<json::value::object>())
    for (const auto& [key, member] : *members) collect_definitions(member, defs, names);
  else if (const auto* elements = schema.get_if<json::value::array>())
    for (const auto& element : *elements) collect_definitions(element, defs, names);
}

// `schema` made standalone: the definitions it uses travel with it under "$defs", so its
// "#/$defs/..." references resolve within it.
inline json::value with_definitions(json::value schema, const json::value& defs) {
  std::vector<std::string> names;
  collect_definitions(schema, defs, names);
  if (names.empty() || !schema.is_object()) return schema;
  std::sort(names.begin(), names.end());
  json::value::object used;
  for (const auto& name : names)
    if (const json::value* def = defs.find(name)) used.emplace_back(name, *def);
  schema["$defs"] = json::value(std::move(used));
  return schema;
}

// A reference followed to its definition (once; definitions of structs are objects themselves).
inline const json::value& resolved(const json::value& schema, const json::value& defs) {
  const auto target = ref_target(schema);
  if (target.empty()) return schema;
  const json::value* def = defs.find(target);
  return def ? *def : schema;
}

inline bool is_object_schema(const json::value& schema) {
  const json::value* type = schema.find("type");
  const std::string* text = type ? type->get_if<std::string>() : nullptr;
  return text && *text == "object";
}

// The schema of a parameter with its description, when it has one.
inline json::value described_schema(const described_parameter& p) {
  json::value schema = p.schema;
  if (!p.description.empty() && schema.is_object()) schema["description"] = p.description;
  return schema;
}

// The arguments as one object schema, references unresolved: by name, the members of the one struct
// the endpoint takes, or no members. Null for parameters bound by position without names.
inline json::value arguments_schema(const described_endpoint& e, const json::value& defs) {
  if (!e.takes_object()) return nullptr;
  if (e.binding == "object") {
    json::value schema = resolved(e.params.front().schema, defs);
    if (!e.params.front().description.empty()) schema["description"] = e.params.front().description;
    return schema;
  }
  json::value::object properties;
  json::value::array required;
  for (const auto& p : e.params) {
    properties.emplace_back(p.name, described_schema(p));
    if (p.required) required.emplace_back(p.name);
  }
  json::value schema = json::value::object{};
  schema["type"] = "object";
  schema["properties"] = json::value(std::move(properties));
  if (!required.empty()) schema["required"] = json::value(std::move(required));
  return schema;
}

// What a call answers, as JSON: the result, or for a stream the array of its values (what every
// transport that cannot stream returns). Null when the result is not JSON.
inline json::value answer_schema(const described_endpoint& e) {
  if (e.opaque_result()) return nullptr;
  if (!e.streams) return e.result;
  json::value schema = json::value::object{};
  schema["type"] = "array";
  schema["items"] = e.stream;
  return schema;
}

}  // namespace sb::detail
