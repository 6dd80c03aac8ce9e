// The set type: Redis 7.0's S* commands over three encodings.
//
//  - Enc::Intset: every member is a canonical integer; sorted (replies are ascending, as in
//    Redis), up to set-max-intset-entries members.
//  - Enc::Listpack: small sets with other members, insertion order, up to
//    set-max-listpack-entries members of at most set-max-listpack-value bytes (Redis 7.2's
//    encoding; Redis 7.0 uses a table here, whose order is arbitrary anyway).
//  - Enc::Hashtable: a Dict of SetNode (member bytes inline in the node).
//
// Sets only move towards the table while they grow; a set built by SINTERSTORE & co. starts
// as an intset like in Redis.
#include "t_set.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "collection_scan.h"
#include "intset.h"
#include "listpack.h"
#include "server.h"

namespace sc::broker {

namespace {

struct SetNode {
  SetNode* next;
  uint32_t len;
  char data[];
  std::string_view member() const { return {data, len}; }
};
struct SetNodeTraits {
  static std::string_view key(const SetNode* n) { return n->member(); }
};
using SetDict = Dict<SetNode, SetNodeTraits>;

SetNode* node_new(std::string_view m) {
  auto* n = static_cast<SetNode*>(std::malloc(offsetof(SetNode, data) + m.size()));
  if (!n) std::abort();
  n->next = nullptr;
  n->len = uint32_t(m.size());
  if (!m.empty()) std::memcpy(n->data, m.data(), m.size());
  return n;
}

inline Intset*& is_of(Robj& v) { return reinterpret_cast<Intset*&>(v.ptr); }
inline const Intset* is_of(const Robj& v) { return static_cast<const Intset*>(v.ptr); }
inline Listpack*& lp_of(Robj& v) { return reinterpret_cast<Listpack*&>(v.ptr); }
inline const Listpack* lp_of(const Robj& v) { return static_cast<const Listpack*>(v.ptr); }
inline SetDict* ht_of(const Robj& v) { return static_cast<SetDict*>(v.ptr); }

Robj set_new_intset() {
  Robj v;
  v.type = Type::Set;
  v.enc = Enc::Intset;
  v.ptr = intset_new();
  return v;
}

// An empty set in the encoding Redis would pick for a first member `m`.
Robj set_new_for(std::string_view m) {
  LpKey k(m);
  if (k.is_int) return set_new_intset();
  Robj v;
  v.type = Type::Set;
  if (srv().cfg.set_max_listpack_entries > 0 &&
      m.size() <= size_t(srv().cfg.set_max_listpack_value)) {
    v.enc = Enc::Listpack;
    v.ptr = lp_new();
  } else {
    v.enc = Enc::Hashtable;
    v.ptr = new SetDict();
  }
  return v;
}

// Calls fn(const LpEntry&) for each member in the set's order.
template <class F>
void set_iter(const Robj& v, F&& fn) {
  LpEntry e;
  switch (v.enc) {
    case Enc::Intset: {
      const Intset* is = is_of(v);
      e.is_int = true;
      for (uint32_t i = 0; i < intset_len(is); i++) {
        e.iv = intset_get(is, i);
        fn(e);
      }
      return;
    }
    case Enc::Listpack:
      lp_for_each(lp_of(v), fn);
      return;
    default:
      ht_of(v)->for_each([&](SetNode* n) {
        e.sv = n->member();
        fn(e);
      });
  }
}

// Converts to `to` (Hashtable, or Listpack from Intset).
void set_convert(Robj& v, Enc to) {
  if (v.enc == to) return;
  if (to == Enc::Hashtable) {
    auto* d = new SetDict();
    set_iter(v, [&](const LpEntry& e) {
      char b[24];
      d->insert(node_new(e.view(b)));
    });
    if (v.enc == Enc::Intset) {
      intset_free(is_of(v));
    } else {
      lp_free(lp_of(v));
    }
    v.enc = Enc::Hashtable;
    v.ptr = d;
    return;
  }
  // Intset -> listpack (the only other conversion).
  Intset* is = is_of(v);
  Listpack* lp = lp_new();
  for (uint32_t i = 0; i < intset_len(is); i++) lp_append_int(&lp, intset_get(is, i));
  intset_free(is);
  v.enc = Enc::Listpack;
  v.ptr = lp;
}

bool set_is_member(const Robj& v, const LpKey& k) {
  switch (v.enc) {
    case Enc::Intset:
      return k.is_int && intset_find(is_of(v), k.iv);
    case Enc::Listpack:
      return lp_find(lp_of(v), k, 1) != 0;
    default:
      return ht_of(v)->find(k.sv) != nullptr;
  }
}

// Adds `m`; true if it was not a member.
bool set_add(Robj& v, std::string_view m) {
  const Config& cfg = srv().cfg;
  LpKey k(m);
  if (v.enc == Enc::Intset) {
    if (k.is_int) {
      if (!intset_add(&is_of(v), k.iv)) return false;
      if (intset_len(is_of(v)) > uint64_t(cfg.set_max_intset_entries))
        set_convert(v, Enc::Hashtable);
      return true;
    }
    if (intset_len(is_of(v)) < uint64_t(cfg.set_max_listpack_entries) &&
        m.size() <= size_t(cfg.set_max_listpack_value)) {
      set_convert(v, Enc::Listpack);
    } else {
      set_convert(v, Enc::Hashtable);
    }
  }
  if (v.enc == Enc::Listpack) {
    Listpack*& lp = lp_of(v);
    if (lp_find(lp, k, 1)) return false;
    if (lp_count(lp) + 1 > uint64_t(cfg.set_max_listpack_entries) ||
        m.size() > size_t(cfg.set_max_listpack_value) || lp_bytes(lp) + m.size() > (1u << 30)) {
      set_convert(v, Enc::Hashtable);
    } else {
      lp_append(&lp, m);
      return true;
    }
  }
  SetDict* d = ht_of(v);
  if (d->find(m)) return false;
  d->insert(node_new(m));
  return true;
}

bool set_remove(Robj& v, std::string_view m) {
  LpKey k(m);
  switch (v.enc) {
    case Enc::Intset:
      return k.is_int && intset_remove(&is_of(v), k.iv);
    case Enc::Listpack: {
      Listpack*& lp = lp_of(v);
      uint32_t p = lp_find(lp, k, 1);
      if (!p) return false;
      lp_delete(&lp, p, 1);
      return true;
    }
    default: {
      SetDict* d = ht_of(v);
      SetNode* n = d->unlink(m);
      if (!n) return false;
      std::free(n);
      d->shrink_if_needed();  // like Redis's setTypeRemove
      return true;
    }
  }
}

// Random access to members, prepared once for many picks.
class SetSampler {
 public:
  explicit SetSampler(const Robj& v) : v_(v) {
    if (v.enc == Enc::Listpack) {
      const Listpack* lp = lp_of(v);
      pos_.reserve(lp_count(lp));
      for (uint32_t p = lp_first(); p < lp_end(lp); p = lp_next(lp, p)) pos_.push_back(p);
    }
  }
  // A uniformly random member (tables: Dict::random's bucket-then-chain sampling).
  void pick(LpEntry* e) {
    switch (v_.enc) {
      case Enc::Intset: {
        const Intset* is = is_of(v_);
        e->is_int = true;
        e->iv = intset_get(is, uint32_t(rand64() % intset_len(is)));
        return;
      }
      case Enc::Listpack:
        lp_get(lp_of(v_), pos_[rand64() % pos_.size()], e);
        return;
      default:
        e->is_int = false;
        e->sv = ht_of(v_)->random()->member();
    }
  }

