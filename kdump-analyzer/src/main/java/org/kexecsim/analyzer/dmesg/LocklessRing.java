package org.kexecsim.analyzer.dmesg;

import java.util.function.Consumer;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.KernelVirtualMemory;

/**
 * The lockless printk ring buffer of 5.10+ (kernel/printk/printk_ringbuffer.[ch]), read the way
 * makedumpfile 1.7.2 reads it (printk.c dump_lockless_dmesg, dump_record): descriptors from
 * tail_id to head_id; a descriptor whose state_var holds another id, or a state other than
 * committed/finalized, is skipped; a data-less block (begin == next) is skipped; a block whose
 * begin lies after its next wrapped, so its data start at the ring's beginning; the data start
 * with the descriptor id (one unsigned long); text_len is cut to the block.
 *
 * <p>Every value read from the dump is untrusted: ring sizes beyond the kernel's limits, an id
 * range longer than the ring, and text outside the data ring are bad input.
 */
final class LocklessRing {
  /**
   * kernel/printk/printk.c LOG_BUF_LEN_MAX (1 << 31) bounds the data ring; descriptors are the
   * ring size >> PRB_AVGBITS (5), so count_bits is at most 26.
   */
  static final int MAX_SIZE_BITS = 31;
  static final int MAX_COUNT_BITS = 26;
  /** printk_ringbuffer.h enum desc_state. */
  private static final int DESC_COMMITTED = 1;
  private static final int DESC_FINALIZED = 2;

  private final KernelVirtualMemory mem;
  private final LogLayout layout;
  private final int word;
  private final long idMask;
  private final int flagsShift;
  private long count;
  private long descs;
  private long infos;
  private long dataSize;
  private long data;
  private long tailId;
  private long headId;

  LocklessRing(KernelVirtualMemory mem, LogLayout layout) {
    this.mem = mem;
    this.layout = layout;
    this.word = mem.wordSize();
    // DESC_SV_BITS is the bits of an unsigned long; the top two are the state, the rest the id.
    this.flagsShift = word * 8 - 2;
    this.idMask = word == 8 ? (1L << 62) - 1 : (1L << 30) - 1;
    setup();
  }

  /** A ring's log2 size (a u32 field at {@code ring}), refused above what the kernel allows ({@code why}). */
  private long ringBits(long ring, String field, String what, int max, String why) {
    long bits = mem.readU32(mem.addressAdd(ring, layout.offset(field)), what);
    if (bits > max) {
      throw layout.corrupt(what + " is " + bits + "; the kernel allows at most " + max + " (" + why + ")");
    }
    return bits;
  }

  private void setup() {
    long prb = mem.readWord(layout.symbol("prb"), "the pointer prb");
    long descRing = mem.addressAdd(prb, layout.offset("printk_ringbuffer.desc_ring"));
    count = 1L << ringBits(descRing, "prb_desc_ring.count_bits", "prb->desc_ring.count_bits", MAX_COUNT_BITS,
        "LOG_BUF_LEN_MAX >> PRB_AVGBITS");
    descs = mem.readWord(mem.addressAdd(descRing, layout.offset("prb_desc_ring.descs")), "prb->desc_ring.descs");
    infos = mem.readWord(mem.addressAdd(descRing, layout.offset("prb_desc_ring.infos")), "prb->desc_ring.infos");
    long counter = layout.offset("atomic_long_t.counter");
    headId = mem.readWord(mem.addressAdd(descRing, layout.offset("prb_desc_ring.head_id") + counter), "prb->desc_ring.head_id");
    tailId = mem.readWord(mem.addressAdd(descRing, layout.offset("prb_desc_ring.tail_id") + counter), "prb->desc_ring.tail_id");
    long textRing = mem.addressAdd(prb, layout.offset("printk_ringbuffer.text_data_ring"));
    dataSize = 1L << ringBits(textRing, "prb_data_ring.size_bits", "prb->text_data_ring.size_bits", MAX_SIZE_BITS,
        "LOG_BUF_LEN_MAX");
    data = mem.readWord(mem.addressAdd(textRing, layout.offset("prb_data_ring.data")), "prb->text_data_ring.data");
    long span = (headId - tailId) & idMask;
    if (span >= count) {
      throw layout.corrupt(String.format(
          "prb->desc_ring: tail_id %s to head_id %s spans %d descriptors, more than the ring's %d",
          Hex.of(tailId), Hex.of(headId), span + 1, count));
    }
  }

