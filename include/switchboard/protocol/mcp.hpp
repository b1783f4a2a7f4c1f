#pragma once
// MCP (the Model Context Protocol) from the same modules: every endpoint that is neither hidden nor
// internal is a tool named "<module>.<endpoint>", its inputSchema the parameters' JSON Schemas under
// their real names and its outputSchema the result's. Transport-neutral: stdio answers these methods
// beside the endpoints' own (so one binary is a JSON-RPC tool and an MCP server, with nothing to
// select), and the HTTP layer serves them at /mcp (Streamable HTTP).
//
// Two eras, served side by side, told apart per request:
// - 2025-11-25 and the revisions before it (2025-06-18, 2025-03-26, 2024-11-05), what the official
//   SDK 1.x, the Inspector and desktop clients speak: initialize echoes a version it supports, else
//   answers the latest; then ping, tools/list (pages of mcp_options::page_size; the cursor is
//   opaque), tools/call, notifications/initialized and notifications/cancelled.
// - 2026-07-28, stateless: a request whose _meta carries io.modelcontextprotocol/protocolVersion.
//   It must name a supported version (else -32022 with data {supported, requested}) and carry
//   io.modelcontextprotocol/clientCapabilities (else -32602). server/discover answers the versions
//   and capabilities; every result has resultType "complete" and the server's name and version in
//   _meta (io.modelcontextprotocol/serverInfo); tools/list and server/discover say how long they stay
//   fresh (ttlMs = mcp_options::cache_ttl_ms, cacheScope "public": the tools are the same for all).
// Anything else with an id gets -32601.
//
// tools/call: a result is structuredContent plus the same JSON as a text block. Before 2026-07-28
// structuredContent had to be an object, so a result that is not one is wrapped as {"result": value}
// (the outputSchema says so); from 2026-07-28 it is the value itself. Errors of the call, a bad
// argument included, are results with isError (the text is the error body {"error":{kind, message,
// where}}); an unknown tool is -32602. A streaming endpoint's result is the array of its values;
// with _meta.progressToken each value is also sent at once as notifications/progress (progress: the
// count so far, message: the value as JSON text). A download (sb::binary) of an image or audio type
// is an image or audio block, other bytes an embedded resource; sb::mcp_content gives the blocks
// themselves (text beside images, say). notifications/cancelled (and, over HTTP, closing
// the response) stops a call: its stream's emit() returns false and its sb::context reports
// cancelled(); it is then not answered (an HTTP transport, which must answer, sends -32800).
//
// Parameters bound by position without names cannot be named in an inputSchema: such endpoints are
// not offered as tools, and the log says which when a client first lists the tools (give them
// sb::args or one struct).

#include <switchboard/app.hpp>
#include <switchboard/log.hpp>
#include <switchboard/protocol/description.hpp>
#include <switchboard/protocol/jsonrpc.hpp>
#include <switchboard/stream.hpp>
#include <switchboard/version.hpp>
#include <switchboard/websocket/sha1.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sb {

struct mcp_options {
  std::string name = "switchboard";  // serverInfo.name
  std::string version = std::string(version_string);
  std::string instructions{};        // how to use the tools, for the model; left out when empty
  std::size_t page_size = 100;       // tools per tools/list page
  std::uint32_t cache_ttl_ms = 300000;  // 2026-07-28: how long tools/list and server/discover stay fresh
  // Tools are named "<module>.<endpoint>"; false: by the endpoint's name alone where no other module
  // has one of that name (an MCP server whose clients expect given names).
  bool qualified_names = true;
};

