package org.kexecsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;

/**
 * The struct pages read back as a dump tool reads them, without makedumpfile: only VMCOREINFO's
 * keys and the kernel's own page tables lead from SYMBOL(mem_section) through the section roots
 * and the encoded mem_map to each page's struct page in the vmemmap (x86_64), or from
 * SYMBOL(mem_map) to FLATMEM's array in lowmem (i386, PAE), and makedumpfile's rules
 * (makedumpfile.c __exclude_unnecessary_pages: PageBuddy with its order in private, PG_lru
 * without an anonymous mapping is cache, PG_private makes it private cache, mapping bit 0 is
 * anonymous) must give every RAM page the role the kernel gave it. TransitionImagesMakedumpfileTest
 * asks the real makedumpfile the same on the vmcore.
 */
class StructPagesTest {

  static Stream<Arguments> machines() {
    RamMap withHole = RamMap.parse("0-0x9fbff,0x100000-0xbffdffff,0x100000000-0x23fffffff");
    return Stream.of(
        Arguments.of(Arch.X86_64, RamMap.ofSize(1L << 30), 3L),
        Arguments.of(Arch.X86_64, withHole, 8L),
        Arguments.of(Arch.I386, RamMap.ofSize(1L << 30), 3L),
        Arguments.of(Arch.PAE, RamMap.ofSize(1L << 30), 3L),
        // highmem, above 4 GiB too: its struct pages are in lowmem's mem_map
        Arguments.of(Arch.PAE, withHole, 8L));
  }

  @ParameterizedTest
  @MethodSource("machines")
  void everyStructPageSaysWhatItsPageIs(Arch arch, RamMap ram, long seed) {
    CrashedKernel k = KernelBoot.boot(arch, ram, Optional.of("256M"), seed);
    boolean flat = arch != Arch.X86_64;
    PhysicalMemory m = k.memory();
    Map<String, String> info = VmcoreInfo.parse(new String(k.vmcoreinfoData(), StandardCharsets.US_ASCII)).entries();
    PagingState s = k.registers().withCr3(k.kernelPgd()).pagingState(m, k.cpu());
    java.util.function.LongUnaryOperator pa = va -> assertInstanceOf(Translation.Mapped.class,
        PageWalker.translate(m, s, va, Access.READ), String.format("0x%x", va)).physical();

    // FLATMEM (i386): no mem_section; SYMBOL(mem_map) holds the array's address (makedumpfile get_mm_flatmem).
    assertEquals(flat, !info.containsKey("SYMBOL(mem_section)") && info.containsKey("SYMBOL(mem_map)"), info.toString());
    long sectionBits = flat ? 0 : Long.parseLong(info.get("NUMBER(SECTION_SIZE_BITS)"));
    long sectionSize = flat ? 0 : Long.parseLong(info.get("SIZE(mem_section)"));
    long perRoot = flat ? 0 : 4096 / sectionSize;
    long flatMemMap = flat ? m.readU32(pa.applyAsLong(Long.parseUnsignedLong(info.get("SYMBOL(mem_map)"), 16))) : 0;
    java.util.function.LongUnaryOperator word = flat ? m::readU32 : m::readU64; // unsigned long
    long pageSize = Long.parseLong(info.get("SIZE(page)"));
    int lruBit = Integer.parseInt(info.get("NUMBER(PG_lru)"));
    int privateBit = Integer.parseInt(info.get("NUMBER(PG_private)"));
    int slabBit = Integer.parseInt(info.get("NUMBER(PG_slab)"));
    int buddy = Integer.parseInt(info.get("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)"));
    long offFlags = Long.parseLong(info.get("OFFSET(page.flags)"));
    long offMapping = Long.parseLong(info.get("OFFSET(page.mapping)"));
    long offPrivate = Long.parseLong(info.get("OFFSET(page.private)"));
    long offMapcount = Long.parseLong(info.get("OFFSET(page._mapcount)"));
    long rootArray = flat ? 0 : Long.parseUnsignedLong(info.get("SYMBOL(mem_section)"), 16);
    long maxOrder = Long.parseLong(info.get("LENGTH(zone.free_area)"));

    Map<PageRole, Long> counts = new EnumMap<>(PageRole.class);
    List<String> wrong = new ArrayList<>();
    long freeUntil = -1;
    for (RamRange r : ram.ranges()) {
      for (long pfn = (r.start() + 4095) >>> 12; pfn < (r.last() + 1) >>> 12; pfn++) {
        PageRole kernelSays = k.pageRoles().roleOf(pfn, m);
        counts.merge(kernelSays, 1L, Long::sum);
        if (kernelSays == PageRole.CRASH_REGION) {
          continue;
        }
        long page;
        if (flat) {
          page = pa.applyAsLong(flatMemMap + pfn * pageSize);
        } else {
          long section = pfn >>> (sectionBits - 12);
          long root = m.readU64(pa.applyAsLong(rootArray + 8 * (section / perRoot)));
          long entry = m.readU64(pa.applyAsLong(root + (section % perRoot) * sectionSize));
          assertEquals(1, entry & 1, "section " + section + " present");
          long memMap = (entry & ~0x1FL) + (section << (sectionBits - 12)) * pageSize;
          page = pa.applyAsLong(memMap + (pfn - (section << (sectionBits - 12))) * pageSize);
        }
        long flags = word.applyAsLong(page + offFlags);
        long mapping = word.applyAsLong(page + offMapping);
        int mapcount = (int) m.readU32(page + offMapcount);
        PageRole structSays = null;
        if (pfn < freeUntil) {
          structSays = PageRole.FREE;
        } else if (mapcount == buddy && (flags & (1L << slabBit)) == 0) {
          long order = word.applyAsLong(page + offPrivate);
          assertTrue(order < maxOrder && (pfn & ((1L << order) - 1)) == 0, "buddy order " + order + " at pfn " + pfn);
          freeUntil = pfn + (1L << order);
          structSays = PageRole.FREE;
        } else if ((flags & (1L << lruBit)) != 0 && (mapping & 1) == 0) {
          structSays = (flags & (1L << privateBit)) != 0 ? PageRole.PAGE_CACHE_PRIVATE : PageRole.PAGE_CACHE;
        } else if ((mapping & 1) != 0) {
          structSays = PageRole.ANON;
        }
        boolean ok = structSays != null ? structSays == kernelSays
            : kernelSays == PageRole.KERNEL || kernelSays == PageRole.PAGE_TABLE || kernelSays == PageRole.ZERO;
        if (!ok && wrong.size() < 10) {
          wrong.add(String.format("pfn 0x%x: kernel says %s, struct page %s", pfn, kernelSays, structSays));
        }
      }
    }
    assertEquals(List.of(), wrong);
    for (PageRole role : PageRole.values()) {
      assertTrue(counts.getOrDefault(role, 0L) > 0, "some " + role + " pages: " + counts);
    }
  }
}
