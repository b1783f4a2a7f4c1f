#pragma once
// A message compression negotiated in the WebSocket handshake (RFC 7692's permessage-deflate is in
// websocket/deflate.hpp, the one header that needs zlib). The server knows only these interfaces,
// so a server without compression never links zlib.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace sb {

// One connection's compression state. inflate() runs on the thread that reads, deflate() under the
// connection's send lock: the two never share state.
class ws_compressor {
 public:
  virtual ~ws_compressor() = default;
  // One message's payload as it came (RSV1 set) into `out`; false with `why` when it is not valid
  // compressed data (`too_big` false) or would inflate past `limit` bytes (`too_big` true).
  virtual bool inflate(std::string_view compressed, std::string& out, std::size_t limit, bool& too_big,
                       std::string& why) = 0;
  // Appends the compressed form of `payload` to `out`; false when it is better sent as it is.
  virtual bool deflate(std::string_view payload, std::string& out) = 0;
};

// What the server offers: given every Sec-WebSocket-Extensions offer of a handshake, a compressor
// and the extension's answer for the 101 response, or null to go without.
class ws_compression {
 public:
  virtual ~ws_compression() = default;
  virtual std::unique_ptr<ws_compressor> accept(std::string_view offers, std::string& answer) const = 0;
};

}  // namespace sb
