#pragma once
// OpenAPI 3.1 from an app's description: every /api route with the methods it allows (GET takes
// the parameters in the query, POST/PUT/PATCH/DELETE as a JSON body), every stream's /sse route as
// text/event-stream, the error body and the statuses of the error table, and the structs as
// components named as describe() names them ("<namespace>.<type>", not a compiler's spelling). The
// schema of a stream's values is under the extension x-switchboard-values of its event stream.
// Served at /api/_openapi.json; also sb::openapi_document(app.describe()).

#include <switchboard/json/value.hpp>
#include <switchboard/protocol/description.hpp>
#include <switchboard/result.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::detail {

// "#/$defs/x" -> "#/components/schemas/x", everywhere in the schema.
inline void point_refs_at_components(json::value& schema) {
  if (auto* members = schema.get_if<json::value::object>()) {
    for (auto& [key, member] : *members) {
      auto* text = member.get_if<std::string>();
      if (key == "$ref" && text && text->starts_with("#/$defs/")) text->replace(0, 8, "#/components/schemas/");
      else point_refs_at_components(member);
    }
  } else if (auto* elements = schema.get_if<json::value::array>()) {
    for (auto& element : *elements) point_refs_at_components(element);
  }
}

inline json::value component_schema(json::value schema) {
  point_refs_at_components(schema);
  return schema;
}

inline json::value json_content(json::value schema) {
  json::value content = json::value::object{};
  content["application/json"]["schema"] = std::move(schema);
  return content;
}

class openapi_writer {
 public:
  explicit openapi_writer(const api_description& d) : d_(d) {}

  json::value document() {
    json::value doc = json::value::object{};
    doc["openapi"] = "3.1.0";
    doc["info"]["title"] = d_.name;
    doc["info"]["version"] = d_.version;
    doc["jsonSchemaDialect"] = "https://json-schema.org/draft/2020-12/schema";
    json::value& paths = doc["paths"];
    paths = json::value::object{};
    for (const auto& e : d_.endpoints) {
      json::value& api = paths["/api/" + e.module + "/" + e.name];
      for (const auto& method : e.methods) api[lower(method)] = operation(e, method);
      if (e.streams) paths["/sse/" + e.module + "/" + e.name]["get"] = stream_operation(e);
    }
    json::value& components = doc["components"];
    components["schemas"] = json::value::object{};
    if (const auto* defs = d_.defs.get_if<json::value::object>())
      for (const auto& [name, schema] : *defs) components["schemas"][name] = component_schema(schema);
    components["schemas"]["switchboard.error"] = error_schema();
    components["responses"] = json::value::object{};
    json::value responses = error_responses();
    for (auto& [status, response] : *responses.get_if<json::value::object>())
      components["responses"]["switchboard." + status] = std::move(response);
    return doc;
  }

 private:
  static std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  json::value operation(const described_endpoint& e, const std::string& method) {
    json::value op = json::value::object{};
    op["operationId"] = e.full_name + (method == "GET" ? "" : "." + lower(method));
    op["tags"] = json::value::array{e.module};
    if (!e.description.empty()) op["summary"] = e.description;
    if (method == "GET") {
      if (json::value parameters = query_parameters(e); parameters.size() != 0) op["parameters"] = std::move(parameters);
    } else if (!e.params.empty()) {
      op["requestBody"]["required"] = std::any_of(e.params.begin(), e.params.end(), [](const auto& p) { return p.required; });
      op["requestBody"]["content"] = json_content(component_schema(body_schema(e)));
    }
    op["responses"] = responses(e);
    return op;
  }

  json::value stream_operation(const described_endpoint& e) {
    json::value op = json::value::object{};
    op["operationId"] = e.full_name + ".sse";
    op["tags"] = json::value::array{e.module};
    op["summary"] = (e.description.empty() ? e.full_name : e.description) + " (as server-sent events)";
    if (json::value parameters = query_parameters(e); parameters.size() != 0) op["parameters"] = std::move(parameters);
    json::value ok = json::value::object{};
    ok["description"] = "one event per value (data: the value as JSON), then an \"end\" event with the result, "
                        "or an \"error\" event with the error body";
    ok["content"]["text/event-stream"]["schema"]["type"] = "string";
    ok["content"]["text/event-stream"]["x-switchboard-values"] = component_schema(e.stream);
    op["responses"] = errors();
    op["responses"]["200"] = std::move(ok);
    return op;
  }

