package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.kexecsim.cpu.TestMachine.assertHalted;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.ObjDump;
import org.kexecsim.isa.RealVmlinuxDecodeTest;

/**
 * The kernel's own swap_pages (Debian 6.1, arch/x86/kernel/relocate_kernel_{32,64}.S), its
 * bytes taken from the -dbg vmlinux, runs on the model: it walks a kexec indirection list
 * (IND_DESTINATION 0x1, IND_INDIRECTION 0x2, IND_DONE 0x4, IND_SOURCE 0x8, include/linux/kexec.h)
 * and swaps every source page with its destination through the swap page, so afterwards each
 * destination holds its source's old contents and vice versa.
 */
class RealSwapPagesTest {
  static final long SRC = 0x40_0000, DST = 0x50_0000, SWAP = 0x60_0000, LIST = 0x70_0000, RETURN = 0x10_0F00;
  static final int PAGES = 4;

  @ParameterizedTest
  @CsvSource({
    "KSIM_VMLINUX_X86_64, /var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64, 64",
    "KSIM_VMLINUX_686PAE, /var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-686-pae, 32"
  })
  void theKernelsSwapPagesSwapsEverySourceWithItsDestination(String env, String fallback, int bits) throws IOException {
    Path elf = RealVmlinuxDecodeTest.vmlinux(env, fallback);
    assumeTrue(Files.isReadable(elf) && ObjDump.available(), elf + " or objdump missing (.ci/run fetches the vmlinux)");
    long start = ObjDump.symbol(elf, "relocate_kernel");
    long size = ObjDump.symbol(elf, "kexec_control_code_size");
    long swapPages = ObjDump.symbol(elf, "swap_pages");
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    for (ObjDump.Line l : ObjDump.disassemble(elf, start, start + size)) {
      code.writeBytes(l.bytes());
    }
    TestMachine m = bits == 64 ? TestMachine.longMode() : TestMachine.protectedFlat();
    byte[] bytes = code.toByteArray();
    m.memory.write(TestMachine.CODE, bytes, 0, bytes.length);
    m.memory.writeU8(RETURN, 0xF4); // swap_pages returns here: hlt
    int slot = bits / 8;
    long entry = LIST; // the list head is an indirection entry pointing at the list
    long at = LIST;
    writeSlot(m, bits, at, DST | 0x1);
    for (int i = 0; i < PAGES; i++) {
      fill(m, SRC + 0x1000L * i, 0x5300 + i);
      fill(m, DST + 0x1000L * i, 0xD500 + i);
      at += slot;
      writeSlot(m, bits, at, (SRC + 0x1000L * i) | 0x8);
    }
    writeSlot(m, bits, at + slot, 0x4);
    long sp = TestMachine.STACK_TOP;
    if (bits == 64) {
      // x86_64: %rdi = the head entry, %r10 = the swap page (relocate_kernel_64.S)
      m.cpu.setRegister(Gpr.RDI, entry | 0x2);
      m.cpu.setRegister(10, SWAP);
      sp -= 8;
      m.memory.writeU64(sp, RETURN);
    } else {
      // i386: swap_pages(head, swap page) takes its arguments on the stack (relocate_kernel_32.S)
      sp -= 12;
      m.memory.writeU32(sp, RETURN);
      m.memory.writeU32(sp + 4, entry | 0x2);
      m.memory.writeU32(sp + 8, SWAP);
    }
    m.cpu.setRegister(Gpr.RSP, sp);
    m.cpu.setRip(TestMachine.CODE + (swapPages - start));
    assertHalted(m.cpu.run(100_000));
    for (int i = 0; i < PAGES; i++) {
      assertPage(m, DST + 0x1000L * i, 0x5300 + i, "destination " + i + " has its source's contents");
      assertPage(m, SRC + 0x1000L * i, 0xD500 + i, "source " + i + " has its destination's old contents");
    }
    assertEquals(RETURN + 1, m.cpu.rip(), "returned to the caller");
  }

  private static void writeSlot(TestMachine m, int bits, long pa, long v) {
    if (bits == 64) {
      m.memory.writeU64(pa, v);
    } else {
      m.memory.writeU32(pa, v);
    }
  }

  private static void fill(TestMachine m, long page, int tag) {
    for (int k = 0; k < 4096; k += 8) {
      m.memory.writeU64(page + k, ((long) tag << 32) | k);
    }
  }

  private static void assertPage(TestMachine m, long page, int tag, String what) {
    for (int k = 0; k < 4096; k += 8) {
      assertEquals(((long) tag << 32) | k, m.memory.readU64(page + k), what + " at +" + k);
    }
  }
}
