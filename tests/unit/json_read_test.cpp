// sb::json::read: every supported type, strictness, and the precision of its errors.
#include <switchboard/json.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace read_test {

enum class color : std::uint8_t { red, green, blue };
enum class level : int { low = -2, normal = 0, high = 3 };

struct item {
  std::string name;
  double price;
};

struct order {
  int id;
  std::vector<item> items;
};

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
  int a;
  std::optional<int> b;
  std::optional<std::string> c;
};

struct with_pointers {
  std::unique_ptr<int> unique;
  std::shared_ptr<std::string> shared;
};

struct node {
  int value;
  std::vector<node> children;
  std::unique_ptr<node> next;
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

struct defaulted {
  int retries = 3;
  std::string mode = "fast";
  std::vector<int> ports = {80};
};

struct envelope {
  int id;
  sb::json::raw payload;
};

struct owned_envelope {
  int id;
  sb::json::raw_string payload;
};

struct small {
  int a;
  int b;
};

// Not an aggregate: has an invariant and a private representation.
class money {
 public:
  money() = default;
  explicit money(std::int64_t cents) : cents_(cents) {}
  std::int64_t cents() const { return cents_; }

 private:
  std::int64_t cents_ = 0;
};

struct invoice {
  std::string customer;
  money total;
};

struct event {
  std::string name;
  std::chrono::sys_time<std::chrono::milliseconds> at;
  std::chrono::milliseconds timeout;
};

// Reflection needs types at namespace scope: with Boost < 1.84 (no boost::pfr::get_name) field names
// come from a never-defined variable template, which function-local types cannot instantiate.
struct tagged {
  std::string_view name;
  std::vector<std::string_view> tags;
};

struct named_view {
  std::string_view name;
};

struct with_dynamic {
  int id;
  sb::json::value extra;
};

}  // namespace read_test

namespace sb::json {

template <>
struct meta<read_test::user_record> {
  static constexpr auto naming = camel_case;
  static constexpr std::array rename = {field{"display_name", "name"}};
  static constexpr std::array skip = {std::string_view{"cache"}};
};

template <>
struct meta<read_test::pascal_record> {
  static constexpr auto naming = pascal_case;
};

template <>
struct meta<read_test::kebab_record> {
  static constexpr auto naming = kebab_case;
};

template <>
struct meta<read_test::defaulted> {
  static constexpr bool defaults = true;
};

// Money travels as a string of decimal units: "12.34".
template <>
struct codec<read_test::money> {
  static void read(read_test::money& out, reader& in) {
    std::string text;
    if (!in.read(text)) return;
    const auto dot = text.find('.');
    if (dot == std::string::npos || dot + 3 != text.size() || dot == 0) {
      in.fail("expected an amount like \"12.34\", found \"" + text + "\"");
      return;
    }
    const std::int64_t units = std::strtoll(text.substr(0, dot).c_str(), nullptr, 10);
    const std::int64_t cents = std::strtoll(text.substr(dot + 1).c_str(), nullptr, 10);
    out = read_test::money(units * 100 + cents);
  }
  template <class W>
  static void write(const read_test::money& in, W& out) {
    const std::string text = std::to_string(in.cents() / 100) + "." + (in.cents() % 100 < 10 ? "0" : "") +
                             std::to_string(in.cents() % 100);
    out.write(text);
  }
};

}  // namespace sb::json

namespace {

using namespace read_test;
using sb::json::errc;

template <class T>
T read_ok(std::string_view text, const sb::json::read_options& options = {}) {
  T out{};
  const auto e = sb::json::read(out, text, options);
  EXPECT_FALSE(e) << "reading " << text << ": " << e.to_string();
  return out;
}

template <class T>
sb::json::error read_error(std::string_view text, const sb::json::read_options& options = {}) {
  T out{};
  auto e = sb::json::read(out, text, options);
  EXPECT_TRUE(e) << "reading " << text << " should have failed";
  return e;
}

// ---------------------------------------------------------------------------------------------
// Booleans and null

TEST(JsonRead, Booleans) {
  EXPECT_TRUE(read_ok<bool>("true"));
  EXPECT_FALSE(read_ok<bool>("false"));
  EXPECT_TRUE(read_ok<bool>(" \t\r\n true \n"));
  const auto e = read_error<bool>("1");
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.message(), "expected boolean, found number");
  // Bytes that are not JSON at all are a syntax error, not a type mismatch.
  EXPECT_EQ(read_error<bool>("tru").code(), errc::syntax);
  EXPECT_EQ(read_error<bool>("True").code(), errc::syntax);
  EXPECT_EQ(read_error<bool>("\"true\"").code(), errc::unexpected_type);
  EXPECT_EQ(read_error<bool>("truex").code(), errc::trailing_content);
}

TEST(JsonRead, NullTypes) {
  EXPECT_EQ(read_error<std::nullptr_t>("0").message(), "expected null, found number");
  std::monostate m;
  EXPECT_FALSE(sb::json::read(m, "null"));
  std::nullptr_t n = nullptr;
  EXPECT_FALSE(sb::json::read(n, " null "));
  EXPECT_EQ(read_error<std::monostate>("\"null\"").message(), "expected null, found string");
}

// ---------------------------------------------------------------------------------------------
// Integers