// A tool's answer as MCP content blocks, for answers that are more than one JSON value: text beside
// images, audio or resources. Over MCP the blocks are the result's content (no structuredContent);
// elsewhere it is JSON like any struct, {"content":[...],"isError":false}.
struct mcp_resource {
  std::string uri;
  std::string mimeType;
  std::optional<std::string> text;
  std::optional<std::string> blob;  // base64
};
struct mcp_block {
  std::string type;                      // "text", "image", "audio" or "resource"
  std::optional<std::string> text;       // text
  std::optional<std::string> data;       // image and audio: base64
  std::optional<std::string> mimeType;   // image and audio
  std::optional<mcp_resource> resource;  // resource
};
struct mcp_content {
  std::vector<mcp_block> content;
  bool isError = false;
};

inline mcp_block mcp_text(std::string text) { return {"text", std::move(text), {}, {}, {}}; }
// Bytes as an image or audio block ("image/png", "audio/wav").
inline mcp_block mcp_media(std::string_view bytes, std::string mime_type) {
  std::string data;
  detail::base64_encode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), data);
  return {mime_type.starts_with("audio/") ? "audio" : "image", {}, std::move(data), std::move(mime_type), {}};
}
inline mcp_block mcp_embedded_text(std::string uri, std::string mime_type, std::string text) {
  return {"resource", {}, {}, {}, mcp_resource{std::move(uri), std::move(mime_type), std::move(text), {}}};
}

}  // namespace sb

namespace sb::detail {

inline constexpr std::string_view mcp_latest_version = "2025-11-25";  // the latest with initialize
inline constexpr std::string_view mcp_stateless_version = "2026-07-28";
inline constexpr std::string_view mcp_versions[] = {"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
inline constexpr int mcp_request_cancelled = -32800;
inline constexpr int mcp_header_mismatch = -32020;
inline constexpr int mcp_unsupported_version = -32022;

inline bool mcp_supports(std::string_view version) {
  return std::find(std::begin(mcp_versions), std::end(mcp_versions), version) != std::end(mcp_versions);
}

// What a request's _meta says: from 2026-07-28 every request carries its protocol version and the
// client's capabilities there.
struct mcp_request_meta {
  bool stateless = false;  // carries io.modelcontextprotocol/protocolVersion
  std::string version;
  bool has_capabilities = false;
  std::string progress_token;  // as JSON text; empty when none
};

struct mcp_meta_params {
  std::optional<json::value> _meta;
};

inline mcp_request_meta read_mcp_meta(std::string_view params) {
  mcp_request_meta meta;
  mcp_meta_params read;
  if (params.empty() || json::read(read, params) || !read._meta) return meta;
  const json::value& m = *read._meta;
  if (const json::value* version = m.find("io.modelcontextprotocol/protocolVersion")) {
    meta.stateless = true;
    if (const auto* text = version->get_if<std::string>()) meta.version = *text;
  }
  const json::value* capabilities = m.find("io.modelcontextprotocol/clientCapabilities");
  meta.has_capabilities = capabilities && capabilities->is_object();
  if (const json::value* token = m.find("progressToken"); token && (token->is_string() || token->is_number()))
    json::write(*token, meta.progress_token);
  return meta;
}

// Where the messages a call sends before its answer go (progress), over the transport it came by.
class mcp_channel {
 public:
  virtual bool notify(std::string_view message) = 0;  // false once the client is gone

 protected:
  ~mcp_channel() = default;
};

// The parameters MCP's methods take (what else a client sends is skipped).
struct mcp_initialize_params {
  std::optional<std::string> protocolVersion;
};
struct mcp_list_params {
  std::optional<std::string> cursor;
};
struct mcp_call_params {
  std::string name;
  std::optional<json::raw> arguments;
};
struct mcp_cancel_params {
  json::raw requestId;
};

// A call that notifications/cancelled can reach: it reports the cancellation as a hang-up, which
// streams and sb::context already watch, on top of whatever the transport can tell.
class mcp_cancellation final : public hangup_probe {
 public:
  explicit mcp_cancellation(const hangup_probe* transport) : transport_(transport) {}
  bool hung_up() const override { return cancelled_.load() || (transport_ && transport_->hung_up()); }
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_.load(); }

 private:
  const hangup_probe* transport_;
  std::atomic<bool> cancelled_{false};
};

// Running calls by scope (an HTTP session's id; empty for a stdio client) and request id.
class mcp_running_calls {
 public:
  static std::string key(std::string_view scope, std::string_view id) {
    std::string k(scope);
    k += '\n';
    k += id;
    return k;
  }
  // False when a call with that key is already running (a client reusing an id: only the first
  // can be cancelled).
  bool add(const std::string& k, mcp_cancellation* call) {
    std::lock_guard lock(mutex_);
    return calls_.emplace(k, call).second;
  }
  void remove(const std::string& k, mcp_cancellation* call) {
    std::lock_guard lock(mutex_);
    if (auto it = calls_.find(k); it != calls_.end() && it->second == call) calls_.erase(it);
  }
  void cancel(const std::string& k) {
    std::lock_guard lock(mutex_);
    if (auto it = calls_.find(k); it != calls_.end()) it->second->cancel();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, mcp_cancellation*> calls_;
};

// A streaming tool's values: gathered for the result (bounded, and ending with the call), and each
// sent as notifications/progress when the client asked for progress.
class mcp_stream_sink final : public stream_sink {
 public:
  mcp_stream_sink(std::string& collected, std::size_t max_bytes, const context& ctx, const std::atomic<bool>& stopping,
                  mcp_channel* channel, std::string_view token)
      : values_(collected, max_bytes, ctx, stopping), channel_(channel), token_(token) {}
  bool send(std::string_view json_text, std::string_view event) override {
    if (!values_.send(json_text, event)) return false;
    ++count_;
    if (channel_ && !token_.empty()) {
      thread_local std::string message;
      message.assign(R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":)");
      message += token_;
      message += R"(,"progress":)";
      json::write(count_, message);
      message += R"(,"message":)";
      json::write_text(json_text, message);
      message += "}}";
      if (!channel_->notify(message)) return false;
    }
    return values_.open();
  }
  bool open() const override { return values_.open(); }
  bool wait_for(std::chrono::milliseconds duration) override { return values_.wait_for(duration); }
  array_sink& values() { return values_; }

