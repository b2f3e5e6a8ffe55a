package org.kexecsim.isa;

/**
 * AT&T-syntax assembler for the modelled subset, producing the bytes GNU as 2.40 produces for
 * the same source (then {@code objcopy -O binary -j .text}). The work is split by stage:
 * {@link SourceText} (comments, separators), {@link Cursor} with {@link ExpressionParser} and
 * {@link OperandParser} (lexing and parsing), {@link SourceParser} (statements and directives),
 * {@link SymbolTable} (labels, constants, what GNU as knows at parse time), {@link Layout}
 * (relaxation and bytes) and {@link MnemonicTable} (mnemonic and operands to an
 * {@link Instruction}, which {@link Encoder} encodes).
 */
public final class Assembler {
  private Assembler() {}

  /** Assembles {@code source} starting in {@code bits}-bit mode (32 or 64) at address 0. */
  public static Assembly assemble(String source, int bits) {
    return assemble(source, bits, 0);
  }

  public static Assembly assemble(String source, int bits, long origin) {
    return assemble(source, bits, origin, Includes.NONE);
  }

  /** As {@link #assemble(String, int, long)}, with {@code .include} reading from {@code includes}. */
  public static Assembly assemble(String source, int bits, long origin, Includes includes) {
    if (bits != 32 && bits != 64) {
      throw new IllegalArgumentException("bits must be 32 or 64");
    }
    SymbolTable symbols = new SymbolTable();
    SourceParser parser = new SourceParser(symbols, includes);
    java.util.List<Statement> stmts = parser.parse(source, bits);
    return new Layout(stmts, parser.origins(), symbols).layOut(origin);
  }
}
