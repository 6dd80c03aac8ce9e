// JSON path parsing and evaluation (see json_path.h).
#include "json_path.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

namespace sc::broker {

using json::Value;

// A filter expression `[?(...)]`: a tree of and/or/not over comparisons of operands.
struct FilterOperand {
  enum Kind : uint8_t { Relative, Absolute, Literal } kind = Literal;
  std::vector<PathStep> steps;  // Relative (from @) / Absolute (from $)
  Value lit;
};
struct FilterExpr {
  enum Kind : uint8_t { Or, And, Not, Cmp, Exists } kind = Exists;
  enum Op : uint8_t { Eq, Ne, Lt, Le, Gt, Ge, Match } op = Eq;
  std::unique_ptr<FilterExpr> a, b;  // Or/And: both, Not: a
  FilterOperand lhs, rhs;            // Cmp: both, Exists: lhs
  std::unique_ptr<re2::RE2> re;      // Match with a string literal
};

bool JsonPath::is_static() const {
  for (const PathStep& s : steps)
    if (s.descendant || (s.kind != PathStep::Key && s.kind != PathStep::Index)) return false;
  return true;
}

namespace {

class PathParser {
 public:
  PathParser(std::string_view s, std::string* err) : s_(s), err_(err) {}

  // Parses steps up to the end (or, when `embedded`, up to the first character that cannot
  // continue a path: inside filter expressions).
  bool run(std::vector<PathStep>* steps, bool embedded = false) {
    while (pos_ < s_.size()) {
      PathStep st;
      char c = s_[pos_];
      if (embedded && c != '.' && c != '[') return true;
      if (c == '.') {
        pos_++;
        if (pos_ < s_.size() && s_[pos_] == '.') {
          st.descendant = true;
          pos_++;
        }
        if (pos_ >= s_.size()) return fail("path ends with '.'");
        if (s_[pos_] == '[') {
          if (!bracket(&st)) return false;
        } else if (s_[pos_] == '*') {
          st.kind = PathStep::Wildcard;
          pos_++;
        } else if (!name(&st)) {
          return false;
        }
      } else if (c == '[') {
        if (!bracket(&st)) return false;
      } else {
        return fail("expected '.' or '['");
      }
      steps->push_back(std::move(st));
    }
    return true;
  }

