// The list type and its commands (Redis 7.0's t_list.c semantics), the blocking ones included:
// BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP block through blocked.h and are served here.
//
// Representation (Enc::Quicklist): a vector of nodes, each a flat buffer of packed entries like
// Redis's quicklist of listpacks.  An entry is
//     <len header> <bytes> <len trailer>
// where header and trailer encode the length in 1, 2 or 5 bytes (the trailer mirrored so the
// entry can also be read from its end), so a node is walked in both directions.  A node keeps
// free space on both sides of its entries (head/tail offsets), so pushes and pops at either end
// are O(1) amortised and a queue (RPUSH + LPOP) does not move bytes.  Node size follows
// list-max-listpack-size (-2: 8 KiB per node, like Redis).
//
// Compression (list-compress-depth N > 0, like Redis's quicklist): the N nodes at each end stay
// raw and the interior ones are kept compressed with lz.h (a node that does not shrink by at
// least kPackMinSaving bytes stays raw, marked so it is not tried again until it changes).
// The boundary is small on purpose:
//   - readers never change a node: they go through view(), which decompresses a compressed
//     node into the reader's own scratch buffer (LINDEX, LRANGE, LPOS and the iterators);
//   - writers call node_unpack() on any node they are about to change (an end node is raw
//     already, so pushes and pops pay one flag test), then the policy puts the interior back:
//     list_settle() after a node appeared or left at an end (O(1)), list_recompress() after
//     an interior edit (LINSERT, LSET, LREM: a pass over the node index, O(nodes), only nodes
//     that changed are compressed again).
// The depth is read from the config; a list that was laid out for another depth (CONFIG SET at
// runtime) is laid out again the next time it is written.
#include "t_list.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "blocked.h"
#include "lz.h"
#include "server.h"

