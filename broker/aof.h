// Append-only file persistence: every change is logged as RESP commands (expiries as absolute
// PEXPIREAT times), replayed at start, and compacted by a rewrite in a forked child.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "server.h"

namespace sc::broker {

// Opens the AOF if appendonly is on (after loading it).  False with *error (a message for the
// log and stderr) when the file cannot be read, is corrupt, or cannot be opened for appending.
// Call once at start, before accepting clients.
bool aof_start(std::string* error);
// Logs the effect of the command that just ran in `c` (called by the dispatcher when the
// command changed the dataset).
void aof_feed_command(Client& c);
// Logs an explicit command in database `dbid` (expired keys, nData writes, rewritten commands).
void aof_log(int dbid, const std::vector<std::string_view>& argv);
// Writes the buffer (and fsyncs for appendfsync always).  Called before replies are written.
void aof_flush(bool force_fsync = false);
// Once per cron tick: everysec fsync, rewrite child reaping, automatic rewrite.
void aof_cron();
// Starts a background rewrite; false with *err when one cannot start.
bool aof_rewrite_background(std::string* err);
// CONFIG SET appendonly yes/no at run time.
bool aof_set_enabled(bool on, std::string* err);
// Flushes and fsyncs everything (SHUTDOWN, SIGTERM).
void aof_shutdown();
// The "# Persistence" fields of INFO, one "name:value\r\n" per line.
std::string aof_info_fields();
// Non-empty ("MISCONF ...") while the AOF cannot be written: write commands are refused.
std::string aof_write_error();
// EXEC is logged as MULTI ... EXEC around what it ran.
void aof_exec_begin();
void aof_exec_end();
bool aof_loading();
// True while commands are being logged (the file is open or a rewrite collects them).
bool aof_active();

}  // namespace sc::broker
