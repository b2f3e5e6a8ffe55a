/*
 * C peer of IdentityMapBenchmark: a 4-level identity map of [0, SIZE) built the way the kernel's
 * arch/x86/mm/ident_map.c builds one (kernel_ident_mapping_init -> p4d/pud/pmd levels: for each
 * entry in range, reuse a present table or take a zeroed page from the allocator and link it),
 * extended with a PTE level for 4 KiB leaves. Table pages come from one pool allocated and
 * touched once (memory reused); each build resets the pool. A page is zeroed as it is handed
 * out, as the kernel's alloc_pgt_page callbacks hand out zeroed pages, except a page table the
 * build then fills from end to end; and an entry of a table this build just took is written
 * without testing it (it is known to be empty). Those are the shortcuts kexec-sim's
 * PageTableBuilder and IdentityMapWriter take for a fresh map, so both sides write the same
 * bytes and read none they need not (the kernel, which may merge into a live table, tests each
 * entry and zeroes every page). Tables sit at physical addresses from SIZE up, as in the Java
 * benchmark, so entries hold the same values. IdentityMapWriter also leaves unzeroed a page
 * directory it fills end to end with 2 MiB leaves (it writes every byte), which the builder
 * zeroes: the "writer" argument takes that shortcut too, so each Java side has a peer doing
 * exactly its work (4K maps are the same either way: their page directories hold table links).
 *
 *   ident_map SIZE PAGE SECONDS [writer]     e.g. ident_map 64G 4K 10
 * prints "entries=N builds=B median_entries_per_s=R" (median over the builds after a warm-up).
 * Written for this project; no kernel code is copied.
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
#define PS 0x80ULL
#define TABLE_FLAGS 0x63ULL /* _KERNPG_TABLE: P RW A D */
#define LEAF_FLAGS 0x163ULL /* P RW A D G, no NX: as the Java benchmark's PAGE_KERNEL_LARGE_EXEC & ~PS */
#define ADDR_MASK 0x000ffffffffff000ULL

static uint8_t *pool;        /* the table pages, virtually contiguous */
static uint64_t pool_pa;     /* physical address of pool[0] */
static uint64_t pool_pages, pool_next;
static uint64_t entries;

static uint64_t *table_at(uint64_t pa) { return (uint64_t *)(pool + (pa - pool_pa)); }

static uint64_t alloc_pgt_page(int zeroed) {
  if (pool_next == pool_pages) { fprintf(stderr, "ident_map: pool exhausted\n"); exit(1); }
  uint64_t pa = pool_pa + (pool_next++ << 12);
  if (zeroed) memset(table_at(pa), 0, 4096);
  return pa;
}

/* fresh: the table was taken by this build, so its entries are empty and need no test. Entries
   are counted in a local and added once: the global counter is a uint64_t like the entries
   stored, so the compiler must assume a store may change it and would load and store it for
   every entry (4T/2M builds ran at 0.4 G entries/s that way, 0.6 without). */
static void ident_pte_init(uint64_t *pte, uint64_t addr, uint64_t end, int fresh) {
  uint64_t n = 0;
  for (; addr < end; addr += 4096) {
    uint64_t *e = pte + ((addr >> 12) & 511);
    if (!fresh && (*e & P)) continue;
    *e = addr | LEAF_FLAGS;
    n++;
  }
  entries += n;
}

static void ident_pmd_init(uint64_t *pmd, uint64_t addr, uint64_t end, int large, int fresh) {
  uint64_t n = 0;
  for (uint64_t next; addr < end; addr = next) {
    next = (addr & ~((1ULL << 21) - 1)) + (1ULL << 21);
    if (next > end) next = end;
    uint64_t *e = pmd + ((addr >> 21) & 511);
    if (large) {
      if (!fresh && (*e & P)) continue;
      *e = (addr & ~((1ULL << 21) - 1)) | LEAF_FLAGS | PS;
      n++;
      continue;
    }
    if (!fresh && (*e & P)) { ident_pte_init(table_at(*e & ADDR_MASK), addr, next, 0); continue; }
    int whole = (addr & ((1ULL << 21) - 1)) == 0 && next - addr == (1ULL << 21);
    uint64_t pa = alloc_pgt_page(!whole); /* a table filled from end to end is not zeroed first */
    ident_pte_init(table_at(pa), addr, next, 1);
    *e = pa | TABLE_FLAGS;
    n++;
  }
  entries += n;
}