 private:
  bool fail(const char* what) {
    *err_ = "ERR Path '" + std::string(s_) + "' is not valid: " + what + " at position " +
            std::to_string(pos_);
    return false;
  }
  void skip_sp() {
    while (pos_ < s_.size() && s_[pos_] == ' ') pos_++;
  }
  bool name(PathStep* st) {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '.' && s_[pos_] != '[' &&
           !(depth_ > 0 && std::string_view(" )=!<>&|").find(s_[pos_]) != std::string_view::npos))
      pos_++;
    if (pos_ == start) return fail("empty member name");
    st->kind = PathStep::Key;
    st->keys.emplace_back(s_.substr(start, pos_ - start));
    return true;
  }
  bool quoted(std::string* out) {
    char q = s_[pos_++];
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) pos_++;
      out->push_back(s_[pos_++]);
    }
    if (pos_ >= s_.size()) return fail("unterminated string");
    pos_++;
    return true;
  }
  bool integer(int64_t* out) {
    size_t start = pos_;
    if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) pos_++;
    size_t digits = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') pos_++;
    if (pos_ == digits || pos_ - digits > 18) return fail("expected an index");
    *out = std::stoll(std::string(s_.substr(start, pos_ - start)));
    return true;
  }
  bool is_int_start() const {
    return pos_ < s_.size() &&
           (s_[pos_] == '-' || s_[pos_] == '+' || (s_[pos_] >= '0' && s_[pos_] <= '9'));
  }
  bool close() {
    skip_sp();
    if (pos_ >= s_.size() || s_[pos_] != ']') return fail("expected ']'");
    pos_++;
    return true;
  }
  bool bracket(PathStep* st) {
    pos_++;  // '['
    skip_sp();
    if (pos_ >= s_.size()) return fail("unterminated '['");
    char c = s_[pos_];
    if (c == '*') {
      pos_++;
      st->kind = PathStep::Wildcard;
      return close();
    }
    if (c == '\'' || c == '"') {
      for (;;) {
        std::string k;
        if (!quoted(&k)) return false;
        st->keys.push_back(std::move(k));
        skip_sp();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          pos_++;
          skip_sp();
          if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
            return fail("expected a quoted name");
          continue;
        }
        break;
      }
      st->kind = st->keys.size() == 1 ? PathStep::Key : PathStep::KeyUnion;
      return close();
    }
    if (c == '?') {
      pos_++;
      skip_sp();
      if (pos_ >= s_.size() || s_[pos_] != '(') return fail("expected '(' after '?'");
      pos_++;
      depth_++;
      auto e = std::make_shared<FilterExpr>();
      if (!expr_or(e.get())) return false;
      skip_sp();
      if (pos_ >= s_.size() || s_[pos_] != ')') return fail("expected ')'");
      pos_++;
      depth_--;
      st->kind = PathStep::Filter;
      st->filter = std::move(e);
      return close();
    }
    // Index, union of indexes, or slice.
    int64_t first = 0;
    bool has_first = false;
    if (is_int_start()) {
      if (!integer(&first)) return false;
      has_first = true;
    }
    skip_sp();
    if (pos_ < s_.size() && s_[pos_] == ':') {
      pos_++;
      skip_sp();
      st->kind = PathStep::Slice;
      st->has_start = has_first;
      st->start = first;
      if (is_int_start()) {
        if (!integer(&st->end)) return false;
        st->has_end = true;
      }
      skip_sp();
      if (pos_ < s_.size() && s_[pos_] == ':') {
        pos_++;
        skip_sp();
        if (is_int_start()) {
          if (!integer(&st->step)) return false;
          if (st->step <= 0) return fail("slice step must be positive");
        }
      }
      return close();
    }
    if (!has_first) return fail("expected an index, a name or '*'");
    st->indexes.push_back(first);
    skip_sp();
    while (pos_ < s_.size() && s_[pos_] == ',') {
      pos_++;
      skip_sp();
      int64_t v;
      if (!integer(&v)) return false;
      st->indexes.push_back(v);
      skip_sp();
    }
    st->kind = st->indexes.size() == 1 ? PathStep::Index : PathStep::IndexUnion;
    return close();
  }

  // ---- Filter expressions ----
  bool peek(std::string_view tok) { return s_.substr(pos_, tok.size()) == tok; }
  // operand (op operand)*, grouped from the left: `||` joins `&&` chains, `&&` joins unary terms.
  template <bool (PathParser::*operand)(FilterExpr*)>
  bool expr_chain(FilterExpr* out, std::string_view op, FilterExpr::Kind kind) {
    if (!(this->*operand)(out)) return false;
    for (;;) {
      skip_sp();
      if (!peek(op)) return true;
      pos_ += op.size();
      auto lhs = std::make_unique<FilterExpr>(std::move(*out));
      auto rhs = std::make_unique<FilterExpr>();
      if (!(this->*operand)(rhs.get())) return false;
      *out = FilterExpr();
      out->kind = kind;
      out->a = std::move(lhs);
      out->b = std::move(rhs);
    }
  }
  bool expr_or(FilterExpr* out) {
    return expr_chain<&PathParser::expr_and>(out, "||", FilterExpr::Or);
  }
  bool expr_and(FilterExpr* out) {
    return expr_chain<&PathParser::expr_unary>(out, "&&", FilterExpr::And);
  }
  bool expr_unary(FilterExpr* out) {
    if (++nesting_ > 64) return fail("filter nested too deeply");
    bool ok = expr_unary_inner(out);
    nesting_--;
    return ok;
  }
  bool expr_unary_inner(FilterExpr* out) {
    skip_sp();
    if (pos_ >= s_.size()) return fail("unterminated filter");
    if (s_[pos_] == '!' && !peek("!=")) {
      pos_++;
      out->kind = FilterExpr::Not;
      out->a = std::make_unique<FilterExpr>();
      return expr_unary(out->a.get());
    }
    if (s_[pos_] == '(') {
      pos_++;
      if (!expr_or(out)) return false;
      skip_sp();
      if (pos_ >= s_.size() || s_[pos_] != ')') return fail("expected ')'");
      pos_++;
      return true;
    }
    if (!operand(&out->lhs)) return false;
    skip_sp();
    static const std::pair<const char*, FilterExpr::Op> kOps[] = {
        {"==", FilterExpr::Eq}, {"!=", FilterExpr::Ne},    {"<=", FilterExpr::Le},
        {">=", FilterExpr::Ge}, {"=~", FilterExpr::Match}, {"<", FilterExpr::Lt},
        {">", FilterExpr::Gt}};
    for (const auto& [tok, op] : kOps) {
      if (!peek(tok)) continue;
      pos_ += std::string_view(tok).size();
      out->kind = FilterExpr::Cmp;
      out->op = op;
      if (!operand(&out->rhs)) return false;
      if (op == FilterExpr::Match) {
        if (out->rhs.kind != FilterOperand::Literal || !out->rhs.lit.is_string())
          return fail("=~ needs a string pattern");
        std::string_view pat = out->rhs.lit.str();
        if (pat.size() > kJsonRegexMaxPattern) return fail("regular expression too long");
        re2::RE2::Options opts;
        opts.set_log_errors(false);
        opts.set_max_mem(kJsonRegexMaxMemory);
        out->re = std::make_unique<re2::RE2>(re2::StringPiece(pat.data(), pat.size()), opts);
        if (!out->re->ok()) return fail("bad regular expression");
        if (out->re->ProgramSize() > kJsonRegexMaxProgram)
          return fail("regular expression too large");
      }
      return true;
    }
    out->kind = FilterExpr::Exists;
    return true;
  }
  bool operand(FilterOperand* o) {
    skip_sp();
    if (pos_ >= s_.size()) return fail("expected an operand");
    char c = s_[pos_];
    if (c == '@' || c == '$') {
      pos_++;
      o->kind = c == '@' ? FilterOperand::Relative : FilterOperand::Absolute;
      return run(&o->steps, true);
    }
    o->kind = FilterOperand::Literal;
    if (c == '\'' || c == '"') {
      std::string str;
      if (!quoted(&str)) return false;
      o->lit = Value::string(str);
      return true;
    }
    size_t start = pos_;
    while (pos_ < s_.size() &&
           std::string_view(" )=!<>&|").find(s_[pos_]) == std::string_view::npos)
      pos_++;
    std::string_view tok = s_.substr(start, pos_ - start);
    if (tok.empty() || !json::parse(tok, &o->lit, nullptr)) return fail("bad literal");
    return true;
  }

  std::string_view s_;
  std::string* err_;
  size_t pos_ = 0;
  int depth_ = 0;    // inside a filter: names stop at operators
  int nesting_ = 0;  // filter expression nesting (bounded: it is parsed recursively)
};

