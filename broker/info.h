// INFO's counters that live outside struct Stats (info.cpp).
#pragma once
#include <string_view>

namespace sc::broker {

// Counts one error reply under its code, the text before the first space ("ERR",
// "WRONGTYPE", "NOAUTH"...), for INFO errorstats.  `err` is the text without the leading '-'.
// Like Redis, at most 128 distinct codes are tracked; later new codes are not counted.
void errorstat_incr(std::string_view err);
// Clears the counters (CONFIG RESETSTAT).
void errorstats_reset();

}  // namespace sc::broker
