#pragma once
// sb::task<T>: an endpoint that returns it runs as a coroutine. A stream endpoint written this way
// pauses with `co_await out.pause(ms)`: where the transport can resume it later (sb::server's SSE
// streams) the pause holds no thread at all; elsewhere (cpp-httplib, stdio, a plain /api call) the
// calling thread waits, exactly as a blocking endpoint would. One function serves both.

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace sb {

template <class T = void>
class task;

namespace detail {

// Told when a top-level task has run to its end (its frame stays until its owner destroys it).
class task_driver {
 public:
  virtual void task_finished() noexcept = 0;

 protected:
  ~task_driver() = default;
};

class task_promise_base {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> done) noexcept {
      task_promise_base& promise = done.promise();
      if (promise.continuation) return promise.continuation;  // a task awaited by another task
      if (promise.driver) promise.driver->task_finished();    // may destroy this frame: touch nothing after
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  std::coroutine_handle<> continuation;
  task_driver* driver = nullptr;
  std::exception_ptr error;
};

template <class T>
class task_promise : public task_promise_base {
 public:
  task<T> get_return_object() noexcept;
  void return_value(T value) { value_.emplace(std::move(value)); }  // `co_return {};` works too
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class task_promise<void> : public task_promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

struct task_access;

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task(task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (frame_) frame_.destroy();
      frame_ = std::exchange(other.frame_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (frame_) frame_.destroy();
  }

  // `co_await other_task(...)` inside a task runs it to its end and gives its value (or rethrows).
  auto operator co_await() && noexcept {
    struct awaiter {
      std::coroutine_handle<promise_type> frame;
      bool await_ready() const noexcept { return !frame || frame.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        frame.promise().continuation = caller;
        return frame;
      }
      T await_resume() { return frame.promise().take(); }
    };
    return awaiter{frame_};
  }

 private:
  friend class detail::task_promise<T>;
  friend struct detail::task_access;
  explicit task(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}
  std::coroutine_handle<promise_type> frame_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

template <class T>
inline constexpr bool is_task = false;
template <class T>
inline constexpr bool is_task<task<T>> = true;

// What a task endpoint's value is (the T of sb::task<T>), for delivery and descriptions.
template <class R>
struct task_value {
  using type = R;
};
template <class T>
struct task_value<task<T>> {
  using type = T;
};

// The core's hold on a task: started once, told when it ends, its value taken after.
struct task_access {
  template <class T>
  static std::coroutine_handle<task_promise<T>> frame(task<T>& t) noexcept {
    return t.frame_;
  }
};

// Runs a task to its end on this thread, for callers that cannot let it go on later. Its pauses do
// not suspend here (the sink waits instead), but an awaitable of the user's own may; then this
// thread waits for whichever thread ends it.
template <class T>
T run_to_end(task<T>& t) {
  struct waiter final : task_driver {
    std::mutex mutex;
    std::condition_variable ended;
    bool done = false;
    void task_finished() noexcept override {
      std::lock_guard lock(mutex);  // held while notifying: the waiter may be gone right after
      done = true;
      ended.notify_one();
    }
  } wait;
  auto frame = task_access::frame(t);
  frame.promise().driver = &wait;
  frame.resume();
  std::unique_lock lock(wait.mutex);
  wait.ended.wait(lock, [&] { return wait.done; });
  return frame.promise().take();
}

}  // namespace detail
}  // namespace sb
