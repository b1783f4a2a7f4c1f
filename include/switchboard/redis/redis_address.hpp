#pragma once
// Where Redis is, read from a redis:// URL: shared by the bus and the session store.

#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace sb {

// Where Redis is: redis://[[user]:password@]host[:port][/db]. Percent escapes in the password are
// not decoded: a password with '@' or ':' needs the explicit fields.
struct redis_address {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;  // Redis 6 ACL user; empty: the default user
  std::string password;
  int database = 0;

  // nullopt, with the reason in `why`, when `url` is not of that form.
  static std::optional<redis_address> parse(std::string_view url, std::string* why = nullptr) {
    auto fail = [&](std::string reason) -> std::optional<redis_address> {
      if (why) *why = "redis url \"" + std::string(url.substr(0, 200)) + "\": " + std::move(reason);
      return std::nullopt;
    };
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) return fail("must start with redis://");
    std::string_view rest = url.substr(scheme.size());
    redis_address address;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
      const std::string_view credentials = rest.substr(0, at);
      const auto colon = credentials.find(':');
      address.user = std::string(credentials.substr(0, colon));
      if (colon != std::string_view::npos) address.password = std::string(credentials.substr(colon + 1));
      else std::swap(address.user, address.password);  // redis://secret@host: a password alone
      rest = rest.substr(at + 1);
    }
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
      const std::string_view db = rest.substr(slash + 1);
      if (!db.empty() && !whole_number(db, address.database)) return fail("the database must be a number");
      rest = rest.substr(0, slash);
    }
    const auto colon = rest.rfind(':'), bracket = rest.rfind(']');  // IPv6 hosts come in brackets: [::1]:6379
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      const std::string_view port = rest.substr(colon + 1);
      if (!whole_number(port, address.port) || address.port < 1 || address.port > 65535)
        return fail("the port must be a number from 1 to 65535");
      rest = rest.substr(0, colon);
    }
    if (rest.starts_with('[') && rest.ends_with(']')) rest = rest.substr(1, rest.size() - 2);  // [::1]
    if (rest.empty()) return fail("no host");
    address.host = std::string(rest);
    return address;
  }

  // The same, throwing std::invalid_argument with the reason: for constructors that take a url.
  static redis_address from_url(std::string_view url) {
    std::string why;
    auto address = parse(url, &why);
    if (!address) throw std::invalid_argument(why);
    return *address;
  }

 private:
  static bool whole_number(std::string_view text, int& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && out >= 0;
  }
};

}  // namespace sb
