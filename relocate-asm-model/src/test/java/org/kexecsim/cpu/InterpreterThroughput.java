package org.kexecsim.cpu;

/**
 * Interpreter throughput on a page-copy workload, as a plain main (the JMH module wires the same
 * bodies): 16 MiB copied by REP MOVSQ through 4-level paging, and by an explicit qword loop.
 *
 * <pre>
 * mvn -q -pl relocate-asm-model -am test-compile -DskipTests   # then, with JDK 25:
 * java -cp relocate-asm-model/target/test-classes:relocate-asm-model/target/classes:kexec-core/target/classes \
 *     org.kexecsim.cpu.InterpreterThroughput
 * </pre>
 */
public final class InterpreterThroughput {
  private InterpreterThroughput() {}

  static final long SRC = 0x100_0000, DST = 0x200_0000, BYTES = 16L << 20;

  public static void main(String[] args) {
    measure("rep movsq", """
        1: mov $0x1000000,%esi
        mov $0x2000000,%edi
        mov $(0x1000000 >> 3),%ecx
        rep movsq
        jmp 1b
        """, 5, 200);
    measure("explicit loop", """
        1: mov $0x1000000,%esi
        mov $0x2000000,%edi
        mov $(0x1000000 >> 3),%ecx
        2: mov (%rsi),%rax
        mov %rax,(%rdi)
        add $8,%rsi
        add $8,%rdi
        dec %ecx
        jnz 2b
        jmp 1b
        """, 4 + 6 * (BYTES >> 3), 3);
    measure32("loop, no paging", """
        1: mov $0x1000000,%esi
        mov $0x2000000,%edi
        mov $(0x1000000 >> 3),%ecx
        2: mov (%esi),%eax
        mov %eax,(%edi)
        add $8,%esi
        add $8,%edi
        dec %ecx
        jnz 2b
        jmp 1b
        """, 4 + 6 * (BYTES >> 3), 3);
  }

  /** The same loop in 32-bit code with paging off: what the interpreter costs without walks. */
  static void measure32(String name, String code, long stepsPerRound, int rounds) {
    run(TestMachine.protectedFlat(), name, code, stepsPerRound, rounds);
  }

  /** Runs {@code rounds} passes of {@code stepsPerRound} steps after two warm-up passes. */
  static void measure(String name, String code, long stepsPerRound, int rounds) {
    run(TestMachine.longMode(), name, code, stepsPerRound, rounds);
  }

  private static void run(TestMachine m, String name, String code, long stepsPerRound, int rounds) {
    m.memory.writeU64(SRC + BYTES - 8, 1); // materialise the last source frame
    m.load(code);
    m.cpu.run(2 * stepsPerRound);
    long t0 = System.nanoTime();
    m.cpu.run(rounds * stepsPerRound);
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("%-14s %7.2f GB/s  %8.1f M instructions/s%n",
        name, rounds * BYTES / s / 1e9, rounds * stepsPerRound / s / 1e6);
  }
}
