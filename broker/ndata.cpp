// The nData-like native protocol, spoken by a connection whose first byte is '{'.
//
// Framing: one JSON object per line ('\n'; the original nData's U+0017 terminator is accepted
// too).  Request {"id":N,"action":"set","key":["user","42","name"],"value":"ann"}; reply one
// line {"id":N,"value":...} (no "value" when the result is undefined) or
// {"id":N,"error":{"name":...,"message":...}}.  Pushes: {"event":"message","channel":C,
// "value":V}.
//
// Data model: the first element of a key chain is the keyspace key, holding a JSON document
// (the same Type::Json value the JSON.* commands use, so both protocols see the same data);
// the rest is a path inside the document (object member names, or array indexes written as
// numbers or decimal strings).  Semantics follow nData (see docs/json.md for the differences).
//
// Expiry: a one-element chain expires the key itself (TTL/PTTL see it); a deeper chain is kept
// in this file's own table (absolute deadline, independent of the data as in nData) and swept
// once a second by a libevent timer.
#include <event2/event.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "aof.h"
#include "t_json.h"
#include "json_path.h"
#include "log.h"
#include "pubsub.h"

namespace sc::broker {



namespace {

using json::Value;

// ---- Deep-path expiry ----

struct DeepExpiry {
  std::map<std::string, int64_t> deadline;          // encoded chain -> deadline (ms)
  std::set<std::pair<int64_t, std::string>> queue;  // (deadline, encoded chain)
};
DeepExpiry g_deep;

// db, then each chain element, NUL-separated (elements may not contain NUL: JSON strings can,
// so they are escaped as "\x01\x01" / "\x01\x02").
std::string encode_chain(int db, const std::vector<std::string>& chain) {
  std::string s = std::to_string(db);
  for (const std::string& e : chain) {
    s.push_back('\0');
    for (char ch : e) {
      if (ch == '\0') {
        s += "\x01\x02";
      } else if (ch == '\x01') {
        s += "\x01\x01";
      } else {
        s.push_back(ch);
      }
    }
  }
  return s;
}
void decode_chain(const std::string& s, int* db, std::vector<std::string>* chain) {
  size_t p = s.find('\0');
  *db = std::stoi(s.substr(0, p));
  chain->clear();
  while (p != std::string::npos) {
    size_t q = s.find('\0', p + 1);
    std::string raw = s.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1);
    std::string e;
    for (size_t i = 0; i < raw.size(); i++) {
      if (raw[i] == '\x01' && i + 1 < raw.size()) {
        e.push_back(raw[i + 1] == '\x02' ? '\0' : '\x01');
        i++;
      } else {
        e.push_back(raw[i]);
      }
    }
    chain->push_back(std::move(e));
    p = q;
  }
}

// Forgets a deep deadline; false if there was none.
bool deep_unexpire(const std::string& id) {
  auto it = g_deep.deadline.find(id);
  if (it == g_deep.deadline.end()) return false;
  g_deep.queue.erase({it->second, id});
  g_deep.deadline.erase(it);
  return true;
}

bool remove_at(Value* doc, const std::vector<std::string>& chain, Value* removed);

// nData writes do not go through the command dispatcher: they log the key's new state to the
// AOF themselves, as the RESP commands that recreate it, chosen so that replaying them gives
// the same state whatever the key held before:
// - gone: DEL key;
// - a document over a document: JSON.SET key $ <document> (a root JSON.SET keeps the TTL, as
//   the nData write did);
// - a document that replaced a key of another type (`replaced_other`): JSON.SET alone would
//   get WRONGTYPE on replay, so MULTI, DEL, JSON.SET, PEXPIREAT (the kept TTL), EXEC.
void log_key(Db& db, std::string_view key, bool replaced_other = false) {
  if (!aof_active()) return;
  KeyEntry* e = db.keys.find(key);
  if (!e) {
    aof_log(db.id, {"DEL", key});
    return;
  }
  if (e->val.type != Type::Json) return;
  std::string text = json::to_string(*json_doc(e->val));
  if (!replaced_other) {
    aof_log(db.id, {"JSON.SET", key, "$", text});
    return;
  }
  aof_log(db.id, {"MULTI"});
  aof_log(db.id, {"DEL", key});
  aof_log(db.id, {"JSON.SET", key, "$", text});
  if (e->expire >= 0) {
    std::string when = std::to_string(e->expire);
    aof_log(db.id, {"PEXPIREAT", key, when});
  }
  aof_log(db.id, {"EXEC"});
}

// Logs a deep deadline (when >= 0) or its removal (when < 0) as NDATA.PEXPIREAT /
// NDATA.PERSIST key elem...
void log_deep_deadline(int dbid, const std::vector<std::string>& chain, int64_t when) {
  if (!aof_active()) return;
  std::string ms = std::to_string(when);
  std::vector<std::string_view> argv;
  argv.reserve(chain.size() + 2);
  argv.push_back(when >= 0 ? "NDATA.PEXPIREAT" : "NDATA.PERSIST");
  argv.push_back(chain[0]);
  if (when >= 0) argv.push_back(ms);
  for (size_t i = 1; i < chain.size(); i++) argv.push_back(chain[i]);
  aof_log(dbid, argv);
}

// A document changed by nData: WATCH, keyspace event, dirty, AOF.
void ndata_changed(Db& db, std::string_view key, const char* event, bool replaced_other = false) {
  key_changed(db, key, kNotifyModule, event);
  log_key(db, key, replaced_other);
}

void deep_sweep(evutil_socket_t, short, void*) {
  Server& s = srv();
  bool outer = s.cmd_time_ms == 0;
  if (outer) s.cmd_time_ms = now_ms();
  int64_t now = s.cmd_time_ms;
  while (!g_deep.queue.empty() && g_deep.queue.begin()->first <= now) {
    std::string id = g_deep.queue.begin()->second;
    g_deep.queue.erase(g_deep.queue.begin());
    g_deep.deadline.erase(id);
    int dbi;
    std::vector<std::string> chain;
    decode_chain(id, &dbi, &chain);
    if (dbi < 0 || dbi >= int(s.dbs.size()) || chain.size() < 2) continue;
    Db& db = s.dbs[size_t(dbi)];
    // The deadline is gone from here on: on replay it must not hit a member set again later.
    log_deep_deadline(dbi, chain, -1);
    KeyEntry* e = lookup_write(db, chain[0]);
    if (!e || e->val.type != Type::Json) continue;
    if (remove_at(json_doc(e->val), chain, nullptr)) ndata_changed(db, chain[0], "json.del");
  }
  if (outer) s.cmd_time_ms = 0;
}

void deep_expire(const std::string& id, int64_t when) {
  deep_unexpire(id);
  g_deep.deadline[id] = when;
  g_deep.queue.insert({when, id});
  Server& s = srv();
  if (!s.ndata_timer && s.base) {
    s.ndata_timer = new_event(s.base.get(), -1, EV_PERSIST, deep_sweep, nullptr);
    struct timeval tv = {1, 0};
    event_add(s.ndata_timer.get(), &tv);
  }
}

// ---- Paths inside a document ----

// A chain element that names an array index: a non-negative decimal without leading zeros.
bool as_index(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 15 || (s.size() > 1 && s[0] == '0')) return false;
  size_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + size_t(ch - '0');
  }
  *out = v;
  return true;
}