 private:
  array_sink values_;
  mcp_channel* channel_;
  std::string_view token_;
  std::size_t count_ = 0;
};

// One tool: the endpoint it calls, and how its answer becomes structuredContent.
struct mcp_tool {
  std::string name;
  std::size_t index = 0;    // in the app's table
  bool structured = false;  // has an outputSchema (its answer is JSON)
  bool wrapped = false;     // before 2026-07-28 the answer is not an object: {"result": answer}
  bool streams = false;
  bool blocks = false;      // answers sb::mcp_content: its blocks are the content
  std::string json;            // its entry in tools/list, before 2026-07-28
  std::string json_stateless;  // from 2026-07-28 (outputSchema unwrapped)
};

inline mcp_tool make_tool(const described_endpoint& e, const json::value& defs, std::size_t index) {
  mcp_tool tool;
  tool.name = e.full_name;
  tool.index = index;
  tool.streams = e.streams;
  json::value entry = json::value::object{};
  entry["name"] = e.full_name;
  if (!e.description.empty()) entry["description"] = e.description;
  entry["inputSchema"] = with_definitions(arguments_schema(e, defs), defs);
  json::value answer = answer_schema(e);
  tool.blocks = !e.streams && ref_target(e.result) == "sb.mcp_content";
  tool.structured = !answer.is_null() && !tool.blocks;
  json::value stateless = entry;
  if (tool.structured) {
    stateless["outputSchema"] = with_definitions(answer, defs);
    tool.wrapped = !is_object_schema(resolved(answer, defs));
    json::value output = tool.wrapped ? json::value::object{} : resolved(answer, defs);
    if (tool.wrapped) {
      output["type"] = "object";
      output["properties"]["result"] = std::move(answer);
      output["required"] = json::value::array{"result"};
    }
    entry["outputSchema"] = with_definitions(std::move(output), defs);
  }
  json::write(entry, tool.json);
  json::write(stateless, tool.json_stateless);
  return tool;
}

// How a message was answered, for a transport that also has statuses (HTTP).
enum class mcp_outcome : std::uint8_t {
  answered,        // a result, or an error of the call itself
  bad_request,     // 2026-07-28: an unsupported version or a missing _meta field (HTTP 400)
  unknown_method,  // (HTTP 404 from 2026-07-28)
};

template <class App>
class mcp_server {
 public:
  mcp_server(App& app, mcp_options options) : app_(app), options_(std::move(options)) {
    const api_description description = read_description(app.describe());
    for (const auto& e : description.endpoints) {
      if (!e.takes_object()) {
        unnamed_ += unnamed_.empty() ? "" : ", ";
        unnamed_ += e.full_name;
        continue;
      }
      tools_.push_back(make_tool(e, description.defs, App::find(e.full_name)));
      if (!options_.qualified_names) {
        const auto same = std::count_if(description.endpoints.begin(), description.endpoints.end(),
                                        [&](const described_endpoint& other) { return other.name == e.name; });
        if (same == 1) rename(tools_.back(), e.name);
      }
    }
    if (options_.page_size == 0) options_.page_size = 1;
    server_info_ = R"({"name":)";
    json::write_text(options_.name, server_info_);
    server_info_ += R"(,"version":)";
    json::write_text(options_.version, server_info_);
    server_info_ += '}';
  }

