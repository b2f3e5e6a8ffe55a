package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * BLAKE3 in hash mode with a 32-byte output, as the BLAKE3 paper (O'Connor, Aumasson, Neves,
 * Wilcox-O'Hearn, 2020) §2 specifies it: 1024-byte chunks of 64-byte blocks, each chunk's
 * chaining value from its blocks with the chunk counter as the compression counter, and a binary
 * tree of parent nodes whose left subtree always holds the largest power of two of chunks
 * (§2.1, "left subtree is a complete binary tree"). The digest therefore equals {@code b3sum}'s for
 * the same bytes however they are split; {@link #subtree} lets whole power-of-two subtrees be
 * hashed on different cores and {@link Hasher#pushSubtree} merge them back in order.
 *
 * <p>Whole subtrees go through the fastest {@link Engine} present: the BLAKE3 team's C code
 * ({@link Blake3Native}), else, for at least twice a vector's lanes, {@link Blake3Lanes} (sixteen
 * chunks per vector with AVX-512, eight with AVX2: the paper's §5.3 "chunk parallelism") when the
 * Vector API is present; everything else chunk by chunk.
 */
public final class Blake3 {
  static final int CHUNK = 1024;
  static final int BLOCK = 64;
  static final int CHUNK_START = 1;
  static final int CHUNK_END = 2;
  static final int PARENT = 4;
  static final int ROOT = 8;
  /** The paper's IV: SHA-256's initial hash value. */
  static final int[] IV = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
  /** Message word order of round r+1 from round r (paper Table 2). */
  static final int[] PERMUTATION = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
  /** Message word index used by each of the 7 rounds, the permutation applied r times. */
  static final int[][] SCHEDULE = schedule();
  private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Blake3() {}

  /** Who hashes whole subtrees; each falls back to the next where it is absent or does not apply. */
  enum Engine {
    /** {@link Blake3Native}: the C implementation, any subtree. */
    NATIVE,
    /** {@link Blake3Lanes}: the Vector API, subtrees of at least twice its lanes. */
    LANES,
    /** Chunk by chunk in plain Java: always present. */
    CHUNKS;

    /** The fastest present: the C library if it loaded, else the lanes if the Vector API is there, else chunks. */
    static Engine best() {
      return NATIVE.present() ? NATIVE : LANES.present() ? LANES : CHUNKS;
    }

    /** Whether this engine runs here; an absent one falls back to the next. */
    boolean present() {
      return switch (this) {
        case NATIVE -> Blake3Native.AVAILABLE;
        case LANES -> Blake3Lanes.AVAILABLE;
        case CHUNKS -> true;
      };
    }
  }

  private static int[][] schedule() {
    int[][] s = new int[7][16];
    int[] order = new int[16];
    for (int i = 0; i < 16; i++) {
      order[i] = i;
    }
    for (int r = 0; r < 7; r++) {
      s[r] = order.clone();
      int[] next = new int[16];
      for (int i = 0; i < 16; i++) {
        next[i] = order[PERMUTATION[i]];
      }
      order = next;
    }
    return s;
  }

  /** The compression function; writes the 16-word state to {@code out} (paper §2.2). */
  static void compress(int[] cv, int[] m, int mOff, long counter, int blockLen, int flags, int[] out) {
    int s0 = cv[0], s1 = cv[1], s2 = cv[2], s3 = cv[3], s4 = cv[4], s5 = cv[5], s6 = cv[6], s7 = cv[7];
    int s8 = IV[0], s9 = IV[1], s10 = IV[2], s11 = IV[3];
    int s12 = (int) counter, s13 = (int) (counter >>> 32), s14 = blockLen, s15 = flags;
    for (int r = 0; r < 7; r++) {
      int[] w = SCHEDULE[r];
      // columns
      s0 += s4 + m[mOff + w[0]]; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
      s0 += s4 + m[mOff + w[1]]; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
      s1 += s5 + m[mOff + w[2]]; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
      s1 += s5 + m[mOff + w[3]]; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
      s2 += s6 + m[mOff + w[4]]; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
      s2 += s6 + m[mOff + w[5]]; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
      s3 += s7 + m[mOff + w[6]]; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
      s3 += s7 + m[mOff + w[7]]; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
      // diagonals
      s0 += s5 + m[mOff + w[8]]; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
      s0 += s5 + m[mOff + w[9]]; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
      s1 += s6 + m[mOff + w[10]]; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
      s1 += s6 + m[mOff + w[11]]; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
      s2 += s7 + m[mOff + w[12]]; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
      s2 += s7 + m[mOff + w[13]]; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
      s3 += s4 + m[mOff + w[14]]; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
      s3 += s4 + m[mOff + w[15]]; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
    }
    out[0] = s0 ^ s8; out[1] = s1 ^ s9; out[2] = s2 ^ s10; out[3] = s3 ^ s11;
    out[4] = s4 ^ s12; out[5] = s5 ^ s13; out[6] = s6 ^ s14; out[7] = s7 ^ s15;
    out[8] = s8 ^ cv[0]; out[9] = s9 ^ cv[1]; out[10] = s10 ^ cv[2]; out[11] = s11 ^ cv[3];
    out[12] = s12 ^ cv[4]; out[13] = s13 ^ cv[5]; out[14] = s14 ^ cv[6]; out[15] = s15 ^ cv[7];
  }

  /** The chaining value of the parent of {@code left} and {@code right} (not the root). */
  static int[] parentCv(int[] left, int[] right) {
    int[] m = new int[16];
    System.arraycopy(left, 0, m, 0, 8);
    System.arraycopy(right, 0, m, 8, 8);
    int[] out = new int[16];
    compress(IV, m, 0, 0, BLOCK, PARENT, out);
    return Arrays.copyOf(out, 8);
  }

  /** The chaining value of one full, non-final chunk held as 256 little-endian words at {@code words[off..]}. */
  static void chunkCv(int[] words, int off, long counter, int[] cvOut, int[] scratch) {
    int[] cv = cvOut;
    System.arraycopy(IV, 0, cv, 0, 8);
    for (int b = 0; b < 16; b++) {
      int flags = (b == 0 ? CHUNK_START : 0) | (b == 15 ? CHUNK_END : 0);
      compress(cv, words, off + b * 16, counter, BLOCK, flags, scratch);
      System.arraycopy(scratch, 0, cv, 0, 8);
    }
  }

  /**
   * Chaining values of the {@code n} full chunks of {@code src} at {@code offset} (counters from
   * {@code counter}), one by one, into {@code cvs[8*i..]}.
   */
  private static void scalarChunkCvs(MemorySegment src, long offset, int n, long counter, int[] cvs) {
    int[] words = new int[256];
    int[] cv = new int[8];
    int[] scratch = new int[16];
    for (int i = 0; i < n; i++) {
      MemorySegment.copy(src, LE_INT, offset + (long) i * CHUNK, words, 0, 256);
      chunkCv(words, 0, counter + i, cv, scratch);
      System.arraycopy(cv, 0, cvs, 8 * i, 8);
    }
  }

  /** The largest subtree {@link #subtree} hashes: 4096 chunks, 4 MiB (ImageChecksum's pieces). */
  public static final int MAX_SUBTREE_CHUNKS = MemoryStream.PIECE / CHUNK;

  /**
   * Per thread, the copy of a mapped subtree the lanes read (4 MiB), off the heap: the lanes'
   * vector loads from a heap array measured about 30% more CPU time than from native memory.
   */
  private static final ThreadLocal<MemorySegment> STAGE =
      ThreadLocal.withInitial(() -> java.lang.foreign.Arena.ofAuto().allocate((long) MAX_SUBTREE_CHUNKS * CHUNK, 64));

  private static void checkSubtree(int chunks) {
    if (chunks <= 0 || Integer.bitCount(chunks) != 1 || chunks > MAX_SUBTREE_CHUNKS) {
      throw new IllegalArgumentException("a subtree holds a power of two of chunks up to " + MAX_SUBTREE_CHUNKS + ", not " + chunks);
    }
  }

  /**
   * The chaining value of the complete subtree of {@code 2^k} full chunks at {@code offset} of
   * {@code src} whose first chunk has counter {@code counter}; never the root. At most
   * {@link #MAX_SUBTREE_CHUNKS} (4 MiB): the lanes keep a level of chaining values per subtree.
   * Hashed by {@link Engine#best}.
   */
  public static int[] subtree(MemorySegment src, long offset, int chunks, long counter) {
    return subtree(src, offset, chunks, counter, Engine.best());
  }

  /** {@link #subtree} by {@code engine} where it is present and applies, else by the next. */
  static int[] subtree(MemorySegment src, long offset, int chunks, long counter, Engine engine) {
    checkSubtree(chunks);
    if (engine == Engine.NATIVE && Blake3Native.AVAILABLE) {
      return Blake3Native.subtree(src, offset, chunks, counter);
    }
    if (engine != Engine.CHUNKS && Blake3Lanes.AVAILABLE && chunks >= 2 * Blake3Lanes.lanes()) {
      if (!src.isNative()) {
        return Blake3Lanes.subtree(src, offset, chunks, counter);
      }
      // a native segment may map a file that shrinks meanwhile: a vector load from a lost page
      // raises SIGBUS in C2's code, which the JVM does not recover from (it crashed; see
      // ChangingFileTest), while the copy turns it into the InternalError MappedFiles explains
      MemorySegment stage = STAGE.get();
      MemorySegment.copy(src, offset, stage, 0, (long) chunks * CHUNK);
      return Blake3Lanes.subtree(stage, 0, chunks, counter);
    }
    return scalarSubtree(src, offset, chunks, counter);
  }

  /** {@link #subtree} chunk by chunk, the lanes left out (the fallback, and what tests compare them with). */
  static int[] scalarSubtree(MemorySegment src, long offset, int chunks, long counter) {
    checkSubtree(chunks);
    int batch = Math.min(chunks, 64);
    int[] cvs = new int[8 * batch];
    // a flat stack of chaining values, 8 words each; parents are compressed in place
    int[] stack = new int[8 * 33];
    int[] m = new int[16];
    int[] out = new int[16];
    int depth = 0;
    long total = 0;
    for (int done = 0; done < chunks; done += batch) {
      scalarChunkCvs(src, offset + (long) done * CHUNK, batch, counter + done, cvs);
      for (int i = 0; i < batch; i++) {
        System.arraycopy(cvs, 8 * i, stack, 8 * depth, 8);
        depth++;
        total++;
        for (long t = total; (t & 1) == 0; t >>= 1) {
          System.arraycopy(stack, 8 * (depth - 2), m, 0, 16);
          compress(IV, m, 0, 0, BLOCK, PARENT, out);
          depth--;
          System.arraycopy(out, 0, stack, 8 * (depth - 1), 8);
        }
      }
    }
    return Arrays.copyOf(stack, 8);
  }

  /** 32 bytes, little-endian words. */
  static byte[] bytes(int[] words) {
    byte[] out = new byte[32];
    for (int i = 0; i < 8; i++) {
      int w = words[i];
      out[4 * i] = (byte) w;
      out[4 * i + 1] = (byte) (w >>> 8);
      out[4 * i + 2] = (byte) (w >>> 16);
      out[4 * i + 3] = (byte) (w >>> 24);
    }
    return out;
  }

  /**
   * The incremental hasher of the reference implementation: a stack of completed subtrees and
   * the current chunk, which stays open until {@link #finish} since it may be the root.
   */
  public static final class Hasher {
    private final Engine engine;

    /** Whole subtrees by {@link Engine#best}. */
    public Hasher() {
      this(Engine.best());
    }

    /** Whole subtrees by {@code engine} where present (tests compare the engines; ImageChecksum picks by size). */
    Hasher(Engine engine) {
      this.engine = engine;
    }
    private final int[][] stack = new int[64][];
    private final long[] stackChunks = new long[64];
    private int depth;
    /** Chunks before the open one. */
    private long chunksDone;
    /** The open chunk's bytes, as many as {@code chunkLen}. */
    private final byte[] chunk = new byte[CHUNK];
    private int chunkLen;
    private final int[] words = new int[256];
    private final int[] cv = new int[8];
    private final int[] scratch = new int[16];

    public void update(byte[] src, int off, int len) {
      update(MemorySegment.ofArray(src), off, len);
    }

    public void update(MemorySegment src, long off, long len) {
      long pos = off;
      long end = off + len;
      while (pos < end) {
        if (chunkLen == CHUNK) {
          // the open chunk is full and more input follows: it is not the root
          closeChunk();
        }
        if (chunkLen == 0 && end - pos > CHUNK) {
          // whole chunks straight from the source, as the largest complete subtree that starts
          // here (its size divides the chunks before it) and fits; the last byte always stays
          // for the open chunk, which may be the root
          long n = Long.highestOneBit(Math.min((end - pos - 1) / CHUNK, MAX_SUBTREE_CHUNKS));
          if (chunksDone != 0) {
            n = Math.min(n, Long.lowestOneBit(chunksDone));
          }
          push(subtree(src, pos, (int) n, chunksDone, engine), n);
          pos += n * CHUNK;
          continue;
        }
        int take = (int) Math.min(CHUNK - chunkLen, end - pos);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, pos, chunk, chunkLen, take);
        chunkLen += take;
        pos += take;
      }
    }

    private void closeChunk() {
      MemorySegment.copy(MemorySegment.ofArray(chunk), LE_INT, 0, words, 0, 256);
      chunkCv(words, 0, chunksDone, cv, scratch);
      chunkLen = 0;
      push(cv.clone(), 1);
    }

    /**
     * Adds the chaining value of a complete subtree of {@code chunks} (a power of two) that
     * starts at this hasher's position, which must be a multiple of its size; its bytes must
     * not be the end of the input (that subtree would be the root).
     */
    public void pushSubtree(int[] subtreeCv, long chunks) {
      if (chunkLen != 0 || Long.bitCount(chunks) != 1 || chunksDone % chunks != 0) {
        throw new IllegalStateException("subtree of " + chunks + " chunks at chunk " + chunksDone + " (open " + chunkLen + ")");
      }
      push(subtreeCv, chunks);
    }

    private void push(int[] newCv, long chunks) {
      int[] c = newCv;
      long size = chunks;
      // merge while the stack top is a subtree of the same size (left-complete tree, paper §2.1)
      while (depth > 0 && stackChunks[depth - 1] == size) {
        c = parentCv(stack[--depth], c);
        size *= 2;
      }
      stack[depth] = c;
      stackChunks[depth++] = size;
      chunksDone += chunks;
    }

    /** Bytes hashed so far. */
    public long length() {
      return chunksDone * CHUNK + chunkLen;
    }

    /** The 32-byte digest; the hasher is spent. */
    public byte[] finish() {
      // the open chunk's last block, then parents from the stack top, the final compression flagged ROOT
      int[] m = new int[16];
      int[] state = new int[16];
      int[] c = IV.clone();
      int blocks = Math.max(1, (chunkLen + BLOCK - 1) / BLOCK);
      byte[] block = new byte[BLOCK];
      int[] outCv = null;
      int lastLen = 0;
      int lastFlags = 0;
      for (int b = 0; b < blocks; b++) {
        int len = Math.min(BLOCK, chunkLen - b * BLOCK);
        Arrays.fill(block, (byte) 0);
        System.arraycopy(chunk, b * BLOCK, block, 0, Math.max(0, len));
        MemorySegment.copy(MemorySegment.ofArray(block), LE_INT, 0, m, 0, 16);
        int flags = (b == 0 ? CHUNK_START : 0) | (b == blocks - 1 ? CHUNK_END : 0);
        if (b == blocks - 1) {
          lastLen = Math.max(0, len);
          lastFlags = flags;
          break;
        }
        compress(c, m, 0, chunksDone, BLOCK, flags, state);
        System.arraycopy(state, 0, c, 0, 8);
      }
      // the pending output: (cv, block m, counter, len, flags); compressed as ROOT only if nothing is left
      long counter = chunksDone;
      int blockLen = lastLen;
      int flags = lastFlags;
      for (int i = depth - 1; i >= 0; i--) {
        compress(c, m, 0, counter, blockLen, flags, state);
        int[] child = Arrays.copyOf(state, 8);
        System.arraycopy(stack[i], 0, m, 0, 8);
        System.arraycopy(child, 0, m, 8, 8);
        c = IV.clone();
        counter = 0;
        blockLen = BLOCK;
        flags = PARENT;
      }
      compress(c, m, 0, counter, blockLen, flags | ROOT, state);
      outCv = Arrays.copyOf(state, 8);
      return bytes(outCv);
    }
  }
}