 private:
  const Robj& v_;
  std::vector<uint32_t> pos_;
};

inline void reply_entry(resp::Writer& w, const LpEntry& e) {
  if (e.is_int) {
    w.bulk_int(e.iv);
  } else {
    w.bulk(e.sv);
  }
}

std::string entry_string(const LpEntry& e) {
  char b[24];
  return std::string(e.view(b));
}

void reply_set_members(Client& c, const Robj& v) {
  resp::Writer& w = c.reply();
  w.set(set_len(v));
  set_iter(v, [&](const LpEntry& e) { reply_entry(w, e); });
}

// Deletes the key when its set became empty, with the "del" event.
bool set_delete_if_empty(Client& c, KeyEntry* e, std::string_view key) {
  if (set_len(e->val) != 0) return false;
  db_delete_entry(*c.db, e);
  notify_keyspace_event(kNotifyGeneric, "del", key, c.db->id);
  return true;
}

// ---- Commands ----

void sadd_command(Client& c) {
  KeyEntry* e = lookup_write(*c.db, c.argv[1]);
  if (wrong_type(c, e, Type::Set)) return;
  if (!e) e = db_add(*c.db, c.argv[1], set_new_for(c.argv[2]));
  long long added = 0;
  for (size_t i = 2; i < c.argv.size(); i++) added += set_add(e->val, c.argv[i]) ? 1 : 0;
  if (added) key_changed(c, c.argv[1], kNotifySet, "sadd", added);
  c.reply().integer(added);
}

void srem_command(Client& c) {
  remove_members_command(c, Type::Set, set_remove, set_len, kNotifySet, "srem");
}

void scard_command(Client& c) { length_command(c, Type::Set, set_len); }

void sismember_command(Client& c) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Set, IfMissing::Zero);
  if (e) c.reply().integer(set_is_member(e->val, LpKey(c.argv[2])) ? 1 : 0);
}