// The child of `v` named `elem`, or nullptr.
Value* child(Value* v, const std::string& elem) {
  if (v->is_object()) return v->find(elem);
  size_t i;
  if (v->is_array() && as_index(elem, &i) && i < v->arr().size()) return &v->arr()[i];
  return nullptr;
}

// Follows chain[1..] from the document root.
Value* walk(Value* doc, const std::vector<std::string>& chain) {
  Value* v = doc;
  for (size_t i = 1; i < chain.size() && v; i++) v = child(v, chain[i]);
  return v;
}

// An array that gets a non-index member becomes an object with "0".."n-1" (nData's maps
// read back as objects once they hold string keys).
void array_to_object(Value* v) {
  Value o = Value::object();
  for (size_t i = 0; i < v->arr().size(); i++)
    o.obj().push_back(json::Member{std::to_string(i), std::move(v->arr()[i])});
  *v = std::move(o);
}

constexpr size_t kMaxPad = 1u << 16;  // array holes filled with null up to this many

// The slot for `elem` under `v`, created (null) if missing; scalars on the way become objects.
Value* slot(Value* v, const std::string& elem) {
  if (!v->is_container()) *v = Value::object();
  if (v->is_array()) {
    size_t i;
    if (as_index(elem, &i) && i <= v->arr().size() + kMaxPad) {
      while (v->arr().size() <= i) v->arr().push_back(Value());
      return &v->arr()[i];
    }
    array_to_object(v);
  }
  if (Value* c = v->find(elem)) return c;
  v->obj().push_back(json::Member{elem, Value()});
  return &v->obj().back().val;
}

// Removes chain[1..] from the document; the removed value goes to *removed.
bool remove_at(Value* doc, const std::vector<std::string>& chain, Value* removed) {
  std::vector<std::string> parent_chain(chain.begin(), chain.end() - 1);
  Value* parent = walk(doc, parent_chain);
  if (!parent) return false;
  const std::string& last = chain.back();
  if (parent->is_object()) {
    ptrdiff_t i = parent->find_index(last);
    if (i < 0) return false;
    if (removed) *removed = std::move(parent->obj()[size_t(i)].val);
    parent->obj().erase(parent->obj().begin() + i);
    return true;
  }
  size_t i;
  if (parent->is_array() && as_index(last, &i) && i < parent->arr().size()) {
    if (removed) *removed = std::move(parent->arr()[i]);
    parent->arr().erase(parent->arr().begin() + ptrdiff_t(i));
    return true;
  }
  return false;
}

// nData's truthiness for count: containers count their entries, truthy scalars count 1.
long long count_of(const Value* v) {
  if (!v) return 0;
  switch (v->type()) {
    case json::Type::Array:
    case json::Type::Object:
      return (long long)v->size();
    case json::Type::Null:
      return 0;
    case json::Type::Bool:
      return v->as_bool() ? 1 : 0;
    case json::Type::Int:
      return v->as_int() != 0 ? 1 : 0;
    case json::Type::Double:
      return v->as_double() != 0 && !std::isnan(v->as_double()) ? 1 : 0;
    case json::Type::String:
      return v->str().empty() ? 0 : 1;
  }
  return 0;
}

// The next numeric index of an object (max numeric member + 1).
size_t next_index(const Value& o) {
  size_t next = 0;
  for (const json::Member& m : o.obj()) {
    size_t i;
    if (as_index(m.key, &i)) next = std::max(next, i + 1);
  }
  return next;
}

