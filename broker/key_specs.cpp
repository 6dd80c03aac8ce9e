// Redis 7.0.15's key specs of the commands sc-broker has (src/commands/*.json: flags,
// begin_search, find_keys, notes, and the commands whose keys Redis also finds with a function
// of their own), and the search COMMAND GETKEYS runs over them.  See key_specs.h.
#include "key_specs.h"

#include <cstdlib>
#include <deque>
#include <string>
#include <unordered_map>

#include "log.h"
#include "resp.h"
#include "server.h"

namespace sc::broker {

namespace {

// ---- Redis's own key finders (db.c), for when the specs cannot answer ----

// Redis reads the count of these with atoi(), which is laxer than the specs' parser: leading
// blanks, a sign and trailing junk pass ("2abc" is 2).
int lax_int(std::string_view s) { return int(std::strtol(std::string(s).c_str(), nullptr, 10)); }

// `count_at` holds the number of keys, which follow each other from `first_at`; no key at all
// when the count is below 1 or more than the arguments left (Redis's genericGetKeys).  The keys
// have no flags: Redis leaves them empty on this path.
bool numkeys_getkeys(std::span<const std::string_view> argv, int count_at, int first_at,
                     std::vector<KeyRef>* out) {
  int argc = int(argv.size());
  int num = lax_int(argv[size_t(count_at)]);
  if (num < 1 || num > argc - first_at) return false;
  for (int i = 0; i < num; i++) out->push_back({first_at + i, 0});
  return true;
}
bool lmpop_getkeys(std::span<const std::string_view> argv, std::vector<KeyRef>* out) {
  return numkeys_getkeys(argv, 1, 2, out);
}
bool sintercard_getkeys(std::span<const std::string_view> argv, std::vector<KeyRef>* out) {
  return numkeys_getkeys(argv, 1, 2, out);
}
bool blmpop_getkeys(std::span<const std::string_view> argv, std::vector<KeyRef>* out) {
  return numkeys_getkeys(argv, 2, 3, out);
}

// SET reads its key only with the GET option.
bool set_getkeys(std::span<const std::string_view> argv, std::vector<KeyRef>* out) {
  uint16_t flags = kKeyOW | kKeyUpdate;
  for (size_t i = 3; i < argv.size(); i++)
    if (eq_nocase(argv[i], "get")) {
      flags = kKeyRW | kKeyAccess | kKeyUpdate;
      break;
    }
  out->push_back({1, flags});
  return true;
}

// BITFIELD is read only when every operation is a GET (OVERFLOW aside); a malformed operation
// counts as a write.
bool bitfield_getkeys(std::span<const std::string_view> argv, std::vector<KeyRef>* out) {
  bool readonly = true;
  int argc = int(argv.size());
  for (int i = 2; i < argc; i++) {
    int left = argc - i - 1;
    std::string_view op = argv[size_t(i)];
    if (eq_nocase(op, "get") && left >= 2) {
      i += 2;
    } else if (eq_nocase(op, "overflow") && left >= 1) {
      i += 1;
    } else {  // SET or INCRBY with their arguments, or a syntax error
      readonly = false;
      break;
    }
  }
  out->push_back({1, uint16_t(readonly ? kKeyRO | kKeyAccess : kKeyRW | kKeyAccess | kKeyUpdate)});
  return true;
}

// ---- The specs, by full command name ----

struct Entry {
  const char* name;  // full name: "memory|usage"
  KeyRule rules[2];  // one or two specs (no broker command has more; grow it if one does)
  GetKeysProc getkeys = nullptr;
};

// From Redis 7.0.15's src/commands/*.json, for every broker command with keys and the blocking
// list commands; tests/integration/broker_getkeys.py compares them with redis-server.
const Entry kEntries[] = {
    {"append", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"bitcount", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"bitfield",
     {range(kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags, 1, 0)
          .with_notes("This command allows both access and modification of the key")},
     bitfield_getkeys},
    {"bitfield_ro", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"bitop", {range(kKeyOW | kKeyUpdate, 2, 0), range(kKeyRO | kKeyAccess, 3, -1)}},
    {"bitpos", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"blmove", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyRW | kKeyInsert, 2, 0)}},
    {"blmpop", {keynum(kKeyRW | kKeyAccess | kKeyDelete, 2, 0, 1, 1)}, blmpop_getkeys},
    {"blpop", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, -2)}},
    {"brpop", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, -2)}},
    {"brpoplpush",
     {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyRW | kKeyInsert, 2, 0)}},
    {"copy", {range(kKeyRO | kKeyAccess, 1, 0), range(kKeyOW | kKeyUpdate, 2, 0)}},
    {"decr", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"decrby", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"del", {range(kKeyRM | kKeyDelete, 1, -1)}},
    {"exists", {range(kKeyRO, 1, -1)}},
    {"expire", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"expireat", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"expiretime", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"get", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"getbit", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"getdel", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0)}},
    {"getex",
     {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)
          .with_notes("RW and UPDATE because it changes the TTL")}},
    {"getrange", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"getset", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"hdel", {range(kKeyRW | kKeyDelete, 1, 0)}},
    {"hexists", {range(kKeyRO, 1, 0)}},
    {"hget", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"hgetall", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"hincrby", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"hincrbyfloat", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"hkeys", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"hlen", {range(kKeyRO, 1, 0)}},
    {"hmget", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"hmset", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"hrandfield", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"hscan", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"hset", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"hsetnx", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"hstrlen", {range(kKeyRO, 1, 0)}},
    {"hvals", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"incr", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"incrby", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"incrbyfloat", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"lcs", {range(kKeyRO | kKeyAccess, 1, 1)}},
    {"lindex", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"linsert", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"llen", {range(kKeyRO, 1, 0)}},
    {"lmove", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyRW | kKeyInsert, 2, 0)}},
    {"lmpop", {keynum(kKeyRW | kKeyAccess | kKeyDelete, 1, 0, 1, 1)}, lmpop_getkeys},
    {"lpop", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0)}},
    {"lpos", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"lpush", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"lpushx", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"lrange", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"lrem", {range(kKeyRW | kKeyDelete, 1, 0)}},
    {"lset", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"ltrim", {range(kKeyRW | kKeyDelete, 1, 0)}},
    {"memory|usage", {range(kKeyRO, 2, 0)}},
    {"mget", {range(kKeyRO | kKeyAccess, 1, -1)}},
    {"move", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"mset", {range(kKeyOW | kKeyUpdate, 1, -1, 2)}},
    {"msetnx", {range(kKeyOW | kKeyInsert, 1, -1, 2)}},
    {"object|encoding", {range(kKeyRO, 2, 0)}},
    {"object|freq", {range(kKeyRO, 2, 0)}},
    {"object|idletime", {range(kKeyRO, 2, 0)}},
    {"object|refcount", {range(kKeyRO, 2, 0)}},
    {"persist", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"pexpire", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"pexpireat", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"pexpiretime", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"psetex", {range(kKeyOW | kKeyUpdate, 1, 0)}},
    {"pttl", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"rename", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyOW | kKeyUpdate, 2, 0)}},
    {"renamenx", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyOW | kKeyInsert, 2, 0)}},
    {"rpop", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0)}},
    {"rpoplpush",
     {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyRW | kKeyInsert, 2, 0)}},
    {"rpush", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"rpushx", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"sadd", {range(kKeyRW | kKeyInsert, 1, 0)}},
    {"scard", {range(kKeyRO, 1, 0)}},
    {"sdiff", {range(kKeyRO | kKeyAccess, 1, -1)}},
    {"sdiffstore", {range(kKeyOW | kKeyUpdate, 1, 0), range(kKeyRO | kKeyAccess, 2, -1)}},
    {"set",
     {range(kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags, 1, 0)
          .with_notes("RW and ACCESS due to the optional `GET` argument")},
     set_getkeys},
    {"setbit", {range(kKeyRW | kKeyAccess | kKeyUpdate, 1, 0)}},
    {"setex", {range(kKeyOW | kKeyUpdate, 1, 0)}},
    {"setnx", {range(kKeyOW | kKeyInsert, 1, 0)}},
    {"setrange", {range(kKeyRW | kKeyUpdate, 1, 0)}},
    {"sinter", {range(kKeyRO | kKeyAccess, 1, -1)}},
    {"sintercard", {keynum(kKeyRO | kKeyAccess, 1, 0, 1, 1)}, sintercard_getkeys},
    {"sinterstore", {range(kKeyRW | kKeyUpdate, 1, 0), range(kKeyRO | kKeyAccess, 2, -1)}},
    {"sismember", {range(kKeyRO, 1, 0)}},
    {"smembers", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"smismember", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"smove", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0), range(kKeyRW | kKeyInsert, 2, 0)}},
    {"spop", {range(kKeyRW | kKeyAccess | kKeyDelete, 1, 0)}},
    {"srandmember", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"srem", {range(kKeyRW | kKeyDelete, 1, 0)}},
    {"sscan", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"strlen", {range(kKeyRO, 1, 0)}},
    {"substr", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"sunion", {range(kKeyRO | kKeyAccess, 1, -1)}},
    {"sunionstore", {range(kKeyOW | kKeyUpdate, 1, 0), range(kKeyRO | kKeyAccess, 2, -1)}},
    {"touch", {range(kKeyRO, 1, -1)}},
    {"ttl", {range(kKeyRO | kKeyAccess, 1, 0)}},
    {"type", {range(kKeyRO, 1, 0)}},
    {"unlink", {range(kKeyRM | kKeyDelete, 1, -1)}},
    {"watch", {range(kKeyRO, 1, -1)}},
};

