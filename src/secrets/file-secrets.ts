import { readFile } from 'node:fs/promises'

// Docker's official images' convention, which also fits Cloud Run's
// `--set-secrets NAME=/path` volume mounts: NAME_FILE=/path means "read NAME
// from this file". https://docs.docker.com/engine/swarm/secrets/#build-support-for-docker-secrets-into-your-images

export const FILE_SUFFIX = '_FILE'

/**
 * A secret's value less one trailing newline: what `echo` and most editors
 * add, and what `echo key | gcloud secrets versions add … --data-file=-`
 * stores. Files and Secret Manager versions are read the same way.
 */
export function withoutTrailingNewline (value: string): string {
  return value.endsWith('\r\n') ? value.slice(0, -2) : value.endsWith('\n') ? value.slice(0, -1) : value
}

/** The file's contents, less one trailing newline. */
export async function readSecretFile (path: string): Promise<string> {
  return withoutTrailingNewline(await readFile(path, 'utf8'))
}

/** What to tell the operator when a secret file cannot be read, by Node's error code. */
export function fileFix (code: string | undefined): string {
  switch (code) {
    case 'ENOENT': return 'mount the secret at this path (gcloud run deploy --set-secrets PATH=SECRET:VERSION) or fix the path'
    case 'EACCES':
    case 'EPERM': return 'make the file readable by the user the container runs as'
    case 'EISDIR': return 'point the variable at the file inside the mounted directory, not the directory'
    default: return 'check that the path names a readable file'
  }
}
