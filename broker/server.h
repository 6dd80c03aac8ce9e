// sc-broker's shared types: the server, its databases, clients and the command table, plus the
// keyspace API that every command family uses.  Commands are plain functions of a Client, so
// they are tested through the wire and never touch sockets themselves.
#pragma once
#include <event2/event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "args.h"
#include "buffer.h"
#include "dict.h"
#include "event_handles.h"
#include "glob.h"
#include "object.h"
#include "reply.h"
#include "resp.h"

namespace sc::broker {

struct Client;
struct Server;

// ---- Command table ----

enum CmdFlag : uint32_t {
  kCmdWrite = 1 << 0,       // modifies the keyspace (logged to the AOF)
  kCmdReadonly = 1 << 1,
  kCmdDenyOom = 1 << 2,     // refused when used memory > maxmemory
  kCmdAdmin = 1 << 3,
  kCmdPubsub = 1 << 4,
  kCmdNoAuth = 1 << 5,      // allowed before AUTH
  kCmdNoMulti = 1 << 6,     // refused inside MULTI (Redis's NO_MULTI: SHUTDOWN)
  kCmdSubCtx = 1 << 7,      // allowed in RESP2 subscribed context
  kCmdFast = 1 << 8,
  kCmdNoMonitor = 1 << 9,   // not shown to MONITOR (AUTH, HELLO with AUTH)
  kCmdLoading = 1 << 10,
  kCmdMultiCtl = 1 << 11,   // runs at once inside MULTI, never queued (EXEC DISCARD MULTI WATCH
                            // QUIT RESET, the list Redis's processCommand names)
  kCmdProtected = 1 << 12,  // refused unless enable-debug-command allows it (DEBUG)
  kCmdBlocking = 1 << 13,   // may block the client (BLPOP...; blocked.h)
};

using CmdProc = void (*)(Client& c);

struct KeySpecs;  // key_specs.h

// Where a command's keys are in argv, as COMMAND INFO gives them: argv[first], then every
// `step` up to argv[last] (last < 0 counts from the end).  first == 0: no key arguments, or
// keys that move (a numkeys argument: LMPOP SINTERCARD BLMPOP).  How the command uses each key,
// and keys that move, are in Redis's key specs: key_specs.cpp has them by command name.
struct KeySpec {
  int first = 0;
  int last = 0;
  int step = 0;
  const KeySpecs* specs = nullptr;  // set by commands_init() from key_specs.cpp; not in rows
};

// One row of a command table, written with designated initialisers; a subcommand table ends
// with an empty row {}.  Example:
//   {.name = "hget", .arity = 3, .flags = kCmdReadonly | kCmdFast, .keys = {1, 1, 1},
//    .proc = hget_command},
struct Command {
  const char* name = nullptr;            // lower case
  int arity = 0;                         // > 0 exact argc, < 0 at least -arity
  uint32_t flags = 0;                    // CmdFlag bits
  KeySpec keys = {};                     // COMMAND INFO, COMMAND GETKEYS
  CmdProc proc = nullptr;                // the handler, named <name>_command
  const Command* subcommands = nullptr;  // container commands: their subcommand table
  // Filled in by commands_init():
  const Command* parent = nullptr;       // the container of a subcommand
  std::string fullname = {};             // "get", "config|get"
  mutable long long calls = 0;
  mutable long long usec = 0;
  mutable long long rejected_calls = 0;
  mutable long long failed_calls = 0;
};

// Every command family exports its table from its own file.  A family's group and ACL category
// (COMMAND DOCS, COMMAND INFO) are in commands.cpp's list of families.
std::span<Command> connection_commands();  // conn.cpp
std::span<Command> keys_commands();        // t_keys.cpp
std::span<Command> string_commands();      // t_string.cpp
std::span<Command> bitmap_commands();      // t_bitmap.cpp
std::span<Command> hash_commands();        // t_hash.cpp
std::span<Command> set_commands();         // t_set.cpp
std::span<Command> list_commands();        // t_list.cpp
std::span<Command> pubsub_commands();      // pubsub.cpp
std::span<Command> multi_commands();       // multi.cpp
std::span<Command> info_commands();        // info.cpp: INFO
std::span<Command> client_commands();      // client.cpp: CLIENT
std::span<Command> command_commands();     // command_cmd.cpp: COMMAND
std::span<Command> monitor_commands();     // monitor.cpp: MONITOR
std::span<Command> server_commands();      // server.cpp: TIME LASTSAVE SHUTDOWN
std::span<Command> debug_commands();       // debug.cpp: DEBUG
std::span<Command> memory_commands();      // memory.cpp: MEMORY
std::span<Command> config_commands();      // config.cpp: CONFIG
std::span<Command> json_commands();        // t_json.cpp
std::span<Command> aof_commands();         // aof.cpp: BGREWRITEAOF
std::span<Command> ndata_commands();       // ndata.cpp

// A family as COMMAND DOCS and the ACL categories of COMMAND INFO describe its commands.
struct CommandFamily {
  std::span<Command> (*table)();
  const char* group;     // COMMAND DOCS group
  const char* category;  // its data-type or connection ACL category, or nullptr
};
std::span<const CommandFamily> command_families();

void commands_init();
const Command* lookup_command(std::string_view name);
// Looks up argv[0] (and argv[1] for containers).  Sets *container when argv[0] is a container
// whose subcommand is unknown.
const Command* lookup_command_argv(const std::vector<std::string_view>& argv,
                                   const Command** container);
size_t command_count();
// The proc of a container command (CLIENT CONFIG MEMORY PUBSUB): their arity -2 makes the
// dispatcher run a subcommand instead, so this only replies the arity error if ever reached.
void container_command(Client& c);
template <class F>
void for_each_command(F&& fn);

// ---- Keyspace ----

struct KeyEntry {
  KeyEntry* next;      // dict chain
  Robj val;           // the value (owned)
  int64_t expire;      // unix time in ms, or -1
  uint32_t exp_idx;    // position in Db::expiring when expire >= 0
  uint32_t klen;       // key length
  char key[];          // key bytes
  std::string_view key_view() const { return {key, klen}; }
};
struct KeyTraits {
  static std::string_view key(const KeyEntry* e) { return e->key_view(); }
};

struct Db {
  int id = 0;
  Dict<KeyEntry, KeyTraits> keys;
  std::vector<KeyEntry*> expiring;  // every entry with expire >= 0 (for the active sweep)
  std::unordered_map<std::string, std::vector<Client*>> watched_keys;  // WATCH
  long long avg_ttl = 0;
};

// Lookups expire the key lazily and stamp its access time (OBJECT IDLETIME); lookup_read
// counts keyspace hits/misses.  lookup_read_notouch is lookup_read for commands that only look
// at a key's metadata (EXISTS TYPE TTL OBJECT: Redis's LOOKUP_NOTOUCH), leaving its access
// time alone.
KeyEntry* lookup_read(Db& db, std::string_view key);
KeyEntry* lookup_write(Db& db, std::string_view key);
KeyEntry* lookup_read_notouch(Db& db, std::string_view key);
// Seconds since the key was last accessed (created, written, or read but for the above), on
// the cron's clock: within 1000/hz ms, and wrong by a multiple of 194 days for a key idle that
// long (the clock has 24 bits, as Redis's).
long long key_idle_seconds(const KeyEntry* e);
// What a command replies when its key does not exist (Redis's shared.czero, shared.null...).
enum class IfMissing : uint8_t {
  Zero,        // :0
  MinusOne,    // :-1
  Null,        // a null bulk string
  NullArray,   // a null array
  EmptyArray,  // *0
  EmptyMap,    // an empty map (*0 in RESP2)
  EmptySet,    // an empty set (*0 in RESP2)
  EmptyBulk,   // ""
  EmptyScan,   // cursor 0 and no elements (HSCAN, SSCAN)
  Ok,          // +OK
  NoSuchKey,   // the error "ERR no such key"
};
// The entry of `key` (looked up as lookup_read / lookup_write do) when it holds a `t`; else
// nullptr after replying: WRONGTYPE for another type, `missing` when there is no such key.
// Commands that go on without the key use lookup_read/lookup_write and wrong_type() instead.
KeyEntry* lookup_read_or_reply(Client& c, std::string_view key, Type t, IfMissing missing);
KeyEntry* lookup_write_or_reply(Client& c, std::string_view key, Type t, IfMissing missing);
// Adds a key that does not exist; takes ownership of `v`.
KeyEntry* db_add(Db& db, std::string_view key, Robj v);
// Sets a key, replacing any value (and its TTL unless keep_ttl).  Takes ownership of `v`.
KeyEntry* db_set(Db& db, std::string_view key, Robj v, bool keep_ttl = false);
// Replaces the value of an existing entry (frees the old one).
void db_overwrite(KeyEntry* e, Robj v);
bool db_delete(Db& db, std::string_view key);
// HDEL/SREM: removes c.argv[2..] from the `type` collection at c.argv[1] with `remove`, deletes
// the key once `len` says it is empty, does the bookkeeping (WATCH, `event` in class `klass`,
// "del" when emptied, dirty) and replies with how many were removed (WRONGTYPE, or 0 for a
// missing key).
void remove_members_command(Client& c, Type type, bool (*remove)(Robj&, std::string_view),
                            size_t (*len)(const Robj&), int klass, const char* event);
// HLEN/SCARD/LLEN: replies `len` of the `type` collection at c.argv[1] (WRONGTYPE, or 0 for a
// missing key).
void length_command(Client& c, Type type, size_t (*len)(const Robj&));
void db_delete_entry(Db& db, KeyEntry* e);
// Empties a database; returns the number of keys removed.
size_t db_clear(Db& db);
void set_expire(Db& db, KeyEntry* e, int64_t when_ms);
bool remove_expire(Db& db, KeyEntry* e);
// Deletes `e` if it is past its expire time (sending the expired event).  True if deleted.
bool expire_if_needed(Db& db, KeyEntry* e);
// Active expiry: samples keys with a TTL and deletes expired ones, bounded in time.
void active_expire_cycle(bool fast);
// WATCH invalidation: every client watching `key` in `db` is flagged dirty.
void signal_modified_key(Db& db, std::string_view key);
// After a command changed `key`: its WATCHers are flagged (signal_modified_key), the keyspace
// event `event` of class `klass` (kNotify*) goes out, the dirty counter grows by `dirty`.
// Defined below, after srv(); the Client form is for `key` in c's database.
inline void key_changed(Db& db, std::string_view key, int klass, const char* event,
                        long long dirty = 1);
inline void key_changed(Client& c, std::string_view key, int klass, const char* event,
                        long long dirty = 1);
void signal_flushed_db(int dbid);  // -1: all
// SWAPDB: flags the watchers of `emptied` whose key changes when its contents are replaced by
// `replaced_with`'s (Redis's touchAllWatchedKeysInDb).  Call for both sides before swapping.
void signal_swapped_db(Db& emptied, Db& replaced_with);

// ---- Keyspace notifications (notify.cpp) ----
enum NotifyClass : int {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyModule = 1 << 13,   // d
  kNotifyNew = 1 << 14,      // n
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};
void notify_keyspace_event(int type, const char* event, std::string_view key, int dbid);
int notify_flags_parse(std::string_view s);  // -1 on bad input
std::string notify_flags_string(int flags);

// ---- Pub/Sub (pubsub.cpp) ----
// Publishes to every subscriber of `channel` and matching pattern; returns receivers.
long long pubsub_publish(std::string_view channel, std::string_view message);
void pubsub_unsubscribe_all(Client& c, bool notify);
size_t pubsub_channel_count();
size_t pubsub_pattern_count();

// ---- Clients ----

enum ClientFlag : uint32_t {
  kClientCloseAfterReply = 1 << 0,  // close once the output buffer is written
  kClientCloseAsap = 1 << 1,        // close at the next opportunity, without writing
  kClientMulti = 1 << 2,            // inside MULTI
  kClientDirtyCas = 1 << 3,         // a WATCHed key was touched
  kClientDirtyExec = 1 << 4,        // an error while queueing: EXEC aborts
  kClientMonitor = 1 << 5,
  kClientPendingWrite = 1 << 6,     // in Server::pending_write
  kClientReplyOff = 1 << 7,
  kClientReplySkipNext = 1 << 8,
  kClientReplySkip = 1 << 9,
  kClientPubsub = 1 << 10,          // subscribed to something
  kClientExecuting = 1 << 11,
  kClientBlocked = 1 << 12,         // waiting in a blocking command (Client::bpop, blocked.h)
  kClientNoEvict = 1 << 13,
};

enum class ClientClass : uint8_t { Normal = 0, Pubsub = 1 };

struct BlockState;  // blocked.h

struct QueuedCommand {
  const Command* cmd;
  std::vector<std::string> argv;
};

struct Client {
  uint64_t id = 0;
  int fd = -1;
  EventPtr read_ev;
  EventPtr write_ev;
  bool write_armed = false;
  uint32_t flags = 0;

