package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class VmcoreInfoTest {
  /** Lines as kernel/vmcore_info.c and arch/x86/kernel/vmcore_info_64.c print them. */
  static final String KERNEL_TEXT = """
      OSRELEASE=6.16.0-rc3
      BUILD-ID=4b1c0b5e6f0d2c3a9e8f7a6b5c4d3e2f1a0b9c8d
      PAGESIZE=4096
      SYMBOL(init_uts_ns)=ffffffff82a16f40
      OFFSET(uts_namespace.name)=0
      SYMBOL(init_top_pgt)=ffffffff82a0a000
      SIZE(page)=64
      LENGTH(zone.free_area)=11
      NUMBER(phys_base)=18446744071562067968
      NUMBER(VMALLOC_START)=0xffffc90000000000
      NUMBER(pgtable_l5_enabled)=0
      KERNELOFFSET=1000000
      CRASHTIME=1763860000
      """;

  @Test
  void eachLineFormatIsReadAsTheKernelWroteIt() {
    VmcoreInfo v = VmcoreInfo.parse(KERNEL_TEXT);
    assertEquals(Optional.of("6.16.0-rc3"), v.osRelease());
    assertEquals(4096, v.pageSize().getAsLong());
    assertEquals(0xffffffff82a0a000L, v.symbol("init_top_pgt").getAsLong(), "SYMBOL is hex without 0x");
    assertEquals(0xffffffff80000000L, v.number("phys_base").getAsLong(), "NUMBER is decimal, here unsigned 64-bit");
    assertEquals(0xffffc90000000000L, v.number("VMALLOC_START").getAsLong(), "the 0x exception");
    assertEquals(0, v.number("pgtable_l5_enabled").getAsLong());
    assertEquals(64, v.size("page").getAsLong());
    assertEquals(0, v.offset("uts_namespace.name").getAsLong());
    assertEquals(11, v.length("zone.free_area").getAsLong());
    assertEquals(0x1000000, v.kernelOffset().getAsLong(), "KERNELOFFSET is hex");
    assertEquals("1763860000", v.entries().get("CRASHTIME"));
    assertFalse(v.config("X86_PAE"));
    assertTrue(VmcoreInfo.parse("CONFIG_X86_PAE=y\n").config("X86_PAE"));
  }

  @Test
  void theBuilderWritesWhatTheParserReads() {
    VmcoreInfo v = VmcoreInfo.builder().symbol("swapper_pg_dir", 0xc1a2b000L).number("phys_base", -0xE0_0000L).build();
    assertTrue(v.text().contains("SYMBOL(swapper_pg_dir)=c1a2b000\n"));
    assertEquals(0xc1a2b000L, v.symbol("swapper_pg_dir").getAsLong());
    assertEquals(-0xE0_0000L, v.number("phys_base").getAsLong(), "a kernel loaded 14 MiB below its link address: unsigned, wrapped");
  }

  @Test
  void aPhysBaseThatIsNotPageAlignedIsRefusedNamingTheLine() {
    MalformedDumpException e = assertThrows(MalformedDumpException.class,
        () -> VmcoreInfo.parse("SYMBOL(init_top_pgt)=ffffffff82a10000\nNUMBER(phys_base)=123\n", "vmcore", 0x2c4));
    assertEquals("vmcore: offset 0x2c4: VMCOREINFO line 'NUMBER(phys_base)=123': the kernel's physical offset is a multiple of "
        + "CONFIG_PHYSICAL_ALIGN (2 MiB or more on x86_64, arch/x86/Kconfig), this is not even page-aligned", e.getMessage());
    assertEquals(0x2e00000L, VmcoreInfo.parse("NUMBER(phys_base)=48234496\n").number("phys_base").getAsLong(), "the KASLR dump's value");
  }

  @Test
  void aMalformedNumberNamesTheLineFileAndOffset() {
    MalformedDumpException e = assertThrows(MalformedDumpException.class,
        () -> VmcoreInfo.parse("SYMBOL(init_top_pgt)=0xzz\n", "vmcore", 0x2c4));
    assertEquals("vmcore: offset 0x2c4: VMCOREINFO line 'SYMBOL(init_top_pgt)=0xzz' has a malformed value", e.getMessage());
  }
}
