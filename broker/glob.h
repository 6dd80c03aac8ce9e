// Redis's glob matching (stringmatchlen), used by KEYS, SCAN MATCH, PSUBSCRIBE, PUBSUB CHANNELS,
// CONFIG GET and COMMAND LIST: * ? [abc] [^a-z] and \ escapes.
#pragma once
#include <string_view>

namespace sc::broker {

// True if `str` matches `pattern` (ASCII case-insensitively when `nocase`).  Patterns like
// "a*a*a*b" stay fast on long strings: the skip rule of Redis 7.0.9 is applied.
bool glob_match(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace sc::broker
