package org.kexecsim.isa;

import java.util.List;
import java.util.Map;

/**
 * The output of {@link Assembler}: the image (.text followed by .data), every label's address,
 * and a listing line per statement that emitted bytes.
 */
public record Assembly(byte[] bytes, Map<String, Long> symbols, List<ListingLine> listing) {
  public Assembly {
    bytes = bytes.clone();
    symbols = Map.copyOf(symbols);
    listing = List.copyOf(listing);
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  public int size() {
    return bytes.length;
  }

  /** One source statement: where it landed, how many bytes, and its text. */
  public record ListingLine(int line, long address, int length, String source) {}
}
