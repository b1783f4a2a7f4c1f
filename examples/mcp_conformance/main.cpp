// The tools the official MCP conformance suite (@modelcontextprotocol/conformance) calls by name,
// as ordinary functions: text, an image, audio, an embedded resource, mixed content, an error,
// progress. tests/e2e/conformance.sh runs the suite's server scenarios against it over HTTP, for
// both protocol eras.
//
//   mcp_conformance --port 8766 [--httplib]      MCP at http://127.0.0.1:8766/mcp
#include <switchboard/switchboard.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace conformance {

// A 1x1 PNG and 8 samples of 8 kHz mono 16-bit WAV: the smallest valid files of their kinds.
inline std::string png() {
  std::string bytes;
  sb::detail::base64_decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
                            bytes);
  return bytes;
}
inline std::string wav() {
  const auto le = [](std::string& out, unsigned value, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  };
  constexpr unsigned samples = 8, rate = 8000;
  std::string out = "RIFF";
  le(out, 36 + samples * 2, 4);
  out += "WAVEfmt ";
  le(out, 16, 4), le(out, 1, 2), le(out, 1, 2), le(out, rate, 4), le(out, rate * 2, 4), le(out, 2, 2), le(out, 16, 2);
  out += "data";
  le(out, samples * 2, 4);
  out.append(samples * 2, '\0');
  return out;
}

std::string simple_text() { return "This is a simple text response for testing."; }
sb::binary image() { return {png(), "image/png", "pixel.png"}; }
sb::binary audio() { return {wav(), "audio/wav", "silence.wav"}; }
sb::mcp_content embedded_resource() {
  return {{sb::mcp_embedded_text("test://embedded-resource", "text/plain", "This is an embedded resource content.")}};
}
sb::mcp_content mixed_content() {
  return {{sb::mcp_text("Multiple content types test:"), sb::mcp_media(png(), "image/png"),
           sb::mcp_embedded_text("test://mixed-content-resource", "application/json", R"({"test":"data","value":123})")}};
}
sb::result<std::string> error_handling() {
  return sb::invalid_argument("This tool intentionally returns an error for testing");
}
struct step {
  int progress;
  int total;
};
// Three steps 50 ms apart, each a progress notification when the client asks for progress.
void with_progress(sb::stream<step> out) {
  for (int k = 1; k <= 3; ++k) {
    if (!out.emit({k, 3})) return;
    if (k < 3 && !out.wait_for(std::chrono::milliseconds(50))) return;
  }
}
// Tools whose checks are about what a server must not do on its own (send log messages nobody
// asked for, start requests of its own inside a response): a plain answer passes them.
std::string quiet() { return "done"; }

struct tools {
  sb::fn<&simple_text, sb::doc{"Returns a simple text response"}> test_simple_text;
  sb::fn<&image, sb::doc{"Returns a small PNG image"}> test_image_content;
  sb::fn<&audio, sb::doc{"Returns a short WAV sound"}> test_audio_content;
  sb::fn<&embedded_resource, sb::doc{"Returns an embedded text resource"}> test_embedded_resource;
  sb::fn<&mixed_content, sb::doc{"Returns text, an image and a resource"}> test_multiple_content_types;
  sb::fn<&error_handling, sb::doc{"Always fails, as a tool error"}> test_error_handling;
  sb::fn<&with_progress, sb::doc{"Reports progress three times"}> test_tool_with_progress;
  sb::fn<&quiet, sb::doc{"Answers without logging"}> test_logging_tool;
  sb::fn<&quiet, sb::doc{"Answers without asking the client anything"}> test_streaming_elicitation;
};

}  // namespace conformance

int main(int argc, char** argv) {
  int port = 8766;
  bool httplib = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (arg == "--httplib") httplib = true;
    else {
      std::fprintf(stderr, "usage: %s [--port PORT] [--httplib]\n", argv[0]);
      return 2;
    }
  }
  sb::mcp_options mcp;
  mcp.name = "switchboard-conformance";
  mcp.qualified_names = false;  // the suite calls its tools by their bare names
  sb::app<conformance::tools> app;
  if (httplib) {
    sb::http options;
    options.port = port;
    options.mcp = mcp;
    return app.serve(options);
  }
  sb::server options;
  options.port = port;
  options.mcp = mcp;
  return app.serve(options);
}