// ---- Requests ----

struct Request {
  Client& c;
  Value& msg;
  std::vector<std::string> chain;  // "key"
  Value result;
  bool has_result = false;
  std::string err_name, err_msg;

  const Value* field(std::string_view name) const { return msg.find(name); }
  bool get_value() const {
    const Value* g = field("getValue");
    return g && count_of(g) > 0;
  }
  bool fail(const char* name, std::string msg_text) {
    err_name = name;
    err_msg = std::move(msg_text);
    return false;
  }
  void set_result(Value v) {
    result = std::move(v);
    has_result = true;
  }
};

// Converts a chain element (string or number) to its string form.
bool elem_string(const Value& v, std::string* out) {
  if (v.is_string()) {
    *out = v.str();
  } else if (v.is_int()) {
    *out = std::to_string(v.as_int());
  } else if (v.is_double() && v.as_double() == std::floor(v.as_double()) &&
             std::fabs(v.as_double()) < 1e15) {
    *out = std::to_string((long long)v.as_double());
  } else {
    return false;
  }
  return true;
}

bool parse_chain(Request& r, const Value* k, std::vector<std::string>* out) {
  out->clear();
  if (!k) return r.fail("BadRequest", "missing key");
  if (k->is_array()) {
    if (k->arr().empty()) return r.fail("BadRequest", "empty key");
    if (k->arr().size() > size_t(srv().cfg.json_max_depth))
      return r.fail("BadRequest", "key path too long");
    for (const Value& e : k->arr()) {
      std::string s;
      if (!elem_string(e, &s)) return r.fail("BadRequest", "key elements must be strings");
      out->push_back(std::move(s));
    }
    return true;
  }
  std::string s;
  if (!elem_string(*k, &s)) return r.fail("BadRequest", "key must be an array or a string");
  out->push_back(std::move(s));
  return true;
}

bool need_key(Request& r) { return parse_chain(r, r.field("key"), &r.chain); }

// The document entry for the chain's key.  Non-JSON keys: reads see a string key as a JSON
// string; anything else is WrongType.
KeyEntry* entry(Request& r, bool write, bool* bad) {
  *bad = false;
  KeyEntry* e = write ? lookup_write(*r.c.db, r.chain[0]) : lookup_read(*r.c.db, r.chain[0]);
  if (e && e->val.type != Type::Json) {
    *bad = true;
    r.fail("WrongType", kErrWrongType);
    return nullptr;
  }
  return e;
}

// Reads the key into r.chain, then the value at the chain for reading (string keys read as JSON
// strings).  False after an error reply.
bool read_target(Request& r, Value** out, Value* scratch) {
  if (!need_key(r)) return false;
  *out = nullptr;
  KeyEntry* e = lookup_read(*r.c.db, r.chain[0]);
  if (!e) return true;
  if (e->val.type == Type::String) {
    if (r.chain.size() > 1) return true;
    char buf[24];
    *scratch = Value::string(string_view_of(e->val, buf));
    *out = scratch;
    return true;
  }
  if (e->val.type != Type::Json) return r.fail("WrongType", kErrWrongType);
  *out = walk(json_doc(e->val), r.chain);
  return true;
}

// Reads the key into r.chain and finds its entry to write into (*e nullptr for a missing key).
// False after an error reply.
bool key_entry_for_write(Request& r, KeyEntry** e) {
  if (!need_key(r)) return false;
  bool bad;
  *e = entry(r, true, &bad);
  return !bad;
}

// The document to write into, created as fresh() ({} unless given) when missing (or replaced
// when chain is the key).  nullptr after an error reply, or without one for a missing key when
// create is false.
Value* write_doc(Request& r, bool create, Value (*fresh)() = Value::object) {
  bool bad;
  KeyEntry* e = entry(r, true, &bad);
  if (bad) return nullptr;
  if (!e) {
    if (!create) return nullptr;
    e = db_add(*r.c.db, r.chain[0], json_value(fresh()));
  }
  return json_doc(e->val);
}

bool check_depth(Request& r, size_t at, const Value& v) {
  if (at + json_depth(v) > size_t(srv().cfg.json_max_depth))
    return r.fail("BadRequest", "document too deep");
  return true;
}

// Reads the key into r.chain, then the request's "value" (null when absent), checking the depth
// it would reach: it replaces the chain's last member (`replaces`: set) or goes inside it (add,
// concat).  False after an error reply.
bool value_arg(Request& r, bool replaces, Value* val) {
  if (!need_key(r)) return false;
  const Value* v = r.field("value");
  *val = v ? v->clone() : Value();
  return check_depth(r, r.chain.size() - (replaces ? 1 : 0), *val);
}

void changed(Request& r, const char* event) { ndata_changed(*r.c.db, r.chain[0], event); }

// Signals a write that took `old` out of the document; it is the result when getValue asks.
// True, for an action to return.
bool changed_with_value(Request& r, Value old, const char* event) {
  if (r.get_value()) r.set_result(std::move(old));
  changed(r, event);
  return true;
}

// ---- Actions ----

