// A small JSON DOM shared by the broker (JSON.* commands, the nData protocol) and the worker.
//
// Why not cJSON: cJSON keeps every number as a double, so integers above 2^53 lose digits and
// "1" cannot be told from "1.0".  RedisJSON (whose replies the broker reproduces) keeps 64-bit
// integers and doubles apart (JSON.TYPE says "integer" or "number", 2*1.5 prints "3.0"), and
// prints doubles in their shortest round-trip form.  This DOM does the same, keeps object
// members in insertion order (like RedisJSON), and its parser has limits (depth, size) with
// serde_json-style error texts ("expected value at line 1 column 3").
//
// A Value is 16 bytes: a type tag and a scalar, an inline string (up to 14 bytes), or the one
// pointer to a heap block it owns (a long string; the elements of an array or the members of an
// object).  Member names up to 7 bytes are inline too.  A document is stored for long, so it is
// kept compact.  Values are move-only (moves are bitwise); clone() makes a deep copy.  Growing
// a container may move its elements: pointers to elements are valid until their container
// changes.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sc::json {

enum class Type : uint8_t { Null, Bool, Int, Double, String, Array, Object };

class Value;
struct Member;

// A member name: up to 7 bytes inline in its 8 bytes, longer ones in one exact-size heap
// block (length + bytes).  A view of an inline name points into the Str itself.
class Str {
 public:
  Str() = default;
  explicit Str(std::string_view s);
  Str(const Str& o) : Str(o.view()) {}
  Str(Str&& o) noexcept : raw_(o.raw_) { o.raw_ = 0; }
  Str& operator=(Str&& o) noexcept;
  Str& operator=(const Str& o) { return *this = Str(o.view()); }
  ~Str();
  std::string_view view() const;
  operator std::string_view() const { return view(); }
  bool operator==(std::string_view s) const { return view() == s; }
  size_t heap_bytes() const;  // bytes allocated

  // The heap block layout, shared with Value's long strings: {uint32_t len; char data[len]}.
  static char* block_new(std::string_view s);
  static std::string_view block_view(const char* p);
  static char* block_append(char* p, std::string_view s);

 private:
  uint64_t raw_ = 0;  // 0: ""; low bit set: inline (length in bits 1-3, bytes 1-7); else block
};