namespace sc::broker {

namespace {

// ---- Entry encoding ----

inline uint32_t hdr_size(size_t len) { return len < 128 ? 1 : len < 16384 ? 2 : 5; }
inline uint32_t entry_size(size_t len) { return uint32_t(len + 2 * hdr_size(len)); }

// Writes the entry for `s` at `p` (entry_size(s.size()) bytes).
void write_entry(char* p, std::string_view s) {
  uint32_t len = uint32_t(s.size());
  unsigned char* u = reinterpret_cast<unsigned char*>(p);
  uint32_t hs = hdr_size(len);
  unsigned char* t = u + hs + len;  // trailer
  if (hs == 1) {
    u[0] = uint8_t(len);
    t[0] = uint8_t(len);
  } else if (hs == 2) {
    u[0] = uint8_t(0x80 | (len >> 8));
    u[1] = uint8_t(len & 0xff);
    t[0] = uint8_t(len & 0xff);
    t[1] = uint8_t(0x80 | (len >> 8));
  } else {
    u[0] = 0xC0;
    std::memcpy(u + 1, &len, 4);
    std::memcpy(t, &len, 4);
    t[4] = 0xC0;
  }
  if (len) std::memcpy(u + hs, s.data(), len);
}

// Reads the entry starting at `p`: its element and its total size.
inline std::string_view read_fwd(const char* p, uint32_t* total) {
  const unsigned char* u = reinterpret_cast<const unsigned char*>(p);
  uint32_t len, hs;
  if (u[0] < 0x80) {
    len = u[0];
    hs = 1;
  } else if ((u[0] & 0xC0) == 0x80) {
    len = (uint32_t(u[0] & 0x3f) << 8) | u[1];
    hs = 2;
  } else {
    std::memcpy(&len, u + 1, 4);
    hs = 5;
  }
  *total = len + 2 * hs;
  return {p + hs, len};
}

// Reads the entry ending at `end` (one past its last byte): its element and its total size.
inline std::string_view read_back(const char* end, uint32_t* total) {
  const unsigned char* u = reinterpret_cast<const unsigned char*>(end);
  uint32_t len, hs;
  if (u[-1] < 0x80) {
    len = u[-1];
    hs = 1;
  } else if ((u[-1] & 0xC0) == 0x80) {
    len = (uint32_t(u[-1] & 0x3f) << 8) | u[-2];
    hs = 2;
  } else {
    std::memcpy(&len, u - 5, 4);
    hs = 5;
  }
  *total = len + 2 * hs;
  return {end - *total + hs, len};
}

// ---- Nodes ----

struct ListNode {
  uint32_t count;    // entries
  uint32_t head;     // offset of the first entry's first byte in data (compressed: 0)
  uint32_t tail;     // offset one past the last entry (compressed: the compressed length)
  uint32_t cap;      // bytes allocated for data
  uint32_t raw_len;  // 0: raw; else data[0, tail) is lz.h's form of raw_len bytes of entries
  bool tried;        // raw, and compressing it did not pay; cleared when the node changes
  char data[];
  uint32_t used() const { return tail - head; }
  uint32_t entry_bytes() const { return raw_len ? raw_len : tail - head; }
};

ListNode* node_new(uint32_t cap) {
  auto* n = static_cast<ListNode*>(std::malloc(sizeof(ListNode) + cap));
  if (!n) std::abort();
  n->count = 0;
  n->head = n->tail = 0;
  n->cap = cap;
  n->raw_len = 0;
  n->tried = false;
  return n;
}

// ---- Compressed nodes ----

constexpr uint32_t kPackMinBytes = 48;  // smaller nodes are not worth compressing
constexpr uint32_t kPackMinSaving = 8;  // nor those that would not shrink by this much

// Compresses a raw node in place (reallocating it) unless it was tried since it last changed.
void node_pack(ListNode*& n) {
  if (n->raw_len || n->tried) return;
  n->tried = true;
  uint32_t used = n->used();
  if (used < kPackMinBytes) return;
  static std::string buf;  // one node's compressed form, before it is copied to its size
  if (buf.size() < used) buf.resize(used);
  size_t zn = lz_compress(n->data + n->head, used, buf.data(), used - kPackMinSaving);
  if (zn == 0) return;
  ListNode* m = node_new(uint32_t(zn));
  m->count = n->count;
  m->tail = uint32_t(zn);
  m->raw_len = used;
  std::memcpy(m->data, buf.data(), zn);
  std::free(n);
  n = m;
}

// Makes a node raw (entries at data[0, raw_len)) so it can be changed; a raw node is left as is.
void node_unpack(ListNode*& n) {
  if (!n->raw_len) return;
  ListNode* m = node_new(n->raw_len);
  m->count = n->count;
  m->tail = n->raw_len;
  if (!lz_decompress(n->data, n->tail, m->data, n->raw_len)) std::abort();  // memory corrupted
  std::free(n);
  n = m;
}

// A node's entries for reading: [data + head, data + tail).  For a compressed node they are
// decompressed into *scratch (head 0, the offsets node_unpack() gives the node) and stay
// valid until *scratch changes.
struct NodeView {
  const char* data;
  uint32_t head, tail;
};

NodeView view(const ListNode* n, std::string* scratch) {
  if (!n->raw_len) return {n->data, n->head, n->tail};
  scratch->resize(n->raw_len);
  if (!lz_decompress(n->data, n->tail, scratch->data(), n->raw_len)) std::abort();
  return {scratch->data(), 0, n->raw_len};
}

inline uint32_t round16(size_t n) { return uint32_t((n + 15) & ~size_t(15)); }

// Byte limit of a node for list-max-listpack-size (negative: 4..64 KiB; positive: a count
// limit, with Redis's 8 KiB safety limit on bytes).
size_t node_byte_limit() {
  long long fill = srv().cfg.list_max_listpack_size;
  if (fill >= 0) return 8192;
  long long shift = std::min(-fill - 1, 4LL);
  return size_t(4096) << shift;
}

bool node_allows(const ListNode* n, uint32_t add) {
  long long fill = srv().cfg.list_max_listpack_size;
  size_t sz = size_t(n->used()) + add;
  if (fill < 0) return sz <= node_byte_limit();
  if (sz > 8192) return false;
  return (long long)n->count < std::max(fill, 1LL);
}

// Replaces bytes [off, off + del) of the node's entries with `ins` bytes of space and returns
// the offset where the caller writes them.  May reallocate `n` (the reference is updated).
// The side that moves fewer bytes is moved; when there is no room the node is rebuilt with
// slack on the side being written, so repeated pushes at one end are amortised O(1).
uint32_t node_splice(ListNode*& n, uint32_t off, uint32_t del, uint32_t ins) {
  uint32_t front = off - n->head;
  uint32_t back = n->tail - (off + del);
  if (ins <= del) {
    uint32_t d = del - ins;
    if (d == 0) return off;
    if (front <= back) {
      std::memmove(n->data + n->head + d, n->data + n->head, front);
      n->head += d;
      return off + d;
    }
    std::memmove(n->data + off + ins, n->data + off + del, back);
    n->tail -= d;
    return off;
  }
  uint32_t g = ins - del;
  bool tail_room = n->cap - n->tail >= g;
  bool head_room = n->head >= g;
  bool prefer_back = back <= front;  // fewer bytes to move on the tail side
  if (tail_room && (prefer_back || !head_room)) {
    if (prefer_back || back <= n->used() / 4) {
      std::memmove(n->data + off + ins, n->data + off + del, back);
      n->tail += g;
      return off;
    }
  } else if (head_room && (!prefer_back || front <= n->used() / 4)) {
    std::memmove(n->data + n->head - g, n->data + n->head, front);
    n->head -= g;
    return off - g;
  }
  // The cheap side has no room (or only the expensive side has).  Lay the entries out again
  // with the free space where the writes happen: in place if enough space is left over,
  // else in a larger buffer.  Either way the next writes at this end find room, so a queue
  // (pops at one end, pushes at the other) costs O(1) amortised.
  uint32_t used = n->used();
  size_t want = size_t(used) + g;
  size_t min_left = std::clamp(size_t(used) / 4, size_t(16), size_t(2048));
  auto place = [&](uint32_t cap) -> uint32_t {  // the new head offset
    uint32_t free_bytes = cap - uint32_t(want);
    if (off == n->head) return free_bytes;  // front insertion: keep the room in front
    if (off + del == n->tail) return 0;     // tail insertion: room at the tail
    return free_bytes / 2;
  };
  if (size_t(n->cap) >= want + min_left) {
    uint32_t nh = place(n->cap);
    uint32_t front_dst = nh, back_dst = nh + front + ins, back_src = off + del;
    // Move in the order that never overwrites bytes still to be moved.
    if (nh <= n->head) {
      std::memmove(n->data + front_dst, n->data + n->head, front);
      std::memmove(n->data + back_dst, n->data + back_src, back);
    } else {
      std::memmove(n->data + back_dst, n->data + back_src, back);
      std::memmove(n->data + front_dst, n->data + n->head, front);
    }
    n->head = nh;
    n->tail = nh + uint32_t(want);
    return nh + front;
  }
  uint32_t cap = round16(want + min_left);
  ListNode* m = node_new(cap);
  m->count = n->count;
  m->head = place(cap);
  m->tail = m->head + uint32_t(want);
  std::memcpy(m->data + m->head, n->data + n->head, front);
  std::memcpy(m->data + m->head + front + ins, n->data + off + del, back);
  std::free(n);
  n = m;
  return m->head + front;
}

// Gives memory back when a node's entries use a small part of its buffer.
void node_maybe_shrink(ListNode*& n) {
  if (n->raw_len || n->cap <= 256 || n->used() * 4 > n->cap) return;
  uint32_t used = n->used();
  ListNode* m = node_new(round16(used + std::max<uint32_t>(used / 4, 16)));
  m->count = n->count;
  m->head = (m->cap - used) / 2;
  m->tail = m->head + used;
  std::memcpy(m->data + m->head, n->data + n->head, used);
  std::free(n);
  n = m;
}

// ---- The list ----

struct List {
  std::vector<ListNode*> nodes;
  size_t count = 0;
  size_t depth = 0;  // the list-compress-depth its nodes are laid out for
};

size_t config_depth() { return size_t(std::max(srv().cfg.list_compress_depth, 0LL)); }

// Puts node i in the state the list's depth wants: raw in the end windows (or with depth 0),
// compressed if it pays in the interior.
void node_settle(List* l, size_t i) {
  size_t size = l->nodes.size();
  if (i >= size) return;
  if (l->depth == 0 || i < l->depth || size - i <= l->depth)
    node_unpack(l->nodes[i]);
  else
    node_pack(l->nodes[i]);
}

// Lays every node out for the configured depth (after an interior edit, or when the depth
// changed since the list was last written).  Nodes already in their state cost a test each.
void list_recompress(List* l) {
  size_t was = l->depth;
  l->depth = config_depth();
  if (l->depth == 0) {
    if (was == 0) return;  // laid out for depth 0: no node is compressed
    for (ListNode*& n : l->nodes) node_unpack(n);
    return;
  }
  for (size_t i = 0; i < l->nodes.size(); i++) node_settle(l, i);
}

// After a node appeared (grew) or disappeared (shrunk) at the `head_side` end: the one node
// that crossed a window boundary.  With a changed depth, the whole list.
void list_settle(List* l, bool head_side, bool grew) {
  if (l->depth != config_depth()) return list_recompress(l);
  size_t d = l->depth, size = l->nodes.size();
  if (d == 0 || size < d) return;
  if (head_side)
    node_settle(l, grew ? d : d - 1);
  else
    node_settle(l, grew ? size - 1 - d : size - d);
}

inline List* as_list(const Robj& v) { return static_cast<List*>(v.ptr); }

enum Where { kHead = 0, kTail = 1 };

void list_push(List* l, std::string_view s, Where where) {
  if (l->depth != config_depth()) list_recompress(l);
  uint32_t esz = entry_size(s.size());
  if (where == kHead) {
    if (!l->nodes.empty()) node_unpack(l->nodes.front());  // raw unless the depth changed
    if (l->nodes.empty() || !node_allows(l->nodes.front(), esz)) {
      ListNode* n = node_new(round16(esz + std::min<uint32_t>(esz, 48)));
      n->head = n->tail = n->cap;  // room in front: more head pushes likely follow
      l->nodes.insert(l->nodes.begin(), n);
      list_settle(l, true, true);
    }
    ListNode*& n = l->nodes.front();
    n->tried = false;
    uint32_t at = node_splice(n, n->head, 0, esz);
    write_entry(n->data + at, s);
    n->count++;
  } else {
    if (!l->nodes.empty()) node_unpack(l->nodes.back());
    if (l->nodes.empty() || !node_allows(l->nodes.back(), esz)) {
      l->nodes.push_back(node_new(round16(esz + std::min<uint32_t>(esz, 48))));
      list_settle(l, false, true);
    }
    ListNode*& n = l->nodes.back();
    n->tried = false;
    uint32_t at = node_splice(n, n->tail, 0, esz);
    write_entry(n->data + at, s);
    n->count++;
  }
  l->count++;
}

// Removes `k` entries from one end (k <= count).
void list_del_end(List* l, size_t k, Where where) {
  if (k && l->depth != config_depth()) list_recompress(l);
  l->count -= k;
  while (k > 0) {
    ListNode*& n = where == kHead ? l->nodes.front() : l->nodes.back();
    if (n->count <= k) {
      k -= n->count;
      std::free(n);
      if (where == kHead)
        l->nodes.erase(l->nodes.begin());
      else
        l->nodes.pop_back();
      list_settle(l, where == kHead, false);
      continue;
    }
    node_unpack(n);  // raw unless the depth changed
    n->tried = false;
    uint32_t total;
    for (; k > 0; k--, n->count--) {
      if (where == kHead) {
        read_fwd(n->data + n->head, &total);
        n->head += total;
      } else {
        read_back(n->data + n->tail, &total);
        n->tail -= total;
      }
    }
    node_maybe_shrink(n);
  }
}

// A position: node index and the offset of an entry's first byte in the node's view (for a
// compressed node, the offset node_unpack() gives the entry).
struct Pos {
  size_t ni;
  uint32_t off;
};

// The position of element `idx` (0 <= idx < count); *v is its node's view (in *scratch if the
// node is compressed).
Pos list_locate(const List* l, size_t idx, std::string* scratch, NodeView* v) {
  size_t ni;
  size_t local;
  if (idx < l->count / 2) {
    ni = 0;
    while (idx >= l->nodes[ni]->count) idx -= l->nodes[ni++]->count;
    local = idx;
  } else {
    size_t from_end = l->count - 1 - idx;  // 0 = last element
    ni = l->nodes.size() - 1;
    while (from_end >= l->nodes[ni]->count) from_end -= l->nodes[ni--]->count;
    local = l->nodes[ni]->count - 1 - from_end;
  }
  const ListNode* n = l->nodes[ni];
  *v = view(n, scratch);
  uint32_t total;
  if (local < n->count / 2) {
    uint32_t off = v->head;
    for (size_t i = 0; i < local; i++) {
      read_fwd(v->data + off, &total);
      off += total;
    }
    return {ni, off};
  }
  uint32_t end = v->tail;
  for (size_t i = n->count; i > local; i--) {
    read_back(v->data + end, &total);
    end -= total;
  }
  return {ni, end};
}

// Element `idx` (0 <= idx < count), valid until the list or *scratch changes.
std::string_view list_index(const List* l, size_t idx, std::string* scratch) {
  NodeView v;
  Pos p = list_locate(l, idx, scratch, &v);
  uint32_t total;
  return read_fwd(v.data + p.off, &total);
}

// Walks elements head to tail from element `idx` (< count).  An element's view is valid until
// the next call (it may be in the iterator's scratch buffer).
class FwdIter {
 public:
  FwdIter(const List* l, size_t idx) : l_(l) {
    Pos p = list_locate(l, idx, &scratch_, &v_);
    ni_ = p.ni;
    off_ = p.off;
  }
  FwdIter(const FwdIter&) = delete;
  FwdIter& operator=(const FwdIter&) = delete;
  bool next(std::string_view* out, Pos* at = nullptr) {
    if (off_ >= v_.tail) {  // move to the next node only now: *out of the last call stays valid
      if (++ni_ >= l_->nodes.size()) return false;
      v_ = view(l_->nodes[ni_], &scratch_);
      off_ = v_.head;
    }
    if (at) *at = {ni_, off_};
    uint32_t total;
    *out = read_fwd(v_.data + off_, &total);
    off_ += total;
    return true;
  }

