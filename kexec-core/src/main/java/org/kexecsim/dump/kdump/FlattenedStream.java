package org.kexecsim.dump.kdump;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kexecsim.dump.MalformedDumpException;

/**
 * makedumpfile's flattened format ({@code makedumpfile -F}, what is piped over ssh), read in
 * place: the records are indexed once and every read is served from the stream file, so the
 * user never re-assembles it. Layout (makedumpfile.h, makedumpfile.c write_start_flat_header /
 * write_buffer / write_end_flat_header): a 4096-byte header starting {@code "makedumpfile"}
 * with big-endian int64 type 1 and version 1, then records of a big-endian
 * {@code {int64 offset; int64 buf_size}} followed by buf_size bytes meant for that offset of the
 * dump file, ended by a record whose offset and size are -1. Bytes no record wrote read as zero,
 * as in the re-assembled (sparse) file; where records overlap, the later one wins, as it would
 * when re-assembled.
 */
public final class FlattenedStream implements DumpBytes {
  public static final String SIGNATURE = "makedumpfile";
  /** MAX_SIZE_MDF_HEADER. */
  static final int HEADER_SIZE = 4096;
  private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private final String name;
  private final MemorySegment stream;
  /** Sorted, non-overlapping: logical [starts[i], starts[i]+lengths[i]) is stream [streamOffsets[i], ...). */
  private final long[] starts;
  private final long[] lengths;
  private final long[] streamOffsets;
  private final long size;

  private FlattenedStream(String name, MemorySegment stream, long[] starts, long[] lengths, long[] streamOffsets, long size) {
    this.name = name;
    this.stream = stream;
    this.starts = starts;
    this.lengths = lengths;
    this.streamOffsets = streamOffsets;
    this.size = size;
  }

  /** Whether {@code head} (the file's first bytes) starts with the flattened header. */
  public static boolean matches(byte[] head) {
    return head.length >= SIGNATURE.length()
        && new String(head, 0, SIGNATURE.length(), StandardCharsets.US_ASCII).equals(SIGNATURE);
  }

  /** Indexes the records of {@code stream}; one pass over the record headers, no data is read. */
  public static FlattenedStream index(String name, MemorySegment stream) {
    long n = stream.byteSize();
    if (n < HEADER_SIZE) {
      throw new MalformedDumpException(name, 0, String.format(
          "flattened header is %d bytes, shorter than makedumpfile's %d", n, HEADER_SIZE));
    }
    long type = stream.get(BE64, 16);
    long version = stream.get(BE64, 24);
    if (type != 1) {
      throw new MalformedDumpException(name, 16, "flattened header type " + type + " is not TYPE_FLAT_HEADER (1)");
    }
    if (version != 1) {
      throw new MalformedDumpException(name, 24, "flattened header version " + version + " is not 1, the only one makedumpfile writes");
    }
    List<long[]> records = new ArrayList<>(); // {logical offset, length, stream offset}
    long pos = HEADER_SIZE;
    boolean ordered = true;
    long prevEnd = 0;
    while (true) {
      if (n - pos < 16) {
        throw new MalformedDumpException(name, pos, "flattened stream ends without its end marker (truncated)");
      }
      long offset = stream.get(BE64, pos);
      long bufSize = stream.get(BE64, pos + 8);
      if (offset == -1 && bufSize == -1) {
        break;
      }
      if (offset < 0 || bufSize < 0 || offset + bufSize < offset) {
        throw new MalformedDumpException(name, pos, String.format(
            "flattened record offset 0x%x size 0x%x is negative or overflows", offset, bufSize));
      }
      if (bufSize > n - pos - 16) {
        throw new MalformedDumpException(name, pos + 8, String.format(
            "flattened record of 0x%x bytes runs past the end of the stream (size 0x%x)", bufSize, n));
      }
      if (bufSize > 0) {
        records.add(new long[] {offset, bufSize, pos + 16});
        ordered &= offset >= prevEnd;
        prevEnd = offset + bufSize;
      }
      pos += 16 + bufSize;
    }
    List<long[]> flat = ordered ? records : paint(records);
    long[] s = new long[flat.size()];
    long[] l = new long[flat.size()];
    long[] o = new long[flat.size()];
    long size = 0;
    for (int i = 0; i < s.length; i++) {
      s[i] = flat.get(i)[0];
      l[i] = flat.get(i)[1];
      o[i] = flat.get(i)[2];
      size = Math.max(size, s[i] + l[i]);
    }
    return new FlattenedStream(name, stream, s, l, o, size);
  }

  /** Records in stream order to non-overlapping pieces, later records over earlier ones. */
  private static List<long[]> paint(List<long[]> records) {
    TreeMap<Long, long[]> map = new TreeMap<>();
    for (long[] r : records) {
      long start = r[0];
      long end = r[0] + r[1];
      Map.Entry<Long, long[]> before = map.lowerEntry(start);
      if (before != null && before.getKey() + before.getValue()[1] > start) {
        long[] b = before.getValue();
        long bEnd = before.getKey() + b[1];
        map.put(before.getKey(), new long[] {before.getKey(), start - before.getKey(), b[2]});
        if (bEnd > end) {
          map.put(end, new long[] {end, bEnd - end, b[2] + (end - before.getKey())});
        }
      }
      for (Map.Entry<Long, long[]> e = map.ceilingEntry(start); e != null && e.getKey() < end; e = map.ceilingEntry(start)) {
        map.remove(e.getKey());
        long eEnd = e.getKey() + e.getValue()[1];
        if (eEnd > end) {
          map.put(end, new long[] {end, eEnd - end, e.getValue()[2] + (end - e.getKey())});
          break;
        }
      }
      map.put(start, r.clone());
    }
    return new ArrayList<>(map.values());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return size;
  }

  /** Records after overlap resolution. */
  public int records() {
    return starts.length;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    int i = Arrays.binarySearch(starts, offset);
    if (i < 0) {
      i = -i - 2; // the record starting before offset, if any
    }
    int done = 0;
    while (done < length) {
      long at = offset + done;
      while (i + 1 < starts.length && starts[i + 1] <= at) {
        i++;
      }
      if (i >= 0 && at < starts[i] + lengths[i]) {
        int n = (int) Math.min(length - done, starts[i] + lengths[i] - at);
        MemorySegment.copy(stream, ValueLayout.JAVA_BYTE, streamOffsets[i] + (at - starts[i]), dst, dstOffset + done, n);
        done += n;
      } else {
        long next = i + 1 < starts.length ? starts[i + 1] : Long.MAX_VALUE;
        int n = (int) Math.min(length - done, next - at);
        Arrays.fill(dst, dstOffset + done, dstOffset + done + n, (byte) 0);
        done += n;
      }
    }
  }
}