  Buffer in;                                 // query buffer
  size_t qbuf_peak = 0;                      // most of `in` in use since the last resize check
  Buffer out;                                // reply buffer
  resp::RequestParser parser;
  resp::Writer w{&out, resp::Proto::Resp2};  // where replies go (may point at a scratch buffer)
  std::vector<std::string_view> argv;        // the command being executed
  std::vector<std::vector<std::string>> prop;  // if set by a command: what the AOF logs instead
  const Command* cmd = nullptr;              // its table entry
  const Command* lastcmd = nullptr;

  Db* db = nullptr;
  int db_index = 0;
  resp::Proto proto = resp::Proto::Resp2;
  bool authenticated = false;
  bool ndata = false;  // speaks the nData-like JSON line protocol (first byte was '{')
  size_t ndata_scanned = 0;  // nData: bytes of `in` already searched for the line's end, so a
                             // long line arriving in many reads is scanned once
  bool loopback = false;  // peer address is 127.0.0.0/8 or ::1 (protected-mode, "local")
  std::string name;
  std::string addr;   // "ip:port"
  std::string laddr;
  int64_t ctime_ms = 0;
  int64_t last_interaction_ms = 0;
  int64_t obuf_soft_since_ms = 0;  // when the soft output limit was first exceeded (0: not)
  long long commands = 0;  // commands run (the first decides RESP or nData)