bool act_set(Request& r) {
  Value val;
  if (!value_arg(r, /*replaces=*/true, &val)) return false;
  if (r.get_value()) r.set_result(val.clone());
  if (r.chain.size() == 1) {
    KeyEntry* old = lookup_write(*r.c.db, r.chain[0]);
    bool replaced_other = old && old->val.type != Type::Json;
    db_set(*r.c.db, r.chain[0], json_value(std::move(val)), /*keep_ttl=*/true);
    ndata_changed(*r.c.db, r.chain[0], "json.set", replaced_other);
    return true;
  }
  Value* doc = write_doc(r, true);
  if (!doc) return false;
  Value* cur = doc;
  for (size_t i = 1; i < r.chain.size(); i++) cur = slot(cur, r.chain[i]);
  *cur = std::move(val);
  changed(r, "json.set");
  return true;
}

bool act_get(Request& r) {
  Value scratch;
  Value* v;
  if (!read_target(r, &v, &scratch)) return false;
  if (v) r.set_result(v->clone());
  return true;
}

bool act_has_key(Request& r) {
  Value scratch;
  Value* v;
  if (!read_target(r, &v, &scratch)) return false;
  r.set_result(Value::boolean(v != nullptr));
  return true;
}

bool act_count(Request& r) {
  Value scratch;
  Value* v;
  if (!read_target(r, &v, &scratch)) return false;
  r.set_result(Value::integer(count_of(v)));
  return true;
}

bool int_field(Request& r, const char* name, long long* out, bool* present) {
  const Value* v = r.field(name);
  *present = v && !v->is_null();
  if (!*present) return true;
  if (v->is_int()) {
    *out = v->as_int();
    return true;
  }
  if (v->is_double() && std::isfinite(v->as_double())) {
    *out = (long long)v->as_double();
    return true;
  }
  if (v->is_string()) {
    *out = 0;
    return true;  // objects use string bounds; arrays treat them as 0
  }
  return r.fail("BadRequest", std::string(name) + " must be a number");
}

// Object range [from-key, to-key) in member order (nData's getRange/removeRange on maps).
void object_range(const Value& o, const Value* from, const Value* to, size_t* b, size_t* e) {
  std::string fs, ts;
  bool has_from = from && elem_string(*from, &fs);
  bool has_to = to && !to->is_null() && elem_string(*to, &ts);
  *b = 0;
  *e = o.obj().size();
  if (has_from) {
    ptrdiff_t i = o.find_index(fs);
    *b = i < 0 ? o.obj().size() : size_t(i);
  }
  if (has_to) {
    ptrdiff_t i = o.find_index(ts);
    if (i >= 0) *e = size_t(i);
  }
  if (*e < *b) *e = *b;
}

void array_range(size_t len, long long from, bool has_to, long long to, size_t* b, size_t* e) {
  long long n = (long long)len;
  if (from < 0) from = std::max(0LL, n + from);
  if (!has_to) to = n;
  if (to < 0) to = std::max(0LL, n + to);
  from = std::min(from, n);
  to = std::min(to, n);
  *b = size_t(from);
  *e = size_t(std::max(from, to));
}

// The [b, e) that r's fromIndex and toIndex select among len items (an array's elements, a
// string's bytes); false, with the error set, when either is there and not an integer.
bool index_range(Request& r, size_t len, size_t* b, size_t* e) {
  long long from = 0, to = 0;
  bool has_from, has_to;
  if (!int_field(r, "fromIndex", &from, &has_from) || !int_field(r, "toIndex", &to, &has_to))
    return false;
  array_range(len, from, has_to, to, b, e);
  return true;
}

bool act_get_range(Request& r) {
  Value scratch;
  Value* v;
  if (!read_target(r, &v, &scratch)) return false;
  if (!v) return true;
  if (v->is_array()) {
    size_t b, e;
    if (!index_range(r, v->arr().size(), &b, &e)) return false;
    Value out = Value::array();
    for (size_t i = b; i < e; i++) out.arr().push_back(v->arr()[i].clone());
    r.set_result(std::move(out));
  } else if (v->is_object()) {
    size_t b, e;
    object_range(*v, r.field("fromIndex"), r.field("toIndex"), &b, &e);
    Value out = Value::object();
    for (size_t i = b; i < e; i++)
      out.obj().push_back(json::Member{v->obj()[i].key, v->obj()[i].val.clone()});
    r.set_result(std::move(out));
  } else if (v->is_string()) {
    size_t b, e;
    if (!index_range(r, v->str().size(), &b, &e)) return false;
    r.set_result(Value::string(v->str().substr(b, e - b)));
  }
  return true;
}

bool act_get_all(Request& r) {
  Value out = Value::object();
  r.c.db->keys.for_each([&](KeyEntry* e) {
    if (e->val.type != Type::Json) return;
    if (e->expire >= 0 && e->expire <= cmd_time_ms()) return;
    out.obj().push_back(json::Member{std::string(e->key_view()), json_doc(e->val)->clone()});
  });
  r.set_result(std::move(out));
  return true;
}

