# The new kernel's entry for x86_64: records the state it was entered with and halts. Reaching
# it in 64-bit mode with paging on is what the x86_64 boot protocol (and purgatory) expects.
# Record, 64 bytes: +0 magic "KXEC", +4 width this code ran as (64), +8 CR0, +16 CR3,
# +24 CR4, +32 EFER, +40 CS selector, +48 RSP.
	.code64
	.text
new_kernel_entry:
	movabsq	$record, %rdi
	.include	"entry-record-64.S"
	movq	%rsp, 48(%rdi)
	movl	$0x4345584b, (%rdi)	# "KXEC": written last, so a record with it is complete
halted:
	hlt
	jmp	halted
	.align	64
record:
	.fill	64, 1, 0
