#pragma once
// permessage-deflate (RFC 7692) for sb::server, on zlib: include this header, link zlib, and set
//   server.websocket_compression = sb::permessage_deflate();
// The first offer the server can honour is taken: server_no_context_takeover and
// client_no_context_takeover are agreed to, server_max_window_bits from 9 to 15 is kept to (8
// declines the offer: zlib's raw deflate cannot make an 8-bit window), client_max_window_bits needs
// nothing (inflating takes any window). Unknown or repeated parameters decline the offer.
// Memory per connection, allocated by the first compressed message each way and kept while the
// context is taken over: about 2^(bits+2) + 2^(mem_level+9) bytes to deflate (256 KiB at the
// defaults), 2^bits + 7 KB to inflate.

#include <switchboard/http/request_parser.hpp>  // trim_whitespace
#include <switchboard/websocket/compression.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sb {

struct permessage_deflate_options {
  int level = Z_DEFAULT_COMPRESSION;  // zlib's 0 to 9; 1 is fastest
  int max_window_bits = 15;           // the server's own window, at most; 9 to 15
  int mem_level = 8;                  // zlib's 1 to 9: memory for speed
  bool no_context_takeover = false;   // always start each message afresh (frees the deflate state)
  std::size_t min_size = 64;          // smaller messages go uncompressed
};

namespace detail {

// What one offer asks for; nullopt when the server cannot honour it.
struct deflate_agreement {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_window_bits = 15;
};

inline std::optional<int> window_bits(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  if (value.empty() || value.size() > 2) return std::nullopt;
  int bits = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (bits < 8 || bits > 15 || (value.size() == 2 && value[0] == '0')) return std::nullopt;
  return bits;
}

// One offer: "permessage-deflate; param[=value]; ...".
inline std::optional<deflate_agreement> read_deflate_offer(std::string_view offer) {
  std::size_t semicolon = offer.find(';');
  if (trim_whitespace(offer.substr(0, semicolon)) != "permessage-deflate") return std::nullopt;
  deflate_agreement agreed;
  bool seen[4] = {false, false, false, false};
  while (semicolon != std::string_view::npos) {
    offer.remove_prefix(semicolon + 1);
    semicolon = offer.find(';');
    const std::string_view param = trim_whitespace(offer.substr(0, semicolon));
    const std::size_t equals = param.find('=');
    const std::string_view name = trim_whitespace(param.substr(0, equals));
    const bool valued = equals != std::string_view::npos;
    const std::string_view value = valued ? trim_whitespace(param.substr(equals + 1)) : std::string_view{};
    int which = -1;
    if (name == "server_no_context_takeover" && !valued) {
      which = 0;
      agreed.server_no_context_takeover = true;
    } else if (name == "client_no_context_takeover" && !valued) {
      which = 1;
      agreed.client_no_context_takeover = true;
    } else if (name == "server_max_window_bits" && valued) {
      which = 2;
      const auto bits = window_bits(value);
      if (!bits || *bits == 8) return std::nullopt;
      agreed.server_window_bits = *bits;
    } else if (name == "client_max_window_bits") {
      which = 3;
      if (valued && !window_bits(value)) return std::nullopt;
    } else {
      return std::nullopt;
    }
    if (seen[which]) return std::nullopt;
    seen[which] = true;
  }
  return agreed;
}

class deflate_compressor final : public ws_compressor {
 public:
  deflate_compressor(const permessage_deflate_options& options, const deflate_agreement& agreed)
      : options_(options), agreed_(agreed) {}
  ~deflate_compressor() override {
    if (deflating_) deflateEnd(&deflater_);
    if (inflating_) inflateEnd(&inflater_);
  }
  deflate_compressor(const deflate_compressor&) = delete;
  deflate_compressor& operator=(const deflate_compressor&) = delete;

  bool inflate(std::string_view compressed, std::string& out, std::size_t limit, bool& too_big,
               std::string& why) override {
    too_big = false;
    out.clear();
    if (!inflating_) {
      inflater_ = z_stream{};
      if (inflateInit2(&inflater_, -15) != Z_OK) return refuse(why, "inflate could not start");
      inflating_ = true;
    }
    static constexpr char tail[4] = {0x00, 0x00, static_cast<char>(0xFF), static_cast<char>(0xFF)};  // RFC 7692 7.2.2
    bool ended = false;  // a block marked final: the sender starts afresh after it
    const bool ok = inflate_part(compressed, out, limit, too_big, why, ended) &&
                    (ended || inflate_part({tail, 4}, out, limit, too_big, why, ended));
    if (!ok || ended || agreed_.client_no_context_takeover) inflateReset(&inflater_);
    return ok;
  }

