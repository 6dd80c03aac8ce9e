// Socket operations gathered during one event-loop turn and issued together with one
// io_uring_enter at the turn's end: backend connects and writes.
//
// Why: when the backends share the balancer's core, every connect() or send() that
// wakes a sleeping backend lets the scheduler switch to it at that syscall's return, so a turn
// that forwards 30 requests became 30 proxy/backend round trips of one request each.  Issued in
// one system call, all 30 are queued before either side is switched, the backend serves them in
// one run, and the balancer spends one syscall instead of 30.
//
// Contract:
// - Operations are issued in the order connects, sends (a connection's first bytes may be queued
//   in the turn its connect is), then the cancels of earlier connects.  Only operations that
//   io_uring issues inline, resolving the descriptor during the submit, belong here: a shutdown,
//   for one, runs later in a worker thread, when the descriptor may name another socket.
// - A send carries a pointer into the batch's arena (valid until the batch runs) and an opaque
//   tag.  Sends are non-blocking (MSG_DONTWAIT): each finishes inside the submit with a byte
//   count (possibly short), -EAGAIN, or another -errno, reported through run().  The caller
//   keeps at most one queued send per socket and direction, so a stream is never reordered.
// - A connect on a non-blocking socket usually finishes later (io_uring polls for it); its
//   result arrives through run() or reap() with the caller's token, possibly turns later.
//   Closing the socket does not end a connect in flight (io_uring holds the file): call
//   cancel_connect(token) when giving up on it.
// - Handles are valid for the turn they were queued in: cancel() of a stale handle does nothing.
#pragma once
#include <liburing.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sc::bal {

class IoBatch {
 public:
  using Handle = uint64_t;             // (turn << 32) | index
  static constexpr Handle kNone = 0;   // "nothing queued" (turn numbers start at 1)

  IoBatch() = default;
  IoBatch(const IoBatch&) = delete;
  IoBatch& operator=(const IoBatch&) = delete;
  ~IoBatch();

  // Sets up the ring.  False (errno set) when io_uring is unavailable: callers then use direct
  // system calls.
  bool init();
  bool ready() const { return ready_; }
  // False while run() reports results: what a report handler wants to issue goes direct.
  bool can_queue() const { return ready_ && !running_; }

  // Space in this turn's arena for the next read: at least kMinRead bytes and at most `want`, or
  // null when the arena is full (then write directly).  *cap receives the usable size.
  char* reserve(size_t want, size_t* cap);
  // Queues a send of the first `len` bytes of the space reserve() returned.
  Handle send(int fd, const char* data, uint32_t len, void* tag, uint8_t dir);
  // Queues a connect; `addr` must stay valid until the batch runs.  token != 0.
  Handle connect(int fd, const sockaddr* addr, socklen_t len, uint64_t token);
  // Drops an operation queued this turn (its socket is about to close).
  void cancel(Handle h);
  // True while `h` is queued this turn and not cancelled (not issued yet).
  bool pending(Handle h) const {
    return h != kNone && uint32_t(h >> 32) == turn_ && ops_[uint32_t(h)].live;
  }
  // Asks the kernel to abandon a connect issued in an earlier turn (no-op if it finished).
  void cancel_connect(uint64_t token);
  // The bytes of a queued (possibly cancelled) send.
  const char* data(Handle h) const { return ops_[uint32_t(h)].data; }
  uint32_t length(Handle h) const { return ops_[uint32_t(h)].len; }

  // Issues everything queued.  Reports each live send as on_send(tag, dir, data, len, result)
  // and each finished connect as on_connect(token, result); either may cancel other handles.
  template <typename OnSend, typename OnConnect>
  void run(OnSend&& on_send, OnConnect&& on_connect) {
    if (!ops_.empty() || !cancels_.empty()) submit_all();
    running_ = true;
    for (uint32_t i = 0; i < ops_.size(); i++) {
      Op& op = ops_[i];
      if (op.kind != Kind::Send || !op.live) continue;
      op.live = false;
      on_send(op.tag, op.dir, op.data, op.len, op.result);
    }
    running_ = false;
    ops_.clear();
    used_ = 0;
    if (++turn_ == 0) turn_ = 1;  // 0 would make index 0 of that turn equal kNone
    reap(on_connect);
  }
  // Reports connects that finished since the last call (no system call).
  template <typename OnConnect>
  void reap(OnConnect&& on_connect) {
    for (auto& [token, result] : finished_) on_connect(token, result);
    finished_.clear();
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      seen++;
      uint64_t ud = io_uring_cqe_get_data64(cqe);
      if ((ud & kTagMask) == kConnectTag) on_connect(ud & ~kTagMask, cqe->res);
    }
    if (seen) io_uring_cq_advance(&ring_, seen);
  }

  uint64_t ops_total() const { return ops_total_; }          // operations issued via the ring
  uint64_t submits_total() const { return submits_total_; }  // io_uring_enter calls for them

  static constexpr size_t kArena = 1 << 20;  // bytes read per turn before falling back
  static constexpr size_t kMinRead = 4096;

 private:
  enum class Kind : uint8_t { Connect, Send };
  struct Op {
    Kind kind;
    bool live;           // false: cancelled (or reported)
    uint8_t dir;         // send: caller's direction
    uint32_t len;        // send: bytes; connect: address length
    int fd;
    int32_t result;      // send: bytes sent or -errno
    void* tag;           // send: caller's tag
    const char* data;    // send: bytes in arena_; connect: the sockaddr
    uint64_t token;      // connect: caller's token
  };
  // user_data of the SQEs: sends carry their index, connects kConnectTag | token, the rest
  // kOtherTag.
  static constexpr uint64_t kTagMask = uint64_t(3) << 62;
  static constexpr uint64_t kConnectTag = uint64_t(1) << 62;
  static constexpr uint64_t kOtherTag = uint64_t(2) << 62;

  Handle push(const Op& op);
  void submit_all();

  io_uring ring_{};
  bool ready_ = false;
  bool running_ = false;  // inside run()'s reports: nothing may be queued
  uint32_t turn_ = 1;
  std::vector<Op> ops_;
  std::vector<uint32_t> order_;  // submit_all's issue order, kept for its capacity
  std::vector<uint64_t> cancels_;                         // connect tokens to cancel
  std::vector<std::pair<uint64_t, int32_t>> finished_;  // connect results seen while submitting
  char* arena_ = nullptr;
  size_t used_ = 0;
  uint64_t ops_total_ = 0;
  uint64_t submits_total_ = 0;
};

}  // namespace sc::bal
