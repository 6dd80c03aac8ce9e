// A growable byte buffer with a read offset: appended at the tail, consumed from the head.
// Used for socket input/output in the broker and the tests.  Not thread-safe.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace sc {

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(data_); }

  const char* data() const { return data_ + head_; }   // first unconsumed byte
  char* mutable_data() { return data_ + head_; }
  size_t size() const { return tail_ - head_; }          // unconsumed bytes
  bool empty() const { return tail_ == head_; }
  size_t capacity() const { return cap_; }               // bytes allocated (for memory accounting)
  std::string_view view() const { return {data(), size()}; }

  // Space to write `n` more bytes at the tail; commit them with `commit(n)`.
  char* prepare(size_t n) {
    if (cap_ - tail_ < n) grow(n);
    return data_ + tail_;
  }
  void commit(size_t n) { tail_ += n; }
  char* tail_ptr() { return data_ + tail_; }
  size_t tail_room() const { return cap_ - tail_; }

  void append(const void* p, size_t n) {
    std::memcpy(prepare(n), p, n);
    tail_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push_back(char ch) {
    *prepare(1) = ch;
    tail_ += 1;
  }

  // Drops `n` bytes from the head.  When everything is consumed the offsets reset to zero.
  void consume(size_t n) {
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;
  }
  void clear() { head_ = tail_ = 0; }

  // Moves the unconsumed bytes to the front and reallocates to max(size(), min_cap) bytes when
  // that is smaller than what is allocated (0: frees the allocation).  For a buffer that grew
  // for one big request and then stays mostly empty.
  void shrink_to(size_t min_cap) {
    size_t want = size() > min_cap ? size() : min_cap;
    if (want >= cap_) return;
    if (want == 0) {
      std::free(data_);
      data_ = nullptr;
      cap_ = head_ = tail_ = 0;
      return;
    }
    if (head_ > 0) {
      std::memmove(data_, data_ + head_, tail_ - head_);
      tail_ -= head_;
      head_ = 0;
    }
    char* p = static_cast<char*>(std::realloc(data_, want));
    if (!p) return;  // keeping the larger block is always correct
    data_ = p;
    cap_ = want;
  }

  // Gives memory back when a large buffer is empty again (a client that once sent or received a
  // big value must not keep holding it).
  void shrink_if_idle(size_t keep) {
    if (head_ == tail_ && cap_ > keep) {
      std::free(data_);
      data_ = nullptr;
      cap_ = head_ = tail_ = 0;
    }
  }

 private:
  void grow(size_t n) {
    // Move unconsumed bytes to the front first; grow only if that is not enough.
    if (head_ > 0) {
      std::memmove(data_, data_ + head_, tail_ - head_);
      tail_ -= head_;
      head_ = 0;
      if (cap_ - tail_ >= n) return;
    }
    size_t want = tail_ + n;
    size_t ncap = cap_ ? cap_ : 1024;
    while (ncap < want) ncap = ncap < (64u << 20) ? ncap * 2 : ncap + (64u << 20);
    char* p = static_cast<char*>(std::realloc(data_, ncap));
    if (!p) std::abort();
    data_ = p;
    cap_ = ncap;
  }

  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t head_ = 0;
  size_t tail_ = 0;
};

}  // namespace sc
