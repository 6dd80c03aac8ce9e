// Clients blocked on keys: wait lists, ready keys, serving, timeouts (blocked.h has the why and
// the contract).  The list commands that block, and how a list serves a waiter, are in
// t_list.cpp.
#include "blocked.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "aof.h"
#include "networking.h"

namespace sc::broker {

namespace blocked_detail {
size_t g_blocked = 0;
bool g_ready_pending = false;
}  // namespace blocked_detail

using blocked_detail::g_blocked;
using blocked_detail::g_ready_pending;

namespace {

using WaitList = std::list<Client*>;

struct ReadyKey {
  int db;
  std::string key;
};

// Looks keys up by string_view: a list created while anybody waits costs no allocation unless
// its key is waited on.
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Per database index: key -> clients waiting on it, first blocked first.
std::vector<std::unordered_map<std::string, WaitList, KeyHash, std::equal_to<>>> g_waits;
// Per database index: keys queued in g_ready (a key is queued once until it is served).
std::vector<std::unordered_set<std::string>> g_ready_set;
std::vector<ReadyKey> g_ready;
// Ids of clients unblocked this turn whose query buffers still have to run.  Ids, not
// pointers: a client may be freed before the loop gets to it.
std::vector<uint64_t> g_unblocked;
size_t g_with_deadline = 0;

// Longest single timer wait; a farther deadline re-arms the timer when it fires.
constexpr int64_t kMaxTimerMs = int64_t(30) * 24 * 3600 * 1000;

void ensure_db_tables() {
  size_t n = srv().dbs.size();
  if (g_waits.size() < n) {
    g_waits.resize(n);
    g_ready_set.resize(n);
  }
}

// Removes `c` from every wait list and frees its state.  With `resume`, its query buffer will
// run once the turn's events are done.
void unblock(Client& c, bool resume) {
  BlockState* b = c.bpop;
  auto& waits = g_waits[size_t(b->db)];
  for (size_t i = 0; i < b->keys.size(); i++) {
    auto it = waits.find(b->keys[i]);
    if (it == waits.end()) continue;  // cannot happen: each key has a node of ours
    it->second.erase(b->nodes[i]);
    if (it->second.empty()) waits.erase(it);
  }
  if (b->deadline_ms) g_with_deadline--;
  g_blocked--;
  c.bpop = nullptr;
  c.flags &= ~kClientBlocked;
  delete b;  // frees the timer (safe inside its own callback: it is not persistent)
  if (resume) g_unblocked.push_back(c.id);
}

// Points c's reply writer at its output (or the scratch buffer under CLIENT REPLY OFF/SKIP,
// which was in force for the blocked command) and makes the blocked command the current one,
// so errors count against it.
void prepare_reply(Client& c) {
  bool skip = (c.flags & (kClientReplyOff | kClientReplySkip)) != 0;
  c.w = resp::Writer(skip ? &srv().discard : &c.out, c.proto);
  c.cmd = c.bpop->cmd;
}

// Ends a wait without data: a timeout (null array) or CLIENT UNBLOCK ... ERROR.
void answer_and_unblock(Client& c, bool as_error) {
  prepare_reply(c);
  if (as_error)
    reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
  else
    c.reply().null_array();
  unblock(c, true);
  if (!c.out.empty()) client_output_changed(c);
}

void arm_timer(Client& c) {
  BlockState* b = c.bpop;
  int64_t wait = b->deadline_ms - now_ms();
  if (wait < 0) wait = 0;
  if (wait > kMaxTimerMs) wait = kMaxTimerMs;
  timeval tv{time_t(wait / 1000), suseconds_t((wait % 1000) * 1000)};
  event_add(b->timer.get(), &tv);
}

void timeout_cb(evutil_socket_t, short, void* arg) {
  Client& c = *static_cast<Client*>(arg);
  if (!c.bpop) return;
  // Redis replies once the deadline has passed; a timer may fire a little early.
  if (now_ms() < c.bpop->deadline_ms) {
    arm_timer(c);
    return;
  }
  answer_and_unblock(c, false);
}

// Serves `c` from `key` (a value of the type it waits for) and unblocks it.
void serve_one(Client& c, std::string_view key) {
  Server& s = srv();
  BlockState* b = c.bpop;
  prepare_reply(c);
  long long dirty_before = s.dirty;
  int64_t t0 = now_us();
  c.prop.clear();
  b->serve(c, key);
  if (s.dirty != dirty_before) aof_feed_command(c);
  c.prop.clear();
  b->cmd->usec += now_us() - t0;  // its call was counted when it blocked
  unblock(c, true);
  if (!c.out.empty()) client_output_changed(c);
}

}  // namespace

bool parse_block_timeout(Client& c, std::string_view arg, int64_t* deadline_ms) {
  // Redis's string2ld: the whole argument, no leading space, strtold's syntax (so "1e3",
  // "0x10" and "inf" are numbers), neither NaN nor an overflow or underflow to 0.
  char buf[5 * 1024];
  bool ok = !arg.empty() && arg.size() < sizeof buf;
  long double v = 0;
  if (ok) {
    std::memcpy(buf, arg.data(), arg.size());
    buf[arg.size()] = 0;
    char* end;
    errno = 0;
    v = strtold(buf, &end);
    ok = !isspace((unsigned char)buf[0]) && size_t(end - buf) == arg.size() &&
         !(errno == ERANGE && (std::isinf(v) || v == 0)) && errno != EINVAL && !std::isnan(v);
  }
  if (!ok) {
    reply_error(c, "ERR timeout is not a float or out of range");
    return false;
  }
  // Milliseconds rounded up, converted as x86-64 does for Redis: a value out of the range of
  // a long long (inf included) becomes LLONG_MIN, so it is "negative".
  long double ms = ceill(v * 1000.0L);
  long long tval =
      (ms >= -9223372036854775808.0L && ms < 9223372036854775808.0L) ? (long long)ms : LLONG_MIN;
  if (tval < 0) {
    reply_error(c, "ERR timeout is negative");
    return false;
  }
  if (tval == 0) {
    *deadline_ms = 0;
  } else {
    int64_t now = now_ms();
    *deadline_ms = tval > INT64_MAX - now ? INT64_MAX : now + tval;
  }
  return true;
}

bool may_block(const Client& c) { return !(c.flags & kClientMulti) && !aof_loading(); }

void block_for_keys(Client& c, std::unique_ptr<BlockState> bp) {
  ensure_db_tables();
  BlockState* b = bp.release();
  b->cmd = c.cmd;
  b->db = c.db_index;
  // Distinct keys only: BLPOP k k waits once on k.
  std::vector<std::string> keys;
  keys.reserve(b->keys.size());
  for (std::string& k : b->keys) {
    bool seen = false;
    for (const std::string& d : keys) seen = seen || d == k;
    if (!seen) keys.push_back(std::move(k));
  }
  b->keys.swap(keys);
  auto& waits = g_waits[size_t(b->db)];
  b->nodes.reserve(b->keys.size());
  for (const std::string& k : b->keys) {
    WaitList& l = waits[k];
    b->nodes.push_back(l.insert(l.end(), &c));
  }
  c.bpop = b;
  c.flags |= kClientBlocked;
  g_blocked++;
  if (b->deadline_ms) {
    g_with_deadline++;
    b->timer = new_event(srv().base.get(), -1, 0, timeout_cb, &c);
    arm_timer(c);
  }
}

void blocked_detail::signal_key_ready_slow(Db& db, std::string_view key) {
  size_t id = size_t(db.id);
  if (id >= g_waits.size()) return;
  if (g_waits[id].find(key) == g_waits[id].end()) return;
  std::string k(key);
  if (!g_ready_set[id].insert(k).second) return;  // already queued
  g_ready.push_back({db.id, std::move(k)});
  g_ready_pending = true;
}

void signal_ready_keys_in(Db& db) {
  size_t id = size_t(db.id);
  if (id >= g_waits.size()) return;
  for (const auto& [key, clients] : g_waits[id])
    if (db.keys.find(key)) blocked_detail::signal_key_ready_slow(db, key);
}

void serve_ready_keys() {
  Server& s = srv();
  int64_t saved_time = s.cmd_time_ms;
  while (!g_ready.empty()) {
    // Serving may queue more keys (BLMOVE pushing to a waited-on key): they go to a fresh list
    // that the next round serves.
    std::vector<ReadyKey> batch;
    batch.swap(g_ready);
    for (const ReadyKey& rk : batch) {
      g_ready_set[size_t(rk.db)].erase(rk.key);
      // One time for the whole key, so a key found alive stays alive while it is served.
      s.cmd_time_ms = now_ms();
      Db& db = s.dbs[size_t(rk.db)];
      if (!lookup_write(db, rk.key)) continue;  // deleted since, or expired just now
      auto wit = g_waits[size_t(rk.db)].find(rk.key);
      if (wit == g_waits[size_t(rk.db)].end()) continue;
      // A copy: serving unblocks clients, which edits (and may erase) this list.  Nobody
      // blocks while we serve, so a client found unblocked below was served by this loop.
      std::vector<Client*> waiters(wit->second.begin(), wit->second.end());
      for (Client* c : waiters) {
        if (!c->bpop || (c->flags & kClientCloseAsap)) continue;
        KeyEntry* e = db.keys.find(rk.key);
        if (!e) break;  // emptied by the clients served before
        if (e->val.type != c->bpop->type) continue;
        serve_one(*c, rk.key);
      }
    }
  }
  g_ready_pending = false;
  s.cmd_time_ms = saved_time;
}

void process_unblocked_clients() {
  while (!g_unblocked.empty()) {
    std::vector<uint64_t> batch;
    batch.swap(g_unblocked);
    for (uint64_t id : batch) {
      Client* c = client_by_id(id);
      if (!c || c->bpop) continue;
      client_process_pending_input(*c);
    }
  }
}

bool unblock_client_by_request(Client& c, bool as_error) {
  if (!c.bpop) return false;
  answer_and_unblock(c, as_error);
  return true;
}

void blocked_client_freed(Client& c) {
  if (c.bpop) unblock(c, false);
}

size_t blocked_timeout_count() { return g_with_deadline; }

}  // namespace sc::broker