  static void rename(mcp_tool& tool, const std::string& name) {
    for (std::string* entry : {&tool.json, &tool.json_stateless}) {
      json::value v;
      if (json::parse(*entry, v)) continue;
      v["name"] = name;
      entry->clear();
      json::write(v, *entry);
    }
    tool.name = name;
  }

  // MCP's own methods: none of them can be an endpoint's "<module>.<endpoint>".
  static bool owns(std::string_view method) {
    return method == "initialize" || method == "ping" || method.find('/') != std::string_view::npos;
  }

  const std::vector<mcp_tool>& tools() const { return tools_; }

  // -32022 with the versions this server speaks (2026-07-28's shape, which a client's fallback reads).
  static void write_unsupported_version(std::string& out, std::string_view requested, std::string_view id) {
    out += R"({"jsonrpc":"2.0","error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":[)";
    for (std::size_t i = 0; i < std::size(mcp_versions); ++i) {
      if (i) out += ',';
      json::write(mcp_versions[i], out);
    }
    out += R"(],"requested":)";
    json::write_text(requested, out);
    out += R"(}},"id":)";
    out += id.empty() ? std::string_view("null") : id;
    out += '}';
  }

  // Whether this tools/call sends values before its answer (a stream with a progress token): an
  // HTTP transport then answers with an event stream instead of one JSON body.
  bool sends_progress(const jsonrpc_envelope& envelope, const mcp_request_meta& meta) const {
    if (envelope.method != "tools/call" || !envelope.has_id || meta.progress_token.empty()) return false;
    mcp_call_params params;
    if (json::read(params, envelope.params)) return false;
    const mcp_tool* tool = find(params.name);
    return tool && tool->streams;
  }