// The element storage of arrays and objects: one heap block {size, capacity, elements} behind
// a single pointer, so a container costs its Value plus one allocation.  Elements are
// relocated with memcpy when the block grows (Value and Member hold no pointers into
// themselves that outlive a call).  The subset of std::vector's interface the code uses.
template <class T>
class Vec {
 public:
  Vec() = default;
  Vec(const Vec&) = delete;
  Vec& operator=(const Vec&) = delete;
  Vec(Vec&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Vec& operator=(Vec&& o) noexcept {
    if (this != &o) {
      release();
      h_ = o.h_;
      o.h_ = nullptr;
    }
    return *this;
  }
  ~Vec() { release(); }

  size_t size() const { return h_ ? h_->size : 0; }
  size_t capacity() const { return h_ ? h_->cap : 0; }
  bool empty() const { return size() == 0; }
  T* begin() { return h_ ? data() : nullptr; }
  T* end() { return begin() + size(); }
  const T* begin() const { return h_ ? data() : nullptr; }
  const T* end() const { return begin() + size(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& back() { return data()[size() - 1]; }

  void reserve(size_t n) {
    if (n > capacity()) regrow(n);
  }
  void shrink_to_fit() {
    if (h_ && h_->cap > h_->size) regrow(h_->size);
  }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  template <class... A>
  T& emplace_back(A&&... a) {
    if (size() == capacity()) regrow(capacity() < 4 ? 4 : capacity() * 2);
    T* p = new (data() + h_->size) T(std::forward<A>(a)...);
    h_->size++;
    return *p;
  }
  void pop_back() {
    back().~T();
    h_->size--;
  }
  T* erase(T* pos) { return erase(pos, pos + 1); }
  T* erase(T* first, T* last) {
    size_t at = size_t(first - begin()), n = size_t(last - first);
    if (n == 0) return first;
    for (T* p = first; p != last; ++p) p->~T();
    std::memmove(static_cast<void*>(first), last, (size() - at - n) * sizeof(T));
    h_->size -= uint32_t(n);
    return begin() + at;
  }
  // Inserts [first, last) before pos (elements are constructed from *it: pass
  // move_iterators to move).
  template <class It>
  T* insert(T* pos, It first, It last) {
    size_t at = size_t(pos - begin()), n = size_t(last - first);
    if (n == 0) return pos;
    if (size() + n > capacity()) regrow(std::max(size() + n, capacity() * 2));
    T* p = data() + at;
    std::memmove(static_cast<void*>(p + n), p, (size() - at) * sizeof(T));
    for (size_t i = 0; i < n; ++i, ++first) new (p + i) T(*first);
    h_->size += uint32_t(n);
    return p;
  }
  void clear() { release(); }  // also gives the memory back

 private:
  struct Header {
    uint32_t size, cap;
  };
  T* data() const { return reinterpret_cast<T*>(h_ + 1); }
  void regrow(size_t cap) {
    if (cap == 0) {
      release();
      return;
    }
    size_t n = size();
    auto* nh = static_cast<Header*>(std::realloc(h_, sizeof(Header) + cap * sizeof(T)));
    if (!nh) std::abort();
    h_ = nh;
    h_->size = uint32_t(n);
    h_->cap = uint32_t(cap);
  }
  void release() {
    if (!h_) return;
    for (size_t i = 0; i < h_->size; i++) data()[i].~T();
    std::free(h_);
    h_ = nullptr;
  }
  Header* h_ = nullptr;
};

using Array = Vec<Value>;
using Object = Vec<Member>;

class Value {
 public:
  Value() : type_(Type::Null), ilen_(0), ibuf_{}, i_(0) {}
  ~Value() { reset(); }
  // Moves are bitwise (every representation is position-independent bytes or an owned
  // pointer); the source becomes null.
  Value(Value&& o) noexcept : Value() { take(o); }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string_view s);
  static Value array();
  static Value object();

  Value clone() const;
  void reset();  // becomes null, freeing what it owned

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_int() const { return type_ == Type::Int; }
  bool is_double() const { return type_ == Type::Double; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Double; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }
  bool is_container() const { return type_ == Type::Array || type_ == Type::Object; }

  // Accessors: the caller checks the type first.
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return d_; }
  double as_number() const { return type_ == Type::Int ? double(i_) : d_; }
  std::string_view str() const {
    return ilen_ == kHeap ? Str::block_view(s_) : std::string_view(inline_data(), ilen_);
  }
  void str_append(std::string_view s);
  const Array& arr() const { return a_; }
  Array& arr() { return a_; }
  const Object& obj() const { return o_; }
  Object& obj() { return o_; }

  // Object helpers (linear scan: documents are small; insertion order is kept).
  Value* find(std::string_view key);
  const Value* find(std::string_view key) const;
  ptrdiff_t find_index(std::string_view key) const;  // -1 when absent
  // Sets `key` (replacing an existing member in place, else appending).
  void set(std::string_view key, Value v);
  bool erase(std::string_view key);

  // Number of elements (array) or members (object); 0 for scalars.
  size_t size() const;

 private:
  static constexpr uint8_t kHeap = 0xFF;    // ilen_ of a string kept in a heap block
  static constexpr size_t kInlineMax = 14;  // strings up to this long live in the Value
  const char* inline_data() const { return reinterpret_cast<const char*>(this) + 2; }
  char* inline_data() { return reinterpret_cast<char*>(this) + 2; }
  void take(Value& o) {
    std::memcpy(static_cast<void*>(this), &o, sizeof(Value));
    new (&o) Value();
  }

  Type type_;
  uint8_t ilen_;  // String: inline length, or kHeap
  char ibuf_[6];  // String: the first inline bytes (they continue into the union)
  union {
    bool b_;
    int64_t i_;
    double d_;
    char* s_;   // String (ilen_ == kHeap): a Str block
    Array a_;   // constructed in place by array()
    Object o_;  // constructed in place by object()
  };
};
static_assert(sizeof(Value) == 16);

struct Member {
  Member(std::string_view k, Value v) : key(k), val(std::move(v)) {}
  Member(Str k, Value v) : key(std::move(k)), val(std::move(v)) {}
  Str key;
  Value val;
};
static_assert(sizeof(Member) == 24);

// Deep equality as RedisJSON's ARRINDEX uses it: types must match (1 != 1.0), objects compare
// as sets of members.
bool equal(const Value& a, const Value& b);

// ---- Parsing ----

struct ParseLimits {
  size_t max_depth = 128;               // nesting of arrays/objects (serde_json's default)
  size_t max_size = 64u * 1024 * 1024;  // input bytes
};

// Parses exactly one JSON text (surrounding whitespace allowed).  On failure returns false and
// sets *err to a serde_json-like message, e.g. "expected value at line 1 column 1".
bool parse(std::string_view in, Value* out, std::string* err, const ParseLimits& limits = {});

// ---- Serialization ----

// Appends the compact form (RedisJSON's default output: no spaces).
void write(const Value& v, std::string* out);
std::string to_string(const Value& v);

// Appends the value formatted like RedisJSON's JSON.GET INDENT/NEWLINE/SPACE options: each
// element on its own line (`newline`), indented by `indent` per level, `space` after ':'.
void write_pretty(const Value& v, std::string* out, std::string_view indent,
                  std::string_view newline, std::string_view space);

// Appends `s` as a quoted JSON string (escapes '"', '\\' and control characters only).
void write_string(std::string_view s, std::string* out);
// Appends a double the way serde_json/ryu print it: shortest round-trip digits, "1.0" for
// integral values, exponent form ("1e16", "1.5e-7") outside [1e-5, 1e16).
void write_double(double d, std::string* out);

// Text pieces shared by every JSON scanner of the project (this parser, the worker's codec).
// The byte a one-character escape stands for (`n` -> '\n', `"` -> '"', ...), or 0 for any other
// character (`u` included: \uXXXX is decoded by the caller, whose surrogate policy differs).
char unescape_char(char e);
// Appends the code point as UTF-8 (1 to 4 bytes; the caller has checked the range).
void append_utf8(uint32_t cp, std::string* out);

// RedisJSON's type names: "null" "boolean" "integer" "number" "string" "array" "object".
const char* type_name(Type t);

// Bytes owned by `v` (heap nodes included), approximate: for MEMORY-like reporting.
size_t memory_usage(const Value& v);

}  // namespace sc::json
