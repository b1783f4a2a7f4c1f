// Zero allocation in the framework's path: a warmed JSON-RPC call allocates nothing.
#include <switchboard/app.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "../support/alloc_counter.hpp"

namespace fx_alloc {
int add(int a, int b) { return a + b; }
}  // namespace fx_alloc

namespace app_alloc_test {

struct rpc_calc {
  static constexpr std::string_view name = "calc";
  sb::fn<&fx_alloc::add, sb::args{"a", "b"}> add;
};

long allocations_of(sb::app<rpc_calc>& app, std::string_view request, std::string& out) {
  app.handle_jsonrpc(request, out);  // warm-up: thread_local buffers and `out` get their capacity
  sb_alloc_probe::allocations = 0;
  sb_alloc_probe::counting = true;
  for (int i = 0; i < 100; ++i) app.handle_jsonrpc(request, out);
  sb_alloc_probe::counting = false;
  return sb_alloc_probe::allocations;
}

TEST(AppAllocation, JsonRpcPositionalCallAllocatesNothing) {
  sb::app<rpc_calc> app;
  std::string out;
  EXPECT_EQ(allocations_of(app, R"({"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":7})", out), 0);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","result":5,"id":7})");
}

TEST(AppAllocation, JsonRpcNamedCallAllocatesNothing) {
  sb::app<rpc_calc> app;
  std::string out;
  EXPECT_EQ(allocations_of(app, R"({"jsonrpc":"2.0","method":"calc.add","params":{"a":2,"b":3},"id":7})", out), 0);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","result":5,"id":7})");
}

}  // namespace
