// The keyspace: lookups with lazy expiry, adds, overwrites, deletes, TTLs and the active
// expiry sweep.
#include <climits>
#include <cstdlib>
#include <cstring>

#include "aof.h"
#include "blocked.h"
#include "log.h"
#include "server.h"

namespace sc::broker {

// A key's fixed cost: chain link, value header (with the access clock in its padding),
// expire time, its slot in Db::expiring and the key length.  INFO used_memory per key follows it.
static_assert(sizeof(KeyEntry) == 40);

static KeyEntry* entry_new(std::string_view key, Robj v) {
  auto* e = static_cast<KeyEntry*>(std::malloc(sizeof(KeyEntry) + key.size()));
  if (!e) std::abort();
  e->next = nullptr;
  e->val = v;
  e->val.lru = srv().lru_clock;
  e->expire = -1;
  e->exp_idx = 0;
  e->klen = uint32_t(key.size());
  std::memcpy(e->key, key.data(), key.size());
  return e;
}

static void entry_free(KeyEntry* e) {
  value_free(e->val);
  std::free(e);
}

static void expiring_remove(Db& db, KeyEntry* e) {
  uint32_t i = e->exp_idx;
  KeyEntry* last = db.expiring.back();
  db.expiring[i] = last;
  last->exp_idx = i;
  db.expiring.pop_back();
  e->expire = -1;
}

void set_expire(Db& db, KeyEntry* e, int64_t when_ms) {
  if (e->expire < 0) {
    e->exp_idx = uint32_t(db.expiring.size());
    db.expiring.push_back(e);
  }
  e->expire = when_ms;
}

bool remove_expire(Db& db, KeyEntry* e) {
  if (e->expire < 0) return false;
  expiring_remove(db, e);
  return true;
}

void db_delete_entry(Db& db, KeyEntry* e) {
  if (e->expire >= 0) expiring_remove(db, e);
  KeyEntry* u = db.keys.unlink(e->key_view());
  SC_ASSERT(u == e);
  entry_free(e);
}

static void delete_expired(Db& db, KeyEntry* e) {
  std::string key(e->key_view());
  db_delete_entry(db, e);
  aof_log(db.id, {"DEL", key});
  srv().stats.expired_keys++;
  // Not a change of the dataset in the dirty counter's sense (Redis counts none for expiries);
  // the DEL above is what the AOF needs, so the command that met the key is not logged for it.
  notify_keyspace_event(kNotifyExpired, "expired", key, db.id);
  signal_modified_key(db, key);
}

bool expire_if_needed(Db& db, KeyEntry* e) {
  if (e->expire < 0 || e->expire > cmd_time_ms()) return false;
  delete_expired(db, e);
  return true;
}

// The live entry of `key`, without touching it.
static inline KeyEntry* lookup(Db& db, std::string_view key) {
  KeyEntry* e = db.keys.find(key);
  if (e && expire_if_needed(db, e)) return nullptr;
  return e;
}

static inline void count_lookup(const KeyEntry* e) {
  if (e)
    srv().stats.keyspace_hits++;
  else
    srv().stats.keyspace_misses++;
}

KeyEntry* lookup_write(Db& db, std::string_view key) {
  KeyEntry* e = lookup(db, key);
  if (e) {
    const Server& s = srv();
    if (!s.fork_child) e->val.lru = s.lru_clock;
  }
  return e;
}

KeyEntry* lookup_read(Db& db, std::string_view key) {
  KeyEntry* e = lookup_write(db, key);
  count_lookup(e);
  return e;
}

KeyEntry* lookup_read_notouch(Db& db, std::string_view key) {
  KeyEntry* e = lookup(db, key);
  count_lookup(e);
  return e;
}

long long key_idle_seconds(const KeyEntry* e) {
  return (srv().lru_clock - e->val.lru) & kLruClockMax;
}

// Redis's shared replies for a missing key.
static void reply_missing(Client& c, IfMissing missing) {
  resp::Writer& w = c.reply();
  switch (missing) {
    case IfMissing::Zero: return w.integer(0);
    case IfMissing::MinusOne: return w.integer(-1);
    case IfMissing::Null: return w.null();
    case IfMissing::NullArray: return w.null_array();
    case IfMissing::EmptyArray: return w.array(0);
    case IfMissing::EmptyMap: return w.map(0);
    case IfMissing::EmptySet: return w.set(0);
    case IfMissing::EmptyBulk: return w.bulk("");
    case IfMissing::EmptyScan: return w.raw("*2\r\n$1\r\n0\r\n*0\r\n");
    case IfMissing::Ok: return w.ok();
    case IfMissing::NoSuchKey: return reply_error(c, "ERR no such key");
  }
}

KeyEntry* lookup_read_or_reply(Client& c, std::string_view key, Type t, IfMissing missing) {
  KeyEntry* e = lookup_read(*c.db, key);
  if (wrong_type(c, e, t)) return nullptr;
  if (!e) reply_missing(c, missing);
  return e;
}

KeyEntry* lookup_write_or_reply(Client& c, std::string_view key, Type t, IfMissing missing) {
  KeyEntry* e = lookup_write(*c.db, key);
  if (wrong_type(c, e, t)) return nullptr;
  if (!e) reply_missing(c, missing);
  return e;
}

KeyEntry* db_add(Db& db, std::string_view key, Robj v) {
  KeyEntry* e = entry_new(key, v);
  db.keys.insert(e);
  signal_key_ready(db, key, v.type);
  notify_keyspace_event(kNotifyNew, "new", key, db.id);
  return e;
}

void db_overwrite(KeyEntry* e, Robj v) {
  value_free(e->val);
  e->val = v;
  e->val.lru = srv().lru_clock;
}

KeyEntry* db_set(Db& db, std::string_view key, Robj v, bool keep_ttl) {
  KeyEntry* e = lookup_write(db, key);
  if (!e) return db_add(db, key, v);
  db_overwrite(e, v);
  if (!keep_ttl) remove_expire(db, e);
  return e;
}

bool db_delete(Db& db, std::string_view key) {
  KeyEntry* e = lookup_write(db, key);
  if (!e) return false;
  db_delete_entry(db, e);
  return true;
}

void remove_members_command(Client& c, Type type, bool (*remove)(Robj&, std::string_view),
                            size_t (*len)(const Robj&), int klass, const char* event) {
  KeyEntry* e = lookup_write_or_reply(c, c.argv[1], type, IfMissing::Zero);
  if (!e) return;
  Db& db = *c.db;
  std::string_view key = c.argv[1];
  long long deleted = 0;
  bool emptied = false;
  for (size_t i = 2; i < c.argv.size(); i++) {
    if (!remove(e->val, c.argv[i])) continue;
    deleted++;
    if (len(e->val) == 0) {
      db_delete_entry(db, e);
      emptied = true;
      break;
    }
  }
  if (deleted) {
    key_changed(db, key, klass, event, deleted);
    if (emptied) notify_keyspace_event(kNotifyGeneric, "del", key, db.id);
  }
  c.reply().integer(deleted);
}

void length_command(Client& c, Type type, size_t (*len)(const Robj&)) {
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], type, IfMissing::Zero);
  if (e) c.reply().integer((long long)len(e->val));
}

