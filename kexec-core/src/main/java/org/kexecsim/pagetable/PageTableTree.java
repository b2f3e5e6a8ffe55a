package org.kexecsim.pagetable;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PagingMode;

/**
 * Everything reachable from one root as it is in memory: the table pages and every leaf
 * translation they define, found by {@link TableWalk} from {@link TableWalk.Start#inMemory} (PS is
 * honoured as with CR4.PSE=1, and PAE PDPTEs are read from memory, not from the registers).
 * Used to prove a pgd untouched: same pages, same bytes, same translations.
 */
public final class PageTableTree {

  /** One leaf: {@code [virtual, virtual+size)} maps to {@code physical} with the entry's flags. */
  public record Leaf(long virtual, long physical, long size, long entry) {}

  /** A table linked at {@code level} (1 = PT) for the linear addresses from {@code linearBase}, outside RAM. */
  public record UnreadableTable(long physical, int level, long linearBase) {}

  private final Set<Long> tablePages = new LinkedHashSet<>();
  private final List<Leaf> leaves = new ArrayList<>();
  private final List<UnreadableTable> unreadable = new ArrayList<>();
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
    PagingMode mode = t.mode;
    TableWalk.walk(t.memory, TableWalk.Start.inMemory(mode, root), new TableWalk.Visitor() {
      @Override
      public void table(long physical, int bytes, int level, long linearBase) {
        t.tablePages.add(physical & ~0xFFFL);
      }

      @Override
      public void leaf(long linear, long size, long physical, int level, long rights, long entry) {
        t.sink.accept(new Leaf(mode.canonical(linear), physical, size, entry));
      }

      @Override
      public void unreadable(long physical, int level, long linearBase) {
        t.unreadable.add(new UnreadableTable(physical, level, mode.canonical(linearBase)));
      }
    });
    return t;
  }

  /** Physical addresses of the table pages, root first, in walk order. */
  public List<Long> tablePages() {
    return List.copyOf(tablePages);
  }

  public List<Leaf> leaves() {
    return List.copyOf(leaves);
  }

  /** Tables an entry links to outside the memory's RAM, in walk order; the walk went on without them. */
  public List<UnreadableTable> unreadable() {
    return List.copyOf(unreadable);
  }
}
