# relocate_kernel as Linux 6.1 runs it on i386 and PAE (arch/x86/kernel/relocate_kernel_32.S,
# machine_kexec_32.c), written for this project: the same steps, saved-state layout and calling
# convention, so the transition runs what the kernel runs.
#
# machine_kexec() copies us into the control page and calls the copy at __va(control page)
# through kimage_arch's pgd-to-be, with the old CR3 live, IF=0, GDT and IDT zapped, and cdecl
# arguments: indirection list head, page_list (a VA), entry, has_pae, preserve_context.
# page_list[]: 0 PA of the control page, 1 its VA, 2 PA of the pgd, 3 PA of the swap page.
# At +2048 of the control page (KEXEC_CONTROL_CODE_MAX_SIZE): +0 ESP, +4 CR0, +8 CR3, +0xc CR4,
# +0x10 the control page's VA, +0x14 pgd PA, +0x18 swap page PA, +0x1c list head.
	.code32
	.text
relocate_kernel:
	pushl	%ebx			# callee-saved registers and flags, for the way back
	pushl	%esi
	pushl	%edi
	pushl	%ebp
	pushfl
	movl	28(%esp), %ebp		# page_list (20 bytes pushed + return address + head)
	movl	4(%ebp), %edi		# this page's VA
	movl	%esp, 0x800(%edi)
	movl	%cr0, %eax
	movl	%eax, 0x804(%edi)
	movl	%cr3, %eax
	movl	%eax, 0x808(%edi)
	movl	%cr4, %eax
	movl	%eax, 0x80c(%edi)
	movl	24(%esp), %ebx		# indirection list head
	movl	32(%esp), %edx		# entry
	movl	36(%esp), %ecx		# has_pae
	movl	40(%esp), %esi		# preserve_context
	pushl	$0			# EFLAGS: IF=0, DF=0
	popfl
	movl	%edi, 0x810(%edi)
	movl	8(%ebp), %eax
	movl	%eax, 0x814(%edi)
	movl	12(%ebp), %eax
	movl	%eax, 0x818(%edi)
	movl	%ebx, 0x81c(%edi)
	movl	(%ebp), %edi		# PA of this page, before page_list goes out of reach
	movl	8(%ebp), %eax
	movl	%eax, %cr3		# the pgd maps this page at its VA and at its PA
	leal	4096(%edi), %esp
	leal	(identity_mapped - relocate_kernel)(%edi), %eax
	jmp	*%eax

identity_mapped:
	pushl	$0			# the new kernel's return address when nothing comes back
	pushl	%edx			# its entry, for the ret at the end
	movl	%cr0, %eax
	andl	$0x7ffafff3, %eax	# CR0 known state: PG, AM, WP, TS, EM off ...
	orl	$1, %eax		# ... PE on: paging is off from the next fetch
	movl	%eax, %cr0
	testl	%ecx, %ecx
	jz	cr4_ready
	xorl	%eax, %eax		# has_pae: CR4 to a known state, all clear
	movl	%eax, %cr4
cr4_ready:
	xorl	%eax, %eax
	movl	%eax, %cr3		# flush the TLB
	movl	0x818(%edi), %eax
	pushl	%eax			# swap page
	pushl	%ebx			# list head
	call	swap_pages
	addl	$8, %esp
	xorl	%eax, %eax
	movl	%eax, %cr3		# serialise after writing what we will execute
	testl	%esi, %esi
	jnz	jump_and_come_back
	xorl	%edi, %edi		# the new kernel trusts no register but ESP
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%ebp, %ebp
	ret				# to the entry pushed above

# kexec jump: call the new kernel with the stack on the swap page; it comes back by calling
# the address our call pushed, leaving its own re-entry point at 0(%esp).
jump_and_come_back:
	popl	%edx
	movl	0x818(%edi), %esp
	addl	$4096, %esp
	call	*%edx
	movl	(%esp), %ebp		# the peer's re-entry point: what machine_kexec returns
	call	where_am_i
where_am_i:
	popl	%ebx
	subl	$(where_am_i - relocate_kernel), %ebx	# PA of the control page
	movl	0x810(%ebx), %edi
	leal	4096(%ebx), %esp
	movl	0x818(%ebx), %eax
	movl	0x81c(%ebx), %edx
	pushl	%eax
	pushl	%edx
	call	swap_pages		# every page back where it was
	addl	$8, %esp
	movl	0x814(%ebx), %eax
	movl	%eax, %cr3
	movl	%cr0, %eax
	orl	$0x80000000, %eax	# paging on again, with CR4 as identity_mapped left it
	movl	%eax, %cr0
	leal	4096(%edi), %esp
	leal	(virtual_mapped - relocate_kernel)(%edi), %eax
	jmp	*%eax

virtual_mapped:
	movl	0x80c(%edi), %eax
	movl	%eax, %cr4
	movl	0x808(%edi), %eax
	movl	%eax, %cr3
	movl	0x804(%edi), %eax
	movl	%eax, %cr0
	movl	0x800(%edi), %esp
	movl	%ebp, %eax
	popfl
	popl	%ebp
	popl	%edi
	popl	%esi
	popl	%ebx
	ret

# swap_pages(list head, swap page), cdecl, paging off: exchanges each source page with its
# destination through the swap page (source -> swap, destination -> source, swap ->
# destination). Entries are PA | 1 destination, 2 indirection, 4 done, 8 source.
swap_pages:
	movl	8(%esp), %edx
	movl	4(%esp), %ecx
	pushl	%ebp
	pushl	%ebx
	pushl	%edi
	pushl	%esi
	movl	%ecx, %ebx
	jmp	swap_entry
swap_next:
	movl	(%ebx), %ecx
	addl	$4, %ebx
swap_entry:
	testl	$1, %ecx
	jz	swap_not_dest
	movl	%ecx, %edi
	andl	$-4096, %edi
	jmp	swap_next
swap_not_dest:
	testl	$2, %ecx
	jz	swap_not_ind
	movl	%ecx, %ebx
	andl	$-4096, %ebx
	jmp	swap_next
swap_not_ind:
	testl	$4, %ecx
	jnz	swap_done
	testl	$8, %ecx
	jz	swap_next		# no flag: skip the entry
	movl	%ecx, %esi
	andl	$-4096, %esi
	movl	%edi, %eax		# destination
	movl	%esi, %ebp		# source
	movl	%edx, %edi
	movl	$1024, %ecx
	rep movsl			# source -> swap
	movl	%ebp, %edi
	movl	%eax, %esi
	movl	$1024, %ecx
	rep movsl			# destination -> source
	movl	%eax, %edi
	movl	%edx, %esi
	movl	$1024, %ecx
	rep movsl			# swap -> destination; %edi is now the next destination
	jmp	swap_next
swap_done:
	popl	%esi
	popl	%edi
	popl	%ebx
	popl	%ebp
	ret
