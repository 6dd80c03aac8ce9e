// The hash type: Redis 7.0's H* commands over two encodings.
//
//  - Enc::Listpack (small hashes): field,value,field,value... entries in one block, in insertion
//    order (replies come in that order, like Redis's listpack hashes).
//  - Enc::Hashtable (large hashes): a Dict of HashNode, each node holding field and value in one
//    allocation.
//
// A hash is converted to a table, never back, when it gets more than hash-max-listpack-entries
// fields or a field or value longer than hash-max-listpack-value bytes (Redis's thresholds).
#include "t_hash.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "collection_scan.h"
#include "listpack.h"
#include "server.h"

namespace sc::broker {

namespace {

// A field and its value in one allocation: [next][flen][vlen] field bytes, value bytes.
struct HashNode {
  HashNode* next;
  uint32_t flen;
  uint32_t vlen;
  char data[];
  std::string_view field() const { return {data, flen}; }
  std::string_view value() const { return {data + flen, vlen}; }
};
struct HashNodeTraits {
  static std::string_view key(const HashNode* n) { return n->field(); }
};
using HashDict = Dict<HashNode, HashNodeTraits>;

// Largest listpack we build before switching to a table whatever the settings (like Redis's
// lpSafeToAdd, which caps a listpack at 1 GiB).
constexpr size_t kLpSafeLimit = 1u << 30;

HashNode* node_new(std::string_view f, std::string_view v) {
  auto* n = static_cast<HashNode*>(std::malloc(offsetof(HashNode, data) + f.size() + v.size()));
  if (!n) std::abort();
  n->next = nullptr;
  n->flen = uint32_t(f.size());
  n->vlen = uint32_t(v.size());
  if (!f.empty()) std::memcpy(n->data, f.data(), f.size());
  if (!v.empty()) std::memcpy(n->data + f.size(), v.data(), v.size());
  return n;
}

inline Listpack*& lp_of(Robj& v) { return reinterpret_cast<Listpack*&>(v.ptr); }
inline const Listpack* lp_of(const Robj& v) { return static_cast<const Listpack*>(v.ptr); }
inline HashDict* ht_of(const Robj& v) { return static_cast<HashDict*>(v.ptr); }

Robj hash_new() {
  Robj v;
  v.type = Type::Hash;
  v.enc = Enc::Listpack;
  v.ptr = lp_new();
  return v;
}

void hash_convert(Robj& v) {
  if (v.enc != Enc::Listpack) return;
  Listpack* lp = lp_of(v);
  auto* d = new HashDict();
  LpEntry f, val;
  char fb[24], vb[24];
  for (uint32_t p = lp_first(); p < lp_end(lp);) {
    p = lp_get(lp, p, &f);
    p = lp_get(lp, p, &val);
    d->insert(node_new(f.view(fb), val.view(vb)));
  }
  lp_free(lp);
  v.enc = Enc::Hashtable;
  v.ptr = d;
}

// Looks `field` up.  Found: *out views the value (valid until the hash changes; integers are
// formatted into `buf`, 24 bytes).  For listpacks *ent (if given) gets the raw entry.
bool hash_get(const Robj& v, std::string_view field, std::string_view* out, char* buf,
              LpEntry* ent = nullptr) {
  if (v.enc == Enc::Listpack) {
    const Listpack* lp = lp_of(v);
    uint32_t p = lp_find(lp, LpKey(field), 2);
    if (!p) return false;
    LpEntry e;
    lp_get(lp, lp_next(lp, p), &e);
    if (ent) *ent = e;
    *out = e.view(buf);
    return true;
  }
  HashNode* n = ht_of(v)->find(field);
  if (!n) return false;
  if (ent) {
    ent->is_int = false;
    ent->sv = n->value();
  }
  *out = n->value();
  return true;
}

// Sets field to value; returns true if the field is new.
bool hash_set(Robj& v, std::string_view field, std::string_view value) {
  const Config& cfg = srv().cfg;
  if (v.enc == Enc::Listpack) {
    if (field.size() > size_t(cfg.hash_max_listpack_value) ||
        value.size() > size_t(cfg.hash_max_listpack_value) ||
        lp_bytes(lp_of(v)) + field.size() + value.size() + 20 > kLpSafeLimit) {
      hash_convert(v);
    }
  }
  if (v.enc == Enc::Listpack) {
    Listpack*& lp = lp_of(v);
    uint32_t p = lp_find(lp, LpKey(field), 2);
    if (p) {
      lp_replace(&lp, lp_next(lp, p), value);
      return false;
    }
    lp_append2(&lp, field, value);
    if (lp_count(lp) / 2 > uint64_t(cfg.hash_max_listpack_entries)) hash_convert(v);
    return true;
  }
  HashDict* d = ht_of(v);
  HashNode* old = d->find(field);
  if (old) {
    if (old->vlen == value.size()) {
      if (!value.empty()) std::memcpy(old->data + old->flen, value.data(), value.size());
      return false;
    }
    HashNode* n = node_new(field, value);
    d->replace(old, n);
    std::free(old);
    return false;
  }
  d->insert(node_new(field, value));
  return true;
}

bool hash_delete(Robj& v, std::string_view field) {
  if (v.enc == Enc::Listpack) {
    Listpack*& lp = lp_of(v);
    uint32_t p = lp_find(lp, LpKey(field), 2);
    if (!p) return false;
    lp_delete(&lp, p, 2);
    return true;
  }
  HashDict* d = ht_of(v);
  HashNode* n = d->unlink(field);
  if (!n) return false;
  std::free(n);
  d->shrink_if_needed();  // like Redis's hashTypeDelete: give the buckets back
  return true;
}

// Iterates field/value pairs as raw entries (no formatting) for the reply paths.
template <class F>
void hash_iter(const Robj& v, F&& fn) {
  if (v.enc == Enc::Listpack) {
    const Listpack* lp = lp_of(v);
    LpEntry f, val;
    for (uint32_t p = lp_first(); p < lp_end(lp);) {
      p = lp_get(lp, p, &f);
      p = lp_get(lp, p, &val);
      fn(f, val);
    }
    return;
  }
  LpEntry f, val;
  ht_of(v)->for_each([&](HashNode* n) {
    f.sv = n->field();
    val.sv = n->value();
    fn(f, val);
  });
}

inline void reply_entry(resp::Writer& w, const LpEntry& e) {
  if (e.is_int) {
    w.bulk_int(e.iv);
  } else {
    w.bulk(e.sv);
  }
}

// The hash at `key` for writing; a missing key is added to the keyspace with an empty hash,
// which the caller must fill.  nullptr (reply sent) on WRONGTYPE.
KeyEntry* hash_lookup_write_or_create(Client& c, std::string_view key) {
  KeyEntry* e = lookup_write(*c.db, key);
  if (wrong_type(c, e, Type::Hash)) return nullptr;
  return e ? e : db_add(*c.db, key, hash_new());
}

// ---- Commands ----

// HSET key field value [field value ...] / HMSET (replies OK).
void hset_command(Client& c) {
  if (c.argv.size() % 2 == 1) {
    reply_wrong_arity(c);
    return;
  }
  KeyEntry* e = hash_lookup_write_or_create(c, c.argv[1]);
  if (!e) return;
  long long created = 0;
  for (size_t i = 2; i < c.argv.size(); i += 2)
    created += hash_set(e->val, c.argv[i], c.argv[i + 1]) ? 1 : 0;
  std::string_view name = c.argv[0];
  if (name.size() > 1 && (name[1] == 's' || name[1] == 'S')) {
    c.reply().integer(created);
  } else {
    c.reply().ok();
  }
  key_changed(c, c.argv[1], kNotifyHash, "hset", (long long)(c.argv.size() - 2) / 2);
}

void hsetnx_command(Client& c) {
  KeyEntry* e = hash_lookup_write_or_create(c, c.argv[1]);
  if (!e) return;
  std::string_view cur;
  char buf[24];
  if (hash_get(e->val, c.argv[2], &cur, buf)) {
    c.reply().integer(0);
    return;
  }
  hash_set(e->val, c.argv[2], c.argv[3]);
  c.reply().integer(1);
  key_changed(c, c.argv[1], kNotifyHash, "hset");
}

void hget_command(Client& c) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Hash, IfMissing::Null);
  if (!e) return;
  std::string_view v;
  char buf[24];
  if (!hash_get(e->val, c.argv[2], &v, buf)) return c.reply().null();
  c.reply().bulk(v);
}