 private:
  const List* l_;
  size_t ni_;
  uint32_t off_;
  NodeView v_;
  std::string scratch_;
};

// Walks elements tail to head starting with element `idx` (< count).  Views as FwdIter's.
class BackIter {
 public:
  BackIter(const List* l, size_t idx) : l_(l) {
    Pos p = list_locate(l, idx, &scratch_, &v_);
    ni_ = p.ni;
    uint32_t total;
    read_fwd(v_.data + p.off, &total);
    end_ = p.off + total;
  }
  BackIter(const BackIter&) = delete;
  BackIter& operator=(const BackIter&) = delete;
  bool next(std::string_view* out) {
    if (end_ <= v_.head) {
      if (ni_ == 0) return false;
      v_ = view(l_->nodes[--ni_], &scratch_);
      end_ = v_.tail;
    }
    uint32_t total;
    *out = read_back(v_.data + end_, &total);
    end_ -= total;
    return true;
  }

 private:
  const List* l_;
  size_t ni_;
  uint32_t end_;
  NodeView v_;
  std::string scratch_;
};

// Splits a node (raw) grown past the size limit (after LINSERT/LSET) into two halves.
void list_split_if_needed(List* l, size_t ni) {
  ListNode* n = l->nodes[ni];
  if (n->count < 2 || n->used() <= node_byte_limit()) return;
  uint32_t k = n->count / 2, off = n->head, total;
  for (uint32_t i = 0; i < k; i++) {
    read_fwd(n->data + off, &total);
    off += total;
  }
  uint32_t rest = n->tail - off;
  ListNode* m = node_new(round16(rest + 16));
  m->count = n->count - k;
  m->head = 0;
  m->tail = rest;
  std::memcpy(m->data, n->data + off, rest);
  n->tail = off;
  n->count = k;
  node_maybe_shrink(l->nodes[ni]);
  l->nodes.insert(l->nodes.begin() + ptrdiff_t(ni) + 1, m);
}

// Merges neighbouring nodes whose entries fit in one node (after LREM).
void list_merge_small(List* l) {
  long long fill = srv().cfg.list_max_listpack_size;
  size_t limit = node_byte_limit();
  size_t i = 0;
  while (i + 1 < l->nodes.size()) {
    ListNode*& a = l->nodes[i];
    ListNode* b = l->nodes[i + 1];
    bool fits = size_t(a->entry_bytes()) + b->entry_bytes() <= limit &&
                (fill < 0 || (long long)(a->count + b->count) <= std::max(fill, 1LL));
    if (!fits) {
      i++;
      continue;
    }
    node_unpack(a);
    node_unpack(l->nodes[i + 1]);
    b = l->nodes[i + 1];
    a->tried = false;
    uint32_t at = node_splice(a, a->tail, 0, b->used());
    std::memcpy(a->data + at, b->data + b->head, b->used());
    a->count += b->count;
    std::free(b);
    l->nodes.erase(l->nodes.begin() + ptrdiff_t(i) + 1);
  }
}

// Inserts `s` before (kHead) or after (kTail) the entry at `p`.
void list_insert_at(List* l, Pos p, std::string_view s, Where where) {
  ListNode*& n = l->nodes[p.ni];
  node_unpack(n);  // p's offset is the same in the view and in the unpacked node
  n->tried = false;
  uint32_t off = p.off;
  if (where == kTail) {
    uint32_t total;
    read_fwd(n->data + off, &total);
    off += total;
  }
  uint32_t esz = entry_size(s.size());
  uint32_t at = node_splice(n, off, 0, esz);
  write_entry(n->data + at, s);
  n->count++;
  l->count++;
  list_split_if_needed(l, p.ni);
  list_recompress(l);
}

void list_replace_at(List* l, Pos p, std::string_view s) {
  ListNode*& n = l->nodes[p.ni];
  node_unpack(n);
  n->tried = false;
  uint32_t total;
  read_fwd(n->data + p.off, &total);
  uint32_t at = node_splice(n, p.off, total, entry_size(s.size()));
  write_entry(n->data + at, s);
  list_split_if_needed(l, p.ni);
  list_recompress(l);
}

// Whether a node holds an element equal to `s`.
bool node_has(const ListNode* n, std::string_view s, std::string* scratch) {
  NodeView v = view(n, scratch);
  uint32_t total;
  for (uint32_t off = v.head; off < v.tail; off += total)
    if (read_fwd(v.data + off, &total) == s) return true;
  return false;
}

// Removes up to `limit` (0: all) elements equal to `s`, scanning from the head or the tail.
size_t list_remove_matching(List* l, std::string_view s, size_t limit, Where from) {
  size_t removed = 0;
  size_t nn = l->nodes.size();
  std::string scratch;
  for (size_t k = 0; k < nn && (limit == 0 || removed < limit); k++) {
    size_t ni = from == kHead ? k : nn - 1 - k;
    if (l->nodes[ni]->raw_len) {
      if (!node_has(l->nodes[ni], s, &scratch)) continue;  // stays compressed
      node_unpack(l->nodes[ni]);
    }
    ListNode* n = l->nodes[ni];
    size_t before = removed;
    uint32_t total;
    if (from == kHead) {
      uint32_t r = n->head, w = n->head;
      while (r < n->tail) {
        std::string_view e = read_fwd(n->data + r, &total);
        if (e == s && (limit == 0 || removed < limit)) {
          removed++;
          n->count--;
        } else {
          if (w != r) std::memmove(n->data + w, n->data + r, total);
          w += total;
        }
        r += total;
      }
      n->tail = w;
    } else {
      uint32_t r = n->tail, w = n->tail;
      while (r > n->head) {
        std::string_view e = read_back(n->data + r, &total);
        r -= total;
        if (e == s && (limit == 0 || removed < limit)) {
          removed++;
          n->count--;
        } else {
          w -= total;
          if (w != r) std::memmove(n->data + w, n->data + r, total);
        }
      }
      n->head = w;
    }
    if (removed != before) n->tried = false;
  }
  if (removed == 0) return 0;
  l->count -= removed;
  // Drop empty nodes, then merge small neighbours.
  size_t w = 0;
  for (size_t i = 0; i < l->nodes.size(); i++) {
    if (l->nodes[i]->count == 0) {
      std::free(l->nodes[i]);
    } else {
      l->nodes[w++] = l->nodes[i];
    }
  }
  l->nodes.resize(w);
  for (auto& n : l->nodes) node_maybe_shrink(n);
  list_merge_small(l);
  list_recompress(l);
  return removed;
}

void list_destroy(List* l) {
  for (ListNode* n : l->nodes) std::free(n);
  delete l;
}

// ---- Command helpers ----

Robj make_list_value() {
  Robj v;
  v.type = Type::List;
  v.enc = Enc::Quicklist;
  List* l = new List;
  l->depth = config_depth();
  v.ptr = l;
  return v;
}

// Redis's getLongFromObjectOrReply (msg, when given, replaces the default error).
bool get_long(Client& c, std::string_view s, long long* out, const char* msg = nullptr) {
  return arg_ll(c, s, out, msg);
}

// Redis's getPositiveLongFromObjectOrReply: one message for "not a number" and "negative".
bool get_positive(Client& c, std::string_view s, long long* out, const char* msg = nullptr) {
  if (!msg) msg = "ERR value is out of range, must be positive";
  if (!get_long(c, s, out, msg)) return false;
  if (*out < 0) {
    reply_error(c, msg);
    return false;
  }
  return true;
}

// Redis's getRangeLongFromObjectOrReply.
bool get_range(Client& c, std::string_view s, long long lo, long long hi, long long* out,
               const char* msg) {
  if (!get_long(c, s, out, msg)) return false;
  if (*out < lo || *out > hi) {
    if (msg)
      reply_error(c, msg);
    else
      reply_error_fmt(c, "ERR value is out of range, value must between %lld and %lld", lo, hi);
    return false;
  }
  return true;
}

// LEFT / RIGHT; replies a syntax error otherwise.
bool get_where(Client& c, std::string_view s, Where* out) {
  if (eq_nocase(s, "left")) {
    *out = kHead;
  } else if (eq_nocase(s, "right")) {
    *out = kTail;
  } else {
    reply_syntax_error(c);
    return false;
  }
  return true;
}

// Replies the elements [start, end] (already normalised, in range) head to tail, or tail to
// head when `reverse` (the order elements are popped from the tail).
void reply_range(Client& c, const List* l, long long start, long long end, bool reverse) {
  size_t n = size_t(end - start + 1);
  resp::Writer& w = c.reply();
  w.array(n);
  std::string_view e;
  if (!reverse) {
    FwdIter it(l, size_t(start));
    for (size_t i = 0; i < n && it.next(&e); i++) w.bulk(e);
  } else {
    BackIter it(l, size_t(end));
    for (size_t i = 0; i < n && it.next(&e); i++) w.bulk(e);
  }
}

// Redis's addListRangeReply: start/end may be negative or out of range.
void reply_list_range(Client& c, const List* l, long long start, long long end, bool reverse) {
  long long llen = (long long)l->count;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    c.reply().array(0);
    return;
  }
  if (end >= llen) end = llen - 1;
  reply_range(c, l, start, end, reverse);
}

// After elements were popped from `key`: events, deletion of an empty list, WATCH, dirty.
// Returns true if the key was deleted.
bool elements_removed(Client& c, std::string_view key, KeyEntry* e, Where where, size_t count) {
  key_changed(c, key, kNotifyList, where == kHead ? "lpop" : "rpop", (long long)count);
  if (as_list(e->val)->count != 0) return false;
  std::string k(key);  // `key` may point into the entry
  db_delete_entry(*c.db, e);
  notify_keyspace_event(kNotifyGeneric, "del", k, c.db->id);
  return true;
}

// Pops up to `count` (> 0) elements from the `where` end of the list at `key` and replies them
// as an array, in the order they were popped (LPOP/RPOP with a count).
void pop_range(Client& c, KeyEntry* e, std::string_view key, Where where, long long count) {
  List* l = as_list(e->val);
  long long llen = (long long)l->count;
  long long n = std::min(count, llen);
  if (where == kHead)
    reply_range(c, l, 0, n - 1, false);
  else
    reply_range(c, l, llen - n, llen - 1, true);
  list_del_end(l, size_t(n), where);
  elements_removed(c, key, e, where, size_t(n));
}

// Pops one element from the `where` end of the non-empty list `e` at `key` and replies it as a
// bulk string (LPOP/RPOP without a count).
void pop_one(Client& c, KeyEntry* e, std::string_view key, Where where) {
  List* l = as_list(e->val);
  std::string scratch;
  c.reply().bulk(list_index(l, where == kHead ? 0 : l->count - 1, &scratch));
  list_del_end(l, 1, where);
  elements_removed(c, key, e, where, 1);
}

// Pops up to `count` elements and replies [key, [elements...]] (LMPOP).
void pop_range_with_key(Client& c, KeyEntry* e, std::string_view key, Where where,
                        long long count) {
  c.reply().array(2);
  c.reply().bulk(key);
  pop_range(c, e, key, where, count);
}

// ---- Commands ----

void push_generic(Client& c, Where where, bool xx) {
  std::string_view key = c.argv[1];
  KeyEntry* e = lookup_write(*c.db, key);
  if (wrong_type(c, e, Type::List)) return;
  if (!e) {
    if (xx) return c.reply().integer(0);
    e = db_add(*c.db, key, make_list_value());
  }
  List* l = as_list(e->val);
  for (size_t j = 2; j < c.argv.size(); j++) list_push(l, c.argv[j], where);
  c.reply().integer((long long)l->count);
  key_changed(c, key, kNotifyList, where == kHead ? "lpush" : "rpush",
              (long long)c.argv.size() - 2);
}

void lpush_command(Client& c) { push_generic(c, kHead, false); }
void rpush_command(Client& c) { push_generic(c, kTail, false); }
void lpushx_command(Client& c) { push_generic(c, kHead, true); }
void rpushx_command(Client& c) { push_generic(c, kTail, true); }

void linsert_command(Client& c) {
  Where where;
  if (eq_nocase(c.argv[2], "after")) {
    where = kTail;
  } else if (eq_nocase(c.argv[2], "before")) {
    where = kHead;
  } else {
    reply_syntax_error(c);
    return;
  }
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::List, IfMissing::Zero);
  if (!e) return;
  List* l = as_list(e->val);
  FwdIter it(l, 0);
  std::string_view el;
  Pos at;
  bool found = false;
  while (it.next(&el, &at)) {
    if (el == c.argv[3]) {
      found = true;
      break;
    }
  }
  if (!found) {
    c.reply().integer(-1);
    return;
  }
  list_insert_at(l, at, c.argv[4], where);
  key_changed(c, c.argv[1], kNotifyList, "linsert");
  c.reply().integer((long long)l->count);
}

