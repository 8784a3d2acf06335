import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** SecretVolume is a folder laid out like a Kubernetes Secret volume, holding one file. */
export interface SecretVolume {
  readonly dir: string;
  /** Path of the file, as the pod sees it (a symlink through ..data). */
  readonly path: string;
  /** update replaces the content the way the kubelet does: new folder, then one atomic symlink swap. */
  update(content: string): void;
  remove(): void;
}

/**
 * secretVolume lays out `<dir>/<name> -> ..data/<name>`, `..data -> ..<version>/`, as the kubelet's
 * atomic writer does. An update writes a new version folder, points `..data_tmp` at it, renames
 * that over `..data` (the swap) and deletes the old folder: the file's own symlink never changes.
 */
export function secretVolume(name: string, content: string): SecretVolume {
  const dir = mkdtempSync(join(tmpdir(), "secret-volume-"));
  let version = 0;
  let current = "";
  const writeVersion = (text: string) => {
    const folder = `..version_${++version}`;
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, name), text);
    return folder;
  };
  current = writeVersion(content);
  symlinkSync(current, join(dir, "..data"));
  symlinkSync(join("..data", name), join(dir, name));
  return {
    dir,
    path: join(dir, name),
    update(text) {
      const next = writeVersion(text);
      symlinkSync(next, join(dir, "..data_tmp"));
      renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
      rmSync(join(dir, current), { recursive: true });
      current = next;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
