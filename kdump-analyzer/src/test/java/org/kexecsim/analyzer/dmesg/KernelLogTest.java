package org.kexecsim.analyzer.dmesg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.KernelVirtualMemory;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PagingMode;

/**
 * Logs built in a simulated machine's memory exactly as the kernel lays them out
 * (kernel/printk/printk_ringbuffer.h for 5.10+, struct printk_log of kernel/printk/printk.c for
 * 3.5-5.9, the plain log_buf before 3.5), reached through the machine's page tables, and read back
 * in makedumpfile's format.
 */
class KernelLogTest {
  private static final PagingMode MODE = PagingMode.LEVEL4;
  private final SimulatedMachine machine = SimulatedMachine.build(MODE, 7);
  private final SparseMemory mem = machine.memory();
  private static final long DIRECT = SimulatedMachine.pageOffset(MODE);

  private static long va(long pa) {
    return DIRECT + pa;
  }

  private KernelLog log(VmcoreInfo info) {
    return KernelLog.of(new KernelVirtualMemory(mem, RootTableFinder.explicit(mem, machine.cr3(), MODE), machine.cr3() == 0 ? "x" : "test.core"), info, "test.core");
  }

  private static String render(KernelLog log) {
    StringBuilder sb = new StringBuilder();
    log.forEach(e -> sb.append(MakedumpfileText.render(e)));
    return sb.toString();
  }

  // ---- 5.10+ lockless ring: offsets as Debian 6.1's VMCOREINFO gives them, except where a test moves them

  /** Where the test puts each structure (physical; the kernel reaches them through the direct map). */
  private static final long PRB = 0x30_0000;
  private static final long DESCS = 0x31_0000;
  private static final long INFOS = 0x32_0000;
  private static final long DATA = 0x33_0000;
  private static final long PRB_PTR = 0x34_0000;
  private static final int COUNT_BITS = 3;
  private static final int SIZE_BITS = 8;
  private static final long SIZE = 1 << SIZE_BITS;
  private static final long INFO_TEXT_LEN = 40; // moved from 6.1's 16 to prove the offset is read

  private static VmcoreInfo.Builder ringInfo() {
    return VmcoreInfo.builder().osRelease("6.1.0-test").symbol("prb", va(PRB_PTR))
        .size("printk_ringbuffer", 88).offset("printk_ringbuffer.desc_ring", 0).offset("printk_ringbuffer.text_data_ring", 48)
        .offset("prb_desc_ring.count_bits", 0).offset("prb_desc_ring.descs", 8).offset("prb_desc_ring.infos", 16)
        .offset("prb_desc_ring.head_id", 24).offset("prb_desc_ring.tail_id", 32)
        .size("prb_desc", 24).offset("prb_desc.state_var", 0).offset("prb_desc.text_blk_lpos", 8)
        .offset("prb_data_blk_lpos.begin", 0).offset("prb_data_blk_lpos.next", 8)
        .size("printk_info", 88).offset("printk_info.seq", 0).offset("printk_info.ts_nsec", 8)
        .offset("printk_info.text_len", INFO_TEXT_LEN)
        .offset("prb_data_ring.size_bits", 0).offset("prb_data_ring.data", 8).offset("atomic_long_t.counter", 0);
  }

  private void ring(long tail, long head) {
    mem.writeU64(PRB_PTR, va(PRB));
    mem.writeU32(PRB, COUNT_BITS);
    mem.writeU64(PRB + 8, va(DESCS));
    mem.writeU64(PRB + 16, va(INFOS));
    mem.writeU64(PRB + 24, head);
    mem.writeU64(PRB + 32, tail);
    mem.writeU32(PRB + 48, SIZE_BITS);
    mem.writeU64(PRB + 56, va(DATA));
  }

  /** A descriptor: state in the top two bits of state_var (DESC_FLAGS_SHIFT 62), id below. */
  private void desc(long id, long stateId, int state, long begin, long next, long ts, int textLen) {
    long slot = id % (1 << COUNT_BITS);
    mem.writeU64(DESCS + slot * 24, (long) state << 62 | stateId);
    mem.writeU64(DESCS + slot * 24 + 8, begin);
    mem.writeU64(DESCS + slot * 24 + 16, next);
    mem.writeU64(INFOS + slot * 88, id + 1000);
    mem.writeU64(INFOS + slot * 88 + 8, ts);
    mem.writeU16(INFOS + slot * 88 + INFO_TEXT_LEN, textLen);
  }

