// JSON.* commands: RedisJSON 2.x names, arguments, reply shapes and error texts over the
// broker's own JSON DOM (common/json.h) and paths (json_path.h).
//
// Path forms decide reply shapes: a JSONPath (`$...`) answers with one result per match (nil
// where a match has the wrong type); a legacy path (`.a`) answers with one value (the first
// match, or the last one written for commands that modify every match) and an error when
// nothing matches.
#include "t_json.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "aof.h"
#include "json_path.h"

namespace sc::broker {

Robj json_value(json::Value doc) {
  Robj v;
  v.type = Type::Json;
  v.enc = Enc::Json;
  v.ptr = new json::Value(std::move(doc));
  return v;
}

void json_free(Robj& v) {
  delete json_doc(v);
  v.ptr = nullptr;
}

Robj json_dup(const Robj& v) { return json_value(json_doc(v)->clone()); }

std::string json_serialize(const Robj& v) { return json::to_string(*json_doc(v)); }

size_t json_mem(const Robj& v) { return sizeof(json::Value) + json::memory_usage(*json_doc(v)); }

json::ParseLimits json_parse_limits() {
  json::ParseLimits l;
  l.max_depth = size_t(srv().cfg.json_max_depth);
  // The AOF holds documents the broker accepted; one may have grown past json-max-size through
  // many small writes, so loading parses whatever size the file holds.
  l.max_size = aof_loading() ? SIZE_MAX : size_t(srv().cfg.json_max_size);
  return l;
}

namespace {

using json::Value;  // in this file a Value is a JSON value; keyspace values are Robj

constexpr const char* kErrNoKey =
    "ERR could not perform this operation on a key that doesn't exist";

// ---- Helpers ----

bool parse_json_arg(Client& c, std::string_view text, Value* out) {
  std::string err;
  if (!json::parse(text, out, &err, json_parse_limits())) {
    reply_error(c, "ERR " + err);
    return false;
  }
  return true;
}

bool parse_path_arg(Client& c, std::string_view text, JsonPath* out) {
  std::string err;
  if (!json_path_parse(text, out, &err)) {
    reply_error(c, err);
    return false;
  }
  return true;
}

// The document at `key` (looked up for reading or for writing): false after replying
// WRONGTYPE when the key holds another type; *doc is nullptr when the key is missing.
bool doc_at(Client& c, std::string_view key, bool write, Value** doc) {
  KeyEntry* e = write ? lookup_write(*c.db, key) : lookup_read(*c.db, key);
  if (wrong_type(c, e, Type::Json)) return false;
  *doc = e ? json_doc(e->val) : nullptr;
  return true;
}

// The document at `key` for writing, or nullptr after replying: WRONGTYPE, or kErrNoKey when
// the key is missing (the commands that change a document in place).
Value* existing_doc(Client& c, std::string_view key) {
  KeyEntry* e = lookup_write(*c.db, key);
  if (wrong_type(c, e, Type::Json)) return nullptr;
  if (!e) reply_error(c, kErrNoKey);
  return e ? json_doc(e->val) : nullptr;
}

// The `KEY [PATH]` arguments of a read-only command (PATH defaults to the root): false when a
// reply was already sent (arity, bad path, WRONGTYPE); *doc is null when the key is missing.
static bool read_key_path(Client& c, JsonPath* path, Value** doc) {
  if (c.argv.size() > 3) {
    reply_wrong_arity(c);
    return false;
  }
  if (!parse_path_arg(c, c.argv.size() > 2 ? c.argv[2] : std::string_view("."), path))
    return false;
  return doc_at(c, c.argv[1], false, doc);
}

// A missing key: legacy paths answer null, JSONPath ones `error`.
static void reply_missing_doc(Client& c, const JsonPath& path, std::string_view error) {
  if (path.legacy)
    c.reply().null();
  else
    reply_error(c, error);
}

// The matches of `p` in `doc`; false after replying the error when the evaluation went past
// its bounds (json_path.h).
bool matches(Client& c, const JsonPath& p, Value* doc, std::vector<JsonMatch>* out) {
  std::string err;
  if (json_path_eval(p, doc, out, &err)) return true;
  reply_error(c, err);
  return false;
}

std::string expected_err(const char* expected, const Value& found) {
  return std::string("WRONGTYPE wrong type of path value - expected ") + expected + " but found " +
         json::type_name(found.type());
}
std::string path_err(const std::string& path, const char* or_what = nullptr) {
  std::string s = "ERR Path '" + path + "' does not exist";
  if (or_what) s += std::string(" or ") + or_what;
  return s;
}

bool too_deep(size_t at_depth, const Value& v) {
  return at_depth + json_depth(v) > size_t(srv().cfg.json_max_depth);
}

// ---- JSON.SET ----

// JSON.SET and JSON.MERGE: the document at key (nullptr when missing), the value at argv[3] and
// the path at argv[2], checked in that order (it picks the error reply).  False once replied.
bool write_args(Client& c, std::string_view key, Value** doc, Value* val, JsonPath* path) {
  return doc_at(c, key, true, doc) && parse_json_arg(c, c.argv[3], val) &&
         parse_path_arg(c, c.argv[2], path);
}

void json_set_command(Client& c) {
  std::string_view key = c.argv[1];
  bool nx = false, xx = false;
  for (size_t i = 4; i < c.argv.size(); i++) {
    if (eq_nocase(c.argv[i], "nx") && !nx && !xx) {
      nx = true;
    } else if (eq_nocase(c.argv[i], "xx") && !nx && !xx) {
      xx = true;
    } else {
      return reply_syntax_error(c);
    }
  }
  Value* doc;
  Value val;
  JsonPath path;
  if (!write_args(c, key, &doc, &val, &path)) return;

  if (!doc) {
    if (xx) return c.reply().null();
    if (!path.is_root()) return reply_error(c, "ERR new objects must be created at the root");
    db_add(*c.db, key, json_value(std::move(val)));
    key_changed(c, key, kNotifyModule, "json.set");
    return c.reply().ok();
  }
  if (path.is_root()) {
    if (nx) return c.reply().null();
    *doc = std::move(val);
    key_changed(c, key, kNotifyModule, "json.set");
    return c.reply().ok();
  }
  bool updated = false;
  if (!nx) {
    std::vector<JsonMatch> ms;
    if (!matches(c, path, doc, &ms)) return;
    if (!ms.empty()) {
      // Only the outermost matches: the others lie inside them and go with them.
      json_matches_outermost(&ms);
      for (const JsonMatch& m : ms) {
        if (too_deep(m.loc.size(), val)) return reply_error(c, "ERR recursion limit exceeded");
      }
      for (size_t i = ms.size(); i-- > 0;) *ms[i].v = i == 0 ? std::move(val) : val.clone();
      key_changed(c, key, kNotifyModule, "json.set");
      return c.reply().ok();
    }
  }
  if (xx) return c.reply().null();
  // Create the last member of a static path inside existing objects.
  if (!path.is_static()) return reply_error(c, "ERR wrong static path");
  const PathStep& last = path.steps.back();
  if (last.kind != PathStep::Key) return reply_error(c, "ERR array index out of range");
  // A static path has one match at most: one parent gets the member.
  std::vector<JsonMatch> parents;
  std::string err;
  if (!json_path_eval(path, doc, &parents, &err, {}, int(path.steps.size()) - 1))
    return reply_error(c, err);
  for (size_t i = parents.size(); i-- > 0;) {
    Value* p = parents[i].v;
    if (!p->is_object() || p->find(last.keys[0])) continue;
    if (too_deep(parents[i].loc.size() + 1, val))
      return reply_error(c, "ERR recursion limit exceeded");
    p->obj().push_back(json::Member{last.keys[0], i == 0 ? std::move(val) : val.clone()});
    updated = true;
  }
  if (updated) {
    key_changed(c, key, kNotifyModule, "json.set");
    c.reply().ok();
  } else {
    c.reply().null();
  }
}

// ---- JSON.GET / JSON.MGET ----

struct Format {
  std::string_view indent, newline, space;
  bool plain() const { return indent.empty() && newline.empty() && space.empty(); }
};

void write_value(const Value& v, const Format& f, std::string* out) {
  if (f.plain())
    json::write(v, out);
  else
    json::write_pretty(v, out, f.indent, f.newline, f.space);
}

// "[m1,m2,...]" for the matches of a JSONPath.
void write_matches(const std::vector<JsonMatch>& ms, const Format& f, std::string* out) {
  if (f.plain()) {
    out->push_back('[');
    for (size_t i = 0; i < ms.size(); i++) {
      if (i) out->push_back(',');
      json::write(*ms[i].v, out);
    }
    out->push_back(']');
    return;
  }
  Value arr = Value::array();
  for (const JsonMatch& m : ms) arr.arr().push_back(m.v->clone());
  write_value(arr, f, out);
}

void json_get_command(Client& c) {
  Format fmt;
  std::vector<std::string_view> path_args;
  for (size_t i = 2; i < c.argv.size(); i++) {
    std::string_view a = c.argv[i];
    if (a.size() > 8) {
      path_args.push_back(a);
      continue;
    }
    std::string_view* opt = nullptr;
    if (eq_nocase(a, "indent")) {
      opt = &fmt.indent;
    } else if (eq_nocase(a, "newline")) {
      opt = &fmt.newline;
    } else if (eq_nocase(a, "space")) {
      opt = &fmt.space;
    } else if (eq_nocase(a, "noescape")) {
      continue;
    } else if (eq_nocase(a, "format")) {
      if (i + 1 >= c.argv.size()) {
        reply_wrong_arity(c);
        return;
      }
      if (!eq_nocase(c.argv[++i], "string")) {
        reply_error(c, "ERR FORMAT argument is not supported on RESP2");
        return;
      }
      continue;
    } else {
      path_args.push_back(a);
      continue;
    }
    if (i + 1 >= c.argv.size()) {
      reply_wrong_arity(c);
      return;
    }
    *opt = c.argv[++i];
  }
  if (path_args.empty()) path_args.push_back(".");
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::Json, IfMissing::Null);
  if (!e) return;
  Value* doc = json_doc(e->val);
  std::vector<JsonPath> paths(path_args.size());
  bool all_legacy = true;
  for (size_t i = 0; i < path_args.size(); i++) {
    if (!parse_path_arg(c, path_args[i], &paths[i])) return;
    all_legacy = all_legacy && paths[i].legacy;
  }
  std::string out;
  if (paths.size() == 1) {
    std::vector<JsonMatch> ms;
    if (!matches(c, paths[0], doc, &ms)) return;
    if (all_legacy) {
      if (ms.empty()) {
        reply_error(c, path_err(paths[0].fixed));
        return;
      }
      write_value(*ms[0].v, fmt, &out);
    } else {
      write_matches(ms, fmt, &out);
    }
    c.reply().bulk(out);
    return;
  }
  // Several paths: an object keyed by the paths as written (each once, first wins).
  Value obj = Value::object();
  for (const JsonPath& p : paths) {
    if (obj.find(p.original)) continue;
    std::vector<JsonMatch> ms;
    if (!matches(c, p, doc, &ms)) return;
    if (all_legacy) {
      if (ms.empty()) {
        reply_error(c, path_err(p.original));
        return;
      }
      obj.obj().push_back(json::Member{p.original, ms[0].v->clone()});
    } else {
      Value arr = Value::array();
      for (const JsonMatch& m : ms) arr.arr().push_back(m.v->clone());
      obj.obj().push_back(json::Member{p.original, std::move(arr)});
    }
  }
  write_value(obj, fmt, &out);
  c.reply().bulk(out);
}

void json_mget_command(Client& c) {
  size_t nkeys = c.argv.size() - 2;
  JsonPath path;
  if (!parse_path_arg(c, c.argv.back(), &path)) return;
  // Every key is evaluated before the reply starts: an evaluation past its bounds fails the
  // whole command.
  std::vector<std::optional<std::string>> outs(nkeys);
  Format plain;
  for (size_t i = 1; i <= nkeys; i++) {
    KeyEntry* e = lookup_read(*c.db, c.argv[i]);
    if (!e || e->val.type != Type::Json) continue;
    std::vector<JsonMatch> ms;
    if (!matches(c, path, json_doc(e->val), &ms)) return;
    if (path.legacy && ms.empty()) continue;
    std::string& out = outs[i - 1].emplace();
    if (path.legacy)
      json::write(*ms[0].v, &out);
    else
      write_matches(ms, plain, &out);
  }
  c.reply().array(nkeys);
  for (const auto& out : outs) {
    if (out)
      c.reply().bulk(*out);
    else
      c.reply().null();
  }
}

// ---- JSON.DEL / JSON.FORGET ----

void json_del_command(Client& c) {
  if (c.argv.size() > 3) {
    reply_wrong_arity(c);
    return;
  }
  JsonPath path;
  if (!parse_path_arg(c, c.argv.size() > 2 ? c.argv[2] : std::string_view("."), &path)) return;
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write_or_reply(c, key, Type::Json, IfMissing::Zero);
  if (!e) return;
  Value* doc = json_doc(e->val);
  if (path.is_root()) {
    db_delete(*c.db, key);
    key_changed(c, key, kNotifyModule, "json.del");
    c.reply().integer(1);
    return;
  }
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  std::vector<std::vector<uint32_t>> locs;
  locs.reserve(ms.size());
  for (JsonMatch& m : ms) locs.push_back(std::move(m.loc));
  size_t n = json_loc_delete(doc, std::move(locs));
  if (n > 0) key_changed(c, key, kNotifyModule, "json.del");
  c.reply().integer((long long)n);
}

// ---- JSON.TYPE ----

void json_type_command(Client& c) {
  JsonPath path;
  Value* doc;
  if (!read_key_path(c, &path, &doc)) return;
  bool resp3 = c.reply().proto() == resp::Proto::Resp3;
  if (resp3) c.reply().array(1);
  if (!doc) {
    c.reply().null();
    return;
  }
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  if (path.legacy) {
    if (ms.empty())
      c.reply().null();
    else
      c.reply().bulk(json::type_name(ms[0].v->type()));
    return;
  }
  c.reply().array(ms.size());
  for (const JsonMatch& m : ms) c.reply().bulk(json::type_name(m.v->type()));
}

// ---- JSON.NUMINCRBY / JSON.NUMMULTBY / JSON.NUMPOWBY ----

enum class NumOp { Incr, Mult, Pow };

// Integer power with overflow detection (exponent >= 0).
bool int_pow(int64_t base, int64_t exp, int64_t* out) {
  int64_t r = 1;
  while (exp > 0) {
    if (__builtin_mul_overflow(r, base, &r)) return false;
    exp--;
    if (r == 0 || r == 1) break;  // 0^n, 1^n
    if (r == -1) {                // (-1)^n: parity decides
      r = (exp % 2 == 0) ? -1 : 1;
      break;
    }
  }
  *out = r;
  return true;
}

// Applies the operation to one number; false (with *err) when the result is not a number.
// Two integers give an integer unless it overflows (then a double), like RedisJSON.
bool num_op(Value* v, const Value& by, NumOp op, std::string* err) {
  if (v->is_int() && by.is_int()) {
    int64_t r;
    bool ok;
    switch (op) {
      case NumOp::Incr:
        ok = !__builtin_add_overflow(v->as_int(), by.as_int(), &r);
        break;
      case NumOp::Mult:
        ok = !__builtin_mul_overflow(v->as_int(), by.as_int(), &r);
        break;
      default:
        ok = by.as_int() >= 0 && int_pow(v->as_int(), by.as_int(), &r);
        break;
    }
    if (ok) {
      *v = Value::integer(r);
      return true;
    }
  }
  double a = v->as_number(), b = by.as_number();
  double r = op == NumOp::Incr ? a + b : op == NumOp::Mult ? a * b : std::pow(a, b);
  if (!std::isfinite(r)) {
    *err = "ERR result is not a number";
    return false;
  }
  *v = Value::number(r);
  return true;
}

void num_command(Client& c, NumOp op) {
  const char* event = op == NumOp::Incr   ? "json.numincrby"
                      : op == NumOp::Mult ? "json.nummultby"
                                          : "json.numpowby";
  std::string_view key = c.argv[1];
  JsonPath path;
  if (!parse_path_arg(c, c.argv[2], &path)) return;
  Value* doc;
  if (!doc_at(c, key, true, &doc)) return;
  Value by;
  if (!parse_json_arg(c, c.argv[3], &by)) return;
  if (!by.is_number()) {
    reply_error(c, "ERR expected value at line 1 column 1");
    return;
  }
  if (!doc) {
    reply_error(c, kErrNoKey);
    return;
  }
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  json_matches_dedup(&ms);  // a number matched twice is changed once
  std::vector<const Value*> results(ms.size(), nullptr);
  bool any = false;
  std::string err;
  for (size_t i = 0; i < ms.size(); i++) {
    if (!ms[i].v->is_number()) continue;
    if (!num_op(ms[i].v, by, op, &err)) {
      if (any) key_changed(c, key, kNotifyModule, event);
      reply_error(c, err);
      return;
    }
    results[i] = ms[i].v;
    any = true;
  }
  bool resp3 = c.reply().proto() == resp::Proto::Resp3;
  if (path.legacy && !any) {
    reply_error(c, path_err(path.fixed, "does not contains a number"));
    return;
  }
  if (any) key_changed(c, key, kNotifyModule, event);
  if (resp3) {
    c.reply().array(results.size());
    for (const Value* r : results) {
      if (!r)
        c.reply().null();
      else if (r->is_int())
        c.reply().integer(r->as_int());
      else
        c.reply().dbl(r->as_double());
    }
    return;
  }
  std::string out;
  if (path.legacy) {
    const Value* last = nullptr;
    for (const Value* r : results)
      if (r) last = r;
    json::write(*last, &out);
  } else {
    out.push_back('[');
    for (size_t i = 0; i < results.size(); i++) {
      if (i) out.push_back(',');
      if (results[i])
        json::write(*results[i], &out);
      else
        out.append("null");
    }
    out.push_back(']');
  }
  c.reply().bulk(out);
}

void json_numincrby_command(Client& c) { num_command(c, NumOp::Incr); }
void json_nummultby_command(Client& c) { num_command(c, NumOp::Mult); }
void json_numpowby_command(Client& c) { num_command(c, NumOp::Pow); }

// ---- Commands over every match of one type ----
//
// Shape shared by STRAPPEND ARRAPPEND ARRINSERT ARRPOP ARRTRIM TOGGLE: the key must exist; a
// JSONPath answers one reply per match (nil for the wrong type; a location matched twice is
// written and answered once); a legacy path answers the last result and errors when no match
// has the right type.

enum class Out { Int, Bulk, Null, Bool };
struct Result {
  bool hit = false;  // the match had the right type
  Out kind = Out::Null;
  long long i = 0;
  std::string s;
};

template <class Pred, class Op>
void for_matches(Client& c, const JsonPath& path, Value* doc, std::string_view key,
                 const char* event, const std::string& legacy_err, Pred pred, Op op) {
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  // Each location once, and every match after the matches inside it: changing a container
  // frees or moves what it holds.
  json_matches_dedup(&ms);
  std::vector<Result> res(ms.size());
  bool any = false, changed = false;
  for (size_t i : json_write_order(ms)) {
    if (!pred(*ms[i].v)) continue;
    any = true;
    res[i].hit = true;
    std::string err;
    if (!op(ms[i], &res[i], &changed, &err)) {
      if (changed) key_changed(c, key, kNotifyModule, event);
      reply_error(c, err);
      return;
    }
  }
  if (path.legacy && !any) {
    reply_error(c, legacy_err);
    return;
  }
  if (changed) key_changed(c, key, kNotifyModule, event);
  auto emit = [&](const Result& r) {
    switch (r.kind) {
      case Out::Int:
        c.reply().integer(r.i);
        break;
      case Out::Bulk:
        c.reply().bulk(r.s);
        break;
      case Out::Bool:
        c.reply().boolean(r.i != 0);
        break;
      case Out::Null:
        c.reply().null();
        break;
    }
  };
  if (path.legacy) {
    // The last match written (RedisJSON applies to every match in order, answers the last).
    for (size_t i = ms.size(); i-- > 0;) {
      if (res[i].hit) {
        emit(res[i]);
        return;
      }
    }
    c.reply().null();
    return;
  }
  c.reply().array(res.size());
  for (const Result& r : res) emit(r);
}

bool is_string(const Value& v) { return v.is_string(); }
bool is_array(const Value& v) { return v.is_array(); }
bool is_bool(const Value& v) { return v.is_bool(); }

// Parses the values of ARRAPPEND/ARRINSERT (argv[from..]).
bool parse_values(Client& c, size_t from, std::vector<Value>* out) {
  for (size_t i = from; i < c.argv.size(); i++) {
    Value v;
    if (!parse_json_arg(c, c.argv[i], &v)) return false;
    out->push_back(std::move(v));
  }
  return true;
}

size_t max_depth_of(const std::vector<Value>& vals) {
  size_t d = 0;
  for (const Value& v : vals) d = std::max(d, json_depth(v));
  return d;
}

// ---- JSON.STRAPPEND / JSON.STRLEN ----

void json_strappend_command(Client& c) {
  if (c.argv.size() > 4) {
    reply_wrong_arity(c);
    return;
  }
  std::string_view key = c.argv[1];
  std::string_view path_arg = c.argv.size() == 4 ? c.argv[2] : std::string_view(".");
  std::string_view text = c.argv.back();
  JsonPath path;
  if (!parse_path_arg(c, path_arg, &path)) return;
  Value* doc = existing_doc(c, key);
  if (!doc) return;
  // The argument is a JSON string ('"abc"'); checked when there is a string to append to.
  Value add;
  std::string parse_err;
  bool parsed = json::parse(text, &add, &parse_err, json_parse_limits());
  for_matches(c, path, doc, key, "json.strappend", path_err(path.fixed, "not a string"), is_string,
              [&](JsonMatch& m, Result* r, bool* changed, std::string* err) {
                if (!parsed) {
                  *err = "ERR " + parse_err;
                  return false;
                }
                if (!add.is_string()) {
                  *err = "WRONGTYPE wrong type of path value - expected string but found " +
                         std::string(text);
                  return false;
                }
                m.v->str_append(add.str());
                *changed = true;
                r->kind = Out::Int;
                r->i = (long long)m.v->str().size();
                return true;
              });
}

// The JSONPath-form reply of the *LEN and ARRINDEX commands: one integer per match, or null
// where `f` has none (the match is of another type).
template <class F>
void reply_per_match(Client& c, const std::vector<JsonMatch>& ms, F&& f) {
  c.reply().array(ms.size());
  for (const JsonMatch& m : ms) {
    if (std::optional<long long> n = f(*m.v))
      c.reply().integer(*n);
    else
      c.reply().null();
  }
}

// JSON.STRLEN / ARRLEN / OBJLEN: per match, its size when `size` gives one (nil for another
// type).  A legacy path answers for its first match; `legacy_fail` replies when there is none
// (`first` nullptr) or it has no size.  `missing_doc` is the error for a missing key.
void size_command(Client& c, std::string (*missing_doc)(const JsonPath&),
                  std::optional<long long> (*size)(const Value&),
                  void (*legacy_fail)(Client&, const JsonPath&, const Value* first)) {
  JsonPath path;
  Value* doc;
  if (!read_key_path(c, &path, &doc)) return;
  if (!doc) return reply_missing_doc(c, path, missing_doc(path));
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  if (path.legacy) {
    std::optional<long long> n = ms.empty() ? std::nullopt : size(*ms[0].v);
    if (!n) return legacy_fail(c, path, ms.empty() ? nullptr : ms[0].v);
    return c.reply().integer(*n);
  }
  reply_per_match(c, ms, size);
}

std::string no_key(const JsonPath&) { return kErrNoKey; }

// The sizes of JSON.STRLEN, ARRLEN and OBJLEN: nullopt for a value of another type.
std::optional<long long> str_size(const Value& v) {
  return v.is_string() ? std::optional<long long>(v.str().size()) : std::nullopt;
}
std::optional<long long> arr_size(const Value& v) {
  return v.is_array() ? std::optional<long long>(v.arr().size()) : std::nullopt;
}
std::optional<long long> obj_size(const Value& v) {
  return v.is_object() ? std::optional<long long>(v.obj().size()) : std::nullopt;
}

void json_strlen_command(Client& c) {
  size_command(c, no_key, str_size, [](Client& c, const JsonPath& path, const Value* first) {
    reply_error(c, first ? expected_err("string", *first) : path_err(path.fixed));
  });
}

// ---- Arrays ----

// JSON.ARRAPPEND (index nullopt: at the end) and JSON.ARRINSERT: the values from argv[from] on
// into every array `path` matches; replies each array's new length.
void arr_insert(Client& c, const JsonPath& path, std::optional<long long> index, size_t from,
                const char* event, const std::string& not_array) {
  std::string_view key = c.argv[1];
  std::vector<Value> vals;
  if (!parse_values(c, from, &vals)) return;
  Value* doc = existing_doc(c, key);
  if (!doc) return;
  size_t vdepth = max_depth_of(vals);
  for_matches(c, path, doc, key, event, not_array, is_array,
              [&](JsonMatch& m, Result* r, bool* changed, std::string* err) {
                json::Array& a = m.v->arr();
                long long len = (long long)a.size();
                if (index && (*index < -len || *index > len)) {
                  *err = "ERR index out of bounds";
                  return false;
                }
                if (m.loc.size() + 1 + vdepth > size_t(srv().cfg.json_max_depth)) {
                  *err = "ERR recursion limit exceeded";
                  return false;
                }
                if (!index) {
                  for (const Value& v : vals) a.push_back(v.clone());
                } else {
                  long long at = *index < 0 ? *index + len : *index;
                  std::vector<Value> copies;
                  copies.reserve(vals.size());
                  for (const Value& v : vals) copies.push_back(v.clone());
                  a.insert(a.begin() + at, std::make_move_iterator(copies.begin()),
                           std::make_move_iterator(copies.end()));
                }
                *changed = true;
                r->kind = Out::Int;
                r->i = (long long)a.size();
                return true;
              });
}

void json_arrappend_command(Client& c) {
  JsonPath path;
  if (!parse_path_arg(c, c.argv[2], &path)) return;
  arr_insert(c, path, std::nullopt, 3, "json.arrappend", path_err(path.original, "not an array"));
}

void json_arrinsert_command(Client& c) {
  JsonPath path;
  if (!parse_path_arg(c, c.argv[2], &path)) return;
  long long index;
  if (!arg_ll(c, c.argv[3], &index)) return;
  arr_insert(c, path, index, 4, "json.arrinsert", path_err(path.fixed, "not an array"));
}

// ARRINDEX's range: start clamped into the array, stop 0 meaning "to the end".
long long arr_find(const json::Array& a, const Value& v, long long start, long long stop) {
  long long len = (long long)a.size();
  if (len == 0) return -1;
  start = start < 0 ? std::max(0LL, len + start) : std::min(start, len - 1);
  stop = stop == 0 ? len : stop < 0 ? std::max(0LL, len + stop) : std::min(stop, len);
  for (long long i = start; i < stop; i++)
    if (json::equal(a[size_t(i)], v)) return i;
  return -1;
}

void json_arrindex_command(Client& c) {
  if (c.argv.size() > 6) return reply_wrong_arity(c);
  JsonPath path;
  if (!parse_path_arg(c, c.argv[2], &path)) return;
  long long start = 0, stop = 0;
  if (c.argv.size() > 4 && !arg_ll(c, c.argv[4], &start)) return;
  if (c.argv.size() > 5 && !arg_ll(c, c.argv[5], &stop)) return;
  Value* doc;
  if (!doc_at(c, c.argv[1], false, &doc)) return;
  Value needle;
  if (!parse_json_arg(c, c.argv[3], &needle)) return;
  if (!doc) return reply_error(c, path_err(path.original));
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  if (path.legacy) {
    if (ms.empty()) return reply_error(c, path_err(path.fixed));
    if (!ms[0].v->is_array()) return reply_error(c, expected_err("array", *ms[0].v));
    c.reply().integer(arr_find(ms[0].v->arr(), needle, start, stop));
    return;
  }
  reply_per_match(c, ms, [&](const Value& v) -> std::optional<long long> {
    if (!v.is_array()) return std::nullopt;
    return arr_find(v.arr(), needle, start, stop);
  });
}

void json_arrpop_command(Client& c) {
  if (c.argv.size() > 4) return reply_wrong_arity(c);
  std::string_view key = c.argv[1];
  long long index = INT64_MAX;  // no path: the last element
  if (c.argv.size() > 2) {
    index = -1;
    // RedisJSON ignores an index that is not an integer (pops the last element).
    if (c.argv.size() > 3 && !resp::parse_ll(c.argv[3], &index)) index = -1;
  }
  JsonPath path;
  if (!parse_path_arg(c, c.argv.size() > 2 ? c.argv[2] : std::string_view("."), &path)) return;
  Value* doc = existing_doc(c, key);
  if (!doc) return;
  for_matches(c, path, doc, key, "json.arrpop", path_err(path.fixed, "not an array"), is_array,
              [&](JsonMatch& m, Result* r, bool* changed, std::string*) {
                json::Array& a = m.v->arr();
                if (a.empty()) return true;  // nil
                long long len = (long long)a.size();
                long long at = index < 0 ? std::max(0LL, len + index) : std::min(index, len - 1);
                r->kind = Out::Bulk;
                json::write(a[size_t(at)], &r->s);
                a.erase(a.begin() + at);
                *changed = true;
                return true;
              });
}

void json_arrlen_command(Client& c) {
  size_command(c, no_key, arr_size, [](Client& c, const JsonPath& path, const Value*) {
    reply_error(c, path_err(path.original, "not an array"));
  });
}

void json_arrtrim_command(Client& c) {
  std::string_view key = c.argv[1];
  JsonPath path;
  if (!parse_path_arg(c, c.argv[2], &path)) return;
  long long start, stop;
  if (!arg_ll(c, c.argv[3], &start) || !arg_ll(c, c.argv[4], &stop)) return;
  Value* doc = existing_doc(c, key);
  if (!doc) return;
  for_matches(c, path, doc, key, "json.arrtrim", path_err(path.fixed, "not an array"), is_array,
              [&](JsonMatch& m, Result* r, bool* changed, std::string*) {
                json::Array& a = m.v->arr();
                long long len = (long long)a.size();
                auto norm = [len](long long i) {
                  return i >= 0 ? std::min(i, len - 1) : std::max(i + len, 0LL);
                };
                long long e = norm(stop);
                long long s = (start < 0 || start < len) ? norm(start) : e + 1;
                if (s > e || len == 0) {
                  a.clear();
                } else {
                  a.erase(a.begin() + (e + 1), a.end());
                  a.erase(a.begin(), a.begin() + s);
                }
                *changed = true;
                r->kind = Out::Int;
                r->i = (long long)a.size();
                return true;
              });
}

// ---- Objects ----

void json_objkeys_command(Client& c) {
  JsonPath path;
  Value* doc;
  if (!read_key_path(c, &path, &doc)) return;
  auto keys = [&](const Value& o) {
    c.reply().array(o.obj().size());
    for (const json::Member& m : o.obj()) c.reply().bulk(m.key);
  };
  if (!doc) return reply_missing_doc(c, path, kErrNoKey);
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  if (path.legacy) {
    if (ms.empty()) return c.reply().null();
    if (!ms[0].v->is_object()) return reply_error(c, path_err(path.fixed, "not an object"));
    keys(*ms[0].v);
    return;
  }
  c.reply().array(ms.size());
  for (const JsonMatch& m : ms) {
    if (m.v->is_object())
      keys(*m.v);
    else
      c.reply().null();
  }
}

void json_objlen_command(Client& c) {
  size_command(
      c, [](const JsonPath& path) { return path_err(path.fixed, "not an object"); }, obj_size,
      [](Client& c, const JsonPath&, const Value* first) {
        if (!first) return c.reply().null();
        reply_error(c, expected_err("object", *first));
      });
}

// ---- JSON.CLEAR / JSON.TOGGLE ----

void json_clear_command(Client& c) {
  if (c.argv.size() > 3) return reply_wrong_arity(c);
  std::string_view key = c.argv[1];
  JsonPath path;
  if (!parse_path_arg(c, c.argv.size() > 2 ? c.argv[2] : std::string_view("."), &path)) return;
  Value* doc = existing_doc(c, key);
  if (!doc) return;
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  json_matches_dedup(&ms);
  long long cleared = 0;
  for (size_t i : json_write_order(ms)) {  // what lies inside a match is cleared first
    Value* v = ms[i].v;
    if ((v->is_container() && v->size() > 0) || (v->is_int() && v->as_int() != 0) ||
        (v->is_double() && v->as_double() != 0.0)) {
      if (v->is_array())
        v->arr().clear();
      else if (v->is_object())
        v->obj().clear();
      else
        *v = Value::integer(0);
      cleared++;
    }
  }
  if (cleared > 0) key_changed(c, key, kNotifyModule, "json.clear");
  c.reply().integer(cleared);
}

void json_toggle_command(Client& c) {
  std::string_view key = c.argv[1];
  JsonPath path;
  if (!parse_path_arg(c, c.argv[2], &path)) return;
  Value* doc = existing_doc(c, key);
  if (!doc) return;
  bool legacy = path.legacy;
  for_matches(c, path, doc, key, "json.toggle", path_err(path.fixed, "not a bool"), is_bool,
              [&](JsonMatch& m, Result* r, bool* changed, std::string*) {
                bool nb = !m.v->as_bool();
                *m.v = Value::boolean(nb);
                *changed = true;
                if (legacy) {
                  r->kind = Out::Bulk;
                  r->s = nb ? "true" : "false";
                } else {
                  r->kind = Out::Bool;
                  r->i = nb;
                }
                return true;
              });
}

// JSON.DEBUG MEMORY <key> [path] | HELP: bytes a document (or its matches) holds.
void json_debug_command(Client& c) {
  if (eq_nocase(c.argv[1], "help")) {
    c.reply().array(2);
    c.reply().bulk("MEMORY <key> [path] - reports memory usage");
    c.reply().bulk("HELP                - this message");
    return;
  }
  if (!eq_nocase(c.argv[1], "memory") || c.argv.size() < 3 || c.argv.size() > 4) {
    reply_error(c, "ERR unknown subcommand - try `JSON.DEBUG HELP`");
    return;
  }
  JsonPath path;
  if (!parse_path_arg(c, c.argv.size() > 3 ? c.argv[3] : std::string_view("."), &path)) return;
  Value* doc;
  if (!doc_at(c, c.argv[2], false, &doc)) return;
  std::vector<JsonMatch> ms;
  if (doc && !matches(c, path, doc, &ms)) return;
  if (path.legacy) {
    if (doc && ms.empty()) return reply_error(c, path_err(path.fixed));
    c.reply().integer(doc ? (long long)(sizeof(Value) + json::memory_usage(*ms[0].v)) : 0);
    return;
  }
  c.reply().array(ms.size());
  for (const JsonMatch& m : ms)
    c.reply().integer((long long)(sizeof(Value) + json::memory_usage(*m.v)));
}

// ---- JSON.MERGE / JSON.MSET ----

// RFC 7396 merge patch: members of an object patch are merged recursively, a null member
// deletes, anything else replaces.
void merge_patch(Value* target, Value&& patch) {
  if (!patch.is_object()) {
    *target = std::move(patch);
    return;
  }
  if (!target->is_object()) *target = Value::object();
  for (json::Member& m : patch.obj()) {
    if (m.val.is_null()) {
      target->erase(m.key);
      continue;
    }
    Value* cur = target->find(m.key);
    if (!cur) {
      target->obj().emplace_back(m.key.view(), Value());
      cur = &target->obj().back().val;
    }
    merge_patch(cur, std::move(m.val));
  }
}

// Writes `val` at `path` of an existing document the way JSON.SET does (every match, or a
// new last member of a static path); `merge` merges instead of replacing.  Returns false
// with *err set on an error; *updated tells whether anything was written.
bool set_in_doc(Value* doc, const JsonPath& path, const Value& val, bool merge, bool* updated,
                std::string* err) {
  *updated = false;
  std::vector<JsonMatch> ms;
  if (!json_path_eval(path, doc, &ms, err)) return false;
  if (!ms.empty()) {
    // A replace writes the outermost matches only (RedisJSON); a merge writes every match,
    // each after the matches inside it, so that none is written through a freed pointer.
    if (merge)
      json_matches_dedup(&ms);
    else
      json_matches_outermost(&ms);
    for (const JsonMatch& m : ms) {
      if (too_deep(m.loc.size(), val)) {
        *err = "ERR recursion limit exceeded";
        return false;
      }
    }
    for (size_t i : json_write_order(ms)) {
      if (merge)
        merge_patch(ms[i].v, val.clone());
      else
        *ms[i].v = val.clone();
    }
    *updated = true;
    return true;
  }
  if (!path.is_static()) {
    *err = "ERR wrong static path";
    return false;
  }
  const PathStep& last = path.steps.back();
  if (last.kind != PathStep::Key) {
    *err = "ERR array index out of range";
    return false;
  }
  std::vector<JsonMatch> parents;
  if (!json_path_eval(path, doc, &parents, err, {}, int(path.steps.size()) - 1)) return false;
  for (size_t i = parents.size(); i-- > 0;) {
    Value* p = parents[i].v;
    if (!p->is_object() || p->find(last.keys[0])) continue;
    if (too_deep(parents[i].loc.size() + 1, val)) {
      *err = "ERR recursion limit exceeded";
      return false;
    }
    p->obj().emplace_back(last.keys[0], val.clone());
    *updated = true;
  }
  return true;
}

void json_merge_command(Client& c) {
  if (c.argv.size() != 4) return reply_syntax_error(c);
  std::string_view key = c.argv[1];
  Value* doc;
  Value val;
  JsonPath path;
  if (!write_args(c, key, &doc, &val, &path)) return;
  if (!doc) {
    if (!path.is_root()) return reply_error(c, "ERR new objects must be created at the root");
    db_add(*c.db, key, json_value(std::move(val)));
    key_changed(c, key, kNotifyModule, "json.merge");
    return c.reply().ok();
  }
  if (path.is_root()) {
    merge_patch(doc, std::move(val));
    key_changed(c, key, kNotifyModule, "json.merge");
    return c.reply().ok();
  }
  bool updated;
  std::string err;
  if (!set_in_doc(doc, path, val, true, &updated, &err)) return reply_error(c, err);
  if (!updated) return c.reply().null();
  key_changed(c, key, kNotifyModule, "json.merge");
  c.reply().ok();
}

void json_mset_command(Client& c) {
  if ((c.argv.size() - 1) % 3 != 0) return reply_wrong_arity(c);
  struct Triplet {
    std::string_view key;
    JsonPath path;
    Value val;
  };
  std::vector<Triplet> ts((c.argv.size() - 1) / 3);
  // Everything is checked before anything is written.
  for (size_t i = 0; i < ts.size(); i++) {
    Triplet& t = ts[i];
    t.key = c.argv[1 + 3 * i];
    Value* doc;
    if (!doc_at(c, t.key, true, &doc)) return;
    if (!parse_path_arg(c, c.argv[2 + 3 * i], &t.path)) return;
    bool created_earlier = false;
    for (size_t j = 0; j < i; j++) created_earlier |= ts[j].key == t.key && ts[j].path.is_root();
    if (!doc && !t.path.is_root() && !created_earlier)
      return reply_error(c, "ERR new objects must be created at the root");
    if (!parse_json_arg(c, c.argv[3 + 3 * i], &t.val)) return;
  }
  for (Triplet& t : ts) {
    KeyEntry* e = lookup_write(*c.db, t.key);
    Value* doc = e ? json_doc(e->val) : nullptr;  // a document: the types were checked above
    bool updated = false;
    if (t.path.is_root()) {
      if (doc)
        *doc = std::move(t.val);
      else
        db_add(*c.db, t.key, json_value(std::move(t.val)));
      updated = true;
    } else if (doc) {
      std::string err;
      if (!set_in_doc(doc, t.path, t.val, false, &updated, &err)) return reply_error(c, err);
    }
    if (updated) key_changed(c, t.key, kNotifyModule, "json.mset");
  }
  c.reply().ok();
}

// ---- JSON.RESP ----

void resp_value(Client& c, const Value& v) {
  switch (v.type()) {
    case json::Type::Null:
      c.reply().null();
      break;
    case json::Type::Bool:
      c.reply().simple(v.as_bool() ? "true" : "false");
      break;
    case json::Type::Int:
      c.reply().integer(v.as_int());
      break;
    case json::Type::Double:
      c.reply().dbl(v.as_double());
      break;
    case json::Type::String:
      c.reply().bulk(v.str());
      break;
    case json::Type::Array:
      c.reply().array(v.arr().size() + 1);
      c.reply().simple("[");
      for (const Value& e : v.arr()) resp_value(c, e);
      break;
    case json::Type::Object:
      c.reply().array(2 * v.obj().size() + 1);
      c.reply().simple("{");
      for (const json::Member& m : v.obj()) {
        c.reply().bulk(m.key.view());
        resp_value(c, m.val);
      }
      break;
  }
}

void json_resp_command(Client& c) {
  JsonPath path;
  Value* doc;
  if (!read_key_path(c, &path, &doc)) return;
  if (!doc) return c.reply().null();
  std::vector<JsonMatch> ms;
  if (!matches(c, path, doc, &ms)) return;
  if (ms.empty()) return reply_error(c, path_err(path.fixed));
  if (path.legacy) return resp_value(c, *ms[0].v);
  c.reply().array(ms.size());
  for (const JsonMatch& m : ms) resp_value(c, *m.v);
}

// Nearly every JSON command takes its one key at argv[1]; they differ in whether they write and
// whether a write may grow memory (refused under maxmemory).
constexpr Command reader(const char* name, int arity, CmdProc proc) {
  return {.name = name, .arity = arity, .flags = kCmdReadonly, .keys = {1, 1, 1}, .proc = proc};
}
constexpr Command writer(const char* name, int arity, CmdProc proc) {
  return {.name = name, .arity = arity, .flags = kCmdWrite, .keys = {1, 1, 1}, .proc = proc};
}
constexpr Command grower(const char* name, int arity, CmdProc proc) {
  return {.name = name,
          .arity = arity,
          .flags = kCmdWrite | kCmdDenyOom,
          .keys = {1, 1, 1},
          .proc = proc};
}

Command kCommands[] = {
    grower("json.set", -4, json_set_command),
    reader("json.get", -2, json_get_command),
    {.name = "json.mget", .arity = -3, .flags = kCmdReadonly, .keys = {1, -2, 1},
     .proc = json_mget_command},
    writer("json.del", -2, json_del_command),
    writer("json.forget", -2, json_del_command),
    reader("json.type", -2, json_type_command),
    grower("json.numincrby", 4, json_numincrby_command),
    grower("json.nummultby", 4, json_nummultby_command),
    grower("json.numpowby", 4, json_numpowby_command),
    grower("json.merge", -4, json_merge_command),
    {.name = "json.mset", .arity = -4, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, -1, 3},
     .proc = json_mset_command},
    reader("json.resp", -2, json_resp_command),
    grower("json.strappend", -3, json_strappend_command),
    reader("json.strlen", -2, json_strlen_command),
    grower("json.arrappend", -4, json_arrappend_command),
    grower("json.arrinsert", -5, json_arrinsert_command),
    reader("json.arrindex", -4, json_arrindex_command),
    writer("json.arrpop", -2, json_arrpop_command),
    reader("json.arrlen", -2, json_arrlen_command),
    writer("json.arrtrim", 5, json_arrtrim_command),
    reader("json.objkeys", -2, json_objkeys_command),
    reader("json.objlen", -2, json_objlen_command),
    writer("json.clear", -2, json_clear_command),
    grower("json.toggle", 3, json_toggle_command),
    {.name = "json.debug", .arity = -2, .flags = kCmdReadonly, .keys = {2, 2, 1},
     .proc = json_debug_command},
};

}  // namespace

std::span<Command> json_commands() { return kCommands; }

}  // namespace sc::broker