/* the writer's shortcut: a page directory filled end to end with large leaves is not zeroed */
static int writer_shortcut;

static void ident_pud_init(uint64_t *pud, uint64_t addr, uint64_t end, int large, int fresh) {
  for (uint64_t next; addr < end; addr = next) {
    next = (addr & ~((1ULL << 30) - 1)) + (1ULL << 30);
    if (next > end) next = end;
    uint64_t *e = pud + ((addr >> 30) & 511);
    if (!fresh && (*e & P)) { ident_pmd_init(table_at(*e & ADDR_MASK), addr, next, large, 0); continue; }
    int whole_leaves = writer_shortcut && large && (addr & ((1ULL << 30) - 1)) == 0 && next - addr == (1ULL << 30);
    uint64_t pa = alloc_pgt_page(!whole_leaves);
    ident_pmd_init(table_at(pa), addr, next, large, 1);
    *e = pa | TABLE_FLAGS;
    entries++;
  }
}

/* kernel_ident_mapping_init's shape for 4-level paging (no p4d level to fold) */
static uint64_t ident_map(uint64_t start, uint64_t end, int large) {
  uint64_t root = alloc_pgt_page(1);
  uint64_t *pgd = table_at(root);
  for (uint64_t addr = start, next; addr < end; addr = next) {
    next = (addr & ~((1ULL << 39) - 1)) + (1ULL << 39);
    if (next > end) next = end;
    uint64_t *e = pgd + ((addr >> 39) & 511);
    /* the root is fresh too, but kernel_ident_mapping_init tests it: one test per 512 GiB */
    if (*e & P) { ident_pud_init(table_at(*e & ADDR_MASK), addr, next, large, 0); continue; }
    uint64_t pa = alloc_pgt_page(1);
    ident_pud_init(table_at(pa), addr, next, large, 1);
    *e = pa | TABLE_FLAGS;
    entries++;
  }
  return root;
}

static uint64_t parse_size(const char *s) {
  char *end;
  uint64_t v = strtoull(s, &end, 10);
  switch (*end) { case 'T': v <<= 40; break; case 'G': v <<= 30; break; case 'M': v <<= 20; break; case 'K': v <<= 10; break; }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "writer") != 0)) {
    fprintf(stderr, "usage: ident_map SIZE 4K|2M SECONDS [writer]\n");
    return 2;
  }
  writer_shortcut = argc == 5;
  uint64_t size = parse_size(argv[1]);
  int large = strcmp(argv[2], "2M") == 0;
  double seconds = atof(argv[3]);
  uint64_t leaves = large ? size >> 21 : size >> 12;
  pool_pages = leaves / 512 + leaves / (512 * 512) + leaves / (512ULL * 512 * 512) + 16;
  pool = mmap(NULL, pool_pages << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (pool == MAP_FAILED) { perror("mmap"); return 1; }
  pool_pa = size;
  static double rates[100000];
  int n = 0;
  uint64_t last_entries = 0, sum = 0;
  double begin = now();
  for (int build = 0; now() - begin < seconds && n < 100000; build++) {
    pool_next = 0;
    entries = 0;
    double t0 = now();
    uint64_t root = ident_map(0, size, large);
    double t1 = now();
    sum += root + table_at(root)[0];
    last_entries = entries;
    if (now() - begin > seconds * 0.3) rates[n++] = entries / (t1 - t0); /* the first 30%: warm-up */
  }
  printf("entries=%llu builds=%d median_entries_per_s=%.0f check=%llu\n", (unsigned long long)last_entries, n,
         median(rates, n), (unsigned long long)(sum & 0xff));
  return 0;
}
