/*
 * C peer of TranslationBenchmark: 4-level tables mapping MAPPED bytes at the vmalloc-like base
 * 0xffffc90000000000 to physical 0 with 4 KiB pages (tables at physical MAPPED and up, one pool
 * touched once), then random translations of 65,536 addresses, repeated:
 *   single:  one walk after another (each level: index, load, present check, large-page check,
 *            reserved-bit check against the level's mask for a table link or a leaf — the
 *            checks kexec-sim's read-only walk makes for the same walk, SDM Vol. 3A §4.5 with
 *            MAXPHYADDR 40 and NXE on, as the Java benchmark's CPU; no access-rights checks,
 *            which a read by the kernel passes whatever the rights, SDM §4.6, and which the Java
 *            walk skips then too)
 *   batched: 16, 32 or 64 walks advanced level by level together, so their loads overlap; each
 *            lane count is timed and the fastest counts (kexec-sim's walkAll uses 32 lanes: the
 *            peer gets its best, whichever that is on the machine)
 *
 *   walk GIB SECONDS      e.g. walk 64 10
 * prints "single_per_s=R batched_per_s=R lanes=N" (medians over passes after a warm-up; batched
 * is the fastest lane count's, N), then each lane count's median.
 * Written for this project.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "passes.h"

#define P 0x1ULL
#define RW 0x2ULL
#define US 0x4ULL
#define PS 0x80ULL
#define XD (1ULL << 63)
#define TABLE_FLAGS 0x63ULL
#define PAGE_KERNEL 0x8000000000000163ULL /* P RW A D G NX */
#define ADDR_MASK 0x000ffffffffff000ULL
#define BASE 0xffffc90000000000ULL
#define MAXPHYADDR 40
/* reserved bits by level (index 1..4): 51:M everywhere; PS in a PML4E; 29:13 in a 1 GiB leaf
   and 20:13 in a 2 MiB leaf (the Java side's PagingState masks, for CpuFeatures.DEFAULT) */
#define RSVD (((1ULL << 52) - 1) & ~((1ULL << MAXPHYADDR) - 1))
static const uint64_t reserved_table[5] = {0, RSVD, RSVD, RSVD, RSVD | PS};
static const uint64_t reserved_leaf[5] = {0, RSVD, RSVD | 0x1FE000ULL, RSVD | 0x3FFFE000ULL, RSVD};
#define BATCH 65536
#define MAX_LANES 64
static const int lane_counts[] = {16, 32, 64};
#define NCOUNTS 3

static uint8_t *pool;
static uint64_t pool_pa, pool_pages, pool_next;

static inline uint64_t *table_at(uint64_t pa) { return (uint64_t *)(pool + (pa - pool_pa)); }

static uint64_t alloc_page(void) {
  if (pool_next == pool_pages) { fprintf(stderr, "walk: pool exhausted\n"); exit(1); }
  uint64_t pa = pool_pa + (pool_next++ << 12);
  memset(table_at(pa), 0, 4096);
  return pa;
}

/* maps [va, va+len) to [pa, ...) with 4 KiB pages, creating tables as needed */
static void map(uint64_t root, uint64_t va, uint64_t pa, uint64_t len) {
  for (uint64_t off = 0; off < len; off += 4096) {
    uint64_t v = va + off, table = root;
    for (int level = 4; level > 1; level--) {
      uint64_t *e = table_at(table) + ((v >> (3 + 9 * level)) & 511);
      if (!(*e & P)) *e = alloc_page() | TABLE_FLAGS;
      table = *e & ADDR_MASK;
    }
    table_at(table)[(v >> 12) & 511] = (pa + off) | PAGE_KERNEL;
  }
}

/* the physical address of la, or -1 for a fault (non-canonical, not present) */
static inline int64_t walk(uint64_t root, uint64_t la) {
  if ((uint64_t)(((int64_t)(la << 16)) >> 16) != la) return -1;
  uint64_t table = root;
  for (int level = 4; level >= 1; level--) {
    int shift = 3 + 9 * level;
    uint64_t e = table_at(table)[(la >> shift) & 511];
    int leaf = level == 1 || ((e & PS) && level <= 3);
    if (!(e & P) || (e & (leaf ? reserved_leaf[level] : reserved_table[level]))) return -1;
    if (leaf) {
      uint64_t mask = (1ULL << shift) - 1;
      return (int64_t)(((e & ADDR_MASK) & ~mask) | (la & mask));
    }
    table = e & ADDR_MASK;
  }
  return -1;
}

