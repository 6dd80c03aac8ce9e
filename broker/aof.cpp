// The append-only file.  Writes are gathered in a buffer during a loop turn and written (and
// for appendfsync always, fsynced) before any reply of that turn reaches a client, so an
// acknowledged write is in the file.  everysec fsyncs from a helper thread once a second (as
// Redis's bio thread does) so a slow disk never stalls the event loop.  A rewrite forks a
// child that writes the dataset as commands to a temporary file while the parent keeps
// accumulating new commands; the parent appends those and renames the file into place.
#include "aof.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "log.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"

namespace sc::broker {

struct AofState {
  int fd = -1;
  std::string path;
  Buffer buf;                      // commands not yet written
  int selected_db = -1;            // database of the last command in the file stream
  long long current_size = 0;
  long long base_size = 0;         // size after the last rewrite (for auto rewrite)
  bool loading = false;
  // Rewrite.
  pid_t child = -1;
  std::string tmpfile;
  Buffer rewrite_buf;              // commands logged while the child runs
  int rewrite_selected_db = -1;
  int64_t rewrite_start_ms = 0;
  long long last_rewrite_time_sec = -1;
  bool last_bgrewrite_ok = true;
  bool rewrite_scheduled = false;
  long long rewrites = 0;
  long long rewrite_failures = 0;
  // Write status.
  int last_write_errno = 0;
  std::atomic<int> fsync_errno{0};  // last everysec fsync (helper thread) failed with this
  // Transactions: EXEC is logged as MULTI ... EXEC around the commands it ran.
  bool in_exec = false;
  bool exec_multi_logged = false;
  int exec_db = 0;
  // everysec fsync thread.
  std::thread fsync_thread;
  std::mutex mu;
  std::condition_variable cv;
  bool fsync_requested = false;
  bool fsync_running = false;
  bool stop = false;
  int64_t last_fsync_ms = 0;
  long long fsyncs = 0;
};

static AofState& st() {
  if (!srv().aof) srv().aof = new AofState();
  return *srv().aof;
}

bool aof_loading() { return srv().aof && srv().aof->loading; }

bool aof_active() { return srv().aof && (srv().aof->fd >= 0 || srv().aof->child > 0); }

static void append_command(Buffer& b, const std::vector<std::string_view>& argv) {
  resp::Writer w(&b, resp::Proto::Resp2);
  w.array(argv.size());
  for (auto a : argv) w.bulk(a);
}

static void append_select(Buffer& b, int db) {
  std::string id = std::to_string(db);
  append_command(b, {"SELECT", id});
}

void aof_log(int dbid, const std::vector<std::string_view>& argv) {
  AofState& a = st();
  if (a.fd < 0 && a.child < 0) return;
  if (a.in_exec && !a.exec_multi_logged) {
    a.exec_multi_logged = true;
    a.exec_db = dbid;
    aof_log(dbid, {"MULTI"});
  }
  if (a.fd >= 0) {
    if (a.selected_db != dbid) {
      append_select(a.buf, dbid);
      a.selected_db = dbid;
    }
    append_command(a.buf, argv);
  }
  if (a.child > 0) {
    if (a.rewrite_selected_db != dbid) {
      append_select(a.rewrite_buf, dbid);
      a.rewrite_selected_db = dbid;
    }
    append_command(a.rewrite_buf, argv);
  }
}

static bool has_expire_option(const std::vector<std::string_view>& argv, size_t from) {
  for (size_t i = from; i < argv.size(); i++)
    if (eq_nocase(argv[i], "ex") || eq_nocase(argv[i], "px") || eq_nocase(argv[i], "exat") ||
        eq_nocase(argv[i], "pxat"))
      return true;
  return false;
}

// Logs the state a TTL-changing command left `key` in, as absolute times.
static void log_key_expiry(Db& db, std::string_view key, bool persist_if_none) {
  KeyEntry* e = db.keys.find(key);
  if (!e) {
    aof_log(db.id, {"DEL", key});
  } else if (e->expire >= 0) {
    std::string when = std::to_string(e->expire);
    aof_log(db.id, {"PEXPIREAT", key, when});
  } else if (persist_if_none) {
    aof_log(db.id, {"PERSIST", key});
  }
}

void aof_feed_command(Client& c) {
  AofState& a = st();
  if (a.fd < 0 && a.child < 0) return;
  if (!c.prop.empty()) {  // the command said what to log instead of itself
    for (auto& cmd : c.prop) {
      std::vector<std::string_view> v(cmd.begin(), cmd.end());
      aof_log(c.db_index, v);
    }
    return;
  }
  const std::string& name = c.cmd->fullname;
  Db& db = *c.db;
  const auto& argv = c.argv;
  if (name == "expire" || name == "pexpire" || name == "expireat" || name == "pexpireat") {
    log_key_expiry(db, argv[1], false);
  } else if (name == "setex" || name == "psetex") {
    KeyEntry* e = db.keys.find(argv[1]);
    std::string when = e ? std::to_string(e->expire) : "1";
    aof_log(db.id, {"SET", argv[1], argv[3], "PXAT", when});
  } else if (name == "set" && has_expire_option(argv, 3)) {
    KeyEntry* e = db.keys.find(argv[1]);
    if (e && e->expire >= 0) {
      std::string when = std::to_string(e->expire);
      aof_log(db.id, {"SET", argv[1], argv[2], "PXAT", when});
    } else {
      aof_log(db.id, {"SET", argv[1], argv[2]});
      log_key_expiry(db, argv[1], false);
    }
  } else if (name == "getex") {
    log_key_expiry(db, argv[1], true);
  } else {
    aof_log(db.id, argv);
  }
}

// ---- Writing and fsync ----

static void fsync_loop() {
  AofState& a = st();
  std::unique_lock<std::mutex> lk(a.mu);
  while (true) {
    a.cv.wait(lk, [&] { return a.fsync_requested || a.stop; });
    if (a.stop) return;
    a.fsync_requested = false;
    a.fsync_running = true;
    int fd = a.fd;
    lk.unlock();
    if (fd >= 0) {
      // Like Redis's bio thread: a failed fsync refuses writes (MISCONF) until one succeeds.
      int err = fdatasync(fd) == 0 ? 0 : errno;
      if (err && a.fsync_errno.load() == 0)
        SC_LOG(Warning, "Error syncing the AOF file: %s", strerror(err));
      a.fsync_errno.store(err);
    }
    lk.lock();
    a.fsync_running = false;
    a.fsyncs++;
    a.cv.notify_all();
  }
}

// Waits until the fsync thread is idle (before the file descriptor changes).
static void fsync_wait_idle() {
  AofState& a = st();
  std::unique_lock<std::mutex> lk(a.mu);
  a.cv.wait(lk, [&] { return !a.fsync_running && !a.fsync_requested; });
}

// Writes all of p[0..n).  On failure returns false with *err set and *written the bytes that
// did reach the file (a short write followed by an error leaves a fragment).
static bool write_all(int fd, const char* p, size_t n, int* err, size_t* written = nullptr) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, p + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      if (written) *written = done;
      return false;
    }
    done += size_t(w);
  }
  if (written) *written = done;
  return true;
}

