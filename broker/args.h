// Parsing command arguments the way Redis does, replying its error when an argument is bad.
#pragma once
#include <string_view>

namespace sc::broker {

struct Client;

// `s` as a long long (resp::parse_ll's strict form); else replies `err` (default: "value is not
// an integer or out of range") and returns false.
bool arg_ll(Client& c, std::string_view s, long long* out, const char* err = nullptr);
// `s` as an int (Redis's getIntFromObjectOrReply: SELECT, MOVE, COPY ... DB, SWAPDB); else
// replies `err` when given, or "value is not an integer or out of range" for a non-integer and
// "value is out of range, value must between -2147483648 and 2147483647" past an int.
bool arg_int(Client& c, std::string_view s, int* out, const char* err = nullptr);
// `s` as a double (Redis's getDoubleFromObject: the whole string, no leading space, not NaN);
// else replies "value is not a valid float" and returns false.
bool arg_double(Client& c, std::string_view s, double* out);
// ASCII case-insensitive equality (option and subcommand names).
bool eq_nocase(std::string_view a, std::string_view b);

}  // namespace sc::broker