  // The parameters in the query: by name, or the members of the one struct taken; a struct or an
  // array parameter is JSON text.
  json::value query_parameters(const described_endpoint& e) {
    json::value parameters = json::value::array{};
    const auto add = [&](const std::string& name, const json::value& schema, bool required, const std::string& description) {
      json::value p = json::value::object{};
      p["name"] = name;
      p["in"] = "query";
      p["required"] = required;
      if (!description.empty()) p["description"] = description;
      const json::value& shape = resolved(schema, d_.defs);
      const std::string type = text_member(shape, "type");
      if (type == "object" || type == "array" || shape.find("anyOf")) p["content"] = json_content(component_schema(schema));
      else p["schema"] = component_schema(schema);
      parameters.get_if<json::value::array>()->push_back(std::move(p));
    };
    if (e.binding == "named") {
      for (const auto& p : e.params) add(p.name, p.schema, p.required, p.description);
    } else if (e.binding == "object") {
      const json::value arguments = arguments_schema(e, d_.defs);
      const json::value* required = arguments.find("required");
      const auto is_required = [&](const std::string& name) {
        if (!required || !required->is_array()) return false;
        for (const auto& r : *required->get_if<json::value::array>())
          if (const auto* text = r.get_if<std::string>(); text && *text == name) return true;
        return false;
      };
      if (const auto* properties = arguments.find("properties"); properties && properties->is_object())
        for (const auto& [name, schema] : *properties->get_if<json::value::object>()) add(name, schema, is_required(name), {});
    }
    return parameters;
  }

  // The JSON body: an object by name, the one struct, or an array by position.
  json::value body_schema(const described_endpoint& e) {
    if (e.binding != "positional") return e.binding == "object" ? e.params.front().schema : arguments_schema(e, d_.defs);
    json::value schema = json::value::object{};
    schema["type"] = "array";
    json::value::array items;
    for (const auto& p : e.params) items.push_back(described_schema(p));
    schema["prefixItems"] = json::value(std::move(items));
    schema["items"] = false;
    return schema;
  }

  json::value responses(const described_endpoint& e) {
    json::value out = errors();
    json::value ok = json::value::object{};
    if (e.opaque_result()) {
      ok["description"] = "the endpoint's bytes (HTML, text, a download or a redirect), with their own Content-Type";
      ok["content"]["*/*"]["schema"] = json::value::object{};
      out["200"] = std::move(ok);
      return out;
    }
    ok["description"] = e.streams ? "the stream's values, collected" : "the result";
    ok["content"] = json_content(component_schema(answer_schema(e)));
    out["200"] = std::move(ok);
    return out;
  }

  // Every status of the error table, by reference to its response in the components.
  static json::value errors() {
    const json::value responses = error_responses();
    json::value out = json::value::object{};
    for (const auto& entry : *responses.get_if<json::value::object>())
      out[entry.first]["$ref"] = "#/components/responses/switchboard." + entry.first;
    return out;
  }

  // The error table's statuses, each with the kinds behind it and the error body.
  static json::value error_responses() {
    json::value out = json::value::object{};
    for (int k = static_cast<int>(error_kind::invalid_argument); k <= static_cast<int>(error_kind::internal); ++k) {
      const auto info = describe(static_cast<error_kind>(k));
      json::value& response = out[std::to_string(info.http_status)];
      const std::string* earlier = response.find("description") ? response.find("description")->get_if<std::string>() : nullptr;
      response["description"] = (earlier ? *earlier + ", " : std::string("error: ")) + std::string(info.name);
      json::value ref = json::value::object{};
      ref["$ref"] = "#/components/schemas/switchboard.error";
      response["content"] = json_content(std::move(ref));
    }
    return out;
  }

  static json::value error_schema() {
    json::value detail = json::value::object{};
    detail["type"] = "object";
    detail["properties"]["kind"]["type"] = "string";
    detail["properties"]["message"]["type"] = "string";
    detail["properties"]["where"]["type"] = "string";
    detail["properties"]["details"] = json::value::object{};
    detail["required"] = json::value::array{"kind", "message"};
    json::value body = json::value::object{};
    body["type"] = "object";
    body["properties"]["error"] = std::move(detail);
    body["required"] = json::value::array{"error"};
    return body;
  }

  const api_description& d_;
};

}  // namespace sb::detail

namespace sb {

// The OpenAPI 3.1 document of the endpoints describe() lists (see the top of this file).
inline std::string openapi_document(std::string_view describe_json) {
  const detail::api_description description = detail::read_description(describe_json);
  std::string out;
  json::write(detail::openapi_writer(description).document(), out);
  return out;
}

}  // namespace sb
