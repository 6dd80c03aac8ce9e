#include "send_batch.h"

#include <errno.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

#include "log.h"

namespace sc::bal {

namespace {
constexpr unsigned kEntries = 256;  // sends per io_uring_enter; more are issued in rounds
}

SendBatch::~SendBatch() {
  if (ready_) io_uring_queue_exit(&ring_);
  std::free(arena_);
}

bool SendBatch::init() {
  // One thread submits and reaps, and completions are only looked at after the submit returns:
  // tell the kernel so (5.19+/6.0+); older kernels reject the flags, then go without them.
  unsigned flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
  int r = io_uring_queue_init(kEntries, &ring_, flags);
  if (r == -EINVAL) r = io_uring_queue_init(kEntries, &ring_, 0);
  if (r < 0) {
    errno = -r;
    return false;
  }
  arena_ = static_cast<char*>(std::malloc(kArena));
  if (!arena_) std::abort();
  entries_ = kEntries;
  ops_.reserve(kEntries);
  ready_ = true;
  return true;
}

char* SendBatch::reserve(size_t want, size_t* cap) {
  size_t left = kArena - used_;
  if (left < kMinRead) return nullptr;
  *cap = want < left ? want : left;
  return arena_ + used_;
}

uint32_t SendBatch::queue(int fd, const char* data, uint32_t len, void* tag, uint8_t dir) {
  SC_ASSERT(data == arena_ + used_ && used_ + len <= kArena);
  used_ += len;
  ops_.push_back(Op{tag, data, len, 0, fd, dir});
  return uint32_t(ops_.size() - 1);
}

void SendBatch::submit_all() {
  size_t next = 0;
  while (next < ops_.size()) {
    unsigned n = 0;
    for (size_t i = next; i < ops_.size() && n < entries_; i++) {
      Op& op = ops_[i];
      if (!op.tag) continue;
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      SC_ASSERT(sqe);
      // MSG_DONTWAIT: a full socket buffer completes at once with -EAGAIN (or a short count)
      // instead of parking the send inside the kernel.
      io_uring_prep_send(sqe, op.fd, op.data, op.len, MSG_DONTWAIT | MSG_NOSIGNAL);
      io_uring_sqe_set_data64(sqe, i);
      n++;
      next = i + 1;
    }
    if (n == 0) break;
    sends_total_ += n;
    submits_total_++;
    int r;
    do r = io_uring_submit_and_wait(&ring_, n);
    while (r == -EINTR);
    if (r < 0) {  // the ring itself failed: report every send of this round as failed
      SC_LOG(Warning, "io_uring_enter: %s", strerror(-r));
      for (size_t i = 0; i < next; i++)
        if (ops_[i].tag && ops_[i].result == 0) ops_[i].result = r;
      break;
    }
    unsigned seen = 0;
    while (seen < n) {
      io_uring_cqe* cqe = nullptr;
      int w = io_uring_wait_cqe(&ring_, &cqe);
      if (w == -EINTR) continue;
      if (w < 0) break;
      ops_[io_uring_cqe_get_data64(cqe)].result = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      seen++;
    }
  }
}

}  // namespace sc::bal