void smismember_command(Client& c) {
  KeyEntry* e = lookup_read(*c.db, c.argv[1]);
  if (wrong_type(c, e, Type::Set)) return;
  resp::Writer& w = c.reply();
  w.array(c.argv.size() - 2);
  for (size_t i = 2; i < c.argv.size(); i++)
    w.integer(e && set_is_member(e->val, LpKey(c.argv[i])) ? 1 : 0);
}

void smove_command(Client& c) {
  std::string_view src_key = c.argv[1], dst_key = c.argv[2], m = c.argv[3];
  KeyEntry* src = lookup_write(*c.db, src_key);
  KeyEntry* dst = lookup_write(*c.db, dst_key);
  if (!src) {
    c.reply().integer(0);
    return;
  }
  if (src->val.type != Type::Set || (dst && dst->val.type != Type::Set)) {
    reply_wrongtype(c);
    return;
  }
  if (src == dst) {
    c.reply().integer(set_is_member(src->val, LpKey(m)) ? 1 : 0);
    return;
  }
  if (!set_remove(src->val, m)) {
    c.reply().integer(0);
    return;
  }
  key_changed(c, src_key, kNotifySet, "srem");
  set_delete_if_empty(c, src, src_key);
  if (!dst) dst = db_add(*c.db, dst_key, set_new_for(m));
  if (set_add(dst->val, m)) key_changed(c, dst_key, kNotifySet, "sadd");
  c.reply().integer(1);
}

