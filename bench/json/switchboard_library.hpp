#pragma once
// The switchboard benchmarks proper, shared by switchboard.cpp and candidate.cpp (which compiles them
// against a modified copy of the headers, `sb` renamed). Include after <switchboard/json.hpp>.

#include "common.hpp"

#include <string>
#include <string_view>

namespace bench {
namespace {

void sb_read_bench(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    read_loop<T>(state, [](std::string_view text, T& out) { return !sb::json::read(out, text); });
  });
}

void sb_read_fresh_bench(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    read_fresh_loop<T>(state, [](std::string_view text, T& out) { return !sb::json::read(out, text); });
  });
}

void sb_write_bench(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    std::string out;
    write_loop<T>(state, [&](const T& value) {
      out.clear();
      sb::json::write(value, out);
      return std::string_view(out);
    });
  });
}

}  // namespace
}  // namespace bench
