// Error and help replies that every command family uses.  Each error reply is counted for INFO
// (total_error_replies, errorstats) and for the running command's failed_calls, as Redis does.
#pragma once
#include <initializer_list>
#include <string_view>

namespace sc::broker {

struct Client;

// Replies the error `err` ("CODE message", without the leading '-') and counts it.
void reply_error(Client& c, std::string_view err);
// reply_error of a printf-formatted message (cut at 1023 bytes).
void reply_error_fmt(Client& c, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// "ERR wrong number of arguments for '<command>' command".
void reply_wrong_arity(Client& c);
void reply_syntax_error(Client& c);
void reply_not_integer(Client& c);
void reply_wrongtype(Client& c);
// A HELP subcommand's reply, as Redis's addReplyHelp writes it: the line "CMD <subcommand> [<arg>
// [value] [opt] ...]. Subcommands are:" (CMD is argv[0] in capitals), one simple string per line
// of `lines`, then "HELP" and "    Prints this help.".
void reply_help(Client& c, std::initializer_list<const char*> lines);

inline constexpr const char* kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr const char* kErrNotFloat = "ERR value is not a valid float";
inline constexpr const char* kErrSyntax = "ERR syntax error";
inline constexpr const char* kErrNoAuth = "NOAUTH Authentication required.";
inline constexpr const char* kErrOverflow = "ERR increment or decrement would overflow";
inline constexpr const char* kErrOom =
    "OOM command not allowed when used memory > 'maxmemory'.";

}  // namespace sc::broker
