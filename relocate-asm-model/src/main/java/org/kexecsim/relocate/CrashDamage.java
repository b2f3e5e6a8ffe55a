package org.kexecsim.relocate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kimage.IndirectionWalk;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.mmu.WalkStep;
import org.kexecsim.transition.PrepareReport;

/** Applies {@link Damage}s to a crashed kernel's memory, saying what each changed. */
final class CrashDamage {
  private CrashDamage() {}

  /** What one damage did: a sentence and the physical pages it wrote. */
  record Applied(String sentence, List<Long> pages) {}

  static List<Applied> apply(Set<Damage> damage, CrashedKernel kernel, PrepareReport prep, IndirectionWalk walk,
      Purgatory purgatory, long seed) {
    List<Applied> done = new ArrayList<>();
    PhysicalMemory m = kernel.memory();
    for (Damage d : damage) {
      switch (d) {
        case GDT_ZEROED -> done.add(fill(m, d, kernel.gdt().physical(), kernel.gdt().limit() + 1, (byte) 0));
        case GDT_POISON -> done.add(fill(m, d, kernel.gdt().physical(), kernel.gdt().limit() + 1, (byte) 0x6b));
        case IDT_ZEROED -> done.add(fill(m, d, kernel.idt().physical(), kernel.idt().limit() + 1, (byte) 0));
        case ROUTINE_PTE -> done.add(clearLeaf(kernel, prep.switchVirtual(), d));
        case CRASH_IMAGE -> done.add(flipImageByte(m, walk, purgatory, seed, d));
      }
    }
    return done;
  }

  private static Applied fill(PhysicalMemory m, Damage d, long pa, int bytes, byte value) {
    byte[] b = new byte[bytes];
    Arrays.fill(b, value);
    m.write(pa, b, 0, bytes);
    List<Long> pages = new ArrayList<>();
    for (long p = pa & ~0xFFFL; p < pa + bytes; p += PhysicalMemory.PAGE_SIZE) {
      pages.add(p);
    }
    return new Applied(String.format("%s (%d bytes at 0x%x)", d.description(), bytes, pa), pages);
  }

  /** The leaf entry the crashed kernel's tables use for {@code va}, zeroed. */
  private static Applied clearLeaf(CrashedKernel kernel, long va, Damage d) {
    PagingState s = kernel.registers().pagingState(kernel.memory(), kernel.cpu());
    Translation t = PageWalker.translate(kernel.memory(), s, va, Access.FETCH);
    if (!(t instanceof Translation.Mapped mapped)) {
      return new Applied(String.format("%s: 0x%x was not mapped to begin with", d.description(), va), List.of());
    }
    WalkStep leaf = mapped.steps().getLast();
    kernel.arch().pagingMode().writeEntry(kernel.memory(), leaf.entryPhysical(), 0);
    return new Applied(String.format("%s (%s for 0x%x at 0x%x, was 0x%x)", d.description(), leaf.table(), va,
        leaf.entryPhysical(), leaf.value()), List.of(leaf.entryPhysical() & ~0xFFFL));
  }

  /** One byte of the first hashed region, in its source page for a normal image. */
  private static Applied flipImageByte(PhysicalMemory m, IndirectionWalk walk, Purgatory purgatory, long seed, Damage d) {
    if (purgatory.regions().isEmpty()) {
      return new Applied(d.description() + ": no loaded segment besides purgatory", List.of());
    }
    Purgatory.Region r = purgatory.regions().getFirst();
    long at = r.start() + new SplittableRandom(seed ^ 0xda3a9eL).nextLong(r.length());
    long pa = at;
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      if (c.destination() == (at & ~0xFFFL)) {
        pa = c.source() | (at & 0xFFF);
      }
    }
    int old = m.readU8(pa);
    m.writeU8(pa, old ^ 0x01);
    return new Applied(String.format("%s (destination 0x%x, held at 0x%x: 0x%02x -> 0x%02x)", d.description(), at, pa,
        old, old ^ 1), List.of(pa & ~0xFFFL));
  }
}
