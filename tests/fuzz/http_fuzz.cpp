// libFuzzer target for the HTTP/1.1 request head parser and the chunked body decoder.
// Oracles: (1) bytes fed in pieces give exactly what they give all at once; (2) a complete head
// views only its own bytes, and written out again in canonical form parses to the same head;
// (3) the chunked decoder, fed whole or byte by byte, yields the same content, end and status;
// (4) the multipart reader, given the bytes as a form body, views only the body and says why it fails.
#include <switchboard/http/chunked.hpp>
#include <switchboard/http/multipart.hpp>
#include <switchboard/http/request_parser.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

std::array<sb::http_field, 128> whole_fields;
std::array<sb::http_field, 128> piece_fields;
std::array<sb::http_field, 128> again_fields;

void check(bool condition) {
  if (!condition) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool same_head(const sb::http_request_head& a, const sb::http_request_head& b) {
  if (a.method != b.method || a.target != b.target || a.path != b.path || a.query != b.query ||
      a.minor_version != b.minor_version || a.host != b.host || a.body != b.body ||
      a.content_length != b.content_length || a.keep_alive != b.keep_alive ||
      a.expect_continue != b.expect_continue || a.fields.size() != b.fields.size())
    return false;
  for (std::size_t i = 0; i < a.fields.size(); ++i)
    if (a.fields[i].name != b.fields[i].name || a.fields[i].value != b.fields[i].value) return false;
  return true;
}

struct decoded {
  sb::chunked_decoder::result outcome = sb::chunked_decoder::result::more;
  int status = 0;
  std::string content;
  std::size_t used = 0;
};

decoded decode(std::string_view body, std::size_t piece) {
  sb::chunked_decoder decoder(4096, 256);
  decoded d;
  while (d.used < body.size()) {
    const std::size_t n = piece == 0 ? body.size() - d.used : std::min(piece, body.size() - d.used);
    std::string_view in = body.substr(d.used, n);
    d.outcome = decoder.feed(in, [&](std::string_view data) { d.content += data; });
    d.used += n - in.size();
    if (d.outcome != sb::chunked_decoder::result::more) break;
  }
  d.status = decoder.status();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 13;  // how the slow client splits its bytes
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const sb::http_limits limits{256, 1024, 16, 4096};

  sb::detail::multipart_reader form;
  const bool read = form.read("multipart/form-data; boundary=\"XX\"", input, [&](const sb::detail::multipart_part& p) {
    check(inside(p.name, input) && inside(p.filename, input) && inside(p.content_type, input) && inside(p.content, input));
  });
  check(read || !form.reason().empty());

  sb::http_request_parser whole(limits);
  sb::http_request_head head;
  const auto outcome = whole.parse(input, head, whole_fields);

  sb::http_request_parser trickle(limits);
  sb::http_request_head trickled;
  auto piece_outcome = sb::http_request_parser::result::incomplete;
  for (std::size_t n = 0; n < input.size() && piece_outcome == sb::http_request_parser::result::incomplete;) {
    n = std::min(input.size(), n + piece);
    piece_outcome = trickle.parse(input.substr(0, n), trickled, piece_fields);
  }
  check(piece_outcome == outcome);
  check(trickle.status() == whole.status());
  if (outcome == sb::http_request_parser::result::failed) check(whole.status() >= 400 && !whole.reason().empty());
  if (outcome != sb::http_request_parser::result::complete) return 0;
  check(same_head(head, trickled));

  check(head.head_bytes <= input.size());
  const std::string_view own = input.substr(0, head.head_bytes);
  check(inside(head.method, own) && inside(head.target, own) && inside(head.query, own));
  check(inside(head.path, own) || head.path == "/");  // an absolute target without a path means "/"
  for (const auto& f : head.fields) check(inside(f.name, own) && inside(f.value, own));

  std::string canonical = std::string(head.method) + " " + std::string(head.target) + " HTTP/1." +
                          std::to_string(head.minor_version) + "\r\n";
  for (const auto& f : head.fields) canonical += std::string(f.name) + ": " + std::string(f.value) + "\r\n";
  canonical += "\r\n";
  // The canonical form may be a little longer (": " after each name), so it gets that much room.
  sb::http_limits roomier = limits;
  roomier.max_head_bytes += 2 * head.fields.size() + 16;
  sb::http_request_parser again(roomier);
  sb::http_request_head reparsed;
  check(again.parse(canonical, reparsed, again_fields) == sb::http_request_parser::result::complete);
  check(same_head(head, reparsed));

  if (head.body == sb::http_body::chunked) {
    const std::string_view body = input.substr(head.head_bytes);
    const decoded all = decode(body, 0);
    const decoded bytewise = decode(body, 1);
    check(all.outcome == bytewise.outcome && all.status == bytewise.status);
    if (all.outcome != sb::chunked_decoder::result::failed) check(all.content == bytewise.content && all.used == bytewise.used);
    check(all.content.size() <= 4096);
  }
  return 0;
}