size_t db_clear(Db& db) {
  size_t n = db.keys.size();
  db.keys.clear([](KeyEntry* e) { entry_free(e); });
  db.expiring.clear();
  db.expiring.shrink_to_fit();
  db.avg_ttl = 0;
  return n;
}

// Active expiry, after Redis's activeExpireCycle: per database, sample up to 20 keys with a
// TTL and delete the expired ones; repeat while more than 10% of a sample was expired, within a
// time budget (25% of a cron tick for the slow cycle, 1 ms for the fast one).
void active_expire_cycle(bool fast) {
  Server& s = srv();
  static int next_db = 0;
  const int64_t start = now_us();
  const int64_t budget_us = fast ? 1000 : (1000000 / s.cfg.hz) * 25 / 100;
  const size_t per_loop = 20 + size_t(20 * (s.cfg.active_expire_effort - 1) / 4);
  int ndb = int(s.dbs.size());
  for (int j = 0; j < ndb; j++) {
    Db& db = s.dbs[size_t(next_db)];
    next_db = (next_db + 1) % ndb;
    for (int iteration = 0;; iteration++) {
      if (db.expiring.empty()) break;
      s.cmd_time_ms = now_ms();
      size_t sampled = 0, expired = 0;
      // A sum of deadlines near LLONG_MAX overflows a long long: the average is taken in double.
      double ttl_sum = 0;
      long long ttl_samples = 0;
      size_t n = std::min(per_loop, db.expiring.size());
      for (size_t k = 0; k < n && !db.expiring.empty(); k++) {
        KeyEntry* e = db.expiring[size_t(rand64() % db.expiring.size())];
        sampled++;
        if (e->expire <= s.cmd_time_ms) {
          delete_expired(db, e);
          expired++;
        } else {
          ttl_sum += double(e->expire - s.cmd_time_ms);
          ttl_samples++;
        }
      }
      if (ttl_samples) {
        double mean = ttl_sum / double(ttl_samples);
        long long avg = mean >= 9.2e18 ? LLONG_MAX : (long long)mean;
        db.avg_ttl = db.avg_ttl ? (db.avg_ttl / 50) * 49 + avg / 50 : avg;
      }
      if ((iteration & 15) == 0 && now_us() - start > budget_us) {
        s.cmd_time_ms = 0;
        return;
      }
      if (sampled == 0 || expired * 10 <= sampled) break;
    }
    s.cmd_time_ms = 0;
    if (now_us() - start > budget_us) return;
  }
}

}  // namespace sc::broker
