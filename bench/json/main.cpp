// bench_json: typed JSON read and write, switchboard against RapidJSON, nlohmann/json and simdjson,
// on the nativejson-benchmark documents and a small mixed object. Benchmarks are named
// <read|write>/<document>/<library>; docs/benchmarks.md explains how to run and read them.

#include "common.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#ifndef SB_SHARED_DATA
#define SB_SHARED_DATA "../shared/data"
#endif

namespace bench {

std::string_view doc_name(doc d) {
  switch (d) {
    case doc::twitter: return "twitter";
    case doc::citm: return "citm_catalog";
    case doc::canada: return "canada";
    case doc::small: return "small";
  }
  return "?";
}

namespace {
std::string load(doc d) {
  if (d == doc::small) return small::text;
  const char* env = std::getenv("SB_SHARED_DATA");
  const std::string root = env && *env ? env : SB_SHARED_DATA;
  std::ifstream file(root + "/nativejson-benchmark/" + std::string(doc_name(d)) + ".json", std::ios::binary);
  if (!file) return {};
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}
}  // namespace

std::vector<const library*>& candidate_libraries() {
  static std::vector<const library*> list;
  return list;
}
std::vector<const library*>& candidate_fresh_libraries() {
  static std::vector<const library*> list;
  return list;
}

const std::string& input(doc d) {
  static std::map<doc, std::string> cache;
  auto it = cache.find(d);
  if (it == cache.end()) it = cache.emplace(d, load(d)).first;
  return it->second;
}

}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  std::vector<const library*> libraries = {&switchboard_library};
  libraries.insert(libraries.end(), candidate_libraries().begin(), candidate_libraries().end());
  libraries.push_back(&switchboard_fresh_library);
  libraries.insert(libraries.end(), candidate_fresh_libraries().begin(), candidate_fresh_libraries().end());
#ifdef SB_BENCH_HAVE_RAPIDJSON
  libraries.push_back(&rapidjson_library);
#endif
#ifdef SB_BENCH_HAVE_NLOHMANN
  libraries.push_back(&nlohmann_library);
#endif
#ifdef SB_BENCH_HAVE_SIMDJSON
  libraries.push_back(&simdjson_library);
#endif
  // Document-major order: the libraries compared on one document run next to each other in time.
  for (const doc d : all_docs) {
    for (const library* lib : libraries) {
      if (!lib->read) continue;
      const std::string name = "read/" + std::string(doc_name(d)) + "/" + lib->name;
      benchmark::RegisterBenchmark(name.c_str(), lib->read, d);
    }
  }
  for (const doc d : all_docs) {
    for (const library* lib : libraries) {
      if (!lib->write) continue;
      const std::string name = "write/" + std::string(doc_name(d)) + "/" + lib->name;
      benchmark::RegisterBenchmark(name.c_str(), lib->write, d);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