bool act_add(Request& r) {
  Value val;
  if (!value_arg(r, /*replaces=*/false, &val)) return false;
  Value* target;
  if (r.chain.size() == 1) {
    target = write_doc(r, true, Value::array);
    if (!target) return false;
  } else {
    Value* doc = write_doc(r, true);
    if (!doc) return false;
    target = doc;
    for (size_t i = 1; i < r.chain.size(); i++) {
      if (i + 1 == r.chain.size() && !child(target, r.chain[i])) {
        target = slot(target, r.chain[i]);
        *target = Value::array();
        break;
      }
      target = slot(target, r.chain[i]);
    }
  }
  size_t index;
  if (target->is_array()) {
    index = target->arr().size();
    target->arr().push_back(std::move(val));
  } else if (target->is_object()) {
    index = next_index(*target);
    target->set(std::to_string(index), std::move(val));
  } else {
    Value old = std::move(*target);
    *target = Value::array();
    target->arr().push_back(std::move(old));
    target->arr().push_back(std::move(val));
    index = 1;
  }
  r.set_result(Value::integer((int64_t)index));
  changed(r, "json.set");
  return true;
}

bool act_concat(Request& r) {
  Value val;
  if (!value_arg(r, /*replaces=*/false, &val)) return false;
  // A missing key becomes null, which the concatenation turns into [].
  Value* doc =
      r.chain.size() == 1 ? write_doc(r, true, [] { return Value(); }) : write_doc(r, true);
  if (!doc) return false;
  Value* target = doc;
  for (size_t i = 1; i < r.chain.size(); i++) target = slot(target, r.chain[i]);
  if (target->is_null()) *target = Value::array();
  if (!target->is_container()) {
    Value old = std::move(*target);
    *target = Value::array();
    target->arr().push_back(std::move(old));
  }
  if (target->is_object() && val.is_object()) {
    for (json::Member& m : val.obj()) target->set(m.key, std::move(m.val));
  } else if (target->is_object()) {
    size_t next = next_index(*target);
    if (val.is_array()) {
      for (Value& e : val.arr()) target->set(std::to_string(next++), std::move(e));
    } else {
      target->set(std::to_string(next), std::move(val));
    }
  } else if (val.is_array()) {
    for (Value& e : val.arr()) target->arr().push_back(std::move(e));
  } else {
    // Arrays concatenated with an object or a scalar take it as one element.
    target->arr().push_back(std::move(val));
  }
  if (r.get_value()) r.set_result(target->clone());
  changed(r, "json.set");
  return true;
}

bool act_remove(Request& r) {
  KeyEntry* e;
  if (!key_entry_for_write(r, &e)) return false;
  if (!e) return true;
  if (r.chain.size() == 1) {
    if (r.get_value()) r.set_result(std::move(*json_doc(e->val)));
    db_delete(*r.c.db, r.chain[0]);
    changed(r, "json.del");
    return true;
  }
  Value removed;
  if (remove_at(json_doc(e->val), r.chain, &removed)) {
    changed_with_value(r, std::move(removed), "json.del");
  }
  return true;
}

bool act_remove_range(Request& r) {
  KeyEntry* e;
  if (!key_entry_for_write(r, &e)) return false;
  if (!e) return true;
  Value* v = walk(json_doc(e->val), r.chain);
  if (!v) return true;
  Value out;
  if (v->is_array()) {
    size_t b, en;
    if (!index_range(r, v->arr().size(), &b, &en)) return false;
    out = Value::array();
    for (size_t i = b; i < en; i++) out.arr().push_back(std::move(v->arr()[i]));
    v->arr().erase(v->arr().begin() + ptrdiff_t(b), v->arr().begin() + ptrdiff_t(en));
  } else if (v->is_object()) {
    size_t b, en;
    object_range(*v, r.field("fromIndex"), r.field("toIndex"), &b, &en);
    out = Value::object();
    for (size_t i = b; i < en; i++)
      out.obj().push_back(json::Member{v->obj()[i].key, std::move(v->obj()[i].val)});
    v->obj().erase(v->obj().begin() + ptrdiff_t(b), v->obj().begin() + ptrdiff_t(en));
  } else {
    return true;
  }
  return changed_with_value(r, std::move(out), "json.del");
}

bool act_remove_all(Request& r) {
  std::vector<std::string> keys;
  r.c.db->keys.for_each([&](KeyEntry* e) {
    if (e->val.type == Type::Json) keys.emplace_back(e->key_view());
  });
  for (const std::string& k : keys) {
    if (db_delete(*r.c.db, k)) ndata_changed(*r.c.db, k, "json.del");
  }
  return true;
}

bool act_splice(Request& r) {
  KeyEntry* e;
  if (!key_entry_for_write(r, &e)) return false;
  Value* v = e ? walk(json_doc(e->val), r.chain) : nullptr;
  if (!v || !v->is_array()) {
    if (r.get_value()) r.set_result(Value::array());
    return true;
  }
  json::Array& a = v->arr();
  long long len = (long long)a.size();
  long long index = 0, count = 0;
  bool has_index, has_count;
  if (!int_field(r, "index", &index, &has_index) || !int_field(r, "count", &count, &has_count))
    return false;
  // Everything that can fail is checked before the array changes: an error leaves it whole.
  const Value* items = r.field("items");
  if (items && !items->is_array()) items = nullptr;
  if (items && !check_depth(r, r.chain.size(), *items)) return false;
  long long start = index < 0 ? std::max(0LL, len + index) : std::min(index, len);
  long long n = has_count ? std::clamp(count, 0LL, len - start) : len - start;
  Value removed = Value::array();
  for (long long i = start; i < start + n; i++) removed.arr().push_back(std::move(a[size_t(i)]));
  a.erase(a.begin() + start, a.begin() + start + n);
  if (items) {
    std::vector<Value> copies;
    for (const Value& it : items->arr()) copies.push_back(it.clone());
    a.insert(a.begin() + start, std::make_move_iterator(copies.begin()),
             std::make_move_iterator(copies.end()));
  }
  return changed_with_value(r, std::move(removed), "json.set");
}

