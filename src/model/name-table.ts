// Tables looked up by names from outside (recordings, gRPC, the command line,
// signature modules) are made without a prototype: a name such as "constructor",
// "valueOf" or "__proto__" then finds nothing, instead of Object's members.

/** `entries` as a table without a prototype. */
export function nameTable<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}
