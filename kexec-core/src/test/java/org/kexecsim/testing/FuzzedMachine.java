package org.kexecsim.testing;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.ArrayList;
import java.util.List;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;

/**
 * A small machine whose RAM map and memory contents come from a fuzzer's bytes: one to three
 * RAM ranges of a few pages (with holes between them, and sometimes one far above 4 GiB), then
 * 64-bit stores that are mostly entry-shaped (a frame of this RAM, or of no RAM, plus fuzzed
 * flag bits), so self-references, cycles and pointers outside RAM are a few mutations away.
 */
public record FuzzedMachine(SparseMemory memory, List<Long> pages) {

  private static final long PAGE = 4096;

  public static FuzzedMachine from(FuzzedDataProvider data) {
    List<RamRange> ranges = new ArrayList<>();
    List<Long> pages = new ArrayList<>();
    int count = data.consumeInt(1, 3);
    long next = 0;
    for (int i = 0; i < count; i++) {
      long start = next + PAGE * data.consumeInt(0, 3);
      if (data.consumeBoolean()) {
        start += 1L << data.consumeInt(20, 51); // up to the top of a 52-bit physical space
      }
      int n = data.consumeInt(1, 8);
      ranges.add(RamRange.usable(start, n * PAGE));
      for (int p = 0; p < n; p++) {
        pages.add(start + p * PAGE);
      }
      next = start + n * PAGE;
    }
    SparseMemory memory = new SparseMemory(RamMap.of(ranges));
    int stores = data.consumeInt(0, 48);
    for (int i = 0; i < stores; i++) {
      long page = data.pickValue(pages);
      int slot = data.consumeInt(0, 511);
      memory.writeU64(page + 8L * slot, entry(data, pages));
    }
    return new FuzzedMachine(memory, List.copyOf(pages));
  }

  /** A value for a table slot: a frame of RAM with flags, any frame, or any 64 bits. */
  public static long entry(FuzzedDataProvider data, List<Long> pages) {
    return switch (data.consumeInt(0, 2)) {
      case 0 -> data.pickValue(pages) | data.consumeInt(0, 0xFFF) | (data.consumeBoolean() ? 1L << 63 : 0);
      case 1 -> (data.consumeLong() & ~0xFFFL) | data.consumeInt(0, 0xFFF);
      default -> data.consumeLong();
    };
  }

  /** A physical address: usually inside RAM, sometimes anywhere. */
  public long address(FuzzedDataProvider data) {
    return data.consumeBoolean() ? data.pickValue(pages) | data.consumeInt(0, 0xFFF) : data.consumeLong();
  }
}
