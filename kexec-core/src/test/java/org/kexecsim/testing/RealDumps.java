package org.kexecsim.testing;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real dumps of Debian's kernel that really crashed under QEMU, for tests that use them as
 * oracles: the capture kernel's own /proc/vmcore, QEMU's dumps of the same guest just before
 * the panic, makedumpfile's conversions of the vmcore, and the kernel's symbols.
 *
 * <p>Made by {@code scripts/real-dumps.sh} (which boots the guest through real-kdump.sh once and
 * caches the result in /var/cache/kexec-sim/dumps/&lt;kernel&gt;-&lt;script hash&gt;/, or in
 * target/real-dumps when that cannot be written). Tests call {@link #x86_64()} or {@link #pae()};
 * a missing prerequisite (QEMU, busybox, cpio, Debian's kernel, the i386 userland) skips the test
 * with the reason, while a script that runs and fails fails the test. Lives in kexec-core's test
 * jar so that kdump-analyzer's and cli's tests both reach it.
 */
public final class RealDumps {

  /** The guests the script boots. */
  public enum Arch {
    X86_64("x86_64", "qemu-system-x86_64", "k64", "amd64"),
    X86_64_KASLR("x86_64", "qemu-system-x86_64", "k64", "amd64"),
    PAE("pae", "qemu-system-i386", "k32", "686-pae");

    final String script;
    final String qemu;
    final String unpacked;
    final String flavour;

    Arch(String script, String qemu, String unpacked, String flavour) {
      this.script = script;
      this.qemu = qemu;
      this.unpacked = unpacked;
      this.flavour = flavour;
    }
  }

  /** One guest's dumps: the files real-kdump.sh leaves, by what they are. */
  public record Set(Arch arch, Path dir, Path cache) {

    /** The capture kernel's /proc/vmcore (ELF64 on x86_64, ELF32 on i386), copied out raw. */
    public Path vmcore() {
      return dir.resolve("vmcore");
    }

    /** QEMU's dump-guest-memory ELF of the running kernel, taken just before the panic. */
    public Path qemuElf() {
      return dir.resolve("qemu.elf");
    }

    /**
     * QEMU's dump-guest-memory -z of the same state as {@link #qemuElf()}: kdump-compressed with
     * zlib pages, in the flattened format QEMU 7.2 always writes for -z (file starts "makedumpfile").
     */
    public Path qemuKdumpZlibFlattened() {
      return dir.resolve("qemu-z.flat");
    }

    /** {@link #qemuKdumpZlibFlattened()} reassembled by `makedumpfile -R` (starts "KDUMP   "); aborts when absent. */
    public Path qemuKdumpZlib() {
      Path p = dir.resolve("qemu-z.kdump");
      if (!Files.isRegularFile(p)) {
        abort("no reassembled QEMU -z dump (makedumpfile was not installed when " + dir + " was made)");
      }
      return p;
    }

    /** The kernel's System.map from Debian's -dbg package (nokaslr: also the runtime addresses). */
    public Path systemMap() {
      return dir.resolve("System.map");
    }

    /** The unstripped vmlinux from the -dbg package, for drgn; empty when not extracted. */
    public Optional<Path> vmlinux() {
      Path p = cache.resolve("usr/lib/debug/boot/vmlinux-" + kernelVersion());
      return Files.isReadable(p) ? Optional.of(p) : Optional.empty();
    }

    /** QEMU's `info registers -a` of the stopped guest when qemu.elf was taken. */
    public Path registers() {
      return dir.resolve("registers.txt");
    }

    /**
     * A makedumpfile conversion of the x86_64 vmcore (Debian's amd64 makedumpfile) or of the PAE
     * one (Debian's i386 build, {@link ExternalOracles#makedumpfileI386()}), by file name in mdf/:
     * c-d0.kdump, c-d31.kdump, l-d0.kdump, l-d31.kdump, p-d31.kdump, z-d31.kdump, c-d31.flat,
     * split2.1..2, split3.1..3 (see scripts/makedumpfile-variants.sh). Aborts the test when absent.
     */
    public Path makedumpfile(String name) {
      Path p = dir.resolve("mdf").resolve(name);
      if (!Files.isRegularFile(p)) {
        abort("no makedumpfile conversion " + name + " for " + arch + " in " + dir.resolve("mdf")
            + (arch == Arch.PAE ? " (needs Debian's i386 makedumpfile: scripts/real-dump-inputs.sh and .ci/run)" : ""));
      }
      return p;
    }

    /** The files of a --split dump into {@code parts} files (2 or 3), in order. */
    public List<Path> makedumpfileSplit(int parts) {
      List<Path> files = new ArrayList<>();
      for (int i = 1; i <= parts; i++) {
        files.add(makedumpfile("split" + parts + "." + i));
      }
      return files;
    }

    public String kernelVersion() {
      try {
        return Files.readString(dir.resolve("kernel-version")).trim();
      } catch (IOException e) {
        throw new AssertionError("unreadable " + dir.resolve("kernel-version"), e);
      }
    }

    /**
     * Addresses of the symbols tests use, from the guest's /proc/kallsyms (and System.map where
     * 686-pae's kallsyms lacks data symbols): linux_banner, _stext, _etext, init_uts_ns, and
     * init_top_pgt (x86_64) or swapper_pg_dir (i386).
     */
    public Map<String, Long> symbols() {
      return readSymbols(dir.resolve("symbols.txt"));
    }

    /** Every symbol of System.map, by name (the first of duplicate names). */
    public Map<String, Long> systemMapSymbols() {
      return readSymbols(systemMap());
    }

    /** CR3 of each CPU as QEMU's `info registers -a` showed it, in CPU order. */
    public List<Long> cr3s() {
      List<Long> out = new ArrayList<>();
      try {
        for (String line : Files.readAllLines(registers())) {
          int at = line.indexOf("CR3=");
          if (at >= 0) {
            out.add(Long.parseUnsignedLong(line.substring(at + 4).split("\\s+")[0], 16));
          }
        }
      } catch (IOException e) {
        throw new AssertionError("unreadable " + registers(), e);
      }
      return out;
    }

    private static Map<String, Long> readSymbols(Path file) {
      Map<String, Long> symbols = new HashMap<>();
      try (Stream<String> lines = Files.lines(file)) {
        lines.map(String::trim).filter(l -> !l.isEmpty()).forEach(l -> {
          String[] f = l.split("\\s+");
          if (f.length >= 3) {
            symbols.putIfAbsent(f[2], Long.parseUnsignedLong(f[0], 16));
          }
        });
      } catch (IOException e) {
        throw new AssertionError("unreadable " + file, e);
      }
      return symbols;
    }
  }

  private static final Map<Arch, Set> MADE = new EnumMap<>(Arch.class);
  private static final long TIMEOUT_S = 1200;

  private RealDumps() {}

  /** Debian amd64 under qemu-system-x86_64: vmcore, qemu.elf, qemu-z, mdf/ conversions, symbols. */
  public static Set x86_64() {
    return get(Arch.X86_64);
  }

  /** The same guest with KASLR left on (kernel and direct map randomized): vmcore, qemu.elf, qemu-z. */
  public static Set x86_64Kaslr() {
    return get(Arch.X86_64_KASLR);
  }

  /** Debian 686-pae under qemu-system-i386: vmcore (ELF32), qemu.elf, qemu-z, symbols. */
  public static Set pae() {
    return get(Arch.PAE);
  }

  public static synchronized Set get(Arch arch) {
    Set made = MADE.get(arch);
    if (made != null) {
      return made;
    }
    Path scripts = scriptsDir();
    Path cache = Path.of(System.getenv().getOrDefault("KSIM_CACHE", "/var/cache/kexec-sim"));
    List<String> missing = new ArrayList<>();
    for (String tool : List.of(arch.qemu, "cpio", "python3", "gzip", "flock")) {
      if (!onPath(tool)) {
        missing.add(tool);
      }
    }
    if (arch != Arch.PAE && !onPath("busybox")) {
      missing.add("busybox (busybox-static)");
    }
    String fetched = "";
    if (missing.isEmpty() && !hasInputs(cache, arch)
        && "root".equals(System.getProperty("user.name")) && onPath("apt-get")) {
      fetched = fetchInputs(scripts);
    }
    if (!hasKernel(cache, arch)) {
      missing.add("Debian's " + arch.flavour + " kernel unpacked in " + cache.resolve(arch.unpacked) + " (scripts/real-dump-inputs.sh as root" + fetched + ")");
    }
    if (arch == Arch.PAE && !Files.isExecutable(cache.resolve("i386/sbin/kexec"))) {
      missing.add("the i386 userland in " + cache.resolve("i386") + " (scripts/real-dump-inputs.sh as root" + fetched + ")");
    }
    if (!missing.isEmpty()) {
      abort("real " + arch.script + " dumps need " + String.join(", ", missing) + ": skipping (see .ci/run)");
    }
    Path fallback = Path.of("target", "real-dumps").toAbsolutePath();
    String name = "real-dumps-" + arch.name().toLowerCase(java.util.Locale.ROOT);
    Path log = Path.of("target", name + ".log").toAbsolutePath(); // the scripts' messages
    Path answer = Path.of("target", name + ".out").toAbsolutePath(); // the directory, last line
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder pb = new ProcessBuilder("bash", scripts.resolve("real-dumps.sh").toString(), arch.script, fallback.toString());
      pb.environment().put("KSIM_KASLR", arch == Arch.X86_64_KASLR ? "1" : "0");
      Process p = pb.redirectOutput(answer.toFile()).redirectError(log.toFile()).start();
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly); // QEMU must not outlive the test
        p.destroyForcibly();
        throw new AssertionError("real-dumps.sh " + arch.script + " did not finish in " + TIMEOUT_S + " s:\n" + Files.readString(log));
      }
      List<String> lines = Files.readAllLines(answer);
      if (p.exitValue() != 0 || lines.isEmpty()) {
        throw new AssertionError("real-dumps.sh " + arch.script + " failed (exit " + p.exitValue() + "):\n" + Files.readString(log));
      }
      Path dir = Path.of(lines.getLast().trim());
      if (!Files.isRegularFile(dir.resolve("COMPLETE"))) {
        throw new AssertionError("real-dumps.sh " + arch.script + " named " + dir + ", which holds no complete set");
      }
      made = new Set(arch, dir, cache);
      MADE.put(arch, made);
      return made;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + scripts.resolve("real-dumps.sh") + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while generating real dumps", e);
    }
  }

  /** The repository's scripts/: system property ksim.scripts, else found upward from the module. */
  static Path scriptsDir() {
    String set = System.getProperty("ksim.scripts");
    if (set != null && !set.isEmpty()) {
      return Path.of(set);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("scripts/real-dumps.sh"))) {
        return d.resolve("scripts");
      }
    }
    throw new AssertionError("no scripts/real-dumps.sh above " + Path.of("").toAbsolutePath() + " (set -Dksim.scripts)");
  }

  private static boolean hasInputs(Path cache, Arch arch) {
    return hasKernel(cache, arch) && (arch != Arch.PAE || Files.isExecutable(cache.resolve("i386/sbin/kexec")));
  }

  /** Runs real-dump-inputs.sh (downloads); returns "" or ": it said ..." for the skip reason. */
  private static String fetchInputs(Path scripts) {
    try {
      Process p = new ProcessBuilder("bash", scripts.resolve("real-dump-inputs.sh").toString()).redirectErrorStream(true).start();
      p.getOutputStream().close();
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return ": it did not finish in 600 s";
      }
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 ? "" : ": it said " + out.lines().reduce((x, y) -> y).orElse("nothing");
    } catch (IOException e) {
      return ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ": interrupted";
    }
  }

  private static boolean hasKernel(Path cache, Arch arch) {
    try (Stream<Path> files = Files.list(cache.resolve(arch.unpacked).resolve("boot"))) {
      return files.anyMatch(p -> p.getFileName().toString().matches("vmlinuz-.*-" + arch.flavour));
    } catch (IOException e) {
      return false;
    }
  }

  public static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
