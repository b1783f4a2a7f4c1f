// Conformance against shared third-party suites: JSONTestSuite (Nicolas Seriot) and the
// nativejson-benchmark roundtrip and JSON_checker files. The data lives outside the project, in
// SB_SHARED_DATA; without it these tests report themselves skipped.
#include <switchboard/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

fs::path shared_data() { return fs::path(SB_SHARED_DATA); }

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The regular files in `dir` whose names start with `prefix` and end with `suffix`, sorted by name.
std::vector<fs::path> files(const fs::path& dir, std::string_view prefix, std::string_view suffix = ".json") {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

#define SB_REQUIRE_DIR(dir)                                                                             \
  do {                                                                                                  \
    if (!fs::is_directory(dir)) GTEST_SKIP() << "shared test data not found at " << (dir).string();     \
  } while (0)

fs::path test_parsing() { return shared_data() / "JSONTestSuite" / "test_parsing"; }
fs::path native() { return shared_data() / "nativejson-benchmark"; }

sb::json::error parse_value(const std::string& text) {
  sb::json::value v;
  return sb::json::read(v, text);
}

// The validating scanner behind sb::json::raw is a separate code path from sb::json::value.
sb::json::error parse_raw(const std::string& text) {
  sb::json::raw r;
  return sb::json::read(r, text);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += "\n  " + n;
  return out;
}

TEST(JsonConformance, AcceptsEveryYFile) {
  SB_REQUIRE_DIR(test_parsing());
  const auto y = files(test_parsing(), "y_");
  ASSERT_EQ(y.size(), 95u) << "the suite's y_ files changed";
  std::vector<std::string> failures;
  for (const auto& path : y) {
    const std::string text = slurp(path);
    if (auto e = parse_value(text)) failures.push_back(path.filename().string() + " (value): " + e.to_string());
    if (auto e = parse_raw(text)) failures.push_back(path.filename().string() + " (raw): " + e.to_string());
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " y_ files rejected:" << join(failures);
}

TEST(JsonConformance, RejectsEveryNFile) {
  SB_REQUIRE_DIR(test_parsing());
  const auto n = files(test_parsing(), "n_");
  ASSERT_EQ(n.size(), 188u) << "the suite's n_ files changed";
  std::vector<std::string> failures;
  for (const auto& path : n) {
    const std::string text = slurp(path);
    if (!parse_value(text)) failures.push_back(path.filename().string() + " (value)");
    if (!parse_raw(text)) failures.push_back(path.filename().string() + " (raw)");
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " n_ files accepted:" << join(failures);
}

TEST(JsonConformance, ImplementationDefinedFilesNeitherCrashNorHang) {
  SB_REQUIRE_DIR(test_parsing());
  const auto i = files(test_parsing(), "i_");
  ASSERT_EQ(i.size(), 35u) << "the suite's i_ files changed";
  std::vector<std::string> accepted, rejected;
  for (const auto& path : i) {
    const std::string text = slurp(path);
    const auto e = parse_value(text);
    // raw checks the grammar only, so it also takes numbers too large for a double: never less than value.
    if (!e) {
      EXPECT_FALSE(parse_raw(text)) << path.filename().string();
    }
    (e ? rejected : accepted).push_back(path.filename().string() + (e ? ": " + e.to_string() : ""));
  }
  std::cout << "[ i_ files ] " << accepted.size() << " accepted, " << rejected.size() << " rejected\n"
            << "accepted:" << join(accepted) << "\nrejected:" << join(rejected) << "\n";
  RecordProperty("i_accepted", static_cast<int>(accepted.size()));
  RecordProperty("i_rejected", static_cast<int>(rejected.size()));
  EXPECT_EQ(accepted.size() + rejected.size(), i.size());
}

TEST(JsonConformance, RoundTripsNativeJsonBenchmarkFilesByteForByte) {
  SB_REQUIRE_DIR(native() / "roundtrip");
  const auto r = files(native() / "roundtrip", "roundtrip");
  ASSERT_EQ(r.size(), 27u);
  std::vector<std::string> failures;
  for (const auto& path : r) {
    const std::string text = slurp(path);  // no trailing newline: the bytes must match exactly
    sb::json::value v;
    if (auto e = sb::json::read(v, text)) {
      failures.push_back(path.filename().string() + ": " + e.to_string());
      continue;
    }
    std::string out;
    if (auto e = sb::json::write(v, out)) {
      failures.push_back(path.filename().string() + ": write: " + e.to_string());
      continue;
    }
    if (out != text) failures.push_back(path.filename().string() + ": " + text + " became " + out);
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " files did not round-trip:" << join(failures);
}

TEST(JsonConformance, JsonCheckerPassFilesAreAccepted) {
  SB_REQUIRE_DIR(native() / "jsonchecker");
  const auto pass = files(native() / "jsonchecker", "pass");
  ASSERT_EQ(pass.size(), 3u);
  std::vector<std::string> failures;
  for (const auto& path : pass) {
    const std::string text = slurp(path);
    if (auto e = parse_value(text)) failures.push_back(path.filename().string() + ": " + e.to_string());
    if (auto e = parse_raw(text)) failures.push_back(path.filename().string() + " (raw): " + e.to_string());
  }
  EXPECT_TRUE(failures.empty()) << join(failures);
}

TEST(JsonConformance, JsonCheckerFailFilesAreRejected) {
  SB_REQUIRE_DIR(native() / "jsonchecker");
  const auto fail = files(native() / "jsonchecker", "fail");
  ASSERT_EQ(fail.size(), 33u);
  std::vector<std::string> failures;
  std::size_t checked = 0;
  for (const auto& path : fail) {
    const std::string name = path.filename().string();
    const std::string text = slurp(path);
    if (name.find("_EXCLUDE") != std::string::npos) {
      // fail01: a top-level scalar, valid under RFC 8259. fail18: 20 levels, within our depth limit.
      EXPECT_FALSE(parse_value(text)) << name << " is valid JSON for switchboard";
      continue;
    }
    ++checked;
    if (!parse_value(text)) failures.push_back(name + " (value)");
    if (!parse_raw(text)) failures.push_back(name + " (raw)");
  }
  EXPECT_EQ(checked, 31u);
  EXPECT_TRUE(failures.empty()) << failures.size() << " fail files accepted:" << join(failures);
}

// The large benchmark documents: read into a value, write, read again: the same value.
TEST(JsonConformance, BenchmarkDocumentsSurviveAWriteReadCycle) {
  SB_REQUIRE_DIR(native());
  for (const char* name : {"canada.json", "citm_catalog.json", "twitter.json"}) {
    const fs::path path = native() / name;
    if (!fs::is_regular_file(path)) GTEST_SKIP() << path.string() << " not found";
    const std::string text = slurp(path);
    sb::json::value first;
    ASSERT_FALSE(sb::json::read(first, text)) << name;
    std::string out;
    ASSERT_FALSE(sb::json::write(first, out)) << name;
    sb::json::value second;
    ASSERT_FALSE(sb::json::read(second, out)) << name;
    EXPECT_TRUE(first == second) << name;
    std::string again;
    ASSERT_FALSE(sb::json::write(second, again));
    EXPECT_EQ(out, again) << name << ": writing is not stable";
  }
}

// Needs no shared data: runs everywhere.
TEST(JsonConformance, HundredThousandOpeningBracketsAreTooDeepNotACrash) {
  const std::string text(100000, '[');
  sb::json::value v;
  const auto e = sb::json::read(v, text);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.code(), sb::json::errc::too_deep);
  EXPECT_EQ(e.offset(), 128u);  // the 129th '[' is one level past max_depth = 128
  EXPECT_EQ(e.message(), "nesting deeper than the limit of 128 (read_options::max_depth)");

  sb::json::raw r;
  const auto raw_error = sb::json::read(r, text);
  ASSERT_TRUE(raw_error);
  EXPECT_EQ(raw_error.code(), sb::json::errc::too_deep);

  const std::string objects = [] {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "{\"a\":";
    return s;
  }();
  const auto object_error = sb::json::read(v, objects);
  ASSERT_TRUE(object_error);
  EXPECT_EQ(object_error.code(), sb::json::errc::too_deep);
  EXPECT_EQ(object_error.path().substr(0, 4), "$...");  // the path is bounded too
}

TEST(JsonConformance, DepthLimitIsExactForValues) {
  const std::string ok = std::string(128, '[') + std::string(128, ']');
  const std::string deep = std::string(129, '[') + std::string(129, ']');
  sb::json::value v;
  EXPECT_FALSE(sb::json::read(v, ok));
  const auto e = sb::json::read(v, deep);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.code(), sb::json::errc::too_deep);
  EXPECT_FALSE(sb::json::read(v, deep, {.max_depth = 129}));
}

}  // namespace
