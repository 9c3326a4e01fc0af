// SPDX-License-Identifier: GPL-2.0
/*
 * bochs-io: the data channel between the Bochs test VM and tools/testvm.
 *
 * Bochs' port_e9_hack copies every byte written to I/O port 0xe9 to its
 * stdout.  The guest side frames data as named records there; the host side
 * splits Bochs' stdout into one file per record name and also relays the
 * serial console (a FIFO Bochs writes com1 to) to the terminal and a log.
 *
 *   bochs-io send NAME [FILE]
 *	(guest, root) stdin or FILE as records named NAME; at least one,
 *	possibly empty, record, so an empty input still creates the file.
 *   bochs-io drain
 *	(guest) wait until the serial console has sent all its output.
 *   bochs-io recv DIR SERIAL LOG
 *	(host) read Bochs' stdout on stdin until EOF: record NAME is appended
 *	to DIR/NAME, anything outside a record to DIR/bochs.out; bytes from
 *	the FIFO SERIAL go to stdout and to LOG.
 *
 * A record is "\036KV" NAME ":" LENGTH "\n" followed by LENGTH bytes, with
 * NAME of [a-z0-9._-] and LENGTH decimal, at most MAX_RECORD.  Writers in
 * the guest serialise their records with flock() on LOCK_FILE; a record
 * goes out with one REP OUTSB.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/io.h>
#include <termios.h>
#include <unistd.h>

#define E9_PORT		0xe9
#define MAX_RECORD	4096
#define MAX_NAME	32
#define LOCK_FILE	"/run/bochs-io.lock"

static void die(const char *what)
{
	fprintf(stderr, "bochs-io: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_NAME || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ---- guest side ---------------------------------------------------- */

static void send_record(int lock, const char *name, const char *data, size_t len)
{
	static char rec[MAX_RECORD + MAX_NAME + 32];
	int hdr;

	hdr = snprintf(rec, sizeof(rec), "\036KV%s:%zu\n", name, len);
	memcpy(rec + hdr, data, len);
	if (lock >= 0 && flock(lock, LOCK_EX) < 0)
		die("flock");
	outsb(E9_PORT, rec, hdr + len);	/* one REP OUTSB (sys/io.h) */
	if (lock >= 0)
		flock(lock, LOCK_UN);
}

static int cmd_send(const char *name, const char *file)
{
	static char buf[MAX_RECORD];
	int fd = 0, lock, sent = 0;
	ssize_t n;

	if (!name_ok(name, strlen(name))) {
		fprintf(stderr, "bochs-io: bad record name '%s'\n", name);
		return 2;
	}
	if (file) {
		fd = open(file, O_RDONLY);
		if (fd < 0)
			die(file);
	}
	if (ioperm(E9_PORT, 1, 1) < 0)
		die("ioperm");
	lock = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0)
			break;
		send_record(lock, name, buf, n);
		sent = 1;
	}
	if (!sent)
		send_record(lock, name, buf, 0);
	return 0;
}

static int cmd_drain(void)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		die("/dev/console");
	if (tcdrain(fd) < 0)
		die("tcdrain");
	close(fd);
	return 0;
}

/* ---- host side ----------------------------------------------------- */

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write");
		buf += n;
		len -= n;
	}
}

static void append(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	write_all(fd, buf, len);
	close(fd);
}

/*
 * Parser of Bochs' stdout.  State: outside a record, in a header (after
 * "\036"), or in a payload with `left` bytes to go.
 */
struct demux {
	const char *dir;
	char hdr[MAX_NAME + 32];
	size_t hlen;
	char name[MAX_NAME + 1];
	size_t left;
	int in_hdr;
	char noise[MAX_RECORD];
	size_t nlen;
};

static void noise_flush(struct demux *d)
{
	if (d->nlen)
		append(d->dir, "bochs.out", d->noise, d->nlen);
	d->nlen = 0;
}

