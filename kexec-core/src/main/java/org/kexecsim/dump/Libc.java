package org.kexecsim.dump;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls dump reading needs and Java has no API for, through java.lang.foreign: the one
 * home of their downcall handles. Each handle is linked the first time it is used (a holder class
 * per call): linking spins a few classes and costs milliseconds, which a short run that never
 * makes the call should not pay. A handle is null when libc lacks the call or native access is
 * refused; callers then take their portable path.
 */
public final class Libc {
  private Libc() {}

  /** include/uapi/asm-generic/mman-common.h: MADV_POPULATE_READ 22 (Linux 5.14+). */
  static final int MADV_POPULATE_READ = 22;

  private static MethodHandle link(String name, FunctionDescriptor type, Linker.Option... options) {
    try {
      Linker linker = Linker.nativeLinker();
      return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), type, options);
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  private static final class Open {
    static final MethodHandle H = link("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
  }

  private static final class Lseek {
    static final MethodHandle H = link("lseek",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
  }

  private static final class Close {
    static final MethodHandle H = link("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  }

  private static final class Madvise {
    static final MethodHandle H = link("madvise",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
  }


  /** open(2), read-only, or null when unavailable. */
  static MethodHandle open() {
    return Open.H;
  }

  /** lseek(2), or null when unavailable. */
  static MethodHandle lseek() {
    return Lseek.H;
  }

  /** close(2), or null when unavailable. */
  static MethodHandle close() {
    return Close.H;
  }

  /**
   * Maps every page of {@code mapped} (a file mapping) in one madvise(MADV_POPULATE_READ) call:
   * the kernel fills the page table from the page cache in a batch instead of one fault per
   * 64 KiB of first touches. Only a hint: false when the call or the kernel (before 5.14) cannot.
   */
  public static boolean populate(MemorySegment mapped) {
    MethodHandle h = Madvise.H;
    if (h == null || mapped.byteSize() == 0) {
      return false;
    }
    try {
      return (int) h.invokeExact(mapped, mapped.byteSize(), MADV_POPULATE_READ) == 0;
    } catch (Throwable t) {
      return false;
    }
  }
}
