// The broker's memory as INFO and maxmemory see it (the allocator's counters, the RSS, each
// client's buffers), and MEMORY (DOCTOR MALLOC-STATS PURGE STATS USAGE HELP).
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#ifdef SC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#include "server.h"

namespace sc::broker {

size_t used_memory() {
#ifdef SC_HAVE_JEMALLOC
  uint64_t epoch = 1;
  size_t sz = sizeof epoch;
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &sz, nullptr, 0) != 0) return 0;
  return allocated;
#else
  // Sanitizer runtimes replace malloc and may report nothing here; fall back to the RSS so
  // maxmemory still works in those builds.
  struct mallinfo2 mi = mallinfo2();
  size_t v = mi.uordblks + mi.hblkhd;
  return v ? v : rss_memory();
#endif
}

size_t rss_memory() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, rss = 0;
  int n = fscanf(f, "%lu %lu", &size, &rss);
  fclose(f);
  return n == 2 ? rss * size_t(sysconf(_SC_PAGESIZE)) : 0;
}

size_t client_memory(const Client& c) {
  size_t m = sizeof(Client) + c.in.capacity() + c.out.capacity();
  for (const auto& q : c.mstate)
    for (const auto& a : q.argv) m += a.capacity() + sizeof(std::string);
  return m;
}

namespace {

void memory_help_command(Client& c) {
  reply_help(c, {
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
  });
}

// MEMORY USAGE key [SAMPLES count]: the value's bytes plus the key entry; nil if no key.
void memory_usage_command(Client& c) {
  for (size_t i = 3; i < c.argv.size(); i += 2) {
    if (eq_nocase(c.argv[i], "samples") && i + 1 < c.argv.size()) {
      long long n;
      if (!arg_ll(c, c.argv[i + 1], &n)) return;
      if (n < 0) return reply_syntax_error(c);
    } else {
      return reply_syntax_error(c);
    }
  }
  KeyEntry* e = lookup_read(*c.db, c.argv[2]);
  if (!e) return c.reply().null();
  size_t key_bytes = sizeof(KeyEntry) + e->klen;
  c.reply().integer((long long)(key_bytes + value_mem(e->val)));
}

void memory_doctor_command(Client& c) {
  c.reply().verbatim(
      "Hi Sam, I can't find any memory issue in your instance. I can only "
      "account for what occurs on this base.");
}

void memory_purge_command(Client& c) {
#ifdef SC_HAVE_JEMALLOC
  char cmd[64];
  snprintf(cmd, sizeof cmd, "arena.%d.purge", MALLCTL_ARENAS_ALL);
  mallctl(cmd, nullptr, nullptr, nullptr, 0);
#endif
  c.reply().ok();
}

void memory_malloc_stats_command(Client& c) {
  c.reply().verbatim("Stats not supported for the current allocator");
}

void memory_stats_command(Client& c) {
  Server& s = srv();
  size_t used = used_memory();
  size_t keys = 0;
  for (const Db& db : s.dbs) keys += db.keys.size();
  c.reply().map(6);
  c.reply().bulk("peak.allocated");
  c.reply().integer((long long)std::max(s.peak_memory, used));
  c.reply().bulk("total.allocated");
  c.reply().integer((long long)used);
  c.reply().bulk("clients.normal");
  size_t cm = 0;
  for (const auto& [id, cl] : s.clients) cm += client_memory(*cl);
  c.reply().integer((long long)cm);
  c.reply().bulk("keys.count");
  c.reply().integer((long long)keys);
  c.reply().bulk("dataset.bytes");
  c.reply().integer((long long)(used > cm ? used - cm : 0));
  c.reply().bulk("fragmentation");
  c.reply().dbl(used ? double(rss_memory()) / double(used) : 0.0);
}

Command kSubcommands[] = {
    {.name = "doctor", .arity = 2, .proc = memory_doctor_command},
    {.name = "malloc-stats", .arity = 2, .proc = memory_malloc_stats_command},
    {.name = "purge", .arity = 2, .proc = memory_purge_command},
    {.name = "stats", .arity = 2, .proc = memory_stats_command},
    {.name = "usage", .arity = -3, .flags = kCmdReadonly, .keys = {2, 2, 1},
     .proc = memory_usage_command},
    {.name = "help", .arity = 2, .flags = kCmdLoading, .proc = memory_help_command},
    {},
};

Command kCommands[] = {
    {.name = "memory", .arity = -2, .proc = container_command, .subcommands = kSubcommands},
};

}  // namespace

std::span<Command> memory_commands() { return kCommands; }

}  // namespace sc::broker