  // Answers one message in `out` (nothing for a notification or a response). `scope` keeps one
  // client's request ids apart from another's (an HTTP session); `channel` carries progress.
  mcp_outcome handle(const jsonrpc_envelope& envelope, std::string& out, context& ctx, mcp_channel* channel,
                     std::string_view scope = {}) {
    return handle(envelope, read_mcp_meta(envelope.params), out, ctx, channel, scope);
  }
  mcp_outcome handle(const jsonrpc_envelope& envelope, const mcp_request_meta& meta, std::string& out, context& ctx,
                     mcp_channel* channel, std::string_view scope = {}) {
    out.clear();
    const std::string_view method = envelope.method;
    if (!envelope.has_id) {
      if (method == "notifications/cancelled") cancel(envelope, scope);
      return mcp_outcome::answered;  // notifications/initialized and the rest need nothing
    }
    if (meta.stateless && !refuse_stateless(meta, envelope.id, out)) return mcp_outcome::bad_request;
    // 2026-07-28 has none of the session's methods (initialize, ping): only these.
    const bool known = method == "server/discover" || method == "tools/list" || method == "tools/call" ||
                       (!meta.stateless && (method == "initialize" || method == "ping"));
    if (!known) {
      write_rpc_error(out, method_not_found, "Method not found: " + std::string(method.substr(0, 100)), envelope.id);
      return mcp_outcome::unknown_method;
    }
    if (method == "server/discover") discover(envelope.id, out);
    else if (method == "initialize") initialize(envelope, out);
    else if (method == "ping") result(out, "{}", envelope.id, meta);
    else if (method == "tools/list") list_tools(envelope, meta, out);
    else call_tool(envelope, meta, out, ctx, channel, scope);
    return mcp_outcome::answered;
  }

 private:
  // The answer, with what 2026-07-28 adds to every result (and `extra` members, when given).
  void result(std::string& out, std::string_view object, std::string_view id, const mcp_request_meta& meta,
              std::string_view extra = {}) const {
    out += R"({"jsonrpc":"2.0","result":)";
    if (meta.stateless) {
      out += object.substr(0, object.size() - 1);  // an object: its members go on
      if (object.size() > 2) out += ',';
      out += R"("resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":)";
      out += server_info_;
      out += '}';
      out += extra;
      out += '}';
    } else {
      out += object;
    }
    out += R"(,"id":)";
    out += id;
    out += '}';
  }
  std::string freshness() const {
    return R"(,"ttlMs":)" + std::to_string(options_.cache_ttl_ms) + R"(,"cacheScope":"public")";
  }

  // False, with the error in `out`, when a stateless request cannot be served.
  bool refuse_stateless(const mcp_request_meta& meta, std::string_view id, std::string& out) const {
    if (meta.version != mcp_stateless_version) {
      write_unsupported_version(out, meta.version, id);
      return false;
    }
    if (!meta.has_capabilities) {
      write_rpc_error(out, -32602, "Invalid params: _meta needs io.modelcontextprotocol/clientCapabilities", id);
      return false;
    }
    return true;
  }

  const mcp_tool* find(std::string_view name) const {
    for (const auto& tool : tools_)
      if (tool.name == name) return &tool;
    return nullptr;
  }

  void discover(std::string_view id, std::string& out) const {
    std::string answer = R"({"supportedVersions":[)";
    for (std::size_t i = 0; i < std::size(mcp_versions); ++i) {
      if (i) answer += ',';
      json::write(mcp_versions[i], answer);
    }
    answer += R"(],"capabilities":{"tools":{"listChanged":false}})";
    append_instructions(answer);
    answer += '}';
    mcp_request_meta stateless;
    stateless.stateless = true;
    result(out, answer, id, stateless, freshness());
  }

  void append_instructions(std::string& answer) const {
    if (options_.instructions.empty()) return;
    answer += R"(,"instructions":)";
    json::write_text(options_.instructions, answer);
  }

  void initialize(const jsonrpc_envelope& envelope, std::string& out) const {
    mcp_initialize_params params;
    const bool readable = envelope.params.empty() || !json::read(params, envelope.params);
    if (!readable) return write_rpc_error(out, -32602, "initialize takes {protocolVersion, capabilities, clientInfo}", envelope.id);
    const std::string_view asked = params.protocolVersion ? std::string_view(*params.protocolVersion) : "";
    std::string answer = R"({"protocolVersion":)";
    json::write(mcp_supports(asked) && asked != mcp_stateless_version ? asked : mcp_latest_version, answer);
    answer += R"(,"capabilities":{"tools":{"listChanged":false}},"serverInfo":)";
    answer += server_info_;
    append_instructions(answer);
    answer += '}';
    result(out, answer, envelope.id, {});
  }