size_t rule_count(const Entry& e) { return e.rules[1].flags ? 2 : 1; }

// The specs of every command, made once by key_specs_attach() and never moved.
std::deque<KeySpecs>& all_specs() {
  static std::deque<KeySpecs> d;
  return d;
}
std::deque<KeyRule>& legacy_rules() {
  static std::deque<KeyRule> d;
  return d;
}
const KeySpecs kNoKeys;

void attach(Command& cmd, const std::unordered_map<std::string_view, const Entry*>& by_name) {
  KeySpecs specs;
  if (auto it = by_name.find(cmd.fullname); it != by_name.end()) {
    const Entry& e = *it->second;
    specs = {std::span<const KeyRule>(e.rules, rule_count(e)), e.getkeys};
    LegacyRange r = legacy_range(specs);
    if (r.first != cmd.keys.first || r.last != cmd.keys.last || r.step != cmd.keys.step)
      SC_LOG(Warning, "command %s: .keys {%d, %d, %d} is not {%d, %d, %d} of its key specs",
             cmd.fullname.c_str(), cmd.keys.first, cmd.keys.last, cmd.keys.step, r.first, r.last,
             r.step);
  } else if (cmd.keys.first > 0) {
    // Declared by its range only: what Redis gives a module command declared that way.
    int lastkey = cmd.keys.last < 0 ? cmd.keys.last : cmd.keys.last - cmd.keys.first;
    legacy_rules().push_back(range(kKeyRW | kKeyAccess | kKeyUpdate | kKeyInsert | kKeyDelete,
                                   cmd.keys.first, lastkey, cmd.keys.step));
    specs.rules = std::span<const KeyRule>(&legacy_rules().back(), 1);
  } else {
    cmd.keys.specs = &kNoKeys;
    return;
  }
  all_specs().push_back(specs);
  cmd.keys.specs = &all_specs().back();
}

