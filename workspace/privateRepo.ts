/**
 * The workspace's private git repository, `<stateDir>/workspaces/<id>/repo.git` (bare): the store
 * of every apply's bytes before (a commit per apply on `refs/maestro/backups/<applyId>`, so gc
 * keeps them), and for a plain folder the snapshots its candidates are checked out from
 * (`refs/maestro/snapshot`, made with `--work-tree=<root>` and an index of its own). Attributes
 * turn every conversion off (`* -text -filter -ident`): what goes in comes out byte for byte.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blobId } from './blobId.js';
import { catBlobs, git, GIT_IDENT, gitText } from './git.js';

/** One file's bytes to keep, and its permission bits. */
export interface BackupFile {
  path: string;
  bytes: Buffer;
  mode?: number;
}

export const SNAPSHOT_REF = 'refs/maestro/snapshot';
const backupRef = (applyId: string) => `refs/maestro/backups/${applyId}`;

export class PrivateRepo {
  private constructor(readonly gitDir: string) {}

  /** Opens the repository at `gitDir`, creating it (without templates: no hooks) if missing. */
  static async open(gitDir: string): Promise<PrivateRepo> {
    if (!existsSync(join(gitDir, 'HEAD'))) {
      mkdirSync(gitDir, { recursive: true });
      await git(['init', '--bare', '--quiet', '--template=', '--object-format=sha1', gitDir]);
      mkdirSync(join(gitDir, 'info'), { recursive: true });
      writeFileSync(join(gitDir, 'info', 'attributes'), '* -text -filter -ident\n');
      // Edits never touch node_modules (the default deny), so a snapshot need not copy it.
      writeFileSync(join(gitDir, 'info', 'exclude'), 'node_modules/\n');
      await git(['config', 'core.autocrlf', 'false'], { gitDir });
    }
    return new PrivateRepo(gitDir);
  }

  /** Keeps the bytes of `files` in one commit (`fast-import`, one process); returns the commit. */
  async saveBackup(applyId: string, files: BackupFile[], at: number): Promise<string> {
    const chunks: Buffer[] = [];
    const text = (s: string) => chunks.push(Buffer.from(s, 'utf8'));
    const message = Buffer.from(`maestro backup ${applyId}\n`);
    text(`commit ${backupRef(applyId)}\n`);
    text(`committer ${GIT_IDENT.name} <${GIT_IDENT.email}> ${Math.floor(at / 1000)} +0000\n`);
    text(`data ${message.length}\n`);
    chunks.push(message);
    for (const f of files) {
      const exec = f.mode !== undefined && (f.mode & 0o111) !== 0;
      text(`M ${exec ? '100755' : '100644'} inline ${quotePath(f.path)}\n`);
      text(`data ${f.bytes.length}\n`);
      chunks.push(f.bytes);
      text('\n');
    }
    text('done\n');
    // Speed over size: no delta search, light compression (a backup is read back rarely).
    await git(['-c', 'core.compression=1', 'fast-import', '--quiet', '--done', '--depth=0'], {
      gitDir: this.gitDir,
      input: Buffer.concat(chunks),
    });
    return gitText(['rev-parse', '--verify', `${backupRef(applyId)}^{commit}`], {
      gitDir: this.gitDir,
    });
  }

  /** The bytes of these blobs, by id (one `git cat-file --batch`); a missing blob is left out. */
  async readBlobs(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const unique = [...new Set(ids)];
    const bytes = await catBlobs(unique, { gitDir: this.gitDir });
    const out = new Map<string, Buffer>();
    unique.forEach((id, i) => {
      const b = bytes[i];
      if (b !== undefined && blobId(b) === id) out.set(id, b);
    });
    return out;
  }

  /**
   * Commits the folder `root` as it is now on `refs/maestro/snapshot` (a new commit only when
   * something changed) and returns the commit; `exclude` (relative to `root`) is left out.
   */
  async snapshot(root: string, exclude: readonly string[] = []): Promise<string> {
    const opts = {
      gitDir: this.gitDir,
      workTree: root,
      cwd: root,
      env: { GIT_INDEX_FILE: join(this.gitDir, 'snapshot.index') },
    };
    await git(
      ['add', '--all', '--force', '--', '.', ...exclude.map((p) => `:(exclude)${p}`)],
      opts,
    );
    const tree = await gitText(['write-tree'], opts);
    const head = await this.resolve(SNAPSHOT_REF);
    if (head !== undefined && (await gitText(['rev-parse', `${head}^{tree}`], opts)) === tree)
      return head;
    const parent = head !== undefined ? ['-p', head] : [];
    const commit = await gitText(['commit-tree', ...parent, '-m', 'maestro snapshot', tree], opts);
    await git(['update-ref', SNAPSHOT_REF, commit], opts);
    return commit;
  }

  async resolve(ref: string): Promise<string | undefined> {
    const { stdout, code } = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      gitDir: this.gitDir,
      okCodes: [0, 1],
    });
    return code === 0 ? stdout.toString('utf8').trim() : undefined;
  }
}

/** A path as fast-import reads it: C-style quoted (bytes past ASCII in octal), so any name passes. */
function quotePath(path: string): string {
  let out = '"';
  for (const byte of Buffer.from(path, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x0a) out += '\\n';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}
