#pragma once
// The opening handshake of RFC 6455 section 4.2, server side, on a request head already parsed by
// the HTTP layer: what makes a request an upgrade, whether it is a valid one (and the status that
// says why not), and the 101 answer.

#include <switchboard/http/request_parser.hpp>
#include <switchboard/websocket/sha1.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace sb {

struct ws_handshake {
  int status = 0;           // 0: accepted; else 400, 403 or 426 (426 carries the supported version)
  std::string_view reason;  // why not
  std::string_view key;     // Sec-WebSocket-Key, as sent
  std::string_view protocol;  // the subprotocol chosen, empty when none
};

}  // namespace sb

namespace sb::detail {

// Each comma-separated element of every field called `name`, trimmed; stops when `visit` says so.
template <class Visit>
bool any_list_element(std::span<const http_field> fields, std::string_view name, Visit visit) {
  for (const auto& f : fields) {
    if (!equals_ignoring_case(f.name, name)) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      if (visit(trim_whitespace(rest.substr(0, comma)))) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

inline bool has_token(std::span<const http_field> fields, std::string_view name, std::string_view token) {
  return any_list_element(fields, name, [&](std::string_view element) { return equals_ignoring_case(element, token); });
}

inline std::size_t count_fields(std::span<const http_field> fields, std::string_view name) {
  std::size_t n = 0;
  for (const auto& f : fields) n += equals_ignoring_case(f.name, name);
  return n;
}

}  // namespace sb::detail

namespace sb {

// A request that asks for a WebSocket: the transport then answers it with ws_check_handshake
// rather than as plain HTTP, whatever its other faults.
inline bool is_ws_upgrade(const http_request_head& head) {
  return detail::has_token(head.fields, "Upgrade", "websocket");
}

// `origins`: the Origin values allowed ("*": any) besides the server's own (an Origin naming the Host
// it connects to). A page elsewhere would otherwise act with the user's cookies (cross-site
// WebSocket hijacking). Clients that send
// no Origin, which are not browsers, are not asked. `protocols`: the subprotocols offered, the
// server's choice first.
namespace detail {
template <class Name>
std::string_view first_offered(const http_request_head& head, std::span<const Name> ours) {
  for (const Name& protocol : ours)
    if (has_token(head.fields, "Sec-WebSocket-Protocol", protocol)) return protocol;
  return {};
}
}  // namespace detail

inline ws_handshake ws_check_handshake(const http_request_head& head, std::span<const std::string> origins = {},
                                       std::span<const std::string_view> protocols = {}) {
  ws_handshake out;
  const auto refuse = [&](int status, std::string_view reason) {
    out.status = status;
    out.reason = reason;
    return out;
  };
  if (head.method != "GET") return refuse(400, "a WebSocket handshake must be a GET request");
  if (head.minor_version < 1) return refuse(400, "a WebSocket handshake needs HTTP/1.1");
  if (head.body != http_body::none) return refuse(400, "a WebSocket handshake has no body");
  if (!detail::has_token(head.fields, "Connection", "upgrade"))
    return refuse(400, "a WebSocket handshake needs \"Connection: Upgrade\"");
  if (detail::count_fields(head.fields, "Sec-WebSocket-Version") != 1 || head.field("Sec-WebSocket-Version") != "13")
    return refuse(426, "this server speaks WebSocket version 13 (Sec-WebSocket-Version: 13)");
  out.key = head.field("Sec-WebSocket-Key");
  if (detail::count_fields(head.fields, "Sec-WebSocket-Key") != 1 || detail::base64_decoded_size(out.key) != 16)
    return refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64, sent once");
  if (const std::string_view origin = head.field("Origin"); !origin.empty()) {
    if (!detail::origin_allowed(origin, head.host, origins)) return refuse(403, "this page's origin may not open a WebSocket here (the allowed origins)");
  }
  out.protocol = detail::first_offered(head, protocols);
  return out;
}
// The same with the subprotocols as strings (server::websocket_subprotocols): the choice views them.
inline ws_handshake ws_check_handshake(const http_request_head& head, std::span<const std::string> origins,
                                       std::span<const std::string> protocols) {
  ws_handshake out = ws_check_handshake(head, origins);
  if (out.status == 0) out.protocol = detail::first_offered(head, protocols);
  return out;
}

// The key's answer: base64(SHA-1(key + the GUID of RFC 6455)).
inline void append_ws_accept(std::string_view key, std::string& out) {
  detail::sha1 hash;
  hash.update(key);
  hash.update("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const auto digest = hash.finish();
  detail::base64_encode(digest.data(), digest.size(), out);
}

// "HTTP/1.1 101 Switching Protocols" with the accept key and the chosen subprotocol.
// Every Sec-WebSocket-Extensions offer of the handshake, in order, comma-separated.
inline std::string ws_extension_offers(const http_request_head& head) {
  std::string offers;
  detail::any_list_element(head.fields, "Sec-WebSocket-Extensions", [&](std::string_view offer) {
    if (!offers.empty()) offers += ", ";
    offers += offer;
    return false;
  });
  return offers;
}

// `extensions`: the Sec-WebSocket-Extensions answer (empty: none was accepted).
inline void append_ws_accepted(const ws_handshake& handshake, std::string& out, std::string_view extensions = {}) {
  out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  append_ws_accept(handshake.key, out);
  out += "\r\n";
  if (!handshake.protocol.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    out += handshake.protocol;
    out += "\r\n";
  }
  if (!extensions.empty()) {
    out += "Sec-WebSocket-Extensions: ";
    out += extensions;
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace sb