// What one evaluation may still spend; shared by the evaluators of its filter operands, which
// run on the same stack.
struct Budget {
  const JsonPathLimits& lim;
  uint64_t work = 0;
  size_t matches = 0;
  size_t depth = 0;                // document levels entered, over all nested evaluators
  const char* exceeded = nullptr;  // which bound ran out, once one did

  bool spend(uint64_t n) {
    work += n;
    if (work > lim.max_work && !exceeded) exceeded = "work";
    return !exceeded;
  }
};

bool filter_match(const FilterExpr& e, Value* node, Value* root, Budget* b);

struct Evaluator {
  const std::vector<PathStep>& steps;
  size_t nsteps;
  std::vector<JsonMatch>* out;
  Value* root;
  Budget* b;
  std::vector<uint32_t> loc;

  void emit(Value* v) {
    if (!b->spend(1 + loc.size())) return;
    if (++b->matches > b->lim.max_matches) {
      b->exceeded = "matches";
      return;
    }
    out->push_back(JsonMatch{v, loc});
  }
  // Entering / leaving one level below the current node.
  bool enter(uint32_t pos) {
    if (++b->depth > b->lim.max_depth && !b->exceeded) b->exceeded = "depth";
    loc.push_back(pos);
    return !b->exceeded;
  }
  void leave() {
    b->depth--;
    loc.pop_back();
  }

  // `..step`: the step applied at every node below `v` (apply() already ran on `v`).
  void descend(Value* v, const PathStep& st, size_t i) {
    if (v->is_array()) {
      json::Array& a = v->arr();
      for (size_t k = 0; k < a.size() && !b->exceeded; k++) {
        if (enter(uint32_t(k))) {
          apply(st, &a[k], i);
          descend(&a[k], st, i);
        }
        leave();
      }
    } else if (v->is_object()) {
      json::Object& o = v->obj();
      for (size_t k = 0; k < o.size() && !b->exceeded; k++) {
        if (enter(uint32_t(k))) {
          apply(st, &o[k].val, i);
          descend(&o[k].val, st, i);
        }
        leave();
      }
    }
  }