void spop_with_count(Client& c) {
  long long l;
  if (!resp::parse_ll(c.argv[2], &l) || l < 0) {
    reply_error(c, "ERR value is out of range, must be positive");
    return;
  }
  uint64_t count = uint64_t(l);
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::Set, IfMissing::EmptySet);
  if (!e) return;
  resp::Writer& w = c.reply();
  if (count == 0) return w.set(0);
  std::string_view key = c.argv[1];
  Robj& v = e->val;
  size_t size = set_len(v);
  key_changed(c, key, kNotifySet, "spop", l);
  // Case 1: everything: reply the whole set and delete the key.
  if (count >= size) {
    reply_set_members(c, v);
    c.prop.push_back({"DEL", std::string(key)});  // the AOF replays the effect, not the draw
    db_delete_entry(*c.db, e);
    notify_keyspace_event(kNotifyGeneric, "del", key, c.db->id);
    return;
  }
  w.set(size_t(count));
  // The AOF logs the members actually popped, as SREMs of at most 1024 members (like Redis).
  std::vector<std::string>* srem = nullptr;
  auto log_pop = [&](std::string_view m) {
    if (!srem || srem->size() >= 1026) {
      c.prop.push_back({"SREM", std::string(key)});
      srem = &c.prop.back();
    }
    srem->emplace_back(m);
  };
  if (v.enc != Enc::Hashtable) {
    // Small encodings: choose `count` distinct members, then remove them one by one.
    std::vector<std::string> all;
    all.reserve(size);
    set_iter(v, [&](const LpEntry& x) { all.push_back(entry_string(x)); });
    for (size_t i = 0; i < count; i++) {
      size_t j = i + size_t(rand64() % (all.size() - i));
      std::swap(all[i], all[j]);
      w.bulk(all[i]);
      log_pop(all[i]);
      set_remove(v, all[i]);
    }
  } else {
    SetDict* d = ht_of(v);
    if (count * 5 > size) {
      std::vector<SetNode*> all;
      all.reserve(size);
      d->for_each([&](SetNode* n) { all.push_back(n); });
      for (size_t i = 0; i < count; i++) {
        size_t j = i + size_t(rand64() % (all.size() - i));
        std::swap(all[i], all[j]);
      }
      for (size_t i = 0; i < count; i++) {
        SetNode* n = d->unlink(all[i]->member());
        w.bulk(n->member());
        log_pop(n->member());
        std::free(n);
      }
    } else {
      for (size_t i = 0; i < count; i++) {
        SetNode* n = d->unlink(d->random()->member());
        w.bulk(n->member());
        log_pop(n->member());
        std::free(n);
      }
    }
    d->shrink_if_needed();
  }
}

// SPOP and SRANDMEMBER: a count (argv[2]) goes to `with_count`, more arguments are a syntax
// error.  True when it has replied; false leaves the one-member form to the caller.
bool replied_other_forms(Client& c, void (*with_count)(Client&)) {
  if (c.argv.size() == 3) {
    with_count(c);
    return true;
  }
  if (c.argv.size() > 3) {
    reply_error(c, kErrSyntax);
    return true;
  }
  return false;
}

void spop_command(Client& c) {
  if (replied_other_forms(c, spop_with_count)) return;
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::Set, IfMissing::Null);
  if (!e) return;
  std::string_view key = c.argv[1];
  LpEntry x;
  SetSampler(e->val).pick(&x);
  std::string m = entry_string(x);
  set_remove(e->val, m);
  key_changed(c, key, kNotifySet, "spop");
  c.prop.push_back({"SREM", std::string(key), m});
  c.reply().bulk(m);
  set_delete_if_empty(c, e, key);
}

void srandmember_with_count(Client& c) {
  long long l;
  if (!arg_ll(c, c.argv[2], &l)) return;
  if (l == LLONG_MIN) {
    reply_error(c,
                "ERR value is out of range, value must between -9223372036854775807 and "
                "9223372036854775807");
    return;
  }
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Set, IfMissing::EmptyArray);
  if (!e) return;
  resp::Writer& w = c.reply();
  uint64_t count = l >= 0 ? uint64_t(l) : uint64_t(-l);
  if (count == 0) return w.array(0);
  const Robj& v = e->val;
  size_t size = set_len(v);
  LpEntry x;
  // Case 1: negative count: independent samples, repetitions allowed.
  if (l < 0 || count == 1) {
    SetSampler s(v);
    w.array(count);
    for (uint64_t i = 0; i < count; i++) {
      s.pick(&x);
      reply_entry(w, x);
    }
    return;
  }
  // Case 2: at least the whole set.
  if (count >= size) {
    w.array(size);
    set_iter(v, [&](const LpEntry& y) { reply_entry(w, y); });
    return;
  }
  w.array(size_t(count));
  if (v.enc != Enc::Hashtable || count * 3 > size) {
    // Case 3: a large share, or a small set: partial shuffle of all members.
    std::vector<LpEntry> all;
    all.reserve(size);
    set_iter(v, [&](const LpEntry& y) { all.push_back(y); });
    for (size_t i = 0; i < count; i++) {
      size_t j = i + size_t(rand64() % (all.size() - i));
      std::swap(all[i], all[j]);
      reply_entry(w, all[i]);
    }
    return;
  }
  // Case 4: few of many: random picks until `count` distinct ones.
  SetDict* d = ht_of(v);
  std::unordered_set<SetNode*> seen;
  seen.reserve(size_t(count));
  while (seen.size() < count) {
    SetNode* n = d->random();
    if (seen.insert(n).second) w.bulk(n->member());
  }
}

