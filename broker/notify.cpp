// Keyspace notifications (Redis 7.0's notify.c): "__keyspace@<db>__:<key>" carries the event
// name, "__keyevent@<db>__:<event>" carries the key, each enabled by the K / E flags of
// notify-keyspace-events together with the event's class letter.
#include <cstring>
#include <string>

#include "pubsub.h"
#include "server.h"

namespace sc::broker {

namespace {

struct FlagLetter {
  char letter;
  int flag;
};

// Class letters in the order CONFIG GET prints them (keyspaceEventsFlagsToString).
constexpr FlagLetter kClassLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},
};

// Builds "<prefix><db>__:<suffix>" in `buf`.
std::string_view channel_name(std::string& buf, const char* prefix, int dbid,
                              std::string_view suffix) {
  char num[24];
  size_t nlen = resp::format_ll(num, dbid);
  buf.clear();
  buf.append(prefix, 11);  // "__keyspace@" / "__keyevent@"
  buf.append(num, nlen);
  buf.append("__:", 3);
  buf.append(suffix);
  return buf;
}

}  // namespace

void notify_keyspace_event(int type, const char* event, std::string_view key, int dbid) {
  int flags = srv().notify_flags;
  if (!(flags & type)) return;
  // Nobody listening: publishing would reach no one and has no other effect.
  if (pubsub_idle()) return;
  static std::string chan;  // reused: no allocation per event once grown
  std::string_view ev(event, std::strlen(event));
  if (flags & kNotifyKeyspace) pubsub_publish(channel_name(chan, "__keyspace@", dbid, key), ev);
  if (flags & kNotifyKeyevent) pubsub_publish(channel_name(chan, "__keyevent@", dbid, ev), key);
  if (chan.capacity() > 4096) std::string().swap(chan);
}

int notify_flags_parse(std::string_view s) {
  int flags = 0;
  for (char ch : s) {
    if (ch == '\0') break;  // Redis parses a C string
    int f = 0;
    if (ch == 'A')
      f = kNotifyAll;
    else if (ch == 'K')
      f = kNotifyKeyspace;
    else if (ch == 'E')
      f = kNotifyKeyevent;
    else if (ch == 'm')
      f = kNotifyKeyMiss;
    else
      for (const FlagLetter& l : kClassLetters)
        if (l.letter == ch) f = l.flag;
    if (!f) return -1;
    flags |= f;
  }
  return flags;
}

std::string notify_flags_string(int flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    for (const FlagLetter& f : kClassLetters)
      if (flags & f.flag) out += f.letter;
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

}  // namespace sc::broker
