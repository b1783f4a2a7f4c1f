// sb::json::write: the exact text of every supported type, pretty output, fixed buffers, refusals.
#include <switchboard/json.hpp>

#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace write_test {

enum class color : std::uint8_t { red, green, blue };
enum class level : int { low = -2, normal = 0, high = 3 };

struct point {
  double x;
  double y;
};

struct shape {
  std::string name;
  point origin;
  std::vector<point> corners;
  std::optional<point> center;
};

struct with_optional {
  std::optional<int> a;
  int b;
  std::optional<std::string> c;
  std::unique_ptr<int> d;
};

struct node {
  int value;
  std::vector<node> children;
  std::shared_ptr<node> next;
};

struct user_record {
  int user_id;
  std::string display_name;
  std::string home_page;
  int cache;
};

struct pascal_record {
  int user_id;
  bool is_admin;
};

struct kebab_record {
  int max_retry_count;
  std::string log_level;
};

class money {
 public:
  explicit money(std::int64_t cents) : cents_(cents) {}
  std::int64_t cents() const { return cents_; }

 private:
  std::int64_t cents_;
};

struct invoice {
  std::string customer;
  money total;
};

struct envelope {
  int id;
  sb::json::raw payload;
  sb::json::raw_string extra;
};

struct everything {
  bool flag;
  std::int8_t tiny;
  std::uint64_t big;
  double ratio;
  float half;
  std::string text;
  std::string_view view;
  char letter;
  color hue;
  std::optional<int> maybe;
  std::vector<int> list;
  std::array<int, 2> pair_of_ints;  // not std::array<std::string, N>: GCC 12 ICEs counting such fields in PFR
  std::map<std::string, int> counts;
  std::tuple<int, std::string> tagged;
  std::variant<int, std::string> either;
  std::chrono::milliseconds timeout;
  std::chrono::sys_time<std::chrono::milliseconds> at;

  friend bool operator==(const everything&, const everything&) = default;
};

}  // namespace write_test

namespace sb::json {

template <>
struct meta<write_test::user_record> {
  static constexpr auto naming = camel_case;
  static constexpr std::array rename = {field{"display_name", "name"}};
  static constexpr std::array skip = {std::string_view{"cache"}};
};

template <>
struct meta<write_test::pascal_record> {
  static constexpr auto naming = pascal_case;
};

template <>
struct meta<write_test::kebab_record> {
  static constexpr auto naming = kebab_case;
};

template <>
struct codec<write_test::money> {
  template <class W>
  static void write(const write_test::money& in, W& out) {
    char text[32];
    const int n = std::snprintf(text, sizeof text, "\"%lld.%02lld\"", static_cast<long long>(in.cents() / 100),
                                static_cast<long long>(in.cents() % 100));
    out.raw(std::string_view(text, static_cast<std::size_t>(n)));
  }
};

}  // namespace sb::json

