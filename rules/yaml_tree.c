#include "yaml_tree.h"

#include "../lib/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static int fail_at(struct pcipt_error *err, const yaml_mark_t *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct pcipt_error *err, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset_at(err, -EINVAL, mark ? (unsigned)mark->line + 1 : 0,
		      mark ? (unsigned)mark->column + 1 : 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void node_free(struct yaml_node *n)
{
	/* iterative: a tree may be YAML_TREE_MAX_DEPTH deep, but freeing needs no stack at all
	 * if children are spliced onto a work list */
	struct yaml_node **work = NULL;
	size_t count = 0, cap = 0;
	if (n) {
		xgrow((void **)&work, &cap, 1, sizeof(*work));
		work[count++] = n;
	}
	while (count) {
		struct yaml_node *cur = work[--count];
		for (size_t i = 0; i < cur->count; i++) {
			xgrow((void **)&work, &cap, count + 2, sizeof(*work));
			if (cur->items && cur->items[i])
				work[count++] = cur->items[i];
			if (cur->keys && cur->keys[i])
				work[count++] = cur->keys[i];
		}
		free(cur->items);
		free(cur->keys);
		free(cur->value);
		free(cur);
	}
	free(work);
}

void yaml_tree_free(struct yaml_node *root)
{
	node_free(root);
}

static struct yaml_node *new_node(enum yaml_node_kind kind, const yaml_mark_t *mark)
{
	struct yaml_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = (unsigned)mark->line + 1;
	n->column = (unsigned)mark->column + 1;
	return n;
}

/* An open collection; for mappings, pending_key holds a key waiting for its value. */
struct frame {
	struct yaml_node *node;
	struct yaml_node *pending_key;
};

static int compare_keys(const void *a, const void *b)
{
	const struct yaml_node *x = *(struct yaml_node *const *)a,
			       *y = *(struct yaml_node *const *)b;
	int r = strcmp(x->value, y->value);
	if (r)
		return r;
	return x->line != y->line ? (x->line < y->line ? -1 : 1)
				  : (x->column < y->column ? -1 : x->column > y->column);
}

/* Duplicate keys, found by sorting a copy of the key list: n log n for large mappings. */
static int check_duplicate_keys(const struct yaml_node *m, struct pcipt_error *err)
{
	if (m->count < 2)
		return 0;
	struct yaml_node **sorted = xmalloc(m->count * sizeof(*sorted));
	memcpy(sorted, m->keys, m->count * sizeof(*sorted));
	qsort(sorted, m->count, sizeof(*sorted), compare_keys);
	int r = 0;
	for (size_t i = 1; i < m->count; i++) {
		if (strcmp(sorted[i - 1]->value, sorted[i]->value) == 0) {
			yaml_mark_t mark = {0, sorted[i]->line - 1, sorted[i]->column - 1};
			r = fail_at(err, &mark, "duplicate key '%.60s' (first on line %u)",
				    sorted[i]->value, sorted[i - 1]->line);
			break;
		}
	}
	free(sorted);
	return r;
}

/* Attach a finished node to the open collection on top of the stack (or make it the root). */
static int attach(struct frame *stack, size_t depth, struct yaml_node **root,
		  struct yaml_node *node, struct pcipt_error *err)
{
	if (depth == 0) {
		*root = node;
		return 0;
	}
	struct frame *top = &stack[depth - 1];
	struct yaml_node *parent = top->node;
	if (parent->kind == YAML_NODE_SEQUENCE) {
		xgrow((void **)&parent->items, &parent->capacity, parent->count + 1,
		      sizeof(*parent->items));
		parent->items[parent->count++] = node;
		return 0;
	}
	if (!top->pending_key) {
		if (node->kind != YAML_NODE_SCALAR) {
			yaml_mark_t mark = {0, node->line - 1, node->column - 1};
			node_free(node);
			return fail_at(err, &mark, "mapping keys must be plain strings");
		}
		top->pending_key = node;
		return 0;
	}
	/* keys and items grow in step: each grows from the old capacity to the same new one */
	size_t items_cap = parent->capacity, keys_cap = parent->capacity;
	xgrow((void **)&parent->items, &items_cap, parent->count + 1, sizeof(*parent->items));
	xgrow((void **)&parent->keys, &keys_cap, parent->count + 1, sizeof(*parent->keys));
	parent->capacity = items_cap;
	parent->keys[parent->count] = top->pending_key;
	parent->items[parent->count++] = node;
	top->pending_key = NULL;
	return 0;
}

