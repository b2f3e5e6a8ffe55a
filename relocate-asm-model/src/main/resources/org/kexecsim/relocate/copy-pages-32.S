# paging_off_copy_and_enter (i386): runs on an identity-mapped page with a stack there; turns
# paging off (the fetch after the MOV to CR0 is unpaged, at the same address), leaves PAE if
# %ecx says it is on, copies the pages and jumps to the entry in protected mode, paging off.
# In: %ebx list head, %edx entry, %ecx has_pae.
paging_off_copy_and_enter:
	movl	%cr0, %eax
	andl	$0x7ffafff3, %eax	# clear PG, AM, WP, TS, EM
	orl	$1, %eax		# keep PE
	movl	%eax, %cr0
	testl	%ecx, %ecx
	jz	paging_off_no_pae
	xorl	%eax, %eax
	movl	%eax, %cr4
paging_off_no_pae:
	xorl	%eax, %eax
	movl	%eax, %cr3		# no tables any more
	call	copy_pages
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmp	*%edx

# copy_pages (i386, paging off): walks the kexec indirection list and copies each source page
# to its destination. In: %ebx = the list head. Entries are PA | flag (kernel/kexec_core.c):
# 1 DESTINATION, 2 INDIRECTION, 4 DONE, 8 SOURCE. Uses eax, ecx, esi, edi, ebp.
copy_pages:
	xorl	%ebp, %ebp		# cursor in the current indirection page
	xorl	%eax, %eax		# next destination
copy_next:
	testl	$4, %ebx
	jnz	copy_done
	testl	$1, %ebx
	jz	copy_not_dest
	movl	%ebx, %eax
	andl	$-4096, %eax
copy_not_dest:
	testl	$2, %ebx
	jz	copy_not_ind
	movl	%ebx, %ebp
	andl	$-4096, %ebp
copy_not_ind:
	testl	$8, %ebx
	jz	copy_advance
	movl	%ebx, %esi
	andl	$-4096, %esi
	movl	%eax, %edi
	movl	$1024, %ecx
	cld
	rep movsl
	movl	%edi, %eax		# the following source goes to the next page
copy_advance:
	movl	(%ebp), %ebx
	addl	$4, %ebp
	jmp	copy_next
copy_done:
	ret