TEST(JsonRead, IntegersOfEveryWidthAtTheirLimits) {
  EXPECT_EQ(read_ok<std::int8_t>("-128"), -128);
  EXPECT_EQ(read_ok<std::int8_t>("127"), 127);
  EXPECT_EQ(read_ok<std::uint8_t>("255"), 255);
  EXPECT_EQ(read_ok<std::int16_t>("-32768"), -32768);
  EXPECT_EQ(read_ok<std::int16_t>("32767"), 32767);
  EXPECT_EQ(read_ok<std::uint16_t>("65535"), 65535);
  EXPECT_EQ(read_ok<std::int32_t>("-2147483648"), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(read_ok<std::int32_t>("2147483647"), std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(read_ok<std::uint32_t>("4294967295"), std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(read_ok<std::int64_t>("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(read_ok<std::int64_t>("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(read_ok<std::uint64_t>("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(read_ok<long long>("-42"), -42);
  EXPECT_EQ(read_ok<unsigned short>("0"), 0);
  EXPECT_EQ(read_ok<signed char>("-5"), -5);
  EXPECT_EQ(read_ok<int>("-0"), 0);
  EXPECT_EQ(read_ok<unsigned>("-0"), 0u);
}

TEST(JsonRead, IntegerOutOfRangeNamesTheRange) {
  const auto e = read_error<std::uint8_t>("300");
  EXPECT_EQ(e.code(), errc::out_of_range);
  EXPECT_EQ(e.message(), "integer 300 out of range for uint8 [0, 255]");
  EXPECT_EQ(e.offset(), 0u);
  EXPECT_EQ(e.to_string(), "$: integer 300 out of range for uint8 [0, 255] (line 1, column 1)");

  EXPECT_EQ(read_error<std::int8_t>("-129").message(), "integer -129 out of range for int8 [-128, 127]");
  EXPECT_EQ(read_error<std::int8_t>("128").code(), errc::out_of_range);
  EXPECT_EQ(read_error<std::uint16_t>("65536").message(), "integer 65536 out of range for uint16 [0, 65535]");
  EXPECT_EQ(read_error<std::int32_t>("2147483648").message(),
            "integer 2147483648 out of range for int32 [-2147483648, 2147483647]");
  EXPECT_EQ(read_error<std::uint32_t>("-1").message(), "integer -1 out of range for uint32 [0, 4294967295]");
  EXPECT_EQ(read_error<std::int64_t>("9223372036854775808").code(), errc::out_of_range);
  EXPECT_EQ(read_error<std::int64_t>("-9223372036854775809").code(), errc::out_of_range);
  EXPECT_EQ(read_error<std::uint64_t>("18446744073709551616").message(),
            "integer 18446744073709551616 out of range for uint64 [0, 18446744073709551615]");
  EXPECT_EQ(read_error<std::uint64_t>("99999999999999999999999999").code(), errc::out_of_range);
}

TEST(JsonRead, IntegersRejectFractionsExponentsAndBadGrammar) {
  auto e = read_error<int>("1.5");
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.message(), "expected integer, found 1.5");
  EXPECT_EQ(read_error<int>("1e3").message(), "expected integer, found 1e3");
  EXPECT_EQ(read_error<int>("\"1\"").message(), "expected integer, found string");
  EXPECT_EQ(read_error<int>("null").message(), "expected integer, found null");
  EXPECT_EQ(read_error<int>("01").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("-").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("-a").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("+1").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("nul").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("true").code(), errc::unexpected_type);
  EXPECT_EQ(read_error<int>("1.").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("").code(), errc::syntax);
  EXPECT_EQ(read_error<int>("   ").message(), "expected a JSON value, found end of input");
  EXPECT_EQ(read_error<int>("0x10").code(), errc::trailing_content);
}

// ---------------------------------------------------------------------------------------------
// Floating point

TEST(JsonRead, DoublesExactly) {
  EXPECT_EQ(read_ok<double>("0"), 0.0);
  EXPECT_EQ(read_ok<double>("42"), 42.0);
  EXPECT_EQ(read_ok<double>("0.1"), 0.1);
  EXPECT_EQ(read_ok<double>("-1.25e-3"), -1.25e-3);
  EXPECT_EQ(read_ok<double>("1E2"), 100.0);
  EXPECT_EQ(read_ok<double>("1e+2"), 100.0);
  EXPECT_EQ(read_ok<double>("123456789012345678901234567890"), 123456789012345678901234567890.0);
  EXPECT_EQ(read_ok<double>("3.141592653589793238462643383279"), 3.141592653589793);
  EXPECT_EQ(read_ok<double>("0.000000000000000000000000000001"), 1e-30);
  EXPECT_EQ(read_ok<double>("9007199254740993"), 9007199254740992.0);  // 2^53 + 1 rounds to even

  const double negative_zero = read_ok<double>("-0.0");
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  EXPECT_TRUE(std::signbit(read_ok<double>("-0")));

  EXPECT_EQ(read_ok<double>("5e-324"), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(read_ok<double>("2.2250738585072014e-308"), std::numeric_limits<double>::min());
  EXPECT_EQ(read_ok<double>("1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(read_ok<double>("-1.7976931348623157e308"), std::numeric_limits<double>::lowest());
}

TEST(JsonRead, DoubleOverflowIsAnErrorUnderflowIsZero) {
  const auto e = read_error<double>("1e400");
  EXPECT_EQ(e.code(), errc::out_of_range);
  EXPECT_EQ(e.message(), "number 1e400 out of range for double");
  EXPECT_EQ(read_error<double>("-1.8e308").code(), errc::out_of_range);
  EXPECT_EQ(read_ok<double>("1e-400"), 0.0);
  EXPECT_TRUE(std::signbit(read_ok<double>("-1e-400")));
  EXPECT_EQ(read_ok<double>("123e-10000000"), 0.0);
}

TEST(JsonRead, DoublesRejectNonJsonForms) {
  for (const char* text : {"NaN", "Infinity", "-Infinity", ".5", "1.", "1e", "1e+", "01.5", "--1", "1.5.5"}) {
    const auto e = read_error<double>(text);
    EXPECT_TRUE(e.code() == errc::syntax || e.code() == errc::unexpected_type || e.code() == errc::trailing_content)
        << text << ": " << e.to_string();
  }
  EXPECT_EQ(read_error<double>("\"1.5\"").message(), "expected number, found string");
}

TEST(JsonRead, Floats) {
  EXPECT_EQ(read_ok<float>("0.1"), 0.1f);
  EXPECT_EQ(read_ok<float>("3.4028235e38"), std::numeric_limits<float>::max());
  EXPECT_EQ(read_ok<float>("1e-45"), std::numeric_limits<float>::denorm_min());
  EXPECT_EQ(read_error<float>("1e39").message(), "number 1e39 out of range for float");
}

// ---------------------------------------------------------------------------------------------
// Strings

TEST(JsonRead, StringsAndEscapes) {
  EXPECT_EQ(read_ok<std::string>(R"("")"), "");
  EXPECT_EQ(read_ok<std::string>(R"("hello world")"), "hello world");
  EXPECT_EQ(read_ok<std::string>(R"("q\"b\\s\/b\bf\fn\nr\rt\t")"), "q\"b\\s/b\bf\fn\nr\rt\t");
  EXPECT_EQ(read_ok<std::string>(R"("\u0041\u00e9\u20AC")"), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(read_ok<std::string>(R"("\u0000")"), std::string(1, '\0'));
  EXPECT_EQ(read_ok<std::string>("\"caf\xC3\xA9 \xF0\x9F\x98\x80\""), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  // Longer than the 8-byte fast path, with specials at every position of a word.
  EXPECT_EQ(read_ok<std::string>(R"("abcdefgh\nijklmnop\"qrstuvwx\\yz")"), "abcdefgh\nijklmnop\"qrstuvwx\\yz");
}

TEST(JsonRead, SurrogatePairsAreCombined) {
  EXPECT_EQ(read_ok<std::string>(R"("\ud83d\ude00")"), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(read_ok<std::string>(R"("\uD834\uDD1E")"), "\xF0\x9D\x84\x9E");  // U+1D11E
  EXPECT_EQ(read_ok<std::string>(R"("\uDBFF\uDFFF")"), "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST(JsonRead, LoneSurrogatesAreRejected) {
  auto e = read_error<std::string>(R"("\ud83d")");
  EXPECT_EQ(e.code(), errc::invalid_string);
  EXPECT_EQ(e.message(), "high surrogate \\ud83d not followed by a low surrogate");
  EXPECT_EQ(e.column(), 2u);
  e = read_error<std::string>(R"("\ude00")");
  EXPECT_EQ(e.code(), errc::invalid_string);
  EXPECT_EQ(e.message(), "lone low surrogate \\ude00 in string");
  EXPECT_EQ(read_error<std::string>(R"("\ud83dx")").code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(R"("\ud83d\u0041")").code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(R"("\ude00\ud83d")").code(), errc::invalid_string);
}

TEST(JsonRead, InvalidUtf8IsRejected) {
  for (const char* text : {
           "\"\xFF\"",              // never valid
           "\"\xC0\xAF\"",          // overlong '/'
           "\"\xE0\x80\xAF\"",      // overlong 3 bytes
           "\"\xED\xA0\x80\"",      // UTF-8 encoded surrogate U+D800
           "\"\xF4\x90\x80\x80\"",  // past U+10FFFF
           "\"\xE2\x82\"",          // truncated
           "\"\x80\"",              // lone continuation byte
           "\"abcdefghij\xE9klm\"", // Latin-1 inside a long run
       }) {
    const auto e = read_error<std::string>(text);
    EXPECT_EQ(e.code(), errc::invalid_string) << e.to_string();
    EXPECT_EQ(e.message().substr(0, 20), "expected valid UTF-8") << e.message();
  }
  EXPECT_EQ(read_error<std::string>("\"abcdefghij\xE9klm\"").column(), 12u);
}

TEST(JsonRead, RawControlCharactersAndBadEscapesAreRejected) {
  auto e = read_error<std::string>("\"a\tb\"");
  EXPECT_EQ(e.code(), errc::invalid_string);
  EXPECT_EQ(e.column(), 3u);
  EXPECT_EQ(read_error<std::string>("\"a\nb\"").code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(std::string_view("\"a\0b\"", 5)).code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(R"("\x41")").code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(R"("\u12")").code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(R"("\u12G4")").code(), errc::invalid_string);
  EXPECT_EQ(read_error<std::string>(R"("\)").code(), errc::invalid_string);
  e = read_error<std::string>(R"("abc)");
  EXPECT_EQ(e.code(), errc::syntax);
  EXPECT_EQ(e.message(), "expected '\"' to close the string, found end of input");
  EXPECT_EQ(read_error<std::string>("'abc'").code(), errc::syntax);
  EXPECT_EQ(read_error<std::string>("'abc'").message(), "expected string, found '''");
}

TEST(JsonRead, StringViewIsZeroCopy) {
  const std::string input = R"(  "a view into the input"  )";
  std::string_view view;
  ASSERT_FALSE(sb::json::read(view, input));
  EXPECT_EQ(view, "a view into the input");
  EXPECT_EQ(view.data(), input.data() + 3);  // points INTO the input buffer

  const std::string doc = R"({"name":"x","tags":["a","bc"]})";
  tagged d;
  ASSERT_FALSE(sb::json::read(d, doc));
  EXPECT_EQ(d.name.data(), doc.data() + 9);
  ASSERT_EQ(d.tags.size(), 2u);
  EXPECT_EQ(d.tags[1], "bc");
  EXPECT_GE(d.tags[1].data(), doc.data());
  EXPECT_LT(d.tags[1].data(), doc.data() + doc.size());
}

TEST(JsonRead, EscapedStringIntoStringViewNeedsAMutableBuffer) {
  const std::string input = R"({"name":"line\nbreak"})";
  named_view t;
  const auto e = sb::json::read(t, input);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.code(), errc::needs_mutable_buffer);
  EXPECT_EQ(e.path(), "$.name");
  EXPECT_EQ(e.offset(), 8u);

  std::string buffer = input;
  ASSERT_FALSE(sb::json::read_in_place(t, std::span<char>(buffer)));
  EXPECT_EQ(t.name, "line\nbreak");
  EXPECT_GE(t.name.data(), buffer.data());  // unescaped in place, still inside the buffer
  EXPECT_LT(t.name.data(), buffer.data() + buffer.size());

  std::string surrogates = R"(["\ud83d\ude00 \u00e9", "plain"])";
  std::array<std::string_view, 2> views;
  ASSERT_FALSE(sb::json::read_in_place(views, std::span<char>(surrogates)));
  EXPECT_EQ(views[0], "\xF0\x9F\x98\x80 \xC3\xA9");
  EXPECT_EQ(views[1], "plain");
}

TEST(JsonRead, Chars) {
  EXPECT_EQ(read_ok<char>(R"("x")"), 'x');
  EXPECT_EQ(read_ok<char>(R"("\n")"), '\n');
  EXPECT_EQ(read_ok<char>(R"("\u0041")"), 'A');
  auto e = read_error<char>(R"("xy")");
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.message(), "expected a one-character ASCII string for char, found a string of 2 bytes");
  EXPECT_EQ(read_error<char>(R"("")").code(), errc::unexpected_type);
  EXPECT_EQ(read_error<char>("\"\xC3\xA9\"").code(), errc::unexpected_type);
  EXPECT_EQ(read_error<char>("65").message(), "expected a one-character string, found number");
  // Many escapes: more than the reader's small decode buffer holds (this once overran it).
  const auto many = read_error<char>(R"("\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n")");
  EXPECT_EQ(many.code(), errc::unexpected_type);
  EXPECT_EQ(many.message(), "expected a one-character ASCII string for char, found a string of several characters");
  EXPECT_EQ(read_error<char>(R"("\n\n\n")").message(),
            "expected a one-character ASCII string for char, found a string of 3 bytes");
}

// ---------------------------------------------------------------------------------------------
// Enums

TEST(JsonRead, EnumsByName) {
  EXPECT_EQ(read_ok<color>(R"("red")"), color::red);
  EXPECT_EQ(read_ok<color>(R"("blue")"), color::blue);
  EXPECT_EQ(read_ok<level>(R"("low")"), level::low);
  EXPECT_EQ(read_ok<level>(R"("high")"), level::high);
  EXPECT_EQ(read_ok<color>(R"("\u0067reen")"), color::green);  // escapes are valid JSON: matched unescaped
}

TEST(JsonRead, EnumsAcceptIntegersAsAFallback) {
  EXPECT_EQ(read_ok<color>("1"), color::green);
  EXPECT_EQ(static_cast<int>(read_ok<color>("7")), 7);  // unnamed values are allowed as integers
  EXPECT_EQ(read_ok<level>("-2"), level::low);
  const auto e = read_error<color>("256");
  EXPECT_EQ(e.code(), errc::out_of_range);
  EXPECT_EQ(e.message(), "integer 256 out of range for uint8 [0, 255]");
}

TEST(JsonRead, UnknownEnumeratorListsTheValidNames) {
  const auto e = read_error<color>(R"("purple")");
  EXPECT_EQ(e.code(), errc::unknown_enumerator);
  EXPECT_EQ(e.message(), R"(expected one of "red", "green", "blue" for color, found "purple")");
  EXPECT_EQ(read_error<level>(R"("Low")").message(),
            R"(expected one of "low", "normal", "high" for level, found "Low")");
  EXPECT_EQ(read_error<color>("true").code(), errc::unexpected_type);
}

// ---------------------------------------------------------------------------------------------
// Optional and pointers

TEST(JsonRead, OptionalMissingNullAndPresent) {
  auto v = read_ok<with_optional>(R"({"a":1})");
  EXPECT_EQ(v.a, 1);
  EXPECT_FALSE(v.b.has_value());
  EXPECT_FALSE(v.c.has_value());

  v = read_ok<with_optional>(R"({"a":1,"b":null,"c":"x"})");
  EXPECT_FALSE(v.b.has_value());
  EXPECT_EQ(v.c, "x");

  v = read_ok<with_optional>(R"({"b":2,"a":3})");
  EXPECT_EQ(v.b, 2);

  with_optional reused{1, 5, "y"};
  ASSERT_FALSE(sb::json::read(reused, R"({"a":1,"b":null,"c":null})"));
  EXPECT_FALSE(reused.b.has_value());
  EXPECT_FALSE(reused.c.has_value());

  EXPECT_EQ(read_ok<std::optional<int>>("null"), std::nullopt);
  EXPECT_EQ(read_ok<std::optional<int>>("4"), 4);
  EXPECT_EQ(read_error<std::optional<int>>("\"4\"").message(), "expected integer, found string");
}

TEST(JsonRead, SmartPointers) {
  auto p = read_ok<with_pointers>(R"({"unique":5,"shared":"s"})");
  ASSERT_TRUE(p.unique);
  EXPECT_EQ(*p.unique, 5);
  ASSERT_TRUE(p.shared);
  EXPECT_EQ(*p.shared, "s");

  p = read_ok<with_pointers>(R"({"unique":null,"shared":null})");
  EXPECT_FALSE(p.unique);
  EXPECT_FALSE(p.shared);

  p = read_ok<with_pointers>("{}");  // pointers are optional members
  EXPECT_FALSE(p.unique);

  std::unique_ptr<std::vector<int>> v;
  ASSERT_FALSE(sb::json::read(v, "[1,2]"));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<int>{1, 2}));
}

// ---------------------------------------------------------------------------------------------
// Containers

TEST(JsonRead, Sequences) {
  EXPECT_EQ(read_ok<std::vector<int>>("[]"), std::vector<int>{});
  EXPECT_EQ(read_ok<std::vector<int>>("[ 1 , 2 ,3 ]"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(read_ok<std::deque<std::string>>(R"(["a","b"])"), (std::deque<std::string>{"a", "b"}));
  EXPECT_EQ(read_ok<std::list<double>>("[1.5,2]"), (std::list<double>{1.5, 2.0}));
  EXPECT_EQ((read_ok<std::array<int, 3>>("[7,8,9]")), (std::array<int, 3>{7, 8, 9}));
  EXPECT_EQ((read_ok<std::array<int, 0>>("[]")), (std::array<int, 0>{}));
  EXPECT_EQ(read_ok<std::vector<std::vector<int>>>("[[1],[],[2,3]]"),
            (std::vector<std::vector<int>>{{1}, {}, {2, 3}}));
  EXPECT_EQ(read_ok<std::vector<bool>>("[true,false,true]"), (std::vector<bool>{true, false, true}));
}

TEST(JsonRead, ReusedSequencesAreResized) {
  std::vector<int> v{1, 2, 3, 4};
  ASSERT_FALSE(sb::json::read(v, "[9,8]"));
  EXPECT_EQ(v, (std::vector<int>{9, 8}));
  ASSERT_FALSE(sb::json::read(v, "[1,2,3]"));
  EXPECT_EQ(v, (std::vector<int>{1, 2, 3}));
  std::list<int> l{5, 6, 7};
  ASSERT_FALSE(sb::json::read(l, "[1]"));
  EXPECT_EQ(l, std::list<int>{1});
  std::vector<bool> b{true, true, true};
  ASSERT_FALSE(sb::json::read(b, "[false]"));
  EXPECT_EQ(b, std::vector<bool>{false});
}

TEST(JsonRead, SequenceErrors) {
  auto e = read_error<std::vector<int>>("[1,2,\"x\"]");
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.path(), "$[2]");
  EXPECT_EQ(e.column(), 6u);
  EXPECT_EQ(read_error<std::vector<int>>("[1,]").code(), errc::syntax);
  EXPECT_EQ(read_error<std::vector<int>>("[1,]").message(), "expected integer, found ']'");
  EXPECT_EQ(read_error<std::vector<std::string>>("[,]").code(), errc::syntax);
  EXPECT_EQ(read_error<std::vector<int>>("[1 2]").message(), "expected ',' or ']' after an array element, found number");
  EXPECT_EQ(read_error<std::vector<int>>("[1,2").code(), errc::syntax);
  EXPECT_EQ(read_error<std::vector<int>>("[").code(), errc::syntax);
  EXPECT_EQ(read_error<std::vector<int>>("{}").message(), "expected array, found object");
}

TEST(JsonRead, FixedArraysCheckTheirSize) {
  auto e = read_error<std::array<int, 3>>("[1,2]");
  EXPECT_EQ(e.code(), errc::wrong_size);
  EXPECT_EQ(e.message(), "expected an array of 3 elements, found 2");
  e = read_error<std::array<int, 3>>("[1,2,3,4]");
  EXPECT_EQ(e.code(), errc::wrong_size);
  EXPECT_EQ(e.message(), "expected an array of 3 elements, found more");
  EXPECT_EQ(e.offset(), 7u);  // at the first element too many
}

TEST(JsonRead, Maps) {
  const auto m = read_ok<std::map<std::string, int>>(R"({"b":2,"a":1})");
  EXPECT_EQ(m, (std::map<std::string, int>{{"a", 1}, {"b", 2}}));
  const auto u = read_ok<std::unordered_map<std::string, std::vector<int>>>(R"({"x":[1],"y":[]})");
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u.at("x"), std::vector<int>{1});
  EXPECT_EQ((read_ok<std::map<std::string, int>>("{}").size()), 0u);

  const auto escaped = read_ok<std::map<std::string, int>>(R"({"a\nb":1,"\u00e9":2})");
  EXPECT_EQ(escaped.at("a\nb"), 1);
  EXPECT_EQ(escaped.at("\xC3\xA9"), 2);

  // An escaped key longer than the reader's stack buffer.
  const std::string long_key(300, 'k');
  const auto long_map = read_ok<std::map<std::string, int>>("{\"" + long_key + "\\t\":1}");
  EXPECT_EQ(long_map.count(long_key + "\t"), 1u);

  std::map<std::string, int> reused{{"old", 1}};
  ASSERT_FALSE(sb::json::read(reused, R"({"new":2})"));
  EXPECT_EQ(reused, (std::map<std::string, int>{{"new", 2}}));

  auto e = read_error<std::map<std::string, int>>(R"({"ok":1,"a b":"x"})");
  EXPECT_EQ(e.path(), R"($["a b"])");
  EXPECT_EQ((read_error<std::map<std::string, int>>("[]").message()), "expected object, found array");
}

TEST(JsonRead, MapsWithStringViewKeys) {
  const std::string doc = R"({"alpha":1,"beta":2})";
  std::map<std::string_view, int> m;
  ASSERT_FALSE(sb::json::read(m, doc));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.begin()->first.data(), doc.data() + 2);

  const auto e = read_error<std::map<std::string_view, int>>(R"({"a\"b":1})");
  EXPECT_EQ(e.code(), errc::needs_mutable_buffer);
  std::string buffer = R"({"a\"b":1})";
  ASSERT_FALSE(sb::json::read_in_place(m, std::span<char>(buffer)));
  EXPECT_EQ(m.at("a\"b"), 1);
}

TEST(JsonRead, MapDuplicates) {
  EXPECT_EQ((read_ok<std::map<std::string, int>>(R"({"a":1,"a":2})").at("a")), 2);
  const auto e =
      read_error<std::map<std::string, int>>(R"({"a":1,"a":2})", {.duplicates = sb::json::duplicate_keys::error});
  EXPECT_EQ(e.code(), errc::duplicate_field);
  EXPECT_EQ(e.message(), R"(duplicate member "a" (read_options::duplicates is error))");
  EXPECT_EQ(e.offset(), 7u);
}

// ---------------------------------------------------------------------------------------------
// Pairs, tuples, variants

TEST(JsonRead, PairsAndTuples) {
  EXPECT_EQ((read_ok<std::pair<int, std::string>>(R"([1,"a"])")), (std::pair<int, std::string>{1, "a"}));
  EXPECT_EQ((read_ok<std::tuple<int, bool, std::string>>(R"([1,true,"x"])")),
            (std::tuple<int, bool, std::string>{1, true, "x"}));
  EXPECT_EQ((read_ok<std::tuple<>>("[]")), std::tuple<>{});

  auto e = read_error<std::pair<int, int>>("[1]");
  EXPECT_EQ(e.code(), errc::wrong_size);
  EXPECT_EQ(e.message(), "expected an array of 2 elements, found 1");
  e = read_error<std::tuple<int, int>>("[1,2,3]");
  EXPECT_EQ(e.code(), errc::wrong_size);
  EXPECT_EQ(e.message(), "expected an array of 2 elements, found more");
  e = read_error<std::tuple<int, std::string>>(R"([1,2])");
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.path(), "$[1]");
  EXPECT_EQ((read_error<std::pair<int, int>>("{}").message()), "expected array, found object");
}

using any_kind = std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<int>,
                              std::map<std::string, int>>;

TEST(JsonRead, VariantsAreChosenByKind) {
  EXPECT_EQ(read_ok<any_kind>("null").index(), 0u);
  EXPECT_EQ(std::get<bool>(read_ok<any_kind>("true")), true);
  EXPECT_EQ(std::get<std::int64_t>(read_ok<any_kind>("-42")), -42);
  EXPECT_EQ(std::get<double>(read_ok<any_kind>("4.5")), 4.5);
  EXPECT_EQ(std::get<double>(read_ok<any_kind>("1e2")), 100.0);
  EXPECT_EQ(std::get<std::string>(read_ok<any_kind>(R"("s")")), "s");
  EXPECT_EQ(std::get<std::vector<int>>(read_ok<any_kind>("[1,2]")), (std::vector<int>{1, 2}));
  EXPECT_EQ((std::get<std::map<std::string, int>>(read_ok<any_kind>(R"({"a":1})")).at("a")), 1);
}

TEST(JsonRead, VariantNumbersFallBackBetweenIntegerAndNumber) {
  using only_double = std::variant<double, std::string>;
  EXPECT_EQ(std::get<double>(read_ok<only_double>("3")), 3.0);
  using only_int = std::variant<int, std::string>;
  const auto e = read_error<only_int>("1.5");
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.message(), "expected integer, found 1.5");
  const auto kind = read_error<only_int>("true");
  EXPECT_EQ(kind.code(), errc::unexpected_type);
  EXPECT_EQ(kind.message(), "expected a value of one of the variant's kinds, found boolean");
  EXPECT_EQ(read_error<only_int>("?").code(), errc::syntax);
}

TEST(JsonRead, VariantsOfAggregatesAndDurations) {
  using v = std::variant<point, std::vector<point>, std::string, std::chrono::seconds>;
  const auto a = read_ok<v>(R"({"x":1,"y":2})");
  EXPECT_EQ(std::get<point>(a).y, 2.0);
  EXPECT_EQ(std::get<std::vector<point>>(read_ok<v>(R"([{"x":1,"y":2}])")).size(), 1u);
  EXPECT_EQ(std::get<std::chrono::seconds>(read_ok<v>("90")), std::chrono::seconds(90));
  // A variant that already holds the right alternative is read into, not replaced.
  v held = std::string("old");
  ASSERT_FALSE(sb::json::read(held, R"("new")"));
  EXPECT_EQ(std::get<std::string>(held), "new");
}

// ---------------------------------------------------------------------------------------------
// Chrono

TEST(JsonRead, Durations) {
  using namespace std::chrono_literals;
  EXPECT_EQ(read_ok<std::chrono::milliseconds>("1500"), 1500ms);
  EXPECT_EQ(read_ok<std::chrono::seconds>("-3"), -3s);
  EXPECT_EQ(read_ok<std::chrono::duration<double>>("1.5").count(), 1.5);
  EXPECT_EQ(read_error<std::chrono::seconds>("1.5").code(), errc::unexpected_type);
  EXPECT_EQ(read_error<std::chrono::seconds>("\"1s\"").code(), errc::unexpected_type);
}

TEST(JsonRead, SystemTimePointsFromIso8601) {
  using namespace std::chrono;
  using ms_time = sys_time<milliseconds>;
  const ms_time expected = sys_days{year{2026} / 11 / 21} + 23h + 0min + 58s + 123ms;
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-21T23:00:58.123Z")"), expected);
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-22T01:00:58.123+02:00")"), expected);
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-21T17:30:58.123-05:30")"), expected);
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-21t23:00:58.123z")"), expected);
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-21T23:00:58.1239999Z")"), expected);  // extra digits dropped
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-21T23:00:58Z")"), expected - 123ms);
  EXPECT_EQ(read_ok<sys_seconds>(R"("1970-01-01T00:00:00Z")").time_since_epoch(), 0s);
  EXPECT_EQ(read_ok<sys_seconds>(R"("1969-12-31T23:59:59Z")").time_since_epoch(), -1s);
  // Rounded down like the digits: still 23:59:59.999 of the last day of 1969.
  EXPECT_EQ(read_ok<ms_time>(R"("1969-12-31T23:59:59.9995Z")").time_since_epoch(), -1ms);
  EXPECT_EQ(read_ok<sys_seconds>(R"("2024-02-29T12:00:00Z")"), sys_days{year{2024} / 2 / 29} + 12h);
  EXPECT_EQ(read_ok<sys_seconds>(R"("3000-01-01T00:00:00Z")"), sys_seconds{sys_days{year{3000} / 1 / 1}});
  EXPECT_EQ(read_ok<sys_days>(R"("2026-11-21T23:00:58Z")"), sys_days{year{2026} / 11 / 21});
  EXPECT_EQ(read_ok<ms_time>(R"("2026-11-21T23:00:58.123\u005A")"), expected);

  const auto nanos = read_ok<sys_time<nanoseconds>>(R"("2026-11-21T23:00:58.123456789Z")");
  EXPECT_EQ(nanos.time_since_epoch().count() % 1000000000, 123456789);
}