void srandmember_command(Client& c) {
  if (replied_other_forms(c, srandmember_with_count)) return;
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Set, IfMissing::Null);
  if (!e) return;
  LpEntry x;
  SetSampler(e->val).pick(&x);
  reply_entry(c.reply(), x);
}

// Looks up the source sets of SINTER/SUNION/SDIFF; nullptr entries for missing keys.  False
// (WRONGTYPE replied) if any key holds another type.
bool lookup_sets(Client& c, size_t first, size_t n, bool write, std::vector<const Robj*>* sets) {
  sets->assign(n, nullptr);
  for (size_t j = 0; j < n; j++) {
    std::string_view key = c.argv[first + j];
    KeyEntry* e = write ? lookup_write(*c.db, key) : lookup_read(*c.db, key);
    if (!e) continue;
    if (e->val.type != Type::Set) {
      reply_wrongtype(c);
      return false;
    }
    (*sets)[j] = &e->val;
  }
  return true;
}

// Stores `result` at dstkey (or deletes dstkey when empty) and replies the cardinality, as
// SINTERSTORE/SUNIONSTORE/SDIFFSTORE do.  Takes ownership of `result`.
void store_result(Client& c, std::string_view dstkey, Robj result, const char* event) {
  size_t n = set_len(result);
  if (n > 0) {
    db_set(*c.db, dstkey, result);
    c.reply().integer((long long)n);
    key_changed(c, dstkey, kNotifySet, event);
    return;
  }
  set_free(result);
  c.reply().integer(0);
  if (db_delete(*c.db, dstkey)) key_changed(c, dstkey, kNotifyGeneric, "del");
}

// SINTER / SINTERSTORE / SINTERCARD / SMEMBERS.  `dstkey` empty: reply the members (or their
// count with cardinality_only, stopping at `limit` when it is > 0).
void sinter_generic(Client& c, size_t first, size_t n, std::string_view dstkey, bool store,
                    bool cardinality_only, long long limit) {
  std::vector<const Robj*> sets;
  if (!lookup_sets(c, first, n, store, &sets)) return;
  bool empty = std::find(sets.begin(), sets.end(), nullptr) != sets.end();
  if (empty) {
    if (store) {
      store_result(c, dstkey, set_new_intset(), "sinterstore");
    } else if (cardinality_only) {
      c.reply().integer(0);
    } else {
      c.reply().set(0);
    }
    return;
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](const Robj* a, const Robj* b) { return set_len(*a) < set_len(*b); });
  std::vector<std::string> out;
  long long cardinality = 0;
  Robj result = store ? set_new_intset() : Robj();
  const Robj& smallest = *sets[0];
  auto in_all = [&](const LpEntry& x) {
    char b[24];
    LpKey k(x.view(b));
    for (size_t j = 1; j < sets.size(); j++) {
      if (sets[j] == sets[0]) continue;
      if (!set_is_member(*sets[j], k)) return false;
    }
    return true;
  };
  // set_iter has no early exit; `done` skips the rest once LIMIT is reached.
  bool done = false;
  set_iter(smallest, [&](const LpEntry& x) {
    if (done || !in_all(x)) return;
    cardinality++;
    if (store) {
      char b[24];
      set_add(result, x.view(b));
    } else if (!cardinality_only) {
      out.push_back(entry_string(x));
    }
    if (cardinality_only && limit > 0 && cardinality >= limit) done = true;
  });
  if (store) {
    store_result(c, dstkey, result, "sinterstore");
  } else if (cardinality_only) {
    c.reply().integer(cardinality);
  } else {
    resp::Writer& w = c.reply();
    w.set(out.size());
    for (const std::string& s : out) w.bulk(s);
  }
}

