#include <switchboard/json.hpp>
#include <gtest/gtest.h>
TEST(JsonRead, Placeholder) { int x = 0; EXPECT_FALSE(sb::json::read(x, "1")); EXPECT_EQ(x, 1); }
