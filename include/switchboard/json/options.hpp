#pragma once
// Knobs for sb::json::read and sb::json::write.

#include <cstddef>

namespace sb::json {

enum class unknown_keys {
  skip,   // ignore members the target type has no field for (the value is still validated)
  error,  // reject them, naming the key
};

enum class duplicate_keys {
  last_wins,  // a repeated member overwrites the earlier one
  error,      // reject the repeat, naming the key
};

struct read_options {
  std::size_t max_depth = 128;  // nesting beyond this is an error, never a stack overflow
  unknown_keys unknown = unknown_keys::skip;
  duplicate_keys duplicates = duplicate_keys::last_wins;
};

struct write_options {
  bool pretty = false;         // newlines and indentation
  int indent = 2;              // spaces per level when pretty
  bool skip_null_members = false;  // leave out empty optionals and null pointers instead of writing null
};

}  // namespace sb::json
