package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * BLAKE3 many chunks at once, one per vector lane (the paper's §5.3 chunk parallelism; the
 * reference implementation's hash_many does the same): sixteen lanes with AVX-512, eight with
 * AVX2. Only loaded when the incubating Vector API module is present ({@link Blake3Lanes}).
 *
 * <p>Chaining values are kept word-major in groups of {@link #L} ("word q of the group's lanes"),
 * the layout the compression function works in, so a whole level of parents is compressed
 * {@link #L} at a time too: parent p of a level takes children 2p and 2p+1, which is one even and
 * one odd lane select per message word, no transpose. A chunk's message words are read straight
 * from the source segment (a file mapping: no copy) and transposed in registers.
 *
 * <p>No vector value is carried around a loop: C2 (JDK 25) boxes vectors that live across a
 * back edge, so the state goes through small per-thread arrays between rounds (they stay in L1).
 */
final class Blake3Vector {
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
  /** Lanes per vector: chunks (or parents) compressed at once. */
  static final int L = S.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  /** log2(L): stages of the in-register transpose. */
  private static final int STAGES = Integer.numberOfTrailingZeros(L);
  /**
   * Transpose stage j swaps bit j of the row (chunk) index with bit j of the column (word) index:
   * the row pair (A, B) differing in bit j becomes (LO.selectFrom(A, B), HI.selectFrom(A, B)).
   */
  private static final int[] TRANSPOSE_LO = new int[STAGES * L];
  private static final int[] TRANSPOSE_HI = new int[STAGES * L];
  /** Lanes 0, 2, 4, ... and 1, 3, 5, ... of two vectors side by side: left and right children. */
  private static final int[] EVEN = new int[L];
  private static final int[] ODD = new int[L];

  static {
    for (int j = 0; j < STAGES; j++) {
      int bit = 1 << j;
      for (int w = 0; w < L; w++) {
        TRANSPOSE_LO[j * L + w] = (w & bit) == 0 ? w : L + (w & ~bit);
        TRANSPOSE_HI[j * L + w] = (w & bit) == 0 ? (w | bit) : L + w;
      }
    }
    for (int p = 0; p < L; p++) {
      EVEN[p] = 2 * p;
      ODD[p] = 2 * p + 1;
    }
  }

  private Blake3Vector() {}

  /** Whether lanes beat the scalar code: 256-bit vectors or wider. */
  static boolean useful() {
    return L >= 8 && 16 % L == 0;
  }

  /** Per-thread buffers: a pass over gigabytes allocates none. */
  private static final class Scratch {
    final int[] mt = new int[16 * L];
    final int[] st = new int[16 * L];
    final int[] cv = new int[8 * L];
    final int[] counters = new int[2 * L];
    int[] level = new int[0];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * The chaining value of the complete subtree of {@code chunks} (a power of two, at least
   * {@code 2L}) full chunks at {@code offset}, first counter {@code counter}; never the root.
   */
  static int[] subtree(MemorySegment src, long offset, int chunks, long counter) {
    Scratch s = SCRATCH.get();
    if (s.level.length < 8 * chunks) {
      s.level = new int[8 * chunks];
    }
    int[] level = s.level;
    for (int g = 0; g < chunks / L; g++) {
      chunkGroup(src, offset + (long) g * L * Blake3.CHUNK, counter + (long) g * L, level, g * 8 * L, s);
    }
    int n = chunks;
    for (; n > L; n /= 2) {
      for (int g = 0; g < n / (2 * L); g++) {
        parentGroup(level, g, s);
      }
    }
    // the last L chaining values, word-major: the top of the tree in scalar code
    int[][] cvs = new int[L][8];
    for (int q = 0; q < 8; q++) {
      for (int i = 0; i < L; i++) {
        cvs[i][q] = level[q * L + i];
      }
    }
    for (int width = L; width > 1; width /= 2) {
      for (int i = 0; i < width / 2; i++) {
        cvs[i] = Blake3.parentCv(cvs[2 * i], cvs[2 * i + 1]);
      }
    }
    return cvs[0];
  }

  /** Chaining values of the leading whole groups of the {@code n} chunks, chunk-major into {@code cvs[8*i..]}; returns how many. */
  static int chunkCvs(MemorySegment src, long offset, int n, long counter, int[] cvs) {
    Scratch s = SCRATCH.get();
    int[] group = new int[8 * L];
    int groups = n / L;
    for (int g = 0; g < groups; g++) {
      chunkGroup(src, offset + (long) g * L * Blake3.CHUNK, counter + (long) g * L, group, 0, s);
      for (int q = 0; q < 8; q++) {
        for (int i = 0; i < L; i++) {
          cvs[8 * (g * L + i) + q] = group[q * L + i];
        }
      }
    }
    return groups * L;
  }

  /** The chaining values of L chunks at {@code offset}, word-major into {@code out[outOff..outOff+8L)}. */
  private static void chunkGroup(MemorySegment src, long offset, long counter, int[] out, int outOff, Scratch s) {
    int[] cv = s.cv;
    int[] counters = s.counters;
    for (int i = 0; i < L; i++) {
      long c = counter + i;
      counters[i] = (int) c;
      counters[L + i] = (int) (c >>> 32);
    }
    for (int q = 0; q < 8; q++) {
      IntVector.broadcast(S, Blake3.IV[q]).intoArray(cv, q * L);
    }
    for (int b = 0; b < 16; b++) {
      for (int h = 0; h < 16 / L; h++) {
        transposeBlock(src, offset + b * Blake3.BLOCK + h * 4L * L, s.mt, h * L * L);
      }
      int flags = (b == 0 ? Blake3.CHUNK_START : 0) | (b == 15 ? Blake3.CHUNK_END : 0);
      int[] st = s.st;
      System.arraycopy(cv, 0, st, 0, 8 * L);
      for (int q = 0; q < 4; q++) {
        IntVector.broadcast(S, Blake3.IV[q]).intoArray(st, (8 + q) * L);
      }
      System.arraycopy(counters, 0, st, 12 * L, 2 * L);
      IntVector.broadcast(S, Blake3.BLOCK).intoArray(st, 14 * L);
      IntVector.broadcast(S, flags).intoArray(st, 15 * L);
      rounds(st, s.mt);
      if (b == 15) {
        finish(st, out, outOff);
      } else {
        finish(st, cv, 0);
      }
    }
  }

  /**
   * Words {@code [h*L, h*L+L)} of one block of each of L chunks 1024 bytes apart from
   * {@code at}, transposed so that {@code mt[off + w*L + i]} is word w of chunk i.
   */
  private static void transposeBlock(MemorySegment src, long at, int[] mt, int off) {
    IntVector lo0 = IntVector.fromArray(S, TRANSPOSE_LO, 0);
    IntVector hi0 = IntVector.fromArray(S, TRANSPOSE_HI, 0);
    for (int i = 0; i < L; i += 2) {
      IntVector a = IntVector.fromMemorySegment(S, src, at + (long) i * Blake3.CHUNK, LE);
      IntVector b = IntVector.fromMemorySegment(S, src, at + (long) (i + 1) * Blake3.CHUNK, LE);
      lo0.selectFrom(a, b).intoArray(mt, off + i * L);
      hi0.selectFrom(a, b).intoArray(mt, off + (i + 1) * L);
    }
    for (int j = 1; j < STAGES; j++) {
      int bit = 1 << j;
      IntVector lo = IntVector.fromArray(S, TRANSPOSE_LO, j * L);
      IntVector hi = IntVector.fromArray(S, TRANSPOSE_HI, j * L);
      for (int i = 0; i < L; i++) {
        if ((i & bit) != 0) {
          continue;
        }
        IntVector a = IntVector.fromArray(S, mt, off + i * L);
        IntVector b = IntVector.fromArray(S, mt, off + (i | bit) * L);
        lo.selectFrom(a, b).intoArray(mt, off + i * L);
        hi.selectFrom(a, b).intoArray(mt, off + (i | bit) * L);
      }
    }
  }

  /** Level group g (children groups 2g and 2g+1 of {@code level}) to its L parents, in place at group g. */
  private static void parentGroup(int[] level, int g, Scratch s) {
    int[] mt = s.mt;
    int[] st = s.st;
    IntVector even = IntVector.fromArray(S, EVEN, 0);
    IntVector odd = IntVector.fromArray(S, ODD, 0);
    int left = 2 * g * 8 * L;
    int right = left + 8 * L;
    for (int q = 0; q < 8; q++) {
      IntVector a = IntVector.fromArray(S, level, left + q * L);
      IntVector b = IntVector.fromArray(S, level, right + q * L);
      even.selectFrom(a, b).intoArray(mt, q * L);
      odd.selectFrom(a, b).intoArray(mt, (8 + q) * L);
    }
    for (int q = 0; q < 8; q++) {
      IntVector.broadcast(S, Blake3.IV[q]).intoArray(st, q * L);
    }
    for (int q = 0; q < 4; q++) {
      IntVector.broadcast(S, Blake3.IV[q]).intoArray(st, (8 + q) * L);
    }
    IntVector.zero(S).intoArray(st, 12 * L);
    IntVector.zero(S).intoArray(st, 13 * L);
    IntVector.broadcast(S, Blake3.BLOCK).intoArray(st, 14 * L);
    IntVector.broadcast(S, Blake3.PARENT).intoArray(st, 15 * L);
    rounds(st, mt);
    finish(st, level, g * 8 * L);
  }

  /** The chaining value (first half of the output, paper §2.2) of state {@code st}, word-major into {@code out}. */
  private static void finish(int[] st, int[] out, int off) {
    for (int q = 0; q < 8; q++) {
      IntVector.fromArray(S, st, q * L).lanewise(VectorOperators.XOR, IntVector.fromArray(S, st, (q + 8) * L))
          .intoArray(out, off + q * L);
    }
  }

  /** The 7 rounds of the compression function on L states at once, in place. */
  private static void rounds(int[] st, int[] mt) {
    for (int r = 0; r < 7; r++) {
      int[] w = Blake3.SCHEDULE[r];
      IntVector s0 = IntVector.fromArray(S, st, 0);
      IntVector s1 = IntVector.fromArray(S, st, L);
      IntVector s2 = IntVector.fromArray(S, st, 2 * L);
      IntVector s3 = IntVector.fromArray(S, st, 3 * L);
      IntVector s4 = IntVector.fromArray(S, st, 4 * L);
      IntVector s5 = IntVector.fromArray(S, st, 5 * L);
      IntVector s6 = IntVector.fromArray(S, st, 6 * L);
      IntVector s7 = IntVector.fromArray(S, st, 7 * L);
      IntVector s8 = IntVector.fromArray(S, st, 8 * L);
      IntVector s9 = IntVector.fromArray(S, st, 9 * L);
      IntVector s10 = IntVector.fromArray(S, st, 10 * L);
      IntVector s11 = IntVector.fromArray(S, st, 11 * L);
      IntVector s12 = IntVector.fromArray(S, st, 12 * L);
      IntVector s13 = IntVector.fromArray(S, st, 13 * L);
      IntVector s14 = IntVector.fromArray(S, st, 14 * L);
      IntVector s15 = IntVector.fromArray(S, st, 15 * L);
      // columns
      s0 = s0.add(s4).add(IntVector.fromArray(S, mt, w[0] * L)); s12 = s12.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 16);
      s8 = s8.add(s12); s4 = s4.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 12);
      s0 = s0.add(s4).add(IntVector.fromArray(S, mt, w[1] * L)); s12 = s12.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 8);
      s8 = s8.add(s12); s4 = s4.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 7);
      s1 = s1.add(s5).add(IntVector.fromArray(S, mt, w[2] * L)); s13 = s13.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 16);
      s9 = s9.add(s13); s5 = s5.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 12);
      s1 = s1.add(s5).add(IntVector.fromArray(S, mt, w[3] * L)); s13 = s13.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 8);
      s9 = s9.add(s13); s5 = s5.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 7);
      s2 = s2.add(s6).add(IntVector.fromArray(S, mt, w[4] * L)); s14 = s14.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 16);
      s10 = s10.add(s14); s6 = s6.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 12);
      s2 = s2.add(s6).add(IntVector.fromArray(S, mt, w[5] * L)); s14 = s14.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 8);
      s10 = s10.add(s14); s6 = s6.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 7);
      s3 = s3.add(s7).add(IntVector.fromArray(S, mt, w[6] * L)); s15 = s15.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 16);
      s11 = s11.add(s15); s7 = s7.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 12);
      s3 = s3.add(s7).add(IntVector.fromArray(S, mt, w[7] * L)); s15 = s15.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 8);
      s11 = s11.add(s15); s7 = s7.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 7);
      // diagonals
      s0 = s0.add(s5).add(IntVector.fromArray(S, mt, w[8] * L)); s15 = s15.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 16);
      s10 = s10.add(s15); s5 = s5.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 12);
      s0 = s0.add(s5).add(IntVector.fromArray(S, mt, w[9] * L)); s15 = s15.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 8);
      s10 = s10.add(s15); s5 = s5.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 7);
      s1 = s1.add(s6).add(IntVector.fromArray(S, mt, w[10] * L)); s12 = s12.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 16);
      s11 = s11.add(s12); s6 = s6.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 12);
      s1 = s1.add(s6).add(IntVector.fromArray(S, mt, w[11] * L)); s12 = s12.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 8);
      s11 = s11.add(s12); s6 = s6.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 7);
      s2 = s2.add(s7).add(IntVector.fromArray(S, mt, w[12] * L)); s13 = s13.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 16);
      s8 = s8.add(s13); s7 = s7.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 12);
      s2 = s2.add(s7).add(IntVector.fromArray(S, mt, w[13] * L)); s13 = s13.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 8);
      s8 = s8.add(s13); s7 = s7.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 7);
      s3 = s3.add(s4).add(IntVector.fromArray(S, mt, w[14] * L)); s14 = s14.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 16);
      s9 = s9.add(s14); s4 = s4.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 12);
      s3 = s3.add(s4).add(IntVector.fromArray(S, mt, w[15] * L)); s14 = s14.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 8);
      s9 = s9.add(s14); s4 = s4.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 7);
      s0.intoArray(st, 0);
      s1.intoArray(st, L);
      s2.intoArray(st, 2 * L);
      s3.intoArray(st, 3 * L);
      s4.intoArray(st, 4 * L);
      s5.intoArray(st, 5 * L);
      s6.intoArray(st, 6 * L);
      s7.intoArray(st, 7 * L);
      s8.intoArray(st, 8 * L);
      s9.intoArray(st, 9 * L);
      s10.intoArray(st, 10 * L);
      s11.intoArray(st, 11 * L);
      s12.intoArray(st, 12 * L);
      s13.intoArray(st, 13 * L);
      s14.intoArray(st, 14 * L);
      s15.intoArray(st, 15 * L);
    }
  }
}