  void child(Value* c, size_t pos, size_t i) {
    if (enter(uint32_t(pos))) visit_next(c, i + 1);
    leave();
  }
  void visit_next(Value* v, size_t i) {
    if (i == nsteps) {
      emit(v);
      return;
    }
    const PathStep& st = steps[i];
    apply(st, v, i);
    if (st.descendant) descend(v, st, i);
  }

  static bool norm_index(int64_t idx, size_t len, size_t* out) {
    if (idx < 0) idx += int64_t(len);
    if (idx < 0 || idx >= int64_t(len)) return false;
    *out = size_t(idx);
    return true;
  }

  // Applies one step to `v`, continuing with the following steps for each result.
  void apply(const PathStep& st, Value* v, size_t i) {
    if (!b->spend(1)) return;
    switch (st.kind) {
      case PathStep::Key:
      case PathStep::KeyUnion:
        if (!v->is_object()) return;
        for (const std::string& k : st.keys) {
          if (!b->spend(1)) return;
          ptrdiff_t pos = v->find_index(k);
          if (pos >= 0) child(&v->obj()[size_t(pos)].val, size_t(pos), i);
        }
        return;
      case PathStep::Index:
      case PathStep::IndexUnion:
        if (!v->is_array()) return;
        for (int64_t idx : st.indexes) {
          size_t pos;
          if (!b->spend(1)) return;
          if (norm_index(idx, v->arr().size(), &pos)) child(&v->arr()[pos], pos, i);
        }
        return;
      case PathStep::Wildcard:
        if (v->is_array()) {
          for (size_t k = 0; k < v->arr().size() && b->spend(1); k++) child(&v->arr()[k], k, i);
        } else if (v->is_object()) {
          for (size_t k = 0; k < v->obj().size() && b->spend(1); k++)
            child(&v->obj()[k].val, k, i);
        }
        return;
      case PathStep::Filter:
        if (v->is_array()) {
          for (size_t k = 0; k < v->arr().size() && b->spend(1); k++)
            if (filter_at(*st.filter, &v->arr()[k], k)) child(&v->arr()[k], k, i);
        } else if (v->is_object()) {
          for (size_t k = 0; k < v->obj().size() && b->spend(1); k++)
            if (filter_at(*st.filter, &v->obj()[k].val, k)) child(&v->obj()[k].val, k, i);
        }
        return;
      case PathStep::Slice: {
        if (!v->is_array()) return;
        int64_t len = int64_t(v->arr().size());
        int64_t s = st.has_start ? st.start : 0;
        int64_t e = st.has_end ? st.end : len;
        if (s < 0) s = std::max<int64_t>(0, s + len);
        if (e < 0) e = std::max<int64_t>(0, e + len);
        s = std::min(s, len);
        e = std::min(e, len);
        for (int64_t k = s; k < e && b->spend(1); k += st.step)
          child(&v->arr()[size_t(k)], size_t(k), i);
        return;
      }
    }
  }

  // The filter, evaluated on the child at `pos` (one level down: counts towards the depth).
  bool filter_at(const FilterExpr& f, Value* c, size_t pos) {
    bool ok = enter(uint32_t(pos)) && filter_match(f, c, root, b);
    leave();
    return ok && !b->exceeded;
  }
};

void operand_values(const FilterOperand& o, Value* node, Value* root, Budget* b,
                    std::vector<Value*>* out) {
  if (o.kind == FilterOperand::Literal) {
    out->push_back(const_cast<Value*>(&o.lit));
    return;
  }
  std::vector<JsonMatch> ms;
  Value* start = o.kind == FilterOperand::Relative ? node : root;
  Evaluator ev{o.steps, o.steps.size(), &ms, root, b, {}};
  ev.visit_next(start, 0);
  for (JsonMatch& m : ms) out->push_back(m.v);
}

