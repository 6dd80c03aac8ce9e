// Clients blocked on keys (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP): wait lists, the keys that a
// write made ready, serving the waiters, timeouts and CLIENT UNBLOCK.
//
// Why: a blocked client must cost nothing while it waits (it sleeps in libevent with at most
// one timer; nothing polls), and a write that feeds a waited-on key must hand the data to the
// client that has waited longest within the same event-loop turn, so that everyone else sees
// the waiter's non-blocking twin (LPOP, RPOP, LMOVE, RPOPLPUSH) run right after that write.
//
// Contract:
// - A command blocks by calling block_for_keys() instead of replying, after checking
//   may_block().  Until the client is unblocked no further command of its query buffer runs
//   (process_input stops at kClientBlocked); arriving bytes wait in the buffer.
// - Wait lists belong to a database index (SWAPDB swaps contents, not waiters) and are FIFO
//   per key: the client that blocked first is served first.  A client waits once per distinct
//   key of its command.
// - signal_key_ready(db, key, type) is called by db_add() for every key it creates: one load
//   and a branch while nobody is blocked; otherwise a list key is queued, once, if it has
//   waiters.  SWAPDB calls signal_ready_keys_in() for both databases.
// - serve_ready_keys() runs after each top-level command (process_command: after EXEC as a
//   whole, never between the commands of a transaction) while ready_keys_pending().  For each
//   queued key, in the order they were queued, its waiters are served in FIFO order by their
//   BlockState::serve while the key holds a value of the type they wait for; keys that
//   serving makes ready (a BLMOVE into a waited-on list) are served in the same call.
// - Serving replies to the waiter (its reply is written at the end of the turn), logs to the
//   AOF what serve put in Client::prop, and unblocks it.  It never runs the waiter's next
//   commands: unblocked clients are queued, and the server loop calls
//   process_unblocked_clients() after the turn's events and before replies are written.
// - A timed-out client, or one freed by CLIENT UNBLOCK, is answered with a null array (or the
//   UNBLOCKED error) and unblocked the same way.  free_client() calls blocked_client_freed().
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server.h"

namespace sc::broker {

// What a blocked client waits for.  Filled in by the blocking command, owned by blocked.cpp
// from block_for_keys() until the client is unblocked (Client::bpop points at it meanwhile).
struct BlockState {
  std::vector<std::string> keys;  // distinct keys, in argument order
  Type type = Type::List;         // a key holding this type serves the client
  int64_t deadline_ms = 0;        // unix time in ms; 0: wait forever
  // Serves the client from `key`, which holds a `type` value in its database: replies (a
  // value or an error), changes the keyspace, and sets c.prop to what the AOF logs.
  void (*serve)(Client& c, std::string_view key) = nullptr;
  // The list family's arguments (t_list.cpp).
  bool has_target = false;         // BLMOVE / BRPOPLPUSH
  std::string target;              // their destination
  int wherefrom = 0, whereto = 0;  // list ends, t_list.cpp's Where values
  long long count = -1;            // BLMPOP's COUNT; -1 for the others
  // Set by block_for_keys().
  const Command* cmd = nullptr;                     // the blocked command (its statistics)
  int db = 0;                                       // the database the client waits in
  std::vector<std::list<Client*>::iterator> nodes;  // the client's place in each wait list
  EventPtr timer;  // fires at deadline_ms (null when waiting forever)
};

// Parses a blocking command's timeout in seconds (a float) as Redis does, into an absolute
// deadline in unix ms (0: forever).  False after replying "ERR timeout is not a float or out
// of range" or "ERR timeout is negative".
bool parse_block_timeout(Client& c, std::string_view arg, int64_t* deadline_ms);
// False inside MULTI/EXEC and while the AOF loads: the command replies its empty case.
bool may_block(const Client& c);
// Blocks `c` (the command replies nothing now).  b.keys must not be empty.
void block_for_keys(Client& c, std::unique_ptr<BlockState> b);

namespace blocked_detail {
extern size_t g_blocked;      // clients blocked on keys
extern bool g_ready_pending;  // keys queued by signal_key_ready
void signal_key_ready_slow(Db& db, std::string_view key);
}  // namespace blocked_detail

// A key holding a `type` value was created in `db` (db_add): lists serve blocked clients.
inline void signal_key_ready(Db& db, std::string_view key, Type type) {
  if (blocked_detail::g_blocked && type == Type::List)
    blocked_detail::signal_key_ready_slow(db, key);
}
// After SWAPDB: queues every waited-on key of `db` that now exists.
void signal_ready_keys_in(Db& db);
inline bool ready_keys_pending() { return blocked_detail::g_ready_pending; }
void serve_ready_keys();
// Runs the query buffers of the clients unblocked during this turn (server loop).
void process_unblocked_clients();
// CLIENT UNBLOCK: answers `c` as if it timed out (or with the UNBLOCKED error) and unblocks it.
// False when `c` is not blocked.
bool unblock_client_by_request(Client& c, bool as_error);
// A blocked client is being freed: forget it.
void blocked_client_freed(Client& c);

inline size_t blocked_client_count() { return blocked_detail::g_blocked; }
size_t blocked_timeout_count();  // blocked clients with a deadline (clients_in_timeout_table)

}  // namespace sc::broker
