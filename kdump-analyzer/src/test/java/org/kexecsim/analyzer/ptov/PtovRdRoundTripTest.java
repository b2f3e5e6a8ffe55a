package org.kexecsim.analyzer.ptov;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.analyzer.SimulatedMachine.Mapping;
import org.kexecsim.analyzer.read.MemoryRead;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.testing.EachPagingMode;

/**
 * Properties over random mapped addresses of the project's own images, in every paging mode:
 * ptov(vtop(va)) contains va, and a virtual read through the tables gives the bytes at the
 * physical addresses vtop names, page by page, across page boundaries.
 */
class PtovRdRoundTripTest {
  @TempDir Path dir;

  @EachPagingMode
  void ptovOfVtopOfAMappedAddressContainsIt(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 7);
    try (Dump dump = machine.openQemu(dir, machine.nativeClass())) {
      PagingContext ctx = RootTableFinder.find(dump);
      Random r = new Random(16);
      PageWalker walker = new PageWalker(dump.physicalMemory());
      List<Long> vas = new ArrayList<>();
      List<Long> pas = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        Mapping m = machine.mappings().get(r.nextInt(machine.mappings().size()));
        long va = m.va() + (r.nextLong() & Long.MAX_VALUE) % m.size();
        VtopResult t = Vtop.one(walker, dump.physicalMemory(), ctx, va);
        assertTrue(t.isMapped(), () -> Long.toHexString(va));
        vas.add(mode.canonical(va));
        pas.add(t.physical().getAsLong());
      }
      List<Ptov.Found> found = Ptov.find(dump.physicalMemory(), ctx, pas.stream().mapToLong(Long::longValue).toArray());
      assertEquals(pas.size(), found.size());
      for (int i = 0; i < vas.size(); i++) {
        Ptov.Found f = found.get(i);
        assertEquals(pas.get(i), f.physical());
        long va = vas.get(i);
        assertTrue(f.matches().stream().anyMatch(m -> m.linear() == va),
            () -> String.format("ptov(0x%x) = %s lacks 0x%x", f.physical(), f.matches().stream().map(m -> Long.toHexString(m.linear())).toList(), va));
        for (Ptov.Match m : f.matches()) { // and every answer translates back
          assertEquals(f.physical(), m.translation().physical().getAsLong());
        }
      }
      // A text page is mapped twice: by the direct map and by the kernel text mapping.
      long textPa = SimulatedMachine.TEXT_PA + 0x1234;
      List<Long> both = Ptov.find(dump.physicalMemory(), ctx, new long[] {textPa}).getFirst().matches().stream().map(Ptov.Match::linear).toList();
      assertTrue(both.contains(mode.canonical(SimulatedMachine.textVa(mode) + 0x1234)), both.toString());
      if (mode != PagingMode.BITS32 || textPa < 256L << 20) {
        assertTrue(both.contains(mode.canonical(SimulatedMachine.pageOffset(mode) + textPa)), both.toString());
      }
      long beyond = mode.isLongMode() ? 8L << 30 : 1L << 30; // past the direct map (4G, 512M, 256M)
      assertEquals(0, Ptov.find(dump.physicalMemory(), ctx, new long[] {beyond}).getFirst().total(), "an address nothing maps");
    }
  }

  @EachPagingMode
  void aVirtualReadIsTheBytesAtEachPagesTranslation(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 9);
    try (Dump dump = machine.openQemu(dir, machine.nativeClass())) {
      PagingContext ctx = RootTableFinder.find(dump);
      PageWalker walker = new PageWalker(dump.physicalMemory());
      Random r = new Random(3);
      for (int i = 0; i < 50; i++) {
        // user pages (4K, scattered physically) and text: reads of up to 3 pages from a random offset
        long base = r.nextBoolean() ? SimulatedMachine.USER_VA : SimulatedMachine.textVa(mode);
        long start = base + r.nextInt(8 * 4096);
        int length = 1 + r.nextInt(3 * 4096);
        List<MemoryRead.Piece> pieces = new ArrayList<>();
        MemoryRead.read(dump.physicalMemory(), Optional.of(ctx), start, length, pieces::add);
        long at = start;
        for (MemoryRead.Piece p : pieces) {
          MemoryRead.Bytes b = (MemoryRead.Bytes) p;
          assertEquals(at, b.address());
          assertTrue(b.length() <= 4096 - (at & 4095), "a piece never crosses a page");
          long pa = Vtop.one(walker, dump.physicalMemory(), ctx, at).physical().getAsLong();
          assertEquals(pa, b.physical());
          byte[] expected = new byte[b.data().length];
          machine.memory().read(pa, expected, 0, expected.length);
          assertArrayEquals(expected, b.data());
          at += b.length();
        }
        assertEquals(start + length, at);
      }
      // across the end of the user mapping: bytes, then one hole for the rest
      long end = SimulatedMachine.USER_VA + SimulatedMachine.USER_SIZE;
      List<MemoryRead.Piece> pieces = new ArrayList<>();
      MemoryRead.read(dump.physicalMemory(), Optional.of(ctx), end - 16, 3 * 4096 + 16, pieces::add);
      assertEquals(2, pieces.size(), pieces.toString());
      MemoryRead.Hole h = (MemoryRead.Hole) pieces.get(1);
      assertEquals(end, h.address());
      assertEquals(3 * 4096, h.length());
      assertTrue(h.why().startsWith("not mapped: #PF"), h.why());
    }
  }
}