// A failed write of the buffer, `written` bytes of it in the file.  Like Redis's
// flushAppendOnlyFile: the fragment is cut off (ftruncate back to the last whole command, so
// the retry does not write the commands again after half of them); with appendfsync always the
// replies of this turn promise data that is not on disk, so the process exits; otherwise the
// buffer is kept and writes are refused (MISCONF) until a retry succeeds.
static void write_failed(AofState& a, int err, size_t written) {
  // The retry runs every cron tick: one log line per 30 s at most (Redis's
  // AOF_WRITE_LOG_ERROR_RATE).
  static int64_t last_log_ms = 0;
  bool can_log = a.last_write_errno == 0 || now_ms() - last_log_ms > 30000 ||
                 srv().cfg.appendfsync == "always";
  if (can_log) {
    last_log_ms = now_ms();
    if (written > 0)
      SC_LOG(Warning, "Short write while writing to the AOF file: (nwritten=%zu, expected=%zu): %s",
             written, a.buf.size(), strerror(err));
    else
      SC_LOG(Warning, "Error writing to the AOF file: %s", strerror(err));
  }
  if (written > 0 && ftruncate(a.fd, a.current_size) != 0) {
    if (can_log)
      SC_LOG(Warning,
             "Could not remove the short write from the AOF file; the broker may refuse to "
             "load it on the next start. ftruncate: %s",
             strerror(errno));
    a.current_size += (long long)written;  // the fragment stays: do not write it twice
    a.buf.consume(written);
  }
  if (srv().cfg.appendfsync == "always") {
    SC_LOG(Warning,
           "Can't recover from AOF write error when the AOF fsync policy is 'always'. "
           "Exiting...");
    exit_on_lost_aof_write();
  }
  // Like Redis, a short write reads as a full disk (the MISCONF text says "No space left on
  // device"); the log line above has the error the kernel gave.
  a.last_write_errno = written > 0 ? ENOSPC : err;
}