bool act_pop(Request& r) {
  KeyEntry* e;
  if (!key_entry_for_write(r, &e)) return false;
  if (!e) return true;
  Value* doc = json_doc(e->val);
  Value* v = walk(doc, r.chain);
  if (!v) return true;
  Value out;
  bool popped = false;
  if (v->is_array()) {
    if (!v->arr().empty()) {
      out = std::move(v->arr().back());
      v->arr().pop_back();
      popped = true;
    }
  } else if (v->is_object()) {
    size_t next = next_index(*v);
    if (next > 0) {
      std::string k = std::to_string(next - 1);
      if (Value* last = v->find(k)) {
        out = std::move(*last);
        v->erase(k);
        popped = true;
      }
    }
  } else if (r.chain.size() == 1) {  // a scalar document: the key itself goes
    out = std::move(*v);
    db_delete(*r.c.db, r.chain[0]);
    popped = true;
  } else {
    popped = remove_at(doc, r.chain, &out);
  }
  if (popped) {
    changed_with_value(r, std::move(out), "json.del");
  }
  return true;
}

// "keys": an array of chains; a single chain (array of strings) or a string is accepted too.
bool parse_chains(Request& r, std::vector<std::vector<std::string>>* out) {
  const Value* ks = r.field("keys");
  if (!ks) ks = r.field("key");
  if (!ks) return r.fail("BadRequest", "missing keys");
  bool list_of_chains =
      ks->is_array() && !ks->arr().empty() &&
      std::all_of(ks->arr().begin(), ks->arr().end(), [](const Value& v) { return v.is_array(); });
  if (!list_of_chains) {
    std::vector<std::string> c;
    if (!parse_chain(r, ks, &c)) return false;
    out->push_back(std::move(c));
    return true;
  }
  if (ks->arr().size() > 100000) return r.fail("BadRequest", "too many keys");
  for (const Value& k : ks->arr()) {
    std::vector<std::string> c;
    if (!parse_chain(r, &k, &c)) return false;
    out->push_back(std::move(c));
  }
  return true;
}

bool act_expire(Request& r) {
  std::vector<std::vector<std::string>> chains;
  if (!parse_chains(r, &chains)) return false;
  const Value* secs = r.field("value");
  if (!secs || !secs->is_number() || !std::isfinite(secs->as_number()) ||
      std::fabs(secs->as_number()) > 1e12)
    return r.fail("BadRequest", "value must be a number of seconds");
  int64_t when = cmd_time_ms() + int64_t(secs->as_number() * 1000.0);
  for (const auto& chain : chains) {
    if (chain.size() == 1) {
      KeyEntry* e = lookup_write(*r.c.db, chain[0]);
      if (!e) continue;
      if (when <= cmd_time_ms()) {
        db_delete(*r.c.db, chain[0]);
        key_changed(r.c, chain[0], kNotifyGeneric, "del");
        log_key(*r.c.db, chain[0]);
        continue;
      }
      set_expire(*r.c.db, e, when);
      key_changed(r.c, chain[0], kNotifyGeneric, "expire");
      if (aof_active()) {
        std::string ms = std::to_string(when);
        aof_log(r.c.db->id, {"PEXPIREAT", chain[0], ms});
      }
    } else {
      deep_expire(encode_chain(r.c.db->id, chain), when);
      log_deep_deadline(r.c.db->id, chain, when);
    }
  }
  return true;
}

bool act_unexpire(Request& r) {
  std::vector<std::vector<std::string>> chains;
  if (!parse_chains(r, &chains)) return false;
  for (const auto& chain : chains) {
    if (chain.size() == 1) {
      KeyEntry* e = lookup_write(*r.c.db, chain[0]);
      if (e && remove_expire(*r.c.db, e)) {
        key_changed(r.c, chain[0], kNotifyGeneric, "persist");
        if (aof_active()) aof_log(r.c.db->id, {"PERSIST", chain[0]});
      }
    } else {
      if (deep_unexpire(encode_chain(r.c.db->id, chain))) log_deep_deadline(r.c.db->id, chain, -1);
    }
  }
  return true;
}

bool act_get_expiry(Request& r) {
  if (!need_key(r)) return false;
  int64_t when = -1;
  if (r.chain.size() == 1) {
    KeyEntry* e = lookup_read(*r.c.db, r.chain[0]);
    if (e) when = e->expire;
  } else {
    auto it = g_deep.deadline.find(encode_chain(r.c.db->id, r.chain));
    if (it != g_deep.deadline.end()) when = it->second;
  }
  if (when >= 0) r.set_result(Value::integer((when + 999) / 1000));  // Unix seconds
  return true;
}

bool channel_of(Request& r, std::string* out, bool required) {
  const Value* ch = r.field("channel");
  if (!ch || ch->is_null()) {
    if (required) return r.fail("BadRequest", "missing channel");
    out->clear();
    return true;
  }
  if (ch->is_string()) {
    *out = ch->str();
  } else {
    *out = json::to_string(*ch);  // nData allowed array channels: their JSON text
  }
  return true;
}

bool act_subscribe(Request& r) {
  std::string ch;
  if (!channel_of(r, &ch, true)) return false;
  pubsub_subscribe_quiet(r.c, ch);
  return true;
}

