package org.kexecsim.uml.smp;

import org.kexecsim.uml.filehandle.FileHandle;
import org.kexecsim.uml.filehandle.FileHandles;
import org.kexecsim.uml.filehandle.HostFdTable;

/**
 * Hazard 3 of seed 003: "A descriptor is first checked to see if it's open (and reopened if
 * not), and then used. The descriptor reclaiming code running on a different processor could
 * close the descriptor after it's checked for validity and before it's used." CPU 0 reads
 * /host/a through its handle; CPU 1 opens /host/c with every host slot taken (RLIMIT_NOFILE 2),
 * gets EMFILE and reclaims. The closed number is reused by the next open (fs/file.c), so the
 * reader gets EBADF or another file's data. The fix: get_fh()/put_fh() around the use, and
 * reclaim skips pinned handles.
 */
public record FileHandleRace() implements Hazard {
  static final int DESCRIPTOR_LIMIT = 2;

  @Override
  public String name() {
    return "fh-race";
  }

  @Override
  public String fix() {
    return "get_fh/put_fh pin a handle while it is in use";
  }

  @Override
  public Interleaving start(boolean fixed) {
    FileHandles fh = new FileHandles(new HostFdTable(DESCRIPTOR_LIMIT), fixed);
    FileHandle a = fh.handle("/host/a");
    FileHandle b = fh.handle("/host/b");
    fh.tryOpen(a);
    fh.tryOpen(b);
    FileHandle c = fh.handle("/host/c");
    Interleaving m = new Interleaving();
    reader(m.addCpu(), m, fh, a);
    opener(m.addCpu(), m, fh, c);
    return m;
  }

  private static String kernel(VirtualCpu cpu) {
    return "uml-kernel/cpu" + cpu.index();
  }

  private static void reader(VirtualCpu cpu, Interleaving m, FileHandles fh, FileHandle h) {
    String k = kernel(cpu);
    int[] fd = new int[1];
    cpu.then(k, () -> {
      boolean wasOpen = h.fd() >= 0;
      fd[0] = fh.pinning() ? fh.get(h) : fh.ensureOpen(h);
      return String.format("%s%s: %s fd %d", fh.pinning() ? "get_fh " : "check ", h.path(),
          wasOpen ? "open as" : "reopened as", fd[0]);
    });
    cpu.then(k, () -> use(m, fh, cpu, h, fd[0]));
    if (fh.pinning()) {
      cpu.then(k, () -> {
        fh.put(h);
        return "put_fh " + h.path();
      });
    }
  }

  private static void opener(VirtualCpu cpu, Interleaving m, FileHandles fh, FileHandle h) {
    String k = kernel(cpu);
    cpu.then(k, () -> {
      if (fh.pinning()) {
        fh.pin(h); // get_fh of the new handle: pinned from its first open
      }
      return open(cpu, m, fh, h, "open");
    });
  }

  /** One host open; on EMFILE, the next steps are a reclaim and another open. */
  private static String open(VirtualCpu cpu, Interleaving m, FileHandles fh, FileHandle h, String what) {
    String k = kernel(cpu);
    int fd = fh.tryOpen(h);
    if (fd == HostFdTable.EMFILE) {
      cpu.next(new VirtualCpu.Action() {
        @Override
        public VirtualCpu.Did run() {
          FileHandles.Reclaimed victim = fh.reclaim(h);
          if (victim == null) {
            return new VirtualCpu.Did(k, "reclaim: every open handle is pinned, " + h.path() + " fails with EMFILE", true);
          }
          cpu.next(new VirtualCpu.Action() {
            @Override
            public VirtualCpu.Did run() {
              return new VirtualCpu.Did(k, open(cpu, m, fh, h, "open again"), true);
            }
          });
          return new VirtualCpu.Did(k, "reclaim: close(" + victim.fd() + ") of " + victim.handle().path(), true);
        }
      });
      return what + "(" + h.path() + ") -> EMFILE";
    }
    cpu.then(k, () -> use(m, fh, cpu, h, fd));
    if (fh.pinning()) {
      cpu.then(k, () -> {
        fh.put(h);
        return "put_fh " + h.path();
      });
    }
    return what + "(" + h.path() + ") -> fd " + fd;
  }

  /** read(fd) for {@code h}: the data must be {@code h}'s file. */
  private static String use(Interleaving m, FileHandles fh, VirtualCpu cpu, FileHandle h, int fd) {
    String got = fh.host().read(fd);
    String want = HostFdTable.contents(h.path());
    String said = String.format("read(fd %d) for %s -> %s", fd, h.path(), got == null ? "EBADF" : "\"" + got + "\"");
    if (!want.equals(got)) {
      m.broke(String.format("cpu%d used fd %d for %s after another CPU reclaimed it: %s", cpu.index(), fd, h.path(),
          got == null ? "EBADF (closed)" : "read \"" + got + "\" (the number was reused)"));
      return said + "  <-- wrong file";
    }
    return said;
  }
}
