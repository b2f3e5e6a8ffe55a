package org.kexecsim.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;

/**
 * JSON output for {@code --json}: one document on stdout with a {@code "format"} tag, stable
 * field names, and addresses as "0x…" strings (numbers above 2^53 do not survive JavaScript).
 */
public final class Json {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  public static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }

  public static void print(PrintWriter out, Object document) {
    try {
      out.println(MAPPER.writeValueAsString(document));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + document.getClass().getSimpleName(), e);
    }
  }
}
