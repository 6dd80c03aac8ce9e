// The master of `--workers N` (see master.h for the contract): fork, respawn with back-off,
// rolling restart, drain, and the workers' stderr gathered into one log.  One poll() loop over
// a self-pipe for signals and two pipes per worker (its stderr, its "listening" byte).
#include "master.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "log.h"
#include "scluster/worker.h"

namespace sc {
namespace {

constexpr double kStableSeconds = 5;    // a worker up this long ends a crash streak
constexpr double kMaxBackoff = 8;       // seconds between respawns of a crash-looping worker
constexpr size_t kMaxLine = 64 * 1024;  // a longer worker line is cut into pieces
const int kSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGUSR2};

int g_sig_pipe[2] = {-1, -1};

void on_signal(int sig) {
  int saved = errno;
  unsigned char c = static_cast<unsigned char>(sig);
  ssize_t r = write(g_sig_pipe[1], &c, 1);  // full pipe: a signal of that kind is pending anyway
  (void)r;
  errno = saved;
}

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Delay before respawning a worker that died, given how many died in a row within
// kStableSeconds of their start (including this one): 0, 0.25, 0.5, 1, 2, 4, 8, 8... s.
double backoff(int streak) {
  if (streak <= 1) return 0;
  return std::min(kMaxBackoff, 0.25 * double(1 << std::min(streak - 2, 6)));
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return std::string("killed by signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "stopped";
}

struct Proc {
  int id = 0;
  pid_t pid = 0;
  int log_fd = -1;    // read end of the worker's stderr
  int ready_fd = -1;  // read end of its "listening" pipe (closed once read)
  bool ready = false;
  bool retiring = false;  // asked to exit (rolling restart): not respawned as a crash
  double started = 0;
  std::string partial;  // an unfinished stderr line
};

struct Slot {
  int streak = 0;           // deaths in a row, each within kStableSeconds of its start
  double respawn_at = -1;   // >= 0: fork a new worker then
  bool ever_ready = false;  // listened once: a later death is a crash, not a start failure
};

class Master {
 public:
  Master(const Options& opt, MasterChild* child) : opt_(opt), child_(child) {}
  bool run(int* exit_code);

 private:
  const Options& opt_;
  MasterChild* child_;
  bool am_child_ = false;  // set in the forked child: every loop returns at once
  pid_t self_ = 0;
  int out_fd_ = 2;  // where worker lines go: stderr or our own fd on --logfile
  std::vector<Proc> procs_;
  std::vector<Slot> slots_;
  bool stopping_ = false;
  double kill_at_ = 0;
  int exit_code_ = 0;
  std::deque<int> roll_;  // worker ids still to restart, front: the one being replaced
  struct sigaction old_[4];
  struct sigaction old_pipe_;

  int port_of(int id) const { return opt_.reuseport ? opt_.port : opt_.port + id; }
  Proc* current(int id);
  void spawn(int id);
  void stop_all(const char* why);
  void on_ready(Proc& p);
  void on_exit(pid_t pid, int status);
  void reap();
  void roll_next();
  void read_log(Proc& p, bool to_eof);
  void write_line(int id, const char* s, size_t n);
  void restore_signals();
};

Proc* Master::current(int id) {
  for (auto& p : procs_)
    if (p.id == id && !p.retiring) return &p;
  return nullptr;
}

void Master::restore_signals() {
  for (size_t i = 0; i < std::size(kSignals); i++) sigaction(kSignals[i], &old_[i], nullptr);
  sigaction(SIGPIPE, &old_pipe_, nullptr);
}

void Master::write_line(int id, const char* s, size_t n) {
  std::string line = "[w" + std::to_string(id) + "] ";
  line.append(s, n);
  line.push_back('\n');
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t w = write(out_fd_, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the log is gone: nothing better to do with the line
    p += w;
    left -= size_t(w);
  }
}

// Reads what the worker wrote and logs every complete line; with to_eof (the worker is dead)
// also the unfinished rest, then closes the pipe.
void Master::read_log(Proc& p, bool to_eof) {
  if (p.log_fd < 0) return;
  char buf[16384];
  for (;;) {
    ssize_t n = read(p.log_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      p.partial.append(buf, size_t(n));
      size_t start = 0, nl;
      while ((nl = p.partial.find('\n', start)) != std::string::npos) {
        write_line(p.id, p.partial.data() + start, nl - start);
        start = nl + 1;
      }
      p.partial.erase(0, start);
      if (p.partial.size() >= kMaxLine) {
        write_line(p.id, p.partial.data(), p.partial.size());
        p.partial.clear();
      }
      if (!to_eof) return;  // poll() says when there is more
      continue;
    }
    if (n < 0 && errno == EAGAIN && !to_eof) return;
    // EOF, or (dead worker) nothing more now: a descendant that kept the pipe is not waited for.
    if (!p.partial.empty()) write_line(p.id, p.partial.data(), p.partial.size());
    p.partial.clear();
    close(p.log_fd);
    p.log_fd = -1;
    return;
  }
}

void Master::spawn(int id) {
  slots_[id].respawn_at = -1;
  int logp[2], readyp[2];
  if (pipe2(logp, O_CLOEXEC) != 0) {
    SC_LOG(Warning, "master: pipe: %s; worker %d retried in 1 s", std::strerror(errno), id);
    slots_[id].respawn_at = now_s() + 1;
    return;
  }
  if (pipe2(readyp, O_CLOEXEC) != 0) {
    SC_LOG(Warning, "master: pipe: %s; worker %d retried in 1 s", std::strerror(errno), id);
    close(logp[0]);
    close(logp[1]);
    slots_[id].respawn_at = now_s() + 1;
    return;
  }
  std::fflush(nullptr);  // what stdio holds is written once, not once per process
  pid_t pid = fork();
  if (pid < 0) {
    SC_LOG(Warning, "master: fork: %s; worker %d retried in 1 s", std::strerror(errno), id);
    for (int fd : {logp[0], logp[1], readyp[0], readyp[1]}) close(fd);
    slots_[id].respawn_at = now_s() + 1;
    return;
  }
  if (pid == 0) {
    // The child: drop everything of the master's, then return up to Worker::run().
    am_child_ = true;
    for (auto& p : procs_) {
      if (p.log_fd >= 0) close(p.log_fd);
      if (p.ready_fd >= 0) close(p.ready_fd);
    }
    close(g_sig_pipe[0]);
    close(g_sig_pipe[1]);
    if (out_fd_ != 2) close(out_fd_);
    restore_signals();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // A master killed with SIGKILL leaves no orphan serving clients: the worker drains.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != self_) _exit(1);  // the master died before prctl took effect
    dup2(logp[1], 2);                  // dup2 clears FD_CLOEXEC on 2
    close(logp[0]);
    close(logp[1]);
    close(readyp[0]);
    setenv("SCLUSTER_WORKER_ID", std::to_string(id).c_str(), 1);
    setenv("SCLUSTER_WORKER_COUNT", std::to_string(opt_.workers).c_str(), 1);
    child_->id = id;
    child_->ready_fd = readyp[1];
    return;
  }
  close(logp[1]);
  close(readyp[1]);
  fcntl(logp[0], F_SETFL, O_NONBLOCK);
  fcntl(readyp[0], F_SETFL, O_NONBLOCK);
  Proc p;
  p.id = id;
  p.pid = pid;
  p.log_fd = logp[0];
  p.ready_fd = readyp[0];
  p.started = now_s();
  procs_.push_back(std::move(p));
  SC_LOG(Verbose, "master: worker %d started, pid %d", id, int(pid));
}

void Master::stop_all(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  roll_.clear();
  kill_at_ = now_s() + opt_.shutdown_timeout_ms / 1000.0 + 1;
  SC_LOG(Notice, "master: %s: stopping %zu worker(s)", why, procs_.size());
  for (auto& p : procs_) kill(p.pid, SIGTERM);
}

void Master::on_ready(Proc& p) {
  p.ready = true;
  Slot& s = slots_[p.id];
  s.ever_ready = true;
  SC_LOG(Notice, "master: worker %d (pid %d) listening on port %d", p.id, int(p.pid),
         port_of(p.id));
  if (!roll_.empty() && roll_.front() == p.id && !p.retiring) {
    // With --reuseport the old one served until now; it may go.
    for (auto& o : procs_)
      if (o.id == p.id && o.retiring) kill(o.pid, SIGTERM);
    roll_.pop_front();
    roll_next();
  }
}

// Starts replacing the worker at the front of roll_ (skipping ids with no live worker: their
// respawn is a new process anyway).  Without --reuseport the old one must free its port first,
// and its replacement is forked when it exits (on_exit).
void Master::roll_next() {
  while (!roll_.empty()) {
    int id = roll_.front();
    Proc* old = current(id);
    if (!old) {
      roll_.pop_front();
      continue;
    }
    SC_LOG(Notice, "master: rolling restart of worker %d (pid %d)", id, int(old->pid));
    old->retiring = true;
    if (opt_.reuseport) {
      spawn(id);  // the old one keeps serving until the new one listens
    } else {
      kill(old->pid, SIGTERM);
    }
    return;
  }
  SC_LOG(Notice, "master: rolling restart done");
}

void Master::on_exit(pid_t pid, int status) {
  auto it = std::find_if(procs_.begin(), procs_.end(), [&](const Proc& p) { return p.pid == pid; });
  if (it == procs_.end()) return;  // not ours (a child the app forked before run())
  read_log(*it, true);
  if (it->ready_fd >= 0) close(it->ready_fd);
  Proc p = std::move(*it);
  procs_.erase(it);
  // While stopping, a worker that had not yet set up its handlers dies of our SIGTERM: fine.
  bool clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
               (stopping_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  if (stopping_) {
    if (!clean) {
      SC_LOG(Warning, "master: worker %d (pid %d) %s while stopping", p.id, int(pid),
             describe(status).c_str());
      exit_code_ = 1;
    } else {
      SC_LOG(Verbose, "master: worker %d (pid %d) stopped", p.id, int(pid));
    }
    return;
  }
  Slot& s = slots_[p.id];
  if (p.retiring) {
    SC_LOG(Notice, "master: worker %d (pid %d) %s (rolling restart)", p.id, int(pid),
           describe(status).c_str());
    if (!current(p.id)) spawn(p.id);  // without --reuseport: its port is free now
    return;
  }
  if (!s.ever_ready) {
    SC_LOG(Warning, "master: worker %d (pid %d) %s before it listened: giving up", p.id, int(pid),
           describe(status).c_str());
    exit_code_ = 1;
    stop_all("a worker failed to start");
    return;
  }
  double now = now_s();
  if (now - p.started >= kStableSeconds) s.streak = 0;
  s.streak++;
  double delay = backoff(s.streak);
  s.respawn_at = now + delay;
  SC_LOG(Warning, "master: worker %d (pid %d) %s; respawn in %.2f s (crash %d in a row)", p.id,
         int(pid), describe(status).c_str(), delay, s.streak);
}

void Master::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    on_exit(pid, status);
    if (am_child_) return;  // on_exit forked a replacement and we are it
  }
}

bool Master::run(int* exit_code) {
  self_ = getpid();
  if (!opt_.logfile.empty()) {
    out_fd_ = open(opt_.logfile.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (out_fd_ < 0) {
      SC_LOG(Warning, "master: cannot open --logfile %s: %s", opt_.logfile.c_str(),
             std::strerror(errno));
      *exit_code = 1;
      return false;
    }
  }
  if (pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    SC_LOG(Warning, "master: pipe: %s", std::strerror(errno));
    *exit_code = 1;
    return false;
  }
  for (size_t i = 0; i < std::size(kSignals); i++) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | (kSignals[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigaction(kSignals[i], &sa, &old_[i]);
  }
  struct sigaction ign;
  std::memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe_);  // a log reader that went away must not kill the master
  slots_.resize(size_t(opt_.workers));
  std::string ports = std::to_string(opt_.port);
  if (opt_.reuseport)
    ports += " (SO_REUSEPORT)";
  else if (opt_.workers > 1)
    ports += "-" + std::to_string(opt_.port + opt_.workers - 1);
  SC_LOG(Notice, "master: pid %d, %d worker(s) on port %s", int(self_), opt_.workers,
         ports.c_str());
  for (int id = 0; id < opt_.workers && !am_child_; id++) spawn(id);

  std::vector<pollfd> fds;
  std::vector<std::pair<size_t, bool>> what;  // per fds[i>0]: proc index, is the ready pipe
  while (!am_child_) {
    if (stopping_ && procs_.empty()) break;
    double now = now_s();
    double wake = -1;
    for (size_t id = 0; id < slots_.size(); id++) {
      Slot& s = slots_[id];
      if (s.respawn_at < 0) continue;
      if (stopping_) {
        s.respawn_at = -1;
        continue;
      }
      if (s.respawn_at <= now) {
        spawn(int(id));
        if (am_child_) break;
        continue;
      }
      if (wake < 0 || s.respawn_at < wake) wake = s.respawn_at;
    }
    if (am_child_) break;
    if (stopping_) {
      if (now >= kill_at_) {
        for (auto& p : procs_) {
          SC_LOG(Warning, "master: worker %d (pid %d) still running after the drain: SIGKILL", p.id,
                 int(p.pid));
          kill(p.pid, SIGKILL);
        }
        exit_code_ = 1;
        kill_at_ = now + 3600;
      } else if (wake < 0 || kill_at_ < wake) {
        wake = kill_at_;
      }
    }
    fds.clear();
    what.clear();
    fds.push_back(pollfd{g_sig_pipe[0], POLLIN, 0});
    for (size_t i = 0; i < procs_.size(); i++) {
      if (procs_[i].log_fd >= 0) {
        fds.push_back(pollfd{procs_[i].log_fd, POLLIN, 0});
        what.emplace_back(i, false);
      }
      if (procs_[i].ready_fd >= 0) {
        fds.push_back(pollfd{procs_[i].ready_fd, POLLIN, 0});
        what.emplace_back(i, true);
      }
    }
    int timeout = wake < 0 ? 1000 : int(std::max(0.0, (wake - now) * 1000) + 1);
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      SC_LOG(Warning, "master: poll: %s", std::strerror(errno));
      exit_code_ = 1;
      stop_all("poll failed");
      continue;
    }
    // Worker pipes first (procs_ is unchanged until signals are handled below).
    for (size_t k = 1; k < fds.size(); k++) {
      if (!fds[k].revents) continue;
      Proc& p = procs_[what[k - 1].first];
      if (!what[k - 1].second) {
        read_log(p, false);
        continue;
      }
      char c;
      ssize_t r = read(p.ready_fd, &c, 1);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      close(p.ready_fd);
      p.ready_fd = -1;
      if (r == 1) {
        on_ready(p);
        if (am_child_) break;
      }
    }
    if (am_child_) break;
    if (fds[0].revents) {
      unsigned char sigs[64];
      ssize_t r;
      bool chld = false, term = false, usr2 = false;
      while ((r = read(g_sig_pipe[0], sigs, sizeof sigs)) > 0)
        for (ssize_t i = 0; i < r; i++) {
          chld |= sigs[i] == SIGCHLD;
          term |= sigs[i] == SIGTERM || sigs[i] == SIGINT;
          usr2 |= sigs[i] == SIGUSR2;
        }
      if (chld) reap();
      if (am_child_) break;
      if (term) stop_all("SIGTERM/SIGINT");
      if (usr2 && !stopping_) {
        if (!roll_.empty()) {
          SC_LOG(Notice, "master: SIGUSR2 ignored: a rolling restart is under way");
        } else {
          SC_LOG(Notice, "master: SIGUSR2: rolling restart of %d worker(s)", opt_.workers);
          for (int id = 0; id < opt_.workers; id++) roll_.push_back(id);
          roll_next();
        }
      }
    }
  }
  if (am_child_) return true;
  restore_signals();
  close(g_sig_pipe[0]);
  close(g_sig_pipe[1]);
  if (out_fd_ != 2) close(out_fd_);
  SC_LOG(Notice, "master: every worker is gone, exit %d", exit_code_);
  *exit_code = exit_code_;
  return false;
}

}  // namespace

bool master_run(const Options& opt, MasterChild* child, int* exit_code) {
  Master m(opt, child);
  return m.run(exit_code);
}

}  // namespace sc
