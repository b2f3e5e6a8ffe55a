package org.kexecsim.uml.filehandle;

/**
 * One open file of the layer: its host path, its host descriptor (-1 while reclaimed) and how
 * many users pin it (get_fh/put_fh, the fix seed 003 proposes).
 */
public final class FileHandle {
  private final String path;
  int fd = -1;
  int pins;

  FileHandle(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }

  public int fd() {
    return fd;
  }

  public int pins() {
    return pins;
  }

  @Override
  public String toString() {
    return path + (fd >= 0 ? " (fd " + fd + ")" : " (closed)") + (pins > 0 ? " pinned x" + pins : "");
  }
}
