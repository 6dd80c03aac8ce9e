// Value lifecycle shared by every type, and the String encodings.
#include <cstdlib>

#include <malloc.h>

#include "server.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"

namespace sc::broker {

Value string_value_int(long long v) {
  Value out;
  out.type = Type::String;
  out.enc = Enc::Int;
  out.i = v;
  return out;
}

Value string_value(std::string_view s) {
  long long v;
  // Only values that print back identically become integers ("007" stays a string).
  if (s.size() <= 20 && resp::parse_ll(s, &v)) return string_value_int(v);
  Value out;
  out.type = Type::String;
  out.enc = Enc::Raw;
  out.ptr = str_new(s);
  return out;
}

std::string_view string_view_of(const Value& v, char* buf) {
  if (v.enc == Enc::Int) return {buf, resp::format_ll(buf, v.i)};
  return str_view(static_cast<const Str*>(v.ptr));
}

size_t string_len(const Value& v) {
  char buf[24];
  return string_view_of(v, buf).size();
}

void value_free(Value& v) {
  switch (v.type) {
    case Type::String:
      if (v.enc == Enc::Raw) str_free(static_cast<Str*>(v.ptr));
      break;
    case Type::Hash: hash_free(v); break;
    case Type::Set: set_free(v); break;
    case Type::List: list_free(v); break;
    case Type::Json: json_free(v); break;
  }
  v.ptr = nullptr;
}

Value value_dup(const Value& v) {
  switch (v.type) {
    case Type::String:
      if (v.enc == Enc::Raw) {
        Value out = v;
        out.ptr = str_new(str_view(static_cast<const Str*>(v.ptr)));
        return out;
      }
      return v;
    case Type::Hash: return hash_dup(v);
    case Type::Set: return set_dup(v);
    case Type::List: return list_dup(v);
    case Type::Json: return json_dup(v);
  }
  return v;
}

size_t value_mem(const Value& v) {
  switch (v.type) {
    case Type::String:
      return v.enc == Enc::Raw ? malloc_usable_size(v.ptr) : 0;
    case Type::Hash: return hash_mem(v);
    case Type::Set: return set_mem(v);
    case Type::List: return list_mem(v);
    case Type::Json: return json_mem(v);
  }
  return 0;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::String: return "string";
    case Type::List: return "list";
    case Type::Set: return "set";
    case Type::Hash: return "hash";
    case Type::Json: return "ReJSON-RL";
  }
  return "none";
}

const char* enc_name(Enc e) {
  static const char* kNames[] = {"raw", "int", "listpack", "hashtable", "intset", "quicklist",
                                 "json"};
  return kNames[int(e)];
}

}  // namespace sc::broker
