// Incremental parser of the first HTTP/1.x request head, for session affinity.
//
// It never consumes: the caller keeps every byte read from the client (they are all forwarded
// unchanged) and passes the whole prefix again with each call; scanning resumes where it stopped.
// It answers NeedMore until the blank line ending the head arrives, Done with the head length and
// the session id, or Error when the bytes cannot be an HTTP request head within the limit.
//
// The session id is the query parameter NAME of the request target (percent-decoded), else the
// value of the cookie NAME (exact, case-sensitive name: "xsid=" is not "sid="), else empty.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sc::bal {

enum class HeadStatus { NeedMore, Done, Error };
enum class HeadError { None, NotHttp, TooLarge };

class HeadParser {
 public:
  // `key` must outlive the parser (it points into the configuration).
  HeadParser(std::string_view key, size_t max_head) : key_(key), max_head_(max_head) {}

  // `in`: every byte received so far, from the first.  Pure: no I/O, no allocation beyond the id.
  HeadStatus parse(std::string_view in);

  size_t head_len() const { return head_len_; }  // Done: bytes up to and incl. the blank line
  const std::string& session_id() const { return id_; }  // Done: "" when none was found
  HeadError error() const { return error_; }
  void reset() { scanned_ = 0, head_len_ = 0, error_ = HeadError::None, id_.clear(); }

 private:
  HeadStatus set_error(HeadError e) {
    error_ = e;
    return HeadStatus::Error;
  }
  bool extract(std::string_view head);  // fills id_ from a complete head; false: malformed

  std::string_view key_;
  size_t max_head_;
  size_t scanned_ = 0;  // bytes already searched for the end of the head
  size_t head_len_ = 0;
  HeadError error_ = HeadError::None;
  std::string id_;
};

// Whether bytes already sent to a backend may be sent again, to another backend, after the first
// one reset the connection without answering.  A proxy cannot tell whether the backend read them,
// so only a request that is safe to run twice qualifies (HAProxy's retry-on does the same):
//   Yes:   exactly one complete HTTP/1.x request head, method GET or HEAD (a WebSocket upgrade is
//          a GET), without a body (no Transfer-Encoding, no Content-Length but 0) and with no
//          byte after it;
//   Maybe: a prefix that can still become that (the caller keeps collecting);
//   No:    anything else (another method, a body, a second request, not HTTP, longer than
//          `max_head`).
// Pure: no I/O, no allocation.
enum class Replay { Maybe, Yes, No };
Replay replay_verdict(std::string_view sent, size_t max_head);

}  // namespace sc::bal
