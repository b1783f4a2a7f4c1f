// The static file cache: small files come from memory, large ones are left to the disk, changes and
// removals show within the recheck interval, and paths outside the root are never cached.
#include <switchboard/http/file_cache.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

class FileCache : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("sb_file_cache_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "site");
    write("site/app.js", "console.log(1);");
    write("secret.txt", "outside");
  }
  void TearDown() override { fs::remove_all(root); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(root / name, std::ios::binary | std::ios::trunc) << content;
  }
  // Polls until the cache serves `wanted` (the recheck interval passing), or gives up.
  bool serves(const std::string& path, const std::string& wanted) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto file = cache.find(root / "site", path);
      if (file && file->content == wanted) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  fs::path root;
  sb::detail::static_file_cache cache;
};

TEST_F(FileCache, SmallFilesComeFromMemoryWithTheirType) {
  const auto first = cache.find(root / "site", "/app.js");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->content, "console.log(1);");
  EXPECT_EQ(first->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(cache.find(root / "site", "/app.js"), first);  // the same entry, no second read
}

TEST_F(FileCache, AChangedFileShowsWithinTheRecheckInterval) {
  ASSERT_TRUE(cache.find(root / "site", "/app.js"));
  write("site/app.js", "console.log(2);");
  EXPECT_TRUE(serves("/app.js", "console.log(2);"));
}

TEST_F(FileCache, ARemovedFileIsForgotten) {
  ASSERT_TRUE(cache.find(root / "site", "/app.js"));
  fs::remove(root / "site/app.js");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (cache.find(root / "site", "/app.js") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(cache.find(root / "site", "/app.js"));
}

TEST_F(FileCache, LargeFilesAndMissingOnesAreLeftToTheDisk) {
  write("site/big.bin", std::string(sb::detail::static_file_cache::max_file_bytes + 1, 'x'));
  EXPECT_FALSE(cache.find(root / "site", "/big.bin"));
  EXPECT_FALSE(cache.find(root / "site", "/missing.js"));
}

TEST_F(FileCache, NothingOutsideTheRootIsCached) {
  EXPECT_FALSE(cache.find(root / "site", "/../secret.txt"));
  fs::create_symlink(root / "secret.txt", root / "site/link.txt");
  EXPECT_FALSE(cache.find(root / "site", "/link.txt"));
}

}  // namespace
