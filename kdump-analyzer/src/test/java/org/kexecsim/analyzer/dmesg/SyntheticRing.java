package org.kexecsim.analyzer.dmesg;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;

/**
 * Writes a well-formed 5.10+ printk ring (kernel/printk/printk_ringbuffer.h, 64-bit, Debian 6.1's
 * VMCOREINFO offsets) holding {@code messages} in order, in physical memory at {@code base}, as the
 * kernel reaches it through a direct map at {@code directMap}; returns the VMCOREINFO lines naming it.
 */
public final class SyntheticRing {
  private SyntheticRing() {}

  public static VmcoreInfo.Builder write(PhysicalMemory mem, long directMap, long base, List<String> messages, long firstNanos) {
    int countBits = 4;
    int sizeBits = 12;
    long prbPtr = base;
    long prb = base + 0x100;
    long descs = base + 0x1000;
    long infos = base + 0x2000;
    long data = base + 0x3000;
    if (messages.size() > 1 << countBits) {
      throw new IllegalArgumentException("at most 16 messages");
    }
    mem.writeU64(prbPtr, directMap + prb);
    mem.writeU32(prb, countBits);
    mem.writeU64(prb + 8, directMap + descs);
    mem.writeU64(prb + 16, directMap + infos);
    mem.writeU64(prb + 24, messages.size() - 1); // head_id
    mem.writeU64(prb + 32, 0); // tail_id
    mem.writeU32(prb + 48, sizeBits);
    mem.writeU64(prb + 56, directMap + data);
    long lpos = 0;
    for (int id = 0; id < messages.size(); id++) {
      byte[] text = messages.get(id).getBytes(StandardCharsets.UTF_8);
      long next = lpos + ((8 + text.length + 7) & ~7);
      mem.writeU64(descs + id * 24L, 2L << 62 | id); // finalized
      mem.writeU64(descs + id * 24L + 8, lpos);
      mem.writeU64(descs + id * 24L + 16, next);
      mem.writeU64(infos + id * 88L, id);
      mem.writeU64(infos + id * 88L + 8, firstNanos + id * 1_000_000L);
      mem.writeU16(infos + id * 88L + 16, text.length);
      mem.writeU64(data + lpos, id);
      mem.write(data + lpos + 8, text, 0, text.length);
      lpos = next;
    }
    return VmcoreInfo.builder().symbol("prb", directMap + prbPtr)
        .size("printk_ringbuffer", 88).offset("printk_ringbuffer.desc_ring", 0).offset("printk_ringbuffer.text_data_ring", 48)
        .offset("prb_desc_ring.count_bits", 0).offset("prb_desc_ring.descs", 8).offset("prb_desc_ring.infos", 16)
        .offset("prb_desc_ring.head_id", 24).offset("prb_desc_ring.tail_id", 32)
        .size("prb_desc", 24).offset("prb_desc.state_var", 0).offset("prb_desc.text_blk_lpos", 8)
        .offset("prb_data_blk_lpos.begin", 0).offset("prb_data_blk_lpos.next", 8)
        .size("printk_info", 88).offset("printk_info.seq", 0).offset("printk_info.ts_nsec", 8).offset("printk_info.text_len", 16)
        .offset("prb_data_ring.size_bits", 0).offset("prb_data_ring.data", 8).offset("atomic_long_t.counter", 0);
  }
}
