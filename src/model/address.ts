// IP address text -> one canonical key, so that every valid spelling of an
// address compares equal: IPv4 dotted quad; IPv6 in any valid text form
// (compressed, expanded, upper case, bracketed); IPv4-mapped IPv6 equal to the
// plain IPv4 address. Anything else (hostnames, garbage, zones, octal-looking
// IPv4) has no key: it never matches and never throws.

/** Canonical key of an IP address text, or undefined when the text is not one. */
export function addressKey(text: string): string | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return undefined;
  let s = text;
  if (s.charCodeAt(0) === 0x5b /* [ */ && s.charCodeAt(s.length - 1) === 0x5d /* ] */) s = s.slice(1, -1);
  if (s.indexOf(':') < 0) {
    // A valid dotted quad (no leading zeros) is its own canonical text: no copy.
    return ipv4(s, 0, s.length) < 0 ? undefined : s;
  }
  const groups = parseIPv6(s);
  if (!groups) return undefined;
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d (Tracee prints it that way too).
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return v4Text([groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff]);
  }
  return groups.map((g) => g.toString(16)).join(':');
}

function v4Text(b: number[]): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * The dotted quad in s[start, end) as an unsigned 32-bit number, or -1 when it
 * is not one. Leading zeros are refused: libc reads "010" as octal, so the
 * meaning is ambiguous. Reads characters, allocates nothing (the hot path).
 */
function ipv4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const first = i;
    let octet = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      octet = octet * 10 + (c - 0x30);
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && s.charCodeAt(first) === 0x30)) return -1;
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 0x2e /* . */) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function parseIPv4(s: string): number[] | undefined {
  const v = ipv4(s, 0, s.length);
  return v < 0 ? undefined : [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function parseIPv6(s: string): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  const toGroups = (parts: string[], allowV4Last: boolean): number[] | undefined => {
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (allowV4Last && i === parts.length - 1 && p.indexOf('.') >= 0) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  if (halves.length === 1) {
    const g = toGroups(head, true);
    return g && g.length === 8 ? g : undefined;
  }
  const h = toGroups(head, false);
  const t = toGroups(tail, true);
  if (!h || !t || h.length + t.length > 7) return undefined;
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}
