#pragma once
// Newline framing of a byte stream, as stdio's JSON-RPC and event lines use it. Pure: no I/O
// (fuzzed by tests/fuzz/stdio_fuzz.cpp).

#include <cstddef>
#include <string>
#include <string_view>

namespace sb::detail {

// Cuts a byte stream into lines at '\n' (a '\r' before it is dropped). An unfinished line is held
// only up to max_line bytes: past that its bytes are counted and discarded until its end, and
// on_overlong(length) is called instead of on_line. Complete lines inside one chunk are handed out as
// views of that chunk, without copying.
class line_splitter {
 public:
  explicit line_splitter(std::size_t max_line) : max_(max_line) {}

  template <class OnLine, class OnOverlong>
  void feed(std::string_view bytes, OnLine&& on_line, OnOverlong&& on_overlong) {
    while (!bytes.empty()) {
      const std::size_t newline = bytes.find('\n');
      const std::string_view piece = bytes.substr(0, newline);
      if (skipping_) {
        skipped_ += piece.size();
        if (!piece.empty()) skipped_cr_ = piece.back() == '\r';
        if (newline == std::string_view::npos) return;
        const std::size_t length = skipped_ - (skipped_cr_ ? 1 : 0);  // as for any line, without its '\r'
        skipping_ = false;
        skipped_ = 0;
        skipped_cr_ = false;
        bytes.remove_prefix(newline + 1);
        on_overlong(length);
        continue;
      }
      if (newline == std::string_view::npos) {
        // A line that ends in '\r' may hold one byte more than the limit until its '\n' arrives.
        if (partial_.size() + piece.size() > max_ + 1) {
          skipping_ = true;
          skipped_ = partial_.size() + piece.size();
          skipped_cr_ = piece.empty() ? partial_.back() == '\r' : piece.back() == '\r';
          partial_.clear();
          if (partial_.capacity() > shrink_above) std::string().swap(partial_);
        } else {
          partial_.append(piece);
        }
        return;
      }
      bytes.remove_prefix(newline + 1);
      if (partial_.empty()) {
        deliver(piece, on_line, on_overlong);
      } else {
        partial_.append(piece);
        deliver(partial_, on_line, on_overlong);
        partial_.clear();
        if (partial_.capacity() > shrink_above) std::string().swap(partial_);
      }
    }
  }

  // End of input: an unterminated last line counts as a line.
  template <class OnLine, class OnOverlong>
  void finish(OnLine&& on_line, OnOverlong&& on_overlong) {
    if (skipping_) {
      const std::size_t length = skipped_ - (skipped_cr_ ? 1 : 0);
      skipping_ = false;
      skipped_ = 0;
      skipped_cr_ = false;
      on_overlong(length);
    } else if (!partial_.empty()) {
      std::string last;
      last.swap(partial_);
      deliver(last, on_line, on_overlong);
    }
  }

  std::size_t buffered() const { return partial_.size(); }

 private:
  static constexpr std::size_t shrink_above = std::size_t{1} << 16;

  template <class OnLine, class OnOverlong>
  void deliver(std::string_view line, OnLine& on_line, OnOverlong& on_overlong) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_) on_overlong(line.size());
    else on_line(line);
  }

  std::size_t max_;
  std::string partial_;
  bool skipping_ = false;
  bool skipped_cr_ = false;  // the last byte skipped was '\r'
  std::size_t skipped_ = 0;
};

}  // namespace sb::detail