  /** A data block at ring offset {@code at}: the descriptor id, then the text. */
  private void block(long at, long id, byte[] text) {
    mem.writeU64(DATA + at, id);
    mem.write(DATA + at + 8, text, 0, text.length);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void locklessRingSkipsWhatMakedumpfileSkipsAndUnwrapsWrappedBlocks() {
    ring(13, 19); // slots 5,6,7,0,1,2,3: the id range wraps the descriptor ring
    long lap = 3 * SIZE; // lpos values count laps of the data ring
    desc(13, 13, 2, lap + 16, lap + 16 + 8 + 6, 0, 6);
    block(16, 13, b("oldest"));
    desc(14, 14, 3, lap + 40, lap + 60, 1, 5); // reusable: skipped
    block(40, 14, b("stale"));
    desc(15, 7, 1, lap + 60, lap + 80, 2, 5); // state_var names another id: desc_miss, skipped
    block(60, 15, b("other"));
    desc(16, 16, 2, 1, 1, 3, 4); // FAILED_LPOS: data-less, skipped
    desc(17, 17, 2, lap + 240, lap + SIZE + 8 + 12, 4_043_920_123L, 12); // wrapped: data at the ring's start
    block(0, 17, b("wrapped line"));
    block(240, 17, b("TAIL"));
    byte[] odd = b("a\nb\u0001\u00c3\u00a9 t\tx");
    desc(18, 18, 2, lap + SIZE + 100, lap + SIZE + 100 + 8 + odd.length, 123_456_789_012_345L, 200); // text_len cut to the block
    block(100, 18, odd);
    desc(19, 19, 1, lap + SIZE + 150, lap + SIZE + 150 + 8 + 4, 5_000_000_000L, 4); // head, committed
    block(150, 19, b("head"));

    KernelLog log = log(ringInfo().build());
    assertEquals(LogFormat.PRINTK_RINGBUFFER, log.format());
    String expected = "[    0.000000] oldest\n"
        + "[    4.043920] wrapped line\n"
        + "[123456.789012] a\n                b\\x01\\xffffffc3\\xffffffa9 t\tx\n"
        + "[    5.000000] head\n";
    assertEquals(expected, render(log));
    List<LogEntry> entries = log.entries();
    assertEquals(List.of(1013L, 1017L, 1018L, 1019L),
        entries.stream().map(e -> ((LogEntry.Record) e).sequence()).toList(), "printk_info.seq of each record");
  }

  @Test
  void sinceClearStartsAtTheLatchedClearSeq() {
    ring(18, 19);
    desc(18, 18, 2, 0, 16, 1_000L, 5);
    block(0, 18, b("older"));
    desc(19, 19, 2, 16, 32, 2_000L, 5);
    block(16, 19, b("newer"));
    long clearSeq = 0x35_0000;
    // latched_seq: the seqcount is odd, so readers take val[1] (latched_seq_read_nolock)
    mem.writeU32(clearSeq, 3);
    mem.writeU64(clearSeq + 8, 0); // val[0]: the copy being written
    mem.writeU64(clearSeq + 16, 1019); // val[1]: printk_info.seq of "newer" (the test writes id + 1000)
    VmcoreInfo info = ringInfo().symbol("clear_seq", va(clearSeq)).size("latched_seq", 24).offset("latched_seq.val", 8).build();
    assertEquals("[    0.000001] older\n[    0.000002] newer\n", render(log(info)));
    assertEquals("[    0.000002] newer\n", render(log(info).sinceClear()));
    mem.writeU32(clearSeq, 4); // even: val[0]
    assertEquals("[    0.000001] older\n[    0.000002] newer\n", render(log(info).sinceClear()));
    // before 5.13 clear_seq was a plain u64
    mem.writeU64(clearSeq, 1019);
    assertEquals("[    0.000002] newer\n", render(log(ringInfo().symbol("clear_seq", va(clearSeq)).build()).sinceClear()));
  }

  @Test
  void locklessRingFieldsAreCheckedBeforeUse() {
    ring(13, 19);
    desc(19, 19, 2, 0, 20, 0, 4);
    block(0, 19, b("okay"));
    assertEquals("[    0.000000] okay\n", render(log(ringInfo().build())));

    mem.writeU32(PRB, 40);
    AnalysisException e = assertThrows(AnalysisException.class, () -> log(ringInfo().build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("count_bits is 40"), e.getMessage());
    mem.writeU32(PRB, COUNT_BITS);

    mem.writeU32(PRB + 48, 63);
    e = assertThrows(AnalysisException.class, () -> log(ringInfo().build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("size_bits is 63"), e.getMessage());
    mem.writeU32(PRB + 48, SIZE_BITS);

    ring(1, 1 + 8); // nine descriptors in a ring of eight
    e = assertThrows(AnalysisException.class, () -> log(ringInfo().build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("spans 9 descriptors, more than the ring's 8"), e.getMessage());

    ring(19, 19);
    desc(19, 19, 2, SIZE - 6, 2, 0, 300); // wrapped, next < begin + 8: text_len is not cut, and makedumpfile would read past its copy
    e = assertThrows(AnalysisException.class, () -> log(ringInfo().build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("runs past the 256-byte data ring"), e.getMessage());

    mem.writeU64(PRB + 8, 0xdead_0000_0000_0000L); // descs: a non-canonical pointer
    e = assertThrows(AnalysisException.class, () -> log(ringInfo().build()).forEach(x -> {}));
    assertTrue(e.getMessage().startsWith("test.core: descriptor 0x13 state_var at kernel address 0xdead"), e.getMessage());
    assertTrue(e.getMessage().contains("not mapped"), e.getMessage());
  }

  @Test
  void aMissingVmcoreinfoEntryIsNamed() {
    ring(19, 19);
    String text = ringInfo().build().text().replace("OFFSET(prb_desc.state_var)=0\n", "");
    AnalysisException e = assertThrows(AnalysisException.class, () -> log(VmcoreInfo.parse(text)).forEach(x -> {}));
    assertEquals("test.core: VMCOREINFO has no OFFSET(prb_desc.state_var), which reading the kernel log needs", e.getMessage());
    AnalysisException none = assertThrows(AnalysisException.class, () -> log(VmcoreInfo.builder().osRelease("6.1").build()));
    assertTrue(none.getMessage().contains("neither SYMBOL(prb) nor SYMBOL(log_buf)"), none.getMessage());
  }

  // ---- 3.5-5.9: struct printk_log { u64 ts_nsec; u16 len; u16 text_len; u16 dict_len; u8 facility;
  //      u8 flags:5, level:3; } (16 bytes, records aligned to 8: LOG_ALIGN), kernel/printk/printk.c

  private static final long LOG_BUF = 0x38_0000;
  private static final long LOG_BUF_PTR = 0x37_0000;
  private static final long LOG_BUF_LEN = 0x37_0010;
  private static final long FIRST = 0x37_0020;
  private static final long NEXT = 0x37_0030;

  private static VmcoreInfo.Builder recordsInfo(String struct) {
    return VmcoreInfo.builder().osRelease("4.19.0-test").symbol("log_buf", va(LOG_BUF_PTR)).symbol("log_buf_len", va(LOG_BUF_LEN))
        .symbol("log_first_idx", va(FIRST)).symbol("log_next_idx", va(NEXT))
        .size(struct, 16).offset(struct + ".ts_nsec", 0).offset(struct + ".len", 8).offset(struct + ".text_len", 10);
  }

  /** Writes a record at {@code idx} as log_store does; returns the next index. */
  private long record(long idx, long ts, String text, String dict) {
    int len = 16 + text.length() + dict.length();
    len = (len + 7) & ~7; // padded to LOG_ALIGN
    mem.writeU64(LOG_BUF + idx, ts);
    mem.writeU16(LOG_BUF + idx + 8, len);
    mem.writeU16(LOG_BUF + idx + 10, text.length());
    mem.writeU16(LOG_BUF + idx + 12, dict.length());
    mem.write(LOG_BUF + idx + 16, b(text + dict), 0, text.length() + dict.length());
    return idx + len;
  }

  private void logBuf(long len, long first, long next) {
    mem.writeU64(LOG_BUF_PTR, va(LOG_BUF));
    mem.writeU32(LOG_BUF_LEN, len);
    mem.writeU32(FIRST, first);
    mem.writeU32(NEXT, next);
  }

  @Test
  void logBufRecordsWrapAtTheEndMarker() {
    // 136-byte buffer: two records at the end, a zero-length marker, then the newest at 0
    long a = record(56, 1_500_000L, "older one", "SUBSYSTEM=x");
    long marker = record(a, 2_000_000_000L, "old", "");
    assertEquals(120, marker); // room for the marker's header: log_store keeps it
    mem.writeU16(LOG_BUF + marker + 8, 0); // len 0: wrap to the start (log_store's end marker)
    long next = record(0, 3_000_001_000L, "newest", "");
    logBuf(136, 56, next);
    for (String struct : List.of("printk_log", "log")) { // 3.11+ and 3.5-3.10 names
      KernelLog log = log(recordsInfo(struct).build());
      assertEquals(LogFormat.LOG_BUF_RECORDS, log.format());
      assertEquals("[    0.001500] older one\n[    2.000000] old\n[    3.000001] newest\n", render(log), struct);
    }
  }

  @Test
  void logBufSinceClearStartsAtClearIdx() {
    long second = record(0, 1_000_000L, "before the clear", "");
    long next = record(second, 2_000_000L, "after the clear", "");
    logBuf(136, 0, next);
    long clearIdx = 0x37_0050;
    mem.writeU32(clearIdx, second);
    VmcoreInfo info = recordsInfo("printk_log").symbol("clear_idx", va(clearIdx)).build();
    assertEquals("[    0.001000] before the clear\n[    0.002000] after the clear\n", render(log(info)));
    assertEquals("[    0.002000] after the clear\n", render(log(info).sinceClear()));
    mem.writeU32(clearIdx, 1000);
    AnalysisException e = assertThrows(AnalysisException.class, () -> log(info).sinceClear().forEach(x -> {}));
    assertEquals("test.core: clear_idx 1000 is outside log_buf (136 bytes)", e.getMessage());
  }

  @Test
  void logBufRecordIndicesAreUntrusted() {
    long next = record(0, 0, "one", "");
    logBuf(128, 0, next);
    assertEquals("[    0.000000] one\n", render(log(recordsInfo("printk_log").build())));

    logBuf(128, 200, next);
    AnalysisException e = assertThrows(AnalysisException.class, () -> log(recordsInfo("printk_log").build()).forEach(x -> {}));
    assertEquals("test.core: log_first_idx 200 is outside log_buf (128 bytes)", e.getMessage());

    logBuf(128, 0, 40); // never reached: 0 -> 24 -> 48 -> ... -> end marker -> 0 ...
    record(24, 0, "two", "");
    record(48, 0, "three", "");
    mem.writeU16(LOG_BUF + 72 + 8, 0);
    e = assertThrows(AnalysisException.class, () -> log(recordsInfo("printk_log").build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("never reach log_next_idx 40 (a cycle)"), e.getMessage());

    logBuf(128, 0, 24);
    mem.writeU16(LOG_BUF + 10, 500); // text_len past the buffer
    e = assertThrows(AnalysisException.class, () -> log(recordsInfo("printk_log").build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("500 bytes of text run past log_buf's 128 bytes"), e.getMessage());

    logBuf(0x8000_0001L, 0, 24);
    e = assertThrows(AnalysisException.class, () -> log(recordsInfo("printk_log").build()).forEach(x -> {}));
    assertTrue(e.getMessage().contains("log_buf_len is 2147483649"), e.getMessage());
  }

  // ---- before 3.5: plain text, log_end counting every byte written

  @Test
  void plainLogBufStartsAtItsOldestByteOnceFull() {
    long logEnd = 0x37_0040;
    VmcoreInfo info = VmcoreInfo.builder().osRelease("2.6.32-test").symbol("log_buf", va(LOG_BUF_PTR))
        .symbol("log_buf_len", va(LOG_BUF_LEN)).symbol("log_end", va(logEnd)).build();
    mem.writeU64(LOG_BUF_PTR, va(LOG_BUF));
    mem.writeU32(LOG_BUF_LEN, 16);
    mem.write(LOG_BUF, b("<6>new\nABC<4>old"), 0, 16);
    mem.writeU32(logEnd, 16 * 5 + 10); // wrapped five times; the oldest byte is at 10
    assertEquals(LogFormat.LOG_BUF_TEXT, log(info).format());
    assertEquals("<4>old<6>new\nABC", render(log(info)));
    mem.writeU32(logEnd, 7); // not yet full: the first log_end bytes
    assertEquals("<6>new\n", render(log(info)));
  }

  @Test
  void logEndWidthFollowsTheRelease() {
    assertTrue(KernelLog.logEndIsLong(VmcoreInfo.builder().osRelease("2.6.24-1").build()));
    assertEquals(false, KernelLog.logEndIsLong(VmcoreInfo.builder().osRelease("2.6.25").build()));
    assertEquals(false, KernelLog.logEndIsLong(VmcoreInfo.builder().osRelease("3.4.0").build()));
  }
}
