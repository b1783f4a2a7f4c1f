// sb::json::schema<T>(): JSON Schema 2020-12 text, exact, with aggregates under $defs.
#include <switchboard/json.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace schema_test {

enum class status : std::uint8_t { active, archived };

struct point {
  double x;
  double y;
};

struct item {
  std::string name;
  std::int32_t qty;
  std::optional<double> price;
  status state;
  std::vector<std::string> tags;
};

struct tree {
  std::string label;
  std::vector<tree> children;
  std::unique_ptr<tree> parent;
};

struct account {
  int user_id;
  std::string display_name;
  int cache;
};

struct settings {
  int retries = 3;
  bool verbose = false;
};

struct misc {
  std::map<std::string, bool> flags;
  std::pair<int, std::string> pair;
  std::variant<std::monostate, std::int64_t, double, std::string> either;
  std::array<std::uint8_t, 2> two;
  std::chrono::seconds timeout;
  std::chrono::sys_seconds at;
  char letter;
  sb::json::value any;
  sb::json::raw verbatim;
  point where;
  std::shared_ptr<point> maybe_where;
};

class money {
 public:
  std::int64_t cents = 0;
};

class opaque {
 public:
  int hidden = 0;
};

}  // namespace schema_test

namespace sb::json {

template <>
struct meta<schema_test::account> {
  static constexpr auto naming = camel_case;
  static constexpr std::array skip = {std::string_view{"cache"}};
};

template <>
struct meta<schema_test::settings> {
  static constexpr bool defaults = true;
};

template <>
struct codec<schema_test::money> {
  static void read(schema_test::money& out, reader& in) { in.read(out.cents); }
  template <class W>
  static void write(const schema_test::money& in, W& out) {
    out.write(in.cents);
  }
  static std::string schema(schema_builder&) { return R"({"type":"integer","description":"cents"})"; }
};

template <>
struct codec<schema_test::opaque> {
  static void read(schema_test::opaque& out, reader& in) { in.read(out.hidden); }
  template <class W>
  static void write(const schema_test::opaque& in, W& out) {
    out.write(in.hidden);
  }
};

}  // namespace sb::json

namespace {

using namespace schema_test;

constexpr std::string_view head = R"({"$schema":"https://json-schema.org/draft/2020-12/schema")";

std::string expected(std::string_view rest) { return std::string(head) + std::string(rest); }

TEST(JsonSchema, Scalars) {
  EXPECT_EQ(sb::json::schema<int>(), expected(R"(,"type":"integer","minimum":-2147483648,"maximum":2147483647})"));
  EXPECT_EQ(sb::json::schema<std::uint8_t>(), expected(R"(,"type":"integer","minimum":0,"maximum":255})"));
  EXPECT_EQ(sb::json::schema<std::uint64_t>(),
            expected(R"(,"type":"integer","minimum":0,"maximum":18446744073709551615})"));
  EXPECT_EQ(sb::json::schema<double>(), expected(R"(,"type":"number"})"));
  EXPECT_EQ(sb::json::schema<bool>(), expected(R"(,"type":"boolean"})"));
  EXPECT_EQ(sb::json::schema<std::string>(), expected(R"(,"type":"string"})"));
  EXPECT_EQ(sb::json::schema<std::string_view>(), expected(R"(,"type":"string"})"));
  EXPECT_EQ(sb::json::schema<status>(), expected(R"(,"enum":["active","archived"]})"));
  EXPECT_EQ(sb::json::schema<std::vector<std::string>>(), expected(R"(,"type":"array","items":{"type":"string"}})"));
  EXPECT_EQ(sb::json::schema<sb::json::value>(), expected("}"));
}

TEST(JsonSchema, Aggregate) {
  EXPECT_EQ(sb::json::schema<point>(),
            expected(R"(,"$ref":"#/$defs/schema_test.point","$defs":{"schema_test.point":{"type":"object",)"
                     R"("properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]}}})"));
  EXPECT_EQ(sb::json::schema<item>(),
            expected(R"(,"$ref":"#/$defs/schema_test.item","$defs":{"schema_test.item":{"type":"object",)"
                     R"("properties":{"name":{"type":"string"},)"
                     R"("qty":{"type":"integer","minimum":-2147483648,"maximum":2147483647},)"
                     R"("price":{"anyOf":[{"type":"number"},{"type":"null"}]},)"
                     R"("state":{"enum":["active","archived"]},)"
                     R"("tags":{"type":"array","items":{"type":"string"}}},)"
                     R"("required":["name","qty","state","tags"]}}})"));
}