void llen_command(Client& c) { length_command(c, Type::List, list_length); }

// LINDEX/LSET: the index of element argv[2] (negative counts from the tail) in the list of `e`.
// False when there is none: `e` is nullptr (its lookup replied), argv[2] is not an integer
// (replied), or the index is past either end (`out_of_range` replies).
bool element_at(Client& c, KeyEntry* e, List** l, size_t* at, void (*out_of_range)(Client&)) {
  if (!e) return false;
  long long index;
  if (!get_long(c, c.argv[2], &index)) return false;
  *l = as_list(e->val);
  long long llen = (long long)(*l)->count;
  if (index < 0) index = llen + index;
  if (index < 0 || index >= llen) {
    out_of_range(c);
    return false;
  }
  *at = size_t(index);
  return true;
}

void lindex_command(Client& c) {
  List* l;
  size_t i;
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::List, IfMissing::Null);
  if (!element_at(c, e, &l, &i, [](Client& c) { c.reply().null(); })) return;
  std::string scratch;
  c.reply().bulk(list_index(l, i, &scratch));
}

void lset_command(Client& c) {
  List* l;
  size_t i;
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::List, IfMissing::NoSuchKey);
  if (!element_at(c, e, &l, &i, [](Client& c) { reply_error(c, "ERR index out of range"); }))
    return;
  std::string scratch;
  NodeView v;
  list_replace_at(l, list_locate(l, i, &scratch, &v), c.argv[3]);
  c.reply().ok();
  key_changed(c, c.argv[1], kNotifyList, "lset");
}

