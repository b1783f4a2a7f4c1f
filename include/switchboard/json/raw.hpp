#pragma once
// An already-serialised JSON fragment: written verbatim, read as the exact bytes of one value.

#include <string>
#include <string_view>

namespace sb::json {

template <class Storage>
struct basic_raw {
  Storage json;
  friend bool operator==(const basic_raw&, const basic_raw&) = default;
};

// Views the input it was read from (no copy): keep that input alive while you use it.
using raw = basic_raw<std::string_view>;
// Owns its bytes.
using raw_string = basic_raw<std::string>;

}  // namespace sb::json