  bool deflate(std::string_view payload, std::string& out) override {
    if (payload.size() < options_.min_size) return false;
    if (!deflating_) {
      deflater_ = z_stream{};
      const int bits = std::min(options_.max_window_bits, agreed_.server_window_bits);
      if (deflateInit2(&deflater_, options_.level, Z_DEFLATED, -bits, options_.mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
      deflating_ = true;
    }
    const std::size_t start = out.size();
    deflater_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
    deflater_.avail_in = static_cast<uInt>(payload.size());
    do {
      const std::size_t at = out.size();
      const std::size_t room = deflateBound(&deflater_, deflater_.avail_in) + 16;
      out.resize(at + room);
      deflater_.next_out = reinterpret_cast<Bytef*>(out.data() + at);
      deflater_.avail_out = static_cast<uInt>(room);
      ::deflate(&deflater_, Z_SYNC_FLUSH);
      out.resize(at + room - deflater_.avail_out);
    } while (deflater_.avail_in != 0 || deflater_.avail_out == 0);
    // A sync flush ends with 00 00 FF FF, which the receiver adds back (RFC 7692 7.2.1).
    if (out.size() - start >= 4 && out.compare(out.size() - 4, 4, std::string_view("\x00\x00\xff\xff", 4)) == 0)
      out.resize(out.size() - 4);
    if (agreed_.server_no_context_takeover || options_.no_context_takeover) {
      deflateEnd(&deflater_);  // the state is not needed until the next message: its memory goes
      deflating_ = false;
    }
    return true;
  }

 private:
  static bool refuse(std::string& why, std::string_view what) {
    why = what;
    return false;
  }

  bool inflate_part(std::string_view input, std::string& out, std::size_t limit, bool& too_big, std::string& why,
                    bool& ended) {
    inflater_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    inflater_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      const std::size_t at = out.size();
      const std::size_t room = std::max<std::size_t>(4096, input.size() * 2);
      out.resize(at + room);
      inflater_.next_out = reinterpret_cast<Bytef*>(out.data() + at);
      inflater_.avail_out = static_cast<uInt>(room);
      const int status = ::inflate(&inflater_, Z_SYNC_FLUSH);
      const bool filled = inflater_.avail_out == 0;
      out.resize(at + room - inflater_.avail_out);
      if (out.size() > limit) {
        too_big = true;
        return refuse(why, "the message inflates past the limit");
      }
      if (status == Z_STREAM_END) {
        ended = true;
        return inflater_.avail_in == 0 || refuse(why, "data after a final compressed block");
      }
      if (status != Z_OK && status != Z_BUF_ERROR) return refuse(why, "invalid compressed data");
      if (inflater_.avail_in == 0 && !filled) return true;
      if (status == Z_BUF_ERROR && !filled) return refuse(why, "invalid compressed data");
    }
  }

  permessage_deflate_options options_;
  deflate_agreement agreed_;
  z_stream deflater_{};
  z_stream inflater_{};
  bool deflating_ = false;
  bool inflating_ = false;
};

class deflate_negotiator final : public ws_compression {
 public:
  explicit deflate_negotiator(permessage_deflate_options options) : options_(options) {}

  std::unique_ptr<ws_compressor> accept(std::string_view offers, std::string& answer) const override {
    while (!offers.empty()) {
      const std::size_t comma = offers.find(',');
      const std::string_view offer = offers.substr(0, comma);
      offers = comma == std::string_view::npos ? std::string_view{} : offers.substr(comma + 1);
      const auto agreed = read_deflate_offer(offer);
      if (!agreed) continue;
      answer = "permessage-deflate";
      if (agreed->server_no_context_takeover || options_.no_context_takeover) answer += "; server_no_context_takeover";
      if (agreed->client_no_context_takeover) answer += "; client_no_context_takeover";
      const int bits = std::min(options_.max_window_bits, agreed->server_window_bits);
      if (bits < 15) answer += "; server_max_window_bits=" + std::to_string(bits);
      return std::make_unique<deflate_compressor>(options_, *agreed);
    }
    return nullptr;
  }

 private:
  permessage_deflate_options options_;
};

}  // namespace detail

// The option for server::websocket_compression.
inline std::shared_ptr<const ws_compression> permessage_deflate(permessage_deflate_options options = {}) {
  return std::make_shared<detail::deflate_negotiator>(options);
}

}  // namespace sb
