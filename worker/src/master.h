// The master process of `--workers N`: it forks N worker processes from the app's own image,
// keeps them running and speaks for them to the operator.  Part of the toolkit, so every binary
// built on sc::Worker (sc-conformance, the examples, a user's app) supervises its own workers.
//
// Why fork and not exec: Worker::run() is called after the app registered its procedures and
// middleware, so a child forked there is already the app's worker; nothing has to be parsed
// twice and no binary path is needed.  The price: a respawn or rolling restart runs the image
// the master was started with (a new binary needs a new master).
//
// Contract:
// - Called from Worker::run() before any lws context, libev loop, hiredis link or thread
//   exists; the master never creates one (it waits in poll() on pipes), and holds no client
//   socket: only its children listen.
// - master_run() returns true in a child: *child says which worker it is (id 0..N-1) and the fd
//   to write one byte to once it listens (then close it); the child then runs as a worker, its
//   stderr already a pipe to the master and SCLUSTER_WORKER_ID set in its environment.
//   It returns false in the master once every worker is gone, with the process exit code in
//   *exit_code: 0 when SIGTERM/SIGINT drained every worker cleanly, 1 when a worker failed at
//   start (before it ever listened: the port is taken, the key file unreadable...), when one
//   had to be killed after the drain bound, or exited non-zero while draining.
// - Signals to the master: SIGTERM/SIGINT drain (each worker gets SIGTERM, closes its clients
//   with 1001 and exits; after --shutdown-timeout + 1 s the rest get SIGKILL); SIGUSR2 rolling
//   restart, one worker at a time, the next once the new one listens.  A worker that dies
//   otherwise is respawned: at once the first time, then after 0.25, 0.5, 1, 2, 4 and 8 s
//   while it keeps dying within 5 s of its start (kStableSeconds resets the streak).
// - Each line a worker writes to stderr (its log, lws's, a sanitizer's report) is written by
//   the master to its own log destination (--logfile, else stderr) prefixed with "[wID] ".
#pragma once

namespace sc {

struct Options;

struct MasterChild {
  int id = 0;         // this worker's id, 0..workers-1
  int ready_fd = -1;  // write one byte here once listening, then close it
};

bool master_run(const Options& opt, MasterChild* child, int* exit_code);

}  // namespace sc