bool compare(const Value& l, const Value& r, const FilterExpr& e, Budget* b) {
  using Op = FilterExpr::Op;
  if (e.op == Op::Match) {
    if (!l.is_string()) return false;
    std::string_view s = l.str();
    // RE2 runs in time linear in the text, times the program size at worst (its NFA).
    if (!b->spend(1 + s.size() * size_t(e.re->ProgramSize()) / 256)) return false;
    return re2::RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *e.re);
  }
  int c;  // -1, 0, 1; 2 when not ordered
  if (l.is_number() && r.is_number()) {
    if (l.is_int() && r.is_int())
      c = l.as_int() < r.as_int() ? -1 : l.as_int() > r.as_int() ? 1 : 0;
    else
      c = l.as_number() < r.as_number() ? -1 : l.as_number() > r.as_number() ? 1 : 0;
  } else if (l.is_string() && r.is_string()) {
    int k = l.str().compare(r.str());
    c = k < 0 ? -1 : k > 0 ? 1 : 0;
  } else if (l.type() == r.type()) {
    c = json::equal(l, r) ? 0 : 2;
  } else {
    c = 2;
  }
  switch (e.op) {
    case Op::Eq:
      return c == 0;
    case Op::Ne:
      return c != 0;
    case Op::Lt:
      return c == -1;
    case Op::Le:
      return c == -1 || c == 0;
    case Op::Gt:
      return c == 1;
    case Op::Ge:
      return c == 1 || c == 0;
    default:
      return false;
  }
}

bool filter_match(const FilterExpr& e, Value* node, Value* root, Budget* b) {
  if (!b->spend(1)) return false;
  switch (e.kind) {
    case FilterExpr::Or:
      return filter_match(*e.a, node, root, b) || filter_match(*e.b, node, root, b);
    case FilterExpr::And:
      return filter_match(*e.a, node, root, b) && filter_match(*e.b, node, root, b);
    case FilterExpr::Not:
      return !filter_match(*e.a, node, root, b);
    case FilterExpr::Exists: {
      std::vector<Value*> v;
      operand_values(e.lhs, node, root, b, &v);
      return !v.empty();
    }
    case FilterExpr::Cmp: {
      std::vector<Value*> l, r;
      operand_values(e.lhs, node, root, b, &l);
      operand_values(e.rhs, node, root, b, &r);
      for (Value* x : l)
        for (Value* y : r)
          if (!b->spend(1) || compare(*x, *y, e, b)) return !b->exceeded;
      return false;
    }
  }
  return false;
}

}  // namespace

bool json_path_parse(std::string_view s, JsonPath* out, std::string* err) {
  out->original.assign(s);
  out->steps.clear();
  std::string_view body;
  std::string legacy_body;
  if (!s.empty() && s[0] == '$') {
    out->legacy = false;
    out->fixed.assign(s);
    body = s.substr(1);
  } else {
    out->legacy = true;
    if (s == ".") {
      out->fixed = "$";
      body = {};
    } else if (!s.empty() && s[0] == '.') {
      out->fixed = "$" + std::string(s);
      body = s;
    } else {
      out->fixed = "$." + std::string(s);
      // "a.b" -> ".a.b"; "[0]" -> "[0]".
      legacy_body = (!s.empty() && s[0] == '[') ? std::string(s) : "." + std::string(s);
      body = legacy_body;
    }
  }
  PathParser p(body, err);
  if (!p.run(&out->steps)) {
    // Report the whole path as the user wrote it.
    size_t at = err->rfind(" at position ");
    std::string detail = err->substr(0, at);
    size_t colon = detail.find(": ");
    *err = "ERR Path '" + out->original + "' is not valid" +
           (colon == std::string::npos ? std::string() : detail.substr(colon));
    return false;
  }
  return true;
}

bool json_path_eval(const JsonPath& path, Value* root, std::vector<JsonMatch>* out,
                    std::string* err, const JsonPathLimits& limits, int nsteps) {
  size_t n = nsteps < 0 ? path.steps.size() : size_t(nsteps);
  Budget b{limits};
  Evaluator ev{path.steps, n, out, root, &b, {}};
  ev.visit_next(root, 0);
  if (!b.exceeded) return true;
  out->clear();
  std::string what = b.exceeded;
  uint64_t bound = what == "work"      ? limits.max_work
                   : what == "matches" ? uint64_t(limits.max_matches)
                                       : uint64_t(limits.max_depth);
  *err = "ERR Path '" + path.original + "' needs too much work: more than " +
         std::to_string(bound) + (what == "work"      ? " work units"
                                  : what == "matches" ? " matches"
                                                      : " nesting levels");
  return false;
}

// Removes the matches marked in `drop`, keeping the order of the others.
static void compact(std::vector<JsonMatch>* ms, const std::vector<char>& drop) {
  size_t w = 0;
  for (size_t i = 0; i < ms->size(); i++) {
    if (drop[i]) continue;
    if (w != i) (*ms)[w] = std::move((*ms)[i]);  // a self-move would empty the location
    w++;
  }
  ms->resize(w);
}