bool act_unsubscribe(Request& r) {
  std::string ch;
  if (!channel_of(r, &ch, false)) return false;
  if (r.field("channel") && !r.field("channel")->is_null()) {
    pubsub_unsubscribe_quiet(r.c, ch);
  } else {
    std::vector<std::string> all(r.c.channels.begin(), r.c.channels.end());
    for (const std::string& c : all) pubsub_unsubscribe_quiet(r.c, c);
  }
  return true;
}

bool act_is_subscribed(Request& r) {
  std::string ch;
  if (!channel_of(r, &ch, true)) return false;
  r.set_result(Value::boolean(r.c.channels.count(ch) > 0));
  return true;
}

bool act_publish(Request& r) {
  std::string ch;
  if (!channel_of(r, &ch, true)) return false;
  const Value* v = r.field("value");
  std::string text = v ? json::to_string(*v) : "null";
  pubsub_publish(ch, text);
  if (r.get_value() && v) r.set_result(v->clone());
  return true;
}

bool act_init(Request& r) {
  const std::string& pass = srv().cfg.requirepass;
  if (pass.empty()) return true;
  const Value* k = r.field("secretKey");
  if (!k || !k->is_string() || k->str() != pass) {
    return r.fail("AuthError", "Invalid password was supplied to nData");
  }
  r.c.authenticated = true;
  return true;
}

// Action flags, as the RESP command table's: a write is refused while the AOF cannot be
// written (MISCONF); a write that may grow the data is refused over maxmemory (OOM).
constexpr uint32_t kActWrite = 1 << 0;
constexpr uint32_t kActDenyOom = 1 << 1;
constexpr uint32_t kActGrow = kActWrite | kActDenyOom;

struct Action {
  const char* name;
  bool (*fn)(Request&);
  uint32_t flags = 0;  // kAct* bits; 0: reads only
};
const Action kActions[] = {
    // No flags: they write no data.
    {.name = "init", .fn = act_init},
    {.name = "get", .fn = act_get},
    {.name = "getRange", .fn = act_get_range},
    {.name = "getAll", .fn = act_get_all},
    {.name = "count", .fn = act_count},
    {.name = "hasKey", .fn = act_has_key},
    {.name = "getExpiry", .fn = act_get_expiry},
    {.name = "subscribe", .fn = act_subscribe},
    {.name = "unsubscribe", .fn = act_unsubscribe},
    {.name = "isSubscribed", .fn = act_is_subscribed},
    {.name = "publish", .fn = act_publish},
    // Writes (refused under MISCONF; the kActGrow ones over maxmemory too).
    {.name = "set", .fn = act_set, .flags = kActGrow},
    {.name = "add", .fn = act_add, .flags = kActGrow},
    {.name = "concat", .fn = act_concat, .flags = kActGrow},
    {.name = "remove", .fn = act_remove, .flags = kActWrite},
    {.name = "removeRange", .fn = act_remove_range, .flags = kActWrite},
    {.name = "removeAll", .fn = act_remove_all, .flags = kActWrite},
    {.name = "splice", .fn = act_splice, .flags = kActGrow},
    {.name = "pop", .fn = act_pop, .flags = kActWrite},
    {.name = "expire", .fn = act_expire, .flags = kActWrite},
    {.name = "unexpire", .fn = act_unexpire, .flags = kActWrite},
};

// The refusal RESP gives a write in the same state, as nData error name (its first word:
// "OOM", "MISCONF") and message; false when the action may run.
bool refused(const Action& act, std::string* name, std::string* message) {
  std::string err;
  Server& s = srv();
  if ((act.flags & kActDenyOom) && s.cfg.maxmemory && used_memory() > s.cfg.maxmemory)
    err = kErrOom;
  else if (act.flags & kActWrite)
    err = aof_write_error();
  if (err.empty()) return false;
  size_t sp = err.find(' ');
  *name = err.substr(0, sp);
  *message = sp == std::string::npos ? std::string() : err.substr(sp + 1);
  return true;
}

void reply_error_line(Client& c, const std::string& id, std::string_view name,
                      std::string_view message) {
  std::string out = "{\"id\":" + id + ",\"error\":{\"name\":";
  json::write_string(name, &out);
  out += ",\"message\":";
  json::write_string(message, &out);
  out += "}}\n";
  c.out.append(out);
}

void handle_line(Client& c, std::string_view line) {
  Value msg;
  std::string err;
  if (!json::parse(line, &msg, &err, json_parse_limits())) {
    reply_error_line(c, "null", "BadRequest", "invalid JSON: " + err);
    return;
  }
  if (!msg.is_object()) {
    reply_error_line(c, "null", "BadRequest", "a request is a JSON object");
    return;
  }
  std::string id = "null";
  if (const Value* idv = msg.find("id"); idv && !idv->is_container()) id = json::to_string(*idv);
  const Value* action = msg.find("action");
  if (!action || !action->is_string()) {
    reply_error_line(c, id, "BadRequest", "missing action");
    return;
  }
  const Action* act = nullptr;
  for (const Action& a : kActions)
    if (action->str() == a.name) act = &a;
  if (!act) {
    reply_error_line(c, id, "BadRequest", "unknown action '" + std::string(action->str()) + "'");
    return;
  }
  if (!c.authenticated && act->fn != act_init) {
    reply_error_line(c, id, "AuthError", "Cannot process command before init handshake");
    return;
  }
  if (std::string name, message; refused(*act, &name, &message)) {
    reply_error_line(c, id, name, message);
    return;
  }
  Request r{c, msg, {}, {}, false, {}, {}};
  Server& s = srv();
  bool outer = s.cmd_time_ms == 0;
  if (outer) s.cmd_time_ms = now_ms();
  bool ok = act->fn(r);
  if (outer) s.cmd_time_ms = 0;
  s.stats.commands_processed++;
  c.commands++;
  if (!ok) {
    reply_error_line(c, id, r.err_name, r.err_msg);
    return;
  }
  std::string out = "{\"id\":" + id;
  if (r.has_result) {
    out += ",\"value\":";
    json::write(r.result, &out);
  }
  out += "}\n";
  c.out.append(out);
}

}  // namespace

