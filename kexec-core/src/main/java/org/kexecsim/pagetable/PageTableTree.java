package org.kexecsim.pagetable;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PagingMode;

/**
 * Everything reachable from one root as it is in memory: the table pages and every leaf
 * translation they define, found by following present non-leaf entries (SDM Vol. 3A §4.3–4.5;
 * PS is honoured as with CR4.PSE=1, and PAE PDPTEs are read from memory, not from the
 * registers). Used to prove a pgd untouched: same pages, same bytes, same translations.
 */
public final class PageTableTree {

  /** One leaf: {@code [virtual, virtual+size)} maps to {@code physical} with the entry's flags. */
  public record Leaf(long virtual, long physical, long size, long entry) {}

  private final Set<Long> tablePages = new LinkedHashSet<>();
  private final List<Leaf> leaves = new ArrayList<>();
  private final PhysicalMemory memory;
  private final PagingMode mode;
  private final Consumer<Leaf> sink;

  private PageTableTree(PhysicalMemory memory, PagingMode mode, Consumer<Leaf> sink) {
    this.memory = memory;
    this.mode = mode;
    this.sink = sink == null ? leaves::add : sink;
  }

  /** The tree with its leaves collected. */
  public static PageTableTree of(PhysicalMemory memory, PagingMode mode, long root) {
    return walkFrom(new PageTableTree(memory, mode, null), root);
  }

  /**
   * Streams the leaves to {@code visitor} instead of collecting them (an identity map of tens of
   * TiB has millions); the returned tree has the table pages and no leaves.
   */
  public static PageTableTree visit(PhysicalMemory memory, PagingMode mode, long root, Consumer<Leaf> visitor) {
    return walkFrom(new PageTableTree(memory, mode, visitor), root);
  }

  private static PageTableTree walkFrom(PageTableTree t, long root) {
    PhysicalMemory memory = t.memory;
    PagingMode mode = t.mode;
    switch (mode) {
      case BITS32 -> t.walk(root & 0xFFFF_F000L, 2, 0);
      case PAE -> {
        long pdpt = root & 0xFFFF_FFE0L;
        t.tablePages.add(pdpt & ~0xFFFL);
        for (int i = 0; i < 4; i++) {
          long e = memory.readU64(pdpt + 8L * i);
          if ((e & P) != 0) {
            t.walk(e & 0x000F_FFFF_FFFF_F000L, 2, (long) i << 30);
          }
        }
      }
      case LEVEL4, LEVEL5 -> t.walk(root & 0x000F_FFFF_FFFF_F000L, mode.levels(), 0);
      case DISABLED -> throw new IllegalArgumentException("no tables without paging");
    }
    return t;
  }

  /** Physical addresses of the table pages, root first, in walk order. */
  public List<Long> tablePages() {
    return List.copyOf(tablePages);
  }

  public List<Leaf> leaves() {
    return List.copyOf(leaves);
  }

  private void walk(long table, int level, long vaBase) {
    tablePages.add(table);
    boolean bits32 = mode == PagingMode.BITS32;
    int entries = bits32 ? 1024 : 512;
    int shift = bits32 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
    for (int i = 0; i < entries; i++) {
      long e = bits32 ? memory.readU32(table + 4L * i) : memory.readU64(table + 8L * i);
      if ((e & P) == 0) {
        continue;
      }
      long va = canonical(vaBase + ((long) i << shift));
      boolean leaf = level == 1 || ((e & PS) != 0 && level <= 3 && !(bits32 && level > 2));
      if (leaf) {
        long size = 1L << shift;
        long pa;
        if (bits32 && level == 2) {
          pa = (e & 0xFFC0_0000L) | (((e >>> 13) & 0xFF) << 32); // PSE-36
        } else if (bits32) {
          pa = e & 0xFFFF_F000L;
        } else {
          pa = e & 0x000F_FFFF_FFFF_F000L & ~(size - 1);
        }
        sink.accept(new Leaf(va, pa, size, e));
      } else {
        walk(bits32 ? e & 0xFFFF_F000L : e & 0x000F_FFFF_FFFF_F000L, level - 1, va);
      }
    }
  }

  private long canonical(long va) {
    int bits = switch (mode) {
      case LEVEL4 -> 48;
      case LEVEL5 -> 57;
      default -> 64;
    };
    return bits == 64 ? va : (va << (64 - bits)) >> (64 - bits);
  }
}
