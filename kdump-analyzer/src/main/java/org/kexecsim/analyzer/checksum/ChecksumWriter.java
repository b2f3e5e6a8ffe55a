package org.kexecsim.analyzer.checksum;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.ReportJson;

/**
 * Writes a checksum's output as it is made: page lines (or JSON page objects) the moment each
 * page digest exists, then the image and range digests. Nothing per page is held.
 */
public final class ChecksumWriter implements ImageChecksum.PageSink, AutoCloseable {
  private final PrintWriter out;
  private final JsonGenerator json;
  private final String pagePrefix;

  private ChecksumWriter(PrintWriter out, JsonGenerator json, String pagePrefix) {
    this.out = out;
    this.json = json;
    this.pagePrefix = pagePrefix;
  }

  /** Text: {@code xxh3:DIGEST  page 0xADDR} lines, then {@link ChecksumReport#toText}. */
  public static ChecksumWriter text(PrintWriter out, DigestAlgorithm pageAlgorithm) {
    return new ChecksumWriter(out, null, pageAlgorithm == null ? "" : pageAlgorithm.cliName() + ":");
  }

  /** JSON in the digest-list format {@code --verify} reads. */
  public static ChecksumWriter json(PrintWriter out, DigestAlgorithm algorithm, DigestAlgorithm pageAlgorithm) {
    try {
      JsonGenerator g = ReportJson.MAPPER.getFactory().createGenerator(out);
      g.setPrettyPrinter(new DefaultPrettyPrinter());
      g.writeStartObject();
      g.writeStringField("format", ChecksumReport.FORMAT);
      g.writeStringField("algorithm", algorithm.cliName());
      g.writeStringField("scheme", "plain: the RAM ranges' bytes concatenated in address order");
      if (pageAlgorithm != null) {
        g.writeStringField("pageAlgorithm", pageAlgorithm.cliName());
      }
      g.writeArrayFieldStart("pages");
      return new ChecksumWriter(out, g, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void page(long physical, String digest) {
    if (json == null) {
      out.append(pagePrefix).append(digest).append("  page 0x").append(Long.toHexString(physical)).append(System.lineSeparator());
      return;
    }
    try {
      json.writeStartObject();
      json.writeStringField("physical", Hex.of(physical));
      json.writeStringField("digest", digest);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The image and range digests after the pages. */
  public void finish(ChecksumReport report) {
    if (json == null) {
      out.print(report.toText());
      return;
    }
    try {
      json.writeEndArray();
      report.writeTail(json);
      json.writeEndObject();
      json.flush();
      out.println();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    out.flush();
  }
}
