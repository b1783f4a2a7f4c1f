// sb::reflect: field names, type names and enumerator names, all at compile time.
#include <switchboard/reflect.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reflect_test {

struct point {
  double x;
  double y;
};

struct mixed {
  int id;
  std::string display_name;
  std::vector<point> _points2;
  std::optional<point> origin;
};

struct empty {};

template <class T>
struct box {
  T inside;
};

namespace inner::deeper {
struct leaf {
  int v;
};
}  // namespace inner::deeper

enum class color : std::uint8_t { red, green, blue };
enum class temperature : int { cold = -40, freezing = 0, warm = 25, hot = 100 };
enum class http_status : int { ok = 200, created = 201, not_found = 404, teapot = 418 };
enum class far_away : int { near = 1, far = 1000 };
enum legacy : unsigned char { legacy_low = 1, legacy_high = 250 };

}  // namespace reflect_test

template <>
struct sb::reflect::enum_range<reflect_test::http_status> {
  static constexpr int min = 200;
  static constexpr int max = 420;
};

namespace {

using namespace reflect_test;
namespace reflect = sb::reflect;

// Everything is usable in constant expressions.
static_assert(reflect::field_count<point> == 2);
static_assert(reflect::field_name<point, 0> == "x");
static_assert(reflect::field_name<point, 1> == "y");
static_assert(reflect::type_name<point> == "point");
static_assert(reflect::enum_name(color::green) == "green");
static_assert(reflect::enum_entries<temperature>.size() == 4);

TEST(Reflect, FieldCountsAndNames) {
  EXPECT_EQ(reflect::field_count<point>, 2u);
  EXPECT_EQ(reflect::field_count<mixed>, 4u);
  EXPECT_EQ(reflect::field_count<empty>, 0u);
  EXPECT_EQ((reflect::field_name<mixed, 0>), "id");
  EXPECT_EQ((reflect::field_name<mixed, 1>), "display_name");
  EXPECT_EQ((reflect::field_name<mixed, 2>), "_points2");
  EXPECT_EQ((reflect::field_name<mixed, 3>), "origin");
  EXPECT_EQ((reflect::field_name<box<int>, 0>), "inside");
  EXPECT_EQ((reflect::field_name<inner::deeper::leaf, 0>), "v");
}

TEST(Reflect, TypeNames) {
  EXPECT_EQ(reflect::type_name<point>, "point");
  EXPECT_EQ(reflect::qualified_type_name<point>, "reflect_test::point");
  EXPECT_EQ(reflect::type_name<inner::deeper::leaf>, "leaf");
  EXPECT_EQ(reflect::qualified_type_name<inner::deeper::leaf>, "reflect_test::inner::deeper::leaf");
  EXPECT_EQ(reflect::type_name<box<int>>, "box<int>");
  EXPECT_EQ(reflect::qualified_type_name<box<int>>, "reflect_test::box<int>");
  EXPECT_EQ(reflect::type_name<box<point>>, "box<reflect_test::point>");  // arguments keep their namespaces
  EXPECT_EQ(reflect::type_name<int>, "int");
  EXPECT_EQ(reflect::type_name<color>, "color");
}

TEST(Reflect, EnumNames) {
  EXPECT_EQ(reflect::enum_name(color::red), "red");
  EXPECT_EQ(reflect::enum_name(color::blue), "blue");
  EXPECT_EQ(reflect::enum_name(static_cast<color>(3)), "");  // no enumerator has this value
  const auto& entries = reflect::enum_entries<color>;
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "red");
  EXPECT_EQ(entries[2].value, color::blue);

  color out = color::red;
  EXPECT_TRUE(reflect::enum_from_name("green", out));
  EXPECT_EQ(out, color::green);
  EXPECT_FALSE(reflect::enum_from_name("Green", out));
  EXPECT_FALSE(reflect::enum_from_name("", out));
  EXPECT_EQ(out, color::green);  // untouched on failure
}

TEST(Reflect, NegativeEnumerators) {
  const auto& entries = reflect::enum_entries<temperature>;
  ASSERT_EQ(entries.size(), 4u);
  // Ascending by value.
  EXPECT_EQ(entries[0].name, "cold");
  EXPECT_EQ(entries[0].value, temperature::cold);
  EXPECT_EQ(entries[1].name, "freezing");
  EXPECT_EQ(entries[3].name, "hot");
  EXPECT_EQ(reflect::enum_name(temperature::cold), "cold");
  EXPECT_EQ(reflect::enum_name(static_cast<temperature>(-1)), "");
  temperature t{};
  EXPECT_TRUE(reflect::enum_from_name("cold", t));
  EXPECT_EQ(t, temperature::cold);
}

TEST(Reflect, CustomEnumRange) {
  const auto& entries = reflect::enum_entries<http_status>;
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "ok");
  EXPECT_EQ(entries[2].name, "not_found");
  EXPECT_EQ(entries[3].value, http_status::teapot);
  EXPECT_EQ(reflect::enum_name(http_status::not_found), "not_found");
  EXPECT_EQ(reflect::enum_name(static_cast<http_status>(500)), "");  // outside [200, 420]
}

TEST(Reflect, EnumeratorsOutsideTheDefaultRangeHaveNoName) {
  EXPECT_EQ(reflect::enum_name(far_away::near), "near");
  EXPECT_EQ(reflect::enum_name(far_away::far), "");  // 1000 > enum_range's default max of 127
  EXPECT_EQ(reflect::enum_entries<far_away>.size(), 1u);
}

TEST(Reflect, UnscopedEnumsWithUnsignedUnderlyingType) {
  const auto& entries = reflect::enum_entries<legacy>;
  ASSERT_EQ(entries.size(), 2u);  // unsigned: the default range is [0, 255]
  EXPECT_EQ(entries[0].name, "legacy_low");
  EXPECT_EQ(entries[1].name, "legacy_high");
  EXPECT_EQ(reflect::enum_name(legacy_high), "legacy_high");
}

}  // namespace