TEST(JsonRead, MalformedDateTimesAreRejected) {
  using namespace std::chrono;
  for (const char* text : {
           R"("2026-13-01T00:00:00Z")",        // month 13
           R"("2025-02-29T00:00:00Z")",        // not a leap year
           R"("2026-11-21T24:00:00Z")",        // hour 24
           R"("2026-11-21T23:60:00Z")",        // minute 60
           R"("2026-11-21T23:00:58")",         // no zone
           R"("2026-11-21 23:00:58Z")",        // space separator
           R"("2026-11-21T23:00:58.Z")",       // empty fraction
           R"("2026-11-21T23:00:58+0200")",    // offset without colon
           R"("2026-11-21T23:00:58+25:00")",   // offset hour 25
           R"("2026-11-21T23:00:58Zjunk")",    // trailing text
           R"("26-11-21T23:00:58Z")",          // two-digit year
           R"("2026-11-21")",                  // date only
       }) {
    const auto e = read_error<sys_seconds>(text);
    EXPECT_EQ(e.code(), errc::unexpected_type) << text;
    EXPECT_EQ(e.message(), R"(expected an ISO 8601 date-time like "2026-11-21T23:00:58Z", found string)") << text;
  }
  EXPECT_EQ(read_error<sys_seconds>("1700000000").message(), "expected an ISO 8601 date-time string, found number");
  // Nanoseconds since 1970 end in 2262.
  const auto e = read_error<sys_time<nanoseconds>>(R"("3000-01-01T00:00:00Z")");
  EXPECT_EQ(e.code(), errc::out_of_range);
}

