// Built once per entry of SWITCHBOARD_BENCH_CANDIDATES (NAME=DIR, DIR a modified copy of include/):
// the same benchmarks as "switchboard", compiled against that copy with `sb` renamed, registered as
// library NAME (and NAME_fresh) so that a proposed header change is measured side by side with the
// current headers in one run.

#include <switchboard/json.hpp>

#include "common.hpp"
#include "switchboard_library.hpp"

#define SB_BENCH_STRINGIFY2(x) #x
#define SB_BENCH_STRINGIFY(x) SB_BENCH_STRINGIFY2(x)

namespace bench {
namespace {

const library reused = {SB_BENCH_STRINGIFY(SB_BENCH_CANDIDATE_NAME), &sb_read_bench, &sb_write_bench};
const library fresh = {SB_BENCH_STRINGIFY(SB_BENCH_CANDIDATE_NAME) "_fresh", &sb_read_fresh_bench, nullptr};
const bool registered = [] {
  candidate_libraries().push_back(&reused);
  candidate_fresh_libraries().push_back(&fresh);
  return true;
}();

}  // namespace
}  // namespace bench
