#pragma once
// Drives a hiredis asynchronous context from an Asio event loop. hiredis says when it wants to read
// or write (its ev.addRead/delRead/addWrite/delWrite hooks); Asio waits on the socket and hands the
// readiness back. Every call, hooks included, happens on the loop's thread: hiredis is not
// thread-safe. Works with hiredis 0.14 (Debian 12) and 1.x (Debian 13, vcpkg, Conan): both have the
// same five hooks (1.x adds an optional timer hook, left unset: switchboard keeps its own timers).

#include <hiredis/async.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <memory>
#include <system_error>

namespace sb::detail {

class hiredis_asio_watcher : public std::enable_shared_from_this<hiredis_asio_watcher> {
 public:
  // From now on hiredis owns the watcher: its cleanup hook, called when the context is freed,
  // lets go of it. Waits still pending then hold it alive until they are cancelled.
  static void attach(asio::io_context& loop, redisAsyncContext* context) {
    auto watcher = std::make_shared<hiredis_asio_watcher>(loop, context);
    watcher->self_ = watcher;
    context->ev.data = watcher.get();
    context->ev.addRead = [](void* w) { static_cast<hiredis_asio_watcher*>(w)->want(true); };
    context->ev.delRead = [](void* w) { static_cast<hiredis_asio_watcher*>(w)->read_.wanted = false; };
    context->ev.addWrite = [](void* w) { static_cast<hiredis_asio_watcher*>(w)->want(false); };
    context->ev.delWrite = [](void* w) { static_cast<hiredis_asio_watcher*>(w)->write_.wanted = false; };
    context->ev.cleanup = [](void* w) { static_cast<hiredis_asio_watcher*>(w)->detach(); };
  }

  hiredis_asio_watcher(asio::io_context& loop, redisAsyncContext* context)
      : socket_(loop, context->c.fd), context_(context) {}
  ~hiredis_asio_watcher() { release_socket(); }
  hiredis_asio_watcher(const hiredis_asio_watcher&) = delete;
  hiredis_asio_watcher& operator=(const hiredis_asio_watcher&) = delete;

 private:
  struct side {
    bool wanted = false;   // hiredis asked for this readiness
    bool waiting = false;  // an Asio wait for it is pending
  };
  side& side_of(bool reading) { return reading ? read_ : write_; }

  void want(bool reading) {
    side_of(reading).wanted = true;
    arm(reading);
  }

  // One pending wait per side; hiredis's add/del calls only flip `wanted`, so a wait that completes
  // after a del does nothing and is not renewed.
  void arm(bool reading) {
    side& s = side_of(reading);
    if (s.waiting || !context_ || !socket_.is_open()) return;
    s.waiting = true;
    socket_.async_wait(reading ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write,
                       [self = shared_from_this(), reading](const std::error_code& error) {
                         side& waited = self->side_of(reading);
                         waited.waiting = false;
                         if (error || !self->context_ || !waited.wanted) return;
                         if (reading) redisAsyncHandleRead(self->context_);
                         else redisAsyncHandleWrite(self->context_);
                         // The handler may have freed the context (an error, a disconnect): detach()
                         // has then run and context_ is null.
                         if (self->context_ && waited.wanted) self->arm(reading);
                       });
  }

  // hiredis is freeing the context: the socket is its to close, not Asio's.
  void detach() {
    context_ = nullptr;
    release_socket();
    self_.reset();  // may destroy this watcher: nothing after it
  }

  void release_socket() {
    if (socket_.is_open()) socket_.release();  // cancels the pending waits, leaves the fd open
  }

  asio::posix::stream_descriptor socket_;
  redisAsyncContext* context_;
  side read_, write_;
  std::shared_ptr<hiredis_asio_watcher> self_;
};

}  // namespace sb::detail