void aof_flush(bool force_fsync) {
  AofState& a = st();
  if (a.fd < 0) return;
  if (!a.buf.empty()) {
    int err = 0;
    size_t n = a.buf.size(), written = 0;
    if (!write_all(a.fd, a.buf.data(), n, &err, &written)) {
      write_failed(a, err, written);
      return;  // keep the buffer; writes are refused until this succeeds (MISCONF)
    }
    if (a.last_write_errno) SC_LOG(Warning, "AOF write error looks solved, writing again.");
    a.last_write_errno = 0;
    a.current_size += (long long)n;
    a.buf.clear();
    a.buf.shrink_if_idle(1 << 20);
    if (srv().cfg.appendfsync == "always") {
      if (fdatasync(a.fd) != 0) {  // replies promise what may not be on disk (Redis exits too)
        SC_LOG(Warning,
               "Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. "
               "Exiting...",
               strerror(errno));
        exit_on_lost_aof_write();
      }
      a.last_fsync_ms = now_ms();
      return;
    }
  }
  if (force_fsync) {
    fsync_wait_idle();
    if (fdatasync(a.fd) != 0) SC_LOG(Warning, "Error syncing the AOF file: %s", strerror(errno));
    a.last_fsync_ms = now_ms();
    return;
  }
  if (srv().cfg.appendfsync == "everysec" && now_ms() - a.last_fsync_ms >= 1000) {
    std::lock_guard<std::mutex> lk(a.mu);
    if (!a.fsync_running && !a.fsync_requested) {
      a.fsync_requested = true;
      a.last_fsync_ms = now_ms();
      a.cv.notify_all();
    }
  }
}

std::string aof_write_error() {
  AofState* a = srv().aof;
  if (!a || a->fd < 0) return {};
  int err = a->last_write_errno ? a->last_write_errno : a->fsync_errno.load();
  if (err == 0) return {};
  return std::string("MISCONF Errors writing to the AOF file: ") + strerror(err);
}

// ---- Loading ----

static long long file_size(int fd) {
  struct stat sb;
  return fstat(fd, &sb) == 0 ? (long long)sb.st_size : 0;
}

