// The limit for bench_stdio: a plain C++ program that echoes every complete line from stdin to
// stdout, a 64 KiB read at a time, doing nothing else.
#include <unistd.h>

#include <cstring>
#include <string>

int main() {
  std::string buffer(std::size_t{1} << 16, '\0');
  std::size_t kept = 0;  // bytes of an unfinished line at the front of buffer
  for (;;) {
    if (kept == buffer.size()) buffer.resize(buffer.size() * 2);
    const ssize_t n = ::read(0, buffer.data() + kept, buffer.size() - kept);
    if (n <= 0) break;
    const std::size_t filled = kept + static_cast<std::size_t>(n);
    const void* last = ::memrchr(buffer.data(), '\n', filled);
    if (!last) {
      kept = filled;
      continue;
    }
    const std::size_t complete = static_cast<std::size_t>(static_cast<const char*>(last) - buffer.data()) + 1;
    for (std::size_t done = 0; done < complete;) {
      const ssize_t w = ::write(1, buffer.data() + done, complete - done);
      if (w <= 0) return 1;
      done += static_cast<std::size_t>(w);
    }
    kept = filled - complete;
    std::memmove(buffer.data(), buffer.data() + complete, kept);
  }
  return 0;
}