  // MULTI/EXEC
  std::vector<QueuedCommand> mstate;
  std::vector<std::pair<int, std::string>> watched;  // (db, key)
  // Pub/Sub
  std::unordered_set<std::string> channels;
  std::vector<std::string> patterns;         // in subscription order
  // Blocking commands: what the client waits for while kClientBlocked (owned by blocked.cpp)
  BlockState* bpop = nullptr;

  size_t subscription_count() const { return channels.size() + patterns.size(); }
  ClientClass klass() const {
    return subscription_count() > 0 ? ClientClass::Pubsub : ClientClass::Normal;
  }
  // The reply writer (honours CLIENT REPLY OFF/SKIP).
  resp::Writer& reply() { return w; }
};

// Appends `c`'s pending output to the write queue; enforces output-buffer limits.
void client_output_changed(Client& c);
// Frees the client now if it is not executing a command, else marks it to be closed.
void client_close_async(Client& c);
Client* client_by_id(uint64_t id);
std::string client_info_string(const Client& c);  // one CLIENT LIST line, without "\n"
void select_db(Client& c, int index);

// Redis's checkType: true after replying WRONGTYPE when `e` exists and holds another type.
inline bool wrong_type(Client& c, const KeyEntry* e, Type t) {
  if (!e || e->val.type == t) return false;
  reply_wrongtype(c);
  return true;
}

// ---- Configuration (config.cpp) ----

struct ObufLimit {
  unsigned long long hard = 0, soft = 0;
  long long soft_seconds = 0;
};

struct Config {
  std::string config_file;
  std::vector<std::string> bind{"127.0.0.1", "-::1"};
  int port = 6380;
  int tcp_backlog = 511;
  long long timeout = 0;
  int tcp_keepalive = 300;
  bool protected_mode = true;
  // "no" | "yes" | "local" (loopback peers only), as in Redis 7.0:
  std::string enable_protected_configs = "no";  // CONFIG SET of dir and other path settings
  std::string enable_debug_command = "no";      // the DEBUG command
  std::string requirepass;
  long long maxclients = 10000;
  unsigned long long maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  // Bytes all clients' buffers may take before the biggest are closed (client_eviction.cpp);
  // negative: that percentage of maxmemory (Redis stores "10%" as -10); 0: no limit.
  long long maxmemory_clients = 0;
  int databases = 16;
  int hz = 10;
  long long proto_max_bulk_len = 512ll * 1024 * 1024;
  long long client_query_buffer_limit = 1024ll * 1024 * 1024;
  ObufLimit obuf[2] = {{0, 0, 0}, {32ull << 20, 8ull << 20, 60}};  // normal, pubsub
  int notify_flags = kNotifyKeyevent | kNotifyExpired;  // "Ex": workers learn of ended sessions
  std::string loglevel = "notice";
  std::string logfile;
  std::string dir = ".";
  std::string pidfile;
  bool daemonize = false;
  long long hash_max_listpack_entries = 512;
  long long hash_max_listpack_value = 64;
  long long set_max_intset_entries = 512;
  long long set_max_listpack_entries = 128;
  long long set_max_listpack_value = 64;
  long long list_max_listpack_size = -2;
  long long list_compress_depth = 0;  // list nodes kept raw at each end; 0: no compression
  bool lazyfree_lazy_user_del = false;
  long long active_expire_effort = 1;
  // Persistence (AOF), used by aof.cpp.
  bool appendonly = false;
  std::string appendfsync = "everysec";
  std::string appendfilename = "appendonly.aof";
  long long auto_aof_rewrite_percentage = 100;
  long long auto_aof_rewrite_min_size = 64ll * 1024 * 1024;
  bool aof_load_truncated = true;
  long long json_max_depth = 128;
  long long json_max_size = 64ll * 1024 * 1024;
  // Microseconds slept per command replayed from the AOF, so tests can watch a slow load
  // (negative -N: 1 µs every N commands on average, like Redis).  Hidden from CONFIG GET *.
  long long key_load_delay = 0;
};

// Loads `argv` (a config file path first, then --name value flags).  Exit0 after --help or
// --version (printed); Error with *error the message for stderr (Redis's wording).
enum class ConfigLoad { Ok, Exit0, Error };
ConfigLoad config_load(int argc, char** argv, Config* cfg, std::string* error);
// Exits with status 1 after an AOF write or fsync failed under appendfsync always (server.cpp
// says why this one failure cannot be returned to main).
[[noreturn]] void exit_on_lost_aof_write();
// CONFIG GET/SET/RESETSTAT/REWRITE are in config.cpp.

// ---- The server ----

struct Stats {
  long long connections_received = 0;
  long long commands_processed = 0;
  long long rejected_connections = 0;
  long long expired_keys = 0;
  long long expired_stale_perc = 0;
  long long evicted_keys = 0;
  long long evicted_clients = 0;  // closed by maxmemory-clients
  long long keyspace_hits = 0;
  long long keyspace_misses = 0;
  long long net_input_bytes = 0;
  long long net_output_bytes = 0;
  long long client_qbuf_limit_disconnections = 0;
  long long client_outbuf_limit_disconnections = 0;
  long long total_error_replies = 0;
  long long unexpected_error_replies = 0;
  long long pubsub_messages = 0;
  long long total_reads = 0;
  long long total_writes = 0;
  // Instantaneous ops/sec: samples taken by the cron.
  long long ops_samples[16] = {0};
  long long net_in_samples[16] = {0};
  long long net_out_samples[16] = {0};
  int sample_idx = 0;
  long long last_sample_ms = 0, last_sample_ops = 0, last_sample_in = 0, last_sample_out = 0;
};

struct PubsubState;  // pubsub.cpp
struct AofState;     // aof.cpp

struct Server {
  Config cfg;
  EventBasePtr base;                // freed last: every event below is freed before it
  std::vector<int> listen_fds;
  std::vector<EventPtr> listen_evs;  // one per listen_fds entry
  EventPtr cron_ev;
  EventPtr ndata_timer;              // nData deep-path expiry sweep, made on first use
  std::vector<Db> dbs;
  std::unordered_map<uint64_t, Client*> clients;
  uint64_t next_client_id = 1;
  std::vector<Client*> pending_write;  // clients with output to flush after this loop turn
  std::vector<Client*> to_close;       // clients to free after this loop turn
  std::vector<Client*> monitors;
  Buffer discard;                      // replies of CLIENT REPLY OFF go here
  Stats stats;
  PubsubState* pubsub = nullptr;
  AofState* aof = nullptr;
  long long dirty = 0;                 // changes since start (AOF/INFO)
  int64_t start_ms = 0;
  int64_t cmd_time_ms = 0;             // cached time at command start (expiry checks use it)
  std::string executable;
  std::string run_id;
  bool shutdown_asap = false;
  int shutdown_exit_code = 0;
  long long cronloops = 0;
  int notify_flags = 0;
  size_t peak_memory = 0;
  bool active_expire = true;  // the cron deletes expired keys (DEBUG SET-ACTIVE-EXPIRE 0: no)
  uint32_t lru_clock = 0;     // lru_clock_at(now), set by the cron: what a lookup stamps on a
                              // key, read from here so a lookup costs no clock call
  bool fork_child = false;    // an AOF rewrite child shares our pages: lookups do not stamp
                              // keys then (a write per read would copy every page it touches)
};

// The access clock of keys: unix seconds modulo 2^24 (Redis's LRU_CLOCK, INFO's lru_clock).
constexpr uint32_t kLruClockMax = (1u << 24) - 1;
inline uint32_t lru_clock_at(int64_t ms) { return uint32_t(ms / 1000) & kLruClockMax; }

extern Server* g_srv;
inline Server& srv() { return *g_srv; }

inline void key_changed(Db& db, std::string_view key, int klass, const char* event,
                        long long dirty) {
  signal_modified_key(db, key);
  notify_keyspace_event(klass, event, key, db.id);
  srv().dirty += dirty;
}
inline void key_changed(Client& c, std::string_view key, int klass, const char* event,
                        long long dirty) {
  key_changed(*c.db, key, klass, event, dirty);
}

int64_t now_ms();
int64_t now_us();
// The time expiry decisions use: fixed during a command so a transaction sees one time.
inline int64_t cmd_time_ms() { return srv().cmd_time_ms ? srv().cmd_time_ms : now_ms(); }

// Memory (memory.cpp).  In use as INFO's used_memory reports it (the allocator's allocated
// bytes), the resident set, and what one client holds (its buffers and MULTI queue).
size_t used_memory();
size_t rss_memory();
size_t client_memory(const Client& c);

// Executes the parsed command in c.argv (the dispatcher: auth, arity, MULTI queueing...).
void process_command(Client& c);
// Runs c.cmd with c.argv (used by EXEC and AOF loading).
void call_command(Client& c);

// Feeds MONITOR clients with the command in c.argv (monitor.cpp).
void monitor_feed(Client& c);
void monitor_remove(Client& c);
// WATCH bookkeeping (multi.cpp): forgets every key the client watches.
void unwatch_all(Client& c);
// Leaves MULTI: drops the queue and the WATCHes.
void discard_transaction(Client& c);
// Ends c's transaction because its EXEC was refused: replies "EXECABORT ... because of: err".
void exec_abort(Client& c, std::string_view err);
// A `no|yes|local` setting (enable-debug-command, enable-protected-configs) lets c through:
// "yes", or "local" and c's peer is on the loopback interface (commands.cpp).
bool protected_action_allowed(const std::string& setting, const Client& c);
// Creates srv().pubsub (pubsub.cpp).
void pubsub_init();
// The nData-like protocol (ndata.cpp): consumes complete lines of c.in, writes replies to c.out.
void ndata_process_input(Client& c);
// Delivers a published message to an nData subscriber as {"event":"message",...}.
void ndata_deliver(Client& c, std::string_view channel, std::string_view message);
// Calls fn(db, chain, deadline ms) for every deep (member) deadline of nData (AOF rewrite).
void ndata_for_each_deadline(
    const std::function<void(int, const std::vector<std::string>&, int64_t)>& fn);

// Server commands that other files need.
std::string info_string(std::string_view section);  // info.cpp

template <class F>
void for_each_command(F&& fn) {
  extern std::vector<Command*>& all_commands();
  for (Command* c : all_commands()) fn(*c);
}

}  // namespace sc::broker