static int refuse_anchor_and_tag(const yaml_event_t *ev, const unsigned char *anchor,
				 const unsigned char *tag, struct pcipt_error *err)
{
	if (anchor)
		return fail_at(err, &ev->start_mark,
			       "anchors (&%.40s) are not allowed in pcipt files", anchor);
	if (tag)
		return fail_at(err, &ev->start_mark, "tags (%.40s) are not allowed in pcipt files",
			       tag);
	return 0;
}

int yaml_tree_parse(const char *buf, size_t size, struct yaml_node **ret_root,
		    struct pcipt_error *err)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return fail_at(err, NULL, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, size);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	struct frame stack[YAML_TREE_MAX_DEPTH];
	size_t depth = 0, nodes = 0, documents = 0;
	struct yaml_node *root = NULL;
	int r = 0;
	bool done = false;

	while (!done && r == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			r = fail_at(err, &parser.problem_mark, "%s%s%s",
				    parser.problem ? parser.problem : "invalid YAML",
				    parser.context ? " " : "",
				    parser.context ? parser.context : "");
			break;
		}
		struct yaml_node *node = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1)
				r = fail_at(err, &ev.start_mark,
					    "only one YAML document is allowed per file");
			else if (ev.data.document_start.tag_directives.start !=
				 ev.data.document_start.tag_directives.end)
				r = fail_at(err, &ev.start_mark,
					    "%%TAG directives are not allowed in pcipt files");
			break;
		case YAML_ALIAS_EVENT:
			r = fail_at(err, &ev.start_mark,
				    "aliases (*%.40s) are not allowed in pcipt files",
				    ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			r = refuse_anchor_and_tag(&ev, ev.data.scalar.anchor, ev.data.scalar.tag,
						  err);
			if (r)
				break;
			if (++nodes > YAML_TREE_MAX_NODES) {
				r = fail_at(err, &ev.start_mark, "more than %d YAML nodes",
					    YAML_TREE_MAX_NODES);
				break;
			}
			node = new_node(YAML_NODE_SCALAR, &ev.start_mark);
			node->value =
				xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			if (strlen(node->value) != ev.data.scalar.length) {
				node_free(node);
				r = fail_at(err, &ev.start_mark, "NUL character in a string");
				break;
			}
			r = attach(stack, depth, &root, node, err);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
			r = refuse_anchor_and_tag(
				&ev,
				seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor,
				seq ? ev.data.sequence_start.tag : ev.data.mapping_start.tag, err);
			if (r)
				break;
			if (depth >= YAML_TREE_MAX_DEPTH) {
				r = fail_at(err, &ev.start_mark, "nesting deeper than %d levels",
					    YAML_TREE_MAX_DEPTH);
				break;
			}
			if (++nodes > YAML_TREE_MAX_NODES) {
				r = fail_at(err, &ev.start_mark, "more than %d YAML nodes",
					    YAML_TREE_MAX_NODES);
				break;
			}
			node = new_node(seq ? YAML_NODE_SEQUENCE : YAML_NODE_MAPPING,
					&ev.start_mark);
			stack[depth++] = (struct frame){node, NULL};
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct frame top = stack[--depth];
			if (top.node->kind == YAML_NODE_MAPPING)
				r = check_duplicate_keys(top.node, err);
			if (r) {
				node_free(top.node);
				break;
			}
			r = attach(stack, depth, &root, top.node, err);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	/* On error, free what the stack still holds (each open node with its pending key). */
	while (depth > 0) {
		struct frame top = stack[--depth];
		node_free(top.pending_key);
		node_free(top.node);
	}
	yaml_parser_delete(&parser);
	if (r) {
		node_free(root);
		return r;
	}
	*ret_root = root;
	return 0;
}

const struct yaml_node *yaml_tree_get(const struct yaml_node *mapping, const char *key)
{
	if (!mapping || mapping->kind != YAML_NODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < mapping->count; i++) {
		if (strcmp(mapping->keys[i]->value, key) == 0)
			return mapping->items[i];
	}
	return NULL;
}