TEST(JsonRead, OtherClocksTimePointsAreCounts) {
  using namespace std::chrono;
  const auto t = read_ok<steady_clock::time_point>("123456789");
  EXPECT_EQ(t.time_since_epoch().count(), 123456789);
  using ms_steady = time_point<steady_clock, milliseconds>;
  EXPECT_EQ(read_ok<ms_steady>("1500").time_since_epoch(), milliseconds(1500));
  EXPECT_EQ(read_error<ms_steady>("\"2026-11-21T23:00:58Z\"").code(), errc::unexpected_type);
}

// ---------------------------------------------------------------------------------------------
// Aggregates

TEST(JsonRead, NestedAggregates) {
  const auto s = read_ok<shape>(
      R"({"name":"tri","origin":{"x":0.5,"y":-1},"corners":[{"x":1,"y":2},{"y":4,"x":3}],"center":null})");
  EXPECT_EQ(s.name, "tri");
  EXPECT_EQ(s.origin.x, 0.5);
  EXPECT_EQ(s.origin.y, -1.0);
  ASSERT_EQ(s.corners.size(), 2u);
  EXPECT_EQ(s.corners[1].x, 3.0);
  EXPECT_EQ(s.corners[1].y, 4.0);
  EXPECT_FALSE(s.center);
}