void hmget_command(Client& c) {
  KeyEntry* e = lookup_read(*c.db, c.argv[1]);
  if (wrong_type(c, e, Type::Hash)) return;
  resp::Writer& w = c.reply();
  w.array(c.argv.size() - 2);
  for (size_t i = 2; i < c.argv.size(); i++) {
    std::string_view v;
    char buf[24];
    if (e && hash_get(e->val, c.argv[i], &v, buf)) {
      w.bulk(v);
    } else {
      w.null();
    }
  }
}

void hdel_command(Client& c) {
  remove_members_command(c, Type::Hash, hash_delete, hash_len, kNotifyHash, "hdel");
}

void hlen_command(Client& c) { length_command(c, Type::Hash, hash_len); }

void hstrlen_command(Client& c) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Hash, IfMissing::Zero);
  if (!e) return;
  std::string_view v;
  char buf[24];
  c.reply().integer(hash_get(e->val, c.argv[2], &v, buf) ? (long long)v.size() : 0);
}

void hexists_command(Client& c) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Hash, IfMissing::Zero);
  if (!e) return;
  std::string_view v;
  char buf[24];
  c.reply().integer(hash_get(e->val, c.argv[2], &v, buf) ? 1 : 0);
}

void hincrby_command(Client& c) {
  long long incr;
  if (!arg_ll(c, c.argv[3], &incr)) return;
  KeyEntry* e = lookup_write(*c.db, c.argv[1]);
  if (wrong_type(c, e, Type::Hash)) return;
  long long value = 0;
  std::string_view cur;
  char buf[24];
  LpEntry ent;
  if (e && hash_get(e->val, c.argv[2], &cur, buf, &ent)) {
    if (ent.is_int) {
      value = ent.iv;
    } else if (!resp::parse_ll(cur, &value)) {
      reply_error(c, "ERR hash value is not an integer");
      return;
    }
  }
  if (incr_overflows(value, incr)) {
    reply_error(c, kErrOverflow);
    return;
  }
  value += incr;
  if (!e) e = db_add(*c.db, c.argv[1], hash_new());
  char nb[24];
  hash_set(e->val, c.argv[2], std::string_view(nb, resp::format_ll(nb, value)));
  c.reply().integer(value);
  key_changed(c, c.argv[1], kNotifyHash, "hincrby");
}

