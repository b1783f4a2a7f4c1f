#pragma once
// switchboard: plain C++ functions served as typed endpoints. Include this one header.

#include <switchboard/version.hpp>
#include <switchboard/reflect.hpp>
#include <switchboard/json.hpp>
#include <switchboard/result.hpp>
#include <switchboard/bus.hpp>
#include <switchboard/local_bus.hpp>
#include <switchboard/inbox.hpp>
#include <switchboard/context.hpp>
#include <switchboard/stream.hpp>
#include <switchboard/task.hpp>
#include <switchboard/endpoint.hpp>
#include <switchboard/bind.hpp>
#include <switchboard/ws_handler.hpp>
#include <switchboard/app.hpp>
#include <switchboard/http/request_parser.hpp>
#include <switchboard/http/chunked.hpp>
#include <switchboard/http/multipart.hpp>
#include <switchboard/protocol/sse.hpp>
#include <switchboard/protocol/http_api.hpp>
#include <switchboard/websocket/frame.hpp>
#include <switchboard/websocket/handshake.hpp>
#include <switchboard/protocol/ws_api.hpp>
#include <switchboard/transport/http.hpp>
#include <switchboard/transport/server.hpp>
#include <switchboard/transport/stdio.hpp>
