// The multipart/form-data reader the HTTP layer uses for both servers.
#include <switchboard/http/multipart.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct part {
  std::string name, filename, content_type, content;
};

bool read(std::string_view content_type, std::string_view body, std::vector<part>& parts, std::string* why = nullptr) {
  sb::detail::multipart_reader reader;
  parts.clear();
  const bool ok = reader.read(content_type, body, [&](const sb::detail::multipart_part& p) {
    parts.push_back({std::string(p.name), std::string(p.filename), std::string(p.content_type), std::string(p.content)});
  });
  if (why) *why = std::string(reader.reason());
  return ok;
}

}  // namespace

TEST(Multipart, FieldsAndFiles) {
  const std::string body =
      "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
      "--XX\r\ncontent-disposition: form-data; name=\"a\"; filename=\"n.txt\"\r\nContent-Type: text/plain\r\n\r\n"
      "line 1\r\nline 2\r\n--XX--\r\n";
  std::vector<part> parts;
  ASSERT_TRUE(read("multipart/form-data; boundary=XX", body, parts));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "title");
  EXPECT_EQ(parts[0].content, "hello");
  EXPECT_EQ(parts[0].filename, "");
  EXPECT_EQ(parts[1].filename, "n.txt");
  EXPECT_EQ(parts[1].content_type, "text/plain");
  EXPECT_EQ(parts[1].content, "line 1\r\nline 2");  // CRLF inside content is content
}

TEST(Multipart, QuotedBoundaryPreambleEpilogueAndEmptyParts) {
  const std::string body =
      "preamble\r\n--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n--a b--\r\nepilogue";
  std::vector<part> parts;
  ASSERT_TRUE(read("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b\"", body, parts));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].name, "x");
  EXPECT_EQ(parts[0].content, "");
}

TEST(Multipart, ADelimiterLookalikeInsideContentIsContent) {
  const std::string body =
      "--XX\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc\r\n--XXY is not it\r\n--XX--";
  std::vector<part> parts;
  ASSERT_TRUE(read("multipart/form-data; boundary=XX", body, parts));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].content, "abc\r\n--XXY is not it");
  // At the start too: a lookalike there is preamble, and a form of no parts is a form.
  ASSERT_TRUE(read("multipart/form-data; boundary=XX", "--XXgarbage\r\n\r\nx\r\n--XX--", parts));
  EXPECT_TRUE(parts.empty());
}

TEST(Multipart, MalformedFormsSayWhy) {
  struct bad {
    const char* what;
    std::string content_type;
    std::string body;
  };
  const std::vector<bad> cases = {
      {"no boundary", "multipart/form-data", "--XX\r\n\r\n--XX--"},
      {"boundary too long", "multipart/form-data; boundary=" + std::string(71, 'b'), ""},
      {"no delimiter", "multipart/form-data; boundary=XX", "just text"},
      {"no close delimiter", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=a\r\n\r\nx"},
      {"unterminated part head", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=a\r\n--XX--"},
      {"no disposition", "multipart/form-data; boundary=XX", "--XX\r\nContent-Type: text/plain\r\n\r\nx\r\n--XX--"},
      {"not form-data", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XX--"},
      {"malformed field", "multipart/form-data; boundary=XX", "--XX\r\nno colon here\r\n\r\nx\r\n--XX--"},
  };
  for (const auto& c : cases) {
    std::vector<part> parts;
    std::string why;
    EXPECT_FALSE(read(c.content_type, c.body, parts, &why)) << c.what;
    EXPECT_FALSE(why.empty()) << c.what;
  }
}

TEST(Multipart, HeaderParameters) {
  using sb::detail::header_parameter;
  EXPECT_EQ(header_parameter("form-data; name=\"a\"; filename=\"b c.txt\"", "filename"), "b c.txt");
  EXPECT_EQ(header_parameter("form-data; NAME=plain", "name"), "plain");
  EXPECT_EQ(header_parameter("form-data; name=\"unterminated", "name"), "");
  EXPECT_EQ(header_parameter("form-data", "name"), "");
  EXPECT_EQ(header_parameter("form-data; filename=\"x\\\"y\"; name=n", "name"), "n");
}