  void list_tools(const jsonrpc_envelope& envelope, const mcp_request_meta& meta, std::string& out) {
    // Said once an MCP client asks, not at start-up: an app that is never an MCP server is not warned.
    std::call_once(unnamed_reported_, [this] {
      if (!unnamed_.empty())
        log().write(log_level::warning, "mcp: not offered as tools, their parameters have no names (give them "
                                        "sb::args{...} or one struct): " + unnamed_);
    });
    mcp_list_params params;
    if (!envelope.params.empty() && json::read(params, envelope.params))
      return write_rpc_error(out, -32602, "tools/list takes {cursor}", envelope.id);
    std::size_t first = 0;
    if (params.cursor) {
      const std::string& cursor = *params.cursor;
      const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), first);
      if (ec != std::errc{} || end != cursor.data() + cursor.size() || first > tools_.size())
        return write_rpc_error(out, -32602, "tools/list: this cursor was not given by this server", envelope.id);
    }
    const std::size_t last = std::min(tools_.size(), first + options_.page_size);
    std::string answer = R"({"tools":[)";
    for (std::size_t i = first; i < last; ++i) {
      if (i != first) answer += ',';
      answer += meta.stateless ? tools_[i].json_stateless : tools_[i].json;
    }
    answer += ']';
    if (last < tools_.size()) {
      answer += R"(,"nextCursor":")";
      answer += std::to_string(last);
      answer += '"';
    }
    answer += '}';
    result(out, answer, envelope.id, meta, meta.stateless ? freshness() : std::string());
  }

  void cancel(const jsonrpc_envelope& envelope, std::string_view scope) {
    mcp_cancel_params params;
    if (json::read(params, envelope.params)) return;  // a notification: nobody to tell
    running_.cancel(mcp_running_calls::key(scope, params.requestId.json));
  }

  void call_tool(const jsonrpc_envelope& envelope, const mcp_request_meta& meta, std::string& out, context& caller,
                 mcp_channel* channel, std::string_view scope) {
    mcp_call_params params;
    if (const json::error e = json::read(params, envelope.params))
      return write_rpc_error(out, -32602, "tools/call takes {name, arguments}: " + std::string(e.message()), envelope.id);
    const mcp_tool* tool = find(params.name);
    if (!tool) return write_rpc_error(out, -32602, "Unknown tool: " + params.name.substr(0, 200), envelope.id);

    mcp_cancellation cancellation(caller.hangup);
    const std::string key = mcp_running_calls::key(scope, envelope.id);
    const bool registered = running_.add(key, &cancellation);
    context ctx = caller;
    ctx.hangup = &cancellation;
    ctx.sink = nullptr;  // the app collects a stream's values itself, unless progress is wanted
    std::string collected;
    std::optional<mcp_stream_sink> progress;
    if (tool->streams && !meta.progress_token.empty()) {
      progress.emplace(collected, app_.max_collected_bytes(), ctx, app_.stopping_flag(), channel, meta.progress_token);
      ctx.sink = &*progress;
    }
    thread_local response answer;
    answer.clear();
    const std::string_view arguments = params.arguments ? params.arguments->json : std::string_view("{}");
    app_.call_at(tool->index, {arguments, {}, false}, answer, ctx);
    if (registered) running_.remove(key, &cancellation);
    if (progress && answer.ok()) finish_collection(*progress, collected, answer);
    app_.run_tasks(answer);
    if (cancellation.cancelled()) return;  // the client asked for no answer
    std::string content;
    write_tool_result(content, *tool, answer, tool->wrapped && !meta.stateless);
    result(out, content, envelope.id, meta);
  }

  // The values a progress-reporting stream gathered become its answer, as they would have without.
  void finish_collection(mcp_stream_sink& sink, std::string& collected, response& answer) {
    switch (sink.values().stopped()) {
      case array_sink::stop_reason::too_large:
        return answer.fail(error_kind::payload_too_large,
                           "the stream's values exceeded " + std::to_string(app_.max_collected_bytes()) + " bytes");
      case array_sink::stop_reason::stopping:
        return answer.fail(error_kind::unavailable, "the server is stopping");
      default:
        sink.values().finish();
        answer.body = std::move(collected);
        answer.form = body_form::json;
    }
  }

  static void write_tool_result(std::string& out, const mcp_tool& tool, const response& answer, bool wrap) {
    thread_local std::string text;
    text.clear();
    if (!answer.ok()) {
      answer.write_error_body(text);
      out += R"({"content":[{"type":"text","text":)";
      json::write_text(text, out);
      out += R"(}],"isError":true})";
      return;
    }
    if (answer.form == body_form::json && tool.blocks) return write_blocks(out, answer.body);
    if (answer.form == body_form::json) {
      if (wrap) {
        text += R"({"result":)";
        text += answer.body;
        text += '}';
      } else {
        text += answer.body;
      }
      out += R"({"content":[{"type":"text","text":)";
      json::write_text(text, out);
      out += "}]";
      if (tool.structured) {
        out += R"(,"structuredContent":)";
        out += text;
      }
      out += '}';
      return;
    }
    const std::string_view type = answer.content_type;
    if (answer.form == body_form::binary && (type.starts_with("image/") || type.starts_with("audio/"))) {
      out += R"({"content":[{"type":")";
      out += type.starts_with("image/") ? "image" : "audio";
      out += R"(","data":")";
      base64_encode(reinterpret_cast<const std::uint8_t*>(answer.body.data()), answer.body.size(), out);
      out += R"(","mimeType":)";
      json::write_text(type, out);
      out += "}]}";
      return;
    }
    if (answer.form == body_form::binary || (answer.form == body_form::raw && !textual(answer.content_type))) {
      out += R"({"content":[{"type":"resource","resource":{"uri":)";
      json::write_text("switchboard:///" + tool.name + (answer.filename.empty() ? "" : "/" + answer.filename), out);
      out += R"(,"mimeType":)";
      json::write_text(answer.content_type.empty() ? "application/octet-stream" : answer.content_type, out);
      out += R"(,"blob":")";
      base64_encode(reinterpret_cast<const std::uint8_t*>(answer.body.data()), answer.body.size(), out);
      out += R"("}}]})";
      return;
    }
    // html, text, a redirect (its location) and textual raw bodies
    out += R"({"content":[{"type":"text","text":)";
    json::write_text(answer.body, out);
    out += "}]}";
  }

  // sb::mcp_content as written by the app, without the members its blocks leave empty.
  static void write_blocks(std::string& out, std::string_view body) {
    json::value written;
    if (json::parse(body, written) || !written.is_object()) {
      out += R"({"content":[],"isError":true})";
      return;
    }
    drop_nulls(written);
    json::write(written, out);
  }
  static void drop_nulls(json::value& v) {
    if (auto* members = v.get_if<json::value::object>()) {
      std::erase_if(*members, [](const auto& member) { return member.second.is_null(); });
      for (auto& member : *members) drop_nulls(member.second);
    } else if (auto* elements = v.get_if<json::value::array>()) {
      for (auto& element : *elements) drop_nulls(element);
    }
  }

  static bool textual(std::string_view content_type) {
    return content_type.starts_with("text/") || content_type.find("json") != std::string_view::npos ||
           content_type.find("xml") != std::string_view::npos || content_type.find("javascript") != std::string_view::npos;
  }

  App& app_;
  mcp_options options_;
  std::string server_info_;  // {"name":..,"version":..}
  std::vector<mcp_tool> tools_;
  std::string unnamed_;  // endpoints that cannot be tools
  std::once_flag unnamed_reported_;
  mcp_running_calls running_;
};

}  // namespace sb::detail