void hincrbyfloat_command(Client& c) {
  long double incr, value = 0;
  if (!parse_long_double(c.argv[3], &incr)) {
    reply_error(c, kErrNotFloat);
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    reply_error(c, "ERR value is NaN or Infinity");
    return;
  }
  KeyEntry* e = lookup_write(*c.db, c.argv[1]);
  if (wrong_type(c, e, Type::Hash)) return;
  std::string_view cur;
  char buf[24];
  LpEntry ent;
  if (e && hash_get(e->val, c.argv[2], &cur, buf, &ent)) {
    if (ent.is_int) {
      value = (long double)ent.iv;
    } else if (!parse_long_double(cur, &value)) {
      reply_error(c, "ERR hash value is not a float");
      return;
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    reply_error(c, "ERR increment would produce NaN or Infinity");
    return;
  }
  std::string out = format_long_double_human(value);
  if (!e) e = db_add(*c.db, c.argv[1], hash_new());
  hash_set(e->val, c.argv[2], out);
  c.reply().bulk(out);
  // Logged as HSET of the result so replay does not depend on float arithmetic.
  c.prop.push_back({"HSET", std::string(c.argv[1]), std::string(c.argv[2]), out});
  key_changed(c, c.argv[1], kNotifyHash, "hincrbyfloat");
}

enum : int { kWantFields = 1, kWantValues = 2 };

void hgetall_generic(Client& c, int want) {
  bool pairs = want == (kWantFields | kWantValues);
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Hash,
                                     pairs ? IfMissing::EmptyMap : IfMissing::EmptyArray);
  if (!e) return;
  resp::Writer& w = c.reply();
  size_t n = hash_len(e->val);
  if (pairs) {
    w.map(n);
  } else {
    w.array(n);
  }
  hash_iter(e->val, [&](const LpEntry& f, const LpEntry& v) {
    if (want & kWantFields) reply_entry(w, f);
    if (want & kWantValues) reply_entry(w, v);
  });
}

void hkeys_command(Client& c) { hgetall_generic(c, kWantFields); }
void hvals_command(Client& c) { hgetall_generic(c, kWantValues); }
void hgetall_command(Client& c) { hgetall_generic(c, kWantFields | kWantValues); }

