import { TesseraError } from '@tessera/uma';

/** Why a vault could not be opened, read or written. `code` is for programs, `hint` for people. */
export type VaultErrorCode =
  | 'damaged' // the file is not a readable Tessera vault (corrupted, truncated, tampered)
  | 'wrong_key' // the data key could not be unwrapped (wrong passphrase, other keyring/safeStorage)
  | 'key_missing' // the keyring entry holding the data key is gone
  | 'unsupported_version' // written by a newer Tessera
  | 'backend_unavailable' // the file's backend cannot be used in this process
  | 'insecure_backend' // e.g. Electron safeStorage on Linux `basic_text`
  | 'locked' // another process held the lock for too long
  | 'io'; // the file system refused

/**
 * Typed vault error, part of the one hierarchy ({@link TesseraError}): faces map it with
 * `toErrorInfo` like any other, and it keeps its own codes and hints. The file named in `file` is
 * never modified when this is thrown.
 */
export class VaultError extends TesseraError {
  override readonly name: string = 'VaultError';
  declare readonly code: VaultErrorCode;
  constructor(
    code: VaultErrorCode,
    message: string,
    hint: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(code, file ? `${message} (${file})` : message, hint, options?.cause === undefined ? {} : { cause: options.cause });
  }
}