TEST(JsonRead, RecursiveAggregates) {
  const auto n = read_ok<node>(
      R"({"value":1,"children":[{"value":2,"children":[]},{"value":3,"children":[{"value":4,"children":[]}]}],)"
      R"("next":{"value":5,"children":[],"next":null}})");
  EXPECT_EQ(n.value, 1);
  ASSERT_EQ(n.children.size(), 2u);
  EXPECT_EQ(n.children[1].children[0].value, 4);
  ASSERT_TRUE(n.next);
  EXPECT_EQ(n.next->value, 5);
  EXPECT_FALSE(n.next->next);
}

TEST(JsonRead, MissingRequiredFieldNamesTheMember) {
  auto e = read_error<item>(R"({"name":"x"})");
  EXPECT_EQ(e.code(), errc::missing_field);
  EXPECT_EQ(e.message(), R"(missing required member "price" of item)");
  EXPECT_EQ(e.path(), "$");
  const std::string doc = R"({"id":1,"items":[{"name":"a","price":1},{"name":"b"}]})";
  e = read_error<order>(doc);
  EXPECT_EQ(e.code(), errc::missing_field);
  EXPECT_EQ(e.path(), "$.items[1]");
  EXPECT_EQ(e.offset(), doc.find(R"({"name":"b")"));  // at the '{' of the incomplete object
  EXPECT_EQ(read_error<item>("[]").message(), "expected object, found array");
}