// ---- RESP commands that replay deep deadlines (written to the AOF, usable by hand) ----

// Chain of NDATA.* argv: key, then the elements from argv[from].
static std::vector<std::string> chain_of(const Client& c, size_t from) {
  std::vector<std::string> chain{std::string(c.argv[1])};
  for (size_t i = from; i < c.argv.size(); i++) chain.emplace_back(c.argv[i]);
  return chain;
}

// NDATA.PEXPIREAT key unix-time-milliseconds elem [elem ...]: the deadline of the member at
// key/elem/... (nData `expire` on a deeper chain).  Replies 1.
static void ndata_pexpireat_command(Client& c) {
  long long when;
  if (!arg_ll(c, c.argv[2], &when)) return;
  if (when < 0) return reply_error(c, "ERR invalid expire time in 'ndata.pexpireat' command");
  std::vector<std::string> chain = chain_of(c, 3);
  if (chain.size() > size_t(srv().cfg.json_max_depth))
    return reply_error(c, "ERR key path too long");
  deep_expire(encode_chain(c.db_index, chain), when);
  srv().dirty++;
  c.reply().integer(1);
}

// NDATA.PERSIST key elem [elem ...]: forgets that member's deadline.  Replies 1 if it had one.
static void ndata_persist_command(Client& c) {
  bool had = deep_unexpire(encode_chain(c.db_index, chain_of(c, 2)));
  if (had) srv().dirty++;
  c.reply().integer(had ? 1 : 0);
}

static Command kCommands[] = {
    {.name = "ndata.pexpireat", .arity = -4, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = ndata_pexpireat_command},
    {.name = "ndata.persist", .arity = -3, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = ndata_persist_command},
};

std::span<Command> ndata_commands() { return kCommands; }

void ndata_for_each_deadline(
    const std::function<void(int, const std::vector<std::string>&, int64_t)>& fn) {
  int db;
  std::vector<std::string> chain;
  for (const auto& [id, when] : g_deep.deadline) {
    decode_chain(id, &db, &chain);
    fn(db, chain, when);
  }
}

// Before `init` succeeds (with requirepass) a request line may be this long at most, so an
// unauthenticated client can neither hold a big query buffer nor get a big line parsed; the
// same bound as Redis's 16 KiB bulk length for unauthenticated RESP clients.
constexpr size_t kMaxUnauthenticatedLine = 16 * 1024;

void ndata_process_input(Client& c) {
  while (!c.in.empty() && !(c.flags & (kClientCloseAfterReply | kClientCloseAsap))) {
    size_t max_line = c.authenticated ? size_t(srv().cfg.json_max_size) : kMaxUnauthenticatedLine;
    std::string_view in = c.in.view();
    size_t from = std::min(c.ndata_scanned, in.size());
    size_t nl = in.find_first_of("\n\x17", from);
    size_t limit = std::min(nl, in.size());
    if (limit > max_line) {
      c.ndata_scanned = 0;
      if (c.authenticated)
        reply_error_line(c, "null", "BadRequest", "request line too long");
      else
        reply_error_line(c, "null", "AuthError",
                         "request line longer than 16384 bytes before the init handshake");
      c.flags |= kClientCloseAfterReply;
      c.in.clear();
      return;
    }
    if (nl == std::string_view::npos) {  // incomplete line: remember where to resume
      c.ndata_scanned = in.size();
      return;
    }
    c.ndata_scanned = 0;
    std::string_view line = in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos) handle_line(c, line);
    c.in.consume(nl + 1);
  }
}

void ndata_deliver(Client& c, std::string_view channel, std::string_view message) {
  // One publish reaches every subscriber with the same message: build the line once.
  static std::string last_channel, last_message, last_line;
  if (last_line.empty() || channel != last_channel || message != last_message) {
    std::string out = "{\"event\":\"message\",\"channel\":";
    json::write_string(channel, &out);
    out += ",\"value\":";
    json::Value v;
    if (json::parse(message, &v, nullptr, json_parse_limits()))
      json::write(v, &out);
    else
      json::write_string(message, &out);
    out += "}\n";
    last_line = std::move(out);
    if (message.size() <= 65536) {
      last_channel.assign(channel);
      last_message.assign(message);
    } else {  // do not keep big messages around
      last_channel.clear();
      last_message.clear();
      c.out.append(last_line);
      last_line.clear();
      client_output_changed(c);
      return;
    }
  }
  c.out.append(last_line);
  client_output_changed(c);
}

}  // namespace sc::broker
