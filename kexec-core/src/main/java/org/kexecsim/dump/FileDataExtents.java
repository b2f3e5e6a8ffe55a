package org.kexecsim.dump;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Where a sparse file holds data, asked of the file system with lseek(2) SEEK_DATA / SEEK_HOLE
 * (Linux 3.1+; a file system without support reports the whole file as data, which is merely
 * slower). Java has no API for it, so the libc calls go through java.lang.foreign ({@link Libc}). A vmcore
 * of a machine with 1 GiB of RAM written by this project is a few MiB of data in a 1 GiB file;
 * knowing the holes lets whole-dump scans skip them without reading a byte.
 */
public final class FileDataExtents {
  /** include/uapi/linux/fs.h: SEEK_DATA 3, SEEK_HOLE 4. */
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;
  private static final int O_RDONLY = 0;
  /** Past this many data extents the rest of the file is taken as data: the index stays small. */
  static final int MAX_EXTENTS = 1 << 20;

  private final long[] starts;
  private final long[] ends;

  private FileDataExtents(long[] starts, long[] ends) {
    this.starts = starts;
    this.ends = ends;
  }

  /** The data extents of {@code path} (size {@code size}), or empty when the system cannot say. */
  public static Optional<FileDataExtents> of(Path path, long size) {
    MethodHandle open = Libc.open();
    MethodHandle lseek = Libc.lseek();
    MethodHandle close = Libc.close();
    if (open == null || lseek == null || close == null) {
      return Optional.empty(); // no libc (or native access refused): every file is all data
    }
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) open.invokeExact(arena.allocateFrom(path.toString()), O_RDONLY);
      if (fd < 0) {
        return Optional.empty();
      }
      try {
        long[] s = new long[16];
        long[] e = new long[16];
        int n = 0;
        long pos = 0;
        while (pos < size) {
          long data = (long) lseek.invokeExact(fd, pos, SEEK_DATA);
          if (data < 0 || data >= size) {
            break; // ENXIO: no data at or after pos (or the call is unsupported: then n == 0, handled below)
          }
          long hole = (long) lseek.invokeExact(fd, data, SEEK_HOLE);
          if (hole < 0 || n == MAX_EXTENTS - 1) {
            hole = size;
          }
          if (n == s.length) {
            s = Arrays.copyOf(s, n * 2);
            e = Arrays.copyOf(e, n * 2);
          }
          s[n] = data;
          e[n] = Math.min(hole, size);
          n++;
          pos = e[n - 1];
        }
        if (n == 0 && size > 0 && (long) lseek.invokeExact(fd, 0L, SEEK_DATA) < 0 && !allHole(lseek, fd)) {
          return Optional.empty();
        }
        return Optional.of(new FileDataExtents(Arrays.copyOf(s, n), Arrays.copyOf(e, n)));
      } finally {
        int ignored = (int) close.invokeExact(fd);
      }
    } catch (Throwable t) {
      return Optional.empty();
    }
  }

  /** lseek(SEEK_DATA) failed at 0: ENXIO means a file of holes only; EINVAL (unsupported) does not say. */
  private static boolean allHole(MethodHandle lseek, int fd) throws Throwable {
    long end = (long) lseek.invokeExact(fd, 0L, SEEK_HOLE);
    return end == 0;
  }

  /** Whether any byte of {@code [offset, offset+length)} lies in a data extent. */
  public boolean hasData(long offset, long length) {
    int i = Arrays.binarySearch(starts, offset);
    if (i < 0) {
      i = -i - 2;
    }
    if (i >= 0 && ends[i] > offset) {
      return true;
    }
    return i + 1 < starts.length && starts[i + 1] < offset + length;
  }

  /** Bytes of data. */
  public long dataBytes() {
    long sum = 0;
    for (int i = 0; i < starts.length; i++) {
      sum += ends[i] - starts[i];
    }
    return sum;
  }
}