// A spec's keys (Redis's getKeysUsingKeySpecs for one spec): true and appended, or false when
// the arguments do not fit it.  A keyword that is absent finds nothing and is no error.
bool spec_keys(const KeyRule& r, std::span<const std::string_view> argv, std::vector<KeyRef>* out) {
  int argc = int(argv.size());
  int first = 0;
  if (!r.keyword) {
    first = r.index;
  } else {
    int start = r.startfrom > 0 ? r.startfrom : argc + r.startfrom;
    int end = r.startfrom > 0 ? argc - 1 : 1;
    for (int i = start; i != end; i += start <= end ? 1 : -1) {
      if (i >= argc || i < 1) break;
      if (eq_nocase(argv[size_t(i)], r.keyword)) {
        first = i + 1;
        break;
      }
    }
    if (!first) return true;
  }
  int last;
  if (!r.by_keynum) {
    if (r.lastkey >= 0)
      last = first + r.lastkey;
    else if (!r.limit)
      last = argc + r.lastkey;
    else
      last = first + ((argc - first) / r.limit + r.lastkey);
  } else {
    long long n;
    if (r.keynumidx >= argc || first + r.keynumidx >= argc ||
        !resp::parse_ll(argv[size_t(first + r.keynumidx)], &n) || n < 0)
      return false;
    first += r.firstkey;
    // Redis adds the count narrowed to int in int arithmetic, which wraps; the same without
    // signed overflow: add in 64 bits, then narrow.
    last = int(uint32_t(uint64_t(first) + uint64_t(int(n)) - 1));
  }
  if (last >= argc || last < first || first >= argc) return false;
  for (int i = first; i <= last; i += r.keystep) out->push_back({i, r.flags});
  return !(r.flags & kKeyIncomplete);
}

}  // namespace

