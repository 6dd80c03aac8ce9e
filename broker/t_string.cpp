// String commands, after Redis 7.0's t_string.c: SET and its options, GET family, counters,
// APPEND and ranges.
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <vector>

#include "server.h"

namespace sc::broker {

namespace {

enum SetFlag : int {
  kSetNx = 1 << 0,
  kSetXx = 1 << 1,
  kSetEx = 1 << 2,
  kSetPx = 1 << 3,
  kSetKeepTtl = 1 << 4,
  kSetGet = 1 << 5,
  kSetExat = 1 << 6,
  kSetPxat = 1 << 7,
  kSetPersist = 1 << 8,
};
constexpr int kAnyExpire = kSetEx | kSetPx | kSetExat | kSetPxat;

enum class Cmd { Set, GetEx };

// True (after replying) if a string of `offset` + `len` bytes would exceed the limit.
bool string_too_long(Client& c, long long offset, size_t len) {
  if (offset > srv().cfg.proto_max_bulk_len - (long long)len) {
    reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return true;
  }
  return false;
}

// Parses SET/GETEX options from argv[first..]; on error replies and returns false.
bool parse_set_options(Client& c, size_t first, Cmd type, int* flags, std::string_view* expire) {
  for (size_t j = first; j < c.argv.size(); j++) {
    std::string_view opt = c.argv[j];
    bool has_next = j + 1 < c.argv.size();
    int f = *flags;
    if (eq_nocase(opt, "nx") && !(f & kSetXx) && type == Cmd::Set) {
      *flags |= kSetNx;
    } else if (eq_nocase(opt, "xx") && !(f & kSetNx) && type == Cmd::Set) {
      *flags |= kSetXx;
    } else if (eq_nocase(opt, "get") && type == Cmd::Set) {
      *flags |= kSetGet;
    } else if (eq_nocase(opt, "keepttl") && !(f & kSetPersist) && !(f & kAnyExpire) &&
               type == Cmd::Set) {
      *flags |= kSetKeepTtl;
    } else if (eq_nocase(opt, "persist") && type == Cmd::GetEx && !(f & kAnyExpire) &&
               !(f & kSetKeepTtl)) {
      *flags |= kSetPersist;
    } else if (int which = eq_nocase(opt, "ex")     ? kSetEx
                           : eq_nocase(opt, "px")   ? kSetPx
                           : eq_nocase(opt, "exat") ? kSetExat
                           : eq_nocase(opt, "pxat") ? kSetPxat
                                                    : 0;
               which && has_next && !(f & kSetKeepTtl) && !(f & kSetPersist) &&
               !(f & (kAnyExpire & ~which))) {
      // Like Redis, the same expire option may repeat (the last one wins), others conflict.
      *flags |= which;
      *expire = c.argv[++j];
    } else {
      reply_syntax_error(c);
      return false;
    }
  }
  return true;
}

void reply_expire_error(Client& c) {
  reply_error_fmt(c, "ERR invalid expire time in '%s' command", c.cmd->fullname.c_str());
}

// Turns an EX/PX/EXAT/PXAT argument into an absolute time in ms.
bool expire_ms(Client& c, std::string_view arg, int flags, long long* ms) {
  if (!arg_ll(c, arg, ms)) return false;
  bool seconds = flags & (kSetEx | kSetExat);
  if (*ms <= 0 || (seconds && *ms > LLONG_MAX / 1000)) {
    reply_expire_error(c);
    return false;
  }
  if (seconds) *ms *= 1000;
  if (flags & (kSetEx | kSetPx)) {
    long long now = cmd_time_ms();
    if (*ms > LLONG_MAX - now) {
      reply_expire_error(c);
      return false;
    }
    *ms += now;
  }
  if (*ms <= 0) {
    reply_expire_error(c);
    return false;
  }
  return true;
}

// Replies the value of `key` (or null); false (after replying WRONGTYPE) if not a string.
bool reply_get(Client& c, std::string_view key) {
  KeyEntry* e = lookup_read(*c.db, key);
  if (wrong_type(c, e, Type::String)) return false;
  char buf[24];
  if (e)
    c.reply().bulk(string_view_of(e->val, buf));
  else
    c.reply().null();
  return true;
}

void set_generic(Client& c, int flags, std::string_view key, std::string_view val,
                 std::string_view expire, const char* ok_reply, bool abort_null) {
  long long when = 0;
  if (!expire.empty() || (flags & kAnyExpire)) {
    if (!expire_ms(c, expire, flags, &when)) return;
  }
  if ((flags & kSetGet) && !reply_get(c, key)) return;
  Db& db = *c.db;
  KeyEntry* e = lookup_write(db, key);
  if (((flags & kSetNx) && e) || ((flags & kSetXx) && !e)) {
    if (!(flags & kSetGet)) {
      if (abort_null)
        c.reply().null();
      else
        c.reply().integer(0);
    }
    return;
  }
  if (e) {
    db_overwrite(e, string_value(val));
    if (!(flags & kSetKeepTtl)) remove_expire(db, e);
  } else {
    e = db_add(db, key, string_value(val));
  }
  key_changed(db, key, kNotifyString, "set");
  if (flags & kAnyExpire) {
    set_expire(db, e, when);
    notify_keyspace_event(kNotifyGeneric, "expire", key, db.id);
  }
  if (!(flags & kSetGet)) {
    if (ok_reply)
      c.reply().raw(ok_reply);
    else
      c.reply().ok();
  }
}

void set_command(Client& c) {
  int flags = 0;
  std::string_view expire;
  if (!parse_set_options(c, 3, Cmd::Set, &flags, &expire)) return;
  set_generic(c, flags, c.argv[1], c.argv[2], expire, nullptr, true);
}

void setnx_command(Client& c) {
  set_generic(c, kSetNx, c.argv[1], c.argv[2], {}, ":1\r\n", false);
}

void setex_command(Client& c) {
  set_generic(c, kSetEx, c.argv[1], c.argv[3], c.argv[2], nullptr, true);
}

void psetex_command(Client& c) {
  set_generic(c, kSetPx, c.argv[1], c.argv[3], c.argv[2], nullptr, true);
}

void get_command(Client& c) { reply_get(c, c.argv[1]); }

void getset_command(Client& c) {
  if (!reply_get(c, c.argv[1])) return;
  Db& db = *c.db;
  db_set(db, c.argv[1], string_value(c.argv[2]));
  key_changed(db, c.argv[1], kNotifyString, "set");
}

void getex_command(Client& c) {
  int flags = 0;
  std::string_view expire;
  if (!parse_set_options(c, 2, Cmd::GetEx, &flags, &expire)) return;
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_read_or_reply(c, key, Type::String, IfMissing::Null);
  if (!e) return;
  // Like Redis 7.0: the expire time is validated only once the key is known to exist.
  long long when = 0;
  if ((flags & kAnyExpire) && !expire_ms(c, expire, flags, &when)) return;
  char buf[24];
  c.reply().bulk(string_view_of(e->val, buf));
  if ((flags & (kSetExat | kSetPxat)) && when <= cmd_time_ms()) {
    db_delete_entry(db, e);
    key_changed(db, key, kNotifyGeneric, "del");
  } else if (flags & kAnyExpire) {
    set_expire(db, e, when);
    key_changed(db, key, kNotifyGeneric, "expire");
  } else if ((flags & kSetPersist) && remove_expire(db, e)) {
    key_changed(db, key, kNotifyGeneric, "persist");
  }
}

void getdel_command(Client& c) {
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_read_or_reply(c, key, Type::String, IfMissing::Null);
  if (!e) return;
  char buf[24];
  c.reply().bulk(string_view_of(e->val, buf));
  db_delete_entry(db, e);
  key_changed(db, key, kNotifyGeneric, "del");
}

void mget_command(Client& c) {
  c.reply().array(c.argv.size() - 1);
  char buf[24];
  for (size_t j = 1; j < c.argv.size(); j++) {
    KeyEntry* e = lookup_read(*c.db, c.argv[j]);
    if (!e || e->val.type != Type::String)
      c.reply().null();
    else
      c.reply().bulk(string_view_of(e->val, buf));
  }
}

void mset_generic(Client& c, bool nx) {
  if (c.argv.size() % 2 == 0) {
    reply_wrong_arity(c);
    return;
  }
  Db& db = *c.db;
  if (nx) {
    for (size_t j = 1; j < c.argv.size(); j += 2)
      if (lookup_write(db, c.argv[j])) {
        c.reply().integer(0);
        return;
      }
  }
  for (size_t j = 1; j < c.argv.size(); j += 2) {
    db_set(db, c.argv[j], string_value(c.argv[j + 1]));
    key_changed(db, c.argv[j], kNotifyString, "set");
  }
  if (nx)
    c.reply().integer(1);
  else
    c.reply().ok();
}

void mset_command(Client& c) { mset_generic(c, false); }
void msetnx_command(Client& c) { mset_generic(c, true); }

// INCRBY's and INCRBYFLOAT's result: replaces the value of `e` (its TTL stays), or adds the key
// when e is null; then signals the keyspace event `event`.
void store_result(Db& db, KeyEntry* e, std::string_view key, Robj v, const char* event) {
  if (e)
    db_overwrite(e, std::move(v));
  else
    db_add(db, key, std::move(v));
  key_changed(db, key, kNotifyString, event);
}

void incr_generic(Client& c, long long incr) {
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write(db, key);
  if (wrong_type(c, e, Type::String)) return;
  long long value = 0;
  if (e) {
    if (e->val.enc == Enc::Int) {
      value = e->val.i;
    } else if (!resp::parse_ll(str_view(static_cast<Sds*>(e->val.ptr)), &value)) {
      reply_not_integer(c);
      return;
    }
  }
  if (incr_overflows(value, incr)) {
    reply_error(c, kErrOverflow);
    return;
  }
  value += incr;
  store_result(db, e, key, string_value_int(value), "incrby");
  c.reply().integer(value);
}

void incr_command(Client& c) { incr_generic(c, 1); }
void decr_command(Client& c) { incr_generic(c, -1); }
void incrby_command(Client& c) {
  long long v;
  if (arg_ll(c, c.argv[2], &v)) incr_generic(c, v);
}
void decrby_command(Client& c) {
  long long v;
  if (!arg_ll(c, c.argv[2], &v)) return;
  if (v == LLONG_MIN) {
    reply_error(c, "ERR decrement would overflow");
    return;
  }
  incr_generic(c, -v);
}


void incrbyfloat_command(Client& c) {
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write(db, key);
  if (wrong_type(c, e, Type::String)) return;
  long double value = 0, incr;
  if (e) {
    char buf[24];
    if (!parse_long_double(string_view_of(e->val, buf), &value)) {
      reply_error(c, kErrNotFloat);
      return;
    }
  }
  if (!parse_long_double(c.argv[2], &incr)) {
    reply_error(c, kErrNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    reply_error(c, "ERR increment would produce NaN or Infinity");
    return;
  }
  std::string s = format_long_double_human(value);
  store_result(db, e, key, string_value(s), "incrbyfloat");
  c.reply().bulk(s);
}

void append_command(Client& c) {
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write(db, key);
  if (wrong_type(c, e, Type::String)) return;
  size_t total;
  if (!e) {
    db_add(db, key, string_value(c.argv[2]));
    total = c.argv[2].size();
  } else {
    size_t cur = string_len(e->val);
    if (string_too_long(c, (long long)cur, c.argv[2].size())) return;
    total = cur + c.argv[2].size();
    Sds* str = string_grow(e->val, total);
    std::memcpy(str->data + cur, c.argv[2].data(), c.argv[2].size());
  }
  key_changed(db, key, kNotifyString, "append");
  c.reply().integer((long long)total);
}

void strlen_command(Client& c) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::String, IfMissing::Zero);
  if (e) c.reply().integer((long long)string_len(e->val));
}

void setrange_command(Client& c) {
  long long offset;
  if (!arg_ll(c, c.argv[2], &offset)) return;
  if (offset < 0) {
    reply_error(c, "ERR offset is out of range");
    return;
  }
  Db& db = *c.db;
  std::string_view key = c.argv[1], val = c.argv[3];
  KeyEntry* e = lookup_write(db, key);
  if (wrong_type(c, e, Type::String)) return;
  size_t cur = e ? string_len(e->val) : 0;
  // Nothing to write: the key (or its absence, or its encoding) stays as it is.
  if (val.empty()) {
    c.reply().integer((long long)cur);
    return;
  }
  if (string_too_long(c, offset, val.size())) return;
  if (!e) e = db_add(db, key, string_value(""));
  Sds* str = string_grow(e->val, std::max(cur, size_t(offset) + val.size()));
  std::memcpy(str->data + offset, val.data(), val.size());
  key_changed(db, key, kNotifyString, "setrange");
  c.reply().integer((long long)str->len);
}

void getrange_command(Client& c) {
  long long start, end;
  if (!arg_ll(c, c.argv[2], &start) || !arg_ll(c, c.argv[3], &end)) return;
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::String, IfMissing::EmptyBulk);
  if (!e) return;
  char buf[24];
  std::string_view s = string_view_of(e->val, buf);
  long long len = (long long)s.size();
  if (start < 0 && end < 0 && start > end) {
    c.reply().bulk("");
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    c.reply().bulk("");
    return;
  }
  c.reply().bulk(s.substr(size_t(start), size_t(end - start + 1)));
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest common subsequence
// of two strings (missing keys are empty) by dynamic programming, O(N*M) time and memory; the
// table may not exceed proto-max-bulk-len bytes.  The walk back through the table prefers to
// drop a byte of key2 on ties, as Redis does, so the same subsequence and ranges come out.
void lcs_command(Client& c) {
  Db& db = *c.db;
  KeyEntry* ea = lookup_read(db, c.argv[1]);
  KeyEntry* eb = lookup_read(db, c.argv[2]);
  if ((ea && ea->val.type != Type::String) || (eb && eb->val.type != Type::String))
    return reply_error(c, "ERR The specified keys must contain string values");
  char abuf[24], bbuf[24];
  std::string_view a = ea ? string_view_of(ea->val, abuf) : std::string_view();
  std::string_view b = eb ? string_view_of(eb->val, bbuf) : std::string_view();
  bool want_len = false, want_idx = false, with_match_len = false;
  long long min_match_len = 0;
  for (size_t j = 3; j < c.argv.size(); j++) {
    std::string_view opt = c.argv[j];
    if (eq_nocase(opt, "idx")) {
      want_idx = true;
    } else if (eq_nocase(opt, "len")) {
      want_len = true;
    } else if (eq_nocase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (eq_nocase(opt, "minmatchlen") && j + 1 < c.argv.size()) {
      if (!arg_ll(c, c.argv[++j], &min_match_len)) return;
      if (min_match_len < 0) min_match_len = 0;
    } else {
      return reply_syntax_error(c);
    }
  }
  if (want_len && want_idx)
    return reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
  size_t alen = a.size(), blen = b.size();
  unsigned long long cells = (unsigned long long)(alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) > (unsigned long long)srv().cfg.proto_max_bulk_len)
    return reply_error(
        c, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  // t[i][j]: LCS length of a[0..i) and b[0..j).
  std::vector<uint32_t> t(cells, 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return t[i * (blen + 1) + j]; };
  for (size_t i = 1; i <= alen; i++)
    for (size_t j = 1; j <= blen; j++)
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
  uint32_t total = at(alen, blen);
  if (want_len) return c.reply().integer(total);

  std::string result(total, '\0');
  struct Range {
    size_t a0, a1, b0, b1;
  };
  std::vector<Range> ranges;  // maximal runs of matching bytes, from the end
  bool open = false;          // a run is being extended backwards
  Range cur{};
  auto close_run = [&]() {
    size_t len = cur.a1 - cur.a0 + 1;
    if (min_match_len == 0 || len >= (size_t)min_match_len) ranges.push_back(cur);
    open = false;
  };
  size_t i = alen, j = blen, k = total;
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      result[--k] = a[i - 1];
      if (!open) {
        cur = {i - 1, i - 1, j - 1, j - 1};
        open = true;
      } else {
        cur.a0 = i - 1;
        cur.b0 = j - 1;
      }
      i--;
      j--;
      if (i == 0 || j == 0) close_run();
    } else {
      if (at(i - 1, j) > at(i, j - 1))
        i--;
      else
        j--;
      if (open) close_run();
    }
  }
  if (!want_idx) return c.reply().bulk(result);
  c.reply().map(2);
  c.reply().bulk("matches");
  c.reply().array(ranges.size());
  for (const Range& r : ranges) {
    c.reply().array(with_match_len ? 3 : 2);
    c.reply().array(2);
    c.reply().integer((long long)r.a0);
    c.reply().integer((long long)r.a1);
    c.reply().array(2);
    c.reply().integer((long long)r.b0);
    c.reply().integer((long long)r.b1);
    if (with_match_len) c.reply().integer((long long)(r.a1 - r.a0 + 1));
  }
  c.reply().bulk("len");
  c.reply().integer(total);
}

