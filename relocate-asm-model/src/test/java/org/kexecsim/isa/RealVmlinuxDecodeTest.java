package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every instruction of a real kernel's relocate_kernel, from relocate_kernel up to
 * relocate_kernel + kexec_control_code_size (what machine_kexec copies into the control page,
 * arch/x86/kernel/machine_kexec_{32,64}.c), decodes to the length and mnemonic objdump gives.
 * The Debian 6.1 vmlinux files come from the linux-image-*-dbg packages; .ci/run downloads them
 * and exports their paths.
 */
public class RealVmlinuxDecodeTest {
  public static Path vmlinux(String env, String fallback) {
    String p = System.getenv(env);
    return Path.of(p != null && !p.isBlank() ? p : fallback);
  }

  @ParameterizedTest
  @CsvSource({
    "KSIM_VMLINUX_X86_64, /var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64, 64",
    "KSIM_VMLINUX_686PAE, /var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-686-pae, 32"
  })
  void everyRelocateKernelInstructionDecodesAsObjdumpDoes(String env, String fallback, int bits) throws IOException {
    Path elf = vmlinux(env, fallback);
    assumeTrue(Files.isReadable(elf), elf + " not present (.ci/run fetches it)");
    assumeTrue(ObjDump.available(), "objdump/nm not installed");
    long start = ObjDump.symbol(elf, "relocate_kernel");
    long size = ObjDump.symbol(elf, "kexec_control_code_size");
    assertTrue(start != -1 && size > 0 && size < 4096, "relocate_kernel 0x" + Long.toHexString(start) + " size " + size);
    List<ObjDump.Line> lines = ObjDump.disassemble(elf, start, start + size);
    assertFalse(lines.isEmpty(), "objdump printed no instructions");
    int total = 0;
    for (ObjDump.Line l : lines) {
      byte[] code = l.bytes();
      Decoded d = Decoder.decode(code, 0, l.address(), bits);
      String where = String.format("0x%x %s '%s'", l.address(), HexFormat.of().formatHex(code), l.text());
      assertFalse(d.instruction() instanceof Instruction.Undefined u, () -> where + ": undefined: " + d.instruction());
      assertEquals(code.length, d.length(), where + ": length");
      String ours = ObjDump.mnemonic(AttSyntax.format(d.instruction(), l.address(), d.length(), bits));
      assertTrue(ObjDump.sameMnemonic(l.mnemonic(), ours), where + ": objdump " + l.mnemonic() + ", ours " + ours);
      total += code.length;
    }
    assertEquals(size, total, "objdump's instructions cover the whole range");
  }
}