static void noise_add(struct demux *d, const char *buf, size_t len)
{
	while (len) {
		size_t n = sizeof(d->noise) - d->nlen;

		if (n > len)
			n = len;
		memcpy(d->noise + d->nlen, buf, n);
		d->nlen += n;
		buf += n;
		len -= n;
		if (d->nlen == sizeof(d->noise))
			noise_flush(d);
	}
}

/* A complete header "KVname:len\n" is in d->hdr; returns 1 if valid. */
static int parse_header(struct demux *d)
{
	char *colon, *end;
	unsigned long len;

	if (d->hlen < 5 || memcmp(d->hdr, "KV", 2) != 0)
		return 0;
	colon = memchr(d->hdr, ':', d->hlen);
	if (!colon || !name_ok(d->hdr + 2, colon - d->hdr - 2))
		return 0;
	d->hdr[d->hlen - 1] = '\0';
	errno = 0;
	len = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || len > MAX_RECORD)
		return 0;
	memcpy(d->name, d->hdr + 2, colon - d->hdr - 2);
	d->name[colon - d->hdr - 2] = '\0';
	d->left = len;
	/* An empty record still creates its file. */
	append(d->dir, d->name, "", 0);
	return 1;
}

static void demux_feed(struct demux *d, const char *buf, size_t len)
{
	while (len) {
		if (d->left) {
			size_t n = d->left < len ? d->left : len;

			append(d->dir, d->name, buf, n);
			d->left -= n;
			buf += n;
			len -= n;
		} else if (d->in_hdr) {
			d->hdr[d->hlen++] = *buf++;
			len--;
			if (d->hdr[d->hlen - 1] == '\n') {
				d->in_hdr = 0;
				if (!parse_header(d)) {
					noise_add(d, "\036", 1);
					noise_add(d, d->hdr, d->hlen);
				}
			} else if (d->hlen == sizeof(d->hdr)) {
				d->in_hdr = 0;
				noise_add(d, "\036", 1);
				noise_add(d, d->hdr, d->hlen);
			}
		} else {
			const char *rs = memchr(buf, '\036', len);
			size_t n = rs ? (size_t)(rs - buf) : len;

			noise_add(d, buf, n);
			buf += n;
			len -= n;
			if (rs) {
				noise_flush(d);
				d->in_hdr = 1;
				d->hlen = 0;
				buf++;
				len--;
			}
		}
	}
}

/* Copy what the FIFO has now; returns 0 once it has no more. */
static int relay_serial(int fd, int log)
{
	static char buf[65536];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		die("read serial");
	if (n == 0)
		return 0;
	write_all(log, buf, n);
	write_all(1, buf, n);
	return 1;
}

static int cmd_recv(const char *dir, const char *serial, const char *logfile)
{
	static char buf[65536];
	struct demux *d;
	struct pollfd p[2];
	int fifo, log;
	ssize_t n;

	d = calloc(1, sizeof(*d));
	if (!d)
		die("calloc");
	d->dir = dir;
	/* Read-write: no EOF before Bochs opens it, none when it closes it. */
	fifo = open(serial, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		die(serial);
	log = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log < 0)
		die(logfile);
	p[0].fd = 0;
	p[0].events = POLLIN;
	p[1].fd = fifo;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[1].revents & POLLIN)
			relay_serial(fifo, log);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(0, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("read");
			if (n == 0)
				break;
			demux_feed(d, buf, n);
		}
	}
	/* Bochs is gone: take what is left in the FIFO. */
	while (relay_serial(fifo, log))
		;
	noise_flush(d);
	if (d->left || d->in_hdr) {
		fprintf(stderr, "bochs-io: stdout ended inside record '%s'\n",
			d->in_hdr ? "?" : d->name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "send"))
		return cmd_send(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 2 && !strcmp(argv[1], "drain"))
		return cmd_drain();
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return cmd_recv(argv[2], argv[3], argv[4]);
	fprintf(stderr,
		"usage: bochs-io send NAME [FILE]          (in the Bochs guest)\n"
		"       bochs-io drain                     (in the Bochs guest)\n"
		"       bochs-io recv DIR SERIAL_FIFO LOG  (on the host, Bochs' stdout on stdin)\n");
	return 2;
}
