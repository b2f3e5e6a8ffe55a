# The new kernel's entry for a kexec jump (preserve_context), i386 and PAE: as entry-jump-64.S.
# The old kernel's routine calls us (call *%edx) with the stack on its swap page; (%esp) is its
# re-entry point. We record, call back into it (leaving our re-entry point at 0(%esp) for it),
# and when jumped to again record a second time and halt.
# Records, 64 bytes each, as entry-32.S: +0 "KXEC", +4 width, +8 CR0, +16 CR3, +24 CR4,
# +40 CS, +48 ESP.
	.code32
	.text
new_kernel_entry:
	movl	$record, %edi
	call	save_state
	popl	%eax			# the old kernel's re-entry point
	call	*%eax			# jump back; we come back at reentry
reentry:
	movl	$record2, %edi
	call	save_state
halted:
	hlt
	jmp	halted

# save_state: fills the record at %edi; uses eax.
save_state:
	.include	"entry-record-32.S"
	leal	4(%esp), %eax		# the caller's stack pointer
	movl	%eax, 48(%edi)
	movl	$0x4345584b, (%edi)	# "KXEC": written last, so a record with it is complete
	ret
	.align	64
record:
	.fill	64, 1, 0
record2:
	.fill	64, 1, 0
