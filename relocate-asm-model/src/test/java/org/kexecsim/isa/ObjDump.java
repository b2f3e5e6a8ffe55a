package org.kexecsim.isa;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs binutils' objdump and nm: the reference the decoder is checked against. */
public final class ObjDump {
  private ObjDump() {}

  /** One instruction as objdump prints it: address, bytes, and its mnemonic (with a rep prefix, if any). */
  public record Line(long address, byte[] bytes, String mnemonic, String text) {}

  private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*(?:\\t(.*))?$");

  public static boolean available() {
    try {
      return run(List.of("objdump", "--version")) != null && run(List.of("nm", "--version")) != null;
    } catch (IOException e) {
      return false;
    }
  }

  /** Disassembles [start, stop) of an ELF file; continuation lines (long instructions) are merged. */
  public static List<Line> disassemble(Path elf, long start, long stop) throws IOException {
    String out = run(List.of("objdump", "-d", "-w", "--start-address=0x" + Long.toHexString(start),
        "--stop-address=0x" + Long.toHexString(stop), elf.toString()));
    return parse(out);
  }

  /** Disassembles a flat binary as raw {@code bits}-bit x86 code at address 0. */
  static List<Line> disassembleRaw(byte[] code, int bits) throws IOException {
    Path f = Files.createTempFile("objdump", ".bin");
    try {
      Files.write(f, code);
      String out = run(List.of("objdump", "-D", "-w", "-b", "binary", "-m", bits == 64 ? "i386:x86-64" : "i386", f.toString()));
      return parse(out);
    } finally {
      Files.deleteIfExists(f);
    }
  }

  static List<Line> parse(String out) {
    List<Line> lines = new ArrayList<>();
    for (String l : out.split("\n")) {
      Matcher m = INSN.matcher(l);
      if (!m.matches()) {
        continue;
      }
      long addr = Long.parseUnsignedLong(m.group(1), 16);
      byte[] bytes = HexFormat.of().parseHex(m.group(2).replace(" ", ""));
      String text = m.group(3) == null ? "" : m.group(3).strip();
      if (text.isEmpty() && !lines.isEmpty()) { // objdump continues a long instruction on the next line
        Line prev = lines.removeLast();
        byte[] all = new byte[prev.bytes().length + bytes.length];
        System.arraycopy(prev.bytes(), 0, all, 0, prev.bytes().length);
        System.arraycopy(bytes, 0, all, prev.bytes().length, bytes.length);
        lines.add(new Line(prev.address(), all, prev.mnemonic(), prev.text()));
        continue;
      }
      lines.add(new Line(addr, bytes, mnemonic(text), text));
    }
    return lines;
  }

  /** The mnemonic of an AT&T line: its first word, or "rep X" for a rep-prefixed one. */
  static String mnemonic(String text) {
    String[] w = text.strip().split("\\s+");
    if (w.length > 1 && (w[0].equals("rep") || w[0].equals("repz") || w[0].equals("data16"))) {
      return (w[0] + " " + w[1]).toLowerCase(Locale.ROOT);
    }
    return w[0].toLowerCase(Locale.ROOT);
  }

  /** The value of {@code symbol} in an ELF file's symbol table (nm), or -1. */
  public static long symbol(Path elf, String symbol) throws IOException {
    String out = run(List.of("nm", elf.toString()));
    for (String l : out.split("\n")) {
      String[] f = l.split("\\s+");
      if (f.length == 3 && f[2].equals(symbol)) {
        return Long.parseUnsignedLong(f[0], 16);
      }
    }
    return -1;
  }

  /**
   * Whether our mnemonic names what objdump's does: objdump omits the size suffix where an
   * operand gives the size, and prints string stores as "stos" with operands, so a suffix
   * (b/w/l/q) on one side only is no difference.
   */
  static boolean sameMnemonic(String objdump, String ours) {
    if (objdump.equals(ours)) {
      return true;
    }
    return stripSuffix(objdump).equals(stripSuffix(ours));
  }

  private static String stripSuffix(String m) {
    String last = m.substring(m.lastIndexOf(' ') + 1);
    String prefix = m.substring(0, m.lastIndexOf(' ') + 1);
    if (last.length() > 2 && "bwlq".indexOf(last.charAt(last.length() - 1)) >= 0) {
      last = last.substring(0, last.length() - 1);
    }
    return prefix + last;
  }

  private static String run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
