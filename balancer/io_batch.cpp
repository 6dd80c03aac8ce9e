#include "io_batch.h"

#include <errno.h>

#include <cstdlib>
#include <cstring>

#include "log.h"

namespace sc::bal {

namespace {
constexpr unsigned kEntries = 256;  // operations per io_uring_enter; more are issued in rounds
}

IoBatch::~IoBatch() {
  if (ready_) io_uring_queue_exit(&ring_);
  std::free(arena_);
}

bool IoBatch::init() {
  // One thread submits and reaps, and completions are only looked at after a submit or from the
  // loop: tell the kernel so (5.18+/6.0+); older kernels reject the flags, then go without them.
  unsigned flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
  int r = io_uring_queue_init(kEntries, &ring_, flags);
  if (r == -EINVAL) r = io_uring_queue_init(kEntries, &ring_, 0);
  if (r < 0) {
    errno = -r;
    return false;
  }
  // Kernels before 5.6 lack IORING_OP_SEND (5.5: CONNECT, ASYNC_CANCEL): then no batch at all.
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  bool ops_ok = probe && io_uring_opcode_supported(probe, IORING_OP_SEND) &&
                io_uring_opcode_supported(probe, IORING_OP_CONNECT) &&
                io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  if (probe) io_uring_free_probe(probe);
  if (!ops_ok) {
    io_uring_queue_exit(&ring_);
    errno = ENOSYS;
    return false;
  }
  arena_ = static_cast<char*>(std::malloc(kArena));
  if (!arena_) std::abort();
  // Touched once now: a fixed 1 MiB of RSS from the start rather than growth that would look
  // like per-connection cost as busier turns reach further into the arena.
  std::memset(arena_, 0, kArena);
  ops_.reserve(kEntries);
  ready_ = true;
  return true;
}

char* IoBatch::reserve(size_t want, size_t* cap) {
  size_t left = kArena - used_;
  if (left < kMinRead) return nullptr;
  *cap = want < left ? want : left;
  return arena_ + used_;
}

IoBatch::Handle IoBatch::push(const Op& op) {
  SC_ASSERT(!running_);
  ops_.push_back(op);
  return (Handle(turn_) << 32) | uint32_t(ops_.size() - 1);
}

IoBatch::Handle IoBatch::send(int fd, const char* data, uint32_t len, void* tag, uint8_t dir) {
  SC_ASSERT(data == arena_ + used_ && used_ + len <= kArena);
  used_ += len;
  return push(Op{Kind::Send, true, dir, len, fd, 0, tag, data, 0});
}

IoBatch::Handle IoBatch::connect(int fd, const sockaddr* addr, socklen_t len, uint64_t token) {
  SC_ASSERT(token != 0 && (token & kTagMask) == 0);
  return push(Op{Kind::Connect, true, 0, uint32_t(len), fd, 0, nullptr,
                 reinterpret_cast<const char*>(addr), token});
}

void IoBatch::cancel(Handle h) {
  if (h == kNone || uint32_t(h >> 32) != turn_) return;  // issued in an earlier turn
  ops_[uint32_t(h)].live = false;
}

void IoBatch::cancel_connect(uint64_t token) { cancels_.push_back(token); }

void IoBatch::submit_all() {
  // The issue order: every connect, then every send, then the cancels.
  std::vector<uint32_t>& order = order_;  // reused: no allocation per turn
  order.clear();
  for (Kind k : {Kind::Connect, Kind::Send})
    for (uint32_t i = 0; i < ops_.size(); i++)
      if (ops_[i].live && ops_[i].kind == k) order.push_back(i);
  size_t next = 0, next_cancel = 0;
  while (next < order.size() || next_cancel < cancels_.size()) {
    unsigned n = 0, sends = 0;
    for (; next < order.size() && n < kEntries; next++, n++) {
      Op& op = ops_[order[next]];
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      SC_ASSERT(sqe);
      switch (op.kind) {
        case Kind::Connect:
          io_uring_prep_connect(sqe, op.fd, reinterpret_cast<const sockaddr*>(op.data), op.len);
          io_uring_sqe_set_data64(sqe, kConnectTag | op.token);
          break;
        case Kind::Send:
          // MSG_DONTWAIT: a full socket buffer completes at once with -EAGAIN (or a short
          // count) instead of parking the send inside the kernel.
          io_uring_prep_send(sqe, op.fd, op.data, op.len, MSG_DONTWAIT | MSG_NOSIGNAL);
          io_uring_sqe_set_data64(sqe, order[next]);
          op.result = -EINPROGRESS;  // not reported yet
          sends++;
          break;
      }
    }
    for (; next == order.size() && next_cancel < cancels_.size() && n < kEntries; next_cancel++, n++) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      SC_ASSERT(sqe);
      io_uring_prep_cancel64(sqe, kConnectTag | cancels_[next_cancel], 0);
      io_uring_sqe_set_data64(sqe, kOtherTag);
    }
    ops_total_ += n;
    submits_total_++;
    int r;
    do r = io_uring_submit(&ring_);
    while (r == -EINTR);
    if (r < 0) {  // the ring itself failed: report this round's sends as failed
      SC_LOG(Warning, "io_uring_enter: %s", strerror(-r));
      for (auto& op : ops_)
        if (op.kind == Kind::Send && op.result == -EINPROGRESS) op.result = r;
      break;
    }
    // Sends finish inside the submit; collect until every one of this round has its result.
    while (sends > 0) {
      io_uring_cqe* cqe = nullptr;
      int w = io_uring_wait_cqe(&ring_, &cqe);
      if (w == -EINTR) continue;
      if (w < 0) {
        SC_LOG(Warning, "io_uring_wait_cqe: %s", strerror(-w));
        for (auto& op : ops_)
          if (op.kind == Kind::Send && op.result == -EINPROGRESS) op.result = w;
        break;
      }
      uint64_t ud = io_uring_cqe_get_data64(cqe);
      if ((ud & kTagMask) == 0) {
        ops_[ud].result = cqe->res;
        sends--;
      } else if ((ud & kTagMask) == kConnectTag) {
        finished_.emplace_back(ud & ~kTagMask, cqe->res);
      }
      io_uring_cqe_seen(&ring_, cqe);
    }
  }
  cancels_.clear();
}

}  // namespace sc::bal
