package org.kexecsim.isa;

/** Where the decoder reads instruction bytes: a buffer, or the CPU's fetch through the MMU (which may fault). */
@FunctionalInterface
public interface ByteSource {
  /** The byte at {@code address}, 0..255. */
  int byteAt(long address);
}
