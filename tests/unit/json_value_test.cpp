// sb::json::value: any document, kept in document order, written back as read.
#include <switchboard/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace value_test {

struct request {
  int id;
  sb::json::value params;
};

}  // namespace value_test

namespace {

using sb::json::errc;
using sb::json::kind;
using sb::json::value;

value parse(std::string_view text) {
  value v;
  const auto e = sb::json::parse(text, v);
  EXPECT_FALSE(e) << text << ": " << e.to_string();
  return v;
}

std::string write(const value& v) {
  std::string out;
  const auto e = sb::json::write(v, out);
  EXPECT_FALSE(e) << e.to_string();
  return out;
}

TEST(JsonValue, ScalarKinds) {
  EXPECT_EQ(parse("null").type(), kind::null);
  EXPECT_TRUE(parse("null").is_null());
  EXPECT_EQ(parse("true").type(), kind::boolean);
  EXPECT_EQ(*parse("false").get_if<bool>(), false);
  EXPECT_EQ(parse("-5").type(), kind::integer);
  EXPECT_EQ(*parse("-5").get_if<std::int64_t>(), -5);
  EXPECT_EQ(*parse("9223372036854775807").get_if<std::int64_t>(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(*parse("-9223372036854775808").get_if<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse("9223372036854775808").type(), kind::unsigned_integer);
  EXPECT_EQ(*parse("18446744073709551615").get_if<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse("18446744073709551616").type(), kind::number);  // too big for any integer
  EXPECT_EQ(parse("-9223372036854775809").type(), kind::number);
  EXPECT_EQ(parse("1.5").type(), kind::number);
  EXPECT_EQ(*parse("1e2").get_if<double>(), 100.0);
  EXPECT_EQ(parse("\"s\"").type(), kind::string);
  EXPECT_EQ(*parse(R"("a\u00e9\ud83d\ude00")").get_if<std::string>(), "a\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(parse("[]").type(), kind::array);
  EXPECT_EQ(parse("{}").type(), kind::object);
  EXPECT_TRUE(parse("1").is_number());
  EXPECT_TRUE(parse("1.0").is_number());
  EXPECT_TRUE(parse("18446744073709551615").is_number());
  EXPECT_FALSE(parse("\"1\"").is_number());
}

TEST(JsonValue, NumbersAsDouble) {
  EXPECT_EQ(parse("-5").as_double(), -5.0);
  EXPECT_EQ(parse("18446744073709551615").as_double(), 18446744073709551615.0);
  EXPECT_EQ(parse("0.25").as_double(), 0.25);
  EXPECT_EQ(parse("\"x\"").as_double(), 0.0);
  EXPECT_TRUE(std::signbit(*parse("-0.0").get_if<double>()));
}

TEST(JsonValue, ObjectsKeepDocumentOrderAndTheLastOfDuplicates) {
  const std::string text = R"({"b":1,"a":{"z":[1,2.5,"x",null,true,false]},"b":3})";
  const value v = parse(text);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(write(v), R"({"b":3,"a":{"z":[1,2.5,"x",null,true,false]}})");  // first position, last value
  const value* b = v.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b->get_if<std::int64_t>(), 3);  // the last of the duplicates, as typed reads do
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(parse("[1]").find("b"), nullptr);
  const auto& members = *v.get_if<value::object>();
  EXPECT_EQ(members[0].first, "b");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ((*v.find("a")->find("z"))[2], value("x"));
}

TEST(JsonValue, ManyDuplicatesCostLinearTimeAndKeepOneMember) {
  std::string text = "{";
  for (int i = 0; i < 200000; ++i) text += "\"k" + std::to_string(i % 1000) + "\":" + std::to_string(i) + ",";
  text.back() = '}';
  const value v = parse(text);
  EXPECT_EQ(v.size(), 1000u);
  EXPECT_EQ(*v.find("k7")->get_if<std::int64_t>(), 199007);
}

TEST(JsonValue, DuplicatesCanBeRefused) {
  value v;
  sb::json::read_options options;
  options.duplicates = sb::json::duplicate_keys::error;
  const auto e = sb::json::read(v, std::string_view(R"({"a":1,"a":2})"), options);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.code(), sb::json::errc::duplicate_field);
}

TEST(JsonValue, WritesCanonicalForms) {
  EXPECT_EQ(write(parse(" [ 1 , 2 ] ")), "[1,2]");
  EXPECT_EQ(write(parse("1.0")), "1.0");
  EXPECT_EQ(write(parse("1E2")), "100.0");
  EXPECT_EQ(write(parse("0.10")), "0.1");
  EXPECT_EQ(write(parse("-0")), "0");
  EXPECT_EQ(write(parse("-0.0")), "-0.0");
  EXPECT_EQ(write(parse(R"("\u00e9\/\t")")), "\"\xC3\xA9/\\t\"");
  EXPECT_EQ(write(parse(R"({"\u0041\n":1})")), R"({"A\n":1})");  // escaped keys are decoded
  EXPECT_EQ(write(parse("18446744073709551615")), "18446744073709551615");
  EXPECT_EQ(write(parse("-9223372036854775808")), "-9223372036854775808");
}

TEST(JsonValue, BuildAndWrite) {
  value v;
  v["name"] = "switchboard";
  v["version"] = 3;
  v["ratio"] = 0.5;
  v["tags"] = value::array{"a", 1, true, nullptr};
  v["nested"]["deep"] = false;
  v["name"] = std::string("renamed");  // assignment to an existing member keeps its place
  EXPECT_EQ(write(v), R"({"name":"renamed","version":3,"ratio":0.5,"tags":["a",1,true,null],"nested":{"deep":false}})");
  EXPECT_EQ(v["tags"].size(), 4u);
  v["tags"][1] = 2u;
  EXPECT_EQ(*v["tags"][1].get_if<std::int64_t>(), 2);
  EXPECT_THROW(v["tags"][9], std::out_of_range);

  EXPECT_EQ(value(std::numeric_limits<std::uint64_t>::max()).type(), kind::unsigned_integer);
  EXPECT_EQ(value(std::uint64_t{5}).type(), kind::integer);
  EXPECT_EQ(value(std::string_view("sv")).type(), kind::string);
  EXPECT_EQ(write(value(value::object{{"k", value(1)}, {"k", value(2)}})), R"({"k":1,"k":2})");
}

TEST(JsonValue, Equality) {
  EXPECT_EQ(parse(R"({"a":[1,2]})"), parse(R"( { "a" : [ 1 , 2 ] } )"));
  EXPECT_NE(parse(R"({"a":1,"b":2})"), parse(R"({"b":2,"a":1})"));  // order is part of the value
  EXPECT_NE(parse("1"), parse("1.0"));
  EXPECT_EQ(value(), value(nullptr));
}

TEST(JsonValue, PrettyWrite) {
  std::string out;
  ASSERT_FALSE(sb::json::write<sb::json::write_options{.pretty = true}>(parse(R"({"a":[1,{}],"b":{"c":[]}})"), out));
  EXPECT_EQ(out,
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    {}\n"
            "  ],\n"
            "  \"b\": {\n"
            "    \"c\": []\n"
            "  }\n"
            "}");
}

TEST(JsonValue, ErrorsHavePaths) {
  value v;
  auto e = sb::json::parse(R"({"a":[1,2,tru]})", v);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.code(), errc::syntax);
  EXPECT_EQ(e.path(), "$.a[2]");
  EXPECT_EQ(e.column(), 11u);
  e = sb::json::parse(R"(["\ud800"])", v);
  EXPECT_EQ(e.code(), errc::invalid_string);
  e = sb::json::parse("[1e999]", v);
  EXPECT_EQ(e.code(), errc::out_of_range);
  EXPECT_EQ(sb::json::parse("[1] [2]", v).code(), errc::trailing_content);
  EXPECT_EQ(sb::json::parse("", v).code(), errc::syntax);
  EXPECT_EQ(sb::json::parse("[[[]]]", v, {.max_depth = 2}).code(), errc::too_deep);
  EXPECT_FALSE(sb::json::parse("[[[]]]", v, {.max_depth = 3}));
}

TEST(JsonValue, WriteRefusesNonFiniteNumbers) {
  value v = value::array{1.0, std::nan("")};
  std::string out;
  const auto e = sb::json::write(v, out);
  EXPECT_EQ(e.code(), errc::not_representable);
  EXPECT_EQ(e.path(), "$[1]");
}

TEST(JsonValue, AsAMemberOfATypedStruct) {
  const std::string text = R"({"id":4,"params":{"list":[1,"two",{"three":3.0}],"flag":null}})";
  value_test::request r;
  ASSERT_FALSE(sb::json::read(r, text));
  EXPECT_EQ(r.id, 4);
  EXPECT_EQ(r.params.find("list")->size(), 3u);
  std::string out;
  ASSERT_FALSE(sb::json::write(r, out));
  EXPECT_EQ(out, text);
}

}  // namespace
