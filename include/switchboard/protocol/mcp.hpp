#pragma once
// MCP (the Model Context Protocol) from the same modules: every endpoint that is neither hidden nor
// internal is a tool named "<module>.<endpoint>", its inputSchema the parameters' JSON Schemas under
// their real names and its outputSchema the result's. Transport-neutral: stdio answers these methods
// beside the endpoints' own (so one binary is a JSON-RPC tool and an MCP server, with nothing to
// select), and the HTTP layer serves them at /mcp (Streamable HTTP).
//
// Revisions: 2025-11-25 (what the official SDK 1.x, the Inspector and desktop clients speak) and the
// earlier ones they may ask for (2025-06-18, 2025-03-26, 2024-11-05): initialize echoes a version
// it supports, else answers the latest. Methods: initialize, ping, tools/list (pages of
// mcp_options::page_size, the cursor is opaque), tools/call, notifications/initialized and
// notifications/cancelled; anything else with an id gets -32601.
//
// tools/call: a result is structuredContent (a result that is not an object is wrapped as
// {"result": value}, as outputSchema says) plus the same JSON as a text block. Errors of the call,
// a bad argument included, are results with isError (the text is the error body {"error":{kind,
// message, where}}); an unknown tool is -32602. A streaming endpoint's result is the array of its
// values; with _meta.progressToken each value is also sent at once as notifications/progress
// (progress: the count so far, message: the value as JSON text). notifications/cancelled stops a
// call: its stream's emit() returns false and its sb::context reports cancelled(); it is then not
// answered (an HTTP transport, which must answer the request, sends error -32800).
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
};

}  // namespace sb

