// SPDX-License-Identifier: GPL-2.0-or-later
/* udpflood.c - send small UDP datagrams as fast as one core can
 *
 * The sender of bench/datapath.sh's frame-rate measurement: batches of
 * sendmmsg() to one address for a given time, then prints how many
 * datagrams the kernel took. What arrived is counted at the receiver's
 * interface by the script, so the tool needs no receiving half.
 *
 *   udpflood ADDR PORT SECONDS [FRAME_BYTES]
 *
 * FRAME_BYTES is the Ethernet frame's size with its 4-byte FCS, as frame
 * rates are usually quoted (64 by default: 18 bytes of UDP payload).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define HDRS		(14 + 20 + 8 + 4)	/* Ethernet, IPv4, UDP, FCS */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t payload[9000];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long frame = 64, port;
	uint64_t sent = 0, refused = 0;
	double secs, start, end, t;
	int fd, i, n;

	if (argc < 4 || argc > 5 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: udpflood ADDR PORT SECONDS [FRAME_BYTES]\n");
		return 2;
	}
	port = strtoul(argv[2], NULL, 10);
	secs = strtod(argv[3], NULL);
	if (argc == 5)
		frame = strtoul(argv[4], NULL, 10);
	if (!port || port > 65535 || secs <= 0 || frame < 64 ||
	    frame - HDRS > sizeof(payload)) {
		fprintf(stderr, "udpflood: bad port, time or frame size\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		perror("udpflood: socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = frame - HDRS;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now_s();
	end = start + secs;
	do {
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += (unsigned)n;
		else if (n < 0 && errno != EINTR)
			refused++;	/* ENOBUFS and the like: go on */
		t = now_s();
	} while (t < end);
	printf("sent %llu datagrams in %.2f s (%.3f Mpps), %llu refused calls\n",
	       (unsigned long long)sent, t - start,
	       (double)sent / (t - start) / 1e6, (unsigned long long)refused);
	close(fd);
	return 0;
}