// Replays the file at `path` (absent: nothing to do).  False with *error when it cannot be
// read or is corrupt (and aof-load-truncated does not allow loading what is whole).
static bool load_file(const std::string& path, std::string* error) {
  Server& s = srv();
  AofState& a = st();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return true;  // nothing to load yet
    *error = "Fatal error: can't open the append only file " + path + " for reading: " +
             strerror(errno);
    return false;
  }
  auto fail = [&](std::string msg) {
    close(fd);
    *error = std::move(msg);
    return false;
  };
  a.loading = true;
  int64_t start = now_ms();
  Client fake;
  fake.id = 0;
  fake.fd = -1;
  fake.authenticated = true;
  fake.db = &s.dbs[0];
  fake.parser = resp::RequestParser(resp::RequestLimits{LLONG_MAX, INT32_MAX, 64 * 1024});
  Buffer& in = fake.in;
  long long offset = 0;        // file offset of in.data()
  long long before_multi = 0;  // offset of the MULTI that opened the transaction being read
  long long commands = 0;
  long long failed = 0;  // replayed commands answered with an error (logged, not fatal)
  bool eof = false;
  while (true) {
    // Parse every complete command in the buffer.
    while (!in.empty()) {
      if (in.data()[0] != '*')
        return fail("Bad file format reading the append only file " + path + " at offset " +
                   std::to_string(offset) + ": expected a RESP array ('*'), found byte " +
                   std::to_string(int((unsigned char)in.data()[0])) +
                   "; the commands before this offset are intact");
      size_t used = 0;
      resp::ParseStatus r = fake.parser.parse(in.view(), &used, &fake.argv, true);
      if (r == resp::ParseStatus::NeedMore) break;
      if (r == resp::ParseStatus::Error)
        return fail("Bad file format reading the append only file " + path + " at offset " +
                   std::to_string(offset) + " (" + fake.parser.error_text() +
                   "): the commands before this offset are intact; truncate the file there "
                   "to start with them");
      if (!fake.argv.empty()) {
        const Command* container = nullptr;
        if (!lookup_command_argv(fake.argv, &container))
          return fail("Unknown command '" + std::string(fake.argv[0]) +
                     "' reading the append only file " + path + " at offset " +
                     std::to_string(offset));
        if (!(fake.flags & kClientMulti) && eq_nocase(fake.argv[0], "multi"))
          before_multi = offset;
        process_command(fake);
        commands++;
        if (!fake.out.empty() && fake.out.data()[0] == '-' && ++failed <= 10) {
          std::string_view reply = fake.out.view().substr(0, 200);
          reply = reply.substr(0, reply.find('\r'));
          SC_LOG(Warning, "The command at offset %lld of the AOF failed on replay: %.*s", offset,
                 int(reply.size()), reply.data());
        }
        s.discard.clear();
        fake.out.clear();
      }
      in.consume(used);
      offset += (long long)used;
    }
    if (eof) break;
    char* p = in.prepare(1 << 20);
    ssize_t n = read(fd, p, 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("Error reading the append only file " + path + ": " + strerror(errno));
    }
    if (n == 0) {
      eof = true;
      continue;
    }
    in.commit(size_t(n));
  }
  if (!in.empty() || (fake.flags & kClientMulti)) {
    // A command (or a MULTI block) was cut short: the tail of a write that never completed.
    // Like Redis, an unfinished transaction goes whole: keeping its MULTI would put every
    // command appended after it inside a transaction that never executes.
    long long good = (fake.flags & kClientMulti) ? before_multi : offset;
    if (!s.cfg.aof_load_truncated)
      return fail("Unexpected end of file reading the append only file " + path + " at offset " +
                 std::to_string(good) + ". Set aof-load-truncated yes to load what is whole.");
    close(fd);
    SC_LOG(Warning, "!!! Warning: short read while loading the AOF file %s!!!", path.c_str());
    SC_LOG(Warning, "!!! Truncating the AOF at offset %lld !!!", good);
    SC_LOG(Warning, "AOF loaded anyway because aof-load-truncated is enabled");
    if (truncate(path.c_str(), good) != 0)
      SC_LOG(Warning, "Could not truncate the AOF: %s", strerror(errno));
  } else {
    close(fd);
  }
  a.loading = false;
  s.dirty = 0;
  SC_LOG(Notice, "DB loaded from append only file: %.3f seconds (%lld commands)",
         double(now_ms() - start) / 1000, commands);
  return true;
}