TEST(JsonRead, UnknownKeysSkipOrError) {
  const auto skipped = read_ok<point>(R"({"x":1,"extra":{"deep":[1,2,{"a":null}]},"y":2})");
  EXPECT_EQ(skipped.y, 2.0);
  // A skipped value is still validated.
  EXPECT_EQ(read_error<point>(R"({"x":1,"extra":[1,],"y":2})").code(), errc::syntax);
  EXPECT_EQ(read_error<point>(R"({"x":1,"extra":"\x","y":2})").code(), errc::invalid_string);

  const sb::json::read_options strict{.unknown = sb::json::unknown_keys::error};
  const auto e = read_error<point>(R"({"x":1,"extra":2,"y":2})", strict);
  EXPECT_EQ(e.code(), errc::unknown_field);
  EXPECT_EQ(e.message(), R"(unknown member "extra" (read_options::unknown is error))");
  EXPECT_EQ(e.offset(), 7u);
  EXPECT_FALSE(sb::json::read(*std::make_unique<point>(), R"({"x":1,"y":2})", strict));
}

TEST(JsonRead, DuplicateKeysLastWinsOrError) {
  const auto p = read_ok<point>(R"({"x":1,"y":2,"x":3})");
  EXPECT_EQ(p.x, 3.0);
  const auto e =
      read_error<point>(R"({"x":1,"y":2,"x":3})", {.duplicates = sb::json::duplicate_keys::error});
  EXPECT_EQ(e.code(), errc::duplicate_field);
  EXPECT_EQ(e.message(), R"(duplicate member "x" (read_options::duplicates is error))");
  EXPECT_EQ(e.offset(), 13u);
}

