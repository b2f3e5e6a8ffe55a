package org.kexecsim.cli;

import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.checksum.DigestAlgorithm;
import org.kexecsim.analyzer.checksum.ImageChecksum;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFiles;
import org.kexecsim.dump.DumpFormat;
import org.kexecsim.memory.RamMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Run in a child JVM by {@link ChangingFileTest} (a SIGBUS in vector code could take the JVM
 * down): hashes a raw image with BLAKE3 until the vector lanes are compiled, truncates it, and
 * hashes it again, through the command line's error handling. Prints whether BLAKE3's C library
 * is mapped in this JVM (/proc/self/maps: Blake3Native loaded it) and the exit code; the
 * command's stderr goes to stderr.
 */
final class ShrinkingBlake3Probe {
  private ShrinkingBlake3Probe() {}

  @Command(name = "shrink-blake3")
  static final class Shrinking implements Callable<Integer> {
    @CommandLine.Parameters(index = "0") Path file;
    @CommandLine.Parameters(index = "1") long size;

    @Override
    public Integer call() throws Exception {
      try (Dump d = DumpFiles.open(List.of(file), Optional.of(DumpFormat.RAW), RamMap.ofSize(size))) {
        for (int warm = 0; warm < 4; warm++) { // C2 compiles the lanes (Blake3Vector) on the mapping
          ImageChecksum.compute(d.physicalMemory(), DigestAlgorithm.BLAKE3);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
          ch.truncate(8192);
        }
        ImageChecksum.compute(d.physicalMemory(), DigestAlgorithm.BLAKE3);
        return 0; // not reached: the reads past 8 KiB fault
      }
    }
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new Main());
    cl.addSubcommand(new Shrinking());
    PrintWriter err = new PrintWriter(System.err, true);
    int code = Main.execute(cl, new String[] {"shrink-blake3", args[0], args[1]}, new PrintWriter(System.out, true), err);
    err.flush();
    boolean mapped;
    try {
      mapped = java.nio.file.Files.readString(Path.of("/proc/self/maps")).contains("/libblake3.so");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    System.out.println("libblake3.so mapped: " + mapped);
    System.out.println("exit " + code);
    System.exit(code);
  }
}
