// Sessions: stored only when a call changed them, capped, expired on a sweep, renamed on login.
#include <switchboard/session_store.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

TEST(SessionStore, ReadOnlyAndRefusedRequestsCreateNothing) {
  sb::memory_session_store store;
  for (int i = 0; i < 1000; ++i) {
    sb::detail::session_scope scope(store);
    scope.open("");  // no cookie
    EXPECT_EQ(scope.close({}), "");
  }
  sb::detail::session_scope forged(store);
  forged.open("0123456789abcdef0123456789abcdef");  // an id the store never issued
  EXPECT_EQ(forged.close({}), "");
  EXPECT_EQ(store.size(), 0u);
}

TEST(SessionStore, AChangeCreatesOneSessionWithACookie) {
  sb::memory_session_store store;
  sb::detail::session_scope scope(store);
  scope.open("");
  scope.current.data["cart"] = 3;
  const std::string cookie = scope.close({.name = "sid", .secure = true, .same_site = "Strict"});
  ASSERT_EQ(store.size(), 1u);
  const std::string id = scope.current.id;
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(cookie, "sid=" + id + "; Path=/; HttpOnly; SameSite=Strict; Secure");
  sb::detail::session_scope again(store);
  again.open(id);
  EXPECT_EQ(again.current.data.find("cart")->as_double(), 3.0);
  again.current.data["cart"] = 4;
  EXPECT_EQ(again.close({}), "");  // same user, same id: saved, no new cookie
  EXPECT_EQ(store.load(id)->data.find("cart")->as_double(), 4.0);
}

TEST(SessionStore, APrivilegeChangeRenamesTheSession) {
  sb::memory_session_store store;
  sb::detail::session_scope first(store);
  first.open("");
  first.current.data["x"] = 1;
  first.close({});
  const std::string planted = first.current.id;
  sb::detail::session_scope login(store);
  login.open(planted);
  login.current.user = "ada";
  const std::string cookie = login.close({});
  EXPECT_NE(login.current.id, planted);
  EXPECT_NE(cookie.find(login.current.id), std::string::npos);
  EXPECT_FALSE(store.load(planted));  // the id known before the login is worth nothing
  EXPECT_EQ(store.load(login.current.id)->user, "ada");
  EXPECT_EQ(store.size(), 1u);
}

TEST(SessionStore, TheStoreIsCappedLeastRecentlyUsedFirst) {
  sb::memory_session_store store(24h, 3);
  for (const char* id : {"a", "b", "c"}) store.save({id, "", 0, {}});
  ASSERT_TRUE(store.load("a"));  // a is now the most recently used
  store.save({"d", "", 0, {}});
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.load("b"));
  EXPECT_TRUE(store.load("a"));
  EXPECT_TRUE(store.load("d"));
}

TEST(SessionStore, ExpiredSessionsAreSweptWithoutBeingAskedFor) {
  sb::memory_session_store store(1s);
  for (int i = 0; i < 100; ++i) store.save({std::to_string(i), "", 0, {}});
  EXPECT_EQ(store.size(), 100u);
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (store.size() != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
    store.sweep();
  }
  EXPECT_EQ(store.size(), 0u);
}

TEST(SessionStore, ARequestRunningDuringALogoutCannotBringTheOldIdBack) {
  sb::memory_session_store store;
  store.save({"x", "alice", 1, {}});
  sb::detail::session_scope slow_poll(store);
  slow_poll.open("x");
  sb::detail::session_scope logout(store);
  logout.open("x");
  logout.current.user.clear();
  logout.close({});  // renamed: "x" is erased
  slow_poll.current.data["seen"] = 1;
  EXPECT_EQ(slow_poll.close({}), "");
  EXPECT_FALSE(store.load("x"));  // not resurrected with user alice
}

TEST(SessionStore, WhatAuthenticationFillsInIsNotStored) {
  sb::memory_session_store store;
  for (int i = 0; i < 100; ++i) {
    sb::detail::session_scope scope(store);
    scope.open("");
    scope.current.user = "service";  // a bearer token's user, set on every request
    scope.settle();
    EXPECT_EQ(scope.close({}), "");
  }
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
