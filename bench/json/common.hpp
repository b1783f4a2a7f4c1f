#pragma once
// Shared by every library's benchmarks: the documents, the allocation counter, and the measuring loops
// (each library plugs in a "read text into T" or "write T, return the bytes" callable).

#include "models.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace bench {

enum class doc { twitter, citm, canada, small };
inline constexpr doc all_docs[] = {doc::twitter, doc::citm, doc::canada, doc::small};

template <class T>
struct doc_of;
template <>
struct doc_of<twitter::document> : std::integral_constant<doc, doc::twitter> {};
template <>
struct doc_of<citm::document> : std::integral_constant<doc, doc::citm> {};
template <>
struct doc_of<canada::document> : std::integral_constant<doc, doc::canada> {};
template <>
struct doc_of<small::document> : std::integral_constant<doc, doc::small> {};

// Calls fn(std::type_identity<T>{}) with the struct type of `d`.
template <class Fn>
void visit_doc(doc d, Fn&& fn) {
  switch (d) {
    case doc::twitter: return fn(std::type_identity<twitter::document>{});
    case doc::citm: return fn(std::type_identity<citm::document>{});
    case doc::canada: return fn(std::type_identity<canada::document>{});
    case doc::small: return fn(std::type_identity<small::document>{});
  }
}

std::string_view doc_name(doc d);
// The document's bytes, read once from SB_SHARED_DATA (or the SB_SHARED_DATA environment variable);
// empty when the file is missing.
const std::string& input(doc d);

// Every operator new since the program started (bench/json/alloc_counter.cpp).
std::uint64_t allocation_count();

// Defined with switchboard (switchboard.cpp), instantiated for the four document types:
template <class T>
bool sb_read(std::string_view text, T& out);  // sb::json::read, true on success
template <class T>
std::string canonical(const T& value);  // sb::json::write: compares what two libraries read
template <class T>
const T& shared_source();  // the document read once; what every writer writes
const std::string& reference(doc d);  // canonical(shared_source<T>())

// Reads the document into one reused target per iteration (every library: the same conditions).
// Before timing, the result is checked against switchboard's reading of the same bytes.
template <class T, class Read>
void read_loop(benchmark::State& state, Read&& read) {
  constexpr doc d = doc_of<T>::value;
  const std::string& text = input(d);
  if (text.empty()) return state.SkipWithError("input file not found: configure SB_SHARED_DATA");
  auto target = std::make_unique<T>();
  if (!read(text, *target)) return state.SkipWithError("read failed");
  if (canonical(*target) != reference(d)) return state.SkipWithError("read a different value than switchboard");
  const std::uint64_t before = allocation_count();
  for (auto _ : state) {
    const bool ok = read(text, *target);
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
    if (!ok) {
      state.SkipWithError("read failed");
      break;
    }
  }
  const std::uint64_t after = allocation_count();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(after - before), benchmark::Counter::kAvgIterations);
}

// Like read_loop, but into a new, default-constructed target each iteration (construction and
// destruction included): the cost when nothing is reused.
template <class T, class Read>
void read_fresh_loop(benchmark::State& state, Read&& read) {
  constexpr doc d = doc_of<T>::value;
  const std::string& text = input(d);
  if (text.empty()) return state.SkipWithError("input file not found: configure SB_SHARED_DATA");
  const std::uint64_t before = allocation_count();
  for (auto _ : state) {
    auto target = std::make_unique<T>();
    const bool ok = read(text, *target);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(target.get());
    benchmark::ClobberMemory();
    if (!ok) {
      state.SkipWithError("read failed");
      break;
    }
  }
  const std::uint64_t after = allocation_count();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(after - before), benchmark::Counter::kAvgIterations);
}

// Writes the document as compact JSON into a reused output; `write` returns a view of the bytes.
// Before timing, the output is read back with switchboard and compared with the source.
// Bytes processed = the bytes this library wrote.
template <class T, class Write>
void write_loop(benchmark::State& state, Write&& write) {
  constexpr doc d = doc_of<T>::value;
  if (input(d).empty()) return state.SkipWithError("input file not found: configure SB_SHARED_DATA");
  const T& source = shared_source<T>();
  const std::string first(write(source));
  auto back = std::make_unique<T>();
  if (!sb_read(first, *back) || canonical(*back) != reference(d))
    return state.SkipWithError("wrote a different value than the source");
  const std::uint64_t before = allocation_count();
  for (auto _ : state) {
    const std::string_view out = write(source);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const std::uint64_t after = allocation_count();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(first.size()));
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(after - before), benchmark::Counter::kAvgIterations);
  state.counters["out_bytes"] = static_cast<double>(first.size());
}

// One library's entry points; a null write means the library does not write.
struct library {
  const char* name;
  void (*read)(benchmark::State&, doc);
  void (*write)(benchmark::State&, doc);
};

extern const library switchboard_library;
extern const library switchboard_fresh_library;
// Header experiments (candidate.cpp), filled during static initialisation.
std::vector<const library*>& candidate_libraries();
std::vector<const library*>& candidate_fresh_libraries();
#ifdef SB_BENCH_HAVE_RAPIDJSON
extern const library rapidjson_library;
#endif
#ifdef SB_BENCH_HAVE_NLOHMANN
extern const library nlohmann_library;
#endif
#ifdef SB_BENCH_HAVE_SIMDJSON
extern const library simdjson_library;
#endif

}  // namespace bench