void pop_generic(Client& c, Where where) {
  bool hascount = c.argv.size() == 3;
  long long count = 0;
  if (c.argv.size() > 3) {
    reply_wrong_arity(c);
    return;
  }
  if (hascount && !get_positive(c, c.argv[2], &count)) return;
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::List,
                                      hascount ? IfMissing::NullArray : IfMissing::Null);
  if (!e) return;
  if (hascount && count == 0) {
    c.reply().array(0);
    return;
  }
  std::string_view key = c.argv[1];
  if (!hascount)
    pop_one(c, e, key, where);
  else
    pop_range(c, e, key, where, count);
}

void lpop_command(Client& c) { pop_generic(c, kHead); }
void rpop_command(Client& c) { pop_generic(c, kTail); }

void lrange_command(Client& c) {
  long long start, end;
  if (!get_long(c, c.argv[2], &start) || !get_long(c, c.argv[3], &end)) return;
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::List, IfMissing::EmptyArray);
  if (e) reply_list_range(c, as_list(e->val), start, end, false);
}

void ltrim_command(Client& c) {
  long long start, end;
  if (!get_long(c, c.argv[2], &start) || !get_long(c, c.argv[3], &end)) return;
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::List, IfMissing::Ok);
  if (!e) return;
  List* l = as_list(e->val);
  long long llen = (long long)l->count, ltrim, rtrim;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0;
  } else {
    if (end >= llen) end = llen - 1;
    ltrim = start;
    rtrim = llen - end - 1;
  }
  list_del_end(l, size_t(ltrim), kHead);
  list_del_end(l, size_t(rtrim), kTail);
  std::string_view key = c.argv[1];
  key_changed(c, key, kNotifyList, "ltrim", ltrim + rtrim);
  if (l->count == 0) {
    db_delete_entry(*c.db, e);
    notify_keyspace_event(kNotifyGeneric, "del", key, c.db->id);
  }
  c.reply().ok();
}

