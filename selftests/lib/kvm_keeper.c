// SPDX-License-Identifier: GPL-2.0
/*
 * Hold one VM with one vCPU open until killed.  selftests/run keeps it
 * running while the tests create and destroy their VMs.
 *
 * Why: in-tree KVM flips static keys when the first VM or vCPU of the
 * system is created and the last one destroyed (preempt_notifier_key,
 * kvm_has_noapic_vcpu), which patches kernel text with text_poke_bp().
 * Under the test VM's QEMU TCG that patching now and then wedges both
 * CPUs on the int3 at the patch site (soft lockups at
 * finish_task_switch()), after some hundreds of create/destroy cycles or
 * earlier.  With a VM always alive the keys never flip.
 *
 * Prints "ready" once the VM and vCPU exist; exits 1 if they cannot be
 * made.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

int main(void)
{
	int sys_fd, vm_fd, vcpu_fd;

	sys_fd = kt_open_dev();
	if (sys_fd < 0) {
		fprintf(stderr, "kvm_keeper: open %s: %s\n", kt_dev_path(),
			strerror(-sys_fd));
		return 1;
	}
	vm_fd = kt_create_vm(sys_fd);
	if (vm_fd < 0) {
		fprintf(stderr, "kvm_keeper: KVM_CREATE_VM: %s\n",
			strerror(-vm_fd));
		return 1;
	}
	vcpu_fd = kt_create_vcpu(vm_fd, 0);
	if (vcpu_fd < 0) {
		fprintf(stderr, "kvm_keeper: KVM_CREATE_VCPU: %s\n",
			strerror(-vcpu_fd));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}
