// Dict: find/insert/unlink through incremental rehashing, and SCAN's guarantee: every element
// present for the whole scan is returned at least once, even while the table grows and shrinks.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
// clang-format off
extern "C" {
#include <cmocka.h>
}
// clang-format on

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dict.h"

namespace sc::broker {
uint64_t g_hash_seed = 0x1234567;
uint64_t g_rand_state = 42;
}  // namespace sc::broker

using sc::broker::Dict;

struct Node {
  Node* next = nullptr;
  std::string key;
};
struct Traits {
  static std::string_view key(const Node* n) { return n->key; }
};
using TestDict = Dict<Node, Traits>;

static Node* make(int i) {
  Node* n = new Node();
  n->key = "key:" + std::to_string(i);
  return n;
}

static void test_insert_find_unlink(void**) {
  TestDict d;
  for (int i = 0; i < 10000; i++) d.insert(make(i));
  assert_int_equal(d.size(), 10000);
  for (int i = 0; i < 10000; i++) assert_non_null(d.find("key:" + std::to_string(i)));
  assert_null(d.find("key:10000"));
  for (int i = 0; i < 10000; i += 2) delete d.unlink("key:" + std::to_string(i));
  assert_int_equal(d.size(), 5000);
  for (int i = 0; i < 10000; i++)
    assert_true((d.find("key:" + std::to_string(i)) != nullptr) == (i % 2 == 1));
  d.clear([](Node* n) { delete n; });
  assert_int_equal(d.size(), 0);
}

// Scans while inserting (forcing growth and rehashing) and deleting (then shrinking).
static void scan_under_churn(bool grow) {
  TestDict d;
  const int stable = 2000;
  for (int i = 0; i < stable; i++) d.insert(make(i));
  int next = 1000000;
  std::vector<int> extra;
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int rounds = 0;
  do {
    cursor = d.scan(cursor, [&](Node* n) { seen.insert(n->key); });
    // Churn between scan calls.
    if (grow) {
      for (int k = 0; k < 40 && extra.size() < 60000; k++) {
        d.insert(make(next));
        extra.push_back(next++);
      }
    } else if (!extra.empty() || rounds == 0) {
      if (rounds == 0)
        for (int k = 0; k < 20000; k++) {
          d.insert(make(next));
          extra.push_back(next++);
        }
      for (int k = 0; k < 400 && !extra.empty(); k++) {
        delete d.unlink("key:" + std::to_string(extra.back()));
        extra.pop_back();
      }
      d.shrink_if_needed();
    }
    d.rehash_step(3);
    rounds++;
  } while (cursor != 0 && rounds < 1000000);
  assert_int_equal(cursor, 0);
  for (int i = 0; i < stable; i++) assert_true(seen.count("key:" + std::to_string(i)) == 1);
  print_message("scan (%s): %d calls, %zu distinct keys seen, all %d stable keys returned\n",
                grow ? "growing" : "shrinking", rounds, seen.size(), stable);
  d.clear([](Node* n) { delete n; });
}

static void test_scan_while_growing(void**) { scan_under_churn(true); }
static void test_scan_while_shrinking(void**) { scan_under_churn(false); }

static void test_random(void**) {
  TestDict d;
  assert_null(d.random());
  for (int i = 0; i < 100; i++) d.insert(make(i));
  std::set<std::string> seen;
  for (int i = 0; i < 5000; i++) seen.insert(d.random()->key);
  assert_true(seen.size() > 90);  // every element is reachable
  d.clear([](Node* n) { delete n; });
}

// random() is uniform: Pearson's chi-square of 200 draws per element against the p = 1e-6
// quantile (df 999: 1226), after growth, deletions and a shrink, and while a rehash is under
// way.  The bucket-then-chain sampling it replaced gave about 20000 here.
static double chi_square_of_draws(TestDict& d, const std::vector<std::string>& keys, int per) {
  std::map<std::string, int> counts;
  for (auto& k : keys) counts[k] = 0;
  for (size_t i = 0; i < keys.size() * size_t(per); i++) {
    auto it = counts.find(d.random()->key);
    assert_true(it != counts.end());
    it->second++;
  }
  double x2 = 0;
  for (auto& [k, c] : counts) x2 += double(c - per) * double(c - per) / per;
  return x2;
}

static void test_random_uniform(void**) {
  TestDict d;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; i++) d.insert(make(i));
  for (int i = 1000; i < 3000; i++) delete d.unlink("key:" + std::to_string(i));
  for (int i = 0; i < 1000; i++) keys.push_back("key:" + std::to_string(i));
  double x2 = chi_square_of_draws(d, keys, 200);
  print_message("random: chi-square %.1f over 1000 elements (df 999, limit 1226), max chain "
                "%zu\n", x2, d.max_chain());
  assert_true(x2 < 1226);
  // Shrink (under 10% full) and sample while the rehash runs: random() moves one bucket per call.
  for (int i = 100; i < 1000; i++) delete d.unlink("key:" + std::to_string(i));
  keys.resize(100);
  d.shrink_if_needed();
  assert_true(d.rehashing());
  x2 = chi_square_of_draws(d, keys, 500);
  print_message("random during a shrink: chi-square %.1f over 100 elements (df 99, limit 181)\n",
                x2);
  assert_true(x2 < 181);
  d.clear([](Node* n) { delete n; });
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_insert_find_unlink),
      cmocka_unit_test(test_scan_while_growing),
      cmocka_unit_test(test_scan_while_shrinking),
      cmocka_unit_test(test_random),
      cmocka_unit_test(test_random_uniform),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