enum class SetOp { Union, Diff };

void sunion_diff_generic(Client& c, size_t first, size_t n, std::string_view dstkey, bool store,
                         SetOp op) {
  std::vector<const Robj*> sets;
  if (!lookup_sets(c, first, n, store, &sets)) return;
  Robj result = set_new_intset();
  if (op == SetOp::Union) {
    for (const Robj* s : sets) {
      if (!s) continue;
      set_iter(*s, [&](const LpEntry& x) {
        char b[24];
        set_add(result, x.view(b));
      });
    }
  } else if (sets[0]) {
    bool sameset = false;
    for (size_t j = 1; j < sets.size(); j++)
      if (sets[j] == sets[0]) sameset = true;
    if (!sameset) {
      set_iter(*sets[0], [&](const LpEntry& x) {
        char b[24];
        std::string_view m = x.view(b);
        LpKey k(m);
        for (size_t j = 1; j < sets.size(); j++)
          if (sets[j] && set_is_member(*sets[j], k)) return;
        set_add(result, m);
      });
    }
  }
  if (store) {
    store_result(c, dstkey, result, op == SetOp::Union ? "sunionstore" : "sdiffstore");
    return;
  }
  reply_set_members(c, result);
  set_free(result);
}

void smembers_command(Client& c) {
  // Redis 7.0 serves SMEMBERS with SINTER of one key.
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Set, IfMissing::EmptySet);
  if (e) reply_set_members(c, e->val);
}

void sinter_command(Client& c) { sinter_generic(c, 1, c.argv.size() - 1, {}, false, false, 0); }

void sinterstore_command(Client& c) {
  sinter_generic(c, 2, c.argv.size() - 2, c.argv[1], true, false, 0);
}

void sintercard_command(Client& c) {
  long long numkeys, limit = 0;
  if (!resp::parse_ll(c.argv[1], &numkeys) || numkeys < 1) {
    reply_error(c, "ERR numkeys should be greater than 0");
    return;
  }
  if (numkeys > (long long)c.argv.size() - 2) {
    reply_error(c, "ERR Number of keys can't be greater than number of args");
    return;
  }
  for (size_t j = 2 + size_t(numkeys); j < c.argv.size(); j++) {
    size_t moreargs = c.argv.size() - 1 - j;
    if (eq_nocase(c.argv[j], "limit") && moreargs) {
      j++;
      if (!resp::parse_ll(c.argv[j], &limit) || limit < 0) {
        reply_error(c, "ERR LIMIT can't be negative");
        return;
      }
    } else {
      reply_error(c, kErrSyntax);
      return;
    }
  }
  sinter_generic(c, 2, size_t(numkeys), {}, false, true, limit);
}

void sunion_command(Client& c) {
  sunion_diff_generic(c, 1, c.argv.size() - 1, {}, false, SetOp::Union);
}
void sunionstore_command(Client& c) {
  sunion_diff_generic(c, 2, c.argv.size() - 2, c.argv[1], true, SetOp::Union);
}
void sdiff_command(Client& c) {
  sunion_diff_generic(c, 1, c.argv.size() - 1, {}, false, SetOp::Diff);
}
void sdiffstore_command(Client& c) {
  sunion_diff_generic(c, 2, c.argv.size() - 2, c.argv[1], true, SetOp::Diff);
}

