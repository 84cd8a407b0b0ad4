/* A bounded YAML document tree built from libyaml's event API.
 *
 * Rules files come from admins and must never hurt pcipt: the tree is built with an explicit
 * stack (no recursion), refuses anchors, aliases and tags (no "billion laughs", no surprises
 * from YAML 1.1 type tags), refuses duplicate mapping keys and non-scalar keys, and stops at a
 * nesting depth and a node count.  Scalars stay strings; the schema decides their type. */
#ifndef PCIPT_RULES_YAML_TREE_H
#define PCIPT_RULES_YAML_TREE_H

#include "../lib/error.h"

#include <stdbool.h>
#include <stddef.h>

#define YAML_TREE_MAX_DEPTH 64
#define YAML_TREE_MAX_NODES 200000

enum yaml_node_kind {
	YAML_NODE_SCALAR,
	YAML_NODE_SEQUENCE,
	YAML_NODE_MAPPING,
};

struct yaml_node {
	enum yaml_node_kind kind;
	unsigned line, column; /* 1-based */
	/* scalar */
	char *value;
	bool plain; /* unquoted: `yes` and `"yes"` differ for YAML 1.1 readers */
	/* sequence: items; mapping: keys[i] -> items[i] */
	struct yaml_node **items;
	struct yaml_node **keys;
	size_t count, capacity;
};

/* Parse one YAML document.  Returns 0 with *ret_root set (NULL for an empty document), or
 * -EINVAL with err filled. */
int yaml_tree_parse(const char *buf, size_t size, struct yaml_node **ret_root,
		    struct pcipt_error *err);
void yaml_tree_free(struct yaml_node *root);

/* The value for key in a mapping, or NULL. */
const struct yaml_node *yaml_tree_get(const struct yaml_node *mapping, const char *key);

#endif
