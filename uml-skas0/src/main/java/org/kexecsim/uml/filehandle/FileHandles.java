package org.kexecsim.uml.filehandle;

import java.util.ArrayList;
import java.util.List;

/**
 * The filehandle layer (seed 003: "detecting -EMFILE from the host, closing descriptors in order
 * to free up slots, and reopening closed files when they become active again"). Handles sit on
 * one list in the order they were opened; reclaiming closes the first open one it may close.
 * Each method is one step of the UML kernel, done under the layer's list lock; what is not
 * covered is the gap between a user's check and its use, which is the hazard.
 */
public final class FileHandles {
  private final HostFdTable host;
  private final boolean pinning;
  private final List<FileHandle> handles = new ArrayList<>();

  /** With {@code pinning}, reclaim skips handles a get_fh holds. */
  public FileHandles(HostFdTable host, boolean pinning) {
    this.host = host;
    this.pinning = pinning;
  }

  public HostFdTable host() {
    return host;
  }

  /** A handle for {@code path}, not yet open. */
  public FileHandle handle(String path) {
    FileHandle h = new FileHandle(path);
    handles.add(h);
    return h;
  }

  /** One host open for {@code h}; returns the descriptor or EMFILE. */
  public int tryOpen(FileHandle h) {
    int fd = host.open(h.path());
    if (fd >= 0) {
      h.fd = fd;
    }
    return fd;
  }

  /** What a reclaim closed. */
  public record Reclaimed(FileHandle handle, int fd) {}

  /** Closes the first open handle other than {@code except} that may be closed; null if none. */
  public Reclaimed reclaim(FileHandle except) {
    for (FileHandle h : handles) {
      if (h != except && h.fd >= 0 && !(pinning && h.pins > 0)) {
        Reclaimed r = new Reclaimed(h, h.fd);
        host.close(h.fd);
        h.fd = -1;
        return r;
      }
    }
    return null;
  }

  /**
   * The user's check: reopen {@code h} if it was reclaimed, reclaiming others on EMFILE. Returns
   * the descriptor the user will use, or EMFILE if nothing can be closed.
   */
  public int ensureOpen(FileHandle h) {
    if (h.fd >= 0) {
      return h.fd;
    }
    int fd = tryOpen(h);
    while (fd == HostFdTable.EMFILE) {
      if (reclaim(h) == null) {
        return HostFdTable.EMFILE;
      }
      fd = tryOpen(h);
    }
    return fd;
  }

  /** get_fh: pin, then make sure it is open; reclaim cannot close it until put_fh. */
  public int get(FileHandle h) {
    pin(h);
    return ensureOpen(h);
  }

  /** The pinning half of get_fh, for a user that opens the file itself step by step. */
  public void pin(FileHandle h) {
    h.pins++;
  }

  /** put_fh. */
  public void put(FileHandle h) {
    if (h.pins == 0) {
      throw new IllegalStateException("put_fh on unpinned " + h);
    }
    h.pins--;
  }

  public boolean pinning() {
    return pinning;
  }
}