bool aof_start(std::string* error) {
  Server& s = srv();
  AofState& a = st();
  a.path = s.cfg.dir + "/" + s.cfg.appendfilename;
  if (!s.cfg.appendonly) return true;
  if (!load_file(a.path, error)) return false;
  a.fd = open(a.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (a.fd < 0) {
    *error = "Can't open the append-only file " + a.path + ": " + strerror(errno);
    return false;
  }
  a.current_size = a.base_size = file_size(a.fd);
  a.selected_db = -1;
  a.last_fsync_ms = now_ms();
  if (!a.fsync_thread.joinable()) a.fsync_thread = std::thread(fsync_loop);
  return true;
}

// ---- Rewrite ----

namespace {

struct RewriteWriter {
  FILE* f;
  Buffer b = {};
  bool ok = true;
  void cmd(const std::vector<std::string_view>& argv) {
    append_command(b, argv);
    if (b.size() > (1 << 20)) flush();
  }
  void flush() {
    if (!b.empty() && fwrite(b.data(), 1, b.size(), f) != b.size()) ok = false;
    b.clear();
  }
};

constexpr size_t kItemsPerCommand = 64;  // like Redis's AOF_REWRITE_ITEMS_PER_CMD

// Collects the items of one collection into commands of kItemsPerCommand items each.  The
// item bytes are copied into a deque so the views in argv stay valid as it grows.
struct ItemBatch {
  RewriteWriter& w;
  std::vector<std::string_view> argv;
  std::deque<std::string> owned;
  size_t per_item;  // arguments per item (2 for field + value)
  ItemBatch(RewriteWriter& writer, const char* verb, std::string_view key, size_t args_per_item)
      : w(writer), argv{verb, key}, per_item(args_per_item) {}
  void add(std::string_view a) {
    argv.push_back(owned.emplace_back(a));
    if (argv.size() - 2 >= kItemsPerCommand * per_item) flush();
  }
  void flush() {
    if (argv.size() <= 2) return;
    w.cmd(argv);
    argv.resize(2);
    owned.clear();
  }
};

void rewrite_key(RewriteWriter& w, KeyEntry* e) {
  std::string_view key = e->key_view();
  const Robj& v = e->val;
  switch (v.type) {
    case Type::String: {
      char buf[24];
      w.cmd({"SET", key, string_view_of(v, buf)});
      break;
    }
    case Type::Hash: {
      ItemBatch b(w, "HSET", key, 2);
      hash_for_each(v, [&](std::string_view f, std::string_view val) {
        b.add(f);
        b.add(val);
      });
      b.flush();
      break;
    }
    case Type::Set: {
      ItemBatch b(w, "SADD", key, 1);
      set_for_each(v, [&](std::string_view m) { b.add(m); });
      b.flush();
      break;
    }
    case Type::List: {
      ItemBatch b(w, "RPUSH", key, 1);
      list_for_each(v, [&](std::string_view m) { b.add(m); });
      b.flush();
      break;
    }
    case Type::Json: {
      std::string text = json_serialize(v);
      w.cmd({"JSON.SET", key, "$", text});
      break;
    }
  }
  if (e->expire >= 0) {
    std::string when = std::to_string(e->expire);
    w.cmd({"PEXPIREAT", key, when});
  }
}

// Runs in the child: writes the whole dataset to `path`.  Returns the exit code.
int rewrite_child(const std::string& path) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) return 1;
  RewriteWriter w{f};
  for (Db& db : srv().dbs) {
    if (db.keys.size() == 0) continue;
    std::string id = std::to_string(db.id);
    w.cmd({"SELECT", id});
    db.keys.for_each([&](KeyEntry* e) { rewrite_key(w, e); });
  }
  // nData member deadlines live apart from the data (they may name a member not set yet).
  int deadline_db = -1;
  ndata_for_each_deadline([&](int dbid, const std::vector<std::string>& chain, int64_t when) {
    if (dbid != deadline_db) {
      std::string id = std::to_string(dbid);
      w.cmd({"SELECT", id});
      deadline_db = dbid;
    }
    std::string ms = std::to_string(when);
    std::vector<std::string_view> argv{"NDATA.PEXPIREAT", chain[0], ms};
    for (size_t i = 1; i < chain.size(); i++) argv.push_back(chain[i]);
    w.cmd(argv);
  });
  w.flush();
  if (!w.ok || fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) return 1;
  return 0;
}

}  // namespace

bool aof_rewrite_background(std::string* err) {
  AofState& a = st();
  if (a.child > 0) {
    *err = "ERR Background append only file rewriting already in progress";
    return false;
  }
  a.tmpfile = srv().cfg.dir + "/temp-rewriteaof-bg-" + std::to_string(getpid()) + ".aof";
  aof_flush(false);
  int64_t start = now_ms();
  pid_t pid = fork();
  if (pid < 0) {
    *err = std::string("ERR Can't rewrite append only file in background: fork: ") +
           strerror(errno);
    return false;
  }
  if (pid == 0) {
    log_set_role('C');
    _exit(rewrite_child(a.tmpfile));
  }
  SC_LOG(Notice, "Background append only file rewriting started by pid %d", int(pid));
  a.child = pid;
  a.rewrite_start_ms = start;
  a.rewrite_buf.clear();
  a.rewrite_selected_db = -1;
  a.rewrite_scheduled = false;
  for (Db& db : srv().dbs) db.keys.resize_ratio_ = 5;  // fewer copy-on-write pages
  srv().fork_child = true;  // nor do lookups stamp access times now
  return true;
}