TEST(JsonRead, EscapedMemberNamesMatchFields) {
  const auto p = read_ok<point>(R"({"\u0078":1,"\u0079":2})");
  EXPECT_EQ(p.x, 1.0);
  EXPECT_EQ(p.y, 2.0);
}

TEST(JsonRead, ObjectSyntaxErrors) {
  EXPECT_EQ(read_error<point>(R"({"x":1,})").message(), "expected a member name in double quotes, found '}'");
  EXPECT_EQ(read_error<point>(R"({"x" 1})").message(), "expected ':' after the member name, found number");
  EXPECT_EQ(read_error<point>(R"({"x":1 "y":2})").message(),
            "expected ',' or '}' after an object member, found string");
  EXPECT_EQ(read_error<point>(R"({x:1})").code(), errc::syntax);
  EXPECT_EQ(read_error<point>(R"({"x":1)").code(), errc::syntax);
  EXPECT_EQ(read_error<point>(R"({"x":)").code(), errc::syntax);
  EXPECT_EQ(read_error<point>(R"({"x":})").code(), errc::syntax);
  EXPECT_EQ(read_error<point>(R"({"x":1,"y":?})").code(), errc::syntax);
}

// ---------------------------------------------------------------------------------------------
// meta<T> and codec<T>

TEST(JsonRead, MetaRenameNamingAndSkip) {
  const auto u = read_ok<user_record>(R"({"userId":7,"name":"Ann","homePage":"h","cache":99})");
  EXPECT_EQ(u.user_id, 7);
  EXPECT_EQ(u.display_name, "Ann");
  EXPECT_EQ(u.home_page, "h");
  EXPECT_EQ(u.cache, 0);  // skipped: "cache" is an unknown member

  auto e = read_error<user_record>(R"({"user_id":7,"name":"Ann","homePage":"h"})");
  EXPECT_EQ(e.code(), errc::missing_field);
  EXPECT_EQ(e.message(), R"(missing required member "userId" of user_record)");
  e = read_error<user_record>(R"({"userId":7,"name":"Ann","homePage":"h","cache":1})",
                              {.unknown = sb::json::unknown_keys::error});
  EXPECT_EQ(e.code(), errc::unknown_field);

  const auto p = read_ok<pascal_record>(R"({"UserId":1,"IsAdmin":true})");
  EXPECT_EQ(p.user_id, 1);
  EXPECT_TRUE(p.is_admin);
  const auto k = read_ok<kebab_record>(R"({"max-retry-count":5,"log-level":"debug"})");
  EXPECT_EQ(k.max_retry_count, 5);
  EXPECT_EQ(k.log_level, "debug");
}

TEST(JsonRead, MetaDefaultsKeepInitialValues) {
  auto d = read_ok<defaulted>("{}");
  EXPECT_EQ(d.retries, 3);
  EXPECT_EQ(d.mode, "fast");
  EXPECT_EQ(d.ports, std::vector<int>{80});
  d = read_ok<defaulted>(R"({"mode":"slow"})");
  EXPECT_EQ(d.retries, 3);
  EXPECT_EQ(d.mode, "slow");
}

TEST(JsonRead, CodecForANonAggregate) {
  const auto inv = read_ok<invoice>(R"({"customer":"c","total":"12.34"})");
  EXPECT_EQ(inv.total.cents(), 1234);
  const auto e = read_error<invoice>(R"({"customer":"c","total":"12"})");
  EXPECT_EQ(e.code(), errc::custom);
  EXPECT_EQ(e.message(), R"(expected an amount like "12.34", found "12")");
  EXPECT_EQ(e.path(), "$.total");
  const auto nested = read_error<invoice>(R"({"customer":"c","total":12})");
  EXPECT_EQ(nested.code(), errc::unexpected_type);
  EXPECT_EQ(nested.path(), "$.total");
  EXPECT_EQ(read_ok<std::vector<money>>(R"(["1.00","0.05"])")[1].cents(), 5);
}

// ---------------------------------------------------------------------------------------------
// raw and value members

