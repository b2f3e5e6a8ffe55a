package org.kexecsim.dump.kdump;

import io.airlift.compress.v3.Decompressor;
import io.airlift.compress.v3.MalformedInputException;
import io.airlift.compress.v3.lzo.LzoDecompressor;
import io.airlift.compress.v3.snappy.SnappyJavaDecompressor;
import io.airlift.compress.v3.zstd.ZstdJavaDecompressor;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.kexecsim.input.CliNamed;

/**
 * How one page is stored, from its page_desc flags (diskdump_mod.h DUMP_DH_COMPRESSED_*):
 * zlib {@code compress2()} output (0x1), LZO1X-1 (0x2), raw Snappy (0x4), a zstd frame (0x20),
 * or the page as it is. Decoders are the JDK's Inflater and aircompressor's pure-Java ones; each
 * writes into a buffer of exactly one page, so a page that would inflate past it (a decompression
 * bomb, or a lie) fails instead of allocating.
 */
public enum PageCodec implements CliNamed {
  NONE(0),
  ZLIB(0x1),
  LZO(0x2),
  SNAPPY(0x4),
  ZSTD(0x20);

  public static final int ALL = 0x1 | 0x2 | 0x4 | 0x20;

  private final int flag;

  PageCodec(int flag) {
    this.flag = flag;
  }

  public int flag() {
    return flag;
  }

  /** The codec a page_desc (or header status) names; null when it names several. */
  public static PageCodec ofFlags(int flags) {
    int c = flags & ALL;
    for (PageCodec p : values()) {
      if (p.flag == c) {
        return p;
      }
    }
    return null;
  }

  /** Per-thread decoders: Inflater and the aircompressor decoders keep state. */
  static final class Decoders {
    private final Inflater inflater = new Inflater();
    private final Decompressor lzo = new LzoDecompressor();
    private final Decompressor snappy = new SnappyJavaDecompressor();
    private final Decompressor zstd = new ZstdJavaDecompressor();

    /**
     * Decodes {@code in[0, inLength)} into {@code page} (one page long).
     *
     * @return null on success, else why the data is not one page of this codec
     */
    String decode(PageCodec codec, byte[] in, int inLength, byte[] page) {
      try {
        int n = switch (codec) {
          case NONE -> {
            System.arraycopy(in, 0, page, 0, inLength);
            yield inLength;
          }
          case ZLIB -> inflate(in, inLength, page);
          case LZO -> lzo.decompress(in, 0, inLength, page, 0, page.length);
          case SNAPPY -> snappy.decompress(in, 0, inLength, page, 0, page.length);
          case ZSTD -> zstd.decompress(in, 0, inLength, page, 0, page.length);
        };
        return n == page.length ? null : String.format("%s data decompresses to %d bytes, not one %d-byte page",
            codec.cliName(), n, page.length);
      } catch (MalformedInputException | DataFormatException | IllegalArgumentException
          | IndexOutOfBoundsException | UnsupportedOperationException e) {
        // aircompressor reports corrupt input and output overruns this way
        return codec.cliName() + " data is corrupt or larger than a page: " + e.getMessage();
      }
    }

    private int inflate(byte[] in, int inLength, byte[] page) throws DataFormatException {
      inflater.reset();
      inflater.setInput(in, 0, inLength);
      int n = inflater.inflate(page, 0, page.length);
      if (!inflater.finished()) {
        throw new DataFormatException(inflater.needsInput() ? "the zlib stream is truncated" : "the zlib stream inflates past one page");
      }
      return n;
    }
  }
}
