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
    const v4 = parseIPv4(s);
    return v4 === undefined ? undefined : v4Text(v4);
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

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // Leading zeros are refused: libc reads "010" as octal, so the meaning is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
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