Command kCommands[] = {
    {.name = "set", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = set_command},
    {.name = "setnx", .arity = 3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = setnx_command},
    {.name = "setex", .arity = 4, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = setex_command},
    {.name = "psetex", .arity = 4, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = psetex_command},
    {.name = "get", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = get_command},
    {.name = "getset", .arity = 3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = getset_command},
    {.name = "getex", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = getex_command},
    {.name = "getdel", .arity = 2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = getdel_command},
    {.name = "mget", .arity = -2, .flags = kCmdReadonly | kCmdFast, .keys = {1, -1, 1},
     .proc = mget_command},
    {.name = "mset", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, -1, 2},
     .proc = mset_command},
    {.name = "msetnx", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, -1, 2},
     .proc = msetnx_command},
    {.name = "incr", .arity = 2, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = incr_command},
    {.name = "decr", .arity = 2, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = decr_command},
    {.name = "incrby", .arity = 3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = incrby_command},
    {.name = "decrby", .arity = 3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = decrby_command},
    {.name = "incrbyfloat", .arity = 3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
     .keys = {1, 1, 1}, .proc = incrbyfloat_command},
    {.name = "append", .arity = 3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
     .keys = {1, 1, 1}, .proc = append_command},
    {.name = "strlen", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = strlen_command},
    {.name = "setrange", .arity = 4, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = setrange_command},
    {.name = "getrange", .arity = 4, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = getrange_command},
    {.name = "substr", .arity = 4, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = getrange_command},
    {.name = "lcs", .arity = -3, .flags = kCmdReadonly, .keys = {1, 2, 1}, .proc = lcs_command},
};

}  // namespace

std::span<Command> string_commands() { return kCommands; }

}  // namespace sc::broker