void hscan_command(Client& c) {
  uint64_t cursor;
  ScanOpts o;
  KeyEntry* e = scan_open(c, Type::Hash, &cursor, &o);
  if (!e) return;
  std::vector<std::string_view> items;
  std::vector<std::string> ints;  // formatted integers of a listpack (stable storage)
  if (e->val.enc == Enc::Listpack) {
    const Listpack* lp = lp_of(e->val);
    items.reserve(lp_count(lp));
    ints.reserve(lp_count(lp));
    lp_for_each(lp, [&](const LpEntry& x) { scan_add_entry(x, &items, &ints); });
    cursor = 0;
  } else {
    cursor = scan_dict(ht_of(e->val), cursor, o, items, [&](HashNode* n) {
      items.push_back(n->field());
      items.push_back(n->value());
    });
  }
  scan_reply(c, cursor, items, true, o);
}

// HRANDFIELD key [count [WITHVALUES]]
void hrandfield_with_count(Client& c, long long l, bool withvalues) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Hash, IfMissing::EmptyArray);
  if (!e) return;
  resp::Writer& w = c.reply();
  const Robj& v = e->val;
  bool resp3 = w.proto() == resp::Proto::Resp3;
  uint64_t count;
  bool uniq = true;
  if (l >= 0) {
    count = uint64_t(l);
  } else {
    count = uint64_t(-l);
    uniq = false;
  }
  if (count == 0) {
    w.array(0);
    return;
  }
  size_t size = hash_len(v);
  auto emit = [&](const LpEntry& f, const LpEntry& val) {
    if (withvalues && resp3) w.array(2);
    reply_entry(w, f);
    if (withvalues) reply_entry(w, val);
  };
  // Positions of the pairs of a listpack, for O(1) random access.
  std::vector<uint32_t> pos;
  if (v.enc == Enc::Listpack) {
    const Listpack* lp = lp_of(v);
    pos.reserve(size);
    for (uint32_t p = lp_first(); p < lp_end(lp); p = lp_next(lp, lp_next(lp, p))) pos.push_back(p);
  }
  auto emit_lp = [&](uint32_t p) {
    const Listpack* lp = lp_of(v);
    LpEntry f, val;
    lp_get(lp, lp_get(lp, p, &f), &val);
    emit(f, val);
  };
  auto emit_node = [&](HashNode* n) {
    LpEntry f, val;
    f.sv = n->field();
    val.sv = n->value();
    emit(f, val);
  };

  // Case 1: repetitions allowed (negative count) or a single element: sample independently.
  if (!uniq || count == 1) {
    w.array(withvalues && !resp3 ? count * 2 : count);
    for (uint64_t i = 0; i < count; i++) {
      if (v.enc == Enc::Listpack) {
        emit_lp(pos[rand64() % pos.size()]);
      } else {
        emit_node(ht_of(v)->random());
      }
    }
    return;
  }
  size_t reply_size = count < size ? size_t(count) : size;
  w.array(withvalues && !resp3 ? reply_size * 2 : reply_size);
  // Case 2: at least as many as there are: the whole hash.
  if (count >= size) {
    hash_iter(v, emit);
    return;
  }
  // Case 3: a listpack: pick `count` distinct pairs, emitted in listpack order.
  if (v.enc == Enc::Listpack) {
    size_t need = size_t(count);
    for (size_t i = 0; i < pos.size() && need; i++) {
      if (rand64() % (pos.size() - i) < need) {  // selection sampling
        emit_lp(pos[i]);
        need--;
      }
    }
    return;
  }
  HashDict* d = ht_of(v);
  if (count * 3 > size) {
    // Case 4: many of them: shuffle a copy of all nodes partially and take a prefix.
    std::vector<HashNode*> all;
    all.reserve(size);
    d->for_each([&](HashNode* n) { all.push_back(n); });
    for (size_t i = 0; i < reply_size; i++) {
      size_t j = i + size_t(rand64() % (all.size() - i));
      std::swap(all[i], all[j]);
      emit_node(all[i]);
    }
    return;
  }
  // Case 5: few of them: random picks until `count` distinct ones.
  std::unordered_set<HashNode*> seen;
  seen.reserve(reply_size);
  while (seen.size() < reply_size) {
    HashNode* n = d->random();
    if (seen.insert(n).second) emit_node(n);
  }
}

