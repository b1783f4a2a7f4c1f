// Zero allocation: reading into non-owning types and writing into warmed or fixed buffers never
// touches the heap. Global operator new/delete are replaced for the whole test program; they only
// count while a test turns counting on.
#include <switchboard/json.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "../support/alloc_counter.hpp"

namespace alloc_test {

struct position {
  double x, y;
};

struct document {
  int id;
  std::string_view name;
  std::array<std::string_view, 2> tags;
  position pos;
};

// The same shape with the nested type left unnamed.
struct anonymous_document {
  int id;
  std::string_view name;
  std::array<std::string_view, 2> tags;
  struct {
    double x, y;
  } pos;
};

}  // namespace alloc_test

namespace {

constexpr std::string_view input = R"({"id":1,"name":"x","tags":["a","b"],"pos":{"x":1.5,"y":-2}})";

// Counts the allocations made by f.
template <class F>
std::size_t allocations_in(F&& f) {
  sb_alloc_probe::allocations = 0;
  sb_alloc_probe::counting = true;
  f();
  sb_alloc_probe::counting = false;
  return static_cast<std::size_t>(sb_alloc_probe::allocations.load());
}

TEST(JsonAlloc, TheCounterSeesAllocations) {
  // Guards the other tests: a counter that never counts would make them pass vacuously.
  std::size_t n = allocations_in([] {
    std::string s(100, 'x');
    EXPECT_EQ(s.size(), 100u);
  });
  EXPECT_EQ(n, 1u);
  n = allocations_in([] { delete new (std::align_val_t{64}) std::int64_t(1); });
  EXPECT_EQ(n, 1u);
  n = allocations_in([] { delete[] new (std::nothrow) char[10]; });
  EXPECT_EQ(n, 1u);
  n = allocations_in([] {
    std::string s;
    EXPECT_FALSE(sb::json::write(std::string(64, 'y'), s));  // a cold string must grow
  });
  EXPECT_GE(n, 2u);
}

TEST(JsonAlloc, ReadingIntoNonOwningTypesAllocatesNothing) {
  alloc_test::document doc{};
  sb::json::error e;
  const std::size_t n = allocations_in([&] { e = sb::json::read(doc, input); });
  ASSERT_FALSE(e) << e.to_string();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(doc.id, 1);
  EXPECT_EQ(doc.name, "x");
  EXPECT_EQ(doc.tags[0], "a");
  EXPECT_EQ(doc.tags[1], "b");
  EXPECT_EQ(doc.pos.x, 1.5);
  EXPECT_EQ(doc.pos.y, -2.0);
  EXPECT_EQ(doc.name.data(), input.data() + 16);  // viewing the input
}

TEST(JsonAlloc, ReadingIntoAnUnnamedNestedStructAllocatesNothing) {
  alloc_test::anonymous_document doc{};
  sb::json::error e;
  const std::size_t n = allocations_in([&] { e = sb::json::read(doc, input); });
  ASSERT_FALSE(e) << e.to_string();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(doc.pos.y, -2.0);
}

TEST(JsonAlloc, ReadingInPlaceWithEscapesAllocatesNothing) {
  std::string buffer = R"({"id":2,"name":"a\nb","tags":["\u00e9","\ud83d\ude00"],"pos":{"x":0,"y":1e2}})";
  alloc_test::document doc{};
  sb::json::error e;
  const std::size_t n = allocations_in([&] { e = sb::json::read_in_place(doc, std::span<char>(buffer)); });
  ASSERT_FALSE(e) << e.to_string();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(doc.name, "a\nb");
  EXPECT_EQ(doc.tags[1], "\xF0\x9F\x98\x80");
}

TEST(JsonAlloc, ReadingNumbersAllocatesNothing) {
  int i = 0;
  std::int64_t big = 0;
  std::uint64_t huge = 0;
  double d = 0;
  float f = 0;
  std::array<double, 4> many{};
  bool ok = true;
  const std::size_t n = allocations_in([&] {
    ok &= !sb::json::read(i, "-2147483648");
    ok &= !sb::json::read(big, " 9223372036854775807 ");
    ok &= !sb::json::read(huge, "18446744073709551615");
    ok &= !sb::json::read(d, "3.141592653589793238462643383279");  // the slow, exact path
    ok &= !sb::json::read(d, "5e-324");
    ok &= !sb::json::read(f, "0.1");
    ok &= !sb::json::read(many, "[1, -0.0, 1e-400, 1.7976931348623157e308]");
  });
  EXPECT_TRUE(ok);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(i, -2147483647 - 1);
  EXPECT_EQ(huge, 18446744073709551615u);
  EXPECT_EQ(many[3], 1.7976931348623157e308);
}

TEST(JsonAlloc, WritingIntoAWarmedStringAllocatesNothing) {
  alloc_test::document doc{};
  ASSERT_FALSE(sb::json::read(doc, input));
  std::string out;
  ASSERT_FALSE(sb::json::write(doc, out));  // warm: the capacity is now there
  const std::string first = out;
  out.clear();
  sb::json::error e;
  const std::size_t n = allocations_in([&] { e = sb::json::write(doc, out); });
  ASSERT_FALSE(e) << e.to_string();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(out, first);
  EXPECT_EQ(out, R"({"id":1,"name":"x","tags":["a","b"],"pos":{"x":1.5,"y":-2.0}})");

  // Pretty output too, into its own warmed string.
  std::string pretty;
  constexpr sb::json::write_options options{.pretty = true};
  ASSERT_FALSE(sb::json::write<options>(doc, pretty));
  pretty.clear();
  EXPECT_EQ(allocations_in([&] { e = sb::json::write<options>(doc, pretty); }), 0u);
  EXPECT_FALSE(e);
}

TEST(JsonAlloc, WritingIntoASpanAllocatesNothing) {
  alloc_test::document doc{};
  ASSERT_FALSE(sb::json::read(doc, input));
  std::array<char, 256> buffer{};
  std::size_t written = 0;
  sb::json::error e;
  std::size_t n = allocations_in([&] { e = sb::json::write(doc, std::span<char>(buffer), written); });
  ASSERT_FALSE(e) << e.to_string();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(std::string_view(buffer.data(), written), R"({"id":1,"name":"x","tags":["a","b"],"pos":{"x":1.5,"y":-2.0}})");

  // Numbers and escapes on their own.
  n = allocations_in([&] {
    e = sb::json::write(std::array<double, 3>{0.1, -0.0, 5e-324}, std::span<char>(buffer), written);
  });
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(e);
  n = allocations_in([&] {
    e = sb::json::write(std::string_view("tab\t quote\" \x01"), std::span<char>(buffer), written);
  });
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(e);
  EXPECT_EQ(std::string_view(buffer.data(), written), R"("tab\t quote\" \u0001")");
}

}  // namespace
