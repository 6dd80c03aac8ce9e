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

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_insert_find_unlink),
      cmocka_unit_test(test_scan_while_growing),
      cmocka_unit_test(test_scan_while_shrinking),
      cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
