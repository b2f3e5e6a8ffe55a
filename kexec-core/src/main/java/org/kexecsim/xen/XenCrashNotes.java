package org.kexecsim.xen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The hypervisor's own crash notes, name "Xen" (xen/include/public/elfnote.h): one
 * XEN_ELFNOTE_CRASH_INFO per crash (crash_xen_info_t, xen/include/xen/elfcore.h: eight common
 * unsigned longs, then on x86 xen_phys_start and dom0_pfn_to_mfn_frame_list_list, filled by
 * machine_crash_shutdown() in xen/arch/x86/crash.c; makedumpfile's SIZE_XEN_CRASH_INFO_V2 is
 * these ten longs), and one XEN_ELFNOTE_CRASH_REGS per CPU (crash_xen_core_t: cr0, cr2, cr3,
 * cr4, the registers the "CORE" note lacks). All fields are the hypervisor's unsigned long:
 * 8 bytes on x86_64, 4 on 32-bit PAE Xen.
 */
public final class XenCrashNotes {
  private XenCrashNotes() {}

  /** The note name of every Xen crash note. */
  public static final String NAME = "Xen";
  /** XEN_ELFNOTE_CRASH_INFO. */
  public static final int CRASH_INFO = 0x1000001;
  /** XEN_ELFNOTE_CRASH_REGS. */
  public static final int CRASH_REGS = 0x1000002;

  /**
   * crash_xen_info_t as this model fills it: the version numbers, no build strings (their
   * fields are pointers into Xen, 0 here), the machine address Xen was loaded at and the MFN of
   * dom0's p2m frame list list.
   */
  public record CrashInfo(long majorVersion, long minorVersion, long xenPhysStart, long p2mFrameListListMfn) {
    /** ten unsigned longs: makedumpfile's xen_crash_info_v2_t. */
    public static int bytes(int longBytes) {
      return 10 * longBytes;
    }

    public byte[] descriptor(int longBytes) {
      return longs(longBytes, majorVersion, minorVersion, 0, 0, 0, 0, 0, 0, xenPhysStart, p2mFrameListListMfn);
    }

    /** Reads a descriptor of {@link #bytes} bytes; any other length is not a version this reads. */
    public static CrashInfo parse(byte[] desc, int longBytes) {
      long[] v = read(desc, longBytes, bytes(longBytes), "XEN_ELFNOTE_CRASH_INFO", "crash_xen_info_t with xen_phys_start");
      return new CrashInfo(v[0], v[1], v[8], v[9]);
    }
  }

  /** crash_xen_core_t: the control registers of one CPU when Xen crashed. */
  public record CrashRegs(long cr0, long cr2, long cr3, long cr4) {
    public static int bytes(int longBytes) {
      return 4 * longBytes;
    }

    public byte[] descriptor(int longBytes) {
      return longs(longBytes, cr0, cr2, cr3, cr4);
    }

    public static CrashRegs parse(byte[] desc, int longBytes) {
      long[] v = read(desc, longBytes, bytes(longBytes), "XEN_ELFNOTE_CRASH_REGS", "crash_xen_core_t");
      return new CrashRegs(v[0], v[1], v[2], v[3]);
    }
  }

  private static byte[] longs(int longBytes, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * longBytes).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      if (longBytes == 8) {
        b.putLong(v);
      } else {
        b.putInt((int) v);
      }
    }
    return b.array();
  }

  /** The unsigned longs of a note's descriptor, which must be {@code size} bytes: {@code struct} as this model reads it. */
  private static long[] read(byte[] desc, int longBytes, int size, String note, String struct) {
    if (desc.length != size) {
      throw new IllegalArgumentException(String.format("%s has %d bytes; %s is %d", note, desc.length, struct, size));
    }
    ByteBuffer b = ByteBuffer.wrap(desc).order(ByteOrder.LITTLE_ENDIAN);
    long[] v = new long[desc.length / longBytes];
    for (int i = 0; i < v.length; i++) {
      v[i] = longBytes == 8 ? b.getLong() : b.getInt() & 0xFFFF_FFFFL;
    }
    return v;
  }
}
