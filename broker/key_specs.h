// Where a command's keys are and how it uses them, as Redis 7.0 describes it with "key specs"
// (COMMAND INFO's key-specs element, COMMAND GETKEYS, COMMAND GETKEYSANDFLAGS).
//
// A key spec finds keys in two steps: begin_search gives where to start (a fixed argv index, or
// just after a keyword looked up from some index), find_keys gives which arguments from there
// are keys (a range, or a count read from a numkeys argument).  Each spec carries flags that
// say how the command uses those keys (RO/RW/OW/RM and access/update/insert/delete).
//
// key_specs.cpp holds Redis 7.0.15's specs (src/commands/*.json) for every broker command Redis
// has, by full name, and commands_init() points Command::keys.specs at them.  The Command rows
// keep their plain {first, last, step} (COMMAND INFO's legacy elements); commands_init() checks
// that it is the range Redis derives from the specs.  A command without an entry (JSON.*, the
// nData commands) gets one range spec from {first, last, step} with the flags Redis gives a
// module command declared the same way (RW access update insert delete).
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sc::broker {

struct Command;

enum KeyFlag : uint16_t {
  kKeyRO = 1 << 0,              // read only
  kKeyRW = 1 << 1,              // read and modified
  kKeyOW = 1 << 2,              // overwritten without being read
  kKeyRM = 1 << 3,              // deleted
  kKeyAccess = 1 << 4,          // the value reaches the client
  kKeyUpdate = 1 << 5,          // the value is changed in place
  kKeyInsert = 1 << 6,          // data is added to the value
  kKeyDelete = 1 << 7,          // data is removed from the value
  kKeyNotKey = 1 << 8,          // looks like a key but is not one (left out of GETKEYS)
  kKeyIncomplete = 1 << 9,      // the spec may miss keys
  kKeyVariableFlags = 1 << 10,  // the flags depend on the arguments: GETKEYS asks `getkeys`
};

// One key spec.  Built with range(), keynum() and, for keyword searches, keyword().
struct KeyRule {
  uint16_t flags = 0;  // KeyFlag bits
  // begin_search: argv[index], or the argument after `keyword` (searched from `startfrom`:
  // forward when > 0, backward from argc + startfrom when < 0).
  int index = 0;
  const char* keyword = nullptr;
  int startfrom = 0;
  // find_keys: a range (lastkey relative to the first key, < 0 from the end; `limit` > 1 takes
  // 1/limit of the remaining arguments), or keynum (the count is at begin + keynumidx, the
  // keys start at begin + firstkey).
  bool by_keynum = false;
  int lastkey = 0;
  int keystep = 1;
  int limit = 0;
  int keynumidx = 0;
  int firstkey = 0;
  const char* notes = nullptr;  // COMMAND INFO's "notes", when Redis has one

  constexpr KeyRule with_notes(const char* n) const {
    KeyRule r = *this;
    r.notes = n;
    return r;
  }
};

constexpr KeyRule range(uint16_t flags, int index, int lastkey, int keystep = 1, int limit = 0) {
  return {.flags = flags, .index = index, .lastkey = lastkey, .keystep = keystep, .limit = limit};
}
constexpr KeyRule keynum(uint16_t flags, int index, int keynumidx, int firstkey, int keystep) {
  return {.flags = flags,
          .index = index,
          .by_keynum = true,
          .keystep = keystep,
          .keynumidx = keynumidx,
          .firstkey = firstkey};
}
// The same spec beginning after `kw` instead of at a fixed index.
constexpr KeyRule keyword(const char* kw, int startfrom, KeyRule r) {
  r.index = 0;
  r.keyword = kw;
  r.startfrom = startfrom;
  return r;
}

// A key found in a command's arguments: its argv position and the flags of its spec.
struct KeyRef {
  int pos;
  uint16_t flags;
};

// Redis's per-command key finder, used when the specs cannot answer (variable flags, or a
// spec that does not fit the arguments).  Appends to *out; returns false when none found.
using GetKeysProc = bool (*)(std::span<const std::string_view> argv, std::vector<KeyRef>* out);

struct KeySpecs {
  std::span<const KeyRule> rules;
  GetKeysProc getkeys = nullptr;
};

// The specs of `cmd` (empty for a command without keys).
const KeySpecs& key_specs_of(const Command& cmd);
// Sets keys.specs of every command of `table` and of its subcommands (commands_init); logs a
// warning for a row whose {first, last, step} is not the range Redis derives from its specs.
void key_specs_attach(std::span<Command> table);

// Legacy {first, last, step} and the movablekeys flag, as Redis derives them from the specs.
struct LegacyRange {
  int first = 0, last = 0, step = 0;
  bool movable = false;
};
LegacyRange legacy_range(const KeySpecs& specs);

// COMMAND GETKEYS: the keys of `argv` (argv[0] is the command name) by `specs`, as Redis 7.0's
// getKeysFromCommandWithSpecs finds them.  False when the arguments do not fit.
// The caller checks the arity first.
bool get_keys(const KeySpecs& specs, std::span<const std::string_view> argv,
              std::vector<KeyRef>* out);
// The flag names of COMMAND GETKEYSANDFLAGS and COMMAND INFO, in Redis's order.
std::vector<const char*> key_flag_names(uint16_t flags);

}  // namespace sc::broker