void json_matches_dedup(std::vector<JsonMatch>* ms) {
  if (ms->size() < 2) return;
  // Sort positions by location (ties by position), then keep the first of each run.
  std::vector<size_t> idx(ms->size());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const auto& la = (*ms)[a].loc;
    const auto& lb = (*ms)[b].loc;
    return la != lb ? la < lb : a < b;
  });
  std::vector<char> drop(ms->size(), 0);
  for (size_t k = 1; k < idx.size(); k++)
    if ((*ms)[idx[k]].loc == (*ms)[idx[k - 1]].loc) drop[idx[k]] = 1;
  compact(ms, drop);
}

// True when `anc` is a proper prefix of `loc`: `loc` lies inside the value at `anc`.
static bool inside(const std::vector<uint32_t>& loc, const std::vector<uint32_t>& anc) {
  return anc.size() < loc.size() && std::equal(anc.begin(), anc.end(), loc.begin());
}

void json_matches_outermost(std::vector<JsonMatch>* ms) {
  json_matches_dedup(ms);
  if (ms->size() < 2) return;
  // In ascending order of location a value's descendants follow it directly.
  std::vector<size_t> idx(ms->size());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return (*ms)[a].loc < (*ms)[b].loc; });
  std::vector<char> drop(ms->size(), 0);
  const std::vector<uint32_t>* kept = nullptr;
  for (size_t i : idx) {
    if (kept && inside((*ms)[i].loc, *kept))
      drop[i] = 1;
    else
      kept = &(*ms)[i].loc;
  }
  compact(ms, drop);
}

std::vector<size_t> json_write_order(const std::vector<JsonMatch>& ms) {
  std::vector<size_t> idx(ms.size());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
  // Descending order of location: a descendant (longer, same prefix) before its ancestor, a
  // later sibling before an earlier one.
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return ms[b].loc < ms[a].loc; });
  return idx;
}

Value* json_loc_get(Value* root, const std::vector<uint32_t>& loc) {
  Value* v = root;
  for (uint32_t i : loc) {
    if (v->is_array()) {
      if (i >= v->arr().size()) return nullptr;
      v = &v->arr()[i];
    } else if (v->is_object()) {
      if (i >= v->obj().size()) return nullptr;
      v = &v->obj()[i].val;
    } else {
      return nullptr;
    }
  }
  return v;
}

size_t json_loc_delete(Value* root, std::vector<std::vector<uint32_t>> locs) {
  // Later positions first and deeper before shallower: deleting one never shifts another.
  std::sort(locs.begin(), locs.end(), [](const auto& a, const auto& b) {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; i++)
      if (a[i] != b[i]) return a[i] > b[i];
    return a.size() > b.size();
  });
  locs.erase(std::unique(locs.begin(), locs.end()), locs.end());
  std::set<std::vector<uint32_t>> all(locs.begin(), locs.end());
  size_t deleted = 0;
  for (size_t i = 0; i < locs.size(); i++) {
    const auto& l = locs[i];
    if (l.empty()) continue;  // the root: the caller deletes the key
    // Skip a location inside another one that is also deleted (a prefix of it).
    bool nested = false;
    for (size_t n = 1; n < l.size() && !nested; n++)
      nested = all.count(std::vector<uint32_t>(l.begin(), l.begin() + ptrdiff_t(n))) > 0;
    if (nested) continue;
    std::vector<uint32_t> parent_loc(l.begin(), l.end() - 1);
    Value* parent = json_loc_get(root, parent_loc);
    if (!parent) continue;
    uint32_t idx = l.back();
    if (parent->is_array() && idx < parent->arr().size()) {
      parent->arr().erase(parent->arr().begin() + idx);
      deleted++;
    } else if (parent->is_object() && idx < parent->obj().size()) {
      parent->obj().erase(parent->obj().begin() + idx);
      deleted++;
    }
  }
  return deleted;
}

size_t json_depth(const Value& v) {
  size_t d = 0;
  if (v.is_array()) {
    for (const Value& e : v.arr()) d = std::max(d, json_depth(e));
    return d + 1;
  }
  if (v.is_object()) {
    for (const json::Member& m : v.obj()) d = std::max(d, json_depth(m.val));
    return d + 1;
  }
  return 0;
}

}  // namespace sc::broker
