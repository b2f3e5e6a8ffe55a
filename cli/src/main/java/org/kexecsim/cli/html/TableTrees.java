package org.kexecsim.cli.html;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.mmu.WalkStep;

/**
 * The part of one table set a transition depends on: the table pages that the walks of the
 * control page's addresses go through, each with the entries those walks read. Walked in the
 * memory as the run left it; an entry whose value differs from the crash-time memory is marked
 * as written by the transition.
 */
final class TableTrees {
  private TableTrees() {}

  /** A walked address: which mapping it is (its index picks the highlight) and where it must land. */
  record Target(int index, String name, long virtual, long physical) {}

  /** One entry a walk read. {@code child} is the next table's address, or -1 at a leaf or a fault. */
  record Entry(int index, long value, long before, long child, String leaf, boolean fault, List<Integer> targets) {}

  /** A table page; {@code depth} 0 is the root. */
  record Node(long table, int depth, String kind, TreeMap<Integer, Entry> entries) {}

  /** Leaf pages a walk reached: which targets, and whether the control page lies in it. */
  record Leaf(String key, int depth, String label, boolean controlPage, List<Integer> targets) {}

  record Tree(long root, Map<Long, Node> nodes, Map<String, Leaf> leaves, List<String> notes) {}

  static Tree walk(PhysicalMemory post, PhysicalMemory pre, PagingState state, long root, List<Target> targets) {
    Map<Long, Node> nodes = new LinkedHashMap<>();
    Map<String, Leaf> leaves = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    PageWalker walker = new PageWalker(post);
    for (Target t : targets) {
      Translation tr = walker.translate(state, t.virtual(), Access.READ, false);
      List<WalkStep> steps = tr.steps();
      for (int i = 0; i < steps.size(); i++) {
        WalkStep s = steps.get(i);
        long table = state.mode() == PagingMode.PAE && s.level() == 3 ? root : s.entryPhysical() & ~0xFFFL;
        String kind = s.table().endsWith("E") ? s.table().substring(0, s.table().length() - 1) : s.table();
        Node n = nodes.computeIfAbsent(table, k -> new Node(k, 0, kind, new TreeMap<>()));
        int depth = i;
        if (n.depth() != depth) {
          n = new Node(n.table(), depth, n.kind(), n.entries());
          nodes.put(table, n);
        }
        boolean last = i == steps.size() - 1;
        long child = -1;
        String leaf = null;
        boolean fault = false;
        if (!last) {
          WalkStep next = steps.get(i + 1);
          child = state.mode() == PagingMode.PAE && next.level() == 3 ? root : next.entryPhysical() & ~0xFFFL;
        } else if (tr instanceof Translation.Mapped m) {
          long page = m.physical() & -m.pageSize().bytes();
          leaf = m.pageSize().label() + " page 0x" + Long.toHexString(page);
          boolean cp = Long.compareUnsigned(t.physical(), page) >= 0 && Long.compareUnsigned(t.physical() - page, m.pageSize().bytes()) < 0;
          Leaf l = leaves.computeIfAbsent(leaf, k -> new Leaf(k, depth + 1, k, cp, new ArrayList<>()));
          l.targets().add(t.index());
        } else {
          fault = true;
          String why = switch (tr) {
            case Translation.Faulted f -> f.describe();
            case Translation.Unreadable u -> String.format("table at 0x%x unreadable: %s", u.physical(), u.reason());
            case Translation.Mapped m -> "mapped";
          };
          notes.add(t.name() + " (0x" + Long.toHexString(t.virtual()) + "): " + why);
        }
        // as the crash left it in memory (a PAE PDPTE too: where MOV CR3 loaded it from)
        long before = state.mode().readEntry(pre, s.entryPhysical());
        Entry old = n.entries().get(s.index());
        List<Integer> ts = old == null ? new ArrayList<>() : old.targets();
        if (!ts.contains(t.index())) {
          ts.add(t.index());
        }
        n.entries().put(s.index(), new Entry(s.index(), s.value(), before, child, leaf, fault, ts));
      }
    }
    return new Tree(root, nodes, leaves, notes);
  }
}
