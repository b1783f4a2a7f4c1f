// permessage-deflate (RFC 7692): negotiation, round trips with and without context takeover, the
// inflated-size limit (decompression bombs), bad data, and the frame reader's RSV1 rules.
#include <switchboard/websocket/deflate.hpp>
#include <switchboard/websocket/frame.hpp>

#include <gtest/gtest.h>

#include <zlib.h>

#include <array>
#include <string>
#include <string_view>

namespace ws_deflate_test {

std::unique_ptr<sb::ws_compressor> accept(std::string_view offers, std::string& answer,
                                          sb::permessage_deflate_options options = {}) {
  answer.clear();
  return sb::permessage_deflate(options)->accept(offers, answer);
}

TEST(PermessageDeflate, NegotiationTakesTheFirstOfferItCanHonour) {
  std::string answer;
  EXPECT_TRUE(accept("permessage-deflate", answer));
  EXPECT_EQ(answer, "permessage-deflate");
  EXPECT_TRUE(accept("permessage-deflate; client_max_window_bits", answer));
  EXPECT_EQ(answer, "permessage-deflate");
  EXPECT_TRUE(accept("permessage-deflate; server_no_context_takeover; client_no_context_takeover", answer));
  EXPECT_EQ(answer, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_TRUE(accept("permessage-deflate; server_max_window_bits=10", answer));
  EXPECT_EQ(answer, "permessage-deflate; server_max_window_bits=10");
  EXPECT_TRUE(accept(R"(permessage-deflate; server_max_window_bits="12")", answer));
  EXPECT_EQ(answer, "permessage-deflate; server_max_window_bits=12");
  // 8 bits cannot be kept to with zlib: the next offer is taken.
  EXPECT_TRUE(accept("permessage-deflate; server_max_window_bits=8, permessage-deflate", answer));
  EXPECT_EQ(answer, "permessage-deflate");
  EXPECT_TRUE(accept("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=9", answer));
}

TEST(PermessageDeflate, NegotiationDeclinesWhatItCannotHonour) {
  std::string answer;
  for (std::string_view offer :
       {"", "x-webkit-deflate-frame", "permessage-deflate; unknown", "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=010", "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover"}) {
    EXPECT_FALSE(accept(offer, answer)) << offer;
  }
}

TEST(PermessageDeflate, TheServersOwnLimitsAreAnnounced) {
  std::string answer;
  EXPECT_TRUE(accept("permessage-deflate", answer, {.level = 1, .max_window_bits = 11, .mem_level = 8,
                                                     .no_context_takeover = true, .min_size = 0}));
  EXPECT_EQ(answer, "permessage-deflate; server_no_context_takeover; server_max_window_bits=11");
}

// What a client does: raw deflate, sync flush, the 00 00 FF FF tail removed.
std::string client_deflate(z_stream& z, std::string_view payload) {
  std::string out(payload.size() + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  out.resize(out.size() - z.avail_out - 4);
  return out;
}

TEST(PermessageDeflate, RoundTripsKeepingTheContextAcrossMessages) {
  std::string answer;
  auto server = accept("permessage-deflate", answer, {.min_size = 0});
  ASSERT_TRUE(server);
  z_stream client{};
  ASSERT_EQ(deflateInit2(&client, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  const std::string text = R"({"event":"chat_message","data":{"message":"hello, hello, hello"}})";
  std::string inflated, why;
  bool too_big = false;
  for (int i = 0; i < 3; ++i) {  // later messages refer back to earlier ones
    const std::string wire = client_deflate(client, text);
    ASSERT_TRUE(server->inflate(wire, inflated, 1 << 20, too_big, why)) << why;
    EXPECT_EQ(inflated, text);
  }
  deflateEnd(&client);

  // And the server's own messages inflate on the client's side.
  z_stream reader{};
  ASSERT_EQ(inflateInit2(&reader, -15), Z_OK);
  for (int i = 0; i < 3; ++i) {
    std::string wire;
    ASSERT_TRUE(server->deflate(text, wire));
    EXPECT_LT(wire.size(), text.size());
    wire.append("\x00\x00\xff\xff", 4);
    std::array<char, 4096> buffer{};
    reader.next_in = reinterpret_cast<Bytef*>(wire.data());
    reader.avail_in = static_cast<uInt>(wire.size());
    reader.next_out = reinterpret_cast<Bytef*>(buffer.data());
    reader.avail_out = static_cast<uInt>(buffer.size());
    ASSERT_EQ(inflate(&reader, Z_SYNC_FLUSH), Z_OK);
    EXPECT_EQ(std::string_view(buffer.data(), buffer.size() - reader.avail_out), text);
  }
  inflateEnd(&reader);
}

TEST(PermessageDeflate, SmallMessagesGoAsTheyAre) {
  std::string answer;
  auto server = accept("permessage-deflate", answer);
  std::string wire;
  EXPECT_FALSE(server->deflate("[1,2]", wire));
  EXPECT_TRUE(wire.empty());
}

TEST(PermessageDeflate, ABombStopsAtTheLimit) {
  std::string answer;
  auto server = accept("permessage-deflate", answer);
  z_stream client{};
  ASSERT_EQ(deflateInit2(&client, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  const std::string zeros(64 << 20, '\0');  // 64 MiB of zeros deflate to about 64 KB
  std::string wire(deflateBound(&client, zeros.size()) + 64, '\0');
  client.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
  client.avail_in = static_cast<uInt>(zeros.size());
  client.next_out = reinterpret_cast<Bytef*>(wire.data());
  client.avail_out = static_cast<uInt>(wire.size());
  ASSERT_EQ(deflate(&client, Z_SYNC_FLUSH), Z_OK);
  wire.resize(wire.size() - client.avail_out - 4);
  deflateEnd(&client);
  EXPECT_LT(wire.size(), std::size_t{1} << 20);
  std::string inflated, why;
  bool too_big = false;
  EXPECT_FALSE(server->inflate(wire, inflated, std::size_t{1} << 20, too_big, why));
  EXPECT_TRUE(too_big);
  EXPECT_LE(inflated.size(), (std::size_t{1} << 20) + (std::size_t{4} << 20));  // stopped near the limit
}

TEST(PermessageDeflate, BadDataIsRefused) {
  std::string answer;
  auto server = accept("permessage-deflate", answer);
  std::string inflated, why;
  bool too_big = false;
  EXPECT_FALSE(server->inflate("\xff\xff\xff\xff garbage", inflated, 1 << 20, too_big, why));
  EXPECT_FALSE(too_big);
  EXPECT_FALSE(why.empty());
}

std::string masked_frame(int first_byte, std::string_view payload) {
  std::string f;
  f += static_cast<char>(first_byte);
  f += static_cast<char>(0x80 | payload.size());
  f.append("\0\0\0\0", 4);  // a zero mask leaves the payload as it is
  f += payload;
  return f;
}

TEST(PermessageDeflate, TheReaderTakesRsv1OnlyOnAMessagesFirstFrameWhenNegotiated) {
  {
    sb::ws_reader reader;
    std::string_view in;
    const std::string frame = masked_frame(0x80 | 0x40 | 1, "x");
    in = frame;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::failed);  // not negotiated
    EXPECT_EQ(reader.failure_code(), 1002);
  }
  {
    sb::ws_reader reader;
    reader.allow_compressed(true);
    const std::string frame = masked_frame(0x80 | 0x40 | 2, "\x01\x02");
    std::string_view in = frame;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::message);
    EXPECT_TRUE(reader.compressed());
    const std::string plain = masked_frame(0x80 | 1, "ok");
    in = plain;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::message);
    EXPECT_FALSE(reader.compressed());
  }
  {
    sb::ws_reader reader;
    reader.allow_compressed(true);
    const std::string frames = masked_frame(0x40 | 1, "a") + masked_frame(0x80 | 0x40 | 0, "b");
    std::string_view in = frames;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::failed);  // RSV1 on a continuation
    EXPECT_EQ(reader.failure_code(), 1002);
  }
  {
    sb::ws_reader reader;
    reader.allow_compressed(true);
    const std::string ping = masked_frame(0x80 | 0x40 | 9, "");
    std::string_view in = ping;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::failed);  // RSV1 on a control frame
  }
  {
    sb::ws_reader reader;
    reader.allow_compressed(true);
    const std::string frame = masked_frame(0x80 | 0x20 | 1, "x");  // RSV2 never
    std::string_view in = frame;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::failed);
  }
  {
    // Compressed text is not UTF-8 as it comes: the reader leaves it to the inflater.
    sb::ws_reader reader;
    reader.allow_compressed(true);
    const std::string frame = masked_frame(0x80 | 0x40 | 1, "\xff\xfe");
    std::string_view in = frame;
    EXPECT_EQ(reader.next(in), sb::ws_reader::event::message);
  }
}

}  // namespace ws_deflate_test
