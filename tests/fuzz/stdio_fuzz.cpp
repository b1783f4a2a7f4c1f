// libFuzzer target for the stdio line parsers: framing (line_splitter, against a plain reference
// split, at any chunking and limit), TYPE|sender|data splitting, and data escaping round trips.
#include <switchboard/transport/stdio.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct piece {
  bool overlong;
  std::string line;
  std::size_t length;
  bool operator==(const piece&) const = default;
};

std::vector<piece> reference(std::string_view input, std::size_t max) {
  std::vector<piece> out;
  while (!input.empty()) {
    const std::size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max) out.push_back({true, {}, line.size()});
    else out.push_back({false, std::string(line), line.size()});
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max = data[0] % 64;
  const std::size_t chunk = data[1] % 17 + 1;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::vector<piece> got;
  sb::detail::line_splitter splitter(max);
  const auto on_line = [&](std::string_view line) { got.push_back({false, std::string(line), line.size()}); };
  const auto on_long = [&](std::size_t length) { got.push_back({true, {}, length}); };
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    splitter.feed(input.substr(i, chunk), on_line, on_long);
    check(splitter.buffered() <= max + 1);
  }
  splitter.finish(on_line, on_long);
  check(got == reference(input, max));

  for (const auto& p : got) {
    if (p.overlong) continue;
    const auto parts = sb::detail::split_event_line(p.line);
    if (parts) {
      check(std::string(parts->type) + "|" + std::string(parts->sender) + "|" + std::string(parts->data) == p.line);
      check(sb::detail::valid_event_token(parts->type));
      check(parts->type.find('|') == std::string_view::npos && parts->sender.find('|') == std::string_view::npos);
    }
  }

  // Any data survives escaping, and an escaped line is one line that splits back into the same parts.
  std::string escaped;
  sb::detail::escape_event_data(input, escaped);
  check(escaped.find('\n') == std::string::npos && escaped.find('\r') == std::string::npos);
  std::string back;
  sb::detail::unescape_event_data(escaped, back);
  check(back == input);
  std::string line;
  sb::detail::write_event_line("EVENT", "fuzzer", input, line);
  check(line.back() == '\n' && line.find('\n') == line.size() - 1);
  const auto parts = sb::detail::split_event_line(std::string_view(line).substr(0, line.size() - 1));
  check(parts && parts->type == "EVENT" && parts->sender == "fuzzer" && parts->data == escaped);
  std::string unescaped;
  sb::detail::unescape_event_data(input, unescaped);  // any bytes: no crash, never longer
  check(unescaped.size() <= input.size());
  return 0;
}
