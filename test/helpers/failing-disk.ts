/**
 * A real disk that can be made to fail under a running broker: an ext4 filesystem in an image file,
 * loop-mounted (the tests run as root), shut down on demand with the FS_IOC_SHUTDOWN ioctl
 * (EXT4_IOC_SHUTDOWN, "no log flush"), after which every read, write, fsync and open on it fails
 * with EIO, as on a disk that died. Node has no ioctl, so python3 issues it.
 * (A tmpfs cannot be remounted read-only while the broker has files open for writing: EBUSY.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SHUTDOWN = [
  'import fcntl, os, struct, sys',
  'fd = os.open(sys.argv[1], os.O_RDONLY)',
  // FS_IOC_SHUTDOWN = _IOR('X', 125, __u32); 2 = FS_GOING_FLAGS_NOLOGFLUSH
  "fcntl.ioctl(fd, 0x8004587D, struct.pack('I', 2))",
  'os.close(fd)',
].join('\n');

export class FailingDisk {
  private mounted = false;

  private constructor(
    private readonly root: string,
    /** The mount point. */
    readonly mountPoint: string,
    private readonly image: string,
  ) {}

  /** Makes and mounts a `sizeMb` ext4 filesystem; throws (the test fails) if that is not possible. */
  static create(sizeMb = 64): FailingDisk {
    const root = mkdtempSync(join(tmpdir(), 'samsa-failing-disk-'));
    const image = join(root, 'disk.img');
    const mountPoint = join(root, 'mnt');
    mkdirSync(mountPoint);
    const disk = new FailingDisk(root, mountPoint, image);
    try {
      execFileSync('truncate', ['-s', `${sizeMb}M`, image], { stdio: 'pipe' });
      execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, mountPoint], { stdio: 'pipe' });
      disk.mounted = true;
    } catch (e) {
      disk.remove();
      throw new Error(`a failing-disk test needs to loop-mount an ext4 image (run as root with mount and loop devices permitted): ${(e as Error).message}`);
    }
    return disk;
  }

  /** A directory on the disk (made now). */
  dir(name: string): string {
    const d = join(this.mountPoint, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** The disk dies: from now on every I/O on it fails with EIO. */
  fail(): void {
    execFileSync('python3', ['-c', SHUTDOWN, this.mountPoint], { stdio: 'pipe' });
  }

  /** Unmounts (lazily: a broker may still hold files open) and removes the image. */
  remove(): void {
    if (this.mounted) {
      execFileSync('umount', ['-l', this.mountPoint], { stdio: 'pipe' });
      this.mounted = false;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