void sscan_command(Client& c) {
  uint64_t cursor;
  ScanOpts o;
  KeyEntry* e = scan_open(c, Type::Set, &cursor, &o);
  if (!e) return;
  std::vector<std::string_view> items;
  std::vector<std::string> ints;  // formatted integers of an intset or listpack (stable storage)
  const Robj& v = e->val;
  if (v.enc != Enc::Hashtable) {
    size_t n = set_len(v);
    items.reserve(n);
    ints.reserve(n);
    set_iter(v, [&](const LpEntry& x) { scan_add_entry(x, &items, &ints); });
    cursor = 0;
  } else {
    cursor = scan_dict(ht_of(v), cursor, o, items,
                       [&](SetNode* n) { items.push_back(n->member()); });
  }
  scan_reply(c, cursor, items, false, o);
}

Command kCommands[] = {
    {.name = "sadd", .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = sadd_command},
    {.name = "srem", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = srem_command},
    {.name = "scard", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = scard_command},
    {.name = "sismember", .arity = 3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = sismember_command},
    {.name = "smismember", .arity = -3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = smismember_command},
    {.name = "smembers", .arity = 2, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = smembers_command},
    {.name = "spop", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = spop_command},
    {.name = "srandmember", .arity = -2, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = srandmember_command},
    {.name = "smove", .arity = 4, .flags = kCmdWrite | kCmdFast, .keys = {1, 2, 1},
     .proc = smove_command},
    {.name = "sinter", .arity = -2, .flags = kCmdReadonly, .keys = {1, -1, 1},
     .proc = sinter_command},
    {.name = "sinterstore", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, -1, 1},
     .proc = sinterstore_command},
    {.name = "sintercard", .arity = -3, .flags = kCmdReadonly, .proc = sintercard_command},
    {.name = "sunion", .arity = -2, .flags = kCmdReadonly, .keys = {1, -1, 1},
     .proc = sunion_command},
    {.name = "sunionstore", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, -1, 1},
     .proc = sunionstore_command},
    {.name = "sdiff", .arity = -2, .flags = kCmdReadonly, .keys = {1, -1, 1},
     .proc = sdiff_command},
    {.name = "sdiffstore", .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, -1, 1},
     .proc = sdiffstore_command},
    {.name = "sscan", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .proc = sscan_command},
};

}  // namespace

std::span<Command> set_commands() { return kCommands; }

size_t set_len(const Robj& v) {
  if (v.enc == Enc::Intset) return intset_len(is_of(v));
  return v.enc == Enc::Listpack ? lp_count(lp_of(v)) : ht_of(v)->size();
}

size_t set_mem(const Robj& v) {
  switch (v.enc) {
    case Enc::Intset:
      return intset_bytes(is_of(v));
    case Enc::Listpack:
      return lp_bytes(lp_of(v));
    default: {
      SetDict* d = ht_of(v);
      size_t n = sizeof(SetDict) + d->overhead_bytes();
      d->for_each([&](SetNode* x) { n += offsetof(SetNode, data) + x->len; });
      return n;
    }
  }
}

void set_for_each_raw(const Robj& v, void (*fn)(void* ctx, std::string_view member), void* ctx) {
  set_iter(v, [&](const LpEntry& e) {
    char b[24];
    fn(ctx, e.view(b));
  });
}

void set_free(Robj& v) {
  if (!v.ptr) return;
  switch (v.enc) {
    case Enc::Intset:
      intset_free(is_of(v));
      break;
    case Enc::Listpack:
      lp_free(lp_of(v));
      break;
    default:
      free_dict_and_nodes(ht_of(v));
  }
  v.ptr = nullptr;
}

Robj set_dup(const Robj& v) {
  Robj out;
  out.type = Type::Set;
  out.enc = v.enc;
  switch (v.enc) {
    case Enc::Intset:
      out.ptr = intset_dup(is_of(v));
      break;
    case Enc::Listpack:
      out.ptr = lp_dup(lp_of(v));
      break;
    default: {
      auto* d = new SetDict();
      ht_of(v)->for_each([&](SetNode* n) { d->insert(node_new(n->member())); });
      out.ptr = d;
    }
  }
  return out;
}

}  // namespace sc::broker