namespace sb::detail {

inline constexpr std::string_view mcp_latest_version = "2025-11-25";
inline constexpr std::string_view mcp_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
inline constexpr int mcp_request_cancelled = -32800;

inline bool mcp_supports(std::string_view version) {
  return std::find(std::begin(mcp_versions), std::end(mcp_versions), version) != std::end(mcp_versions);
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
struct mcp_call_meta {
  std::optional<json::raw> progressToken;
};
struct mcp_call_params {
  std::string name;
  std::optional<json::raw> arguments;
  std::optional<mcp_call_meta> _meta;
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
  bool wrapped = false;     // the answer is not an object: structuredContent is {"result": answer}
  bool streams = false;
  std::string json;         // its entry in tools/list
};

inline void append_tool_json(std::string& out, const described_endpoint& e, const json::value& defs, mcp_tool& tool) {
  json::value entry = json::value::object{};
  entry["name"] = e.full_name;
  if (!e.description.empty()) entry["description"] = e.description;
  entry["inputSchema"] = with_definitions(arguments_schema(e, defs), defs);
  json::value answer = answer_schema(e);
  tool.structured = !answer.is_null();
  if (tool.structured) {
    tool.wrapped = !is_object_schema(resolved(answer, defs));
    json::value output = tool.wrapped ? json::value::object{} : resolved(answer, defs);
    if (tool.wrapped) {
      output["type"] = "object";
      output["properties"]["result"] = std::move(answer);
      output["required"] = json::value::array{"result"};
    }
    entry["outputSchema"] = with_definitions(std::move(output), defs);
  }
  json::write(entry, out);
}

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
      mcp_tool tool;
      tool.name = e.full_name;
      tool.index = App::find(e.full_name);
      tool.streams = e.streams;
      append_tool_json(tool.json, e, description.defs, tool);
      tools_.push_back(std::move(tool));
    }
    if (options_.page_size == 0) options_.page_size = 1;
  }

  // MCP's own methods: none of them can be an endpoint's "<module>.<endpoint>".
  static bool owns(std::string_view method) {
    return method == "initialize" || method == "ping" || method.find('/') != std::string_view::npos;
  }

  const std::vector<mcp_tool>& tools() const { return tools_; }

  // Whether this tools/call sends values before its answer (a stream with a progress token): an
  // HTTP transport then answers with an event stream instead of one JSON body.
  bool sends_progress(const jsonrpc_envelope& envelope) const {
    if (envelope.method != "tools/call" || !envelope.has_id) return false;
    mcp_call_params params;
    if (json::read(params, envelope.params)) return false;
    const mcp_tool* tool = find(params.name);
    return tool && tool->streams && params._meta && params._meta->progressToken;
  }

  // Answers one message in `out` (nothing for a notification or a response). `scope` keeps one
  // client's request ids apart from another's (an HTTP session); `channel` carries progress.
  void handle(const jsonrpc_envelope& envelope, std::string& out, context& ctx, mcp_channel* channel,
              std::string_view scope = {}) {
    out.clear();
    const std::string_view method = envelope.method;
    if (!envelope.has_id) {
      if (method == "notifications/cancelled") cancel(envelope, scope);
      return;  // notifications/initialized and the rest need nothing
    }
    if (method == "initialize") return initialize(envelope, out);
    if (method == "ping") return result(out, "{}", envelope.id);
    if (method == "tools/list") return list_tools(envelope, out);
    if (method == "tools/call") return call_tool(envelope, out, ctx, channel, scope);
    write_rpc_error(out, method_not_found, "Method not found: " + std::string(method.substr(0, 100)), envelope.id);
  }

 private:
  static void result(std::string& out, std::string_view json_text, std::string_view id) {
    out += R"({"jsonrpc":"2.0","result":)";
    out += json_text;
    out += R"(,"id":)";
    out += id;
    out += '}';
  }

  const mcp_tool* find(std::string_view name) const {
    for (const auto& tool : tools_)
      if (tool.name == name) return &tool;
    return nullptr;
  }

  void initialize(const jsonrpc_envelope& envelope, std::string& out) {
    mcp_initialize_params params;
    const bool readable = envelope.params.empty() || !json::read(params, envelope.params);
    if (!readable) return write_rpc_error(out, -32602, "initialize takes {protocolVersion, capabilities, clientInfo}", envelope.id);
    const std::string_view asked = params.protocolVersion ? std::string_view(*params.protocolVersion) : "";
    std::string answer = R"({"protocolVersion":)";
    json::write(mcp_supports(asked) ? asked : mcp_latest_version, answer);
    answer += R"(,"capabilities":{"tools":{"listChanged":false}},"serverInfo":{"name":)";
    json::write_text(options_.name, answer);
    answer += R"(,"version":)";
    json::write_text(options_.version, answer);
    answer += '}';
    if (!options_.instructions.empty()) {
      answer += R"(,"instructions":)";
      json::write_text(options_.instructions, answer);
    }
    answer += '}';
    result(out, answer, envelope.id);
  }

  void list_tools(const jsonrpc_envelope& envelope, std::string& out) {
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
      answer += tools_[i].json;
    }
    answer += ']';
    if (last < tools_.size()) {
      answer += R"(,"nextCursor":")";
      answer += std::to_string(last);
      answer += '"';
    }
    answer += '}';
    result(out, answer, envelope.id);
  }

  void cancel(const jsonrpc_envelope& envelope, std::string_view scope) {
    mcp_cancel_params params;
    if (json::read(params, envelope.params)) return;  // a notification: nobody to tell
    running_.cancel(mcp_running_calls::key(scope, params.requestId.json));
  }

  void call_tool(const jsonrpc_envelope& envelope, std::string& out, context& caller, mcp_channel* channel,
                 std::string_view scope) {
    mcp_call_params params;
    if (const json::error e = json::read(params, envelope.params))
      return write_rpc_error(out, -32602, "tools/call takes {name, arguments}: " + std::string(e.message()), envelope.id);
    const mcp_tool* tool = find(params.name);
    if (!tool) return write_rpc_error(out, -32602, "Unknown tool: " + params.name.substr(0, 200), envelope.id);
    const std::string_view token =
        params._meta && params._meta->progressToken ? params._meta->progressToken->json : std::string_view{};

    mcp_cancellation cancellation(caller.hangup);
    const std::string key = mcp_running_calls::key(scope, envelope.id);
    const bool registered = running_.add(key, &cancellation);
    context ctx = caller;
    ctx.hangup = &cancellation;
    ctx.sink = nullptr;  // the app collects a stream's values itself, unless progress is wanted
    std::string collected;
    std::optional<mcp_stream_sink> progress;
    if (tool->streams && !token.empty()) {
      progress.emplace(collected, app_.max_collected_bytes(), ctx, app_.stopping_flag(), channel, token);
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
    write_tool_result(content, *tool, answer);
    result(out, content, envelope.id);
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

  static void write_tool_result(std::string& out, const mcp_tool& tool, const response& answer) {
    thread_local std::string text;
    text.clear();
    if (!answer.ok()) {
      answer.write_error_body(text);
      out += R"({"content":[{"type":"text","text":)";
      json::write_text(text, out);
      out += R"(}],"isError":true})";
      return;
    }
    if (answer.form == body_form::json) {
      if (tool.wrapped) {
        text += R"({"result":)";
        text += answer.body;
        text += '}';
      } else {
        text += answer.body;
      }
      out += R"({"content":[{"type":"text","text":)";
      json::write_text(text, out);
      out += '}', out += ']';
      if (tool.structured) {
        out += R"(,"structuredContent":)";
        out += text;
      }
      out += '}';
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

  static bool textual(std::string_view content_type) {
    return content_type.starts_with("text/") || content_type.find("json") != std::string_view::npos ||
           content_type.find("xml") != std::string_view::npos || content_type.find("javascript") != std::string_view::npos;
  }

  App& app_;
  mcp_options options_;
  std::vector<mcp_tool> tools_;
  std::string unnamed_;  // endpoints that cannot be tools
  std::once_flag unnamed_reported_;
  mcp_running_calls running_;
};

}  // namespace sb::detail
