// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-mmu.ko: registers the two-dimensional paging MMU (AMD NPT and
 * Intel EPT formats) with kvmod core.
 */
#include <linux/module.h>

#include "tdp.h"

static const struct kvmod_mmu_ops tdp_mmu_ops = {
	.name = "tdp",
	.owner = THIS_MODULE,
	.vm_init = tdp_vm_init,
	.vm_destroy = tdp_vm_destroy,
	.page_fault = tdp_page_fault,
	.zap_range = tdp_zap_gfn_range,
	.write_protect = tdp_write_protect,
	.root = tdp_root,
};

static int __init kvmod_mmu_init(void)
{
	return kvmod_register_mmu(&tdp_mmu_ops);
}

static void __exit kvmod_mmu_exit(void)
{
	kvmod_unregister_mmu(&tdp_mmu_ops);
}

module_init(kvmod_mmu_init);
module_exit(kvmod_mmu_exit);
MODULE_DESCRIPTION("kvmod MMU: nested page tables (NPT, EPT) built from memslots");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmod authors");
MODULE_VERSION(KVMOD_VERSION);
