// Bitmap commands on strings, as Redis 7.0 has them: SETBIT GETBIT BITCOUNT BITPOS BITOP
// BITFIELD BITFIELD_RO.
//
// Contract shared by all of them: a string is a bit array, bit 0 being the most significant bit
// of byte 0; bits past the end read as 0; a write past the end grows the string in place with
// zero bytes (string_grow).  A bit offset must be non-negative and address a byte below
// proto-max-bulk-len (512 MB by default), else "bit offset is not an integer or out of range".
// Argument errors are checked in Redis's order, so a wrong call gets the same error as there
// (tests/integration/broker_bitmap.py compares every reply with redis-server's).
#include <algorithm>
#include <array>
#include <cstring>

#include "server.h"

namespace sc::broker {

namespace {

constexpr const char* kErrBitOffset = "ERR bit offset is not an integer or out of range";

// Parses a bit offset; with `bits` > 0 a "#N" form means N * bits (BITFIELD).
bool parse_bit_offset(Client& c, std::string_view arg, int bits, uint64_t* out) {
  bool scaled = bits > 0 && !arg.empty() && arg[0] == '#';
  long long v;
  if (!resp::parse_ll(arg.substr(scaled ? 1 : 0), &v)) {
    reply_error(c, kErrBitOffset);
    return false;
  }
  if (scaled) v = (long long)((unsigned long long)v * (unsigned long long)bits);
  if (v < 0 || (v >> 3) >= srv().cfg.proto_max_bulk_len) {
    reply_error(c, kErrBitOffset);
    return false;
  }
  *out = uint64_t(v);
  return true;
}

// The string at argv[1] for a write reaching bit `maxbit`: created or grown with zero bytes.
// Replies WRONGTYPE and returns nullptr for another type; *grew says whether the length changed.
KeyEntry* string_for_bit_write(Client& c, uint64_t maxbit, bool* grew) {
  Db& db = *c.db;
  KeyEntry* e = lookup_write(db, c.argv[1]);
  if (wrong_type(c, e, Type::String)) return nullptr;
  size_t need = size_t(maxbit >> 3) + 1;
  size_t old = 0;
  if (!e)
    e = db_add(db, c.argv[1], string_value(""));
  else
    old = string_len(e->val);
  string_grow(e->val, need);
  *grew = old < need;
  return e;
}

inline bool bit_at(const unsigned char* p, size_t len, uint64_t bit) {
  uint64_t byte = bit >> 3;
  return byte < len && (p[byte] >> (7 - (bit & 7))) & 1;
}

// Normalises a [start, end] range as BITCOUNT/BITPOS/GETRANGE do: negative values count from
// `total`, then both are clamped to [0, total - 1].  False if the range is empty.
bool clamp_range(long long total, long long* start, long long* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
  return *start <= *end;
}

// Parses the BYTE|BIT unit argument.
bool parse_unit(Client& c, std::string_view arg, bool* bit_unit) {
  if (eq_nocase(arg, "bit")) {
    *bit_unit = true;
  } else if (eq_nocase(arg, "byte")) {
    *bit_unit = false;
  } else {
    reply_syntax_error(c);
    return false;
  }
  return true;
}

long long popcount(const unsigned char* p, size_t n) {
  long long count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    count += __builtin_popcountll(w);
  }
  for (; i < n; i++) count += __builtin_popcount(p[i]);
  return count;
}

void setbit_command(Client& c) {
  uint64_t offset;
  if (!parse_bit_offset(c, c.argv[2], 0, &offset)) return;
  long long on;
  if (!resp::parse_ll(c.argv[3], &on) || (on & ~1)) {
    reply_error(c, "ERR bit is not an integer or out of range");
    return;
  }
  bool grew;
  KeyEntry* e = string_for_bit_write(c, offset, &grew);
  if (!e) return;
  Sds* s = static_cast<Sds*>(e->val.ptr);
  unsigned char& byte = reinterpret_cast<unsigned char&>(s->data[offset >> 3]);
  unsigned char mask = (unsigned char)(1u << (7 - (offset & 7)));
  bool old = byte & mask;
  if (grew || old != bool(on)) {
    byte = on ? (byte | mask) : (byte & ~mask);
    key_changed(c, c.argv[1], kNotifyString, "setbit");
  }
  c.reply().integer(old);
}

void getbit_command(Client& c) {
  uint64_t offset;
  if (!parse_bit_offset(c, c.argv[2], 0, &offset)) return;
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::String, IfMissing::Zero);
  if (!e) return;
  char buf[24];
  std::string_view s = string_view_of(e->val, buf);
  c.reply().integer(bit_at(reinterpret_cast<const unsigned char*>(s.data()), s.size(), offset));
}

