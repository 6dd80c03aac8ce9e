// RESP codec shared by the broker and the tests.
//
// RequestParser: incremental parser for client requests, i.e. RESP arrays of bulk strings
// (RESP2 and RESP3 requests are the same) and Redis "inline" commands.  Limits and error texts
// follow Redis 7.0's networking.c so replies match it byte for byte.
//
// Writer: appends replies to a Buffer in RESP2 or RESP3 form.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "buffer.h"

namespace sc::resp {

enum class ParseStatus { Ok, NeedMore, Error };

enum class ParseError {
  None,
  InvalidMultibulkLength,    // "*abc", "*99999999999"
  InvalidBulkLength,         // "$-3", "$abc", > proto-max-bulk-len
  ExpectedDollar,            // an array element that is not a bulk string
  TooBigInline,              // no newline within max_inline bytes
  TooBigMultibulkCount,      // "*" line without newline within max_inline bytes
  TooBigBulkCount,           // "$" line without newline within max_inline bytes
  UnbalancedQuotes,          // inline command with broken quoting
  UnauthenticatedMultibulk,  // > 10 elements before AUTH
  UnauthenticatedBulk,       // bulk > 16 KiB before AUTH
};

struct RequestLimits {
  long long max_bulk_len = 512ll * 1024 * 1024;  // proto-max-bulk-len
  long long max_multibulk = INT32_MAX;           // Redis 7.0 accepts up to INT_MAX elements
  size_t max_inline = 64 * 1024;                 // PROTO_INLINE_MAX_SIZE
};

// The error text Redis sends for `e` (without the leading '-' and trailing CRLF).
// `got` is the offending byte for ExpectedDollar.
std::string parse_error_text(ParseError e, char got);

class RequestParser {
 public:
  explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}

  // Parses at most one command from `in` (which must start where the previous complete command
  // ended; bytes already seen in a NeedMore call are passed again, they are not re-scanned).
  // Ok: *consumed bytes form one command; argv holds views into `in` (valid while `in` is).
  //     An empty argv means an empty command (blank inline line, "*0"), to be skipped.
  // NeedMore: nothing consumed; call again with more bytes appended.
  // Error: error() tells which; the stream cannot be trusted past this point.
  // `authenticated` false applies Redis's tighter limits for unauthenticated clients.
  ParseStatus parse(std::string_view in, size_t* consumed, std::vector<std::string_view>* argv,
                    bool authenticated = true);

  ParseError error() const { return error_; }
  char error_byte() const { return error_byte_; }
  std::string error_text() const { return parse_error_text(error_, error_byte_); }
  // Bytes the current incomplete command still needs at least (a hint for reading big bulks).
  size_t pending_bulk() const { return bulk_len_ > 0 ? size_t(bulk_len_) : 0; }
  // Bytes the input (from its unconsumed start) must hold for the bulk being received to be
  // complete; 0 when no bulk is in progress.  Lets a caller shrink its buffer safely.
  size_t bytes_needed() const { return bulk_len_ >= 0 ? pos_ + size_t(bulk_len_) + 2 : 0; }
  void reset();

 private:
  ParseStatus parse_inline(std::string_view in, size_t* consumed,
                           std::vector<std::string_view>* argv);
  ParseStatus fail(ParseError e, char b = 0) {
    error_ = e;
    error_byte_ = b;
    return ParseStatus::Error;
  }

  RequestLimits limits_;
  ParseError error_ = ParseError::None;
  char error_byte_ = 0;
  // Multibulk progress, so a large command arriving in pieces is scanned once.
  long long multibulk_left_ = -1;  // elements still to read, -1: not inside a multibulk
  long long bulk_len_ = -1;        // length of the bulk being read, -1: expecting a "$" line
  size_t pos_ = 0;                 // offset in `in` where parsing resumes
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of complete arguments
  std::string inline_storage_;     // unescaped inline arguments live here
};

// A reply of any RESP2/RESP3 type, as a tree (for clients, tools and tests).
struct Reply {
  enum class Kind : uint8_t {
    Simple,     // +
    Error,      // -
    Integer,    // :
    Bulk,       // $
    Null,       // _  $-1  *-1
    Array,      // *
    Map,        // %  elems hold key, value, key, value...
    Set,        // ~
    Push,       // >
    Double,     // ,  str holds the text ("inf", "1.5")
    Boolean,    // #
    BigNumber,  // (  str holds the digits
    Verbatim,   // =  str holds "txt:..." as sent
  };
  Kind kind = Kind::Null;
  std::string str;            // Simple, Error, Bulk, Double, BigNumber, Verbatim
  long long integer = 0;      // Integer; Boolean (0/1)
  std::vector<Reply> elems;   // aggregates
  std::vector<Reply> attributes;  // a preceding '|' attribute map, if any (key, value...)
};

struct ReplyLimits {
  long long max_bulk_len = 512ll * 1024 * 1024;  // a bulk / verbatim / blob error
  long long max_elements = 1024 * 1024;          // elements of one aggregate
  int max_depth = 128;                           // nesting of aggregates
  size_t max_line = 64 * 1024;                   // a +, -, :, ',' ... line
};

// Parses one complete reply.  NeedMore consumes nothing: call again with the same bytes plus
// more (the reply is then parsed again from its start, so this is meant for clients and tests,
// where replies are small; the broker's hot path parses requests with RequestParser).
class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = {}) : limits_(limits) {}
  ParseStatus parse(std::string_view in, size_t* consumed, Reply* out);
  const std::string& error() const { return error_; }  // why the last Error happened

 private:
  ParseStatus value(std::string_view in, size_t* pos, Reply* out, int depth);
  ParseStatus line(std::string_view in, size_t* pos, std::string_view* out);
  ParseStatus fail(std::string msg) {
    error_ = std::move(msg);
    return ParseStatus::Error;
  }
  ReplyLimits limits_;
  std::string error_;
};

enum class Proto : uint8_t { Resp2 = 2, Resp3 = 3 };

// Appends replies to a Buffer.  Aggregates are written as a header followed by their elements.
class Writer {
 public:
  Writer(Buffer* out, Proto proto) : out_(out), proto_(proto) {}
  Proto proto() const { return proto_; }
  void set_proto(Proto p) { proto_ = p; }
  Buffer* buffer() { return out_; }

  void simple(std::string_view s);        // +s
  void ok() { out_->append("+OK\r\n", 5); }
  void error(std::string_view s);         // -s (s already carries its code, e.g. "ERR ...")
  void integer(long long v);              // :v
  void bulk(std::string_view s);          // $n s
  void bulk_int(long long v);             // integer formatted as a bulk string
  void null();                            // $-1 | _
  void null_array();                      // *-1 | _
  void array(size_t n);                   // *n
  void map(size_t n);                     // *2n | %n
  void set(size_t n);                     // *n | ~n
  void push(size_t n);                    // *n | >n
  void boolean(bool b);                   // :1/:0 | #t/#f
  void dbl(double d);                     // bulk "%.17g" | ,d
  void verbatim(std::string_view s);      // bulk | =n txt:s
  void raw(std::string_view s) { out_->append(s); }

 private:
  void header(char type, long long n);
  Buffer* out_;
  Proto proto_;
};

// Formats `v` in decimal into `buf` (at least 21 bytes); returns the length.
size_t format_ll(char* buf, long long v);
// Redis's string2ll: strict decimal, no spaces, no leading '+' or zeros, fits in int64.
bool parse_ll(std::string_view s, long long* out);

}  // namespace sc::resp