TEST(JsonRead, RawKeepsTheExactBytes) {
  const std::string doc = R"({"id":1,"payload": {"a" : [1, 2.50, "\u0041"]} })";
  envelope env;
  ASSERT_FALSE(sb::json::read(env, doc));
  EXPECT_EQ(env.payload.json, R"({"a" : [1, 2.50, "\u0041"]})");
  EXPECT_EQ(env.payload.json.data(), doc.data() + 19);  // a view into the input
  const auto owned = read_ok<owned_envelope>(R"({"id":1,"payload":"str"})");
  EXPECT_EQ(owned.payload.json, R"("str")");
  EXPECT_EQ(read_ok<sb::json::raw>(" 12.5e3 ").json, "12.5e3");

  const auto e = read_error<envelope>(R"({"id":1,"payload":{"a":tru}})");
  EXPECT_EQ(e.code(), errc::syntax);
  EXPECT_EQ(e.path(), "$.payload.a");
}

TEST(JsonRead, DynamicValueMembers) {
  const auto w = read_ok<with_dynamic>(R"({"id":1,"extra":{"k":[1,"two",null]}})");
  ASSERT_TRUE(w.extra.is_object());
  const auto* k = w.extra.find("k");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Errors: path, line, column, trailing content, depth

TEST(JsonRead, ErrorPathLineAndColumnForNestedFailures) {
  const std::string doc =
      "{\n"
      "  \"id\": 7,\n"
      "  \"items\": [\n"
      "    {\"name\": \"a\", \"price\": 1.5},\n"
      "    {\"name\": \"b\", \"price\": 2},\n"
      "    {\"name\": \"c\", \"price\": 3},\n"
      "    {\"name\": \"d\", \"price\": \"free\"}\n"
      "  ]\n"
      "}\n";
  order o;
  const auto e = sb::json::read(o, doc);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.code(), errc::unexpected_type);
  EXPECT_EQ(e.path(), "$.items[3].price");
  EXPECT_EQ(e.message(), "expected number, found string");
  EXPECT_EQ(e.line(), 7u);
  EXPECT_EQ(e.column(), 28u);
  EXPECT_EQ(e.offset(), doc.find("\"free\""));
  EXPECT_EQ(e.to_string(), "$.items[3].price: expected number, found string (line 7, column 28)");
}

TEST(JsonRead, ErrorPathsThroughMapsTuplesAndOptionals) {
  using deep = std::map<std::string, std::vector<std::tuple<int, std::optional<point>>>>;
  const std::string doc = R"({"k":[[1,null],[2,{"x":1,"y":"no"}]]})";
  const auto e = read_error<deep>(doc);
  EXPECT_EQ(e.path(), "$.k[1][1].y");
  EXPECT_EQ(e.column(), doc.find(R"("no")") + 1);
}

TEST(JsonRead, SuccessLeavesNoError) {
  point p;
  const auto e = sb::json::read(p, R"({"x":1,"y":2})");
  EXPECT_FALSE(e);
  EXPECT_EQ(e.code(), errc::none);
  EXPECT_EQ(e.to_string(), "ok");
}

TEST(JsonRead, TrailingContentIsAnError) {
  auto e = read_error<int>("1 2");
  EXPECT_EQ(e.code(), errc::trailing_content);
  EXPECT_EQ(e.offset(), 2u);
  EXPECT_EQ(e.message(), "expected the end of input after the value, found number");
  EXPECT_EQ(read_error<point>(R"({"x":1,"y":2} x)").code(), errc::trailing_content);
  EXPECT_EQ(read_error<std::vector<int>>("[1]]").code(), errc::trailing_content);
  EXPECT_EQ(read_ok<int>("1 \n\t\r"), 1);
  EXPECT_EQ(read_error<int>(std::string_view("1\0", 2)).code(), errc::trailing_content);
}

TEST(JsonRead, DepthLimitOption) {
  using nested = std::vector<std::vector<std::vector<int>>>;
  EXPECT_FALSE(sb::json::read(*std::make_unique<nested>(), "[[[1]]]", {.max_depth = 3}));
  auto e = read_error<nested>("[[[1]]]", {.max_depth = 2});
  EXPECT_EQ(e.code(), errc::too_deep);
  EXPECT_EQ(e.message(), "nesting deeper than the limit of 2 (read_options::max_depth)");
  EXPECT_EQ(e.path(), "$[0][0]");
  EXPECT_EQ(e.offset(), 2u);
  // Skipped members count too.
  e = read_error<point>(R"({"x":1,"y":2,"z":[[[]]]})", {.max_depth = 3});
  EXPECT_EQ(e.code(), errc::too_deep);
  EXPECT_EQ(e.path(), "$.z[0][0]");
  // A deep unknown member with the default limit.
  const std::string deep = R"({"x":1,"y":2,"z":)" + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_EQ(read_error<point>(deep).code(), errc::too_deep);
  EXPECT_EQ(read_error<sb::json::raw>(std::string(129, '[') + std::string(129, ']')).code(), errc::too_deep);
}

TEST(JsonRead, PathsOfVeryDeepErrorsAreTruncated) {
  const std::string doc = std::string(40, '[') + "x" + std::string(40, ']');
  const auto e = read_error<sb::json::raw>(doc);
  EXPECT_EQ(e.code(), errc::syntax);
  EXPECT_EQ(e.path().substr(0, 4), "$...");
}

}  // namespace

namespace read_test_reuse {
struct profile {
  int a;
  std::optional<int> b;
  std::unique_ptr<int> c;
};
struct holder {
  int a;
  sb::json::raw_string raw;
};
}  // namespace read_test_reuse

TEST(JsonReadReuse, AbsentOptionalMembersOfAReusedTargetBecomeEmpty) {
  read_test_reuse::profile p{};
  ASSERT_FALSE(sb::json::read(p, R"({"a":1,"b":2,"c":3})"));
  ASSERT_TRUE(p.b && p.c);
  ASSERT_FALSE(sb::json::read(p, R"({"a":3})"));
  EXPECT_EQ(p.a, 3);
  EXPECT_FALSE(p.b.has_value()) << "a value from the previous document must not survive";
  EXPECT_EQ(p.c, nullptr);
}

TEST(JsonReadReuse, AnEmptyRawFragmentIsWrittenAsNull) {
  std::string out;
  EXPECT_FALSE(sb::json::write(read_test_reuse::holder{0, {}}, out));
  EXPECT_EQ(out, R"({"a":0,"raw":null})");
}
