package org.kexecsim.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;

/** Output sets appear whole or not at all: refusals, full disks and abandonment leave the old set and no staging. */
class OutputSetTest {
  private static final List<String> SET = List.of("a.core", "b.core");

  @TempDir Path root;

  @Test
  void aNewSetAppearsWholeAndAReplacementSwapsTheDirectory() throws IOException {
    Path dir = root.resolve("out");
    writeSet(dir, false, 1, null);
    assertEquals(List.of("a.core", "b.core"), names(dir));
    byte[] first = Files.readAllBytes(dir.resolve("a.core"));
    Object inode = Files.getAttribute(dir, "unix:ino");
    writeSet(dir, true, 2, null);
    assertNotEquals(inode, Files.getAttribute(dir, "unix:ino"), "the directory was swapped, not filled file by file");
    assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(dir.resolve("a.core"))));
    assertEquals(List.of("out"), names(root), "no staging and no old generation left");
  }

  @Test
  void anEarlierSetWithoutForceIsRefusedBeforeAnythingIsWritten() throws IOException {
    Path dir = root.resolve("out");
    writeSet(dir, false, 1, null);
    byte[] before = Files.readAllBytes(dir.resolve("b.core"));
    OutputException e = assertThrows(OutputException.class, () -> OutputSet.directory(dir, SET, false));
    assertEquals(OutputException.Kind.EXISTS, e.kind());
    assertEquals(dir + ": holds an earlier output (a.core, b.core); nothing was written", e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("b.core")));
    assertEquals(List.of("out"), names(root));
  }

  @Test
  void aDirectoryHoldingOtherFilesIsNeverReplaced() throws IOException {
    Path dir = Files.createDirectories(root.resolve("out"));
    Files.writeString(dir.resolve("notes.txt"), "mine");
    OutputException e = assertThrows(OutputException.class, () -> OutputSet.directory(dir, SET, true));
    assertEquals(OutputException.Kind.NOT_OURS, e.kind());
    assertTrue(e.getMessage().startsWith(dir + ": holds files that are not part of the output (notes.txt)"), e.getMessage());
    assertEquals("mine", Files.readString(dir.resolve("notes.txt")));
  }

  @Test
  void aFullDiskMidWriteLeavesThePreviousSetAndNoStaging() throws IOException {
    Path dir = root.resolve("out");
    writeSet(dir, false, 1, null);
    byte[] a = Files.readAllBytes(dir.resolve("a.core"));
    byte[] b = Files.readAllBytes(dir.resolve("b.core"));
    // the second file of the new set fails 1 MiB in, as a disk with 1 MiB left would
    AtomicLong budget = new AtomicLong(3 << 20); // a.core writes its 2 MiB of data and headers; b.core fails 1 MiB in
    OutputException e = assertThrows(OutputException.class, () -> writeSet(dir, true, 2, budget));
    assertEquals(OutputException.Kind.FAILED, e.kind());
    assertEquals(dir + ": cannot write b.core: No space left on device; nothing was changed", e.getMessage());
    assertArrayEquals(a, Files.readAllBytes(dir.resolve("a.core")));
    assertArrayEquals(b, Files.readAllBytes(dir.resolve("b.core")));
    assertEquals(List.of("out"), names(root));
  }

  @Test
  void abandonedOutputIsRemovedAndCannotBePublishedAfterwards() throws IOException {
    Path dir = root.resolve("out");
    try (OutputSet set = OutputSet.directory(dir, SET, false)) {
      try (FileChannel ch = set.create("a.core")) {
        ch.write(ByteBuffer.wrap(new byte[100]));
      }
      assertEquals(1, names(root).size());
      assertEquals(List.of(dir), OutputSet.abandonAll());
      assertEquals(List.of(), names(root), "the shutdown hook's abandon removes the staging");
      assertThrows(OutputException.class, () -> set.create("b.core"));
      assertThrows(OutputException.class, set::commit);
    }
    assertFalse(Files.exists(dir));
  }

  @Test
  void stagingOfAKilledProcessIsRemovedByTheNextRun() throws IOException {
    // a pid that cannot be alive: above the kernel's pid_max limit (PID_MAX_LIMIT, 4M)
    Path stale = Files.createDirectories(root.resolve(".out.kexec-sim-99999999-abc.tmp"));
    Files.write(stale.resolve("a.core"), new byte[10]);
    Path live = Files.createDirectories(root.resolve(".out.kexec-sim-" + ProcessHandle.current().pid() + "-abc.tmp"));
    writeSet(root.resolve("out"), false, 1, null);
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(live), "staging of a running process is left alone");
  }

  @Test
  void aSymlinkedTargetKeepsTheLinkAndReplacesWhatItPointsTo() throws IOException {
    Path real = root.resolve("real");
    writeSet(real, false, 1, null);
    Path link = Files.createSymbolicLink(root.resolve("link"), real);
    byte[] before = Files.readAllBytes(real.resolve("a.core"));
    writeSet(link, true, 2, null);
    assertTrue(Files.isSymbolicLink(link));
    assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(real.resolve("a.core"))));
    assertEquals(List.of("link", "real"), names(root));
  }

  @Test
  void aSingleFileIsReplacedOnlyWithForceAndAFailedWriteKeepsIt() throws IOException {
    Path f = root.resolve("x.bin");
    Files.writeString(f, "old");
    OutputException e = assertThrows(OutputException.class, () -> OutputSet.file(f, false));
    assertEquals(f + ": exists; nothing was written", e.getMessage());
    try (OutputSet o = OutputSet.file(f, true).withOpener(failingAfter(new AtomicLong(2)))) {
      FileChannel ch = o.create(null);
      assertThrows(IOException.class, () -> ch.write(ByteBuffer.wrap("new!".getBytes())));
      ch.close();
    }
    assertEquals("old", Files.readString(f));
    assertEquals(List.of("x.bin"), names(root));
    try (OutputSet o = OutputSet.file(f, true)) {
      try (FileChannel ch = o.create(null)) {
        ch.write(ByteBuffer.wrap("new".getBytes()));
      }
      o.commit();
    }
    assertEquals("new", Files.readString(f));
    assertEquals(List.of("x.bin"), names(root));
  }

  /** Two ELF cores of 8 MiB with 2 MiB of random data, different for each seed; {@code budget} limits the bytes written. */
  private static void writeSet(Path dir, boolean force, long seed, AtomicLong budget) throws IOException {
    SparseMemory m = new SparseMemory(org.kexecsim.memory.RamMap.ofSize(8 << 20));
    byte[] data = new byte[2 << 20];
    new Random(seed).nextBytes(data);
    m.write(1 << 20, data, 0, data.length);
    CoreSpec spec = CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, List.of(RamRange.usable(0, 8 << 20)), List.of(), java.util.Optional.empty());
    try (OutputSet set = OutputSet.directory(dir, SET, force)) {
      if (budget != null) {
        set.withOpener(failingAfter(budget));
      }
      for (String name : SET) {
        try (FileChannel ch = set.create(name)) {
          ElfCoreWriter.write(m, spec, ch);
        } catch (IOException e) {
          throw set.failed(name, e);
        }
      }
      set.commit();
    }
  }

  /** A real channel whose writes fail with ENOSPC's message once {@code budget} bytes are used up. */
  static OutputSet.ChannelOpener failingAfter(AtomicLong budget) {
    return p -> {
      FileChannel real = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      return mock(FileChannel.class, inv -> {
        if (inv.getMethod().getName().equals("write") && inv.getArgument(0) instanceof ByteBuffer b) {
          if (budget.addAndGet(-b.remaining()) < 0) {
            throw new IOException("No space left on device");
          }
        }
        try {
          inv.getMethod().setAccessible(true);
          return inv.getMethod().invoke(real, inv.getArguments());
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });
    };
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
