package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sixteen BLAKE3 chunks at once: lane i of every vector belongs to chunk i, so the compression
 * function runs unchanged on 512-bit vectors (the paper's §5.3 chunk parallelism; the reference
 * implementation's hash_many does the same with AVX-512). Only loaded when the incubating
 * Vector API module is present ({@link Blake3Lanes}).
 */
final class Blake3Vector {
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_512;
  private static final int LANES = 16;
  private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Lane i gathers from chunk i: word offsets 256 apart. */
  private static final int[] CHUNK_STRIDE = new int[LANES];

  static {
    for (int i = 0; i < LANES; i++) {
      CHUNK_STRIDE[i] = i * 256;
    }
  }

  private Blake3Vector() {}

  /** Per-thread buffers: a pass over gigabytes allocates none. */
  private static final class Scratch {
    final int[] words = new int[LANES * 256];
    final int[] lo = new int[LANES];
    final int[] hi = new int[LANES];
    final int[] mt = new int[16 * LANES];
    final int[] st = new int[16 * LANES];
    final int[] cv = new int[8 * LANES];
    final int[] iv = new int[4 * LANES];

    Scratch() {
      for (int q = 0; q < 4; q++) {
        java.util.Arrays.fill(iv, q * LANES, (q + 1) * LANES, Blake3.IV[q]);
      }
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** Hashes the leading groups of sixteen of the {@code n} full chunks; returns how many chunks it did. */
  static int chunkCvs(MemorySegment src, long offset, int n, long counter, int[] cvs) {
    if (S.length() != LANES) {
      return 0; // not a 512-bit machine: the scalar code is as good
    }
    int groups = n / LANES;
    Scratch scratch = SCRATCH.get();
    int[] words = scratch.words;
    int[] lo = scratch.lo;
    int[] hi = scratch.hi;
    int[] mt = scratch.mt;
    int[] st = scratch.st;
    int[] cvState = scratch.cv;
    int[] ivState = scratch.iv;
    for (int g = 0; g < groups; g++) {
      MemorySegment.copy(src, LE_INT, offset + (long) g * LANES * Blake3.CHUNK, words, 0, LANES * 256);
      for (int i = 0; i < LANES; i++) {
        long c = counter + (long) g * LANES + i;
        lo[i] = (int) c;
        hi[i] = (int) (c >>> 32);
      }
      for (int q = 0; q < 8; q++) {
        java.util.Arrays.fill(cvState, q * LANES, (q + 1) * LANES, Blake3.IV[q]);
      }
      for (int b = 0; b < 16; b++) {
        // the block's message words, one vector per word (lane i from chunk i), stored transposed so
        // each round loads them by the schedule's index from L1 instead of carrying 16 vectors across rounds
        for (int w = 0; w < 16; w++) {
          IntVector.fromArray(S, words, b * 16 + w, CHUNK_STRIDE, 0).intoArray(mt, w * LANES);
        }
        int flags = (b == 0 ? Blake3.CHUNK_START : 0) | (b == 15 ? Blake3.CHUNK_END : 0);
        // the state lives in an array between rounds: a vector held across a loop iteration is boxed
        // on the heap by C2 (JDK 25), which made this code allocate gigabytes per image
        System.arraycopy(cvState, 0, st, 0, 8 * LANES);
        System.arraycopy(ivState, 0, st, 8 * LANES, 4 * LANES);
        System.arraycopy(lo, 0, st, 12 * LANES, LANES);
        System.arraycopy(hi, 0, st, 13 * LANES, LANES);
        java.util.Arrays.fill(st, 14 * LANES, 15 * LANES, Blake3.BLOCK);
        java.util.Arrays.fill(st, 15 * LANES, 16 * LANES, flags);
        for (int r = 0; r < 7; r++) {
          int[] w = Blake3.SCHEDULE[r];
          IntVector s0 = IntVector.fromArray(S, st, 0 * LANES);
          IntVector s1 = IntVector.fromArray(S, st, 1 * LANES);
          IntVector s2 = IntVector.fromArray(S, st, 2 * LANES);
          IntVector s3 = IntVector.fromArray(S, st, 3 * LANES);
          IntVector s4 = IntVector.fromArray(S, st, 4 * LANES);
          IntVector s5 = IntVector.fromArray(S, st, 5 * LANES);
          IntVector s6 = IntVector.fromArray(S, st, 6 * LANES);
          IntVector s7 = IntVector.fromArray(S, st, 7 * LANES);
          IntVector s8 = IntVector.fromArray(S, st, 8 * LANES);
          IntVector s9 = IntVector.fromArray(S, st, 9 * LANES);
          IntVector s10 = IntVector.fromArray(S, st, 10 * LANES);
          IntVector s11 = IntVector.fromArray(S, st, 11 * LANES);
          IntVector s12 = IntVector.fromArray(S, st, 12 * LANES);
          IntVector s13 = IntVector.fromArray(S, st, 13 * LANES);
          IntVector s14 = IntVector.fromArray(S, st, 14 * LANES);
          IntVector s15 = IntVector.fromArray(S, st, 15 * LANES);
          s0 = s0.add(s4).add(IntVector.fromArray(S, mt, w[0] * LANES)); s12 = s12.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 16);
          s8 = s8.add(s12); s4 = s4.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 12);
          s0 = s0.add(s4).add(IntVector.fromArray(S, mt, w[1] * LANES)); s12 = s12.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 8);
          s8 = s8.add(s12); s4 = s4.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 7);
          s1 = s1.add(s5).add(IntVector.fromArray(S, mt, w[2] * LANES)); s13 = s13.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 16);
          s9 = s9.add(s13); s5 = s5.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 12);
          s1 = s1.add(s5).add(IntVector.fromArray(S, mt, w[3] * LANES)); s13 = s13.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 8);
          s9 = s9.add(s13); s5 = s5.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 7);
          s2 = s2.add(s6).add(IntVector.fromArray(S, mt, w[4] * LANES)); s14 = s14.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 16);
          s10 = s10.add(s14); s6 = s6.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 12);
          s2 = s2.add(s6).add(IntVector.fromArray(S, mt, w[5] * LANES)); s14 = s14.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 8);
          s10 = s10.add(s14); s6 = s6.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 7);
          s3 = s3.add(s7).add(IntVector.fromArray(S, mt, w[6] * LANES)); s15 = s15.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 16);
          s11 = s11.add(s15); s7 = s7.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 12);
          s3 = s3.add(s7).add(IntVector.fromArray(S, mt, w[7] * LANES)); s15 = s15.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 8);
          s11 = s11.add(s15); s7 = s7.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 7);
          s0 = s0.add(s5).add(IntVector.fromArray(S, mt, w[8] * LANES)); s15 = s15.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 16);
          s10 = s10.add(s15); s5 = s5.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 12);
          s0 = s0.add(s5).add(IntVector.fromArray(S, mt, w[9] * LANES)); s15 = s15.lanewise(VectorOperators.XOR, s0).lanewise(VectorOperators.ROR, 8);
          s10 = s10.add(s15); s5 = s5.lanewise(VectorOperators.XOR, s10).lanewise(VectorOperators.ROR, 7);
          s1 = s1.add(s6).add(IntVector.fromArray(S, mt, w[10] * LANES)); s12 = s12.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 16);
          s11 = s11.add(s12); s6 = s6.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 12);
          s1 = s1.add(s6).add(IntVector.fromArray(S, mt, w[11] * LANES)); s12 = s12.lanewise(VectorOperators.XOR, s1).lanewise(VectorOperators.ROR, 8);
          s11 = s11.add(s12); s6 = s6.lanewise(VectorOperators.XOR, s11).lanewise(VectorOperators.ROR, 7);
          s2 = s2.add(s7).add(IntVector.fromArray(S, mt, w[12] * LANES)); s13 = s13.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 16);
          s8 = s8.add(s13); s7 = s7.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 12);
          s2 = s2.add(s7).add(IntVector.fromArray(S, mt, w[13] * LANES)); s13 = s13.lanewise(VectorOperators.XOR, s2).lanewise(VectorOperators.ROR, 8);
          s8 = s8.add(s13); s7 = s7.lanewise(VectorOperators.XOR, s8).lanewise(VectorOperators.ROR, 7);
          s3 = s3.add(s4).add(IntVector.fromArray(S, mt, w[14] * LANES)); s14 = s14.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 16);
          s9 = s9.add(s14); s4 = s4.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 12);
          s3 = s3.add(s4).add(IntVector.fromArray(S, mt, w[15] * LANES)); s14 = s14.lanewise(VectorOperators.XOR, s3).lanewise(VectorOperators.ROR, 8);
          s9 = s9.add(s14); s4 = s4.lanewise(VectorOperators.XOR, s9).lanewise(VectorOperators.ROR, 7);
          s0.intoArray(st, 0 * LANES);
          s1.intoArray(st, 1 * LANES);
          s2.intoArray(st, 2 * LANES);
          s3.intoArray(st, 3 * LANES);
          s4.intoArray(st, 4 * LANES);
          s5.intoArray(st, 5 * LANES);
          s6.intoArray(st, 6 * LANES);
          s7.intoArray(st, 7 * LANES);
          s8.intoArray(st, 8 * LANES);
          s9.intoArray(st, 9 * LANES);
          s10.intoArray(st, 10 * LANES);
          s11.intoArray(st, 11 * LANES);
          s12.intoArray(st, 12 * LANES);
          s13.intoArray(st, 13 * LANES);
          s14.intoArray(st, 14 * LANES);
          s15.intoArray(st, 15 * LANES);
        }
        // a chunk's next chaining value is the first half of the output (paper §2.2)
        for (int q = 0; q < 8; q++) {
          IntVector.fromArray(S, st, q * LANES).lanewise(VectorOperators.XOR, IntVector.fromArray(S, st, (q + 8) * LANES))
              .intoArray(cvState, q * LANES);
        }
      }
      int base = 8 * g * LANES;
      for (int q = 0; q < 8; q++) {
        for (int i = 0; i < LANES; i++) {
          cvs[base + 8 * i + q] = cvState[q * LANES + i];
        }
      }
    }
    return groups * LANES;
  }
}
