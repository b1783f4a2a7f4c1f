// libFuzzer target for the JSON-RPC handler. A single request's parameters are only delimited by the
// envelope scan and validated by the binder (or, on every other path, re-checked), so the oracle is
// the strict validator: any input that is not JSON gets exactly the parse error, any JSON input gets
// something else, and every response is itself valid JSON.
#include <switchboard/app.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace jsonrpc_fuzz {

struct point {
  int x = 0;
  std::optional<double> y;
};
int add(int a, int b) { return a + b; }
std::string copy(std::string s) { return s; }
double norm(point p) { return p.x + p.y.value_or(0); }
int zero() { return 0; }
void count(int n, sb::stream<int> out) {
  for (int i = 0; i < n && i < 4; ++i) out.emit(i);
}

struct calc {
  static constexpr std::string_view name = "calc";
  sb::fn<&jsonrpc_fuzz::add, sb::args{"a", "b"}> add;
  sb::fn<&jsonrpc_fuzz::copy> copy;
  sb::fn<&jsonrpc_fuzz::norm> norm;
  sb::fn<&jsonrpc_fuzz::zero> zero;
  sb::fn<&jsonrpc_fuzz::count> count;
  sb::fn<&jsonrpc_fuzz::add, sb::internal_only> inside;
};

// The strict grammar check, as the envelope and the binder apply it (numbers of any size are JSON).
sb::json::errc validate(std::string_view text) {
  sb::json::detail::read_context ctx(text.data(), text.data() + text.size(), false, {});
  const char* it = text.data();
  sb::json::detail::skip_whitespace(it, ctx.end);
  sb::json::detail::skip_value(it, ctx);
  if (ctx.failed()) return ctx.code;
  sb::json::detail::skip_whitespace(it, ctx.end);
  return it == ctx.end ? sb::json::errc::none : sb::json::errc::trailing_content;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace jsonrpc_fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jsonrpc_fuzz;
  static sb::app<calc> app;
  static std::string out;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  app.handle_jsonrpc(input, out);

  const sb::json::errc verdict = validate(input);
  constexpr std::string_view parse_error = R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})";
  // Nesting at the depth limit may count one level differently inside and outside the parameters.
  if (verdict != sb::json::errc::too_deep) check((out == parse_error) == (verdict != sb::json::errc::none));
  if (!out.empty()) check(validate(out) == sb::json::errc::none);
  return 0;
}
