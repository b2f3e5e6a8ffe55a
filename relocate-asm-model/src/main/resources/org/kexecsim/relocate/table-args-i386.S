# The arguments of the 2006 designs' relocate_new_kernel on i386 (page-table-a, single-table),
# cdecl: 4(%esp) list head -> %ebx, 8 control page PA -> %edi, 12 entry point -> %edx,
# 16 the table's PA -> %eax, 20 has_pae -> %ecx; then interrupts off.
	movl	4(%esp), %ebx
	movl	8(%esp), %edi
	movl	12(%esp), %edx
	movl	20(%esp), %ecx
	movl	16(%esp), %eax
	pushl	$0			# IF=0
	popfl
