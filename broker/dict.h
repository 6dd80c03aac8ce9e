// Dict: an intrusive chained hash table with incremental rehashing and Redis's reverse-binary
// SCAN cursor, so a SCAN that runs across a resize still returns every element that was present
// for the whole scan.  random() is uniform over the elements (HRANDFIELD, SRANDMEMBER, SPOP and
// RANDOMKEY rely on it), which needs an upper bound on chain length: see max_chain_.
//
// Node must have a `Node* next` member; Traits provides
//   static std::string_view key(const Node*)
// The dict never allocates or frees nodes: callers own them (insert takes ownership in the
// sense that the node is linked; unlink hands it back).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "hash.h"

namespace sc::broker {

template <class Node, class Traits>
class Dict {
 public:
  Dict() = default;
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  ~Dict() {
    std::free(t_[0].buckets);
    std::free(t_[1].buckets);
  }

  // Exchanges the contents (tables, rehash and pause state) of two dicts: SWAPDB.
  void swap(Dict& o) {
    std::swap(t_[0], o.t_[0]);
    std::swap(t_[1], o.t_[1]);
    std::swap(rehash_idx_, o.rehash_idx_);
    std::swap(pause_rehash_, o.pause_rehash_);
  }

  size_t size() const { return t_[0].used + t_[1].used; }
  size_t buckets() const { return t_[0].size + t_[1].size; }
  bool rehashing() const { return rehash_idx_ >= 0; }
  // Memory of the bucket arrays, for INFO.
  size_t overhead_bytes() const { return buckets() * sizeof(Node*); }

  Node* find(std::string_view key) {
    int t;
    Node** pp = link_of(key, &t);
    return pp ? *pp : nullptr;
  }

  // Links `n`, whose key must not be present.
  void insert(Node* n) {
    if (rehashing()) rehash_step(1);
    expand_if_needed();
    uint64_t h = hash_bytes(Traits::key(n));
    Table& t = rehashing() ? t_[1] : t_[0];
    Node*& head = t.buckets[h & t.mask];
    n->next = head;
    head = n;
    t.used++;
    note_chain(head, rehashing());
  }

  // Unlinks and returns the node with `key`, or nullptr.
  Node* unlink(std::string_view key) {
    int t;
    Node** pp = link_of(key, &t);
    if (!pp) return nullptr;
    Node* n = *pp;
    *pp = n->next;
    t_[t].used--;
    n->next = nullptr;
    return n;
  }

  // Replaces node `old` (linked) by `repl` with the same key, in place.
  void replace(Node* old, Node* repl) {
    uint64_t h = hash_bytes(Traits::key(old));
    for (int t = 0; t <= 1; t++) {
      if (t_[t].size == 0) continue;
      for (Node** pp = &t_[t].buckets[h & t_[t].mask]; *pp; pp = &(*pp)->next) {
        if (*pp == old) {
          repl->next = old->next;
          *pp = repl;
          old->next = nullptr;
          return;
        }
      }
    }
  }

  // Does up to `n` bucket moves of incremental rehashing.  Returns true if more remain.
  bool rehash_step(int n) {
    if (!rehashing() || pause_rehash_ > 0) return rehashing();
    int empty_visits = n * 10;
    while (n-- && t_[0].used != 0) {
      while (t_[0].buckets[rehash_idx_] == nullptr) {
        rehash_idx_++;
        if (--empty_visits == 0) return true;
      }
      Node* e = t_[0].buckets[rehash_idx_];
      while (e) {
        Node* next = e->next;
        uint64_t h = hash_bytes(Traits::key(e)) & t_[1].mask;
        e->next = t_[1].buckets[h];
        t_[1].buckets[h] = e;
        t_[0].used--;
        t_[1].used++;
        // Growing splits a chain, shrinking merges several: count the new one.
        note_chain(e, true);
        e = next;
      }
      t_[0].buckets[rehash_idx_] = nullptr;
      rehash_idx_++;
    }
    if (t_[0].used == 0) {
      std::free(t_[0].buckets);
      t_[0] = t_[1];
      t_[1] = Table{};
      rehash_idx_ = -1;
      max_chain_ = next_max_chain_;  // the old table's chains are gone
      return false;
    }
    return true;
  }

  // Starts shrinking when the table is under 10% full (called from the server's cron).
  void shrink_if_needed() {
    if (rehashing() || t_[0].size <= kInitialSize) return;
    if (t_[0].used * 10 < t_[0].size) resize(t_[0].used);
  }

  // SCAN: calls fn(Node*) for the elements of the buckets behind `cursor`; returns the next
  // cursor (0 when done).  Rehashing is paused while fn runs so fn may not insert or unlink.
  template <class F>
  uint64_t scan(uint64_t v, F&& fn) {
    if (size() == 0) return 0;
    pause_rehash_++;
    if (!rehashing()) {
      const Table& t = t_[0];
      emit_bucket(t, v & t.mask, fn);
      v |= ~t.mask;
      v = rev_increment(v);
    } else {
      const Table* small = &t_[0];
      const Table* big = &t_[1];
      if (small->size > big->size) std::swap(small, big);
      emit_bucket(*small, v & small->mask, fn);
      do {
        emit_bucket(*big, v & big->mask, fn);
        v |= ~big->mask;
        v = rev_increment(v);
      } while (v & (small->mask ^ big->mask));
    }
    pause_rehash_--;
    return v;
  }

  // Calls fn(Node*) for every node.  fn may unlink the node it is given, nothing else.
  template <class F>
  void for_each(F&& fn) {
    pause_rehash_++;
    for (int t = 0; t <= 1; t++) each_in_table(t, fn);
    pause_rehash_--;
  }

