// Logging in Redis's format: "pid:R dd Mon yyyy hh:mm:ss.mmm <level> message", where level is
// '.' debug, '-' verbose, '*' notice, '#' warning.  Writes to stderr or to a file.
#pragma once
#include <cstdarg>
#include <string>

namespace sc {

enum class LogLevel { Debug = 0, Verbose = 1, Notice = 2, Warning = 3 };

void log_set_level(LogLevel level);
bool log_parse_level(const std::string& name, LogLevel* out);  // "debug" .. "warning"
// Empty path: stderr.  Returns false (and keeps stderr) if the file cannot be opened.
bool log_set_file(const std::string& path);
void log_set_role(char role);  // 'M' master, 'C' child, 'W' worker, 'B' balancer
void log_msg(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sc

#define SC_LOG(level, ...) ::sc::log_msg(::sc::LogLevel::level, __VA_ARGS__)
// For what can only be a bug: logs file:line and aborts.
#define SC_ASSERT(cond)                                                                   \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      ::sc::log_msg(::sc::LogLevel::Warning, "ASSERTION FAILED %s:%d: %s", __FILE__,      \
                    __LINE__, #cond);                                                     \
      __builtin_trap();                                                                   \
    }                                                                                     \
  } while (0)
