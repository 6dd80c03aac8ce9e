// Generic keyspace commands, after Redis 7.0's db.c and expire.c: DEL EXISTS TYPE KEYS SCAN
// RENAME COPY MOVE FLUSHDB RANDOMKEY TOUCH, the EXPIRE family and TTL queries.
#include <climits>
#include <cstdlib>
#include <cstring>

#include "blocked.h"
#include "server.h"

namespace sc::broker {

namespace {

void del_command(Client& c) {
  Db& db = *c.db;
  long long deleted = 0;
  for (size_t j = 1; j < c.argv.size(); j++) {
    if (db_delete(db, c.argv[j])) {
      key_changed(db, c.argv[j], kNotifyGeneric, "del");
      deleted++;
    }
  }
  c.reply().integer(deleted);
}

// EXISTS, TYPE and the TTL family leave the key's access time alone (Redis's LOOKUP_NOTOUCH);
// TOUCH is the one that sets it.
void exists_command(Client& c) {
  long long n = 0;
  for (size_t j = 1; j < c.argv.size(); j++)
    if (lookup_read_notouch(*c.db, c.argv[j])) n++;
  c.reply().integer(n);
}

void touch_command(Client& c) {
  long long n = 0;
  for (size_t j = 1; j < c.argv.size(); j++)
    if (lookup_read(*c.db, c.argv[j])) n++;
  c.reply().integer(n);
}

void type_command(Client& c) {
  KeyEntry* e = lookup_read_notouch(*c.db, c.argv[1]);
  c.reply().simple(e ? type_name(e->val.type) : "none");
}

bool expired_now(const KeyEntry* e) { return e->expire >= 0 && e->expire <= cmd_time_ms(); }

void keys_command(Client& c) {
  std::string_view pat = c.argv[1];
  bool all = pat == "*";
  std::vector<KeyEntry*> out;
  c.db->keys.for_each([&](KeyEntry* e) {
    if (expired_now(e)) return;
    if (all || glob_match(pat, e->key_view())) out.push_back(e);
  });
  c.reply().array(out.size());
  for (KeyEntry* e : out) c.reply().bulk(e->key_view());
}

// Parses a SCAN cursor like Redis (strtoul over the whole argument).
bool parse_cursor(Client& c, std::string_view s, uint64_t* out) {
  char buf[32];
  if (s.empty() || s.size() >= sizeof buf) {
    reply_error(c, "ERR invalid cursor");
    return false;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (isspace((unsigned char)buf[0]) || *end || errno == ERANGE) {
    reply_error(c, "ERR invalid cursor");
    return false;
  }
  *out = v;
  return true;
}

void scan_command(Client& c) {
  uint64_t cursor;
  if (!parse_cursor(c, c.argv[1], &cursor)) return;
  long long count = 10;
  std::string_view pat, type;
  bool use_pat = false, use_type = false;
  for (size_t j = 2; j < c.argv.size();) {
    size_t left = c.argv.size() - j;
    if (eq_nocase(c.argv[j], "count") && left >= 2) {
      if (!arg_ll(c, c.argv[j + 1], &count)) return;
      if (count < 1) {
        reply_syntax_error(c);
        return;
      }
      j += 2;
    } else if (eq_nocase(c.argv[j], "match") && left >= 2) {
      pat = c.argv[j + 1];
      use_pat = !(pat == "*");
      j += 2;
    } else if (eq_nocase(c.argv[j], "type") && left >= 2) {
      type = c.argv[j + 1];
      use_type = true;
      j += 2;
    } else {
      reply_syntax_error(c);
      return;
    }
  }
  Db& db = *c.db;
  std::vector<KeyEntry*> found;
  long long max_iterations = count * 10;
  do {
    cursor = db.keys.scan(cursor, [&](KeyEntry* e) { found.push_back(e); });
  } while (cursor && max_iterations-- && (long long)found.size() < count);
  std::vector<KeyEntry*> keep;
  keep.reserve(found.size());
  for (KeyEntry* e : found) {
    if (use_pat && !glob_match(pat, e->key_view())) continue;
    if (use_type && !eq_nocase(type, type_name(e->val.type))) continue;
    if (expire_if_needed(db, e)) continue;
    keep.push_back(e);
  }
  c.reply().array(2);
  c.reply().bulk_int((long long)cursor);
  c.reply().array(keep.size());
  for (KeyEntry* e : keep) c.reply().bulk(e->key_view());
}

void rename_generic(Client& c, bool nx) {
  Db& db = *c.db;
  std::string_view src = c.argv[1], dst = c.argv[2];
  bool same = src == dst;
  KeyEntry* e = lookup_write(db, src);
  if (!e) {
    reply_error(c, "ERR no such key");
    return;
  }
  if (same) {
    if (nx)
      c.reply().integer(0);
    else
      c.reply().ok();
    return;
  }
  if (KeyEntry* d = lookup_write(db, dst)) {
    if (nx) {
      c.reply().integer(0);
      return;
    }
    db_delete_entry(db, d);
  }
  Robj v = e->val;
  int64_t expire = e->expire;
  e->val = Robj();  // moved
  db_delete_entry(db, e);
  KeyEntry* n = db_add(db, dst, v);
  if (expire >= 0) set_expire(db, n, expire);
  key_changed(db, src, kNotifyGeneric, "rename_from");
  key_changed(db, dst, kNotifyGeneric, "rename_to", 0);  // one change: counted with src
  if (nx)
    c.reply().integer(1);
  else
    c.reply().ok();
}

void rename_command(Client& c) { rename_generic(c, false); }
void renamenx_command(Client& c) { rename_generic(c, true); }

// A database index argument of SELECT-like commands (COPY ... DB, MOVE): an int, then a
// database that exists.
bool db_index_arg(Client& c, std::string_view s, int* out) {
  int id;
  if (!arg_int(c, s, &id)) return false;
  if (id < 0 || id >= int(srv().dbs.size())) {
    reply_error(c, "ERR DB index is out of range");
    return false;
  }
  *out = id;
  return true;
}

void copy_command(Client& c) {
  bool replace = false;
  int dbid = c.db_index;
  for (size_t j = 3; j < c.argv.size(); j++) {
    if (eq_nocase(c.argv[j], "replace")) {
      replace = true;
    } else if (eq_nocase(c.argv[j], "db") && j + 1 < c.argv.size()) {
      if (!db_index_arg(c, c.argv[j + 1], &dbid)) return;
      j++;
    } else {
      reply_syntax_error(c);
      return;
    }
  }
  std::string_view src = c.argv[1], dst = c.argv[2];
  if (src == dst && dbid == c.db_index) {
    reply_error(c, "ERR source and destination objects are the same");
    return;
  }
  KeyEntry* e = lookup_read(*c.db, src);
  if (!e) {
    c.reply().integer(0);
    return;
  }
  Db& dstdb = srv().dbs[size_t(dbid)];
  if (KeyEntry* d = lookup_write(dstdb, dst)) {
    if (!replace) {
      c.reply().integer(0);
      return;
    }
    db_delete_entry(dstdb, d);
  }
  KeyEntry* n = db_add(dstdb, dst, value_dup(e->val));
  if (e->expire >= 0) set_expire(dstdb, n, e->expire);
  key_changed(dstdb, dst, kNotifyGeneric, "copy_to");
  c.reply().integer(1);
}

void move_command(Client& c) {
  int dbid;
  if (!db_index_arg(c, c.argv[2], &dbid)) return;
  if (dbid == c.db_index) {
    reply_error(c, "ERR source and destination objects are the same");
    return;
  }
  Db& src = *c.db;
  Db& dst = srv().dbs[size_t(dbid)];
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write(src, key);
  if (!e || lookup_write(dst, key)) {
    c.reply().integer(0);
    return;
  }
  Robj v = e->val;
  int64_t expire = e->expire;
  e->val = Robj();
  db_delete_entry(src, e);
  KeyEntry* n = db_add(dst, key, v);
  if (expire >= 0) set_expire(dst, n, expire);
  key_changed(src, key, kNotifyGeneric, "move_from");
  key_changed(dst, key, kNotifyGeneric, "move_to", 0);  // one change: counted with src
  c.reply().integer(1);
}

void dbsize_command(Client& c) { c.reply().integer((long long)c.db->keys.size()); }

bool flush_args(Client& c) {
  if (c.argv.size() > 2) {
    reply_syntax_error(c);
    return false;
  }
  if (c.argv.size() == 2 && !eq_nocase(c.argv[1], "sync") && !eq_nocase(c.argv[1], "async")) {
    reply_syntax_error(c);
    return false;
  }
  return true;
}

// SWAPDB index1 index2: exchanges the contents of two databases; clients stay on their index,
// so they see the other data at once.  Watches on keys that change are invalidated.
void swapdb_command(Client& c) {
  int ids[2];
  if (!arg_int(c, c.argv[1], &ids[0], "ERR invalid first DB index") ||
      !arg_int(c, c.argv[2], &ids[1], "ERR invalid second DB index"))
    return;
  Server& s = srv();
  for (int id : ids)
    if (id < 0 || id >= int(s.dbs.size())) return reply_error(c, "ERR DB index is out of range");
  if (ids[0] != ids[1]) {
    Db& a = s.dbs[size_t(ids[0])];
    Db& b = s.dbs[size_t(ids[1])];
    signal_swapped_db(a, b);
    signal_swapped_db(b, a);
    a.keys.swap(b.keys);
    std::swap(a.expiring, b.expiring);
    std::swap(a.avg_ttl, b.avg_ttl);
    // Waiters stay with their index: a key they wait on may exist there now.
    signal_ready_keys_in(a);
    signal_ready_keys_in(b);
  }
  s.dirty++;
  c.reply().ok();
}

void flushdb_command(Client& c) {
  if (!flush_args(c)) return;
  signal_flushed_db(c.db_index);
  srv().dirty += (long long)db_clear(*c.db);
  c.reply().ok();
}

void flushall_command(Client& c) {
  if (!flush_args(c)) return;
  signal_flushed_db(-1);
  for (Db& db : srv().dbs) srv().dirty += (long long)db_clear(db);
  c.reply().ok();
}

void randomkey_command(Client& c) {
  Db& db = *c.db;
  for (int tries = 0; tries < 100; tries++) {
    KeyEntry* e = db.keys.random();
    if (!e) break;
    if (expire_if_needed(db, e)) continue;
    c.reply().bulk(e->key_view());
    return;
  }
  c.reply().null();
}

// EXPIRE family.  `base` is the time relative arguments count from; `seconds` the unit.
void expire_generic(Client& c, long long base, bool seconds) {
  enum { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };
  int flag = 0;
  for (size_t j = 3; j < c.argv.size(); j++) {
    std::string_view o = c.argv[j];
    if (eq_nocase(o, "nx"))
      flag |= kNx;
    else if (eq_nocase(o, "xx"))
      flag |= kXx;
    else if (eq_nocase(o, "gt"))
      flag |= kGt;
    else if (eq_nocase(o, "lt"))
      flag |= kLt;
    else {
      reply_error_fmt(c, "ERR Unsupported option %.*s", int(o.size()), o.data());
      return;
    }
  }
  if ((flag & kNx) && (flag & (kXx | kGt | kLt))) {
    reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if ((flag & kGt) && (flag & kLt)) {
    reply_error(c, "ERR GT and LT options at the same time are not compatible");
    return;
  }
  long long when;
  if (!arg_ll(c, c.argv[2], &when)) return;
  auto bad_time = [&] {
    reply_error_fmt(c, "ERR invalid expire time in '%s' command", c.cmd->fullname.c_str());
  };
  if (seconds) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) return bad_time();
    when *= 1000;
  }
  if (when > LLONG_MAX - base) return bad_time();
  when += base;
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write(db, key);
  if (!e) {
    c.reply().integer(0);
    return;
  }
  if (flag) {
    long long cur = e->expire;
    if (((flag & kNx) && cur != -1) || ((flag & kXx) && cur == -1) ||
        ((flag & kGt) && (when <= cur || cur == -1)) ||
        ((flag & kLt) && cur != -1 && when >= cur)) {
      c.reply().integer(0);
      return;
    }
  }
  if (when <= cmd_time_ms()) {
    db_delete_entry(db, e);
    key_changed(db, key, kNotifyGeneric, "del");
    c.reply().integer(1);
    return;
  }
  set_expire(db, e, when);
  c.reply().integer(1);
  key_changed(db, key, kNotifyGeneric, "expire");
}

void expire_command(Client& c) { expire_generic(c, cmd_time_ms(), true); }
void pexpire_command(Client& c) { expire_generic(c, cmd_time_ms(), false); }
void expireat_command(Client& c) { expire_generic(c, 0, true); }
void pexpireat_command(Client& c) { expire_generic(c, 0, false); }

// TTL/PTTL/EXPIRETIME/PEXPIRETIME.
void ttl_generic(Client& c, bool ms, bool absolute) {
  KeyEntry* e = lookup_read_notouch(*c.db, c.argv[1]);
  if (!e) {
    c.reply().integer(-2);
    return;
  }
  if (e->expire < 0) {
    c.reply().integer(-1);
    return;
  }
  if (absolute) {
    c.reply().integer(ms ? e->expire : e->expire / 1000);
    return;
  }
  long long ttl = e->expire - cmd_time_ms();
  if (ttl < 0) ttl = 0;
  c.reply().integer(ms ? ttl : (ttl + 500) / 1000);
}

void ttl_command(Client& c) { ttl_generic(c, false, false); }
void pttl_command(Client& c) { ttl_generic(c, true, false); }
void expiretime_command(Client& c) { ttl_generic(c, false, true); }
void pexpiretime_command(Client& c) { ttl_generic(c, true, true); }

void persist_command(Client& c) {
  Db& db = *c.db;
  KeyEntry* e = lookup_write(db, c.argv[1]);
  if (e && remove_expire(db, e)) {
    key_changed(db, c.argv[1], kNotifyGeneric, "persist");
    c.reply().integer(1);
  } else {
    c.reply().integer(0);
  }
}

// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT <key> and OBJECT HELP: a container, so the
// dispatcher checks each subcommand's arity as Redis's object|<sub> rows do (inside MULTI a bad
// one aborts the transaction).  The key is looked up without touching it, so OBJECT IDLETIME
// does not reset what it reports.
void object_help_command(Client& c) {
  reply_help(c, {
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
  });
}

void object_encoding_command(Client& c) {
  KeyEntry* e = lookup_read_notouch(*c.db, c.argv[2]);
  if (!e) return c.reply().null();
  const char* enc = enc_name(e->val.enc);
  if (e->val.type == Type::String && e->val.enc == Enc::Raw && !e->val.grown &&
      static_cast<Sds*>(e->val.ptr)->len <= 44)
    enc = "embstr";
  c.reply().bulk(enc);
}

void object_idletime_command(Client& c) {
  KeyEntry* e = lookup_read_notouch(*c.db, c.argv[2]);
  if (!e) return c.reply().null();
  c.reply().integer(key_idle_seconds(e));
}

// Access frequencies are kept under an LFU maxmemory-policy only, and the broker has noeviction
// alone: Redis's error for the key that exists.
void object_freq_command(Client& c) {
  if (!lookup_read_notouch(*c.db, c.argv[2])) return c.reply().null();
  reply_error(c,
              "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
              "Please note that when switching between policies at runtime LRU and LFU data "
              "will take some time to adjust.");
}

// Values are never shared, except that Redis reports the integers 0..9999 as its shared
// objects (INT_MAX references); the broker stores every integer inline, and says the same.
void object_refcount_command(Client& c) {
  KeyEntry* e = lookup_read_notouch(*c.db, c.argv[2]);
  if (!e) return c.reply().null();
  bool shared = e->val.type == Type::String && e->val.enc == Enc::Int && e->val.i >= 0 &&
                e->val.i < 10000;
  c.reply().integer(shared ? 2147483647 : 1);
}

Command kObjectSubcommands[] = {
    {.name = "encoding", .arity = 3, .flags = kCmdReadonly, .keys = {2, 2, 1},
     .proc = object_encoding_command},
    {.name = "freq", .arity = 3, .flags = kCmdReadonly, .keys = {2, 2, 1},
     .proc = object_freq_command},
    {.name = "help", .arity = 2, .flags = kCmdLoading, .proc = object_help_command},
    {.name = "idletime", .arity = 3, .flags = kCmdReadonly, .keys = {2, 2, 1},
     .proc = object_idletime_command},
    {.name = "refcount", .arity = 3, .flags = kCmdReadonly, .keys = {2, 2, 1},
     .proc = object_refcount_command},
    {},
};

Command kCommands[] = {
    {.name = "del", .arity = -2, .flags = kCmdWrite, .keys = {1, -1, 1},
     .proc = del_command},
    {.name = "unlink", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, -1, 1},
     .proc = del_command},
    {.name = "exists", .arity = -2, .flags = kCmdReadonly | kCmdFast, .keys = {1, -1, 1},
     .proc = exists_command},
    {.name = "touch", .arity = -2, .flags = kCmdReadonly | kCmdFast, .keys = {1, -1, 1},
     .proc = touch_command},
    {.name = "type", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = type_command},
    {.name = "keys", .arity = 2, .flags = kCmdReadonly, .proc = keys_command},
    {.name = "scan", .arity = -2, .flags = kCmdReadonly, .proc = scan_command},
    {.name = "rename", .arity = 3, .flags = kCmdWrite, .keys = {1, 2, 1}, .proc = rename_command},
    {.name = "renamenx", .arity = 3, .flags = kCmdWrite | kCmdFast, .keys = {1, 2, 1},
     .proc = renamenx_command},
    {.name = "copy", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 2, 1},
     .proc = copy_command},
    {.name = "move", .arity = 3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = move_command},
    {.name = "dbsize", .arity = 1, .flags = kCmdReadonly | kCmdFast, .proc = dbsize_command},
    {.name = "flushdb", .arity = -1, .flags = kCmdWrite, .proc = flushdb_command},
    {.name = "swapdb", .arity = 3, .flags = kCmdWrite | kCmdFast, .proc = swapdb_command},
    {.name = "flushall", .arity = -1, .flags = kCmdWrite, .proc = flushall_command},
    {.name = "randomkey", .arity = 1, .flags = kCmdReadonly, .proc = randomkey_command},
    {.name = "expire", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = expire_command},
    {.name = "pexpire", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = pexpire_command},
    {.name = "expireat", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = expireat_command},
    {.name = "pexpireat", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = pexpireat_command},
    {.name = "ttl", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = ttl_command},
    {.name = "pttl", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = pttl_command},
    {.name = "expiretime", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = expiretime_command},
    {.name = "pexpiretime", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = pexpiretime_command},
    {.name = "persist", .arity = 2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = persist_command},
    {.name = "object", .arity = -2, .proc = container_command,
     .subcommands = kObjectSubcommands},
};

}  // namespace

std::span<Command> keys_commands() { return kCommands; }

}  // namespace sc::broker
