// Values stored in the keyspace.  A Value is 16 bytes: a type, an encoding and either an
// integer or a pointer to the type's representation (owned by the Value).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace sc::broker {

enum class Type : uint8_t { String = 0, List = 1, Set = 2, Hash = 4, Json = 7 };

enum class Enc : uint8_t {
  Raw,        // String: Str*
  Int,        // String: the integer in Value::i
  Listpack,   // Hash/Set: a compact flat buffer (small objects)
  Hashtable,  // Hash/Set: a Dict
  Intset,     // Set: sorted array of integers
  Quicklist,  // List
  Json,       // Json document
};

struct Value {
  Type type = Type::String;
  Enc enc = Enc::Raw;
  bool grown = false;  // String Raw: written in place (APPEND, SETRANGE, SETBIT...) or built by
                       // BITOP, so OBJECT ENCODING says "raw" however short, as Redis does
  union {
    int64_t i;
    void* ptr;
  };
  Value() : ptr(nullptr) {}
};
static_assert(sizeof(Value) == 16);

// A length-prefixed byte string, allocated in one block (the broker's "sds").
struct Str {
  uint32_t len;
  char data[];  // not NUL-terminated
};

inline Str* str_new(std::string_view s) {
  Str* p = static_cast<Str*>(std::malloc(sizeof(Str) + s.size()));
  if (!p) std::abort();
  p->len = uint32_t(s.size());
  if (!s.empty()) std::memcpy(p->data, s.data(), s.size());
  return p;
}
inline std::string_view str_view(const Str* s) { return {s->data, s->len}; }
inline void str_free(Str* s) { std::free(s); }

// Strings: an integer-looking value of at most 20 bytes is kept as Enc::Int (like Redis's
// OBJ_ENCODING_INT), other values as Str.
Value string_value(std::string_view s);
Value string_value_int(long long v);
// The bytes of a String value; integers are formatted into `buf` (at least 24 bytes).
std::string_view string_view_of(const Value& v, char* buf);
size_t string_len(const Value& v);
// Makes `v` (a String) a Raw string of at least `len` bytes and returns it for writing in place:
// an Int value is formatted first, bytes past the old end are zero-filled, and the allocation
// grows geometrically (doubling, then by 1 MB steps, like Redis's sdsMakeRoomFor) so repeated
// APPEND/SETRANGE/SETBIT calls cost amortised O(new bytes) instead of a copy each.  The caller
// has checked the size limit (proto-max-bulk-len); a string never exceeds 4 GB (Str::len).
Str* string_grow(Value& v, size_t len);
// Redis's string2ld: strtold over the whole string, no leading space, not NaN, no overflow.
bool parse_long_double(std::string_view s, long double* out);
// Redis's ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros; "-0" is "0".
std::string format_long_double_human(long double v);
// True if value + incr does not fit in a long long (INCRBY, HINCRBY).
inline bool incr_overflows(long long value, long long incr) {
  return (incr < 0 && value < 0 && incr < (INT64_MIN - value)) ||
         (incr > 0 && value > 0 && incr > (INT64_MAX - value));
}

// Per-type lifecycle, implemented in each type's file (t_string.cpp, t_hash.cpp, t_set.cpp,
// t_list.cpp, json.cpp).
void value_free(Value& v);
Value value_dup(const Value& v);
size_t value_mem(const Value& v);  // approximate bytes owned, for MEMORY USAGE-like reporting
const char* type_name(Type t);     // "string", "list", "set", "hash", "ReJSON-RL"
const char* enc_name(Enc e);       // "raw", "int", "listpack", "hashtable", "intset", ...

void hash_free(Value& v);
Value hash_dup(const Value& v);
void set_free(Value& v);
Value set_dup(const Value& v);
void list_free(Value& v);
Value list_dup(const Value& v);
void json_free(Value& v);
size_t json_mem(const Value& v);
// The document as compact JSON text (what JSON.GET key $ would return, without the brackets).
std::string json_serialize(const Value& v);
Value json_dup(const Value& v);

}  // namespace sc::broker
