package org.kexecsim.routine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * relocate_kernel's bytes from ELF files that GNU as and ld build here, in the shapes real
 * kernels have: an ELF64 "vmlinux" ending the routine with the absolute
 * kexec_control_code_size (6.x), an ELF32 one ending it with relocate_kernel_end (2.6–4.x),
 * and an ELF64 .o whose absolute reference to its own label is still a relocation. nm and
 * objcopy say what the right answer is.
 */
class ElfRoutineTest {
  static final long LINK = 0xffff_ffff_8107_8000L;

  /** Shaped like relocate_kernel_64.S: code, an absolute $label, then the size symbol. */
  static final String SIXTY_FOUR = """
      	.text
      	.globl	relocate_kernel
      	nop
      	nop
      relocate_kernel:
      	pushq	%rbx
      	leaq	relocate_kernel(%rip), %r8
      	movq	$virtual_mapped, %rax
      	jmp	*%rax
      virtual_mapped:
      	popq	%rbx
      	ret
      	int3
      	.globl	kexec_control_code_size
      	.set	kexec_control_code_size, . - relocate_kernel
      	.byte	0x90, 0x90, 0x90
      """;

  /** Shaped like a 2.6.x relocate_kernel.S: the range ends at relocate_kernel_end. */
  static final String THIRTY_TWO = """
      	.text
      	.globl	relocate_kernel
      	nop
      relocate_kernel:
      	movl	4(%esp), %ebx
      	call	1f
      1:	popl	%ebp
      	ret
      	.globl	relocate_kernel_end
      relocate_kernel_end:
      	.long	0xdeadbeef
      """;

  @TempDir static Path dir;

  @BeforeAll
  static void binutils() {
    assumeTrue(Binutils.available(), "GNU binutils (as, ld, nm, objcopy) are not installed");
  }

  static Path build(String name, String source, int bits, boolean link) throws IOException {
    Files.writeString(dir.resolve(name + ".s"), source);
    Binutils.run(dir, "as", "--" + bits, "-o", name + ".o", name + ".s");
    if (!link) {
      return dir.resolve(name + ".o");
    }
    Binutils.run(dir, "ld", bits == 64 ? "-melf_x86_64" : "-melf_i386", "-Ttext=" + Long.toHexString(bits == 64 ? LINK : 0xc1000000L),
        "-e", "relocate_kernel", "-o", name, name + ".o");
    return dir.resolve(name);
  }

  /** What objcopy says the .text section holds, from {@code from} for {@code length} bytes. */
  static byte[] text(Path elf, long textAddress, long from, int length) throws IOException {
    Path bin = dir.resolve(elf.getFileName() + ".text.bin");
    Binutils.run(dir, "objcopy", "-O", "binary", "-j", ".text", elf.toString(), bin.toString());
    byte[] all = Files.readAllBytes(bin);
    int at = (int) (from - textAddress);
    return Arrays.copyOfRange(all, at, at + length);
  }

  @Test
  void elf64VmlinuxEndsTheRoutineAtKexecControlCodeSize() throws IOException {
    Path vmlinux = build("vmlinux64", SIXTY_FOUR, 64, true);
    long start = Binutils.symbol(vmlinux, "relocate_kernel");
    long size = Binutils.symbol(vmlinux, "kexec_control_code_size");
    ElfRoutine r = ElfRoutine.read(vmlinux);
    assertEquals(start, r.linkVirtual().getAsLong());
    assertEquals(size, r.size());
    assertArrayEquals(text(vmlinux, LINK, start, (int) size), r.bytesAt(start));
    assertEquals("relocate_kernel + kexec_control_code_size", r.rangeRule());
  }

  @Test
  void elf32VmlinuxEndsTheRoutineAtRelocateKernelEnd() throws IOException {
    Path vmlinux = build("vmlinux32", THIRTY_TWO, 32, true);
    long start = Binutils.symbol(vmlinux, "relocate_kernel");
    long end = Binutils.symbol(vmlinux, "relocate_kernel_end");
    ElfRoutine r = ElfRoutine.read(vmlinux);
    assertTrue(!r.is64Bit());
    assertEquals(end - start, r.size());
    assertArrayEquals(text(vmlinux, 0xc1000000L, start, (int) (end - start)), r.bytesAt(start));
  }

  /** A .o still has its absolute reference as a relocation; placed where ld put it, the bytes are ld's. */
  @Test
  void objectFileRelocationsResolveAsTheLinkerResolvesThem() throws IOException {
    Path object = build("reloc64", SIXTY_FOUR, 64, false);
    Path linked = build("reloc64-linked", SIXTY_FOUR, 64, true);
    long start = Binutils.symbol(linked, "relocate_kernel");
    ElfRoutine r = ElfRoutine.read(object);
    assertTrue(r.linkVirtual().isEmpty(), "a .o is not linked anywhere");
    assertTrue(r.relocationCount() >= 1, "movq $virtual_mapped is a relocation in the .o");
    assertArrayEquals(text(linked, LINK, start, r.size()), r.bytesAt(start));
  }

  @Test
  void aTruncatedElfIsRefusedNamingTheFile() throws IOException {
    Path vmlinux = build("cut", SIXTY_FOUR, 64, true);
    byte[] all = Files.readAllBytes(vmlinux);
    Path cut = dir.resolve("cut-short");
    Files.write(cut, Arrays.copyOf(all, all.length / 2));
    RoutineRejected e = assertThrows(RoutineRejected.class, () -> ElfRoutine.read(cut));
    assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
  }

  @Test
  void anElfWithoutRelocateKernelIsRefused() throws IOException {
    Path other = build("other", "\t.text\n\t.globl _start\n_start:\n\tret\n", 64, true);
    RoutineRejected e = assertThrows(RoutineRejected.class, () -> ElfRoutine.read(other));
    assertTrue(e.getMessage().contains("relocate_kernel"), e.getMessage());
  }
}
