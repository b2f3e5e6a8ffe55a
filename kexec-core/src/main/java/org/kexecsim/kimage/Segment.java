package org.kexecsim.kimage;

import java.util.Arrays;

/**
 * One struct kexec_segment (include/uapi/linux/kexec.h): {@code bufsz} bytes from user space
 * to be placed at physical {@code mem}, zero-filled up to {@code memsz}.
 *
 * <p>The bytes are held by value (copied in and out) so that a loaded image cannot change under
 * its checks.
 */
public record Segment(byte[] buf, long mem, long memsz) {

  public Segment {
    buf = buf.clone();
  }

  /** A segment of {@code memsz} bytes at {@code mem} with no data: all zero-fill. */
  public static Segment zeroFilled(long mem, long memsz) {
    return new Segment(new byte[0], mem, memsz);
  }

  @Override
  public byte[] buf() {
    return buf.clone();
  }

  public long bufsz() {
    return buf.length;
  }

  /** Copies the data bytes {@code [offset, offset+length)} (zero past bufsz) into {@code dst}. */
  void copyData(long offset, byte[] dst) {
    Arrays.fill(dst, (byte) 0);
    if (offset < buf.length) {
      System.arraycopy(buf, (int) offset, dst, 0, (int) Math.min(dst.length, buf.length - offset));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Segment s && s.mem == mem && s.memsz == memsz && Arrays.equals(s.buf, buf);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(mem) * 31 + Long.hashCode(memsz) * 17 + Arrays.hashCode(buf);
  }

  @Override
  public String toString() {
    return String.format("segment{mem=0x%x, memsz=0x%x, bufsz=0x%x}", mem, memsz, buf.length);
  }
}