  // A uniformly random node (nullptr if empty).  Picking a random non-empty bucket and then a
  // random element of its chain (Redis's dictGetRandomKey) favours elements with short chains:
  // with 1000 elements, chi-square 20000 for df 999.  Instead, rejection sampling: pick a
  // bucket uniformly among all of them (those already moved by the rehash are empty) and a
  // position uniformly in [0, max_chain_); keep the element at that position if the chain has
  // one, else try again.  Every element then has the same chance 1 / (buckets * max_chain_)
  // per try.  Expected tries: buckets * max_chain_ / size, about 5 to 20 at the load factors
  // a table keeps (between 0.1 and 1, chains of a few elements).
  Node* random() {
    if (size() == 0) return nullptr;
    if (rehashing()) rehash_step(1);
    const size_t s0 = t_[0].size, s1 = rehashing() ? t_[1].size : 0;
    const size_t bound = max_chain_ ? max_chain_ : 1;
    for (;;) {
      size_t h = size_t(rand64() % (s0 + s1));
      Node* n;
      if (h < s0)
        n = rehashing() && h < size_t(rehash_idx_) ? nullptr : t_[0].buckets[h];
      else
        n = t_[1].buckets[h - s0];
      size_t pick = size_t(rand64() % bound);
      while (n && pick--) n = n->next;
      if (n) return n;
    }
  }

  // An upper bound on every chain's length: the longest chain seen since the table was last
  // resized (unlinking never lengthens one).
  size_t max_chain() const { return max_chain_; }

  // Unlinks every node, calling fn(Node*) on each (to free it), and frees the tables.
  template <class F>
  void clear(F&& fn) {
    for (int t = 0; t <= 1; t++) {
      each_in_table(t, fn);
      std::free(t_[t].buckets);
      t_[t] = Table{};
    }
    rehash_idx_ = -1;
    max_chain_ = 0;
  }

 private:
  // The link that points at the node with `key` (a bucket head or a node's next), in table
  // *table; nullptr when there is none.  Does a rehash step first, as every lookup does.
  Node** link_of(std::string_view key, int* table) {
    if (size() == 0) return nullptr;
    if (rehashing()) rehash_step(1);
    uint64_t h = hash_bytes(key);
    for (int t = 0; t <= 1; t++) {
      if (t_[t].size == 0) continue;
      for (Node** pp = &t_[t].buckets[h & t_[t].mask]; *pp; pp = &(*pp)->next) {
        if (Traits::key(*pp) == key) {
          *table = t;
          return pp;
        }
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // fn(Node*) on every node of table t, in bucket order; fn may unlink or free the node.
  template <class F>
  void each_in_table(int t, F& fn) {
    for (size_t i = 0; i < t_[t].size; i++) {
      Node* n = t_[t].buckets[i];
      while (n) {
        Node* next = n->next;
        fn(n);
        n = next;
      }
    }
  }

  static constexpr size_t kInitialSize = 4;
  struct Table {
    Node** buckets = nullptr;
    size_t size = 0;
    size_t mask = 0;
    size_t used = 0;
  };

  // Raises max_chain_ to the length of the chain that starts at `head`.  Called where a chain
  // grows (insert, rehash move); the walk touches nodes the caller just reached.
  // `in_new` says the chain is in the table being rehashed into, whose bound becomes max_chain_
  // when the rehash completes.
  void note_chain(const Node* head, bool in_new) {
    size_t len = 0;
    for (const Node* n = head; n; n = n->next) len++;
    if (len > max_chain_) max_chain_ = len;
    if (in_new && len > next_max_chain_) next_max_chain_ = len;
  }

  template <class F>
  static void emit_bucket(const Table& t, size_t idx, F& fn) {
    for (Node* n = t.buckets[idx]; n;) {
      Node* next = n->next;
      fn(n);
      n = next;
    }
  }

  static uint64_t rev_increment(uint64_t v) {
    v = __builtin_bitreverse64_compat(v);
    v++;
    return __builtin_bitreverse64_compat(v);
  }
  static uint64_t __builtin_bitreverse64_compat(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }

  void expand_if_needed() {
    if (rehashing()) return;
    if (t_[0].size == 0) {
      resize(kInitialSize);
      return;
    }
    // Load factor 1, or 5 while a fork is running (copy-on-write friendliness), like Redis.
    size_t ratio = resize_ratio_;
    if (t_[0].used >= t_[0].size * ratio) resize(t_[0].used + 1);
  }

  void resize(size_t want) {
    size_t s = kInitialSize;
    while (s < want) s <<= 1;
    if (rehashing() || s == t_[0].size) return;
    Table t;
    t.size = s;
    t.mask = s - 1;
    t.buckets = static_cast<Node**>(std::calloc(s, sizeof(Node*)));
    if (!t.buckets) std::abort();
    if (t_[0].size == 0) {
      t_[0] = t;
    } else {
      t_[1] = t;
      rehash_idx_ = 0;
      next_max_chain_ = 0;
    }
  }

 public:
  // 1 normally; a larger value delays growth while a child process shares pages.
  size_t resize_ratio_ = 1;

 private:
  Table t_[2];
  long rehash_idx_ = -1;
  int pause_rehash_ = 0;
  size_t max_chain_ = 0;       // >= every chain's length (see random()); reset by clear()
  size_t next_max_chain_ = 0;  // the same for t_[1] while rehashing
};

// Frees a dict whose nodes were allocated with malloc (hash and set nodes), nodes included.
template <class D>
void free_dict_and_nodes(D* d) {
  d->clear([](auto* n) { std::free(n); });
  delete d;
}

}  // namespace sc::broker
