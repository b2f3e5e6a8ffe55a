package org.kexecsim.kimage;

/** An indirection list that relocate_kernel could not follow to IND_DONE; the message says where. */
public final class CorruptIndirectionListException extends RuntimeException implements org.kexecsim.input.RejectedInput {
  public CorruptIndirectionListException(String message) {
    super(message);
  }
}
