/**
 * The `.log` file of a segment (Kafka's FileRecords): a lazily opened descriptor, read-only until
 * a write is needed, with positional appends, truncation and fsync.
 */
import * as fs from 'node:fs';
import { writeFully } from './fs-util.js';

export class FileRecords {
  private _fd = -1;
  private writable = false;

  constructor(private _path: string) {}

  /** Creates (or empties) the file and opens it for writing. */
  static create(path: string): FileRecords {
    const f = new FileRecords(path);
    f._fd = fs.openSync(path, 'w+');
    f.writable = true;
    return f;
  }

  get path(): string {
    return this._path;
  }

  get isOpen(): boolean {
    return this._fd >= 0;
  }

  /** A descriptor usable for reads (opened read-only if closed). */
  fd(): number {
    if (this._fd < 0) {
      this._fd = fs.openSync(this._path, 'r');
      this.writable = false;
    }
    return this._fd;
  }

  /** A descriptor usable for writes (reopened read-write if needed). */
  writableFd(): number {
    if (!this.writable) {
      this.close();
      this._fd = fs.openSync(this._path, 'r+');
      this.writable = true;
    }
    return this._fd;
  }

  /** Writes `buf` at `position`; on failure the file is cut back to `position`. */
  append(buf: Buffer, position: number): void {
    const fd = this.writableFd();
    try {
      writeFully(fd, buf, 0, buf.length, position);
    } catch (e) {
      try {
        fs.ftruncateSync(fd, position);
      } catch {
        // keep the original error
      }
      throw e;
    }
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.writableFd(), size);
  }

  /** Current size on disk. */
  fileSize(): number {
    return fs.fstatSync(this.fd()).size;
  }

  fsync(): void {
    if (this._fd >= 0) {
      fs.fsyncSync(this._fd);
      return;
    }
    const fd = fs.openSync(this._path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Modification time in ms (0 if unknown). */
  lastModified(): number {
    try {
      return Math.floor(fs.statSync(this._path).mtimeMs);
    } catch {
      return 0;
    }
  }

  close(): void {
    if (this._fd >= 0) {
      const fd = this._fd;
      this._fd = -1;
      this.writable = false;
      fs.closeSync(fd);
    }
  }

  /** Renames the (closed) file; false if it does not exist. */
  renameTo(path: string): boolean {
    this.close();
    try {
      fs.renameSync(this._path, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return false;
    }
    this._path = path;
    return true;
  }

  delete(): void {
    this.close();
    try {
      fs.unlinkSync(this._path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