// BITCOUNT key [start end [BYTE|BIT]]: a missing key is 0 whatever the other arguments.
void bitcount_command(Client& c) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::String, IfMissing::Zero);
  if (!e) return;
  char buf[24];
  std::string_view s = string_view_of(e->val, buf);
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  long long len = (long long)s.size();
  if (c.argv.size() == 2) return c.reply().integer(popcount(p, s.size()));
  if (c.argv.size() != 4 && c.argv.size() != 5) return reply_syntax_error(c);
  long long start, end;
  if (!arg_ll(c, c.argv[2], &start) || !arg_ll(c, c.argv[3], &end)) return;
  if (start < 0 && end < 0 && start > end) return c.reply().integer(0);
  bool bits = false;
  if (c.argv.size() == 5 && !parse_unit(c, c.argv[4], &bits)) return;
  if (!clamp_range(bits ? len * 8 : len, &start, &end)) return c.reply().integer(0);
  if (!bits) return c.reply().integer(popcount(p + start, size_t(end - start + 1)));
  // Whole bytes between the first and last partial ones, then the partial bits.
  long long first = start >> 3, last = end >> 3, count = 0;
  if (first == last) {
    for (long long b = start; b <= end; b++) count += bit_at(p, s.size(), uint64_t(b));
  } else {
    for (long long b = start; b < (first + 1) * 8; b++) count += bit_at(p, s.size(), uint64_t(b));
    count += popcount(p + first + 1, size_t(last - first - 1));
    for (long long b = last * 8; b <= end; b++) count += bit_at(p, s.size(), uint64_t(b));
  }
  c.reply().integer(count);
}

// First bit equal to `bit` in bits [from, to] of p, or -1.  Whole words and bytes that hold no
// candidate are skipped at once, so a scan of a 512 MB string stays well under a second.
long long find_bit(const unsigned char* p, size_t len, bool bit, uint64_t from, uint64_t to) {
  const unsigned char skip = bit ? 0x00 : 0xff;  // a byte with no candidate
  const uint64_t skip_word = bit ? 0 : ~uint64_t(0);
  uint64_t b = from;
  while (b <= to) {
    if ((b & 7) == 0) {
      uint64_t byte = b >> 3;
      uint64_t word;
      while (b + 64 <= to + 1 && byte + 8 <= len &&
             (std::memcpy(&word, p + byte, 8), word == skip_word)) {
        b += 64;
        byte += 8;
      }
      while (b + 8 <= to + 1 && byte < len && p[byte] == skip) {
        b += 8;
        byte++;
      }
      if (b > to) break;
    }
    if (bit_at(p, len, b) == bit) return (long long)b;
    b++;
  }
  return -1;
}

