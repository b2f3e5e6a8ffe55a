package org.kexecsim.relocate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Assembly;
import org.kexecsim.kimage.Arch;

/**
 * One of the project's relocate routines, assembled by our assembler from the .S resources:
 * the design's own part followed by the arch's shared copy-and-enter tail. i386 and PAE share
 * the 32-bit source; PAE passes has_pae=1.
 */
public record RelocateRoutine(String design, Arch arch, Assembly assembly) {

  /** The routine must fit the one 4096-byte control page the kernel copies it into. */
  public static final int CONTROL_PAGE_BYTES = 4096;

  public static RelocateRoutine of(String design, Arch arch) {
    String source = source(design + "-" + (arch.is64Bit() ? "x86_64" : "i386") + ".S")
        + "\n" + source(arch.is64Bit() ? "copy-pages-64.S" : "copy-pages-32.S");
    Assembly a = Assembler.assemble(source, arch.is64Bit() ? 64 : 32, 0);
    if (a.size() > CONTROL_PAGE_BYTES) {
      throw new IllegalStateException(String.format(
          "%s relocate routine for %s is %d bytes: it no longer fits its %d-byte control page",
          design, arch.cliName(), a.size(), CONTROL_PAGE_BYTES));
    }
    return new RelocateRoutine(design, arch, a);
  }

  public byte[] bytes() {
    return assembly.bytes();
  }

  /** Bytes of the control page the routine uses. */
  public int size() {
    return assembly.size();
  }

  static String source(String name) {
    try (InputStream in = RelocateRoutine.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing relocate resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
