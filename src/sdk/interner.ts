// Bounded sharing of equal strings, for state that holds many copies of a few
// values (addresses, finding keys): the host's dedup and signatures alike.

/**
 * Shares equal strings (a bounded table: past `max` distinct values strings are
 * returned as given). Flattens them too: a template literal makes a rope whose
 * pieces would otherwise be kept alive with it.
 */
export class Interner {
  private readonly table = new Map<string, string>();
  constructor(readonly max = 4096) {}
  intern(s: string): string {
    const known = this.table.get(s);
    if (known !== undefined) return known;
    const flat = Buffer.from(s, 'utf8').toString('utf8');
    if (this.table.size < this.max) this.table.set(flat, flat);
    return flat;
  }
}