TEST(JsonSchema, RecursiveAggregateRefersToItself) {
  EXPECT_EQ(sb::json::schema<tree>(),
            expected(R"(,"$ref":"#/$defs/schema_test.tree","$defs":{"schema_test.tree":{"type":"object",)"
                     R"("properties":{"label":{"type":"string"},)"
                     R"("children":{"type":"array","items":{"$ref":"#/$defs/schema_test.tree"}},)"
                     R"("parent":{"anyOf":[{"$ref":"#/$defs/schema_test.tree"},{"type":"null"}]}},)"
                     R"("required":["label","children"]}}})"));
}

TEST(JsonSchema, MetaNamesSkipsAndDefaults) {
  EXPECT_EQ(sb::json::schema<account>(),
            expected(R"(,"$ref":"#/$defs/schema_test.account","$defs":{"schema_test.account":{"type":"object",)"
                     R"("properties":{"userId":{"type":"integer","minimum":-2147483648,"maximum":2147483647},)"
                     R"("displayName":{"type":"string"}},"required":["userId","displayName"]}}})"));
  // With defaults nothing is required.
  EXPECT_EQ(sb::json::schema<settings>(),
            expected(R"(,"$ref":"#/$defs/schema_test.settings","$defs":{"schema_test.settings":{"type":"object",)"
                     R"("properties":{"retries":{"type":"integer","minimum":-2147483648,"maximum":2147483647},)"
                     R"("verbose":{"type":"boolean"}}}}})"));
}

TEST(JsonSchema, EveryOtherKind) {
  EXPECT_EQ(
      sb::json::schema<misc>(),
      expected(
          R"(,"$ref":"#/$defs/schema_test.misc","$defs":{"schema_test.misc":{"type":"object","properties":{)"
          R"("flags":{"type":"object","additionalProperties":{"type":"boolean"}},)"
          R"("pair":{"type":"array","prefixItems":[{"type":"integer","minimum":-2147483648,"maximum":2147483647},)"
          R"({"type":"string"}],"items":false},)"
          R"("either":{"anyOf":[{"type":"null"},)"
          R"({"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807},)"
          R"({"type":"number"},{"type":"string"}]},)"
          R"("two":{"type":"array","items":{"type":"integer","minimum":0,"maximum":255},"minItems":2,"maxItems":2},)"
          R"("timeout":{"type":"integer"},)"
          R"("at":{"type":"string","format":"date-time"},)"
          R"("letter":{"type":"string","minLength":1,"maxLength":1},)"
          R"("any":{},"verbatim":{},)"
          R"("where":{"$ref":"#/$defs/schema_test.point"},)"
          R"("maybe_where":{"anyOf":[{"$ref":"#/$defs/schema_test.point"},{"type":"null"}]}},)"
          R"("required":["flags","pair","either","two","timeout","at","letter","any","verbatim","where"]},)"
          R"("schema_test.point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},)"
          R"("required":["x","y"]}}})"));
}

TEST(JsonSchema, OptionalAggregateAtTheRoot) {
  EXPECT_EQ(sb::json::schema<std::optional<point>>(),
            expected(R"(,"anyOf":[{"$ref":"#/$defs/schema_test.point"},{"type":"null"}],)"
                     R"("$defs":{"schema_test.point":{"type":"object","properties":{"x":{"type":"number"},)"
                     R"("y":{"type":"number"}},"required":["x","y"]}}})"));
}

TEST(JsonSchema, Codecs) {
  EXPECT_EQ(sb::json::schema<money>(), expected(R"(,"type":"integer","description":"cents"})"));
  EXPECT_EQ(sb::json::schema<opaque>(), expected("}"));  // no schema(): anything
  EXPECT_EQ(sb::json::schema<std::vector<money>>(),
            expected(R"(,"type":"array","items":{"type":"integer","description":"cents"}})"));
}

TEST(JsonSchema, SchemasAreValidJson) {
  for (const std::string& text : {sb::json::schema<misc>(), sb::json::schema<tree>(), sb::json::schema<item>(),
                                  sb::json::schema<std::map<std::string, std::vector<point>>>()}) {
    sb::json::value v;
    EXPECT_FALSE(sb::json::read(v, text)) << text;
    EXPECT_TRUE(v.is_object());
    EXPECT_NE(v.find("$schema"), nullptr);
  }
}

}  // namespace