  /**
   * {@code clear_seq}: the first sequence number not cleared by {@code dmesg -C} / syslog(5).
   * Since 5.13 a {@code struct latched_seq { seqcount_latch_t latch; u64 val[2]; }} whose current
   * value is {@code val[latch.sequence & 1]} (kernel/printk/printk.c latched_seq_read_nolock;
   * the seqcount is the first member); before, a plain u64.
   */
  long clearSeq() {
    long at = layout.symbol("clear_seq");
    if (layout.optionalSize("latched_seq").isEmpty()) {
      return mem.readU64(at, "clear_seq");
    }
    long sequence = mem.readU32(at, "clear_seq.latch.seqcount.sequence");
    return mem.readU64(mem.addressAdd(at, layout.offset("latched_seq.val") + 8 * (sequence & 1)), "clear_seq.val");
  }

  /** The records from {@code clear_seq} on; needs OFFSET(printk_info.seq). */
  void forEachSinceClear(Consumer<LogEntry> sink) {
    layout.offset("printk_info.seq");
    long clear = clearSeq();
    forEach(e -> {
      if (e instanceof LogEntry.Record r && Long.compareUnsigned(r.sequence(), clear) >= 0) {
        sink.accept(e);
      }
    });
  }

  void forEach(Consumer<LogEntry> sink) {
    long id = tailId;
    while (id != headId) {
      record(id, sink);
      id = (id + 1) & idMask;
    }
    record(headId, sink); // makedumpfile dumps the head record too
  }

  private void record(long id, Consumer<LogEntry> sink) {
    long slot = Long.remainderUnsigned(id, count);
    long desc = mem.addressAdd(descs, slot * layout.size("prb_desc"));
    String which = "descriptor " + Hex.of(id);
    long stateVar = mem.readWord(mem.addressAdd(desc, layout.offset("prb_desc.state_var") + layout.offset("atomic_long_t.counter")),
        which + " state_var");
    long state = (stateVar >>> flagsShift) & 3;
    if ((stateVar & idMask) != id || (state != DESC_COMMITTED && state != DESC_FINALIZED)) {
      return; // not committed, or reused for another id (desc_miss)
    }
    long lpos = mem.addressAdd(desc, layout.offset("prb_desc.text_blk_lpos"));
    long begin = Long.remainderUnsigned(mem.readWord(mem.addressAdd(lpos, layout.offset("prb_data_blk_lpos.begin")), which + " text_blk_lpos.begin"), dataSize);
    long next = Long.remainderUnsigned(mem.readWord(mem.addressAdd(lpos, layout.offset("prb_data_blk_lpos.next")), which + " text_blk_lpos.next"), dataSize);
    if (begin == next) {
      return; // data-less block
    }
    long info = mem.addressAdd(infos, slot * layout.size("printk_info"));
    int textLen = mem.readU16(mem.addressAdd(info, layout.offset("printk_info.text_len")), which + " printk_info.text_len");
    if (Long.compareUnsigned(begin, next) > 0) {
      begin = 0; // the block wrapped: its data are at the ring's start
    }
    begin += word; // the block starts with the descriptor id
    long room = (next - begin) & (word == 8 ? -1L : 0xFFFF_FFFFL);
    if (Long.compareUnsigned(room, textLen) < 0) {
      textLen = (int) room; // truncated message
    }
    if (begin + textLen > dataSize) {
      throw layout.corrupt(String.format("%s: text of %d bytes at offset %s runs past the %d-byte data ring",
          which, textLen, Hex.of(begin), dataSize));
    }
    long ts = mem.readU64(mem.addressAdd(info, layout.offset("printk_info.ts_nsec")), which + " printk_info.ts_nsec");
    var seqOffset = layout.optionalOffset("printk_info.seq");
    long seq = seqOffset.isPresent() ? mem.readU64(mem.addressAdd(info, seqOffset.getAsLong()), which + " printk_info.seq") : LogEntry.NO_SEQUENCE;
    byte[] text = new byte[textLen];
    mem.read(mem.addressAdd(data, begin), text, 0, textLen, which + " text");
    sink.accept(new LogEntry.Record(seq, ts, text));
  }
}
