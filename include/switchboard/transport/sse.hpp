#pragma once
// Server-sent events framing (WHATWG HTML, "server-sent events"): id, event, retry, data lines.

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::detail {

// One event; id 0 writes no id field, so the client keeps its last id. `data` may contain newlines (each line becomes its own "data:" field) and the event
// name has its line breaks removed so it cannot inject fields.
inline void format_sse_event(std::string& out, std::uint64_t id, std::string_view event, std::string_view data) {
  if (id != 0) {
    out += "id: ";
    out += std::to_string(id);
    out += '\n';
  }
  if (!event.empty()) {
    out += "event: ";
    for (char c : event)
      if (c != '\n' && c != '\r') out += c;
    out += '\n';
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t stop = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, stop == std::string_view::npos ? std::string_view::npos : stop - start));
    out += '\n';
    if (stop == std::string_view::npos) break;
    start = stop + (data[stop] == '\r' && stop + 1 < data.size() && data[stop + 1] == '\n' ? 2 : 1);
  }
  out += '\n';
}

}  // namespace sb::detail