// BITPOS key bit [start [end [BYTE|BIT]]].  When looking for a 0 with no end given, a string of
// all ones answers the first bit past its end (the string is seen as padded with zeros).
void bitpos_command(Client& c) {
  long long bit;
  if (!arg_ll(c, c.argv[2], &bit)) return;
  if (bit != 0 && bit != 1) return reply_error(c, "ERR The bit argument must be 1 or 0.");
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::String,
                                     bit ? IfMissing::MinusOne : IfMissing::Zero);
  if (!e) return;
  char buf[24];
  std::string_view s = string_view_of(e->val, buf);
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  long long len = (long long)s.size();
  size_t argc = c.argv.size();
  long long start = 0, end = len - 1;
  bool bits = false, end_given = false;
  if (argc >= 4 && argc <= 6) {
    if (!arg_ll(c, c.argv[3], &start)) return;
    if (argc == 6 && !parse_unit(c, c.argv[5], &bits)) return;
    if (argc >= 5) {
      if (!arg_ll(c, c.argv[4], &end)) return;
      end_given = true;
    } else {
      end = bits ? len * 8 - 1 : len - 1;
    }
  } else if (argc != 3) {
    return reply_syntax_error(c);
  }
  if (!clamp_range(bits ? len * 8 : len, &start, &end)) return c.reply().integer(-1);
  uint64_t from = bits ? uint64_t(start) : uint64_t(start) * 8;
  uint64_t to = bits ? uint64_t(end) : uint64_t(end) * 8 + 7;
  long long pos = find_bit(p, s.size(), bit, from, to);
  if (pos < 0 && !bit && !end_given) pos = (long long)to + 1;
  c.reply().integer(pos);
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: missing sources are empty strings, shorter ones
// are padded with zeros; an empty result deletes destkey.  Replies the result's length.
void bitop_command(Client& c) {
  std::string_view op = c.argv[1];
  enum { And, Or, Xor, Not } kind;
  if (eq_nocase(op, "and"))
    kind = And;
  else if (eq_nocase(op, "or"))
    kind = Or;
  else if (eq_nocase(op, "xor"))
    kind = Xor;
  else if (eq_nocase(op, "not"))
    kind = Not;
  else
    return reply_syntax_error(c);
  if (kind == Not && c.argv.size() != 4)
    return reply_error(c, "ERR BITOP NOT must be called with a single source key.");
  Db& db = *c.db;
  size_t n = c.argv.size() - 3;
  // Views of the sources: they stay valid until the result replaces the destination, which may
  // be one of them.  Integer-encoded values are formatted into their own buffers.
  std::vector<std::string_view> src(n);
  std::vector<std::array<char, 24>> digits(n);
  size_t maxlen = 0;
  for (size_t j = 0; j < n; j++) {
    KeyEntry* e = lookup_read(db, c.argv[j + 3]);
    if (!e) continue;
    if (e->val.type != Type::String) return reply_wrongtype(c);
    src[j] = string_view_of(e->val, digits[j].data());
    maxlen = std::max(maxlen, src[j].size());
  }
  std::string_view dest = c.argv[2];
  if (maxlen == 0) {
    if (db_delete(db, dest)) key_changed(db, dest, kNotifyGeneric, "del");
    return c.reply().integer(0);
  }
  std::string res(maxlen, '\0');
  auto byte_of = [&](size_t j, size_t i) -> unsigned char {
    return i < src[j].size() ? (unsigned char)src[j][i] : 0;
  };
  for (size_t i = 0; i < maxlen; i++) {
    unsigned char out = byte_of(0, i);
    if (kind == Not) out = (unsigned char)~out;
    for (size_t j = 1; j < n; j++) {
      unsigned char b = byte_of(j, i);
      if (kind == And)
        out &= b;
      else if (kind == Or)
        out |= b;
      else
        out ^= b;
    }
    res[i] = char(out);
  }
  Robj v;  // stays raw even if it reads as a number, as in Redis
  v.type = Type::String;
  v.enc = Enc::Raw;
  v.grown = true;
  v.ptr = str_new(res);
  db_set(db, dest, v);
  key_changed(db, dest, kNotifyString, "set");
  c.reply().integer((long long)maxlen);
}

// ---- BITFIELD ----

enum class Overflow { Wrap, Sat, Fail };

