// libFuzzer target for permessage-deflate (websocket/deflate.hpp).
// Input: a client's compressed message, inflated under a 64 KiB limit, and the same bytes as a
// message to send. Oracles: (1) inflating hostile bytes never passes the limit by more than one
// step of output and never crashes; (2) whatever the server deflates, a peer inflates back exactly,
// message after message (the context carried over).
#include <switchboard/websocket/deflate.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t limit = 64 << 10;

void check(bool condition) {
  if (!condition) std::abort();
}

std::unique_ptr<sb::ws_compressor> negotiated() {
  std::string answer;
  return sb::permessage_deflate({.min_size = 0})->accept("permessage-deflate", answer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static auto hostile = negotiated();
  std::string out, why;
  bool too_big = false;
  if (!hostile->inflate(bytes, out, limit, too_big, why)) {
    check(!why.empty());
    hostile = negotiated();  // a failed connection ends; the next input starts afresh
  }
  check(out.size() <= limit + (std::size_t{8} << 10) + 2 * size);

  static auto sender = negotiated();
  static auto receiver = negotiated();
  std::string wire, back;
  if (sender->deflate(bytes, wire)) {
    check(receiver->inflate(wire, back, std::size_t{1} << 24, too_big, why));
    check(back == bytes);
  }
  return 0;
}
