#pragma once
// Customisation points, cheap to include: a user type opts into JSON here without pulling the parser.

#include <array>
#include <string_view>

namespace sb::json {

// Full control over a type's JSON form. Specialize for types that are not aggregates:
//   template <> struct sb::json::codec<money> {
//     static void read(money& out, sb::json::reader& in);          // in.read(x), in.fail("why")
//     static void write(const money& in, auto& out);               // out.write(x), out.raw("...")
//     static std::string schema(sb::json::schema_builder& s);      // optional: its JSON Schema text
//   };
template <class T>
struct codec;

// Naming and field policy for an aggregate. Specialize with any of:
//   static constexpr auto naming = sb::json::camel_case;                  // every field renamed
//   static constexpr std::array rename = {sb::json::field{"user_id", "id"}};  // some fields renamed
//   static constexpr std::array skip = {std::string_view{"cache"}};        // fields left out
//   static constexpr bool defaults = true;  // a missing member keeps the field's initial value
template <class T>
struct meta {};

struct field {
  std::string_view name;       // the C++ field name
  std::string_view json_name;  // the member name in JSON
};

// Naming policies for meta<T>::naming.
struct camel_case_t {};
inline constexpr camel_case_t camel_case{};
struct pascal_case_t {};
inline constexpr pascal_case_t pascal_case{};
struct kebab_case_t {};
inline constexpr kebab_case_t kebab_case{};

class reader;
class schema_builder;

}  // namespace sb::json
