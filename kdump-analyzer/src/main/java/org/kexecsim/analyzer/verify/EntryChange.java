package org.kexecsim.analyzer.verify;

/**
 * One entry of a table page that differs between BEFORE and AFTER, and what it meant in each.
 *
 * @param linear first linear address the entry translates (sign-extended in long mode)
 * @param size bytes of linear address space the entry covers
 * @param before e.g. "not present", "table at 0x1234000", "2M page at 0x200000 RW NX"
 * @param kind a hardware walk's A/D bits, or a software write
 */
public record EntryChange(
    int index, long oldValue, long newValue, long linear, long size, String before, String after, ChangeKind kind) {}
