// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-mmu.ko: registers the nested-paging MMU with kvmod core.
 */
#include <linux/module.h>

#include "npt.h"

static const struct kvmod_mmu_ops npt_mmu_ops = {
	.name = "npt",
	.owner = THIS_MODULE,
	.vm_init = npt_vm_init,
	.vm_destroy = npt_vm_destroy,
	.page_fault = npt_page_fault,
	.zap_all = npt_zap_all,
	.root = npt_root,
};

static int __init kvmod_mmu_init(void)
{
	return kvmod_register_mmu(&npt_mmu_ops);
}

static void __exit kvmod_mmu_exit(void)
{
	kvmod_unregister_mmu(&npt_mmu_ops);
}

module_init(kvmod_mmu_init);
module_exit(kvmod_mmu_exit);
MODULE_DESCRIPTION("kvmod MMU: nested page tables built from memslots");
MODULE_LICENSE("GPL");
