package org.kexecsim.relocate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongFunction;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Assembly;
import org.kexecsim.isa.Includes;
import org.kexecsim.kimage.Arch;
import org.kexecsim.transition.TransitionDesign;

/**
 * The relocate code a transition runs: the project's own for a design and arch (assembled from
 * the .S resources: the design's part followed by the arch's shared tail; i386 and PAE share
 * the 32-bit source), or a user's (their .S, a flat binary, or the bytes of relocate_kernel from
 * a vmlinux or .o). The bytes are produced for the kernel-text VA relocate_kernel is linked at,
 * since source and .o may use absolute addresses of their own labels.
 *
 * @param origin what the routine is, for the report ("ours: mainline x86_64", a file name)
 * @param bits 32 or 64: the code size machine_kexec calls it in
 * @param linkVirtual where a vmlinux linked relocate_kernel, which the synthetic kernel must then
 *     use as well; empty when the routine can sit anywhere in kernel text
 * @param size bytes of the routine
 */
public record RelocateRoutine(String origin, int bits, OptionalLong linkVirtual, int size, LongFunction<byte[]> build) {

  /** The routine must fit the one 4096-byte control page the kernel copies it into. */
  public static final int CONTROL_PAGE_BYTES = 4096;

  /** The routine of the design named {@code design} (its source file is named after it). */
  public static RelocateRoutine of(String design, Arch arch) {
    return of(TransitionDesign.fromCliName(design), arch);
  }

  public static RelocateRoutine of(TransitionDesign d, Arch arch) {
    String design = d.cliName();
    // mainline carries its own swap_pages, as 6.1 does; the older designs share the copy tail
    String source = source(design + "-" + (arch.is64Bit() ? "x86_64" : "i386") + ".S")
        + (d.routineHasOwnCopyLoop() ? "" : "\n" + source(arch.is64Bit() ? "copy-pages-64.S" : "copy-pages-32.S"));
    int bits = arch.is64Bit() ? 64 : 32;
    Assembly a = Assembler.assemble(source, bits, 0, RESOURCES);
    if (a.size() > CONTROL_PAGE_BYTES) {
      throw new IllegalStateException(String.format(
          "%s relocate routine for %s is %d bytes: it no longer fits its %d-byte control page",
          design, arch.cliName(), a.size(), CONTROL_PAGE_BYTES));
    }
    return new RelocateRoutine("ours: " + design + " " + (arch.is64Bit() ? "x86_64" : "i386"), bits,
        OptionalLong.empty(), a.size(), va -> Assembler.assemble(source, bits, va, RESOURCES).bytes());
  }

  /** The bytes as they sit in kernel text at {@code virtual}. */
  public byte[] bytesAt(long virtual) {
    return build.apply(virtual);
  }

  /** The bytes at address 0, for sizes and listings. */
  public byte[] bytes() {
    return build.apply(0);
  }

  static String source(String name) {
    return RESOURCES.text(name).orElseThrow(() -> new IllegalStateException("missing relocate resource " + name));
  }

  /** The .S resources beside this class, for {@code .include} between them. */
  static final Includes RESOURCES = name -> {
    try (InputStream in = RelocateRoutine.class.getResourceAsStream(name)) {
      return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  };
}
