// Transactions (Redis 7.0's multi.c): MULTI EXEC DISCARD WATCH UNWATCH and the WATCH
// bookkeeping that every write reaches through signal_modified_key().
//
// The dispatcher (commands.cpp) queues commands while kClientMulti is set and flags
// kClientDirtyExec on a queue-time error.  Watches live twice: Db::watched_keys maps a key to
// its watching clients, Client::watched lists (db, key) pairs, so both a write and a client's
// UNWATCH are cheap.
#include <algorithm>
#include <string>
#include <vector>

#include "server.h"

namespace sc::broker {

void discard_transaction(Client& c) {
  c.mstate.clear();
  c.mstate.shrink_to_fit();
  c.flags &= ~(kClientMulti | kClientDirtyCas | kClientDirtyExec);
  unwatch_all(c);
}

namespace {

// A watch on a key that was already logically expired (but not yet deleted) when WATCH ran,
// Redis's watchedKey.expired: its later deletion is no change, and EXEC's expiry check skips it.
// Rare, so a flat list is enough.
struct ExpiredWatch {
  const Client* client;
  int db;
  std::string key;
};
std::vector<ExpiredWatch> g_expired_watches;

bool key_is_expired(Db& db, std::string_view key) {
  KeyEntry* e = db.keys.find(key);
  return e && e->expire >= 0 && e->expire <= cmd_time_ms();
}

std::vector<ExpiredWatch>::iterator find_expired_watch(const Client* c, int db,
                                                       std::string_view key) {
  return std::find_if(
      g_expired_watches.begin(), g_expired_watches.end(),
      [&](const ExpiredWatch& w) { return w.client == c && w.db == db && w.key == key; });
}

void watch_key(Client& c, std::string_view key) {
  int dbid = c.db->id;
  for (const auto& [db, k] : c.watched)
    if (db == dbid && k == key) return;  // already watched
  c.db->watched_keys[std::string(key)].push_back(&c);
  c.watched.emplace_back(dbid, std::string(key));
  if (key_is_expired(*c.db, key)) g_expired_watches.push_back({&c, dbid, std::string(key)});
}

// EXEC fails when a watched key expired since WATCH (Redis 7.0's isWatchedKeyExpired).
bool watched_key_expired(Client& c) {
  for (const auto& [dbid, key] : c.watched) {
    if (!g_expired_watches.empty() && find_expired_watch(&c, dbid, key) != g_expired_watches.end())
      continue;  // was expired when WATCH was called
    if (key_is_expired(srv().dbs[size_t(dbid)], key)) return true;
  }
  return false;
}

// ---- Commands ----

void multi_command(Client& c) {
  if (c.flags & kClientMulti) {
    reply_error(c, "ERR MULTI calls can not be nested");
    return;
  }
  c.flags |= kClientMulti;
  c.reply().ok();
}

void discard_command(Client& c) {
  if (!(c.flags & kClientMulti)) {
    reply_error(c, "ERR DISCARD without MULTI");
    return;
  }
  discard_transaction(c);
  c.reply().ok();
}

void exec_command(Client& c) {
  if (!(c.flags & kClientMulti)) {
    reply_error(c, "ERR EXEC without MULTI");
    return;
  }
  if (!c.watched.empty() && watched_key_expired(c)) c.flags |= kClientDirtyCas;
  if (c.flags & (kClientDirtyCas | kClientDirtyExec)) {
    if (c.flags & kClientDirtyExec)
      reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
    else
      c.reply().null_array();
    discard_transaction(c);
    return;
  }
  unwatch_all(c);  // as early as possible: our own writes must not dirty anything
  // Take the queue: a queued command cannot reach c.mstate, but nothing relies on that.
  std::vector<QueuedCommand> queue;
  queue.swap(c.mstate);
  std::vector<std::string_view> saved_argv;
  saved_argv.swap(c.argv);
  const Command* exec_cmd = c.cmd;

  c.reply().array(queue.size());
  for (QueuedCommand& q : queue) {
    c.argv.assign(q.argv.begin(), q.argv.end());
    c.cmd = q.cmd;
    call_command(c);
  }
  c.argv.swap(saved_argv);
  c.cmd = exec_cmd;
  discard_transaction(c);
}

}  // namespace

void exec_abort(Client& c, std::string_view err) {
  discard_transaction(c);
  // Redis passes the reason without the "ERR " its generic errors get (OOM, MISCONF keep
  // their codes).
  if (!err.empty() && err[0] == '-') err.remove_prefix(1);
  if (err.starts_with("ERR ")) err.remove_prefix(4);
  reply_error(c, "EXECABORT Transaction discarded because of: " + std::string(err));
  // MONITOR saw MULTI and will see no queued command: show the EXEC that ends it.
  if (!srv().monitors.empty()) monitor_feed(c);
}

namespace {

void watch_command(Client& c) {
  if (c.flags & kClientMulti) {
    reply_error(c, "ERR WATCH inside MULTI is not allowed");
    return;
  }
  // No point in watching once dirty: EXEC will fail anyway.
  if (!(c.flags & kClientDirtyCas))
    for (size_t j = 1; j < c.argv.size(); j++) watch_key(c, c.argv[j]);
  c.reply().ok();
}

void unwatch_command(Client& c) {
  unwatch_all(c);
  c.flags &= ~kClientDirtyCas;
  c.reply().ok();
}

Command kCommands[] = {
    {.name = "multi", .arity = 1, .flags = kCmdMultiCtl | kCmdFast, .proc = multi_command},
    {.name = "exec", .arity = 1, .flags = kCmdMultiCtl, .proc = exec_command},
    {.name = "discard", .arity = 1, .flags = kCmdMultiCtl | kCmdFast, .proc = discard_command},
    {.name = "watch", .arity = -2, .flags = kCmdMultiCtl | kCmdFast, .keys = {1, -1, 1},
     .proc = watch_command},
    {.name = "unwatch", .arity = 1, .flags = kCmdFast, .proc = unwatch_command},
};

}  // namespace

std::span<Command> multi_commands() { return kCommands; }

void unwatch_all(Client& c) {
  if (c.watched.empty()) return;
  for (const auto& [dbid, key] : c.watched) {
    Db& db = srv().dbs[size_t(dbid)];
    auto it = db.watched_keys.find(key);
    if (it == db.watched_keys.end()) continue;
    auto& v = it->second;
    auto ci = std::find(v.begin(), v.end(), &c);
    if (ci != v.end()) v.erase(ci);
    if (v.empty()) db.watched_keys.erase(it);
  }
  c.watched.clear();
  c.watched.shrink_to_fit();
  if (!g_expired_watches.empty())
    std::erase_if(g_expired_watches, [&](const ExpiredWatch& w) { return w.client == &c; });
}

void signal_modified_key(Db& db, std::string_view key) {
  if (db.watched_keys.empty()) return;
  auto it = db.watched_keys.find(std::string(key));
  if (it == db.watched_keys.end()) return;
  // A copy: unwatch_all() edits (and may erase) this list.
  std::vector<Client*> clients = it->second;
  for (Client* c : clients) {
    if (!g_expired_watches.empty()) {
      auto ew = find_expired_watch(c, db.id, key);
      if (ew != g_expired_watches.end() && db.keys.find(key) == nullptr) {
        // The already expired key got deleted: logically no change.
        g_expired_watches.erase(ew);
        continue;
      }
    }
    c->flags |= kClientDirtyCas;
    unwatch_all(*c);  // dirty for good: no need to hear about further changes
  }
}

void signal_flushed_db(int dbid) {
  Server& s = srv();
  for (Db& db : s.dbs) {
    if (dbid != -1 && db.id != dbid) continue;
    if (db.watched_keys.empty()) continue;
    // Only keys that exist now are touched by the flush.  Clients are flagged, not unwatched,
    // so the map is not modified while it is walked.
    for (auto& [key, clients] : db.watched_keys) {
      if (db.keys.find(key) == nullptr) continue;
      for (Client* c : clients) {
        if (!g_expired_watches.empty()) {
          auto ew = find_expired_watch(c, db.id, key);
          if (ew != g_expired_watches.end()) {
            g_expired_watches.erase(ew);  // the expired key is deleted: no logical change
            continue;
          }
        }
        c->flags |= kClientDirtyCas;
      }
    }
  }
}

void signal_swapped_db(Db& emptied, Db& replaced_with) {
  // A watched key changes unless it is missing (or logically expired) on both sides; a watch
  // taken on an expired key stays "no change" while the key stays expired or goes away.
  for (auto& [key, clients] : emptied.watched_keys) {
    bool in_emptied = emptied.keys.find(key) != nullptr;
    bool in_replacement = replaced_with.keys.find(key) != nullptr;
    if (!in_emptied && !in_replacement) continue;
    for (Client* c : clients) {
      auto ew = g_expired_watches.empty() ? g_expired_watches.end()
                                          : find_expired_watch(c, emptied.id, key);
      if (ew != g_expired_watches.end()) {
        if (!in_replacement) {
          g_expired_watches.erase(ew);  // the expired key is now gone: no logical change
          continue;
        }
        if (key_is_expired(replaced_with, key)) continue;  // expired before and after
      } else if (!in_emptied && key_is_expired(replaced_with, key)) {
        g_expired_watches.push_back({c, emptied.id, key});  // no key -> an expired key
        continue;
      }
      c->flags |= kClientDirtyCas;
    }
  }
}

}  // namespace sc::broker
