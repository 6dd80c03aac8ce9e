#include "log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace sc {

static LogLevel g_level = LogLevel::Notice;
static FILE* g_file = nullptr;
static char g_role = 'M';

void log_set_level(LogLevel level) { g_level = level; }
void log_set_role(char role) { g_role = role; }

bool log_parse_level(const std::string& name, LogLevel* out) {
  static const struct {
    const char* name;
    LogLevel level;
  } kLevels[] = {{"debug", LogLevel::Debug},
                 {"verbose", LogLevel::Verbose},
                 {"notice", LogLevel::Notice},
                 {"warning", LogLevel::Warning}};
  for (auto& l : kLevels)
    if (name == l.name) {
      *out = l.level;
      return true;
    }
  return false;
}

bool log_set_file(const std::string& path) {
  if (g_file) {
    fclose(g_file);
    g_file = nullptr;
  }
  if (path.empty()) return true;
  g_file = fopen(path.c_str(), "a");
  return g_file != nullptr;
}

void log_msg(LogLevel level, const char* fmt, ...) {
  if (level < g_level) return;
  static const char kMarks[] = ".-*#";
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char ts[64];
  size_t off = strftime(ts, sizeof ts, "%d %b %Y %H:%M:%S.", &tm);
  snprintf(ts + off, sizeof ts - off, "%03d", int(tv.tv_usec / 1000));
  FILE* f = g_file ? g_file : stderr;
  fprintf(f, "%d:%c %s %c %s\n", int(getpid()), g_role, ts, kMarks[int(level)], msg);
  fflush(f);
}

}  // namespace sc