const KeySpecs& key_specs_of(const Command& cmd) {
  return cmd.keys.specs ? *cmd.keys.specs : kNoKeys;
}

void key_specs_attach(std::span<Command> table) {
  static const auto by_name = [] {
    std::unordered_map<std::string_view, const Entry*> m;
    for (const Entry& e : kEntries) m[e.name] = &e;
    return m;
  }();
  for (Command& cmd : table) {
    attach(cmd, by_name);
    if (cmd.subcommands)
      for (Command* s = const_cast<Command*>(cmd.subcommands); s->name; s++) attach(*s, by_name);
  }
}

LegacyRange legacy_range(const KeySpecs& specs) {
  LegacyRange out;
  auto plain = [](const KeyRule& r) { return !r.keyword && !r.by_keynum; };
  if (specs.rules.empty()) return out;
  if (specs.rules.size() == 1 && plain(specs.rules[0])) {
    const KeyRule& r = specs.rules[0];
    out.first = r.index;
    out.last = r.lastkey >= 0 ? r.index + r.lastkey : r.lastkey;
    out.step = r.keystep;
    out.movable = (r.flags & kKeyIncomplete) != 0;
    return out;
  }
  // Several specs: the plain ones with step 1 that follow each other make one range; any other
  // spec makes the keys movable.
  int first = INT32_MAX;
  unsigned last = 0;  // unsigned, as Redis compares them: a "from the end" last wins
  unsigned prev_last = 0;
  for (const KeyRule& r : specs.rules) {
    if (!plain(r) || r.keystep != 1 || (prev_last && prev_last != unsigned(r.index - 1))) {
      out.movable = true;
      continue;
    }
    if (r.flags & kKeyIncomplete) out.movable = true;
    first = std::min(first, r.index);
    int abs_last = r.lastkey >= 0 ? r.index + r.lastkey : r.lastkey;
    last = std::max(last, unsigned(abs_last));
    prev_last = last;
  }
  if (first == INT32_MAX) {
    out.movable = true;
    return out;
  }
  out.first = first;
  out.last = int(last);
  out.step = 1;
  return out;
}

bool get_keys(const KeySpecs& specs, std::span<const std::string_view> argv,
              std::vector<KeyRef>* out) {
  bool has_key = false, variable = false;
  for (const KeyRule& r : specs.rules) {
    if (!(r.flags & kKeyNotKey)) has_key = true;
    if (r.flags & kKeyVariableFlags) variable = true;
  }
  out->clear();
  if (has_key && !variable) {
    bool fits = true;
    for (const KeyRule& r : specs.rules)
      if (!(r.flags & kKeyNotKey) && !spec_keys(r, argv, out)) {
        fits = false;
        break;
      }
    if (fits) return !out->empty();
    out->clear();  // Redis then asks the command's own finder
  }
  return specs.getkeys && specs.getkeys(argv, out);
}

std::vector<const char*> key_flag_names(uint16_t flags) {
  static const std::pair<uint16_t, const char*> kNames[] = {
      {kKeyRO, "RO"},
      {kKeyRW, "RW"},
      {kKeyOW, "OW"},
      {kKeyRM, "RM"},
      {kKeyAccess, "access"},
      {kKeyUpdate, "update"},
      {kKeyInsert, "insert"},
      {kKeyDelete, "delete"},
      {kKeyNotKey, "not_key"},
      {kKeyIncomplete, "incomplete"},
      {kKeyVariableFlags, "variable_flags"},
  };
  std::vector<const char*> v;
  for (auto [bit, name] : kNames)
    if (flags & bit) v.push_back(name);
  return v;
}

}  // namespace sc::broker
