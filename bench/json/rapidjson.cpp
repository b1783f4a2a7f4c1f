// RapidJSON: DOM (rapidjson::Document::Parse with kParseFullPrecisionFlag: the default flags misround
// some of canada.json's doubles) then a typed walk into the structs;
// writes with rapidjson::Writer into a reused StringBuffer.

#include "common.hpp"
#include "reflection.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <limits>

namespace bench {
namespace {

struct rj_reader {
  template <class U>
  static bool read(const rapidjson::Value& v, U& out) {
    if constexpr (std::is_same_v<U, bool>) {
      if (!v.IsBool()) return false;
      out = v.GetBool();
      return true;
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
      return v.IsNull();
    } else if constexpr (signed_type<U>) {
      if (!v.IsInt64()) return false;
      const std::int64_t x = v.GetInt64();
      if (x < std::numeric_limits<U>::min() || x > std::numeric_limits<U>::max()) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (unsigned_type<U>) {
      if (!v.IsUint64()) return false;
      const std::uint64_t x = v.GetUint64();
      if (x > std::numeric_limits<U>::max()) return false;
      out = static_cast<U>(x);
      return true;
    } else if constexpr (std::is_floating_point_v<U>) {
      if (!v.IsNumber()) return false;
      out = static_cast<U>(v.GetDouble());
      return true;
    } else if constexpr (string_type<U>) {
      if (!v.IsString()) return false;
      out.assign(v.GetString(), v.GetStringLength());
      return true;
    } else if constexpr (optional_type<U>) {
      if (v.IsNull()) {
        out.reset();
        return true;
      }
      if (!out) out.emplace();
      return read(v, *out);
    } else if constexpr (pointer_type<U>) {
      if (v.IsNull()) {
        out.reset();
        return true;
      }
      if (!out) make_pointee(out);
      return read(v, *out);
    } else if constexpr (vector_type<U>) {
      if (!v.IsArray()) return false;
      out.resize(v.Size());
      std::size_t i = 0;
      for (const auto& element : v.GetArray())
        if (!read(element, out[i++])) return false;
      return true;
    } else if constexpr (array_type<U>) {
      if (!v.IsArray() || v.Size() != out.size()) return false;
      std::size_t i = 0;
      for (const auto& element : v.GetArray())
        if (!read(element, out[i++])) return false;
      return true;
    } else if constexpr (map_type<U>) {
      if (!v.IsObject()) return false;
      out.clear();
      for (const auto& m : v.GetObject())
        if (!read(m.value, out[std::string(m.name.GetString(), m.name.GetStringLength())])) return false;
      return true;
    } else {
      static_assert(aggregate_type<U>);
      if (!v.IsObject()) return false;
      constexpr std::size_t count = fields<U>.size();
      seen_set<U> seen;
      std::size_t next = 0;
      for (const auto& m : v.GetObject()) {
        const std::size_t index = find_field<U>({m.name.GetString(), m.name.GetStringLength()}, next);
        if (index == count) continue;
        if (!member_readers<rj_reader, const rapidjson::Value&, U>[index](m.value, out)) return false;
        seen[index] = true;
        next = index + 1;
      }
      return all_required_seen<U>(seen);
    }
  }
};

struct rj_writer {
  template <class W, class U>
  static void write(W& w, const U& v) {
    if constexpr (std::is_same_v<U, bool>) {
      w.Bool(v);
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
      w.Null();
    } else if constexpr (signed_type<U>) {
      w.Int64(v);
    } else if constexpr (unsigned_type<U>) {
      w.Uint64(v);
    } else if constexpr (std::is_floating_point_v<U>) {
      w.Double(v);
    } else if constexpr (string_type<U>) {
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    } else if constexpr (optional_type<U> || pointer_type<U>) {
      if (v)
        write(w, *v);
      else
        w.Null();
    } else if constexpr (vector_type<U> || array_type<U>) {
      w.StartArray();
      for (const auto& element : v) write(w, element);
      w.EndArray();
    } else if constexpr (map_type<U>) {
      w.StartObject();
      for (const auto& [key, element] : v) {
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        write(w, element);
      }
      w.EndObject();
    } else {
      static_assert(aggregate_type<U>);
      w.StartObject();
      for_each_member(v, [&](std::string_view name, const auto& member) {
        w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
        write(w, member);
      });
      w.EndObject();
    }
  }
};

void read(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    read_loop<T>(state, [](std::string_view text, T& out) {
      rapidjson::Document document;
      document.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
      return !document.HasParseError() && rj_reader::read(document, out);
    });
  });
}

void write(benchmark::State& state, doc d) {
  visit_doc(d, [&]<class T>(std::type_identity<T>) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    write_loop<T>(state, [&](const T& value) {
      buffer.Clear();
      writer.Reset(buffer);
      rj_writer::write(writer, value);
      return std::string_view(buffer.GetString(), buffer.GetSize());
    });
  });
}

}  // namespace

const library rapidjson_library = {"rapidjson", &read, &write};

}  // namespace bench