struct FieldOp {
  enum Kind { Get, Set, Incrby } kind;
  uint64_t offset;
  int64_t arg;  // SET value or INCRBY increment
  Overflow overflow;
  int bits;
  bool sign;
};

uint64_t read_field(const unsigned char* p, size_t len, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int j = 0; j < bits; j++) v = (v << 1) | bit_at(p, len, offset + uint64_t(j));
  return v;
}

void write_field(unsigned char* p, uint64_t offset, int bits, uint64_t v) {
  for (int j = 0; j < bits; j++) {
    uint64_t b = offset + uint64_t(j);
    unsigned char mask = (unsigned char)(1u << (7 - (b & 7)));
    if ((v >> (bits - 1 - j)) & 1)
      p[b >> 3] |= mask;
    else
      p[b >> 3] &= (unsigned char)~mask;
  }
}

int64_t sign_extend(uint64_t v, int bits) {
  if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~uint64_t(0) << bits;
  return int64_t(v);
}

// value + incr stored in a field of `bits` bits: *out is the stored value after WRAP or SAT;
// returns false when it overflowed (with FAIL the caller then leaves the field alone).
//
// The overflow test uses Redis's 64-bit wrapping arithmetic on purpose, quirks included, so
// that every reply and every stored bit matches redis-server: e.g. SET of a value far below an
// i63's minimum counts as overflow upwards there, so SAT stores the maximum.
bool field_add(const FieldOp& op, uint64_t value, int64_t incr, int64_t* out) {
  int up = 0;  // +1 overflow, -1 underflow
  if (op.sign) {
    int64_t v = int64_t(value);
    int64_t max = op.bits == 64 ? INT64_MAX : int64_t((uint64_t(1) << (op.bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t room_up = int64_t(uint64_t(max) - uint64_t(v));
    int64_t room_down = int64_t(uint64_t(min) - uint64_t(v));
    if (v > max || (op.bits != 64 && incr > room_up) || (v >= 0 && incr > 0 && incr > room_up))
      up = 1;
    else if (v < min || (op.bits != 64 && incr < room_down) ||
             (v < 0 && incr < 0 && incr < room_down))
      up = -1;
    if (!up) {
      *out = v + incr;
      return true;
    }
    if (op.overflow == Overflow::Sat) {
      *out = up > 0 ? max : min;
    } else {
      uint64_t sum = value + uint64_t(incr);
      *out = sign_extend(op.bits < 64 ? sum & ((uint64_t(1) << op.bits) - 1) : sum, op.bits);
    }
    return false;
  }
  uint64_t max = (uint64_t(1) << op.bits) - 1;  // bits <= 63
  int64_t room_up = int64_t(max - value);
  int64_t room_down = int64_t(uint64_t(0) - value);
  if (value > max || (incr > 0 && incr > room_up))
    up = 1;
  else if (incr < 0 && incr < room_down)
    up = -1;
  if (!up) {
    *out = int64_t(value + uint64_t(incr));
    return true;
  }
  if (op.overflow == Overflow::Sat)
    *out = up > 0 ? int64_t(max) : 0;
  else
    *out = int64_t((value + uint64_t(incr)) & max);
  return false;
}

bool parse_field_type(Client& c, std::string_view arg, bool* sign, int* bits) {
  long long n;
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u') || !resp::parse_ll(arg.substr(1), &n) ||
      n < 1 || (arg[0] == 'i' && n > 64) || (arg[0] == 'u' && n > 63)) {
    reply_error(c,
                "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
                "supported but i64 is.");
    return false;
  }
  *sign = arg[0] == 'i';
  *bits = int(n);
  return true;
}

// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset incr]
//          [OVERFLOW WRAP|SAT|FAIL] ...  Every operation is parsed before any runs.
void bitfield_generic(Client& c, bool readonly_cmd) {
  std::vector<FieldOp> ops;
  Overflow overflow = Overflow::Wrap;
  bool readonly = true;
  uint64_t highest = 0;
  for (size_t j = 2; j < c.argv.size(); j++) {
    size_t more = c.argv.size() - j - 1;
    std::string_view sub = c.argv[j];
    FieldOp op{};
    if (eq_nocase(sub, "get") && more >= 2) {
      op.kind = FieldOp::Get;
    } else if (eq_nocase(sub, "set") && more >= 3) {
      op.kind = FieldOp::Set;
    } else if (eq_nocase(sub, "incrby") && more >= 3) {
      op.kind = FieldOp::Incrby;
    } else if (eq_nocase(sub, "overflow") && more >= 1) {
      std::string_view how = c.argv[++j];
      if (eq_nocase(how, "wrap"))
        overflow = Overflow::Wrap;
      else if (eq_nocase(how, "sat"))
        overflow = Overflow::Sat;
      else if (eq_nocase(how, "fail"))
        overflow = Overflow::Fail;
      else
        return reply_error(c, "ERR Invalid OVERFLOW type specified");
      continue;
    } else {
      return reply_syntax_error(c);
    }
    if (!parse_field_type(c, c.argv[j + 1], &op.sign, &op.bits)) return;
    if (!parse_bit_offset(c, c.argv[j + 2], op.bits, &op.offset)) return;
    if (op.kind != FieldOp::Get) {
      readonly = false;
      highest = std::max(highest, op.offset + uint64_t(op.bits) - 1);
      long long v;
      if (!arg_ll(c, c.argv[j + 3], &v)) return;
      op.arg = v;
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.kind == FieldOp::Get ? 2 : 3;
  }

  KeyEntry* e;
  bool grew = false;
  if (readonly) {
    e = lookup_read(*c.db, c.argv[1]);
    if (wrong_type(c, e, Type::String)) return;
  } else {
    if (readonly_cmd) return reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
    if (!(e = string_for_bit_write(c, highest, &grew))) return;
  }

  c.reply().array(ops.size());
  long long changes = 0;
  char buf[24];
  for (const FieldOp& op : ops) {
    std::string_view s = e ? string_view_of(e->val, buf) : std::string_view();
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    uint64_t raw = read_field(p, s.size(), op.offset, op.bits);
    int64_t old = op.sign ? sign_extend(raw, op.bits) : int64_t(raw);
    if (op.kind == FieldOp::Get) {
      c.reply().integer(old);
      continue;
    }
    // SET checks the value alone (an unsigned field sees a negative value as a huge one).
    bool set = op.kind == FieldOp::Set;
    uint64_t base = set ? uint64_t(op.arg) : uint64_t(old);
    int64_t stored;
    if (!field_add(op, base, set ? 0 : op.arg, &stored) && op.overflow == Overflow::Fail) {
      c.reply().null();
      continue;
    }
    c.reply().integer(op.kind == FieldOp::Set ? old : stored);
    Sds* str = static_cast<Sds*>(e->val.ptr);
    write_field(reinterpret_cast<unsigned char*>(str->data), op.offset, op.bits, uint64_t(stored));
    if (grew || old != stored) changes++;
  }
  if (changes) key_changed(c, c.argv[1], kNotifyString, "setbit", changes);
}

void bitfield_command(Client& c) { bitfield_generic(c, false); }
void bitfield_ro_command(Client& c) { bitfield_generic(c, true); }

Command kCommands[] = {
    {.name = "setbit", .arity = 4, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = setbit_command},
    {.name = "getbit", .arity = 3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = getbit_command},
    {.name = "bitcount", .arity = -2, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = bitcount_command},
    {.name = "bitpos", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = bitpos_command},
    {.name = "bitop", .arity = -4, .flags = kCmdWrite | kCmdDenyOom, .keys = {2, -1, 1},
     .proc = bitop_command},
    {.name = "bitfield", .arity = -2, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = bitfield_command},
    {.name = "bitfield_ro", .arity = -2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = bitfield_ro_command},
};

}  // namespace

std::span<Command> bitmap_commands() { return kCommands; }

}  // namespace sc::broker