void hrandfield_command(Client& c) {
  if (c.argv.size() >= 3) {
    long long l;
    if (!arg_ll(c, c.argv[2], &l)) return;
    if (l == LLONG_MIN) {
      reply_error(c,
                  "ERR value is out of range, value must between -9223372036854775807 and "
                  "9223372036854775807");
      return;
    }
    bool withvalues = false;
    if (c.argv.size() > 4 || (c.argv.size() == 4 && !eq_nocase(c.argv[3], "withvalues"))) {
      reply_error(c, kErrSyntax);
      return;
    }
    if (c.argv.size() == 4) {
      withvalues = true;
      if (l < LLONG_MIN / 2 || l > LLONG_MAX / 2) {
        reply_error(c, "ERR value is out of range");
        return;
      }
    }
    hrandfield_with_count(c, l, withvalues);
    return;
  }
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Hash, IfMissing::Null);
  if (!e) return;
  const Robj& v = e->val;
  if (v.enc == Enc::Listpack) {
    const Listpack* lp = lp_of(v);
    uint32_t idx = uint32_t(rand64() % (lp_count(lp) / 2));
    uint32_t p = lp_first();
    for (uint32_t i = 0; i < idx * 2; i++) p = lp_next(lp, p);
    LpEntry f;
    lp_get(lp, p, &f);
    reply_entry(c.reply(), f);
  } else {
    c.reply().bulk(ht_of(v)->random()->field());
  }
}

Command kCommands[] = {
    {.name = "hset", .arity = -4, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = hset_command},
    {.name = "hsetnx", .arity = 4, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = hsetnx_command},
    {.name = "hget", .arity = 3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = hget_command},
    {.name = "hmset", .arity = -4, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = hset_command},
    {.name = "hmget", .arity = -3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = hmget_command},
    {.name = "hdel", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = hdel_command},
    {.name = "hlen", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = hlen_command},
    {.name = "hstrlen", .arity = 3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = hstrlen_command},
    {.name = "hexists", .arity = 3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = hexists_command},
    {.name = "hincrby", .arity = 4, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = hincrby_command},
    {.name = "hincrbyfloat", .arity = 4, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
     .keys = {1, 1, 1}, .proc = hincrbyfloat_command},
    {.name = "hkeys", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .proc = hkeys_command},
    {.name = "hvals", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1}, .proc = hvals_command},
    {.name = "hgetall", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = hgetall_command},
    {.name = "hscan", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .proc = hscan_command},
    {.name = "hrandfield", .arity = -2, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = hrandfield_command},
};

}  // namespace

std::span<Command> hash_commands() { return kCommands; }

size_t hash_len(const Robj& v) {
  if (v.enc == Enc::Listpack) return lp_count(lp_of(v)) / 2;
  return ht_of(v)->size();
}

size_t hash_mem(const Robj& v) {
  if (v.enc == Enc::Listpack) return lp_bytes(lp_of(v));
  HashDict* d = ht_of(v);
  size_t n = sizeof(HashDict) + d->overhead_bytes();
  d->for_each([&](HashNode* x) { n += offsetof(HashNode, data) + x->flen + x->vlen; });
  return n;
}

void hash_for_each_raw(const Robj& v,
                       void (*fn)(void* ctx, std::string_view field, std::string_view value),
                       void* ctx) {
  hash_iter(v, [&](const LpEntry& f, const LpEntry& val) {
    char fb[24], vb[24];
    fn(ctx, f.view(fb), val.view(vb));
  });
}

void hash_free(Robj& v) {
  if (!v.ptr) return;
  if (v.enc == Enc::Listpack) {
    lp_free(lp_of(v));
  } else {
    free_dict_and_nodes(ht_of(v));
  }
  v.ptr = nullptr;
}

Robj hash_dup(const Robj& v) {
  Robj out;
  out.type = Type::Hash;
  out.enc = v.enc;
  if (v.enc == Enc::Listpack) {
    out.ptr = lp_dup(lp_of(v));
  } else {
    auto* d = new HashDict();
    ht_of(v)->for_each([&](HashNode* n) { d->insert(node_new(n->field(), n->value())); });
    out.ptr = d;
  }
  return out;
}

}  // namespace sc::broker
