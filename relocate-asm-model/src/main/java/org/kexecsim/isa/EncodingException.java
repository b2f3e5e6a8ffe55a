package org.kexecsim.isa;

/** An instruction that has no encoding in the chosen mode, or a value out of its field's range. */
public final class EncodingException extends IllegalArgumentException {
  public EncodingException(String message) {
    super(message);
  }
}