void lpos_command(Client& c) {
  long long rank = 1, count = -1, maxlen = 0;  // count -1: option not given
  Where direction = kTail;
  for (size_t j = 3; j < c.argv.size(); j++) {
    std::string_view opt = c.argv[j];
    size_t moreargs = c.argv.size() - 1 - j;
    if (eq_nocase(opt, "rank") && moreargs) {
      j++;
      if (!get_long(c, c.argv[j], &rank)) return;
      if (rank == 0) {
        reply_error(c,
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list");
        return;
      }
    } else if (eq_nocase(opt, "count") && moreargs) {
      j++;
      if (!get_positive(c, c.argv[j], &count, "ERR COUNT can't be negative")) return;
    } else if (eq_nocase(opt, "maxlen") && moreargs) {
      j++;
      if (!get_positive(c, c.argv[j], &maxlen, "ERR MAXLEN can't be negative")) return;
    } else {
      reply_syntax_error(c);
      return;
    }
  }
  if (rank < 0) {
    // Redis negates without an overflow check: RANK LLONG_MIN stays negative (any match).
    rank = (long long)(0ULL - (unsigned long long)rank);
    direction = kHead;
  }
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], Type::List,
                                     count != -1 ? IfMissing::EmptyArray : IfMissing::Null);
  if (!e) return;
  List* l = as_list(e->val);
  std::string_view ele = c.argv[2];
  long long llen = (long long)l->count;
  long long index = 0, matches = 0, matchindex = -1;
  std::vector<long long> found;
  std::string_view el;
  auto visit = [&](std::string_view v) -> bool {  // false: stop
    if (maxlen != 0 && index >= maxlen) return false;
    if (v == ele) {
      matches++;
      matchindex = direction == kTail ? index : llen - index - 1;
      if (matches >= rank) {
        if (count != -1) {
          found.push_back(matchindex);
          // Unsigned: RANK LLONG_MIN must wrap like Redis, without undefined behaviour.
          if (count &&
              (long long)((unsigned long long)matches - (unsigned long long)rank + 1) >= count)
            return false;
        } else {
          return false;
        }
      }
    }
    index++;
    matchindex = -1;
    return true;
  };
  if (direction == kTail) {
    FwdIter it(l, 0);
    while (it.next(&el) && visit(el)) {
    }
  } else {
    BackIter it(l, l->count - 1);
    while (it.next(&el) && visit(el)) {
    }
  }
  if (count != -1) {
    c.reply().array(found.size());
    for (long long i : found) c.reply().integer(i);
  } else if (matchindex != -1) {
    c.reply().integer(matchindex);
  } else {
    c.reply().null();
  }
}

void lrem_command(Client& c) {
  long long toremove;
  if (!get_long(c, c.argv[2], &toremove)) return;
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], Type::List, IfMissing::Zero);
  if (!e) return;
  List* l = as_list(e->val);
  Where from = kHead;
  size_t limit;
  if (toremove < 0) {
    from = kTail;
    limit = toremove == LLONG_MIN ? size_t(LLONG_MAX) + 1 : size_t(-toremove);
  } else {
    limit = size_t(toremove);
  }
  size_t removed = list_remove_matching(l, c.argv[3], limit, from);
  std::string_view key = c.argv[1];
  if (removed) key_changed(c, key, kNotifyList, "lrem", (long long)removed);
  if (l->count == 0) {
    db_delete_entry(*c.db, e);
    notify_keyspace_event(kNotifyGeneric, "del", key, c.db->id);
  }
  c.reply().integer((long long)removed);
}

