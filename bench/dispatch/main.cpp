// bench_dispatch: one JSON-RPC 2.0 call from request bytes to response bytes, in process, through
// sb::app and through a conventional runtime registry (an unordered_map of std::function over
// nlohmann::json), side by side. Benchmarks are named dispatch/<case>/<switchboard|registry>; each
// reports allocs/call, counted by the global operator new below (on the benchmark's thread only).
// docs/benchmarks.md explains how to run and read them.

#include <switchboard/app.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

// ---- allocation counting: every form of global operator new goes through here ----

namespace {
thread_local std::uint64_t allocations = 0;

void* counted_new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* counted_new(std::size_t size, std::align_val_t alignment) {
  ++allocations;
  const auto align = static_cast<std::size_t>(alignment);
  const std::size_t rounded = (size + align - 1) / align * align;  // aligned_alloc wants a multiple
  if (void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_new(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_new(size, a); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

// ---- the functions both sides call ----

namespace dispatch_bench {

int add(int a, int b) { return a + b; }
std::string_view echo(std::string_view text) { return text; }

struct position {
  double lat;
  double lon;
};
struct reading {
  std::int64_t id;
  std::string_view sensor;
  position at;
  double value;
  bool valid;
};
reading round_trip(reading r) { return r; }

// switchboard: a module is a struct of endpoints; the table is built at compile time.
struct calc {
  static constexpr std::string_view name = "calc";
  sb::fn<&dispatch_bench::add, sb::args{"a", "b"}> add;
  sb::fn<&dispatch_bench::echo> echo;
  sb::fn<&dispatch_bench::round_trip> round_trip;
};

// The registry's model of `reading`: nlohmann cannot read into a string_view.
struct reading_owned {
  std::int64_t id = 0;
  std::string sensor;
  position at{};
  double value = 0;
  bool valid = false;
};
void to_json(nlohmann::json& j, const position& p) { j = nlohmann::json{{"lat", p.lat}, {"lon", p.lon}}; }
void from_json(const nlohmann::json& j, position& p) {
  j.at("lat").get_to(p.lat);
  j.at("lon").get_to(p.lon);
}
void to_json(nlohmann::json& j, const reading_owned& r) {
  j = nlohmann::json{{"id", r.id}, {"sensor", r.sensor}, {"at", r.at}, {"value", r.value}, {"valid", r.valid}};
}
void from_json(const nlohmann::json& j, reading_owned& r) {
  j.at("id").get_to(r.id);
  j.at("sensor").get_to(r.sensor);
  j.at("at").get_to(r.at);
  j.at("value").get_to(r.value);
  j.at("valid").get_to(r.valid);
}
reading_owned round_trip_owned(reading_owned r) { return r; }

// The conventional design: handlers registered at start-up by name, each taking and returning a
// DOM; the request is parsed into a DOM and the response built as one and serialized.
class registry {
 public:
  using handler = std::function<nlohmann::json(const nlohmann::json&)>;

  void add(std::string name, handler h) { handlers_.emplace(std::move(name), std::move(h)); }

  void handle(std::string_view request, std::string& out) const {
    using nlohmann::json;
    json call = json::parse(request, nullptr, /*allow_exceptions=*/false);
    if (call.is_discarded()) return error(out, -32700, "Parse error", nullptr);
    if (!call.is_object()) return error(out, -32600, "Invalid Request", nullptr);
    const auto id = call.find("id");
    const json id_value = id != call.end() ? *id : json(nullptr);
    const auto method = call.find("method");
    if (method == call.end() || !method->is_string()) return error(out, -32600, "Invalid Request", id_value);
    const auto found = handlers_.find(method->get_ref<const std::string&>());
    if (found == handlers_.end()) return error(out, -32601, "Method not found", id_value);
    const auto params = call.find("params");
    json result;
    try {
      result = found->second(params != call.end() ? *params : json::array());
    } catch (const json::exception&) {
      return error(out, -32602, "Invalid params", id_value);
    } catch (const std::invalid_argument&) {
      return error(out, -32602, "Invalid params", id_value);
    } catch (const std::exception&) {
      return error(out, -32603, "Internal error", id_value);
    }
    if (id == call.end()) return out.clear();  // a notification
    out = json{{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", id_value}}.dump();
  }

 private:
  static void error(std::string& out, int code, const char* message, const nlohmann::json& id) {
    out = nlohmann::json{{"jsonrpc", "2.0"}, {"error", {{"code", code}, {"message", message}}}, {"id", id}}.dump();
  }
  std::unordered_map<std::string, handler> handlers_;
};

registry make_registry() {
  using nlohmann::json;
  registry r;
  r.add("calc.add", [](const json& p) {
    if (p.is_object()) return json(add(p.at("a").get<int>(), p.at("b").get<int>()));
    if (p.size() != 2) throw std::invalid_argument("expected 2 parameters");
    return json(add(p.at(0).get<int>(), p.at(1).get<int>()));
  });
  r.add("calc.echo", [](const json& p) {
    if (p.size() != 1) throw std::invalid_argument("expected 1 parameter");
    return json(echo(p.at(0).get_ref<const std::string&>()));
  });
  r.add("calc.round_trip", [](const json& p) {
    const json& arg = p.is_array() ? p.at(0) : p;
    return json(round_trip_owned(arg.get<reading_owned>()));
  });
  return r;
}

using app_type = sb::app<calc>;

app_type& the_app() {
  static app_type app;
  return app;
}
const registry& the_registry() {
  static const registry r = make_registry();
  return r;
}

struct bench_case {
  const char* name;
  std::string_view request;
};
constexpr bench_case cases[] = {
    {"add_positional", R"({"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":7})"},
    {"add_named", R"({"jsonrpc":"2.0","method":"calc.add","params":{"a":2,"b":3},"id":7})"},
    {"echo", R"({"jsonrpc":"2.0","method":"calc.echo","params":["the quick brown fox jumps over the lazy dog"],"id":7})"},
    {"struct", R"({"jsonrpc":"2.0","method":"calc.round_trip","params":{"id":42,"sensor":"greenhouse-3","at":{"lat":52.52,"lon":13.405},"value":21.5,"valid":true},"id":7})"},
};

void with_switchboard(std::string_view request, std::string& out) { the_app().handle_jsonrpc(request, out); }
void with_registry(std::string_view request, std::string& out) { the_registry().handle(request, out); }

template <void (*Handle)(std::string_view, std::string&)>
void run(benchmark::State& state, std::string_view request) {
  std::string out;
  Handle(request, out);  // warm-up: buffers and thread_locals take their capacity
  const std::uint64_t before = allocations;
  for (auto _ : state) {
    Handle(request, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const std::uint64_t counted = allocations - before;
  state.counters["allocs/call"] =
      benchmark::Counter(static_cast<double>(counted), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Both sides must give the same answer (compared as JSON values: member order differs).
bool answers_agree() {
  bool agree = true;
  for (const auto& c : cases) {
    std::string a;
    std::string b;
    with_switchboard(c.request, a);
    with_registry(c.request, b);
    const auto ja = nlohmann::json::parse(a, nullptr, false);
    const auto jb = nlohmann::json::parse(b, nullptr, false);
    if (ja.is_discarded() || ja != jb || !ja.contains("result")) {
      std::fprintf(stderr, "bench_dispatch: %s: the answers differ\n  switchboard: %s\n  registry:    %s\n", c.name,
                   a.c_str(), b.c_str());
      agree = false;
    }
  }
  return agree;
}

}  // namespace dispatch_bench

int main(int argc, char** argv) {
  using namespace dispatch_bench;
  if (!answers_agree()) return 1;
  for (const auto& c : cases) {
    const std::string prefix = std::string("dispatch/") + c.name + "/";
    benchmark::RegisterBenchmark((prefix + "switchboard").c_str(), run<&with_switchboard>, c.request);
    benchmark::RegisterBenchmark((prefix + "registry").c_str(), run<&with_registry>, c.request);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
