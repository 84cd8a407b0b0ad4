#include "textfile.h"

#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is invalid:
 * overlong forms, surrogates and code points above U+10FFFF are rejected (RFC 3629). */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Split data (owned, NUL-terminated at data[size]) in place. */
static int split_lines(char *data, size_t size, struct text_file *ret, struct pcipt_error *err)
{
	struct text_line *lines = NULL;
	size_t count = 0, cap = 0;
	unsigned number = 1, first_crlf = 0;
	size_t start = 0;

	for (size_t i = 0; i <= size;) {
		unsigned char c = (unsigned char)data[i];
		if (i == size || c == '\n') {
			size_t len = i - start;
			/* only "\r\n" is a CRLF line end: a lone CR at the end of the file stays */
			bool crlf = i < size && len > 0 && data[i - 1] == '\r';
			if (crlf) {
				len--;
				if (!first_crlf)
					first_crlf = number;
			}
			if (i < size || len > 0) {
				xgrow((void **)&lines, &cap, count + 1, sizeof(*lines));
				data[start + len] = '\0';
				lines[count++] =
					(struct text_line){data + start, len, number, crlf};
			}
			number++;
			start = i + 1;
			i++;
			continue;
		}
		if (i - start >= TEXT_MAX_LINE_LENGTH) {
			free(lines);
			return error_set_at(err, -E2BIG, number, 0, "line is longer than %d bytes",
					    TEXT_MAX_LINE_LENGTH);
		}
		if (c == '\0') {
			free(lines);
			return error_set_at(err, -EILSEQ, number, (unsigned)(i - start + 1),
					    "NUL byte in a text file");
		}
		size_t seq = utf8_sequence_length((const unsigned char *)data + i, size - i);
		if (!seq) {
			free(lines);
			return error_set_at(err, -EILSEQ, number, (unsigned)(i - start + 1),
					    "invalid UTF-8 (byte 0x%02x)", c);
		}
		i += seq;
	}
	ret->data = data;
	ret->size = size;
	ret->lines = lines;
	ret->line_count = count;
	ret->first_crlf_line = first_crlf;
	return 0;
}

int text_file_from_buffer(const char *buf, size_t size, struct text_file *ret,
			  struct pcipt_error *err)
{
	if (size > TEXT_MAX_FILE_SIZE)
		return error_set_at(err, -EFBIG, 0, 0, "file is larger than %d bytes",
				    TEXT_MAX_FILE_SIZE);
	char *data = xmalloc(size + 1);
	memcpy(data, buf, size);
	data[size] = '\0';
	int r = split_lines(data, size, ret, err);
	if (r < 0)
		free(data);
	return r;
}

int text_file_read(const struct rootfs *fs, const char *path, char **ret_data, size_t *ret_size,
		   struct pcipt_error *err)
{
	int r = rootfs_read(fs, path, 0, TEXT_MAX_FILE_SIZE, ret_data, ret_size);
	switch (r) {
	case 0:
		return 0;
	case -EFBIG:
		return error_set_at(err, r, 0, 0, "file is larger than %d bytes",
				    TEXT_MAX_FILE_SIZE);
	case -EISDIR:
		return error_set_at(err, r, 0, 0, "is a directory");
	case -EINVAL:
		return error_set_at(err, r, 0, 0, "not a regular file");
	default:
		return error_set_at(err, r, 0, 0, "%s", strerror(-r));
	}
}

int text_file_load(const struct rootfs *fs, const char *path, struct text_file *ret,
		   struct pcipt_error *err)
{
	char *data;
	size_t size;
	int r = text_file_read(fs, path, &data, &size, err);
	if (r < 0)
		return r;
	r = split_lines(data, size, ret, err);
	if (r < 0)
		free(data);
	return r;
}

void text_file_free(struct text_file *file)
{
	free(file->data);
	free(file->lines);
	memset(file, 0, sizeof(*file));
}
