package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Any byte string is an instruction stream the model handles: it decodes, executes or raises an
 * architectural exception, and never escapes as a Java exception. Seeded; the seed is in the message.
 */
class RandomBytesTest {

  @ParameterizedTest
  @ValueSource(ints = {32, 64})
  void randomCodeNeverThrowsJavaExceptions(int bits) {
    long seed = Long.getLong("randombytes.seed", System.nanoTime());
    Random rnd = new Random(seed);
    for (int round = 0; round < 400; round++) {
      TestMachine m = bits == 64 ? TestMachine.longMode() : TestMachine.protectedFlat();
      byte[] code = new byte[64];
      rnd.nextBytes(code);
      m.memory.write(TestMachine.CODE, code, 0, code.length);
      for (int r = 0; r < 16; r++) {
        m.cpu.setRegister(r, rnd.nextBoolean() ? rnd.nextInt(1 << 24) : rnd.nextLong());
      }
      m.cpu.setRegister(4, TestMachine.STACK_TOP);
      try {
        RunResult result = m.cpu.run(200);
        assertNotEquals(null, result.state());
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError("seed " + seed + " round " + round + ", " + bits + "-bit: " + e, e);
      }
    }
  }
}
