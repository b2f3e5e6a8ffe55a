package org.kexecsim.analyzer.symbols;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An address as a user types it: a number in hex, with or without {@code 0x} (as crash reads
 * addresses: {@code ffffffff81000000}), or a symbol with an optional hex offset
 * ({@code linux_banner}, {@code init_top_pgt+0x800}, {@code _end-10}). A token made only of hex
 * digits is a number, so a symbol named like one ({@code add}) cannot be written bare.
 *
 * @param text what was typed
 * @param symbol the symbol, empty for a plain number
 * @param offset the number, or the offset from the symbol
 */
public record AddressExpression(String text, Optional<String> symbol, long offset) {
  private static final Pattern FORM = Pattern.compile("([A-Za-z_.$][A-Za-z0-9_.$]*|(?:0[xX])?[0-9a-fA-F]+)(?:\\s*([+-])\\s*((?:0[xX])?[0-9a-fA-F]+))?");
  private static final Pattern NUMBER = Pattern.compile("(?:0[xX])?[0-9a-fA-F]+");

  /** Parses {@code text}; IllegalArgumentException with the reason when it is not an address. */
  public static AddressExpression parse(String text) {
    String t = text.strip();
    Matcher m = FORM.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not an address: hex (0x optional), a symbol, or symbol+0xOFFSET");
    }
    String base = m.group(1);
    long off = m.group(3) == null ? 0 : hex(m.group(3), text);
    if ("-".equals(m.group(2))) {
      off = -off;
    }
    if (NUMBER.matcher(base).matches()) {
      return new AddressExpression(text, Optional.empty(), hex(base, text) + off);
    }
    return new AddressExpression(text, Optional.of(base), off);
  }

  /** A plain number. */
  public static AddressExpression of(long address) {
    return new AddressExpression("0x" + Long.toHexString(address), Optional.empty(), address);
  }

  private static long hex(String s, String text) {
    String digits = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
    if (digits.length() > 16) {
      throw new IllegalArgumentException("'" + text + "': " + s + " has more than 64 bits");
    }
    return Long.parseUnsignedLong(digits, 16);
  }

  public boolean isSymbolic() {
    return symbol.isPresent();
  }

  @Override
  public String toString() {
    return text;
  }
}