static void walk_lanes(uint64_t root, const uint64_t *la, int64_t *out, int n) {
  uint64_t table[MAX_LANES];
  int active[MAX_LANES];
  for (int k = 0; k < n; k++) {
    active[k] = (uint64_t)(((int64_t)(la[k] << 16)) >> 16) == la[k];
    table[k] = root;
    out[k] = -1;
  }
  for (int level = 4; level >= 1; level--) {
    int shift = 3 + 9 * level;
    uint64_t e[MAX_LANES];
    for (int k = 0; k < n; k++) e[k] = active[k] ? table_at(table[k])[(la[k] >> shift) & 511] : 0;
    for (int k = 0; k < n; k++) {
      if (!active[k]) continue;
      int leaf = level == 1 || ((e[k] & PS) && level <= 3);
      if (!(e[k] & P) || (e[k] & (leaf ? reserved_leaf[level] : reserved_table[level]))) { active[k] = 0; continue; }
      if (leaf) {
        uint64_t mask = (1ULL << shift) - 1;
        out[k] = (int64_t)(((e[k] & ADDR_MASK) & ~mask) | (la[k] & mask));
        active[k] = 0;
      } else {
        table[k] = e[k] & ADDR_MASK;
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: walk GIB SECONDS\n"); return 2; }
  uint64_t mapped = strtoull(argv[1], NULL, 10) << 30;
  double seconds = atof(argv[2]);
  uint64_t leaves = mapped >> 12;
  pool_pages = leaves / 512 + leaves / (512 * 512) + 16;
  pool = mmap(NULL, pool_pages << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pool == MAP_FAILED) { perror("mmap"); return 1; }
  madvise(pool, pool_pages << 12, MADV_HUGEPAGE); /* as the JMH fork's -XX:+UseTransparentHugePages */
  memset(pool, 0, pool_pages << 12);              /* and its -XX:+AlwaysPreTouch */
  pool_pa = mapped;
  uint64_t root = alloc_page();
  map(root, BASE, 0, mapped);
  static uint64_t la[BATCH];
  static int64_t out[BATCH];
  uint64_t x = 42;
  for (int i = 0; i < BATCH; i++) { /* xorshift64*: uniform enough over the mapped range */
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    la[i] = BASE + ((x * 0x2545F4914F6CDD1DULL) % mapped);
  }
  static double single[100000], batched[NCOUNTS][100000];
  int ns = 0;
  int64_t sum = 0;
  double begin = now();
  while (now() - begin < seconds && ns < 100000) {
    double t0 = now();
    for (int i = 0; i < BATCH; i++) sum += walk(root, la[i]);
    double t1 = now();
    double rate[NCOUNTS];
    for (int c = 0; c < NCOUNTS; c++) {
      memset(out, 0, sizeof out); /* each lane count writes every result again */
      double t2 = now();
      for (int i = 0; i < BATCH; i += lane_counts[c]) walk_lanes(root, la + i, out + i, lane_counts[c]);
      rate[c] = BATCH / (now() - t2);
      sum += out[BATCH - 1];
    }
    if (now() - begin > seconds * 0.3) {
      for (int c = 0; c < NCOUNTS; c++) batched[c][ns] = rate[c];
      single[ns++] = BATCH / (t1 - t0);
    }
  }
  for (int i = 0; i < BATCH; i++) {
    if (walk(root, la[i]) != out[i] || out[i] != (int64_t)(la[i] - BASE)) { fprintf(stderr, "walk: wrong translation\n"); return 1; }
  }
  double best = 0, each[NCOUNTS];
  int best_lanes = 0;
  for (int c = 0; c < NCOUNTS; c++) {
    each[c] = median(batched[c], ns);
    if (each[c] > best) { best = each[c]; best_lanes = lane_counts[c]; }
  }
  printf("single_per_s=%.0f batched_per_s=%.0f lanes=%d check=%lld\n", median(single, ns), best, best_lanes, (long long)(sum & 0xff));
  for (int c = 0; c < NCOUNTS; c++) printf("lanes=%d batched_per_s=%.0f\n", lane_counts[c], each[c]);
  return 0;
}
