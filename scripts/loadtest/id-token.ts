import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { UsageError } from './options.ts'

const run = promisify(execFile)

/**
 * An identity token for calling a private Cloud Run service as the gcloud
 * user (or service account) that is logged in. Tokens live one hour, so a
 * longer test will start getting 401s.
 */
export async function fetchIdToken (env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let stdout: string
  try {
    ({ stdout } = await run('gcloud', ['auth', 'print-identity-token'], { env, timeout: 30_000 }))
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string }
    if (code === 'ENOENT') {
      throw new UsageError('--id-token needs the gcloud CLI, and no `gcloud` was found on PATH. ' +
        'Install the Google Cloud CLI and run `gcloud auth login`, or pass --header "Authorization: Bearer <token>" instead.')
    }
    throw new UsageError(`--id-token: \`gcloud auth print-identity-token\` failed: ${(stderr ?? String(error)).trim()}`)
  }
  const token = stdout.trim()
  if (token === '') throw new UsageError('--id-token: `gcloud auth print-identity-token` printed no token')
  return token
}
