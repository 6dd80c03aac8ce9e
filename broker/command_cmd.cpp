// COMMAND and its subcommands (COUNT INFO DOCS LIST GETKEYS HELP): the command table as
// Redis 7.0 describes it.  Flags, ACL categories and key specs are derived from the table
// entries; docs are minimal (summary, since, group).
#include <string>
#include <vector>

#include "server.h"

namespace sc::broker {

namespace {

// The family a command comes from: its docs group and its data-type ACL category.
const CommandFamily* family_of(const Command& cmd) {
  const Command* top = cmd.parent ? cmd.parent : &cmd;
  for (const CommandFamily& f : command_families()) {
    std::span<Command> t = f.table();
    if (!t.empty() && top >= t.data() && top < t.data() + t.size()) return &f;
  }
  return nullptr;
}

uint32_t effective_flags(const Command& cmd) {
  return cmd.flags | (cmd.parent ? cmd.parent->flags : 0);
}

std::vector<const char*> flag_names(const Command& cmd) {
  std::vector<const char*> v;
  uint32_t f = cmd.flags;
  if (f & kCmdWrite) v.push_back("write");
  if (f & kCmdReadonly) v.push_back("readonly");
  if (f & kCmdDenyOom) v.push_back("denyoom");
  if (f & kCmdAdmin) v.push_back("admin");
  if (f & kCmdPubsub) v.push_back("pubsub");
  if (f & kCmdBlocking) v.push_back("blocking");
  if (f & kCmdLoading) v.push_back("loading");
  if (f & kCmdNoMonitor) v.push_back("skip_monitor");
  if (f & kCmdFast) v.push_back("fast");
  if (f & kCmdNoAuth) v.push_back("no_auth");
  if (f & kCmdNoMulti) v.push_back("no_multi");
  return v;
}

std::vector<const char*> acl_categories(const Command& cmd) {
  std::vector<const char*> v;
  uint32_t f = effective_flags(cmd);
  if (f & kCmdAdmin) v.push_back("@admin");
  if (f & kCmdWrite) v.push_back("@write");
  if (f & kCmdReadonly) v.push_back("@read");
  if (const CommandFamily* fam = family_of(cmd); fam && fam->category)
    v.push_back(fam->category);
  if (f & kCmdPubsub) v.push_back("@pubsub");
  v.push_back((cmd.flags & kCmdFast) ? "@fast" : "@slow");
  if (f & kCmdBlocking) v.push_back("@blocking");
  if (f & kCmdAdmin) v.push_back("@dangerous");
  return v;
}

void reply_names(Client& c, const std::vector<const char*>& names) {
  c.reply().set(names.size());
  for (const char* n : names) c.reply().simple(n);
}

void reply_command_info(Client& c, const Command& cmd) {
  resp::Writer& w = c.reply();
  w.array(10);
  w.bulk(cmd.fullname);
  w.integer(cmd.arity);
  reply_names(c, flag_names(cmd));
  w.integer(cmd.keys.first);
  w.integer(cmd.keys.last);
  w.integer(cmd.keys.step);
  reply_names(c, acl_categories(cmd));
  w.set(0);  // tips
  if (cmd.keys.first > 0) {
    w.set(1);
    w.map(3);
    w.bulk("flags");
    reply_names(c, {(effective_flags(cmd) & kCmdWrite) ? "RW" : "RO"});
    w.bulk("begin_search");
    w.map(2);
    w.bulk("type");
    w.bulk("index");
    w.bulk("spec");
    w.map(1);
    w.bulk("index");
    w.integer(cmd.keys.first);
    w.bulk("find_keys");
    w.map(2);
    w.bulk("type");
    w.bulk("range");
    w.bulk("spec");
    w.map(3);
    w.bulk("lastkey");
    w.integer(cmd.keys.last < 0 ? cmd.keys.last : cmd.keys.last - cmd.keys.first);
    w.bulk("keystep");
    w.integer(cmd.keys.step);
    w.bulk("limit");
    w.integer(0);
  } else {
    w.set(0);
  }
  size_t nsub = 0;
  if (cmd.subcommands)
    for (const Command* s = cmd.subcommands; s->name; s++) nsub++;
  w.set(nsub);
  if (cmd.subcommands)
    for (const Command* s = cmd.subcommands; s->name; s++) reply_command_info(c, *s);
}

void reply_command_docs(Client& c, const Command& cmd) {
  resp::Writer& w = c.reply();
  const CommandFamily* fam = family_of(cmd);
  size_t nsub = 0;
  if (cmd.subcommands)
    for (const Command* s = cmd.subcommands; s->name; s++) nsub++;
  w.map(nsub ? 4 : 3);
  w.bulk("summary");
  w.bulk("");
  w.bulk("since");
  w.bulk("1.0.0");
  w.bulk("group");
  w.bulk(fam ? fam->group : "server");
  if (nsub) {
    w.bulk("subcommands");
    w.map(nsub);
    for (const Command* s = cmd.subcommands; s->name; s++) {
      w.bulk(s->fullname);
      reply_command_docs(c, *s);
    }
  }
}

// "get" or "config|get".
const Command* lookup_by_fullname(std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return lookup_command(name);
  const Command* top = lookup_command(name.substr(0, bar));
  if (!top || !top->subcommands) return nullptr;
  std::string_view sub = name.substr(bar + 1);
  for (const Command* s = top->subcommands; s->name; s++)
    if (eq_nocase(s->name, sub)) return s;
  return nullptr;
}

void command_count_command(Client& c) { c.reply().integer((long long)command_count()); }

void reply_all_info(Client& c) {
  c.reply().array(command_count());
  for_each_command([&](const Command& cmd) { reply_command_info(c, cmd); });
}

// COMMAND INFO [name ...]: nil for unknown names; every command without names.
void command_info_command(Client& c) {
  if (c.argv.size() == 2) return reply_all_info(c);
  c.reply().array(c.argv.size() - 2);
  for (size_t i = 2; i < c.argv.size(); i++) {
    const Command* cmd = lookup_by_fullname(c.argv[i]);
    if (cmd)
      reply_command_info(c, *cmd);
    else
      c.reply().null();  // Redis sends a nil bulk here, not a nil array
  }
}

// COMMAND DOCS [name ...]: a map name -> docs; unknown names are left out.
void command_docs_command(Client& c) {
  if (c.argv.size() == 2) {
    c.reply().map(command_count());
    for_each_command([&](const Command& cmd) {
      c.reply().bulk(cmd.fullname);
      reply_command_docs(c, cmd);
    });
    return;
  }
  std::vector<const Command*> found;
  for (size_t i = 2; i < c.argv.size(); i++)
    if (const Command* cmd = lookup_by_fullname(c.argv[i])) found.push_back(cmd);
  c.reply().map(found.size());
  for (const Command* cmd : found) {
    c.reply().bulk(cmd->fullname);
    reply_command_docs(c, *cmd);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
void command_list_command(Client& c) {
  enum { kNone, kModule, kAclcat, kPattern } filter = kNone;
  std::string_view arg;
  if (c.argv.size() == 5 && eq_nocase(c.argv[2], "filterby")) {
    arg = c.argv[4];
    if (eq_nocase(c.argv[3], "module"))
      filter = kModule;
    else if (eq_nocase(c.argv[3], "aclcat"))
      filter = kAclcat;
    else if (eq_nocase(c.argv[3], "pattern"))
      filter = kPattern;
    else
      return reply_syntax_error(c);
  } else if (c.argv.size() != 2) {
    return reply_syntax_error(c);
  }
  std::vector<const Command*> out;
  auto consider = [&](const Command& cmd) {
    switch (filter) {
      case kNone:
        break;
      case kModule:
        return;  // no modules
      case kAclcat: {
        bool hit = false;
        for (const char* cat : acl_categories(cmd))
          if (eq_nocase(cat + 1, arg)) hit = true;
        if (!hit) return;
        break;
      }
      case kPattern:
        if (!glob_match(arg, cmd.fullname, true)) return;
        break;
    }
    out.push_back(&cmd);
  };
  for_each_command([&](const Command& cmd) {
    consider(cmd);
    if (cmd.subcommands)
      for (const Command* s = cmd.subcommands; s->name; s++) consider(*s);
  });
  c.reply().array(out.size());
  for (const Command* cmd : out) c.reply().bulk(cmd->fullname);
}

// COMMAND GETKEYS command [arg ...]: the key arguments by the table's first/last/step.
void command_getkeys_command(Client& c) {
  std::vector<std::string_view> argv(c.argv.begin() + 2, c.argv.end());
  const Command* container = nullptr;
  const Command* cmd = lookup_command_argv(argv, &container);
  if (!cmd) return reply_error(c, "ERR Invalid command specified");
  if (cmd->keys.first <= 0) return reply_error(c, "ERR The command has no key arguments");
  int argc = int(argv.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity)
    return reply_error(c, "ERR Invalid number of arguments specified for command");
  int last = cmd->keys.last < 0 ? argc + cmd->keys.last : cmd->keys.last;
  int step = cmd->keys.step > 0 ? cmd->keys.step : 1;
  std::vector<std::string_view> keys;
  for (int i = cmd->keys.first; i <= last && i < argc; i += step) keys.push_back(argv[size_t(i)]);
  if (keys.empty()) return reply_error(c, "ERR Invalid arguments specified for command");
  c.reply().array(keys.size());
  for (auto k : keys) c.reply().bulk(k);
}

void command_help_command(Client& c) {
  reply_help(c, {
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
  });
}

// Plain COMMAND: every command's info.  (With a subcommand the dispatcher calls its entry.)
void command_command(Client& c) { reply_all_info(c); }

// Arities count "COMMAND".
Command kSubcommands[] = {
    {.name = "count", .arity = 2, .flags = kCmdLoading, .proc = command_count_command},
    {.name = "info", .arity = -2, .flags = kCmdLoading, .proc = command_info_command},
    {.name = "docs", .arity = -2, .flags = kCmdLoading, .proc = command_docs_command},
    {.name = "list", .arity = -2, .flags = kCmdLoading, .proc = command_list_command},
    {.name = "getkeys", .arity = -4, .flags = kCmdLoading, .proc = command_getkeys_command},
    {.name = "help", .arity = 2, .flags = kCmdLoading, .proc = command_help_command},
    {},
};

Command kCommands[] = {
    {.name = "command", .arity = -1, .flags = kCmdLoading, .proc = command_command,
     .subcommands = kSubcommands},
};

}  // namespace

std::span<Command> command_commands() { return kCommands; }

}  // namespace sc::broker