// Moves an element from the `wherefrom` end of `src` to the `whereto` end of `dst` and
// replies it (null when `src` is missing; WRONGTYPE, and nothing moves, when either key holds
// another type).
void lmove_generic(Client& c, std::string_view src, std::string_view dst, Where wherefrom,
                   Where whereto) {
  KeyEntry* se = lookup_write_or_reply(c, src, Type::List, IfMissing::Null);
  if (!se) return;
  List* sl = as_list(se->val);
  KeyEntry* de = lookup_write(*c.db, dst);
  if (wrong_type(c, de, Type::List)) return;
  // Pop (a copy: pushing may move the bytes, even within the same list).
  std::string scratch;
  std::string value(list_index(sl, wherefrom == kHead ? 0 : sl->count - 1, &scratch));
  list_del_end(sl, 1, wherefrom);
  // Push to the destination (created if missing).
  if (!de) de = db_add(*c.db, dst, make_list_value());
  list_push(as_list(de->val), value, whereto);
  key_changed(c, dst, kNotifyList, whereto == kHead ? "lpush" : "rpush", 0);
  c.reply().bulk(value);
  // The source: events and deletion when empty.  db_add may have rehashed, but entries do not
  // move, so `se` is still valid.  One move is one change for the dirty counter.
  key_changed(c, src, kNotifyList, wherefrom == kHead ? "lpop" : "rpop");
  if (sl->count == 0) {
    db_delete_entry(*c.db, se);
    notify_keyspace_event(kNotifyGeneric, "del", src, c.db->id);
  }
}

void lmove_command(Client& c) {
  Where from, to;
  if (!get_where(c, c.argv[3], &from) || !get_where(c, c.argv[4], &to)) return;
  lmove_generic(c, c.argv[1], c.argv[2], from, to);
}

void rpoplpush_command(Client& c) { lmove_generic(c, c.argv[1], c.argv[2], kTail, kHead); }

void blocking_pop_generic(Client& c, std::span<const std::string_view> keys, Where where,
                          std::string_view timeout, long long count);

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP (`block`) with the timeout
// before numkeys: argv[numkeys_idx] is numkeys.
void lmpop_generic(Client& c, size_t numkeys_idx, bool block) {
  long long numkeys;
  if (!get_range(c, c.argv[numkeys_idx], 1, LLONG_MAX, &numkeys,
                 "ERR numkeys should be greater than 0"))
    return;
  size_t argc = c.argv.size();
  // where_idx = numkeys_idx + numkeys + 1, compared without overflow.
  if ((unsigned long long)numkeys >= argc - numkeys_idx - 1) {
    reply_syntax_error(c);
    return;
  }
  size_t where_idx = numkeys_idx + size_t(numkeys) + 1;
  Where where;
  if (!get_where(c, c.argv[where_idx], &where)) return;
  long long count = -1;
  for (size_t j = where_idx + 1; j < argc; j++) {
    size_t moreargs = argc - 1 - j;
    if (count == -1 && eq_nocase(c.argv[j], "count") && moreargs) {
      j++;
      if (!get_range(c, c.argv[j], 1, LLONG_MAX, &count, "ERR count should be greater than 0"))
        return;
    } else {
      reply_syntax_error(c);
      return;
    }
  }
  if (count == -1) count = 1;
  if (block) {
    blocking_pop_generic(c, std::span(c.argv).subspan(numkeys_idx + 1, size_t(numkeys)), where,
                         c.argv[1], count);
    return;
  }
  for (size_t j = numkeys_idx + 1; j < where_idx; j++) {
    KeyEntry* e = lookup_write(*c.db, c.argv[j]);
    if (wrong_type(c, e, Type::List)) return;
    if (!e || as_list(e->val)->count == 0) continue;
    pop_range_with_key(c, e, c.argv[j], where, count);
    return;
  }
  c.reply().null_array();
}

void lmpop_command(Client& c) { lmpop_generic(c, 1, false); }

// ---- Blocking commands ----
//
// When a key has data they run like their non-blocking twin and the AOF logs that twin
// (Client::prop): LPOP/RPOP key, LPOP/RPOP key n for BLMPOP (n: what was popped), LMOVE or
// RPOPLPUSH.  Otherwise they block (blocked.h), or inside MULTI reply what a timeout replies.

const char* pop_name(Where where) { return where == kHead ? "LPOP" : "RPOP"; }
const char* end_name(Where where) { return where == kHead ? "LEFT" : "RIGHT"; }

// BLPOP/BRPOP (count -1: replies [key, element]) and BLMPOP (count > 0: [key, [elements]])
// take their data from the non-empty list `e` at `key`, at once or when served; c.prop gets the
// non-blocking pop that the AOF logs.
void pop_for_waiter(Client& c, KeyEntry* e, std::string_view key, Where where, long long count) {
  if (count != -1) {
    long long n = std::min(count, (long long)as_list(e->val)->count);
    c.prop = {{pop_name(where), std::string(key), std::to_string(n)}};
    pop_range_with_key(c, e, key, where, count);
    return;
  }
  c.prop = {{pop_name(where), std::string(key)}};
  c.reply().array(2);
  c.reply().bulk(key);
  pop_one(c, e, key, where);
}

// Serves a client blocked by one of the commands below from `key`, a list in its database
// (blocked.cpp's BlockState::serve).  The reply is what the command replies when the data was
// there at once, except that BLMOVE/BRPOPLPUSH log LEFT/RIGHT in capitals.
void serve_blocked_list(Client& c, std::string_view key) {
  const BlockState& b = *c.bpop;
  Where from = Where(b.wherefrom);
  KeyEntry* e = c.db->keys.find(key);
  if (b.has_target) {
    static const Command* const brpoplpush_cmd = lookup_command("brpoplpush");
    if (b.cmd == brpoplpush_cmd)
      c.prop = {{"RPOPLPUSH", std::string(key), b.target}};
    else
      c.prop = {{"LMOVE", std::string(key), b.target, end_name(from), end_name(Where(b.whereto))}};
    lmove_generic(c, key, b.target, from, Where(b.whereto));  // WRONGTYPE for a bad target
    return;
  }
  pop_for_waiter(c, e, key, from, b.count);
}

// A wait for a list, to be served from its `from` end by serve_blocked_list; the caller adds
// the keys and the command's other arguments.
std::unique_ptr<BlockState> list_wait(int64_t deadline_ms, Where from) {
  auto b = std::make_unique<BlockState>();
  b->type = Type::List;
  b->deadline_ms = deadline_ms;
  b->serve = serve_blocked_list;
  b->wherefrom = from;
  return b;
}

// BLPOP/BRPOP (count -1: the reply is [key, element]) and BLMPOP (count > 0: [key, [elements]])
// over `keys`, which are views into c.argv; `timeout` is the timeout argument.
void blocking_pop_generic(Client& c, std::span<const std::string_view> keys, Where where,
                          std::string_view timeout, long long count) {
  int64_t deadline;
  if (!parse_block_timeout(c, timeout, &deadline)) return;
  for (std::string_view key : keys) {
    KeyEntry* e = lookup_write(*c.db, key);
    if (!e) continue;
    if (wrong_type(c, e, Type::List)) return;
    if (as_list(e->val)->count == 0) continue;
    pop_for_waiter(c, e, key, where, count);
    return;
  }
  if (!may_block(c)) {
    c.reply().null_array();
    return;
  }
  std::unique_ptr<BlockState> b = list_wait(deadline, where);
  b->keys.assign(keys.begin(), keys.end());
  b->count = count;
  block_for_keys(c, std::move(b));
}