static void rewrite_done(int status) {
  AofState& a = st();
  Server& s = srv();
  pid_t child = a.child;
  a.child = -1;
  for (Db& db : s.dbs) db.keys.resize_ratio_ = 1;
  s.fork_child = false;
  a.last_rewrite_time_sec = (now_ms() - a.rewrite_start_ms) / 1000;
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (ok) {
    int fd = open(a.tmpfile.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    int err = 0;
    if (fd < 0 || !write_all(fd, a.rewrite_buf.data(), a.rewrite_buf.size(), &err) ||
        fsync(fd) != 0) {
      SC_LOG(Warning, "Error finishing the rewritten AOF %s: %s", a.tmpfile.c_str(),
             strerror(err ? err : errno));
      if (fd >= 0) close(fd);
      ok = false;
    } else if (s.cfg.appendonly) {
      aof_flush(false);  // what was logged to the old file is also in rewrite_buf
      if (rename(a.tmpfile.c_str(), a.path.c_str()) != 0) {
        SC_LOG(Warning, "Error renaming the rewritten AOF: %s", strerror(errno));
        close(fd);
        ok = false;
      } else {
        fsync_wait_idle();
        if (a.fd >= 0) close(a.fd);
        a.fd = fd;
        a.current_size = a.base_size = file_size(fd);
        a.selected_db = -1;
        a.buf.clear();
        if (a.last_write_errno) {  // the new file holds what the failed writes did not
          SC_LOG(Warning, "AOF rewritten: the last write error no longer matters.");
          a.last_write_errno = 0;
        }
      }
    } else {
      // BGREWRITEAOF with appendonly off: the file is written as a snapshot, nothing to swap.
      close(fd);
      if (rename(a.tmpfile.c_str(), a.path.c_str()) != 0) ok = false;
    }
  }
  a.rewrite_buf.clear();
  a.rewrite_buf.shrink_if_idle(0);
  if (ok) {
    a.rewrites++;
    a.last_bgrewrite_ok = true;
    SC_LOG(Notice, "Background AOF rewrite finished successfully (child %d)", int(child));
  } else {
    a.rewrite_failures++;
    a.last_bgrewrite_ok = false;
    unlink(a.tmpfile.c_str());
    SC_LOG(Warning, "Background AOF rewrite failed (child %d)", int(child));
  }
}

void aof_cron() {
  AofState& a = st();
  Server& s = srv();
  if (a.child > 0) {
    int status = 0;
    pid_t r = waitpid(a.child, &status, WNOHANG);
    if (r == a.child) rewrite_done(status);
  }
  if (a.fd >= 0) aof_flush(false);
  if (a.child < 0 && s.cfg.appendonly && a.fd < 0) a.rewrite_scheduled = true;
  if (a.child < 0 && s.cfg.appendonly) {
    bool grow = a.fd >= 0 && s.cfg.auto_aof_rewrite_percentage > 0 &&
                a.current_size > s.cfg.auto_aof_rewrite_min_size &&
                (a.current_size - a.base_size) * 100 / std::max(1LL, a.base_size) >=
                    s.cfg.auto_aof_rewrite_percentage;
    if (grow || a.rewrite_scheduled) {
      std::string err;
      if (grow) SC_LOG(Notice, "Starting automatic rewriting of AOF on %lld%% growth",
                       (a.current_size - a.base_size) * 100 / std::max(1LL, a.base_size));
      aof_rewrite_background(&err);
    }
  }
}

bool aof_set_enabled(bool on, std::string* err) {
  AofState& a = st();
  Server& s = srv();
  if (on) {
    if (a.fd >= 0) return true;
    a.path = s.cfg.dir + "/" + s.cfg.appendfilename;
    // Like Redis: the file starts as a rewrite of the current dataset.  Until that rewrite is
    // renamed into place, new commands only go to the rewrite buffer, so a crash meanwhile
    // never leaves a file holding the new commands without the data before them.
    if (!a.fsync_thread.joinable()) a.fsync_thread = std::thread(fsync_loop);
    a.last_fsync_ms = now_ms();
    if (a.child > 0) return true;  // the running rewrite will become the file
    if (!aof_rewrite_background(err)) {
      a.rewrite_scheduled = true;  // retried by the cron
      return false;
    }
  } else {
    if (a.fd < 0) return true;
    aof_flush(true);
    fsync_wait_idle();
    close(a.fd);
    a.fd = -1;
    a.buf.clear();
  }
  return true;
}

void aof_shutdown() {
  AofState* a = srv().aof;
  if (!a) return;
  if (a->child > 0) {
    kill(a->child, SIGUSR1);
    int status;
    waitpid(a->child, &status, 0);
    unlink(a->tmpfile.c_str());
    a->child = -1;
    srv().fork_child = false;
  }
  if (a->fd >= 0) {
    aof_flush(true);
    SC_LOG(Notice, "Calling fsync() on the AOF file.");
  }
  if (a->fsync_thread.joinable()) {
    {
      std::lock_guard<std::mutex> lk(a->mu);
      a->stop = true;
      a->cv.notify_all();
    }
    a->fsync_thread.join();
  }
}

void aof_exec_begin() {
  AofState& a = st();
  a.in_exec = true;
  a.exec_multi_logged = false;
}

void aof_exec_end() {
  AofState& a = st();
  if (a.in_exec && a.exec_multi_logged) {
    a.in_exec = false;
    aof_log(a.exec_db, {"EXEC"});
  }
  a.in_exec = false;
}

std::string aof_info_fields() {
  Server& s = srv();
  AofState& a = st();
  std::string out;
  auto field = [&](const char* name, const std::string& v) {
    out += name;
    out += ':';
    out += v;
    out += "\r\n";
  };
  auto num = [&](const char* name, long long v) { field(name, std::to_string(v)); };
  num("loading", a.loading ? 1 : 0);
  num("async_loading", 0);
  num("current_cow_peak", 0);
  num("current_cow_size", 0);
  num("current_cow_size_age", 0);
  field("current_fork_perc", "0.00");
  num("current_save_keys_processed", 0);
  num("current_save_keys_total", 0);
  num("rdb_changes_since_last_save", s.dirty);
  num("rdb_bgsave_in_progress", 0);
  num("rdb_last_save_time", s.start_ms / 1000);
  field("rdb_last_bgsave_status", "ok");
  num("rdb_last_bgsave_time_sec", -1);
  num("rdb_current_bgsave_time_sec", -1);
  num("rdb_saves", 0);
  num("rdb_last_cow_size", 0);
  num("rdb_last_load_keys_expired", 0);
  num("rdb_last_load_keys_loaded", 0);
  num("aof_enabled", s.cfg.appendonly ? 1 : 0);
  num("aof_rewrite_in_progress", a.child > 0 ? 1 : 0);
  num("aof_rewrite_scheduled", a.rewrite_scheduled ? 1 : 0);
  num("aof_last_rewrite_time_sec", a.last_rewrite_time_sec);
  num("aof_current_rewrite_time_sec", a.child > 0 ? (now_ms() - a.rewrite_start_ms) / 1000 : -1);
  field("aof_last_bgrewrite_status", a.last_bgrewrite_ok ? "ok" : "err");
  num("aof_rewrites", a.rewrites);
  num("aof_rewrites_consecutive_failures", a.last_bgrewrite_ok ? 0 : a.rewrite_failures);
  field("aof_last_write_status", a.last_write_errno || a.fsync_errno.load() ? "err" : "ok");
  num("aof_last_cow_size", 0);
  num("module_fork_in_progress", 0);
  num("module_fork_last_cow_size", 0);
  if (a.fd >= 0) {
    num("aof_current_size", a.current_size);
    num("aof_base_size", a.base_size);
    num("aof_pending_rewrite", a.rewrite_scheduled ? 1 : 0);
    num("aof_buffer_length", (long long)a.buf.size());
    num("aof_pending_bio_fsync", a.fsync_running || a.fsync_requested ? 1 : 0);
    num("aof_delayed_fsync", 0);
    num("aof_fsyncs", a.fsyncs);
  }
  return out;
}

// BGREWRITEAOF.
static void bgrewriteaof_command(Client& c) {
  std::string err;
  if (st().child > 0) {
    reply_error(c, "ERR Background append only file rewriting already in progress");
    return;
  }
  if (!aof_rewrite_background(&err)) {
    reply_error(c, err);
    return;
  }
  c.reply().simple("Background append only file rewriting started");
}

static Command kCommands[] = {
    {.name = "bgrewriteaof", .arity = 1, .flags = kCmdAdmin, .proc = bgrewriteaof_command},
};

std::span<Command> aof_commands() { return kCommands; }

}  // namespace sc::broker
