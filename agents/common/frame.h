/* frame — the generator's test frames: Ethernet / IPv4 / UDP with a stamp.
 *
 *   0  Ethernet  dst(6) src(6) type 0x0800
 *  14  IPv4      20 bytes, no options, DF, TTL 64, protocol UDP, checksum
 *  34  UDP       src port = base + flow (so RSS spreads flows), dst port, length, checksum 0
 *  42  stamp     magic 0x15AB (2), sequence number (8), TX TSC (8)      = 60 bytes
 *
 * 60 bytes is the smallest frame (64 bytes with the FCS the device adds), so every size
 * from 64 up carries the stamp.  Fields are stored in host order with memcpy (both ends
 * run on one machine, or on machines of one architecture); the headers in network order.
 * Pure byte work, no DPDK: the generator points it at mbuf data. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FRAME_MIN_SIZE 64     /* with FCS */
#define FRAME_MAX_SIZE 9018   /* jumbo, with FCS */
#define FRAME_HDR_LEN 42
#define FRAME_STAMP_OFF 42
#define FRAME_STAMP_LEN 18
#define FRAME_MAGIC 0x15AB
#define FRAME_UDP_DST 4791 /* any fixed port; the stamp's magic is what identifies test frames */

struct frame_tmpl {
        uint8_t dst_mac[6];
        uint8_t src_mac[6];
        uint32_t src_ip, dst_ip;   /* host order */
        uint16_t src_port;         /* first flow's UDP source port */
        unsigned frame_size;       /* with FCS, FRAME_MIN_SIZE..FRAME_MAX_SIZE */
};

/* Length of the frame in the buffer (without FCS). */
static inline size_t frame_len(unsigned frame_size) {
        return frame_size - 4;
}

/* Writes the 42 header bytes of flow `flow` into buf.  Returns 0, or -EINVAL for a frame
 * size out of range. */
int frame_build_headers(uint8_t *buf, const struct frame_tmpl *t, unsigned flow);

static inline void frame_stamp(uint8_t *pkt, uint64_t seq, uint64_t tsc) {
        uint16_t magic = FRAME_MAGIC;
        memcpy(pkt + FRAME_STAMP_OFF, &magic, 2);
        memcpy(pkt + FRAME_STAMP_OFF + 2, &seq, 8);
        memcpy(pkt + FRAME_STAMP_OFF + 10, &tsc, 8);
}

/* Recognises a test frame: IPv4, UDP to FRAME_UDP_DST, the magic, long enough.
 * Returns true and the stamp, or false for any other frame. */
static inline bool frame_parse(const uint8_t *pkt, size_t len, uint64_t *ret_seq, uint64_t *ret_tsc) {
        uint16_t magic;
        if (len < FRAME_STAMP_OFF + FRAME_STAMP_LEN || pkt[12] != 0x08 || pkt[13] != 0x00 || pkt[23] != 17 ||
            pkt[36] != (FRAME_UDP_DST >> 8) || pkt[37] != (FRAME_UDP_DST & 0xff))
                return false;
        memcpy(&magic, pkt + FRAME_STAMP_OFF, 2);
        if (magic != FRAME_MAGIC)
                return false;
        memcpy(ret_seq, pkt + FRAME_STAMP_OFF + 2, 8);
        memcpy(ret_tsc, pkt + FRAME_STAMP_OFF + 10, 8);
        return true;
}

/* The IPv4 header checksum (RFC 1071) over len bytes. */
uint16_t frame_ip_checksum(const uint8_t *hdr, size_t len);
