// Socket writes gathered during one event-loop turn and issued together with one io_uring_enter
// at the turn's end.
//
// Why: when the backends share the balancer's core, every send() that wakes a sleeping backend
// lets the scheduler switch to it at that syscall's return, so a turn that forwards 30 requests
// turns into 30 proxy/backend round trips of one request each.  Issued in one system call, the
// 30 sends are all queued before either side is switched, the backend answers them in one run,
// and the balancer spends one syscall instead of 30.
//
// Contract: a queued send carries a pointer into the batch's arena (valid until the batch runs)
// and an opaque tag.  Sends are non-blocking (MSG_DONTWAIT): each finishes inside the submit
// with a byte count (possibly short), -EAGAIN, or another -errno.  The caller keeps at most one
// queued send per socket and direction, so the bytes of one stream are never reordered.
#pragma once
#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sc::bal {

class SendBatch {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;  // "no queued send" for callers' indexes

  SendBatch() = default;
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;
  ~SendBatch();

  // Sets up the ring.  False (errno set) when io_uring is unavailable: callers then write directly.
  bool init();
  bool ready() const { return ready_; }
  bool empty() const { return ops_.empty(); }

  // Space in this turn's arena for the next read: at least kMinRead bytes and at most `want`, or
  // null when the arena is full (then write directly).  *cap receives the usable size.
  char* reserve(size_t want, size_t* cap);
  // Queues a send of the first `len` bytes of the space reserve() returned; returns its index.
  uint32_t queue(int fd, const char* data, uint32_t len, void* tag, uint8_t dir);
  // Drops a queued send (its connection closed or moved); its bytes stay readable via data().
  void cancel(uint32_t index) { ops_[index].tag = nullptr; }
  const char* data(uint32_t index) const { return ops_[index].data; }
  uint32_t length(uint32_t index) const { return ops_[index].len; }

  // Issues every queued send and reports each live one as done(tag, dir, data, len, result);
  // `done` may cancel other queued sends.  The arena is reused afterwards.
  template <typename Done>
  void run(Done&& done) {
    submit_all();
    for (uint32_t i = 0; i < ops_.size(); i++) {
      Op& op = ops_[i];
      if (!op.tag) continue;
      void* tag = op.tag;
      op.tag = nullptr;
      done(tag, op.dir, op.data, op.len, op.result);
    }
    ops_.clear();
    used_ = 0;
  }

  uint64_t sends_total() const { return sends_total_; }      // sends issued via the ring
  uint64_t submits_total() const { return submits_total_; }  // io_uring_enter calls for them

  static constexpr size_t kArena = 1 << 20;  // bytes read per turn before falling back
  static constexpr size_t kMinRead = 4096;

 private:
  struct Op {
    void* tag;          // null: cancelled
    const char* data;   // in arena_
    uint32_t len;
    int32_t result;     // bytes sent or -errno
    int fd;
    uint8_t dir;
  };
  void submit_all();

  io_uring ring_{};
  bool ready_ = false;
  unsigned entries_ = 0;
  std::vector<Op> ops_;
  char* arena_ = nullptr;
  size_t used_ = 0;
  uint64_t sends_total_ = 0;
  uint64_t submits_total_ = 0;
};

}  // namespace sc::bal
