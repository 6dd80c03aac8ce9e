// sc-balancer's options: one typed table (config.cpp, common/options.h) parses the flags and the
// config file, checks them and prints --help.
#pragma once
#include <string>
#include <vector>

#include "balancer.h"

namespace sc::bal {

enum class ConfigStatus { Ok, Exit0, Error };

// Fills *out from `sc-balancer [FILE] [--flags]` (flags override the file).  On Error the message
// is in *error; Exit0 means --help was printed.
ConfigStatus load_config(int argc, char** argv, Config* out, std::string* error);

// Re-reads the backend list from the config file (SIGHUP).  False with *error when the file is
// unreadable, invalid or names no backend.
bool reload_backend_list(const std::string& file, std::vector<std::string>* backends,
                         std::string* error);

}  // namespace sc::bal
