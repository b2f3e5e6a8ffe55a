package org.kexecsim.output;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Swaps two directory entries in one step with renameat2(2) RENAME_EXCHANGE (Linux 3.15+, glibc
 * 2.28+; include/uapi/linux/fs.h: RENAME_EXCHANGE = 1 << 1). It is the only way to replace a
 * non-empty directory without a moment in which the name is missing: rename(2) over a non-empty
 * directory fails with ENOTEMPTY. Java has no API for it, so the libc call goes through
 * java.lang.foreign, like {@code FileDataExtents}' lseek.
 */
final class DirectoryExchange {
  private DirectoryExchange() {}

  private static final int AT_FDCWD = -100;
  private static final int RENAME_EXCHANGE = 1 << 1;

  private static final MethodHandle RENAMEAT2;
  private static final StructLayout CAPTURE;
  private static final VarHandle ERRNO;

  static {
    MethodHandle h = null;
    StructLayout capture = null;
    VarHandle errno = null;
    try {
      Linker linker = Linker.nativeLinker();
      capture = Linker.Option.captureStateLayout();
      errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
      h = linker.downcallHandle(linker.defaultLookup().find("renameat2").orElseThrow(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
              ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
          Linker.Option.captureCallState("errno"));
    } catch (RuntimeException | LinkageError e) {
      h = null; // no renameat2 in this libc, or native access refused: callers fall back
    }
    RENAMEAT2 = h;
    CAPTURE = capture;
    ERRNO = errno;
  }

  /** What renameat2 said: 0 when the two entries were swapped, else the errno (-1 when the call is unavailable). */
  static int exchange(Path a, Path b) {
    if (RENAMEAT2 == null) {
      return -1;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURE);
      int rc = (int) RENAMEAT2.invokeExact(state, AT_FDCWD, arena.allocateFrom(a.toString()),
          AT_FDCWD, arena.allocateFrom(b.toString()), RENAME_EXCHANGE);
      return rc == 0 ? 0 : (int) ERRNO.get(state, 0L);
    } catch (Throwable t) {
      return -1;
    }
  }
}
