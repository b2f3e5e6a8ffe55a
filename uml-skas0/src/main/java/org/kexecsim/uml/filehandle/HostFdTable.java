package org.kexecsim.uml.filehandle;

/**
 * The UML kernel process's descriptor table on the host. open returns the lowest free descriptor
 * (open(2): "the lowest-numbered file descriptor not currently open for the process"; fs/file.c
 * alloc_fd searches from next_fd) and fails with EMFILE at RLIMIT_NOFILE; close frees the number
 * for the next open, which is why a stale number can name another file.
 */
public final class HostFdTable {
  public static final int EBADF = -9;
  public static final int EMFILE = -24;

  private final String[] files;

  public HostFdTable(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("RLIMIT_NOFILE must be >= 1, got " + limit);
    }
    files = new String[limit];
  }

  public int open(String path) {
    for (int fd = 0; fd < files.length; fd++) {
      if (files[fd] == null) {
        files[fd] = path;
        return fd;
      }
    }
    return EMFILE;
  }

  public int close(int fd) {
    if (fd < 0 || fd >= files.length || files[fd] == null) {
      return EBADF;
    }
    files[fd] = null;
    return 0;
  }

  /** What read(2) on {@code fd} returns: the contents of the file it names, or null for EBADF. */
  public String read(int fd) {
    return fd < 0 || fd >= files.length || files[fd] == null ? null : contents(files[fd]);
  }

  public static String contents(String path) {
    return "contents of " + path;
  }
}
