/* Replay fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer, so `make check` runs
 * every seed corpus under ASan+UBSan with gcc alone.
 *
 *   replay FILE|DIR...
 *
 * A directory contributes its regular files and those of its subdirectories (one level
 * down), each directory in sorted name order; names starting with '.' are skipped.  The last
 * line printed is "replayed N inputs" and the exit status 0; an argument or file that cannot
 * be read, or no input at all, exits 2 with a message instead. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper directories are skipped: corpora are flat, at most one level of grouping. */
#define MAX_DEPTH 1

static const char *program = "replay";

/* The input being run, named when it crashes: sanitizer reports do not know the file. */
static const char *volatile current_path;

/* Provided by the sanitizer runtimes; NULL in a build without them. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void write_str(const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void name_current_input(void)
{
	const char *path = current_path;
	if (!path)
		return;
	write_str(program);
	write_str(": failed on input ");
	write_str(path);
	write_str("\n");
}

/* abort() from a target's invariant checks does not go through the sanitizers' death
 * callback; name the input, then die as before. */
static void on_abort(int sig)
{
	name_current_input();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void *xrealloc_or_die(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", program);
		exit(2);
	}
	return p;
}

/* Read the whole file; returns 0, or -1 after printing why. */
static int read_file(const char *path, unsigned char **ret_data, size_t *ret_size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", program, path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, size = 0;
	unsigned char *data = xrealloc_or_die(NULL, cap);
	for (;;) {
		if (size == cap) {
			cap *= 2;
			data = xrealloc_or_die(data, cap);
		}
		size_t n = fread(data + size, 1, cap - size, f);
		size += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		fprintf(stderr, "%s: %s: read error: %s\n", program, path, strerror(e));
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	*ret_data = data;
	*ret_size = size;
	return 0;
}

static int run_file(const char *path, size_t *count)
{
	unsigned char *data;
	size_t size;
	if (read_file(path, &data, &size) < 0)
		return -1;
	/* an exact-size copy, so ASan catches reads one past the input */
	unsigned char *input = xrealloc_or_die(NULL, size);
	if (size)
		memcpy(input, data, size);
	free(data);
	current_path = path;
	LLVMFuzzerTestOneInput(input, size);
	current_path = NULL;
	free(input);
	(*count)++;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_path(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	bool slash = dlen > 0 && dir[dlen - 1] == '/';
	char *p = xrealloc_or_die(NULL, dlen + nlen + 2);
	memcpy(p, dir, dlen);
	if (!slash)
		p[dlen++] = '/';
	memcpy(p + dlen, name, nlen + 1);
	return p;
}

static int run_dir(const char *dir, int depth, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: %s: %s\n", program, dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc_or_die(names, cap * sizeof(*names));
		}
		size_t len = strlen(e->d_name);
		names[n] = xrealloc_or_die(NULL, len + 1);
		memcpy(names[n], e->d_name, len + 1);
		n++;
	}
	int r = 0;
	if (errno) {
		fprintf(stderr, "%s: %s: %s\n", program, dir, strerror(errno));
		r = -1;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	for (size_t i = 0; i < n; i++) {
		char *path = join_path(dir, names[i]);
		struct stat st;
		if (stat(path, &st) < 0) {
			fprintf(stderr, "%s: %s: %s\n", program, path, strerror(errno));
			r = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < MAX_DEPTH && run_dir(path, depth + 1, count) < 0)
				r = -1;
		} else if (S_ISREG(st.st_mode)) {
			if (run_file(path, count) < 0)
				r = -1;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0][0])
		program = argv[0];
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", program);
		return 2;
	}
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(name_current_input);
	signal(SIGABRT, on_abort);
	size_t count = 0;
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s: %s\n", program, argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		int r = S_ISDIR(st.st_mode) ? run_dir(argv[i], 0, &count)
					    : run_file(argv[i], &count);
		if (r < 0)
			failed = 1;
	}
	if (failed) {
		fprintf(stderr, "%s: some inputs could not be read (%zu replayed)\n", program,
			count);
		return 2;
	}
	if (count == 0) {
		fprintf(stderr, "%s: no inputs found\n", program);
		return 2;
	}
	printf("replayed %zu inputs\n", count);
	return 0;
}
