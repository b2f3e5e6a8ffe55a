# The new kernel's entry for i386 and PAE: records the state it was entered with and halts.
# The 32-bit boot protocol expects protected mode with paging off and flat segments.
# Record, 64 bytes: +0 magic "KXEC", +4 width this code ran as (32), +8 CR0, +16 CR3,
# +24 CR4, +40 CS selector, +48 ESP.
	.code32
	.text
new_kernel_entry:
	movl	$record, %edi
	.include	"entry-record-32.S"
	movl	%esp, 48(%edi)
	movl	$0x4345584b, (%edi)	# "KXEC": written last, so a record with it is complete
halted:
	hlt
	jmp	halted
	.align	64
record:
	.fill	64, 1, 0
