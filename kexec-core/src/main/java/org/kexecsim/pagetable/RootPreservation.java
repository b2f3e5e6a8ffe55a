package org.kexecsim.pagetable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kexecsim.memory.PhysicalMemory;

/**
 * The one preservation comparison: walks the hierarchy reachable from a root in BEFORE
 * ({@link TableWalk}) and requires every table it reaches to hold the same bytes at the same
 * address in AFTER. A translation depends only on the entries on its path (SDM Vol. 3A §4.3–4.5),
 * so unchanged tables mean unchanged translations; the translation count is compared as well
 * when asked, for a report that says how many mappings a change moved.
 */
public final class RootPreservation {
  private RootPreservation() {}

  /** A leaf as a comparable value: sign-extended linear address, frame, size, raw entry. */
  private record Leaf(long linear, long physical, long size, long entry) {}

  /**
   * BEFORE against AFTER.
   *
   * @param translations also compare the leaf translations (AFTER is walked too, streamed)
   * @param observer receives BEFORE's walk as it happens (reserved-bit findings, limits)
   */
  public static RootCheck check(String label, PhysicalMemory before, PhysicalMemory after, TableWalk.Start start,
      boolean translations, TableWalk.Visitor observer) {
    Walked w = walk(before, start, translations, observer);
    List<RootCheck.Table> changed = new ArrayList<>();
    for (RootCheck.Table t : w.tables.values()) {
      if (!after.ramMap().containsRange(t.physical(), t.bytes())) {
        changed.add(new RootCheck.Table(t.physical(), t.bytes(), t.level(), t.linearBase(), true));
      } else if (!sameBytes(before, after, t.physical(), t.bytes())) {
        changed.add(t);
      }
    }
    long differ = 0;
    if (translations) {
      // BEFORE's leaves are kept (a crashed kernel's own are few); AFTER's are streamed, since
      // an identity map copied into a pgd can add millions.
      // each linear address is one leaf of one walk, so a count of matches is enough
      long[] kept = {0};
      long[] added = {0};
      TableWalk.walk(after, start, new TableWalk.Visitor() {
        @Override
        public void leaf(long linear, long size, long physical, int level, long rights, long entry) {
          Leaf l = new Leaf(start.mode().canonical(linear), physical, size, entry);
          if (w.leaves.contains(l)) {
            kept[0]++;
          } else {
            added[0]++;
          }
        }
      });
      differ = added[0] + (w.leaves.size() - kept[0]);
    }
    return new RootCheck(label, start.root(), w.tables.size(), changed, w.leafCount, differ, w.unreadable);
  }

  public static RootCheck check(String label, PhysicalMemory before, PhysicalMemory after, TableWalk.Start start,
      boolean translations) {
    return check(label, before, after, start, translations, new TableWalk.Visitor() {});
  }

  /** One image, nothing to compare with: what is reachable and what is not. */
  public static RootCheck survey(String label, PhysicalMemory image, TableWalk.Start start, TableWalk.Visitor observer) {
    Walked w = walk(image, start, false, observer);
    return new RootCheck(label, start.root(), w.tables.size(), List.of(), w.leafCount, 0, w.unreadable);
  }

  private static final class Walked {
    final Map<Long, RootCheck.Table> tables = new LinkedHashMap<>();
    final Set<Leaf> leaves = new HashSet<>();
    final List<RootCheck.Table> unreadable = new ArrayList<>();
    long leafCount;
  }

  private static Walked walk(PhysicalMemory memory, TableWalk.Start start, boolean keepLeaves, TableWalk.Visitor observer) {
    Walked w = new Walked();
    TableWalk.walk(memory, start, new TableWalk.Visitor() {
      @Override
      public void table(long physical, int bytes, int level, long linearBase) {
        w.tables.putIfAbsent(physical, new RootCheck.Table(physical, bytes, level, linearBase, false));
        observer.table(physical, bytes, level, linearBase);
      }

      @Override
      public void entry(int level, long address, int index, long entry) {
        observer.entry(level, address, index, entry);
      }

      @Override
      public void leaf(long linear, long size, long physical, int level, long rights, long entry) {
        w.leafCount++;
        if (keepLeaves) {
          w.leaves.add(new Leaf(start.mode().canonical(linear), physical, size, entry));
        }
        observer.leaf(linear, size, physical, level, rights, entry);
      }

      @Override
      public void unreadable(long physical, int level, long linearBase) {
        w.unreadable.add(new RootCheck.Table(physical, PhysicalMemory.PAGE_SIZE, level, linearBase, true));
        observer.unreadable(physical, level, linearBase);
      }
    });
    return w;
  }

  private static boolean sameBytes(PhysicalMemory a, PhysicalMemory b, long physical, int bytes) {
    if (bytes == PhysicalMemory.PAGE_SIZE) {
      return a.pageEquals(physical, b, physical);
    }
    byte[] x = new byte[bytes];
    byte[] y = new byte[bytes];
    a.read(physical, x, 0, bytes);
    b.read(physical, y, 0, bytes);
    return Arrays.equals(x, y);
  }
}
