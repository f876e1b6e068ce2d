// System and zlib errors in words a user can act on, for "what and where and what to do".

/** Why an I/O operation failed, in plain words (with the system's code for searching). */
export function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent in the path is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'read-only file system';
    case 'EPIPE':
      return 'the reader closed the pipe';
    case 'Z_DATA_ERROR':
      return `the gzip data is corrupt (${err.message})`;
    case 'Z_BUF_ERROR':
      return 'the gzip data ends early: the file is truncated or corrupt';
    default:
      return err?.code ? `${err.message} (${err.code})` : String(err?.message ?? e);
  }
}