namespace {

using namespace write_test;
using sb::json::errc;

template <class T>
std::string json(const T& value) {
  std::string out;
  const auto e = sb::json::write(value, out);
  EXPECT_FALSE(e) << e.to_string();
  return out;
}

template <class T>
std::string pretty(const T& value) {
  std::string out;
  const auto e = sb::json::write<sb::json::write_options{.pretty = true}>(value, out);
  EXPECT_FALSE(e) << e.to_string();
  return out;
}

template <class T>
sb::json::error write_error(const T& value) {
  std::string out;
  auto e = sb::json::write(value, out);
  EXPECT_TRUE(e) << "writing should have failed, wrote " << out;
  return e;
}

TEST(JsonWrite, BooleansAndNull) {
  EXPECT_EQ(json(true), "true");
  EXPECT_EQ(json(false), "false");
  EXPECT_EQ(json(nullptr), "null");
  EXPECT_EQ(json(std::monostate{}), "null");
}

TEST(JsonWrite, IntegersAtTheirLimits) {
  EXPECT_EQ(json(std::int8_t{-128}), "-128");
  EXPECT_EQ(json(std::uint8_t{255}), "255");
  EXPECT_EQ(json(std::int16_t{-32768}), "-32768");
  EXPECT_EQ(json(std::uint16_t{65535}), "65535");
  EXPECT_EQ(json(std::numeric_limits<std::int32_t>::min()), "-2147483648");
  EXPECT_EQ(json(std::numeric_limits<std::uint32_t>::max()), "4294967295");
  EXPECT_EQ(json(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(json(std::numeric_limits<std::int64_t>::max()), "9223372036854775807");
  EXPECT_EQ(json(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(json(0), "0");
  EXPECT_EQ(json(-1L), "-1");
}

TEST(JsonWrite, DoublesShortestRoundTrip) {
  EXPECT_EQ(json(1.0), "1.0");  // integral values keep a ".0": still a floating-point number
  EXPECT_EQ(json(0.0), "0.0");
  EXPECT_EQ(json(-0.0), "-0.0");
  EXPECT_EQ(json(123456789.0), "123456789.0");
  EXPECT_EQ(json(0.1), "0.1");
  EXPECT_EQ(json(-1.25), "-1.25");
  EXPECT_EQ(json(1e300), "1e300");  // no '+' in the exponent
  EXPECT_EQ(json(1e21), "1e21");
  EXPECT_EQ(json(1.5e-7), "1.5e-07");
  EXPECT_EQ(json(5e-324), "5e-324");
  EXPECT_EQ(json(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
  EXPECT_EQ(json(1.7976931348623157e308), "1.7976931348623157e308");
  EXPECT_EQ(json(-1.7976931348623157e308), "-1.7976931348623157e308");
  EXPECT_EQ(json(0.1f), "0.1");
  EXPECT_EQ(json(16777216.0f), "16777216.0");
  EXPECT_EQ(json(std::numeric_limits<float>::max()), "3.4028235e38");
}

// The shortest form (detail/shortest.hpp) is std::to_chars's, trimmed for JSON: checked here on a
// sample; tests/long/shortest_exhaustive.cpp checks every float and many more doubles.
std::string to_chars_for_json(auto value) {
  char text[64];
  char* last = std::to_chars(text, text + 60, value).ptr;
  std::string out(text, last);
  if (const auto e = out.find("e+"); e != std::string::npos) out.erase(e + 1, 1);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

TEST(JsonWrite, ShortestFormIsToCharsOnASample) {
  std::mt19937_64 random(20261204);
  int compared = 0;
  for (int i = 0; i < 300000; ++i) {
    const std::uint64_t bits = random();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    const double few_digits = static_cast<double>(random() % 1000000) / static_cast<double>(1 + random() % 10000);
    for (double v : {d, few_digits, std::ldexp(1.0, static_cast<int>(random() % 2098) - 1074)}) {
      if (!std::isfinite(v)) continue;
      ASSERT_EQ(json(v), to_chars_for_json(v)) << std::hexfloat << v;
      ++compared;
    }
    const auto float_bits = static_cast<std::uint32_t>(bits >> 16);
    float f;
    std::memcpy(&f, &float_bits, sizeof f);
    if (std::isfinite(f)) {
      ASSERT_EQ(json(f), to_chars_for_json(f)) << std::hexfloat << f;
    }
  }
  EXPECT_GT(compared, 800000);
  for (std::uint64_t bits = 1; bits < 64; ++bits) {  // the smallest subnormals, below Schubfach's C_TINY
    double d;
    std::memcpy(&d, &bits, sizeof d);
    EXPECT_EQ(json(d), to_chars_for_json(d));
    const auto small = static_cast<std::uint32_t>(bits);
    float f;
    std::memcpy(&f, &small, sizeof f);
    EXPECT_EQ(json(f), to_chars_for_json(f));
  }
  // Integer-valued doubles from 2^53 are written exactly in the fixed form, as printf's %f does.
  EXPECT_EQ(json(123456789012345683968.0), "123456789012345683968.0");
  EXPECT_EQ(json(9007199254740993.0), to_chars_for_json(9007199254740993.0));
  EXPECT_EQ(json(1.5L), "1.5");  // long double keeps the library's form
}

TEST(JsonWrite, DoublesRoundTripExactly) {
  for (double d : {0.0, -0.0, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 0.1, 1.0 / 3.0,
                   9007199254740993.0, 123.456e-300}) {
    const std::string text = json(d);
    double back = 1;
    ASSERT_FALSE(sb::json::read(back, text)) << text;
    EXPECT_EQ(std::memcmp(&back, &d, sizeof d), 0) << text;
  }
  std::mt19937_64 random(20261121);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t bits = random();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string text = json(d);
    double back = 0;
    ASSERT_FALSE(sb::json::read(back, text)) << text;
    ASSERT_EQ(std::memcmp(&back, &d, sizeof d), 0) << text << " read back as " << back;
  }
  for (int i = 0; i < 20000; ++i) {
    const auto bits = static_cast<std::uint32_t>(random());
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (!std::isfinite(f)) continue;
    const std::string text = json(f);
    float back = 0;
    ASSERT_FALSE(sb::json::read(back, text)) << text;
    ASSERT_EQ(std::memcmp(&back, &f, sizeof f), 0) << text;
  }
}

TEST(JsonWrite, NanAndInfinityAreRefused) {
  auto e = write_error(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(e.code(), errc::not_representable);
  EXPECT_EQ(e.message(), "cannot write NaN: JSON has no such number");
  e = write_error(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(e.code(), errc::not_representable);
  EXPECT_EQ(e.message(), "cannot write infinity: JSON has no such number");
  EXPECT_EQ(write_error(std::numeric_limits<float>::infinity()).code(), errc::not_representable);

  e = write_error(shape{"s", {1, 2}, {{0, 0}, {0, std::nan("")}}, std::nullopt});
  EXPECT_EQ(e.path(), "$.corners[1].y");
  EXPECT_EQ(e.line(), 0u);  // writes have no line or column
  EXPECT_EQ(e.to_string(), "$.corners[1].y: cannot write NaN: JSON has no such number");
}

TEST(JsonWrite, StringsAreEscaped) {
  EXPECT_EQ(json(std::string("plain")), R"("plain")");
  EXPECT_EQ(json(std::string("")), R"("")");
  EXPECT_EQ(json(std::string("q\"b\\s/")), R"("q\"b\\s/")");
  EXPECT_EQ(json(std::string("\b\f\n\r\t")), R"("\b\f\n\r\t")");
  EXPECT_EQ(json(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(json(std::string("nul\0byte", 8)), R"("nul\u0000byte")");
  EXPECT_EQ(json(std::string("caf\xC3\xA9 \xF0\x9F\x98\x80")), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");  // UTF-8 as is
  EXPECT_EQ(json(std::string_view("view")), R"("view")");
  EXPECT_EQ(json(static_cast<const char*>("literal")), R"("literal")");
  const char* none = nullptr;
  EXPECT_EQ(json(none), "null");
  // Runs longer than eight bytes around the escapes.
  EXPECT_EQ(json(std::string("abcdefghijkl\nmnopqrstuvwx\"yz0123456789")),
            R"("abcdefghijkl\nmnopqrstuvwx\"yz0123456789")");
  std::string all_controls;
  for (char c = 0; c < 0x20; ++c) all_controls += c;
  EXPECT_EQ(json(all_controls),
            R"("\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f)"
            R"(\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f")");
}

TEST(JsonWrite, InvalidUtf8IsRefused) {
  auto e = write_error(std::string("a\xFF" "b"));
  EXPECT_EQ(e.code(), errc::not_representable);
  EXPECT_EQ(e.message(), "invalid UTF-8 at byte 1 of a string");
  EXPECT_EQ(write_error(std::string("\xC0\xAF")).code(), errc::not_representable);     // overlong
  EXPECT_EQ(write_error(std::string("\xED\xA0\x80")).code(), errc::not_representable); // surrogate
  EXPECT_EQ(write_error(std::string("abcdefghij\xE2\x82")).code(), errc::not_representable);  // truncated
  std::map<std::string, int> bad_key{{"k\x80", 1}};
  EXPECT_EQ(write_error(bad_key).code(), errc::not_representable);
}

TEST(JsonWrite, Chars) {
  EXPECT_EQ(json('x'), R"("x")");
  EXPECT_EQ(json('\n'), R"("\n")");
  EXPECT_EQ(json('"'), R"("\"")");
}

TEST(JsonWrite, EnumsByNameUnnamedAsIntegers) {
  EXPECT_EQ(json(color::green), R"("green")");
  EXPECT_EQ(json(level::low), R"("low")");
  EXPECT_EQ(json(static_cast<color>(7)), "7");
  EXPECT_EQ(json(static_cast<level>(-7)), "-7");
  EXPECT_EQ(json(std::vector<color>{color::blue, color::red}), R"(["blue","red"])");
}

TEST(JsonWrite, OptionalsAndPointers) {
  EXPECT_EQ(json(std::optional<int>{}), "null");
  EXPECT_EQ(json(std::optional<int>{3}), "3");
  EXPECT_EQ(json(std::make_unique<std::string>("u")), R"("u")");
  EXPECT_EQ(json(std::shared_ptr<int>{}), "null");
  EXPECT_EQ(json(with_optional{std::nullopt, 2, "c", std::make_unique<int>(4)}), R"({"a":null,"b":2,"c":"c","d":4})");

  std::string out;
  ASSERT_FALSE(sb::json::write<sb::json::write_options{.skip_null_members = true}>(
      with_optional{std::nullopt, 2, std::nullopt, nullptr}, out));
  EXPECT_EQ(out, R"({"b":2})");
}

TEST(JsonWrite, Containers) {
  EXPECT_EQ(json(std::vector<int>{}), "[]");
  EXPECT_EQ(json(std::vector<int>{1, 2, 3}), "[1,2,3]");
  EXPECT_EQ(json(std::deque<std::string>{"a", "b"}), R"(["a","b"])");
  EXPECT_EQ(json(std::list<double>{1.5, 2}), "[1.5,2.0]");
  EXPECT_EQ(json(std::array<int, 3>{7, 8, 9}), "[7,8,9]");
  EXPECT_EQ(json(std::array<int, 0>{}), "[]");
  EXPECT_EQ(json(std::vector<bool>{true, false}), "[true,false]");
  EXPECT_EQ(json(std::vector<std::vector<int>>{{1}, {}, {2, 3}}), "[[1],[],[2,3]]");
  const int numbers[] = {4, 5, 6};
  EXPECT_EQ(json(std::span<const int>(numbers)), "[4,5,6]");
  EXPECT_EQ(json(std::span<const int, 2>(numbers, 2)), "[4,5]");
}

TEST(JsonWrite, Maps) {
  EXPECT_EQ(json(std::map<std::string, int>{}), "{}");
  EXPECT_EQ(json(std::map<std::string, int>{{"b", 2}, {"a", 1}}), R"({"a":1,"b":2})");
  EXPECT_EQ(json(std::map<std::string, int>{{"a\"b\n", 1}}), R"({"a\"b\n":1})");
  EXPECT_EQ(json(std::map<std::string_view, std::vector<int>>{{"k", {1}}}), R"({"k":[1]})");
  EXPECT_EQ(json(std::unordered_map<std::string, bool>{{"only", true}}), R"({"only":true})");
}

TEST(JsonWrite, PairsTuplesVariants) {
  EXPECT_EQ(json(std::pair<int, std::string>{1, "a"}), R"([1,"a"])");
  EXPECT_EQ(json(std::tuple<int, bool, double>{1, true, 2.5}), "[1,true,2.5]");
  EXPECT_EQ(json(std::tuple<>{}), "[]");
  using v = std::variant<std::monostate, int, std::string, std::vector<int>>;
  EXPECT_EQ(json(v{}), "null");
  EXPECT_EQ(json(v{5}), "5");
  EXPECT_EQ(json(v{std::string("s")}), R"("s")");
  EXPECT_EQ(json(v{std::vector<int>{1}}), "[1]");
}

TEST(JsonWrite, Durations) {
  using namespace std::chrono_literals;
  EXPECT_EQ(json(1500ms), "1500");
  EXPECT_EQ(json(-3s), "-3");
  EXPECT_EQ(json(std::chrono::duration<double>(1.5)), "1.5");
}

TEST(JsonWrite, SystemTimePointsAsIso8601Utc) {
  using namespace std::chrono;
  const sys_time<milliseconds> at = sys_days{year{2026} / 11 / 21} + 23h + 0min + 58s + 123ms;
  EXPECT_EQ(json(at), R"("2026-11-21T23:00:58.123Z")");
  EXPECT_EQ(json(time_point_cast<seconds>(at)), R"("2026-11-21T23:00:58Z")");
  EXPECT_EQ(json(time_point_cast<microseconds>(at)), R"("2026-11-21T23:00:58.123000Z")");
  EXPECT_EQ(json(time_point_cast<nanoseconds>(at) + 456ns), R"("2026-11-21T23:00:58.123000456Z")");
  EXPECT_EQ(json(sys_days{year{2026} / 11 / 21}), R"("2026-11-21T00:00:00Z")");
  EXPECT_EQ(json(sys_time<milliseconds>{} - 1ms), R"("1969-12-31T23:59:59.999Z")");
  EXPECT_EQ(json(sys_seconds{}), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(json(sys_seconds{sys_days{year{9999} / 12 / 31}} + 86399s), R"("9999-12-31T23:59:59Z")");
  EXPECT_EQ(write_error(sys_seconds{sys_days{year{10000} / 1 / 1}}).code(), errc::not_representable);
  EXPECT_EQ(write_error(sys_seconds{sys_days{year{-1} / 1 / 1}}).message(), "year outside 0000-9999 in a time point");
}

TEST(JsonWrite, TimePointsRoundTrip) {
  using namespace std::chrono;
  for (const auto at : {sys_time<milliseconds>{} - 1ms, sys_time<milliseconds>{sys_days{year{3000} / 6 / 15}} + 1ms,
                        sys_time<milliseconds>{sys_days{year{1} / 1 / 1}},
                        sys_time<milliseconds>{sys_days{year{2024} / 2 / 29}} + 86399999ms}) {
    const std::string text = json(at);
    sys_time<milliseconds> back{};
    ASSERT_FALSE(sb::json::read(back, text)) << text;
    EXPECT_EQ(back, at) << text;
  }
}

TEST(JsonWrite, OtherClocksTimePointsAsCounts) {
  using namespace std::chrono;
  EXPECT_EQ(json(steady_clock::time_point(steady_clock::duration(42))), "42");
  EXPECT_EQ(json(time_point<steady_clock, milliseconds>(1500ms)), "1500");
}

TEST(JsonWrite, Aggregates) {
  EXPECT_EQ(json(point{1.5, -2}), R"({"x":1.5,"y":-2.0})");
  EXPECT_EQ(json(shape{"tri", {0.5, -1}, {{1, 2}}, point{0, 0}}),
            R"({"name":"tri","origin":{"x":0.5,"y":-1.0},"corners":[{"x":1.0,"y":2.0}],"center":{"x":0.0,"y":0.0}})");
  node n{1, {node{2, {}, nullptr}}, std::make_shared<node>(node{3, {}, nullptr})};
  EXPECT_EQ(json(n), R"({"value":1,"children":[{"value":2,"children":[],"next":null}],)"
                     R"("next":{"value":3,"children":[],"next":null}})");
}

TEST(JsonWrite, MetaNamingRenameAndSkip) {
  EXPECT_EQ(json(user_record{7, "Ann", "h", 99}), R"({"userId":7,"name":"Ann","homePage":"h"})");
  EXPECT_EQ(json(pascal_record{1, true}), R"({"UserId":1,"IsAdmin":true})");
  EXPECT_EQ(json(kebab_record{5, "debug"}), R"({"max-retry-count":5,"log-level":"debug"})");
}

TEST(JsonWrite, CodecForANonAggregate) {
  EXPECT_EQ(json(money(1234)), R"("12.34")");
  EXPECT_EQ(json(invoice{"c", money(5)}), R"({"customer":"c","total":"0.05"})");
}

TEST(JsonWrite, RawIsWrittenVerbatim) {
  EXPECT_EQ(json(envelope{1, {R"({"a" : [1, 2.50]})"}, {"\"s\""}}), R"({"id":1,"payload":{"a" : [1, 2.50]},"extra":"s"})");
  // What was read is written back byte for byte.
  const std::string doc = R"({"id":2,"payload":  [ 1e2 , "\u0041" ] ,"extra":{ }})";
  envelope env{};
  ASSERT_FALSE(sb::json::read(env, doc));
  EXPECT_EQ(json(env), R"({"id":2,"payload":[ 1e2 , "\u0041" ],"extra":{ }})");
}

TEST(JsonWrite, AppendsToTheString) {
  std::string out = "prefix:";
  ASSERT_FALSE(sb::json::write(std::vector<int>{1}, out));
  EXPECT_EQ(out, "prefix:[1]");
  ASSERT_FALSE(sb::json::write(true, out));
  EXPECT_EQ(out, "prefix:[1]true");
  EXPECT_EQ(sb::json::to_string(point{1, 2}), R"({"x":1.0,"y":2.0})");
  sb::json::error e;
  sb::json::to_string(std::nan(""), &e);
  EXPECT_EQ(e.code(), errc::not_representable);
}

TEST(JsonWrite, PrettyOutputExactText) {
  EXPECT_EQ(pretty(shape{"tri", {0.5, -1}, {{1, 2}, {3, 4}}, std::nullopt}),
            "{\n"
            "  \"name\": \"tri\",\n"
            "  \"origin\": {\n"
            "    \"x\": 0.5,\n"
            "    \"y\": -1.0\n"
            "  },\n"
            "  \"corners\": [\n"
            "    {\n"
            "      \"x\": 1.0,\n"
            "      \"y\": 2.0\n"
            "    },\n"
            "    {\n"
            "      \"x\": 3.0,\n"
            "      \"y\": 4.0\n"
            "    }\n"
            "  ],\n"
            "  \"center\": null\n"
            "}");
  EXPECT_EQ(pretty(std::vector<int>{}), "[]");
  EXPECT_EQ(pretty(std::map<std::string, int>{}), "{}");
  EXPECT_EQ(pretty(std::map<std::string, std::vector<int>>{{"a", {1, 2}}, {"b", {}}}),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    2\n"
            "  ],\n"
            "  \"b\": []\n"
            "}");
  EXPECT_EQ(pretty(std::tuple<int, std::string>{1, "x"}), "[\n  1,\n  \"x\"\n]");
  EXPECT_EQ(pretty(42), "42");

  std::string out;
  constexpr sb::json::write_options wide{.pretty = true, .indent = 4};
  ASSERT_FALSE(sb::json::write<wide>(point{1, 2}, out));
  EXPECT_EQ(out, "{\n    \"x\": 1.0,\n    \"y\": 2.0\n}");
}

TEST(JsonWrite, SpanWriterExactFitAndOverflow) {
  const point p{1.5, -2};
  const std::string expected = R"({"x":1.5,"y":-2.0})";
  std::array<char, 64> buffer{};
  std::size_t written = 0;
  ASSERT_FALSE(sb::json::write(p, std::span<char>(buffer), written));
  EXPECT_EQ(std::string_view(buffer.data(), written), expected);

  // Exactly the needed size works; any smaller size is reported, never overrun.
  for (std::size_t size = 0; size <= expected.size(); ++size) {
    std::vector<char> fixed(size + 8, '#');
    const auto e = sb::json::write(p, std::span<char>(fixed.data(), size), written);
    if (size == expected.size()) {
      EXPECT_FALSE(e) << e.to_string();
      EXPECT_EQ(std::string_view(fixed.data(), written), expected);
    } else {
      ASSERT_TRUE(e) << size;
      EXPECT_EQ(e.code(), errc::buffer_overflow);
      EXPECT_EQ(e.message(), "the output buffer is too small");
      EXPECT_LE(written, size);
    }
    EXPECT_EQ(std::string_view(fixed.data() + size, 8), "########") << "overrun at size " << size;
  }
}

TEST(JsonWrite, SpanWriterExactFitForEveryKindOfValue) {
  const auto check = [](const auto& value) {
    const std::string expected = json(value);
    for (std::size_t size = 0; size <= expected.size(); ++size) {
      std::vector<char> fixed(size + 4, '#');
      std::size_t written = 0;
      const auto e = sb::json::write(value, std::span<char>(fixed.data(), size), written);
      if (size == expected.size()) {
        EXPECT_FALSE(e) << expected << ": " << e.to_string();
        EXPECT_EQ(std::string_view(fixed.data(), written), expected);
      } else {
        EXPECT_EQ(e.code(), errc::buffer_overflow) << expected << " in " << size << " bytes";
      }
      EXPECT_EQ(std::string_view(fixed.data() + size, 4), "####") << expected << " overran " << size;
    }
  };
  check(7);
  check(std::numeric_limits<std::int64_t>::min());
  check(2.5);
  check(-1.7976931348623157e308);
  check(std::string("tab\there \"quoted\" \x01 caf\xC3\xA9"));
  check(color::blue);
  check(std::vector<int>{1, 22, 333});
  check(std::chrono::sys_seconds{});
  check(std::map<std::string, double>{{"k", 1.0}});
}

TEST(JsonWrite, EverythingRoundTrips) {
  using namespace std::chrono;
  const everything original{true,
                            -5,
                            std::numeric_limits<std::uint64_t>::max(),
                            0.1,
                            0.5f,
                            "text\n\"q\"",
                            "view",
                            'c',
                            color::blue,
                            7,
                            {1, 2, 3},
                            {10, 20},
                            {{"x", 1}, {"y", 2}},
                            {4, "four"},
                            std::string("either"),
                            milliseconds(1500),
                            sys_time<milliseconds>{sys_days{year{2026} / 11 / 21}} + 123ms};
  const std::string text = json(original);
  EXPECT_EQ(text,
            R"({"flag":true,"tiny":-5,"big":18446744073709551615,"ratio":0.1,"half":0.5,"text":"text\n\"q\"",)"
            R"("view":"view","letter":"c","hue":"blue","maybe":7,"list":[1,2,3],"pair_of_ints":[10,20],)"
            R"("counts":{"x":1,"y":2},"tagged":[4,"four"],"either":"either","timeout":1500,)"
            R"("at":"2026-11-21T00:00:00.123Z"})");
  everything back{};
  ASSERT_FALSE(sb::json::read(back, text));
  EXPECT_TRUE(back == original);
  EXPECT_EQ(back.view.data(), text.data() + text.find("\"view\":\"view\"") + 8);
}

}  // namespace