void blpop_command(Client& c) {
  std::span<const std::string_view> argv(c.argv);
  blocking_pop_generic(c, argv.subspan(1, argv.size() - 2), kHead, argv.back(), -1);
}

void brpop_command(Client& c) {
  std::span<const std::string_view> argv(c.argv);
  blocking_pop_generic(c, argv.subspan(1, argv.size() - 2), kTail, argv.back(), -1);
}

void blmpop_command(Client& c) { lmpop_generic(c, 2, true); }

// BLMOVE/BRPOPLPUSH: argv[1] is the source, argv[2] the destination.
void blmove_generic(Client& c, Where from, Where to, std::string_view timeout) {
  int64_t deadline;
  if (!parse_block_timeout(c, timeout, &deadline)) return;
  std::string_view src = c.argv[1], dst = c.argv[2];
  KeyEntry* e = lookup_write(*c.db, src);
  if (wrong_type(c, e, Type::List)) return;
  if (e) {
    if (c.argv.size() == 4)
      c.prop = {{"RPOPLPUSH", std::string(src), std::string(dst)}};
    else
      c.prop = {{"LMOVE", std::string(src), std::string(dst), std::string(c.argv[3]),
                 std::string(c.argv[4])}};
    lmove_generic(c, src, dst, from, to);
    return;
  }
  if (!may_block(c)) {
    c.reply().null();
    return;
  }
  std::unique_ptr<BlockState> b = list_wait(deadline, from);
  b->keys.emplace_back(src);
  b->has_target = true;
  b->target = dst;
  b->whereto = to;
  block_for_keys(c, std::move(b));
}

void blmove_command(Client& c) {
  Where from, to;
  if (!get_where(c, c.argv[3], &from) || !get_where(c, c.argv[4], &to)) return;
  blmove_generic(c, from, to, c.argv[5]);
}

void brpoplpush_command(Client& c) { blmove_generic(c, kTail, kHead, c.argv[3]); }

Command kCommands[] = {
    {.name = "lpush", .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = lpush_command},
    {.name = "rpush", .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = rpush_command},
    {.name = "lpushx", .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = lpushx_command},
    {.name = "rpushx", .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .keys = {1, 1, 1},
     .proc = rpushx_command},
    {.name = "linsert", .arity = 5, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = linsert_command},
    {.name = "lpop", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = lpop_command},
    {.name = "rpop", .arity = -2, .flags = kCmdWrite | kCmdFast, .keys = {1, 1, 1},
     .proc = rpop_command},
    {.name = "llen", .arity = 2, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
     .proc = llen_command},
    {.name = "lindex", .arity = 3, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = lindex_command},
    {.name = "lset", .arity = 4, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 1, 1},
     .proc = lset_command},
    {.name = "lrange", .arity = 4, .flags = kCmdReadonly, .keys = {1, 1, 1},
     .proc = lrange_command},
    {.name = "ltrim", .arity = 4, .flags = kCmdWrite, .keys = {1, 1, 1}, .proc = ltrim_command},
    {.name = "lpos", .arity = -3, .flags = kCmdReadonly, .keys = {1, 1, 1}, .proc = lpos_command},
    {.name = "lrem", .arity = 4, .flags = kCmdWrite, .keys = {1, 1, 1}, .proc = lrem_command},
    {.name = "rpoplpush", .arity = 3, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 2, 1},
     .proc = rpoplpush_command},
    {.name = "lmove", .arity = 5, .flags = kCmdWrite | kCmdDenyOom, .keys = {1, 2, 1},
     .proc = lmove_command},
    {.name = "lmpop", .arity = -4, .flags = kCmdWrite, .proc = lmpop_command},
    {.name = "blpop", .arity = -3, .flags = kCmdWrite | kCmdBlocking, .keys = {1, -2, 1},
     .proc = blpop_command},
    {.name = "brpop", .arity = -3, .flags = kCmdWrite | kCmdBlocking, .keys = {1, -2, 1},
     .proc = brpop_command},
    {.name = "brpoplpush", .arity = 4, .flags = kCmdWrite | kCmdDenyOom | kCmdBlocking,
     .keys = {1, 2, 1}, .proc = brpoplpush_command},
    {.name = "blmove", .arity = 6, .flags = kCmdWrite | kCmdDenyOom | kCmdBlocking,
     .keys = {1, 2, 1}, .proc = blmove_command},
    {.name = "blmpop", .arity = -5, .flags = kCmdWrite | kCmdBlocking, .proc = blmpop_command},
};

}  // namespace

std::span<Command> list_commands() { return kCommands; }

void list_free(Robj& v) {
  if (v.ptr) list_destroy(as_list(v));
  v.ptr = nullptr;
}

Robj list_dup(const Robj& v) {
  const List* src = as_list(v);
  Robj out = make_list_value();
  List* dst = as_list(out);
  dst->count = src->count;
  dst->nodes.reserve(src->nodes.size());
  dst->depth = src->depth;
  for (const ListNode* n : src->nodes) {  // a compressed node is copied as it is
    ListNode* m = node_new(round16(n->used()));
    m->count = n->count;
    m->raw_len = n->raw_len;
    m->tried = n->tried;
    m->head = 0;
    m->tail = n->used();
    std::memcpy(m->data, n->data + n->head, n->used());
    dst->nodes.push_back(m);
  }
  return out;
}

Robj list_new_value() { return make_list_value(); }

void list_push_back(Robj& v, std::string_view s) { list_push(as_list(v), s, kTail); }

size_t list_length(const Robj& v) { return as_list(v)->count; }

void list_for_each(const Robj& v, const std::function<void(std::string_view)>& fn) {
  const List* l = as_list(v);
  if (l->count == 0) return;
  FwdIter it(l, 0);
  std::string_view e;
  while (it.next(&e)) fn(e);
}

size_t list_mem(const Robj& v) {
  const List* l = as_list(v);
  size_t n = sizeof(List) + l->nodes.capacity() * sizeof(ListNode*);
  for (const ListNode* node : l->nodes) n += sizeof(ListNode) + node->cap;
  return n;
}

}  // namespace sc::broker
