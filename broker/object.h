// Values stored in the keyspace.  A Robj (Redis's robj; the JSON DOM's values are json::Value)
// is 16 bytes: a type, an encoding, the key's last access time and either an integer or a
// pointer to the type's representation (owned by the Robj).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace sc::broker {

enum class Type : uint8_t { String = 0, List = 1, Set = 2, Hash = 4, Json = 7 };

enum class Enc : uint8_t {
  Raw,        // String: Sds*
  Int,        // String: the integer in Robj::i
  Listpack,   // Hash/Set: a compact flat buffer (small objects)
  Hashtable,  // Hash/Set: a Dict
  Intset,     // Set: sorted array of integers
  Quicklist,  // List
  Json,       // Json document
};

struct Robj {
  Type type = Type::String;
  Enc enc = Enc::Raw;
  bool grown = false;  // String Raw: written in place (APPEND, SETRANGE, SETBIT...) or built by
                       // BITOP, so OBJECT ENCODING says "raw" however short, as Redis does
  uint32_t lru : 24 = 0;  // the key's last access on the 24-bit seconds clock (server.h,
                          // lru_clock_at); it sits in padding, so it costs no byte
  union {
    int64_t i;
    void* ptr;
  };
  Robj() : ptr(nullptr) {}
};
static_assert(sizeof(Robj) == 16);

// A length-prefixed byte string, allocated in one block (Redis calls it sds).
struct Sds {
  uint32_t len;
  char data[];  // not NUL-terminated
};

inline Sds* str_new(std::string_view s) {
  Sds* p = static_cast<Sds*>(std::malloc(sizeof(Sds) + s.size()));
  if (!p) std::abort();
  p->len = uint32_t(s.size());
  if (!s.empty()) std::memcpy(p->data, s.data(), s.size());
  return p;
}
inline std::string_view str_view(const Sds* s) { return {s->data, s->len}; }
inline void str_free(Sds* s) { std::free(s); }

// Strings: an integer-looking value of at most 20 bytes is kept as Enc::Int (like Redis's
// OBJ_ENCODING_INT), other values as Sds.
Robj string_value(std::string_view s);
Robj string_value_int(long long v);
// The bytes of a String value; integers are formatted into `buf` (at least 24 bytes).
std::string_view string_view_of(const Robj& v, char* buf);
size_t string_len(const Robj& v);
// Makes `v` (a String) a Raw string of at least `len` bytes and returns it for writing in place:
// an Int value is formatted first, bytes past the old end are zero-filled, and the allocation
// grows geometrically (doubling, then by 1 MB steps, like Redis's sdsMakeRoomFor) so repeated
// APPEND/SETRANGE/SETBIT calls cost amortised O(new bytes) instead of a copy each.  The caller
// has checked the size limit (proto-max-bulk-len); a string never exceeds 4 GB (Sds::len).
Sds* string_grow(Robj& v, size_t len);
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
// t_list.cpp, t_json.cpp).
void value_free(Robj& v);
Robj value_dup(const Robj& v);
size_t value_mem(const Robj& v);  // approximate bytes owned, for MEMORY USAGE-like reporting
const char* type_name(Type t);     // "string", "list", "set", "hash", "ReJSON-RL"
const char* enc_name(Enc e);       // "raw", "int", "listpack", "hashtable", "intset", ...

void hash_free(Robj& v);
Robj hash_dup(const Robj& v);
void set_free(Robj& v);
Robj set_dup(const Robj& v);
void list_free(Robj& v);
Robj list_dup(const Robj& v);
void json_free(Robj& v);
size_t json_mem(const Robj& v);
// The document as compact JSON text (what JSON.GET key $ would return, without the brackets).
std::string json_serialize(const Robj& v);
Robj json_dup(const Robj& v);

}  // namespace sc::broker
