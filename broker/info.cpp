// INFO, with Redis 7.0's sections and field names, and the error counters of INFO errorstats.
#include "info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#ifdef SC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "aof.h"
#include "blocked.h"
#include "server.h"

namespace sc::broker {

namespace {

// INFO errorstats: error code -> replies, sorted by code like Redis's radix tree.
std::map<std::string, long long, std::less<>>& error_counts() {
  static std::map<std::string, long long, std::less<>> m;
  return m;
}
constexpr size_t kMaxErrorCodes = 128;

}  // namespace

void errorstat_incr(std::string_view err) {
  std::string_view code = err.substr(0, err.find(' '));
  auto& m = error_counts();
  auto it = m.find(code);
  if (it != m.end()) {
    it->second++;
  } else if (m.size() < kMaxErrorCodes) {
    m.emplace(std::string(code), 1);
  }
}

void errorstats_reset() { error_counts().clear(); }

namespace {

constexpr const char* kBrokerVersion = "0.1.0";
constexpr const char* kRedisVersion = "7.0.15";

// Section bits, in the order Redis prints them.
enum Section : uint32_t {
  kSecServer = 1 << 0,
  kSecClients = 1 << 1,
  kSecMemory = 1 << 2,
  kSecPersistence = 1 << 3,
  kSecStats = 1 << 4,
  kSecReplication = 1 << 5,
  kSecCpu = 1 << 6,
  kSecModules = 1 << 7,
  kSecCommandstats = 1 << 8,
  kSecErrorstats = 1 << 9,
  kSecLatencystats = 1 << 10,
  kSecCluster = 1 << 11,
  kSecKeyspace = 1 << 12,
};
constexpr uint32_t kSecDefault = kSecServer | kSecClients | kSecMemory | kSecPersistence |
                                 kSecStats | kSecReplication | kSecCpu | kSecModules |
                                 kSecErrorstats | kSecCluster | kSecKeyspace;
constexpr uint32_t kSecAll = kSecDefault | kSecCommandstats | kSecLatencystats;

struct SectionName {
  const char* name;
  uint32_t bits;
};
constexpr SectionName kSectionNames[] = {
    {"server", kSecServer},
    {"clients", kSecClients},
    {"memory", kSecMemory},
    {"persistence", kSecPersistence},
    {"stats", kSecStats},
    {"replication", kSecReplication},
    {"cpu", kSecCpu},
    {"modules", kSecModules},
    {"commandstats", kSecCommandstats},
    {"errorstats", kSecErrorstats},
    {"latencystats", kSecLatencystats},
    {"cluster", kSecCluster},
    {"keyspace", kSecKeyspace},
    {"default", kSecDefault},
    {"all", kSecAll},
    {"everything", kSecAll},
};

uint32_t section_bits(std::string_view name) {
  for (const auto& s : kSectionNames)
    if (eq_nocase(name, s.name)) return s.bits;
  return 0;
}

// printf into a std::string, appending.
void catf(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void catf(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (size_t(n) < sizeof buf) {
    out->append(buf, size_t(n));
    return;
  }
  std::string big(size_t(n) + 1, '\0');
  va_start(ap, fmt);
  vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(size_t(n));
  out->append(big);
}

// Redis's bytesToHuman: "123B", "1.21K", "2.00M"...
std::string human_bytes(unsigned long long n) {
  char buf[64];
  double d = double(n);
  if (n < 1024)
    snprintf(buf, sizeof buf, "%lluB", n);
  else if (n < 1024ull * 1024)
    snprintf(buf, sizeof buf, "%.2fK", d / 1024);
  else if (n < 1024ull * 1024 * 1024)
    snprintf(buf, sizeof buf, "%.2fM", d / (1024.0 * 1024));
  else if (n < 1024ull * 1024 * 1024 * 1024)
    snprintf(buf, sizeof buf, "%.2fG", d / (1024.0 * 1024 * 1024));
  else if (n < 1024ull * 1024 * 1024 * 1024 * 1024)
    snprintf(buf, sizeof buf, "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
  else if (n < 1024ull * 1024 * 1024 * 1024 * 1024 * 1024)
    snprintf(buf, sizeof buf, "%.2fP", d / (1024.0 * 1024 * 1024 * 1024 * 1024));
  else
    snprintf(buf, sizeof buf, "%lluB", n);
  return buf;
}

// The replication id: Redis makes a random one at start; we have no replicas, but tools read it.
const std::string& master_replid() {
  static std::string id = [] {
    std::string r = srv().run_id;
    std::reverse(r.begin(), r.end());
    if (r.size() != 40) r.assign(40, '0');
    return r;
  }();
  return id;
}

long long instantaneous(const long long* samples) {
  long long sum = 0;
  for (int i = 0; i < 16; i++) sum += samples[i];
  return sum / 16;
}

std::string os_string() {
  utsname u;
  if (uname(&u) != 0) return "Linux";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

const char* allocator_name() {
#ifdef SC_HAVE_JEMALLOC
  static char buf[32];
  snprintf(buf, sizeof buf, "jemalloc-%d.%d.%d", JEMALLOC_VERSION_MAJOR, JEMALLOC_VERSION_MINOR,
           JEMALLOC_VERSION_BUGFIX);
  return buf;
#else
  return "libc";
#endif
}

// argv[0] made absolute the way Redis's getAbsolutePath does: relative to the working
// directory at the time of the call, without resolving symlinks.
std::string absolute_executable(const std::string& exe) {
  if (exe.empty() || exe[0] == '/') return exe;
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return exe;
  std::string rel = exe, dir = cwd;
  while (true) {
    if (rel.rfind("./", 0) == 0) {
      rel.erase(0, 2);
    } else if (rel.rfind("../", 0) == 0) {
      rel.erase(0, 3);
      size_t slash = dir.rfind('/');
      dir.erase(slash == 0 || slash == std::string::npos ? 1 : slash);
    } else {
      break;
    }
  }
  return dir == "/" ? "/" + rel : dir + "/" + rel;
}

void section_server(std::string* o) {
  Server& s = srv();
  int64_t now = now_us();
  long long uptime = (now / 1000 - s.start_ms) / 1000;
  const char* method = s.base ? event_base_get_method(s.base.get()) : "epoll";
  catf(o,
       "# Server\r\n"
       "redis_version:%s\r\n"
       "sc_broker_version:%s\r\n"
       "redis_git_sha1:00000000\r\n"
       "redis_git_dirty:0\r\n"
       "redis_build_id:0\r\n"
       "redis_mode:standalone\r\n"
       "os:%s\r\n"
       "arch_bits:%d\r\n"
       "monotonic_clock:POSIX clock_gettime\r\n"
       "multiplexing_api:%s\r\n"
       "atomicvar_api:c11-builtin\r\n"
       "gcc_version:%d.%d.%d\r\n"
       "process_id:%ld\r\n"
       "process_supervised:no\r\n"
       "run_id:%s\r\n"
       "tcp_port:%d\r\n"
       "server_time_usec:%lld\r\n"
       "uptime_in_seconds:%lld\r\n"
       "uptime_in_days:%lld\r\n"
       "hz:%d\r\n"
       "configured_hz:%d\r\n"
       "lru_clock:%lld\r\n",
       kRedisVersion, kBrokerVersion, os_string().c_str(), int(sizeof(void*) * 8), method,
#ifdef __GNUC__
       __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
       0, 0, 0,
#endif
       long(getpid()), s.run_id.c_str(), s.cfg.port, (long long)now, uptime, uptime / 86400,
       s.cfg.hz, s.cfg.hz, (long long)s.lru_clock);
  catf(o,
       "executable:%s\r\n"
       "config_file:%s\r\n"
       "io_threads_active:0\r\n",
       absolute_executable(s.executable).c_str(), s.cfg.config_file.c_str());
}

void section_clients(std::string* o) {
  Server& s = srv();
  size_t max_in = 0, max_out = 0;
  for (const auto& [id, c] : s.clients) {
    max_in = std::max(max_in, c->in.capacity());
    max_out = std::max(max_out, c->out.size());
  }
  catf(o,
       "# Clients\r\n"
       "connected_clients:%zu\r\n"
       "cluster_connections:0\r\n"
       "maxclients:%lld\r\n"
       "client_recent_max_input_buffer:%zu\r\n"
       "client_recent_max_output_buffer:%zu\r\n"
       "blocked_clients:%zu\r\n"
       "tracking_clients:0\r\n"
       "clients_in_timeout_table:%zu\r\n",
       s.clients.size(), s.cfg.maxclients, max_in, max_out, blocked_client_count(),
       blocked_timeout_count());
}

void section_memory(std::string* o) {
  Server& s = srv();
  size_t used = used_memory();
  size_t rss = rss_memory();
  if (used > s.peak_memory) s.peak_memory = used;
  size_t peak = s.peak_memory;
  size_t clients_mem = 0;
  for (const auto& [id, c] : s.clients) clients_mem += client_memory(*c);
  size_t overhead = clients_mem + s.discard.capacity();
  for (const Db& db : s.dbs)
    overhead += db.keys.overhead_bytes() + db.expiring.capacity() * sizeof(KeyEntry*);
  size_t dataset = used > overhead ? used - overhead : 0;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  unsigned long long total_mem = pages > 0 && page > 0 ? (unsigned long long)pages * page : 0;
  size_t allocated = used, active = used, resident = rss;
#ifdef SC_HAVE_JEMALLOC
  {
    size_t sz = sizeof(size_t);
    mallctl("stats.active", &active, &sz, nullptr, 0);
    sz = sizeof(size_t);
    mallctl("stats.resident", &resident, &sz, nullptr, 0);
  }
#endif
  double frag = used ? double(rss) / double(used) : 0;
  catf(o,
       "# Memory\r\n"
       "used_memory:%zu\r\n"
       "used_memory_human:%s\r\n"
       "used_memory_rss:%zu\r\n"
       "used_memory_rss_human:%s\r\n"
       "used_memory_peak:%zu\r\n"
       "used_memory_peak_human:%s\r\n"
       "used_memory_peak_perc:%.2f%%\r\n"
       "used_memory_overhead:%zu\r\n"
       "used_memory_startup:0\r\n"
       "used_memory_dataset:%zu\r\n"
       "used_memory_dataset_perc:%.2f%%\r\n",
       used, human_bytes(used).c_str(), rss, human_bytes(rss).c_str(), peak,
       human_bytes(peak).c_str(), peak ? double(used) * 100 / double(peak) : 0.0, overhead, dataset,
       used ? double(dataset) * 100 / double(used) : 0.0);
  catf(o,
       "allocator_allocated:%zu\r\n"
       "allocator_active:%zu\r\n"
       "allocator_resident:%zu\r\n"
       "total_system_memory:%llu\r\n"
       "total_system_memory_human:%s\r\n"
       "used_memory_lua:0\r\n"
       "used_memory_vm_eval:0\r\n"
       "used_memory_lua_human:0B\r\n"
       "used_memory_scripts_eval:0\r\n"
       "number_of_cached_scripts:0\r\n"
       "number_of_functions:0\r\n"
       "number_of_libraries:0\r\n"
       "used_memory_vm_functions:0\r\n"
       "used_memory_vm_total:0\r\n"
       "used_memory_vm_total_human:0B\r\n"
       "used_memory_functions:0\r\n"
       "used_memory_scripts:0\r\n"
       "used_memory_scripts_human:0B\r\n"
       "maxmemory:%llu\r\n"
       "maxmemory_human:%s\r\n"
       "maxmemory_policy:%s\r\n",
       allocated, active, resident, total_mem, human_bytes(total_mem).c_str(), s.cfg.maxmemory,
       human_bytes(s.cfg.maxmemory).c_str(), s.cfg.maxmemory_policy.c_str());
  catf(o,
       "allocator_frag_ratio:%.2f\r\n"
       "allocator_frag_bytes:%lld\r\n"
       "allocator_rss_ratio:%.2f\r\n"
       "allocator_rss_bytes:%lld\r\n"
       "rss_overhead_ratio:%.2f\r\n"
       "rss_overhead_bytes:%lld\r\n"
       "mem_fragmentation_ratio:%.2f\r\n"
       "mem_fragmentation_bytes:%lld\r\n"
       "mem_not_counted_for_evict:0\r\n"
       "mem_replication_backlog:0\r\n"
       "mem_total_replication_buffers:0\r\n"
       "mem_clients_slaves:0\r\n"
       "mem_clients_normal:%zu\r\n"
       "mem_cluster_links:0\r\n"
       "mem_aof_buffer:0\r\n"
       "mem_allocator:%s\r\n"
       "active_defrag_running:0\r\n"
       "lazyfree_pending_objects:0\r\n"
       "lazyfreed_objects:0\r\n",
       allocated ? double(active) / double(allocated) : 0.0,
       (long long)active - (long long)allocated, active ? double(resident) / double(active) : 0.0,
       (long long)resident - (long long)active, resident ? double(rss) / double(resident) : 0.0,
       (long long)rss - (long long)resident, frag, (long long)rss - (long long)used, clients_mem,
       allocator_name());
}

void section_persistence(std::string* o) {
  // The AOF owns its state; it formats the whole section's fields.
  *o += "# Persistence\r\n";
  *o += aof_info_fields();
}

void section_stats(std::string* o) {
  Server& s = srv();
  const Stats& st = s.stats;
  catf(o,
       "# Stats\r\n"
       "total_connections_received:%lld\r\n"
       "total_commands_processed:%lld\r\n"
       "instantaneous_ops_per_sec:%lld\r\n"
       "total_net_input_bytes:%lld\r\n"
       "total_net_output_bytes:%lld\r\n"
       "total_net_repl_input_bytes:0\r\n"
       "total_net_repl_output_bytes:0\r\n"
       "instantaneous_input_kbps:%.2f\r\n"
       "instantaneous_output_kbps:%.2f\r\n"
       "instantaneous_input_repl_kbps:0.00\r\n"
       "instantaneous_output_repl_kbps:0.00\r\n"
       "rejected_connections:%lld\r\n"
       "sync_full:0\r\n"
       "sync_partial_ok:0\r\n"
       "sync_partial_err:0\r\n"
       "expired_keys:%lld\r\n"
       "expired_stale_perc:%.2f\r\n"
       "expired_time_cap_reached_count:0\r\n"
       "expire_cycle_cpu_milliseconds:0\r\n"
       "evicted_keys:%lld\r\n"
       "evicted_clients:0\r\n"
       "total_eviction_exceeded_time:0\r\n"
       "current_eviction_exceeded_time:0\r\n"
       "keyspace_hits:%lld\r\n"
       "keyspace_misses:%lld\r\n"
       "pubsub_channels:%zu\r\n"
       "pubsub_patterns:%zu\r\n"
       "pubsubshard_channels:0\r\n",
       st.connections_received, st.commands_processed, instantaneous(st.ops_samples),
       st.net_input_bytes, st.net_output_bytes, double(instantaneous(st.net_in_samples)) / 1024,
       double(instantaneous(st.net_out_samples)) / 1024, st.rejected_connections, st.expired_keys,
       double(st.expired_stale_perc), st.evicted_keys, st.keyspace_hits, st.keyspace_misses,
       s.pubsub ? pubsub_channel_count() : size_t(0),
       s.pubsub ? pubsub_pattern_count() : size_t(0));
  catf(o,
       "latest_fork_usec:0\r\n"
       "total_forks:0\r\n"
       "migrate_cached_sockets:0\r\n"
       "slave_expires_tracked_keys:0\r\n"
       "active_defrag_hits:0\r\n"
       "active_defrag_misses:0\r\n"
       "active_defrag_key_hits:0\r\n"
       "active_defrag_key_misses:0\r\n"
       "total_active_defrag_time:0\r\n"
       "current_active_defrag_time:0\r\n"
       "tracking_total_keys:0\r\n"
       "tracking_total_items:0\r\n"
       "tracking_total_prefixes:0\r\n"
       "unexpected_error_replies:%lld\r\n"
       "total_error_replies:%lld\r\n"
       "dump_payload_sanitizations:0\r\n"
       "total_reads_processed:%lld\r\n"
       "total_writes_processed:%lld\r\n"
       "io_threaded_reads_processed:0\r\n"
       "io_threaded_writes_processed:0\r\n"
       "reply_buffer_shrinks:0\r\n"
       "reply_buffer_expands:0\r\n"
       "client_query_buffer_limit_disconnections:%lld\r\n"
       "client_output_buffer_limit_disconnections:%lld\r\n"
       "pubsub_messages:%lld\r\n",
       st.unexpected_error_replies, st.total_error_replies, st.total_reads, st.total_writes,
       st.client_qbuf_limit_disconnections, st.client_outbuf_limit_disconnections,
       st.pubsub_messages);
}

void section_replication(std::string* o) {
  catf(o,
       "# Replication\r\n"
       "role:master\r\n"
       "connected_slaves:0\r\n"
       "master_failover_state:no-failover\r\n"
       "master_replid:%s\r\n"
       "master_replid2:0000000000000000000000000000000000000000\r\n"
       "master_repl_offset:0\r\n"
       "second_repl_offset:-1\r\n"
       "repl_backlog_active:0\r\n"
       "repl_backlog_size:1048576\r\n"
       "repl_backlog_first_byte_offset:0\r\n"
       "repl_backlog_histlen:0\r\n",
       master_replid().c_str());
}

void section_cpu(std::string* o) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  catf(o,
       "# CPU\r\n"
       "used_cpu_sys:%ld.%06ld\r\n"
       "used_cpu_user:%ld.%06ld\r\n"
       "used_cpu_sys_children:%ld.%06ld\r\n"
       "used_cpu_user_children:%ld.%06ld\r\n"
       "used_cpu_sys_main_thread:%ld.%06ld\r\n"
       "used_cpu_user_main_thread:%ld.%06ld\r\n",
       long(self.ru_stime.tv_sec), long(self.ru_stime.tv_usec), long(self.ru_utime.tv_sec),
       long(self.ru_utime.tv_usec), long(children.ru_stime.tv_sec), long(children.ru_stime.tv_usec),
       long(children.ru_utime.tv_sec), long(children.ru_utime.tv_usec),
       long(thread.ru_stime.tv_sec), long(thread.ru_stime.tv_usec), long(thread.ru_utime.tv_sec),
       long(thread.ru_utime.tv_usec));
}

void commandstat_line(std::string* o, const Command& c) {
  if (!c.calls && !c.failed_calls && !c.rejected_calls) return;
  catf(o,
       "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,failed_calls=%"
       "lld\r\n",
       c.fullname.c_str(), c.calls, c.usec, c.calls ? double(c.usec) / double(c.calls) : 0.0,
       c.rejected_calls, c.failed_calls);
}

void section_commandstats(std::string* o) {
  o->append("# Commandstats\r\n");
  for_each_command([&](const Command& c) {
    commandstat_line(o, c);
    if (c.subcommands)
      for (const Command* sub = c.subcommands; sub->name; sub++) commandstat_line(o, *sub);
  });
}

void section_keyspace(std::string* o) {
  o->append("# Keyspace\r\n");
  for (const Db& db : srv().dbs) {
    size_t keys = db.keys.size();
    if (keys == 0) continue;
    catf(o, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", db.id, keys, db.expiring.size(),
         db.avg_ttl);
  }
}

}  // namespace

std::string info_string_bits(uint32_t bits) {
  std::string o;
  o.reserve(4096);
  auto sep = [&] {
    if (!o.empty()) o.append("\r\n");
  };
  if (bits & kSecServer) sep(), section_server(&o);
  if (bits & kSecClients) sep(), section_clients(&o);
  if (bits & kSecMemory) sep(), section_memory(&o);
  if (bits & kSecPersistence) sep(), section_persistence(&o);
  if (bits & kSecStats) sep(), section_stats(&o);
  if (bits & kSecReplication) sep(), section_replication(&o);
  if (bits & kSecCpu) sep(), section_cpu(&o);
  if (bits & kSecModules) sep(), o.append("# Modules\r\n");
  if (bits & kSecCommandstats) sep(), section_commandstats(&o);
  if (bits & kSecErrorstats) {
    sep();
    o.append("# Errorstats\r\n");
    for (const auto& [code, n] : error_counts())
      catf(&o, "errorstat_%s:count=%lld\r\n", code.c_str(), n);
  }
  if (bits & kSecLatencystats) sep(), o.append("# Latencystats\r\n");
  if (bits & kSecCluster) sep(), o.append("# Cluster\r\ncluster_enabled:0\r\n");
  if (bits & kSecKeyspace) sep(), section_keyspace(&o);
  return o;
}

std::string info_string(std::string_view section) {
  uint32_t bits = section.empty() ? kSecDefault : section_bits(section);
  return info_string_bits(bits);
}

namespace {

// INFO [section ...]: unknown section names contribute nothing (an empty reply if all are).
void info_command(Client& c) {
  uint32_t bits = 0;
  if (c.argv.size() == 1) bits = kSecDefault;
  for (size_t i = 1; i < c.argv.size(); i++) bits |= section_bits(c.argv[i]);
  c.reply().verbatim(info_string_bits(bits));
}

Command kCommands[] = {
    {.name = "info", .arity = -1, .flags = kCmdLoading, .proc = info_command},
};

}  // namespace

std::span<Command> info_commands() { return kCommands; }

}  // namespace sc::broker
