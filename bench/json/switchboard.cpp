// switchboard: sb::json::read into the structs, sb::json::write into a reused std::string.
// Also the reference every other library is checked against.

#include <switchboard/json.hpp>

#include "common.hpp"
#include "switchboard_library.hpp"

#include <cstdio>
#include <map>
#include <memory>

namespace bench {

template <class T>
bool sb_read(std::string_view text, T& out) {
  return !sb::json::read(out, text);
}

template <class T>
std::string canonical(const T& value) {
  std::string out;
  if (sb::json::write(value, out)) return "<not writable>";
  return out;
}

template <class T>
const T& shared_source() {
  static const std::unique_ptr<T> source = [] {
    auto value = std::make_unique<T>();
    const std::string& text = input(doc_of<T>::value);
    if (!text.empty()) {
      if (const sb::json::error e = sb::json::read(*value, text)) {
        std::fprintf(stderr, "bench_json: switchboard cannot read %s: %s\n",
                     std::string(doc_name(doc_of<T>::value)).c_str(), e.to_string().c_str());
      }
    }
    return value;
  }();
  return *source;
}

const std::string& reference(doc d) {
  static std::map<doc, std::string> cache;
  auto it = cache.find(d);
  if (it == cache.end()) {
    visit_doc(d, [&]<class T>(std::type_identity<T>) { it = cache.emplace(d, canonical(shared_source<T>())).first; });
  }
  return it->second;
}

#define SB_BENCH_INSTANTIATE(T)                                  \
  template bool sb_read<T>(std::string_view, T&);                \
  template std::string canonical<T>(const T&);                   \
  template const T& shared_source<T>();
SB_BENCH_INSTANTIATE(twitter::document)
SB_BENCH_INSTANTIATE(citm::document)
SB_BENCH_INSTANTIATE(canada::document)
SB_BENCH_INSTANTIATE(small::document)
#undef SB_BENCH_INSTANTIATE

const library switchboard_library = {"switchboard", &sb_read_bench, &sb_write_bench};
const library switchboard_fresh_library = {"switchboard_fresh", &sb_read_fresh_bench, nullptr};

}  // namespace bench
