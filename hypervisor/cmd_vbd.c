// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd_vbd.c - virtual block device commands: listvbds, vbd_add,
 * vbd_remove
 */
#include <string.h>

#include "builder.h"
#include "cmd.h"
#include "domain.h"

static int cmd_listvbds(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr = json_object_new_array();

	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		const struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvbds; k++) {
			json_object *o = rec_vbd_json(&d->vbds[k]);
			long long size = rec_vbd_size(&d->vbds[k]);

			json_object_object_add(o, "dom", json_object_new_int64(d->id));
			json_object_object_add(o, "size_mb", json_object_new_int64(
				size > 0 ? size / (1024 * 1024) : 0));
			if (size < 0)
				json_object_object_add(o, "error",
					json_object_new_string(strerror((int)-size)));
			json_object_array_add(arr, o);
		}
	}
	json_object_object_add(req->reply, "vbds", arr);
	return 0;
}

static int cmd_vbd_add(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;
	struct xend_vbd vbd;

	if (rec_vbd_parse(req, req->msg, "", &vbd) ||
	    cmd_get_dom(ctx, req, false, &d))
		return -1;
	b = xend_builder_of(d->builder);
	if (!b || !b->vbd_add)
		return cmd_unsupported(req, d);
	return b->vbd_add(ctx, d, &vbd, req) ? -1 : 0;
}

static int cmd_vbd_remove(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;
	const char *dev;

	if (ctl_get_string(req, req->msg, "", "dev", true, XEND_DEV_MAX, &dev) ||
	    cmd_get_dom(ctx, req, false, &d))
		return -1;
	b = xend_builder_of(d->builder);
	if (!b || !b->vbd_remove)
		return cmd_unsupported(req, d);
	return b->vbd_remove(ctx, d, dev, req) ? -1 : 0;
}

/* xend_cmds_vbd - see cmd.h. */
const struct xend_cmd xend_cmds_vbd[] = {
	{ "listvbds",	cmd_listvbds,	0 },
	{ "vbd_add",	cmd_vbd_add,	XEND_CMD_MUTATES },
	{ "vbd_remove",	cmd_vbd_remove,	XEND_CMD_MUTATES },
	{ NULL,		NULL,		0 },
};
