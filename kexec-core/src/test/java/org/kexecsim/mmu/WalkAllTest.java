package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.Machines;

/** The overlapped batch walk gives, address by address, exactly what a single walk gives. */
class WalkAllTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void batchWalksAgreeWithSingleWalks(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (PagingMode mode : new PagingMode[] {PagingMode.PAE, PagingMode.LEVEL4, PagingMode.LEVEL5}) {
      SparseMemory m = Machines.ram(256L << 20);
      PageTableBuilder b = PageTableBuilder.create(m, mode, new BumpFrameAllocator(128L << 20, 256L << 20));
      long span = mode == PagingMode.PAE ? 1L << 32 : 1L << 40;
      java.util.List<long[]> mapped = new java.util.ArrayList<>();
      for (int i = 0; i < 40; i++) {
        PageSize size = PageSize.values()[r.nextInt(4)];
        if (size == PageSize.SIZE_4M) {
          size = PageSize.SIZE_4K;
        }
        long va = r.nextLong(span) & -size.bytes();
        mapped.add(new long[] {va, size.bytes()});
        long flags = PageTableEntry.P | (r.nextBoolean() ? PageTableEntry.RW : 0)
            | (r.nextBoolean() ? PageTableEntry.US : 0) | (r.nextInt(4) == 0 ? PageTableEntry.XD : 0);
        b.map(va, r.nextLong(1L << 36) & -size.bytes(), size.bytes(), flags, PageTableEntry.PAGE_TABLE,
            size, org.kexecsim.pagetable.Overlap.REPLACE);
      }
      // corrupt a few table pages: reserved bits and cleared entries
      var pages = b.tablePages();
      for (int i = 0; i < 30; i++) {
        long page = pages.get(r.nextInt(pages.size())).physical();
        long at = page + 8L * r.nextInt(512);
        long e = m.readU64(at);
        if (e != 0 && !(mode == PagingMode.PAE && page == b.root())) {
          m.writeU64(at, r.nextBoolean() ? e & ~PageTableEntry.P : e | (1L << (40 + r.nextInt(11))));
        }
      }
      PagingState s = Machines.paging(m, mode, b.root());
      int n = 3000;
      long[] vas = new long[n];
      for (int i = 0; i < n; i++) {
        vas[i] = switch (r.nextInt(3)) {
          case 0 -> r.nextLong(); // mostly non-canonical in long mode
          case 1 -> (r.nextLong(span)) | (r.nextBoolean() && mode.isLongMode() ? 0xFFFF_0000_0000_0000L : 0);
          default -> {
            long[] hit = mapped.get(r.nextInt(mapped.size()));
            yield hit[0] + r.nextLong(hit[1]);
          }
        };
      }
      int translated = 0;
      for (int access : new int[] {Access.READ, Access.WRITE | Access.USER, Access.FETCH}) {
        PageWalker batch = new PageWalker(m);
        PageWalker single = new PageWalker(m);
        long[] out = new long[n];
        batch.walkAll(s, vas, out, n, access);
        for (int i = 0; i < n; i++) {
          long expected = single.walk(s, vas[i], access, false);
          translated += PageWalker.isFault(expected) ? 0 : 1;
          final int index = i;
          assertEquals(expected, out[i], () -> String.format(
              "seed %d %s va 0x%x access %s", seed, mode, vas[index], Access.describe(access)));
        }
      }
      org.junit.jupiter.api.Assertions.assertTrue(translated > n / 4, "the sample reaches mapped pages: " + translated);
    }
  }
}
